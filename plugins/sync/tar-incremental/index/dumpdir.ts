import type { DumpdirEntry, DumpdirFlag } from "./types.js";
import { decodeName } from "./names.js";
import { HeaderError } from "./tar-header.js";

const FLAGS = new Set<string>(["Y", "N", "D", "R", "T", "X"]);

/** Parses a dumpdir: "<flag><name>\0" records ended by an empty record. */
export function parseDumpdir(data: Uint8Array): DumpdirEntry[] {
  const entries: DumpdirEntry[] = [];
  let at = 0;
  while (at < data.length) {
    let end = data.indexOf(0, at);
    if (end === -1) end = data.length;
    if (end === at) break;
    const flag = String.fromCharCode(data[at] ?? 0);
    if (!FLAGS.has(flag)) throw new HeaderError(`unknown dumpdir control code ${JSON.stringify(flag)}`);
    entries.push({ flag: flag as DumpdirFlag, name: decodeName(data.subarray(at + 1, end)) });
    at = end + 1;
  }
  return entries;
}
