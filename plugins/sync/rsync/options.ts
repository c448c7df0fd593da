import { z } from "zod";
import { duration } from "../../../core/schemas.js";

/** How `cryptkeep verify` checks a filesystem backup. */
export const rsyncVerifySchema = z.strictObject({
  /**
   * "remote": SHA-256 of every file at the target, computed on the server over ssh (or on the
   * target folder when it is local), compared with the same computed here. @default "remote"
   */
  checksums: z.enum(["remote", "off"]).default("remote"),
  /** Also decrypt and compare with the source when the last deep verify is older than this ("30d"). */
  deepEvery: duration.optional(),
});

export const rsyncOptions = z.strictObject({
  /** Folder to back up (with a folder cipher, its encrypted view is what rsync copies). */
  source: z.string().min(1),
  /**
   * "versioned" (seed 001): a mirror in files/, changed and deleted files moved to
   * snapshots/<UTC time>/. "snapshots" (seed 003): a full hard-linked copy per run,
   * <name>.<UTC time>/ (rsync --link-dest). @default "versioned"
   */
  layout: z.enum(["versioned", "snapshots"]).default("versioned"),
  /** Snapshot folder name before the time ("home" gives home.20261123T142501Z). @default the source folder's name */
  name: z.string().regex(/^[\w.-]+$/, "use letters, digits, '.', '_' and '-'").optional(),
  /** rsync exclude patterns ("*.tmp", "node_modules/"). @default [] */
  exclude: z.array(z.string().min(1)).default([]),
  /** A file of exclude patterns, one per line (rsync --exclude-from). */
  excludeFrom: z.string().min(1).optional(),
  /** @default { checksums: "remote" } */
  verify: rsyncVerifySchema.default({ checksums: "remote" }),
});
export type RsyncOptions = z.output<typeof rsyncOptions>;
