import { z } from "zod";
import { messages } from "../../core/messages.js";
import type { Plugin } from "../../core/types.js";
import { davfs, davfsOptions } from "./davfs/index.js";
import { localTarget } from "./local.js";
import { remoteSchema } from "./remote.js";
import { s3fs, s3fsOptions } from "./s3fs/index.js";
import { sshTarget } from "./ssh.js";
import { sshfsTarget } from "./sshfs.js";

/**
 * Where a filesystem sync (rsync) writes, as a user writes it in a preset. One variant per
 * transport; add a variant here (and a line in `targetPlugin`) for each new transport.
 */
const knownTargets = z.union([
  z.strictObject({ local: z.string().min(1).describe("a folder on this machine") }),
  z.strictObject({ sshfs: remoteSchema.describe("a server folder mounted with sshfs") }),
  z.strictObject({ ssh: remoteSchema.describe("a server reached by rsync's own ssh transport") }),
  z.strictObject({ davfs: davfsOptions.describe("a WebDAV folder mounted with davfs2") }),
  z.strictObject({ s3fs: s3fsOptions.describe("an S3 bucket mounted with s3fs") }),
]);
export type FsTargetOption = z.input<typeof knownTargets>;
export type FsTarget = z.output<typeof knownTargets>;
const KINDS = ["local", "sshfs", "ssh", "davfs", "s3fs"];

/** The kind of a target option: its one key. */
export function targetKind(target: FsTarget): string {
  return Object.keys(target)[0]!;
}

/** A target kind rsync cannot use (a store such as sftp or s3) gets one clear message, not a union's noise. */
export const fsTargetSchema = z.unknown().transform((value, ctx): FsTarget => {
  const kind = value && typeof value === "object" ? Object.keys(value)[0] : undefined;
  if (kind !== undefined && !KINDS.includes(kind)) {
    const error = messages.targetUnsupported(kind);
    ctx.addIssue({ code: "custom", message: `${error.message}: ${error.hint}` });
    return z.NEVER;
  }
  const parsed = knownTargets.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom", message: issue.message } as never);
    return z.NEVER;
  }
  return parsed.data;
}) as unknown as z.ZodType<FsTarget, FsTargetOption>;

/** How the gocryptfs preset names its transport next to `remote`. */
export const transportSchema = z.enum(["sshfs", "ssh"]);

/** The plugin that provides the `target` service for a target option. */
export function targetPlugin(target: FsTarget): Plugin<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  if ("local" in target) return localTarget({ path: target.local });
  if ("sshfs" in target) return sshfsTarget(target.sshfs);
  if ("davfs" in target) return davfs(target.davfs);
  if ("s3fs" in target) return s3fs(target.s3fs);
  return sshTarget(target.ssh);
}
