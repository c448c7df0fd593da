import { mkdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { StreamingCommand } from "../../../core/runner.js";
import type { Cipher, RunContext, Store } from "../../../core/types.js";
import type { Manifest } from "./manifest.js";
import { extractArgs } from "./tar-args.js";
import { openVolume, readFailure } from "./volume-reader.js";

/**
 * Where a full archive's tar stream can be cut for several tars at once. Volumes are cut at
 * fixed tar offsets, so a member can straddle two; each volume's range instead starts at the
 * first member that begins in it, and the bytes before that (the end of the straddling member)
 * are handed to the previous volume's tar.
 */
export interface ParallelPlan {
  /** [0, foldersEnd): every folder member; GNU tar writes them all before the first file of an incremental-format archive. */
  foldersEnd: number;
  /** Per volume, where its range starts (volume 0: foldersEnd); the range ends where the next volume's starts. */
  starts: number[];
}

/** The most of a straddling member's end a volume holds for the previous volume's tar (in memory) before the archive is extracted by one tar instead. */
export const HANDOFF_LIMIT = 16 * 1024 * 1024;
/** mkdir calls in flight while the folders are made. */
const FOLDERS_AT_ONCE = 8;
/** Two zero blocks: the end of a tar archive, after a range that is not the archive's last. */
export const END_OF_ARCHIVE = Buffer.alloc(1024);

/**
 * A plan to extract `manifest`'s archive with a tar per volume, or undefined when one tar must
 * do it: an incremental (its folders rename and delete what earlier archives made, in order),
 * fewer than two volumes or workers, hard links (a link's tar could run before its target's),
 * folders not all first, or a volume with no member starting within HANDOFF_LIMIT of its start.
 */
export function planParallelExtract(manifest: Manifest, workers: number): ParallelPlan | undefined {
  const volumes = manifest.volumes;
  if (manifest.type !== "full" || workers < 2 || volumes.length < 2) return undefined;
  let lastFolder = -1;
  const starts: number[] = [];
  for (const entry of manifest.files) {
    if (!entry.inArchive || entry.tarStart === undefined) continue;
    if (entry.type === "hardlink") return undefined;
    if (entry.type === "dir") lastFolder = Math.max(lastFolder, entry.tarStart);
    else starts.push(entry.tarStart);
  }
  starts.sort((a, b) => a - b);
  // The folders end where the first other member starts (a member's recorded end is its data's, before the padding).
  const foldersEnd = starts[0];
  if (foldersEnd === undefined || foldersEnd < lastFolder || foldersEnd > volumes[0]!.tarEnd) return undefined;
  const planned = [foldersEnd];
  for (const volume of volumes.slice(1)) {
    const start = starts[firstAtLeast(starts, volume.tarStart)];
    if (start === undefined || start >= volume.tarEnd || start - volume.tarStart > HANDOFF_LIMIT) return undefined;
    planned.push(start);
  }
  return { foldersEnd, starts: planned };
}

function firstAtLeast(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

export interface Deferred<T> { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void }

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => { resolve = yes; reject = no; });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Writes with backpressure; a stream destroyed meanwhile (the restore failed elsewhere) is an error, not a wait for ever. */
async function writeTo(stream: Writable, chunk: Buffer): Promise<void> {
  if (stream.destroyed) throw new Error("the folders' tar input was closed");
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const drained = () => { stream.off("close", closed); resolve(); };
    const closed = () => { stream.off("drain", drained); reject(new Error("the folders' tar input was closed")); };
    stream.once("drain", drained);
    stream.once("close", closed);
  });
}

/**
 * Extracts a full archive into the empty folder `dest` following `plan`: up to `workers` volumes
 * at once, each decrypted and decompressed into its own `tar --extract`. One more tar gets the
 * folder members first and the end of the archive last, once every file is in, so it creates the
 * folders and then sets their modes and times as the single tar of the recipe would; it runs
 * without --listed-incremental, which on an empty folder only skips a purge that finds nothing.
 */
export async function extractInParallel(
  ctx: RunContext,
  deps: { store: Store; cipher: Cipher },
  manifest: Manifest,
  plan: ParallelPlan,
  dest: string,
  workers: number,
): Promise<void> {
  const tars: { input: PassThrough; tar: StreamingCommand }[] = [];
  const startTar = (args: string[]) => {
    const input = new PassThrough({ highWaterMark: 1 << 20 });
    const started = { input, tar: ctx.stream({ tool: "tar", args, input, env: { LC_ALL: "C" } }) };
    tars.push(started);
    return started;
  };
  await makeFolders(manifest, dest);
  const folders = startTar(["--extract", "--file=-", `--directory=${dest}`]);
  const heads = manifest.volumes.map(() => deferred<Buffer[]>());
  const opened: Readable[] = [];
  let stopped = false;

  const extractVolume = async (k: number) => {
    const volume = manifest.volumes[k]!;
    const own = startTar(extractArgs(dest, []));
    const headEnd = plan.starts[k]!;
    async function* bytes(): AsyncGenerator<Buffer> {
      const head: Buffer[] = [];
      let position = volume.tarStart;
      if (position >= headEnd) heads[k]!.resolve(head);
      try {
        const plain = await openVolume(ctx, deps, manifest, volume);
        opened.push(plain);
        if (stopped) plain.destroy();
        for await (const chunk of plain as AsyncIterable<Buffer>) {
          let rest = chunk;
          if (position < headEnd) {
            const part = rest.subarray(0, headEnd - position);
            rest = rest.subarray(part.length);
            position += part.length;
            if (k === 0) {
              ctx.progress.update({ bytes: part.length });
              await writeTo(folders.input, part);
            } else {
              head.push(part);
            }
            if (position === headEnd) heads[k]!.resolve(head);
          }
          if (rest.length === 0) continue;
          position += rest.length;
          ctx.progress.update({ bytes: rest.length });
          yield rest;
        }
      } catch (error) {
        throw readFailure(ctx, manifest, volume, error);
      }
      if (position !== volume.tarEnd) throw readFailure(ctx, manifest, volume, new Error(`it holds ${position - volume.tarStart} tar bytes, the manifest says ${volume.tarEnd - volume.tarStart}`));
      for (const part of k + 1 < manifest.volumes.length ? await heads[k + 1]!.promise : []) {
        ctx.progress.update({ bytes: part.length });
        yield part;
      }
      yield END_OF_ARCHIVE;
    }
    await Promise.all([pipeline(bytes(), own.input), own.tar.done]);
  };

  try {
    const all = inOrder(manifest.volumes.length, workers, extractVolume);
    // The folders' tar failing (a full disk, say) must not leave the others waiting on it.
    await Promise.race([all, folders.tar.done.then(() => all)]);
    folders.input.end(END_OF_ARCHIVE);
    await folders.tar.done;
  } catch (error) {
    stopped = true;
    for (const head of heads) head.reject(error);
    // Ends the decryptions and zstd processes of volumes still being read, as well as the tars.
    for (const stream of opened) stream.destroy();
    for (const { input, tar } of tars) {
      input.destroy();
      tar.kill();
    }
    await Promise.all(tars.map(({ tar }) => tar.done.catch(() => undefined)));
    throw error;
  }
}

/**
 * Creates every folder of the archive (owner-only; the folders' tar sets their modes and times
 * at the end) before any tar starts: a file's tar then never creates a folder the folders' tar is
 * creating at the same moment, which failed one restore in six here ("Cannot open: No such file
 * or directory"). Paths tar itself would refuse (absolute, with "..") are left to tar.
 */
export async function makeFolders(manifest: Manifest, dest: string): Promise<void> {
  const paths = manifest.files
    .filter((f) => f.type === "dir" && f.inArchive && f.path !== "." && !isAbsolute(f.path) && !f.path.split("/").includes(".."))
    .map((f) => join(dest, f.path));
  await inOrder(paths.length, FOLDERS_AT_ONCE, async (k) => {
    await mkdir(paths[k]!, { recursive: true, mode: 0o700 });
  });
}

/**
 * Runs task(0..count-1) with at most `limit` at once, starting them in order: a volume's tar waits
 * for the head of the next volume, whose task has then always been started.
 */
export async function inOrder(count: number, limit: number, task: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const runner = async () => {
    while (!failed && next < count) {
      const k = next++;
      await task(k).catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, runner));
}
