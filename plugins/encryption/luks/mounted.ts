import type { RunContext } from "../../../core/types.js";
import { makeMountPoint } from "../../transport/mounts.js";
import { openContainer, type OpenedContainer } from "./container.js";
import { mountFilesystem, unmountFilesystem } from "./filesystem.js";
import type { LuksOptions } from "./options.js";

/** The filesystem of an open container, mounted for this run; `unmount` runs once, now or at teardown. */
export interface MountedFilesystem { dir: string; unmount(): Promise<void> }

/** Mounts the container's ext4 (read-only as `ro,noload` when it was opened read-only) and defers the unmount. */
export async function mountOpened(ctx: RunContext, opened: OpenedContainer): Promise<MountedFilesystem> {
  const dir = await makeMountPoint(ctx, "luks");
  await mountFilesystem(ctx, opened.device, dir, opened.readOnly);
  let done = false;
  const unmount = async () => {
    if (done) return;
    await unmountFilesystem(ctx, opened.device, dir);
    done = true;
  };
  ctx.defer(`unmount ${dir}`, unmount);
  return { dir, unmount };
}

/**
 * Before a restore drill in a run that wrote (the drill after `backup`): the read-write mount is
 * taken down and the mapping closed (the backup's writes reach the image), then the container is
 * opened again as `cryptkeep recipe` does it, `cryptsetup open --readonly` and `mount -o
 * ro,noload`, so the drill reads what a restore by hand would read and cannot change it. The new
 * mapping and mount are closed by deferred steps like the first ones.
 */
export async function reopenReadOnly(ctx: RunContext, options: LuksOptions, image: string, opened: OpenedContainer, mounted: MountedFilesystem): Promise<{ opened: OpenedContainer; mounted: MountedFilesystem }> {
  ctx.step("restore drill: close the container the backup wrote to, then open it read-only the way the recipe does");
  await mounted.unmount();
  await opened.close();
  const readOnly = await openContainer(ctx, options, image, { readOnly: true });
  return { opened: readOnly, mounted: await mountOpened(ctx, readOnly) };
}
