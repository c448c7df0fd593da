import { mkdir } from "node:fs/promises";
import { z } from "zod";
import { definePlugin } from "../../core/config/define.js";
import { cleanStaleMounts } from "./mounts.js";

const PLUGIN_NAME = "transport:local";

export const localTargetOptions = z.strictObject({
  /** A folder on this machine (a USB disk, a mounted LUKS volume, a NAS mount). */
  path: z.string().min(1),
});

/** A target that is a folder on this machine. */
export const localTarget = definePlugin(PLUGIN_NAME, localTargetOptions, (engine, options) => {
  const path = engine.resolvePath(options.path);
  engine.provide("target", { description: path, localPath: path, ssh: undefined });
  engine.hooks.connect.tapPromise(PLUGIN_NAME, async (ctx) => {
    await cleanStaleMounts(ctx);
    if (ctx.command !== "init") return;
    ctx.step(`create ${path}`);
    if (!ctx.dryRun) await mkdir(path, { recursive: true, mode: 0o700 });
  });
});
