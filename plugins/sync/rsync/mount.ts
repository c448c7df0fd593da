import { mkdir, readdir } from "node:fs/promises";
import type { MountRequest, MountSummary } from "../../../core/hooks.js";
import { messages } from "../../../core/messages.js";
import type { FolderCipher, RunContext } from "../../../core/types.js";
import type { RsyncOptions } from "./options.js";
import { openTree } from "./tree.js";
import type { TargetFs } from "./target-fs.js";
import { recordView, takeDown, type KeptView } from "./views.js";

/**
 * Leaves a read-only decrypted view at `dir` until `cryptkeep umount`. What the view stands on
 * (an sshfs mount, a rebuilt copy) is recorded with it; if anything fails, all of it is undone.
 */
export async function mountView(ctx: RunContext, fs: TargetFs, options: RsyncOptions, cipher: FolderCipher | undefined, request: MountRequest): Promise<MountSummary> {
  if (!cipher) throw messages.usage("this job's backup is not encrypted by a folder cipher: its folders can be read at the target directly", "use 'cryptkeep restore' or open the target folder");
  await mkdir(request.dir, { recursive: true, mode: 0o700 });
  if ((await readdir(request.dir)).length) throw messages.mountDirNotEmpty(request.dir);
  const transportMount = fs.target.localPath?.includes("/cryptkeep-kept-") ? fs.target.localPath : undefined;
  const view: KeptView = { dir: request.dir, mounts: transportMount ? [transportMount] : [], folders: [], created: new Date().toISOString() };
  let done = false;
  ctx.defer("undo a view that failed to mount", async () => { if (!done) await takeDown(ctx, view); });
  const tree = await openTree(ctx, fs, options, cipher, request.at, { keep: true, mountPoint: request.dir });
  view.mounts = [request.dir, ...view.mounts];
  if (tree.staged) view.folders.push(tree.staged);
  await recordView(ctx, view);
  done = true;
  return { dir: request.dir, state: request.at ? `as of ${request.at}` : "latest", notes: tree.notes };
}
