import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MountRequest, MountSummary } from "../../../core/hooks.js";
import { messages } from "../../../core/messages.js";
import type { RunContext } from "../../../core/types.js";
import { isMounted, unmount } from "../../transport/mounts.js";
import { closeArgv, devicePath } from "./argv.js";
import type { OpenedContainer } from "./container.js";
import { cryptsetup } from "./cryptsetup.js";
import { mountFilesystem, unmountFilesystem } from "./filesystem.js";

/** What `cryptkeep mount` left open for browsing: the folder, the mapping, and the transport's mount under it. */
interface LuksView { dir: string; mapping: string; image: string; transportMount?: string }

const file = (ctx: RunContext) => join(ctx.cacheDir, "luks-views.json");

export async function readLuksViews(ctx: RunContext): Promise<LuksView[]> {
  return readFile(file(ctx), "utf8").then((text) => JSON.parse(text) as LuksView[], () => []);
}

async function writeLuksViews(ctx: RunContext, views: LuksView[]): Promise<void> {
  await mkdir(ctx.cacheDir, { recursive: true, mode: 0o700 });
  await writeFile(file(ctx), JSON.stringify(views, null, 2) + "\n", { mode: 0o600 });
}

/** The whole filesystem, read-only, at the user's folder: every snapshot folder is in it, so --at only picks what to look at. */
export async function mountLuksView(ctx: RunContext, opened: OpenedContainer, image: string, transportMount: string | undefined, request: MountRequest, keep: () => void): Promise<MountSummary> {
  await mkdir(request.dir, { recursive: true, mode: 0o700 });
  if ((await readdir(request.dir)).length) throw messages.mountDirNotEmpty(request.dir);
  await mountFilesystem(ctx, opened.device, request.dir, true);
  await writeLuksViews(ctx, [...(await readLuksViews(ctx)), { dir: request.dir, mapping: opened.mapping, image, transportMount }]);
  keep();
  return {
    dir: request.dir, state: "every snapshot",
    notes: request.at ? [`--at ${request.at}: the view holds every snapshot folder; open the one you want`] : [],
  };
}

/** Takes down a view: the folder's mount, the mapping, then the transport's mount (innermost first). */
export async function releaseLuksViews(ctx: RunContext, dir: string | undefined): Promise<string[]> {
  const views = await readLuksViews(ctx);
  const chosen = views.filter((v) => dir === undefined || v.dir === dir);
  if (chosen.length === 0) throw messages.notMounted(dir ?? ctx.job, views.map((v) => v.dir));
  for (const view of chosen) {
    await unmountFilesystem(ctx, devicePath(view.mapping), view.dir, false).catch(async (error: unknown) => {
      if (await isMounted(view.dir)) throw error;
    });
    await cryptsetup(ctx, closeArgv(view.mapping), { image: view.image, job: ctx.job }).catch((error: unknown) => {
      if (!/does not exist|not active/i.test(String(error))) throw error;
    });
    if (view.transportMount) {
      await unmount(ctx, view.transportMount);
      await rm(view.transportMount, { recursive: true, force: true });
    }
  }
  await writeLuksViews(ctx, views.filter((v) => !chosen.includes(v)));
  return chosen.map((v) => v.dir);
}
