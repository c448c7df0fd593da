import { z } from "zod";

const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "256MiB", "1G", "500M" or a number of bytes. */
export const byteSize = z.union([z.int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === "number") return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!match) {
    ctx.addIssue({ code: "custom", message: `'${value}' is not a size; write it like 256MiB, 1G or 500M` });
    return z.NEVER;
  }
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
});

export const tarIncrementalOptions = z.strictObject({
  /** Folder to back up. */
  source: z.string().min(1),
  /** A new full backup when the last one is older than this. @default "30D" */
  fullEvery: z.string().default("30D"),
  /** tar exclude patterns: "*.tmp" matches any name, "node_modules/" any folder of that name. @default [] */
  exclude: z.array(z.string().min(1)).default([]),
  /** A file of exclude patterns, one per line (tar --exclude-from). */
  excludeFrom: z.string().optional(),
  /** Compression before encryption; off by default, since photos and videos are already compressed. @default "none" */
  compression: z.enum(["none", "zstd", "gzip"]).default("none"),
  /** zstd or gzip level. @default 3 for zstd, 6 for gzip */
  compressionLevel: z.int().min(1).max(19).optional(),
  /** Uncompressed tar bytes per volume: a damaged volume costs this much, not the chain. @default "256MiB" */
  volumeSize: byteSize.default(256 * 1024 * 1024),
  /** Stay on the source's filesystem (tar --one-file-system). @default false */
  oneFileSystem: z.boolean().default(false),
  /** Ignore device numbers when detecting changes, for sources on LVM/btrfs snapshots or network filesystems. @default false */
  ignoreDeviceChanges: z.boolean().default(false),
});
export type TarIncrementalOptions = z.output<typeof tarIncrementalOptions>;
