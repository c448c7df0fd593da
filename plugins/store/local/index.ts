import { mkdir } from "node:fs/promises";
import { z } from "zod";
import { definePlugin } from "../../../core/config/define.js";
import { LocalStore } from "./local-store.js";

const PLUGIN_NAME = "store:local";

export const localStoreOptions = z.strictObject({
  /** Folder that receives the backup; relative paths are relative to the config file. */
  path: z.string().min(1),
});

/** Keeps the backup in a local folder: a USB disk, a NAS mount, another partition. */
export const localStore = definePlugin(PLUGIN_NAME, localStoreOptions, (engine, options) => {
  const store = new LocalStore(engine.resolvePath(options.path));
  engine.provide("store", store);

  engine.hooks.connect.tapPromise(PLUGIN_NAME, async (ctx) => {
    ctx.step(`use ${store.description}`);
    if (ctx.dryRun) return;
    if (ctx.command === "init") {
      await mkdir(store.root, { recursive: true, mode: 0o700 });
      return;
    }
    if (ctx.command === "backup" || ctx.command === "prune") await store.checkWritable();
    else if (ctx.command !== "doctor" && ctx.command !== "recipe") await store.checkReadable();
  });

  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (_ctx, checks) => {
    const target = store;
    const writable = await target.checkWritable().then(() => "", (error: Error) => error.message);
    checks.push({ name: "target", ok: writable === "", detail: writable || `${target.root} is writable` });
    const free = await target.freeBytes();
    if (free !== undefined) checks.push({ name: "free space at target", ok: free > 64 * 1024 * 1024, found: `${Math.floor(free / 1048576)} MiB`, detail: "free space where volumes are written" });
  });
});
