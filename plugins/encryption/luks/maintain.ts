import { stat, statfs } from "node:fs/promises";
import type { ContainerSummary, RunContext } from "../../../core/types.js";
import { resizeArgv } from "./argv.js";
import type { OpenedContainer } from "./container.js";
import { cryptsetup } from "./cryptsetup.js";

async function sizes(image: string): Promise<{ size: number; allocated: number }> {
  const info = await stat(image);
  return { size: info.size, allocated: info.blocks * 512 };
}

async function filesystemBytes(ctx: RunContext, dir: string): Promise<number> {
  if (ctx.dryRun) return 0;
  const fs = await statfs(dir);
  return fs.blocks * fs.bsize;
}

/** `grow`, after the open hook enlarged the file and opened it: the mapping, then ext4 online (seeds 000 and 003). */
export async function growContainer(ctx: RunContext, opened: OpenedContainer, image: string, mountPoint: string): Promise<ContainerSummary> {
  ctx.step(`resize the LUKS mapping ${opened.mapping} to the file's new size`);
  await cryptsetup(ctx, resizeArgv(opened.mapping), { image, job: ctx.job }, opened.key);
  ctx.step(`grow the ext4 filesystem in ${opened.device} (online, mounted at ${mountPoint})`);
  await ctx.exec({ tool: "resize2fs", args: [opened.device] });
  const after = ctx.dryRun ? { size: 0, allocated: 0 } : await sizes(image);
  return { container: image, sizeBefore: opened.sizeBefore, sizeAfter: after.size, allocatedAfter: after.allocated, filesystemBytes: await filesystemBytes(ctx, mountPoint), notes: [] };
}

/** `trim`: the container was opened with --allow-discards; fstrim hands the space of deleted files back to the disk under the file. */
export async function trimContainer(ctx: RunContext, opened: OpenedContainer, image: string, mountPoint: string): Promise<ContainerSummary> {
  const before = ctx.dryRun ? { size: 0, allocated: 0 } : await sizes(image);
  ctx.step(`discard the free blocks of the filesystem (fstrim), punching holes in ${image}`);
  const { stdout } = await ctx.exec({ tool: "fstrim", args: ["-v", mountPoint] });
  const trimmed = /\((\d+) bytes\) trimmed/.exec(stdout)?.[1];
  const after = ctx.dryRun ? before : await sizes(image);
  const notes = after.allocated >= before.allocated && Number(trimmed ?? 0) > 0
    ? [`the file did not shrink: the filesystem under ${image} may not support punching holes (ext4, xfs, btrfs and tmpfs do)`]
    : [];
  return {
    container: image, sizeBefore: before.size, sizeAfter: after.size, allocatedBefore: before.allocated, allocatedAfter: after.allocated,
    filesystemBytes: await filesystemBytes(ctx, mountPoint), trimmedBytes: trimmed === undefined ? undefined : Number(trimmed), notes,
  };
}
