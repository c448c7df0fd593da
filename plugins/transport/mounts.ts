import { chmod, mkdir, mkdtemp, readFile, readdir, rm, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { PREFIX } from "../../core/paths.js";
import { messages } from "../../core/messages.js";
import { messageOf } from "../../core/errors.js";
import type { RunContext } from "../../core/types.js";

/**
 * Mount points cryptkeep makes (FUSE: sshfs, gocryptfs, s3fs; davfs2) live under `<cacheDir>/mnt/` and are named
 * `cryptkeep-<kind>-<pid>`, so a later run finds what a crashed run left and unmounts it.
 * Views kept for `cryptkeep mount` are named `cryptkeep-kept-...` and are left alone.
 */
export function mountRoot(ctx: RunContext): string {
  return join(ctx.cacheDir, "mnt");
}

export async function makeMountPoint(ctx: RunContext, kind: string): Promise<string> {
  const dir = join(mountRoot(ctx), `${PREFIX}${kind}-${process.pid}`);
  if (!ctx.dryRun) await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export async function makeKeptDir(ctx: RunContext, kind: string): Promise<string> {
  const dir = join(mountRoot(ctx), `${PREFIX}kept-${kind}-${Date.now()}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A mount made for one run (`cryptkeep-<kind>-<pid>`), taken down when the run ends: nothing kept may stand on it. */
export function isRunMount(path: string): boolean {
  return new RegExp(`^${PREFIX}[a-z0-9]+-\\d+$`).test(basename(path));
}

/** Mount points of this process's mount namespace, in mount order (mountinfo escapes spaces as \040). */
export async function mountedPaths(): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text.split("\n").filter(Boolean).map((line) => line.split(" ")[4]!.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
}

export async function isMounted(dir: string): Promise<boolean> {
  return (await mountedPaths()).includes(dir);
}

/**
 * Kinds whose mounts only umount(8) may take down: davfs2's umount helper waits until every
 * cached write reached the server, where `fusermount -u` would drop them.
 */
const UNMOUNTED_BY_UMOUNT = new Set(["davfs"]);

function unmountCommand(dir: string): { tool: string; args: string[] } {
  const kind = new RegExp(`^${PREFIX}([a-z0-9]+)-`).exec(basename(dir))?.[1];
  return kind && UNMOUNTED_BY_UMOUNT.has(kind) ? { tool: "umount", args: [dir] } : { tool: "fusermount", args: ["-u", dir] };
}

/**
 * Unmounts a mount cryptkeep made. A mount that was just left (an inner gocryptfs view
 * closing) can be busy for a moment, so it retries for a few seconds before giving up.
 */
export async function unmount(ctx: RunContext, dir: string, removeDir = true): Promise<void> {
  const command = unmountCommand(dir);
  let last = "";
  for (let attempt = 0; attempt < 25; attempt++) {
    if (!(await isMounted(dir))) break;
    try {
      await ctx.exec(command);
    } catch (error) {
      last = messageOf(error);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (await isMounted(dir)) throw messages.unmountFailed(dir, last, [command.tool, ...command.args].join(" "));
  if (removeDir) await rmdir(dir).catch(() => undefined);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Unmounts, innermost first, what crashed runs of this job left under its mount root, then removes their folders (copies too). */
export async function cleanStaleMounts(ctx: RunContext): Promise<void> {
  if (ctx.dryRun) return;
  const root = `${mountRoot(ctx)}/`;
  const pattern = new RegExp(`^${PREFIX}[a-z0-9]+-(\\d+)$`);
  const stale = (await mountedPaths()).filter((path) => {
    const pid = pattern.exec(basename(path))?.[1];
    return path.startsWith(root) && pid !== undefined && Number(pid) !== process.pid && !pidAlive(Number(pid));
  });
  for (const dir of stale.reverse()) {
    ctx.log.warn(`unmounting ${dir}, left mounted by a run that crashed`);
    await unmount(ctx, dir);
  }
  const mounted = await mountedPaths();
  for (const name of await readdir(mountRoot(ctx)).catch(() => [] as string[])) {
    const pid = pattern.exec(name)?.[1];
    const dir = join(mountRoot(ctx), name);
    if (pid === undefined || Number(pid) === process.pid || pidAlive(Number(pid)) || mounted.includes(dir)) continue;
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A folder only root can enter (0711: davfs2's daemon may pass through to its cache), for the
 * files a mount tool insists on reading a secret from. Named `cryptkeep-<kind>-<pid>-…` in the
 * temp folder; the caller defers `remove`, and `cleanStalePrivateDirs` removes what a crashed
 * run left.
 */
export async function makePrivateDir(kind: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `${PREFIX}${kind}-${process.pid}-`));
  await chmod(dir, 0o711);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Removes the private folders of `kind` whose run is gone (call after `cleanStaleMounts`: a stale mount may still use one). */
export async function cleanStalePrivateDirs(ctx: RunContext, kind: string): Promise<void> {
  if (ctx.dryRun) return;
  const pattern = new RegExp(`^${PREFIX}${kind}-(\\d+)-`);
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || pidAlive(Number(pid))) continue;
    ctx.log.warn(`removing ${join(tmpdir(), name)}, left by a run that crashed`);
    await rm(join(tmpdir(), name), { recursive: true, force: true });
  }
}
