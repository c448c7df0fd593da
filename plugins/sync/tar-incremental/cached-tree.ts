import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import type { ManifestFile, ParentTree } from "./index/index.js";

/** A line of the whole-tree file: where it starts and how long it is, as one number (see `place`). */
type Where = number;
const LENGTH_BITS = 2 ** 20;

/**
 * A snapshot's whole tree as the cache holds it, looked up by path and parsed only when asked
 * for. A no-change run of 50,000 files looks at a few thousand entries (its directories and
 * changed files): parsing every line cost more than the rest of the run's own work, and holding
 * 50,000 lines (or objects) 25-35 MB of heap. So the lines of the whole-tree file stay on disk:
 * only their paths and places are held, and a line is read when its entry is asked for. Folders'
 * lines (every run asks for each: tar archives every folder) and deltas' lines (few) are held as
 * they are. `close` when done.
 */
export class CachedTree implements ParentTree {
  private readonly lines = new Map<string, Where | string>();
  private fd: number | undefined;

  get size(): number {
    return this.lines.size;
  }

  has(path: string): boolean {
    return this.lines.has(path);
  }

  get(path: string): ManifestFile | undefined {
    const line = this.line(path);
    return line === undefined ? undefined : (JSON.parse(line) as ManifestFile);
  }

  paths(): IterableIterator<string> {
    return this.lines.keys();
  }

  /** Every entry's JSON line (without its newline), in no particular order. */
  *rawLines(): Generator<string> {
    for (const path of this.lines.keys()) yield this.line(path)!;
  }

  /** Every entry as an object, in no particular order. */
  entries(): ManifestFile[] {
    return Array.from(this.rawLines(), (line) => JSON.parse(line) as ManifestFile);
  }

  set(line: string): void {
    this.lines.set(pathOf(line), line);
  }

  delete(path: string): void {
    this.lines.delete(path);
  }

  /** Indexes a whole-tree file, one entry a line; it stays open until `close`. */
  async loadWhole(file: string): Promise<void> {
    this.close();
    this.fd = openSync(file, "r");
    let offset = 0;
    let rest: Buffer | undefined;
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      const data = rest ? Buffer.concat([rest, chunk]) : chunk;
      const start = offset - (rest?.length ?? 0);
      let at = 0;
      for (let end = data.indexOf(10); end !== -1; at = end + 1, end = data.indexOf(10, at)) {
        if (end > at) this.place(data, at, end, start + at);
      }
      offset += chunk.length;
      rest = at < data.length ? Buffer.from(data.subarray(at)) : undefined;
    }
    if (rest && rest.length > 0) this.place(rest, 0, rest.length, offset - rest.length);
  }

  /** Adds the entries of a delta file: its first line goes to `first` (the paths it deleted), the others are held. */
  async loadDelta(file: string, first: (line: string) => void): Promise<void> {
    let head = true;
    for await (const line of textLines(file)) {
      if (head) first(line);
      else this.set(line);
      head = false;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private place(data: Buffer, start: number, end: number, offset: number): void {
    const length = end - start;
    const stop = pathEnd(data, start, end);
    const path = pathIn(data, start, end, stop);
    // A line of a megabyte or more is held too: its length would not fit in `Where`.
    if (length < LENGTH_BITS && !isFolder(data, stop, end)) this.lines.set(path, offset * LENGTH_BITS + length);
    else this.lines.set(path, data.toString("utf8", start, end));
  }

  private line(path: string): string | undefined {
    const where = this.lines.get(path);
    if (where === undefined || typeof where === "string") return where;
    const length = where % LENGTH_BITS;
    const buffer = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = readSync(this.fd!, buffer, read, length - read, (where - length) / LENGTH_BITS + read);
      if (n === 0) throw new Error(`the local cache's tree file ended before the entry of ${JSON.stringify(path)}`);
      read += n;
    }
    return buffer.toString("utf8");
  }
}

async function* textLines(file: string): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of createReadStream(file, { encoding: "utf8" }) as AsyncIterable<string>) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (line) yield line;
  }
  if (rest) yield rest;
}

const PATH_START = Buffer.from('{"path":"');
const PATH_END = Buffer.from('","type":"');

/**
 * Where the path of an entry's JSON line ends, or -1. Entries are written with `path` first and
 * `type` second; an escaped path never holds `","` (its quotes are all escaped), so the first
 * PATH_END ends it.
 */
function pathEnd(data: Buffer, start: number, end: number): number {
  if (end - start <= PATH_START.length || data.compare(PATH_START, 0, PATH_START.length, start, start + PATH_START.length) !== 0) return -1;
  const stop = data.indexOf(PATH_END, start + PATH_START.length);
  return stop !== -1 && stop < end ? stop : -1;
}

/** The path of an entry's JSON line without parsing the rest (any other line is parsed whole). */
function pathIn(data: Buffer, start: number, end: number, stop: number): string {
  if (stop === -1) return (JSON.parse(data.toString("utf8", start, end)) as ManifestFile).path;
  const raw = data.toString("utf8", start + PATH_START.length, stop);
  return raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
}

/** PATH_END followed by the folder type: a folder's line has it where its path ends. */
const FOLDER_TYPE = Buffer.concat([PATH_END, Buffer.from('dir"')]);

function isFolder(data: Buffer, stop: number, end: number): boolean {
  return stop !== -1 && stop + FOLDER_TYPE.length <= end && data.compare(FOLDER_TYPE, 0, FOLDER_TYPE.length, stop, stop + FOLDER_TYPE.length) === 0;
}

function pathOf(line: string): string {
  const data = Buffer.from(line);
  return pathIn(data, 0, data.length, pathEnd(data, 0, data.length));
}
