import { z } from "zod";
import { secretSourceSchema } from "../../../core/secret.js";

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/** "500G" → bytes (powers of 1024, as truncate and fallocate read them); undefined when not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:i?B)?$/i.exec(text.trim());
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2]!.toUpperCase()]!);
  return bytes > 0 ? bytes : undefined;
}

export const sizeSchema = z.string().refine((v) => parseSize(v) !== undefined && parseSize(v)! >= 32 * 1024 ** 2, "write a size of at least 32M, like 500G, 5T or 64M (powers of 1024)");

/** How `cryptsetup luksFormat` makes the container; cryptsetup's own defaults when absent. */
export const luksFormatSchema = z.strictObject({
  /** LUKS version: "luks2" or "luks1" (older systems, GRUB). @default "luks2" */
  type: z.enum(["luks2", "luks1"]).default("luks2"),
  /** --cipher, e.g. "aes-xts-plain64" or "serpent-xts-plain64". @default cryptsetup's (aes-xts-plain64) */
  cipher: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "write a cipher spec like aes-xts-plain64").optional(),
  /** --key-size in bits (512 for AES-256 in XTS mode). @default cryptsetup's */
  keySize: z.int().positive().multipleOf(8).optional(),
  /** --hash of the key derivation, e.g. "sha256", "sha512". @default cryptsetup's */
  hash: z.string().regex(/^[a-z0-9]+$/).optional(),
  /** --pbkdf: "argon2id", "argon2i" (LUKS2 only) or "pbkdf2". @default cryptsetup's (argon2id for LUKS2) */
  pbkdf: z.enum(["argon2id", "argon2i", "pbkdf2"]).optional(),
  /** --pbkdf-force-iterations: a fixed cost instead of cryptsetup's benchmark (tests use pbkdf2 with 1000). */
  iterations: z.int().min(1).optional(),
  /** --pbkdf-memory in KiB (argon2). */
  memoryKiB: z.int().positive().optional(),
  /** --iter-time in milliseconds (the benchmarked cost) when iterations is not given. */
  iterTimeMs: z.int().positive().optional(),
}).refine((f) => !(f.type === "luks1" && f.pbkdf && f.pbkdf !== "pbkdf2"), { message: "LUKS1 supports only pbkdf: 'pbkdf2'", path: ["pbkdf"] });

export const luksFields = z.strictObject({
  /**
   * The container file. With a transport (sshfsLuks) a name inside the server's folder
   * ("backups-system-a.luks"); alone (luksImage), a path on this machine.
   */
  image: z.string().min(1),
  /** Size of the container file ("500G"); `cryptkeep grow --size` enlarges it later. */
  size: sizeSchema,
  /** How `init` makes the file: "sparse" (truncate), "fallocate" (reserved now), "zero" (written with zeros). @default "sparse" */
  allocate: z.enum(["sparse", "fallocate", "zero"]).default("sparse"),
  /** Where the key comes from: { file }, { env }, { command } or { prompt }. It reaches cryptsetup on stdin only. */
  key: secretSourceSchema,
  /** "raw": the key is the bytes as given; "base64": the source gives base64 text, decoded first (seed 000). @default "raw" */
  keyEncoding: z.enum(["raw", "base64"]).default("raw"),
  /**
   * At `init`, when the source has no key yet (the file is missing, the variable unset), make a
   * random key of this many bytes: written to the key file (mode 600), or else printed once as
   * base64 for you to keep. false: never. @default false
   */
  generateKey: z.union([z.literal(false), z.literal(true), z.int().min(32).max(8192)]).default(false),
  /** A file `init` writes the LUKS header backup to (cryptsetup luksHeaderBackup): without the header, the data is lost. */
  headerBackup: z.string().min(1).optional(),
  /** cipher, key size, pbkdf and its cost, LUKS1 or LUKS2. */
  format: luksFormatSchema.default({ type: "luks2" }),
});

/** A generated key that is not written to a file is shown as base64, so the source must give base64 back. */
export function checkKeyOptions(o: Pick<z.output<typeof luksFields>, "generateKey" | "key" | "keyEncoding">, ctx: z.RefinementCtx): void {
  if (o.generateKey !== false && !("file" in o.key) && o.keyEncoding !== "base64") {
    ctx.addIssue({ code: "custom", path: ["keyEncoding"], message: "a generated key that is not written to a key file is shown as base64: set keyEncoding: \"base64\" so the source gives it back" });
  }
}

export const luksOptions = luksFields.superRefine(checkKeyOptions);
export type LuksOptions = z.output<typeof luksOptions>;
export type LuksFormat = z.output<typeof luksFormatSchema>;

/** Bytes of a generated key. */
export function generatedKeyBytes(option: LuksOptions["generateKey"]): number {
  return typeof option === "number" ? option : 64;
}
