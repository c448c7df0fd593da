import { join } from "node:path";
import { Engine } from "../../core/engine.js";
import { Logger } from "../../core/log.js";
import { runSession } from "../../core/session.js";
import type { Plugin } from "../../core/types.js";
import { scratchDir } from "../helpers/cli.js";

export interface MountedRun {
  /** The mount point (Target.localPath) while the run lasts. */
  localPath: string;
  /** Ends the run: the transport's deferred unmount (and server-side check) runs; rejects if they fail. */
  finish(): Promise<void>;
}

/**
 * Runs a real session (connect hook, deferred undo) with a transport plugin and keeps it open
 * until `finish`, so a contract suite can use the mount the plugin made.
 */
export async function openMountedRun(transport: Plugin): Promise<MountedRun> {
  const engine = new Engine("contract", "/");
  engine.use(transport, transport.schema ? transport.schema.parse(transport.options) : transport.options);
  const cacheRoot = await scratchDir("cryptkeep-cache-");
  let release!: () => void;
  let mounted!: (path: string) => void;
  let failed!: (error: unknown) => void;
  const ready = new Promise<string>((resolve, reject) => { mounted = resolve; failed = reject; });
  const session = runSession(engine, {
    command: "backup", options: {}, log: new Logger("error", () => undefined), cacheRoot: join(cacheRoot, "cache"),
    tools: {}, lock: false, connect: true,
  }, async () => {
    mounted(engine.service("target").localPath!);
    await new Promise<void>((resolve) => { release = resolve; });
  });
  session.catch(failed);
  const localPath = await ready;
  return { localPath, finish: async () => { release(); await session; } };
}
