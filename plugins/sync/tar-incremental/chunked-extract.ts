import { mkdir } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { RunContext } from "../../../core/types.js";
import { TarIndexer, type EntryType } from "./index/index.js";
import type { Manifest } from "./manifest.js";
import { END_OF_ARCHIVE } from "./parallel-extract.js";
import { extractArgs } from "./tar-args.js";
import { openVolume, readFailure, type VolumeDeps } from "./volume-reader.js";

/**
 * GNU tar (1.34) looks up each folder it extracts in a list of every folder it has extracted and
 * not yet left, so one tar's time grows with the square of an archive's folders: an incremental
 * lists every folder of the tree first, and 14,000 of them cost one tar a second of strcmp, for a
 * restore that changes a few files. A tar per this many folders keeps it linear.
 */
export const FOLDERS_PER_TAR = 1000;

type Range = [start: number, end: number];

/** Per tar, in order: the range of the archive holding its folders, and the range holding the files in them. */
export interface ChunkPlan {
  parts: { folders: Range; files: Range }[];
}

/** What the restore learns of an archive while it builds the chain's tree: whether tars per folders may extract it. */
export interface ChunkHints {
  /** No folder renamed (tar replays renames across folders), no hard link, no folder that was something else before. */
  eligible: boolean;
  /** Folders this archive adds to the tree: made before any tar runs (see extractInChunks). */
  newFolders: string[];
  /** Folders of the snapshot's tree, every one of which its archive holds. */
  folders: number;
}

/** Hints for `manifest`, asked before the tree applies it: `before(path)` is what the tree has at `path` until then. */
export function chunkHints(manifest: Manifest, before: (path: string) => EntryType | undefined): Omit<ChunkHints, "folders"> {
  let eligible = manifest.type !== "full";
  const newFolders: string[] = [];
  for (const f of manifest.files) {
    if (f.previousPath !== undefined || (f.inArchive && f.type === "hardlink")) eligible = false;
    if (f.type !== "dir") continue;
    const was = before(f.path);
    if (was === undefined) newFolders.push(f.path);
    else if (was !== "dir") eligible = false;
    if (isAbsolute(f.path) || f.path.split("/").includes("..")) eligible = false;
  }
  return { eligible, newFolders };
}

/**
 * A plan to extract an incremental with a tar per FOLDERS_PER_TAR folders, each tar given its
 * folders and then the files in them, so each replays its folders' deletions, extracts their
 * files, and then sets their times, as one tar would. `folders`: the archive's folder members in
 * order (the top folder's excepted); `files`: its other members in order. Undefined when the
 * archive is not laid out as GNU tar writes an incremental (every folder first, then the files
 * in their folders' order), or has too few folders to gain.
 */
export function planChunkedExtract(folders: { path: string; tarStart: number }[], files: { path: string; tarStart: number }[], archiveEnd: number): ChunkPlan | undefined {
  if (folders.length < 2 * FOLDERS_PER_TAR) return undefined;
  const foldersEnd = files[0]?.tarStart ?? archiveEnd;
  if (folders.at(-1)!.tarStart >= foldersEnd) return undefined;
  const tars = Math.ceil(folders.length / FOLDERS_PER_TAR);
  const position = new Map(folders.map((f, i) => [f.path, i]));
  // firstFile[t]: index in `files` of the first file whose folder belongs to tar t or a later one.
  const firstFile = new Array<number>(tars + 1).fill(files.length);
  let reached = 0;
  let last = 0;
  for (const [i, file] of files.entries()) {
    const parent = dirname(file.path);
    const at = parent === "." ? 0 : position.get(parent);
    if (at === undefined) return undefined;
    const tar = Math.floor(at / FOLDERS_PER_TAR);
    if (tar < last) return undefined;
    for (; reached <= tar; reached++) firstFile[reached] = i;
    last = tar;
  }
  const fileStart = (t: number) => (firstFile[t]! < files.length ? files[firstFile[t]!]!.tarStart : archiveEnd);
  const folderStart = (t: number) => (t === 0 ? 0 : t < tars ? folders[t * FOLDERS_PER_TAR]!.tarStart : foldersEnd);
  const parts = Array.from({ length: tars }, (_, t) => ({
    folders: [folderStart(t), folderStart(t + 1)] as Range,
    files: [t === 0 ? foldersEnd : fileStart(t), t + 1 < tars ? fileStart(t + 1) : archiveEnd] as Range,
  }));
  return { parts };
}

/**
 * The folder members of an incremental's archive, where they start: a manifest lists only the
 * folders that changed, so the archive's head (every folder, before the first file) is read
 * once to find them, with the indexer the backup uses.
 */
async function indexFolders(ctx: RunContext, deps: VolumeDeps, manifest: Manifest, foldersEnd: number, checked: Set<string>): Promise<{ path: string; tarStart: number }[]> {
  const folders: { path: string; tarStart: number }[] = [];
  const indexer = new TarIndexer({ keepMembers: false, keepDumpdirs: false, onMember: (m) => void (m.type === "dir" && folders.push({ path: m.path, tarStart: m.headerStart })) });
  async function* head(): AsyncGenerator<Buffer> {
    yield* archiveBytes(ctx, deps, manifest, 0, foldersEnd, checked);
    yield END_OF_ARCHIVE;
  }
  await pipeline(head(), indexer);
  return folders;
}

/**
 * Extracts an incremental with a tar per FOLDERS_PER_TAR folders (planChunkedExtract), one
 * after another; false, having done nothing, when its archive is not fit for it. The folders the
 * archive adds are made first: a tar then never creates a folder inside one whose time an earlier
 * tar has already set. Node reads the archive at two places at once, the folders and the files,
 * and hands each tar its two ranges.
 */
export async function extractInChunks(ctx: RunContext, deps: VolumeDeps, manifest: Manifest, hints: ChunkHints, dest: string): Promise<boolean> {
  if (!hints.eligible || hints.folders < 2 * FOLDERS_PER_TAR) return false;
  const archiveEnd = manifest.volumes.at(-1)!.tarEnd;
  const members = manifest.files.filter((f) => f.inArchive && f.tarStart !== undefined && f.type !== "dir").sort((a, b) => a.tarStart! - b.tarStart!);
  const files = members.map((f) => ({ path: f.path, tarStart: f.tarStart! }));
  // The archive is read at up to three places (the folders' index, the folders, the files): each volume is checked once.
  const checked = new Set<string>();
  const plan = planChunkedExtract(await indexFolders(ctx, deps, manifest, files[0]?.tarStart ?? archiveEnd, checked), files, archiveEnd);
  if (!plan) return false;
  ctx.log.debug(`extracting ${manifest.id} with a tar per ${FOLDERS_PER_TAR} folders (${plan.parts.length} tars, one after another)`);
  for (const path of hints.newFolders) await mkdir(join(dest, path), { recursive: true, mode: 0o700 });
  const folderBytes = new ByteCursor(archiveBytes(ctx, deps, manifest, 0, plan.parts.at(-1)!.folders[1], checked));
  const fileBytes = new ByteCursor(archiveBytes(ctx, deps, manifest, plan.parts[0]!.files[0], archiveEnd, checked));
  try {
    for (const part of plan.parts) {
      const input = new PassThrough({ highWaterMark: 1 << 20 });
      const tar = ctx.stream({ tool: "tar", args: extractArgs(dest, []), input, env: { LC_ALL: "C" } });
      async function* bytes(): AsyncGenerator<Buffer> {
        for (const [cursor, [start, end]] of [[folderBytes, part.folders], [fileBytes, part.files]] as const) {
          for await (const chunk of cursor.take(end - start)) {
            ctx.progress.update({ bytes: chunk.length });
            yield chunk;
          }
        }
        yield END_OF_ARCHIVE;
      }
      try {
        await Promise.all([pipeline(bytes(), input), tar.done]);
      } catch (error) {
        input.destroy();
        tar.kill();
        await tar.done.catch(() => undefined);
        throw error;
      }
    }
  } finally {
    await Promise.all([folderBytes.close(), fileBytes.close()]);
  }
  return true;
}

/**
 * The archive's bytes [from, to), volume after volume, each checked against the manifest before
 * it is decrypted, unless `checked` holds its name (it is added once checked).
 */
async function* archiveBytes(ctx: RunContext, deps: VolumeDeps, manifest: Manifest, from: number, to: number, checked: Set<string>): AsyncGenerator<Buffer> {
  for (const volume of manifest.volumes) {
    if (volume.tarEnd <= from || volume.tarStart >= to) continue;
    const plain: Readable = await openVolume(ctx, deps, manifest, volume, checked.has(volume.name));
    checked.add(volume.name);
    let position = volume.tarStart;
    try {
      for await (const chunk of plain as AsyncIterable<Buffer>) {
        const start = Math.max(from - position, 0);
        const end = Math.min(to - position, chunk.length);
        position += chunk.length;
        if (end > start) yield chunk.subarray(start, end);
        if (position >= to) break;
      }
    } catch (error) {
      throw readFailure(ctx, manifest, volume, error);
    } finally {
      plain.destroy();
    }
    if (position < Math.min(volume.tarEnd, to)) {
      throw readFailure(ctx, manifest, volume, new Error(`it holds ${position - volume.tarStart} tar bytes, the manifest says ${volume.tarEnd - volume.tarStart}`));
    }
  }
}

/** Hands out a byte stream in consecutive runs of exact lengths. */
class ByteCursor {
  private rest?: Buffer;
  constructor(private readonly source: AsyncGenerator<Buffer>) {}

  async *take(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      let chunk = this.rest;
      this.rest = undefined;
      if (!chunk) {
        const next = await this.source.next();
        if (next.done) throw new Error(`the archive ended ${left} bytes before the manifest says`);
        chunk = next.value;
      }
      if (chunk.length > left) {
        this.rest = chunk.subarray(left);
        chunk = chunk.subarray(0, left);
      }
      left -= chunk.length;
      yield chunk;
    }
  }

  /** Stops reading: the volume being read is closed, which stops its decryption. */
  async close(): Promise<void> {
    await this.source.return(undefined);
  }
}
