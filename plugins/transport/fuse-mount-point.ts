import { mkdir, mkdtemp, readFile, rm, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PREFIX } from "../../core/paths.js";
import { messageOf } from "../../core/errors.js";
import type { RunContext } from "../../core/types.js";

/** `<cacheDir>/mnt/cryptkeep-<kind>-<pid>`: a later run recognises what a crashed one left. */
export async function makeMountPoint(ctx: RunContext, kind: string): Promise<string> {
  const dir = join(ctx.cacheDir, "mnt", `${PREFIX}${kind}-${process.pid}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export async function isMounted(dir: string): Promise<boolean> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text.split("\n").some((line) => line.split(" ")[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === dir);
}

/** Unmounts (umount waits for pending uploads of davfs2), retrying a busy mount for a few seconds. */
export async function unmountAndRemove(ctx: RunContext, dir: string): Promise<void> {
  let last = "";
  for (let attempt = 0; attempt < 25 && (await isMounted(dir)); attempt++) {
    await ctx.exec({ tool: "umount", args: [dir] }).catch(async (error: unknown) => {
      last = messageOf(error);
      await new Promise((r) => setTimeout(r, 200));
    });
  }
  if (await isMounted(dir)) throw new Error(`${dir} is still mounted: ${last}`);
  await rmdir(dir).catch(() => undefined);
}

/**
 * A folder only root can enter, for the one file a mount tool insists on reading a secret from;
 * the caller defers `remove` so the secret is gone when the run ends.
 */
export async function privateTempDir(kind: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `${PREFIX}${kind}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
