import { mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { RestoreRequest } from "../../../core/hooks.js";
import { messages } from "../../../core/messages.js";
import type { FolderCipher, RestoreSummary, RunContext } from "../../../core/types.js";
import type { RsyncOptions } from "./options.js";
import { runRsync } from "./run-rsync.js";
import { openTree } from "./tree.js";
import type { TargetFs } from "./target-fs.js";

/** Checks the folder first: a restore never mixes its files into existing ones. */
export async function checkEmptyTarget(to: string): Promise<void> {
  const entries = await readdir(to).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    if (error.code === "ENOTDIR") throw messages.restoreTargetNotEmpty(to);
    throw error;
  });
  if (entries.length) throw messages.restoreTargetNotEmpty(to);
}

export async function runRestore(ctx: RunContext, fs: TargetFs, options: RsyncOptions, cipher: FolderCipher | undefined, request: RestoreRequest): Promise<RestoreSummary> {
  const started = Date.now();
  await checkEmptyTarget(request.to);
  const tree = await openTree(ctx, fs, options, cipher, request.at, { keep: false });
  for (const note of tree.notes) ctx.log.warn(note);
  for (const path of request.paths) {
    if (!(await stat(join(tree.dir, path)).then(() => true, () => false))) throw messages.pathNotInSnapshot(path, tree.parts.join(" + "));
  }
  ctx.step(`copy ${request.paths.length ? request.paths.join(", ") : "everything"} from ${tree.dir} into ${request.to}`);
  if (!ctx.dryRun) await mkdir(request.to, { recursive: true, mode: 0o700 });
  const sources = request.paths.length ? request.paths.map((p) => `${tree.dir}/./${p.replace(/^\/+|\/+$/g, "")}`) : [`${tree.dir}/`];
  const stats = await runRsync(ctx, fs.target, "restore", ["-a", ...(request.paths.length ? ["-R"] : []), ...sources, `${request.to}/`]);
  if (stats.errors.length) throw messages.commandFailed("rsync", "rsync (restore)", 23, stats.errors.join("\n"));
  return { snapshot: request.at ?? "latest", to: request.to, files: stats.regularFiles, bytes: stats.totalFileSize, chain: tree.parts, elapsedMs: Date.now() - started };
}
