import { access, chmod, mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { messages } from "../../../core/messages.js";
import type { Secret } from "../../../core/secret.js";
import type { RunContext } from "../../../core/types.js";
import { allocateArgv, formatArgv, headerBackupArgv, mkfsArgv } from "./argv.js";
import { cryptsetup } from "./cryptsetup.js";
import { parseSize, type LuksOptions } from "./options.js";

export const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/**
 * `init`, first part: the file (sparse, reserved or zeroed, as seed 000 shows) and its LUKS
 * header. Until the whole init succeeds, a failure removes the file again, so nothing half
 * made looks like a container.
 */
export async function createContainer(ctx: RunContext, options: LuksOptions, image: string, key: Secret, context: { job: string; keySource: string }): Promise<void> {
  const bytes = parseSize(options.size)!;
  ctx.step(`create ${image} (${options.size}, ${options.allocate})`);
  if (!ctx.dryRun) await mkdir(dirname(image), { recursive: true, mode: 0o700 });
  await ctx.exec(allocateArgv(options.allocate, image, bytes));
  ctx.step(`write the LUKS header (${options.format.type}) with the key on stdin`);
  await cryptsetup(ctx, formatArgv(options.format, image), { image, job: context.job, keySource: context.keySource }, key);
}

/** A header backup saved at init; when it already exists it is left as it is. */
export async function backupHeader(ctx: RunContext, image: string, file: string, job: string): Promise<void> {
  if (!ctx.dryRun && (await exists(file))) {
    const size = (await stat(file)).size;
    if (size === 0) throw messages.luksHeaderBackupExists(file);
    return;
  }
  ctx.step(`save the LUKS header to ${file} (a damaged header loses everything)`);
  if (!ctx.dryRun) await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await cryptsetup(ctx, headerBackupArgv(image, file), { image, job });
  if (!ctx.dryRun) await chmod(file, 0o600);
}

export async function makeFilesystem(ctx: RunContext, device: string, job: string): Promise<void> {
  ctx.step(`make an ext4 filesystem in ${device} (all inode tables written now: no slow lazy init later)`);
  await ctx.exec({ tool: "mkfs.ext4", args: mkfsArgv(device, `ck-${job}`) });
}
