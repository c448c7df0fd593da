import { rmdir } from "node:fs/promises";
import { messageOf } from "../../../core/errors.js";
import { messages } from "../../../core/messages.js";
import type { RunContext } from "../../../core/types.js";
import { fsckCheckArgv, fsckRepairArgv, mountArgv } from "./argv.js";
import { mountsOf } from "./names.js";

/** The ext4 filesystem inside an open mapping: mount, unmount, check. */

export async function mountFilesystem(ctx: RunContext, device: string, dir: string, readOnly: boolean): Promise<void> {
  ctx.step(`mount ${device} at ${dir}${readOnly ? " read-only" : ""}`);
  try {
    await ctx.exec({ tool: "mount", args: mountArgv(device, dir, readOnly) });
  } catch (error) {
    throw messages.mountFailed(device, dir, messageOf(error).split("\n").slice(-1)[0]!);
  }
}

/** Unmounts every mount of `device` (or only `dir`); a mount still busy is retried for a few seconds. */
export async function unmountFilesystem(ctx: RunContext, device: string, dir?: string, removeDir = true): Promise<void> {
  const points = dir ? [dir] : await mountsOf(device);
  for (const point of points) {
    ctx.step(`unmount ${point}`);
    let last = "";
    for (let attempt = 0; attempt < 20; attempt++) {
      if (!ctx.dryRun && !(await mountsOf(device)).includes(point)) break;
      try {
        await ctx.exec({ tool: "umount", args: [point] });
        if (ctx.dryRun) break;
      } catch (error) {
        last = messageOf(error);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    if (!ctx.dryRun && (await mountsOf(device)).includes(point)) throw messages.unmountFailed(point, last);
    if (!ctx.dryRun && removeDir) await rmdir(point).catch(() => undefined);
  }
}

/** e2fsck -f -p: repairs what is safe after a run that did not close the container cleanly. */
export async function repairFilesystem(ctx: RunContext, device: string): Promise<void> {
  ctx.step(`check and repair ${device} (the last run did not close it cleanly)`);
  ctx.log.warn(`the container was not closed cleanly by the last run: checking its filesystem (e2fsck -f -p)`);
  const result = await ctx.exec({ tool: "e2fsck", args: fsckRepairArgv(device), okExitCodes: [1, 2, 4, 8, 12] });
  if (result.exitCode >= 4) throw messages.luksFsckFailed(device, result.exitCode, (result.stdout + result.stderr).trim().split("\n").slice(-3).join(" / "));
}

/** e2fsck -f -n for verify: a non-zero exit means errors were found (nothing is changed). */
export async function checkFilesystem(ctx: RunContext, device: string, image: string): Promise<void> {
  ctx.step(`check the filesystem in ${device} without changing it (e2fsck -n)`);
  const result = await ctx.exec({ tool: "e2fsck", args: fsckCheckArgv(device), okExitCodes: [1, 2, 4, 8] });
  if (result.exitCode !== 0) throw messages.luksFsckErrors(image, (result.stdout + result.stderr).trim().split("\n").slice(-4).join(" / "));
}
