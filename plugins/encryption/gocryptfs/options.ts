import { z } from "zod";
import { secretSourceSchema } from "../../../core/secret.js";

export const gocryptfsOptions = z.strictObject({
  /** The folder to back up; gocryptfs keeps its .gocryptfs.reverse.conf in it (seed 001). */
  source: z.string().min(1),
  /** Where the gocryptfs password comes from: { env }, { file }, { command } or { prompt }. */
  password: secretSourceSchema,
  /** Leave file names unencrypted (gocryptfs -plaintextnames): only if names are not confidential. @default false */
  plaintextNames: z.boolean().default(false),
  /** Encrypt names without per-folder IVs (gocryptfs -deterministic-names): no gocryptfs.diriv files. @default false */
  deterministicNames: z.boolean().default(false),
  /** Paths left out of the encrypted view, gitignore-style wildcards ("*.tmp", "node_modules/") (gocryptfs -exclude-wildcard). @default [] */
  exclude: z.array(z.string().min(1)).default([]),
  /** A file of such patterns, one per line (gocryptfs -exclude-from). */
  excludeFrom: z.string().min(1).optional(),
  /**
   * Where `init` also puts a copy of gocryptfs.conf (seed 001: losing it loses the backup).
   * Keep it off this machine afterwards. A copy is always stored at the target too.
   */
  keepConfigAt: z.string().min(1).optional(),
});
export type GocryptfsOptions = z.output<typeof gocryptfsOptions>;
