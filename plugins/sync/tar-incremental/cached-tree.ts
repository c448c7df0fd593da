import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import type { ManifestFile, ParentTree } from "./index/index.js";

/**
 * A snapshot's whole tree as the cache holds it: one JSON line per entry, keyed by path and parsed
 * only when asked for. A no-change run of 50,000 files looks at a few thousand entries (its
 * directories and changed files); parsing every line into an object cost more than the rest of
 * the run's own work, and its garbage.
 */
export class CachedTree implements ParentTree {
  private readonly lines = new Map<string, string>();

  get size(): number {
    return this.lines.size;
  }

  has(path: string): boolean {
    return this.lines.has(path);
  }

  get(path: string): ManifestFile | undefined {
    const line = this.lines.get(path);
    return line === undefined ? undefined : (JSON.parse(line) as ManifestFile);
  }

  paths(): IterableIterator<string> {
    return this.lines.keys();
  }

  /** Every entry's JSON line (without its newline), in no particular order. */
  rawLines(): IterableIterator<string> {
    return this.lines.values();
  }

  /** Every entry as an object, in no particular order. */
  entries(): ManifestFile[] {
    return Array.from(this.lines.values(), (line) => JSON.parse(line) as ManifestFile);
  }

  set(line: string): void {
    this.lines.set(pathOf(line), line);
  }

  delete(path: string): void {
    this.lines.delete(path);
  }

  /** Adds the entries of a file of JSON lines; `first` receives the first line instead, if given (a delta's header). */
  async load(file: string, first?: (line: string) => void): Promise<void> {
    let head = first;
    for await (const line of jsonLines(file)) {
      if (head) {
        head(line);
        head = undefined;
      } else this.set(line);
    }
  }
}

/**
 * The lines of a file, decoded a piece at a time (readline costs several times more for 50,000
 * lines). Pieces of 64 KiB: bigger ones left tens of megabytes of read buffers for the collector.
 */
async function* jsonLines(file: string): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    const lines = (rest + decoder.write(chunk)).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (line) yield line;
  }
  rest += decoder.end();
  if (rest) yield rest;
}

const PATH_START = '{"path":"';
const PATH_END = '","type":"';

/**
 * The path of an entry's JSON line without parsing the rest. Entries are written with `path`
 * first and `type` second; an escaped path never holds `","` (its quotes are all escaped), so the
 * first PATH_END ends it. Any other line is parsed whole.
 */
function pathOf(line: string): string {
  if (line.startsWith(PATH_START)) {
    const end = line.indexOf(PATH_END, PATH_START.length);
    if (end !== -1) {
      const raw = line.slice(PATH_START.length, end);
      return raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
    }
  }
  return (JSON.parse(line) as ManifestFile).path;
}
