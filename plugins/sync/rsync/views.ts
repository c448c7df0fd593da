import { readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { RunContext } from "../../../core/types.js";
import { messages } from "../../../core/messages.js";
import { isMounted, unmount } from "../../transport/mounts.js";

/** What `cryptkeep mount` left: the view, then what it stands on, innermost first. */
export interface KeptView { dir: string; mounts: string[]; folders: string[]; created: string }

const file = (ctx: RunContext) => join(ctx.cacheDir, "views.json");

export async function readViews(ctx: RunContext): Promise<KeptView[]> {
  try {
    return JSON.parse(await readFile(file(ctx), "utf8")) as KeptView[];
  } catch {
    return [];
  }
}

async function writeViews(ctx: RunContext, views: KeptView[]): Promise<void> {
  await mkdir(ctx.cacheDir, { recursive: true, mode: 0o700 });
  await writeFile(file(ctx), JSON.stringify(views, null, 2) + "\n", { mode: 0o600 });
}

export async function recordView(ctx: RunContext, view: KeptView): Promise<void> {
  await writeViews(ctx, [...(await readViews(ctx)).filter((v) => v.dir !== view.dir), view]);
}

/** Takes down one kept view, or every view of the job when `dir` is absent. */
export async function releaseViews(ctx: RunContext, dir: string | undefined): Promise<string[]> {
  const views = await readViews(ctx);
  const chosen = dir === undefined ? views : views.filter((v) => v.dir === dir);
  if (chosen.length === 0) throw messages.notMounted(dir ?? ctx.job, views.map((v) => v.dir));
  for (const view of chosen) await takeDown(ctx, view);
  await writeViews(ctx, views.filter((v) => !chosen.includes(v)));
  return chosen.map((v) => v.dir);
}

export async function takeDown(ctx: RunContext, view: KeptView): Promise<void> {
  for (const mount of view.mounts) if (await isMounted(mount)) await unmount(ctx, mount, mount !== view.dir);
  for (const folder of view.folders) await rm(folder, { recursive: true, force: true });
}
