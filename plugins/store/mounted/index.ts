import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { z } from "zod";
import { definePlugin } from "../../../core/config/define.js";
import type { Store } from "../../../core/types.js";
import { messages } from "../../../core/messages.js";
import { LocalStore } from "../local/local-store.js";

const PLUGIN_NAME = "store:mounted";

export const mountedStoreOptions = z.strictObject({
  /** Subfolder of the mounted target that holds the backup. @default "" (the mount's root) */
  folder: z.string().default(""),
});

/**
 * A LocalStore on the folder a transport mounted (davfs, s3fs, sshfs): the `target` service's
 * localPath, known only once the transport's connect hook ran. Apply it after the transport.
 */
export const mountedStore = definePlugin(PLUGIN_NAME, mountedStoreOptions, (engine, options) => {
  let local: LocalStore | undefined;
  let planning = false;
  const target = () => engine.service("target");
  const store = (): LocalStore => {
    // plan mounts nothing, so what is at the target cannot be read: say so, rather than "not set up".
    if (planning) throw messages.planCannotReadMount(target().description);
    const path = target().localPath;
    if (!path) throw new Error(`${target().description} has no local folder: it was not mounted`);
    if (local?.root !== join(path, options.folder)) local = new LocalStore(join(path, options.folder));
    return local;
  };
  const delegate: Store & { readonly root: string | undefined } = {
    get description() { return `${target().description}${options.folder ? `, folder ${options.folder}` : ""}`; },
    get root() { return local?.root; },
    put: (name: string, data: Readable, signal?: AbortSignal) => store().put(name, data, signal),
    get: (name: string) => store().get(name),
    list: (prefix: string) => store().list(prefix),
    exists: (name: string) => store().exists(name),
    delete: (name: string) => store().delete(name),
    deleteAll: (prefix: string) => store().deleteAll(prefix),
    freeBytes: () => store().freeBytes(),
  };
  engine.provide("store", delegate);

  engine.hooks.connect.tapPromise(PLUGIN_NAME, async (ctx) => {
    planning = ctx.dryRun;
    if (ctx.dryRun || ctx.command === "doctor" || ctx.command === "recipe") return;
    if (ctx.command === "init") await mkdir(store().root, { recursive: true, mode: 0o700 });
    else if (ctx.command === "backup" || ctx.command === "prune") await store().checkWritable();
    else await store().checkReadable();
  });
});
