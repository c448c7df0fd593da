import type { DumpdirEntry, DumpdirFlag } from "./types.js";
import { decodeName } from "./names.js";
import { HeaderError } from "./tar-header.js";

const FLAGS = new Set<string>(["Y", "N", "D", "R", "T", "X"]);
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses a dumpdir: "<flag><name>\0" records ended by an empty record. */
export function parseDumpdir(data: Uint8Array): DumpdirEntry[] {
  return parseAtOnce(data) ?? parseEachName(data);
}

/**
 * A dumpdir whose bytes are valid UTF-8 (nearly all) is decoded in one call and split at the
 * NULs, instead of decoding each of its names apart: a no-change run of 50,000 files decodes
 * about as many names. NUL is never part of a multi-byte sequence, so each record decodes the same.
 */
function parseAtOnce(data: Uint8Array): DumpdirEntry[] | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(data);
  } catch {
    return undefined;
  }
  const entries: DumpdirEntry[] = [];
  for (const record of text.split("\0")) {
    if (record === "") break;
    const flag = record[0]!;
    if (!FLAGS.has(flag)) throw new HeaderError(`unknown dumpdir control code ${JSON.stringify(flag)}`);
    // decodeName, like every decoding with TextDecoder's defaults, drops a byte order mark at the start of a name: the same here.
    const name = record.charCodeAt(1) === 0xfeff ? record.slice(2) : record.slice(1);
    entries.push({ flag: flag as DumpdirFlag, name });
  }
  return entries;
}

function parseEachName(data: Uint8Array): DumpdirEntry[] {
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
