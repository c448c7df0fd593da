import { rm, stat } from "node:fs/promises";
import { messages } from "../../../core/messages.js";
import { describeSource, Secret } from "../../../core/secret.js";
import type { RunContext } from "../../../core/types.js";
import { closeArgv, devicePath, extendArgv, isLuksArgv, openArgv, type OpenFlags } from "./argv.js";
import { cryptsetup } from "./cryptsetup.js";
import { backupHeader, createContainer, exists, makeFilesystem } from "./create.js";
import { checkFilesystem, repairFilesystem, unmountFilesystem } from "./filesystem.js";
import { ensureKey, luksKey } from "./key.js";
import { mappingName, mappings, pidAlive, staleMappings } from "./names.js";
import { parseSize, type LuksOptions } from "./options.js";
import { markClosed, markOpen, wasLeftOpen } from "./state.js";

/** Commands that only read the backup: the container opens read-only. */
export const READ_ONLY = new Set(["verify", "restore", "snapshots", "mount", "status"]);

export interface OpenedContainer {
  mapping: string; device: string; key: Secret; readOnly: boolean; created: boolean; sizeBefore: number;
  /** Called when the whole `init` succeeded: until then, a new container is removed at teardown. */
  initDone(): void;
  /** Closes the mapping now (its filesystem unmounted first); the deferred close then has nothing left to do. */
  close(): Promise<void>;
}

/** Closes the mappings of this job that crashed runs left (their mounts first); the next open then checks the filesystem. */
export async function closeStaleMappings(ctx: RunContext, image: string): Promise<void> {
  if (ctx.dryRun) return;
  for (const name of staleMappings(ctx.job, await mappings(), pidAlive)) {
    ctx.log.warn(`closing ${name}, left open by a run of job '${ctx.job}' that crashed`);
    await unmountFilesystem(ctx, devicePath(name));
    await cryptsetup(ctx, closeArgv(name), { image, job: ctx.job });
  }
}

async function close(ctx: RunContext, mapping: string, image: string, readOnly: boolean): Promise<void> {
  ctx.step(`close the LUKS mapping ${mapping}`);
  for (let attempt = 0; ; attempt++) {
    try {
      await cryptsetup(ctx, closeArgv(mapping), { image, job: ctx.job });
      break;
    } catch (error) {
      // udev or a just-finished umount can hold the device for a moment.
      if (attempt >= 10) throw error;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  if (!readOnly) await markClosed(ctx);
}

/**
 * Opens the container for the current command, deferring the close: creates it first under
 * `init`, enlarges the file first under `grow`, checks the filesystem when the last run did not
 * close it cleanly (and, read-only, under `verify`), makes the filesystem when it was just created.
 * Read-only for the commands that only read, or when `readOnly` says so. `keep`: the mapping
 * stays open on success (the `mount` command's view).
 */
export async function openContainer(ctx: RunContext, options: LuksOptions, image: string, flags: OpenFlags & { keep?: () => boolean } = {}): Promise<OpenedContainer> {
  const keySource = describeSource(options.key);
  const context = { image, job: ctx.job, keySource };
  const readOnly = flags.readOnly ?? READ_ONLY.has(ctx.command);
  const present = ctx.dryRun || (await exists(image));
  let key: Secret;
  let created = false;
  let done = false;
  if (ctx.command === "init" && !(await exists(image))) {
    // What this init makes is removed again unless it all succeeds: no container, key or header that looks usable but is not.
    const made = [image, ...(options.headerBackup ? [ctx.resolvePath(options.headerBackup)] : [])];
    if ("file" in options.key && !(await exists(ctx.resolvePath(options.key.file)))) made.push(ctx.resolvePath(options.key.file));
    ctx.defer(`remove ${made.join(", ")} unless init finished`, async () => {
      if (!done && !ctx.dryRun) for (const path of made) await rm(path, { force: true });
    });
    key = await ensureKey(ctx, options);
    await createContainer(ctx, options, image, key, context);
    created = true;
  } else if (ctx.dryRun) {
    // plan reads no secret: the commands it shows take the key on stdin anyway.
    key = new Secret("", "the key source");
  } else {
    if (!present) throw messages.luksNotInitialized(image, ctx.job);
    if (ctx.command === "init") {
      const probe = await ctx.exec({ tool: "cryptsetup", args: isLuksArgv(image), okExitCodes: [1] });
      if (probe.exitCode !== 0) throw messages.luksImageNotLuks(image);
    }
    key = await luksKey(ctx, options);
  }
  const sizeBefore = ctx.dryRun ? 0 : (await stat(image)).size;
  if (ctx.command === "grow") await extend(ctx, options, image, sizeBefore);
  if (ctx.command === "init" && options.headerBackup) await backupHeader(ctx, image, ctx.resolvePath(options.headerBackup), ctx.job);

  const mapping = mappingName(ctx.job, ctx.command === "mount" ? "view" : process.pid);
  const device = devicePath(mapping);
  const leftOpen = !readOnly && (await wasLeftOpen(ctx));
  ctx.step(`open ${image} as ${device}${readOnly ? " read-only" : ""}${flags.allowDiscards ? " with discards allowed" : ""} (key on stdin)`);
  await cryptsetup(ctx, openArgv(image, mapping, { readOnly, allowDiscards: flags.allowDiscards }), context, key);
  let closed = false;
  const closeOnce = async () => {
    if (closed) return;
    await close(ctx, mapping, image, readOnly);
    closed = true;
  };
  ctx.defer(`close LUKS mapping ${mapping}`, async () => { if (!flags.keep?.()) await closeOnce(); });
  if (!readOnly) await markOpen(ctx, image, mapping);
  if (created) await makeFilesystem(ctx, device, ctx.job);
  else if (leftOpen) await repairFilesystem(ctx, device);
  if (ctx.command === "verify") await checkFilesystem(ctx, device, image);
  return { mapping, device, key, readOnly, created, sizeBefore, initDone: () => { done = true; }, close: closeOnce };
}

async function extend(ctx: RunContext, options: LuksOptions, image: string, current: number): Promise<void> {
  const wanted = parseSize(ctx.options.size ?? "");
  if (wanted === undefined) throw messages.luksBadSize("--size", ctx.options.size ?? "");
  if (!ctx.dryRun && wanted <= current) throw messages.luksGrowNotLarger(image, current, wanted);
  ctx.step(`enlarge ${image} to ${ctx.options.size} (${options.allocate})`);
  await ctx.exec(extendArgv(options.allocate, image, current, wanted));
}
