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
  // plan mounts nothing: it reads the target over its own protocol where the transport can, else says it cannot.
  const store = (): Store => {
    if (!planning) return mounted();
    const reader = target().planReader?.(options.folder);
    if (!reader) throw messages.planCannotReadMount(target().description);
    return reader;
  };
  const mounted = (): LocalStore => {
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
    if (ctx.command === "init") await mkdir(mounted().root, { recursive: true, mode: 0o700 });
    else if (ctx.command === "backup" || ctx.command === "prune") await mounted().checkWritable();
    else await mounted().checkReadable();
  });
});
