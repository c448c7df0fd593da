import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunContext } from "../../../core/types.js";

/**
 * Whether the last run that opened the container for writing also closed it. Written before the
 * filesystem is mounted for writing, removed once the mapping is closed: when it is still there,
 * the next run checks the filesystem (e2fsck) before using it.
 */
const file = (ctx: RunContext) => join(ctx.cacheDir, "luks-open.json");

export async function wasLeftOpen(ctx: RunContext): Promise<boolean> {
  return readFile(file(ctx)).then(() => true, () => false);
}

export async function markOpen(ctx: RunContext, image: string, mapping: string): Promise<void> {
  if (ctx.dryRun) return;
  await mkdir(ctx.cacheDir, { recursive: true, mode: 0o700 });
  await writeFile(file(ctx), JSON.stringify({ image, mapping, pid: process.pid, since: new Date().toISOString() }) + "\n", { mode: 0o600 });
}

export async function markClosed(ctx: RunContext): Promise<void> {
  if (!ctx.dryRun) await rm(file(ctx), { force: true });
}
