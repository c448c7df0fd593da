import { z } from "zod";
import { messages } from "../../core/messages.js";
import { oneKeyOf } from "../../core/schemas.js";
import type { Plugin } from "../../core/types.js";
import { davfs, davfsOptions } from "./davfs/index.js";
import { localTarget } from "./local.js";
import { remoteSchema } from "./remote.js";
import { s3fs, s3fsOptions } from "./s3fs/index.js";
import { sshTarget } from "./ssh.js";
import { sshfsTarget } from "./sshfs.js";

/**
 * Where a filesystem sync (rsync) writes, as a user writes it in a preset. One kind per
 * transport; add one here (and a line in `targetPlugin`) for each new transport. A kind rsync
 * cannot use (a store such as sftp or s3) gets one clear message.
 */
export const fsTargetSchema = oneKeyOf({
  /** a folder on this machine */
  local: z.string().min(1),
  /** a server folder mounted with sshfs */
  sshfs: remoteSchema,
  /** a server reached by rsync's own ssh transport */
  ssh: remoteSchema,
  /** a WebDAV folder mounted with davfs2 */
  davfs: davfsOptions,
  /** an S3 bucket mounted with s3fs */
  s3fs: s3fsOptions,
}, (kind) => {
  const error = messages.targetUnsupported(kind);
  return `${error.message}: ${error.hint}`;
});
export type FsTargetOption = z.input<typeof fsTargetSchema>;
export type FsTarget = z.output<typeof fsTargetSchema>;

/** Kinds whose folders have no hard links (rsync --link-dest cannot work there). */
export const WITHOUT_HARD_LINKS = ["davfs", "s3fs"];

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
