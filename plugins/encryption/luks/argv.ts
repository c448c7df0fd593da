import type { LuksFormat } from "./options.js";

/**
 * The exact argv of every tool the LUKS plugin runs, as pure functions (unit-tested, shown by
 * `plan`, copied into recipes). The key always goes on stdin: `--key-file -`, never in argv.
 */

export const MKFS_OPTIONS = ["-m0", "-E", "lazy_itable_init=0,lazy_journal_init=0"];

export function allocateArgv(method: "sparse" | "fallocate" | "zero", image: string, bytes: number): { tool: string; args: string[] } {
  if (method === "fallocate") return { tool: "fallocate", args: ["-l", String(bytes), image] };
  if (method === "zero") return { tool: "dd", args: ["if=/dev/zero", `of=${image}`, "bs=1M", `count=${bytes}`, "iflag=count_bytes", "conv=fsync", "status=none"] };
  return { tool: "truncate", args: ["-s", String(bytes), image] };
}

/** Enlarges an existing file the way it was made; "zero" appends zeros after the old end. */
export function extendArgv(method: "sparse" | "fallocate" | "zero", image: string, from: number, to: number): { tool: string; args: string[] } {
  if (method === "zero") {
    return { tool: "dd", args: ["if=/dev/zero", `of=${image}`, "bs=1M", `seek=${from}`, `count=${to - from}`, "oflag=seek_bytes", "iflag=count_bytes", "conv=notrunc,fsync", "status=none"] };
  }
  return allocateArgv(method, image, to);
}

export function formatArgv(format: LuksFormat, image: string): string[] {
  return [
    "luksFormat", "--batch-mode", "--type", format.type,
    ...(format.cipher ? ["--cipher", format.cipher] : []),
    ...(format.keySize ? ["--key-size", String(format.keySize)] : []),
    ...(format.hash ? ["--hash", format.hash] : []),
    ...(format.pbkdf ? ["--pbkdf", format.pbkdf] : []),
    ...(format.iterations ? ["--pbkdf-force-iterations", String(format.iterations)] : []),
    ...(format.memoryKiB ? ["--pbkdf-memory", String(format.memoryKiB)] : []),
    ...(format.iterTimeMs && !format.iterations ? ["--iter-time", String(format.iterTimeMs)] : []),
    "--key-file", "-", image,
  ];
}

export interface OpenFlags { readOnly?: boolean; allowDiscards?: boolean }

export function openArgv(image: string, mapping: string, flags: OpenFlags = {}): string[] {
  return ["open", "--type", "luks", ...(flags.readOnly ? ["--readonly"] : []), ...(flags.allowDiscards ? ["--allow-discards"] : []), "--key-file", "-", image, mapping];
}

export const closeArgv = (mapping: string): string[] => ["close", mapping];
export const isLuksArgv = (image: string): string[] => ["isLuks", image];
export const headerBackupArgv = (image: string, file: string): string[] => ["luksHeaderBackup", image, "--header-backup-file", file];
export const resizeArgv = (mapping: string): string[] => ["resize", "--key-file", "-", mapping];
export const mkfsArgv = (device: string, label: string): string[] => ["-q", ...MKFS_OPTIONS, "-L", label.slice(0, 16), device];
/** Preen: repairs what is safe to repair without asking (after a run that did not close cleanly). */
export const fsckRepairArgv = (device: string): string[] => ["-f", "-p", device];
/** Read-only check for verify: changes nothing. */
export const fsckCheckArgv = (device: string): string[] => ["-f", "-n", device];
export function mountArgv(device: string, dir: string, readOnly: boolean): string[] {
  // noload: a read-only mount must not replay a journal it cannot write.
  return readOnly ? ["-o", "ro,noload", device, dir] : [device, dir];
}
export const devicePath = (mapping: string): string => `/dev/mapper/${mapping}`;
