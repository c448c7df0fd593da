import type { CommandSink } from "../../../core/runner.js";
import { endedOfBrokenPipe } from "../../../core/runner.js";
import type { RunContext } from "../../../core/types.js";
import type { Manifest } from "./manifest.js";
import { END_OF_ARCHIVE, deferred, inOrder, makeFolders, type ParallelPlan } from "./parallel-extract.js";
import { extractArgs } from "./tar-args.js";
import { ensureIntact, type VolumeDeps } from "./volume-reader.js";
import { sendSlice, type Slice } from "./volume-slice.js";
import type { VolumePart } from "./ranged-extract.js";

/**
 * Archives extracted with node off the data path: each volume, checked against the manifest
 * first, goes `decrypt | zstd -d | dd` straight into its tar's stdin by kernel pipes (volume-slice.ts).
 * Node only orders the writers: a tar's stdin stays open from one writer to the next.
 */

/**
 * Sends a slice into a tar. When the tar has stopped reading (a full disk, say), its own failure
 * is the one to report, not the broken pipe of the commands writing to it.
 */
async function feed(ctx: RunContext, deps: VolumeDeps, manifest: Manifest, k: number, slice: Slice, tar: CommandSink, stop?: AbortSignal): Promise<void> {
  const volume = manifest.volumes[k]!;
  try {
    await sendSlice(ctx, deps, manifest, volume, slice, tar.stdin, stop);
  } catch (error) {
    if (endedOfBrokenPipe(error)) await tar.done;
    throw error;
  }
  const whole = volume.tarEnd - volume.tarStart;
  ctx.progress.update({ bytes: slice.count ?? whole - (slice.skip ?? 0) });
}

/** One tar extracting `manifest`'s archive, its volumes in order: extractArgs(dest, members). */
export async function extractPiped(ctx: RunContext, deps: VolumeDeps, manifest: Manifest, dest: string, members: string[]): Promise<void> {
  await extractParts(ctx, deps, manifest, manifest.volumes.map((_, k) => ({ volume: k, slice: {} })), dest, members);
}

/**
 * One tar extracting `members` from `parts` of the archive, in order (the whole archive, or the
 * parts that hold the members: partsHolding). Each volume used is checked against the manifest
 * first: a dd that stops early stops gpg before its integrity check. Parts that end before the
 * archive does are followed by the end-of-archive blocks.
 */
export async function extractParts(ctx: RunContext, deps: VolumeDeps, manifest: Manifest, parts: VolumePart[], dest: string, members: string[]): Promise<void> {
  const tar = ctx.sink({ tool: "tar", args: extractArgs(dest, members), env: { LC_ALL: "C" } });
  const checked = new Set<number>();
  try {
    for (const part of parts) {
      if (!checked.has(part.volume)) await ensureIntact(deps.store, manifest, manifest.volumes[part.volume]!);
      checked.add(part.volume);
      await feed(ctx, deps, manifest, part.volume, part.slice, tar);
    }
    const last = parts.at(-1);
    const whole = last !== undefined && last.volume === manifest.volumes.length - 1 && last.slice.count === undefined;
    tar.stdin.end(whole ? undefined : END_OF_ARCHIVE);
    await tar.done;
  } catch (error) {
    tar.stdin.destroy();
    tar.kill();
    await tar.done.catch(() => undefined);
    throw error;
  }
}

/**
 * extractInParallel (parallel-extract.ts) with node off the data path. Volume k's tar gets its
 * range from the first member that starts in it: `dd skip=` drops the end of the member straddling
 * from volume k-1, and after it a second, short `decrypt | zstd -d | dd count=` of volume k+1
 * supplies the end of the member straddling into it. The folders' tar gets volume 0's head the
 * same way, and the end of the archive from node once every file is in.
 */
export async function extractInParallelPiped(ctx: RunContext, deps: VolumeDeps, manifest: Manifest, plan: ParallelPlan, dest: string, workers: number): Promise<void> {
  const volumes = manifest.volumes;
  const tars: CommandSink[] = [];
  const startTar = (args: string[]) => {
    const tar = ctx.sink({ tool: "tar", args, env: { LC_ALL: "C" } });
    tars.push(tar);
    return tar;
  };
  await makeFolders(manifest, dest);
  const folders = startTar(["--extract", "--file=-", `--directory=${dest}`]);
  const checked = volumes.map(() => deferred<void>());
  const stop = new AbortController();

  const extractVolume = async (k: number) => {
    const volume = volumes[k]!;
    const own = startTar(extractArgs(dest, []));
    await ensureIntact(deps.store, manifest, volume);
    checked[k]!.resolve();
    const rangeStart = plan.starts[k]! - volume.tarStart;
    const sending = [feed(ctx, deps, manifest, k, { skip: rangeStart }, own, stop.signal)];
    if (k === 0 && rangeStart > 0) sending.push(feed(ctx, deps, manifest, 0, { count: rangeStart }, folders, stop.signal));
    await Promise.all(sending);
    if (k + 1 < volumes.length) {
      await checked[k + 1]!.promise;
      const straddling = plan.starts[k + 1]! - volumes[k + 1]!.tarStart;
      if (straddling > 0) await feed(ctx, deps, manifest, k + 1, { count: straddling }, own, stop.signal);
    }
    own.stdin.end(END_OF_ARCHIVE);
    await own.done;
  };

  try {
    const all = inOrder(volumes.length, workers, extractVolume);
    // The folders' tar failing (a full disk, say) must not leave the others waiting on it.
    await Promise.race([all, folders.done.then(() => all)]);
    folders.stdin.end(END_OF_ARCHIVE);
    await folders.done;
  } catch (error) {
    stop.abort();
    for (const volume of checked) volume.reject(error);
    for (const tar of tars) {
      tar.stdin.destroy();
      tar.kill();
    }
    await Promise.all(tars.map((tar) => tar.done.catch(() => undefined)));
    throw error;
  }
}
