import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PREFIX } from "../../../core/paths.js";
import type { RunContext } from "../../../core/types.js";
import { mountRoot } from "../../transport/mounts.js";
import { PARTIAL_DIR } from "./layout.js";
import { runRsync } from "./run-rsync.js";
import type { TargetFs } from "./target-fs.js";

/**
 * Copies target folders, in order, into one local folder (later ones overwrite earlier ones):
 * how a tree is rebuilt from files/ and older versions, or fetched from a server reached only
 * by ssh. Removed at the end of the run, unless `keep` (a view left by `cryptkeep mount`).
 */
export async function stageCopy(ctx: RunContext, fs: TargetFs, folders: string[], keep: boolean): Promise<string> {
  const dir = join(mountRoot(ctx), keep ? `${PREFIX}kept-copy-${Date.now()}` : `${PREFIX}copy-${process.pid}`);
  ctx.step(`copy ${folders.join(", then ")} from ${fs.description} into ${dir}`);
  if (!ctx.dryRun) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  let undone = false;
  const remove = async () => { if (!undone) { undone = true; await rm(dir, { recursive: true, force: true }); } };
  if (!keep) ctx.defer(`remove ${dir}`, remove);
  try {
    for (const folder of folders) {
      const from = fs.rsyncLocation(folder);
      await runRsync(ctx, fs.target, "fetch", ["-a", `--exclude=/${PARTIAL_DIR}/`, ...from.args, `${from.path}/`, `${dir}/`]);
    }
  } catch (error) {
    if (keep) await remove();
    throw error;
  }
  return dir;
}
