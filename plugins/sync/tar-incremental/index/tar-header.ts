import type { SparseChunk } from "./types.js";

export const BLOCK = 512;

export interface RawHeader {
  /** Name bytes: ustar prefix + "/" + name when the ustar prefix is set. */
  name: Uint8Array;
  linkname: Uint8Array;
  mode: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  typeflag: string;
  format: "ustar" | "gnu" | "v7";
  /** Old GNU sparse ('S') members only. */
  gnuSparse?: { chunks: SparseChunk[]; extended: boolean; realSize: number };
}

export class HeaderError extends Error {}

export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Decodes one 512-byte header block; throws HeaderError on a bad checksum or a malformed number. */
export function decodeHeader(block: Uint8Array): RawHeader {
  verifyChecksum(block);
  const magic = ascii(block, 257, 6);
  const version = ascii(block, 263, 2);
  const format = magic === "ustar\0" ? "ustar" : magic === "ustar " && version === " \0" ? "gnu" : "v7";

  let name = cString(block, 0, 100);
  // GNU format keeps atime/ctime where ustar has its prefix.
  if (format === "ustar" && block[345] !== 0) {
    const prefix = cString(block, 345, 155);
    const joined = new Uint8Array(prefix.length + 1 + name.length);
    joined.set(prefix, 0);
    joined[prefix.length] = 0x2f;
    joined.set(name, prefix.length + 1);
    name = joined;
  }

  const typeflag = String.fromCharCode(block[156] ?? 0);
  const header: RawHeader = {
    name,
    linkname: cString(block, 157, 100),
    mode: readNumber(block, 100, 8, "mode") & 0o7777,
    size: readNumber(block, 124, 12, "size"),
    mtime: readNumber(block, 136, 12, "mtime"),
    typeflag,
    format,
  };
  if (typeflag === "S" && format !== "ustar") {
    header.gnuSparse = {
      chunks: readSparseEntries(block, 386, 4),
      extended: block[482] !== 0,
      realSize: readNumber(block, 483, 12, "realsize"),
    };
  }
  return header;
}

/** An old GNU sparse extension block: 21 more map entries and its own "more follow" flag. */
export function decodeSparseExtension(block: Uint8Array): { chunks: SparseChunk[]; extended: boolean } {
  return { chunks: readSparseEntries(block, 0, 21), extended: block[504] !== 0 };
}

function readSparseEntries(block: Uint8Array, at: number, count: number): SparseChunk[] {
  const chunks: SparseChunk[] = [];
  for (let i = 0; i < count; i++) {
    const off = at + i * 24;
    if (block[off] === 0) break;
    chunks.push({ offset: readNumber(block, off, 12, "sparse offset"), numbytes: readNumber(block, off + 12, 12, "sparse numbytes") });
  }
  return chunks;
}

function verifyChecksum(block: Uint8Array): void {
  const stored = readNumber(block, 148, 8, "checksum");
  // The checksum field itself counts as eight spaces; the signed sum is what old tars wrote.
  let unsigned = 8 * 0x20;
  let high = 0;
  for (let i = 0; i < BLOCK; i++) {
    if (i === 148) i = 156;
    const byte = block[i]!;
    unsigned += byte;
    if (byte >= 0x80) high++;
  }
  const signed = unsigned - 0x100 * high;
  if (stored !== unsigned && stored !== signed) {
    throw new HeaderError(`header checksum mismatch (stored ${stored}, computed ${unsigned})`);
  }
}

/** Octal (space/NUL padded) or GNU base-256 (first byte 0x80 or 0xff). */
export function readNumber(block: Uint8Array, at: number, len: number, field: string): number {
  const first = block[at] ?? 0;
  if (first === 0x80 || first === 0xff) {
    const negative = first === 0xff;
    let value = 0n;
    for (let i = 1; i < len; i++) value = (value << 8n) | BigInt(block[at + i] ?? 0);
    if (negative) value -= 1n << BigInt(8 * (len - 1));
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new HeaderError(`${field} out of range`);
    return n;
  }
  const fast = readOctal(block, at, len);
  if (fast !== undefined) return fast;
  const text = /^[ \0]*([^ \0]*)/.exec(ascii(block, at, len))?.[1] ?? "";
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new HeaderError(`${field} field is not octal: ${JSON.stringify(text)}`);
  const n = parseInt(text, 8);
  if (!Number.isSafeInteger(n)) throw new HeaderError(`${field} out of range`);
  return n;
}

/** The common case without building strings: NUL/space padding around octal digits. Undefined when anything else is there. */
function readOctal(block: Uint8Array, at: number, len: number): number | undefined {
  const end = at + len;
  let i = at;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  for (; i < end; i++) {
    const byte = block[i]!;
    if (byte === 0x20 || byte === 0) break;
    if (byte < 0x30 || byte > 0x37) return undefined;
    value = value * 8 + (byte - 0x30);
  }
  return Number.isSafeInteger(value) ? value : undefined;
}

function cString(block: Uint8Array, at: number, len: number): Uint8Array {
  const end = block.subarray(at, at + len).indexOf(0);
  return block.slice(at, end === -1 ? at + len : at + end);
}

function ascii(block: Uint8Array, at: number, len: number): string {
  let text = "";
  for (let i = at; i < at + len; i++) text += String.fromCharCode(block[i] ?? 0);
  return text;
}
