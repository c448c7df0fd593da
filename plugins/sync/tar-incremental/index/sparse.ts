import type { Hash } from "node:crypto";
import type { SparseChunk } from "./types.js";
import { BLOCK, HeaderError } from "./tar-header.js";

const ZEROS = Buffer.alloc(64 * 1024);

export function checkSparseMap(chunks: SparseChunk[], realSize: number, storedSize: number): void {
  let end = 0;
  let stored = 0;
  for (const c of chunks) {
    if (c.offset < end || c.offset + c.numbytes > realSize) {
      throw new HeaderError(`sparse map is unordered or exceeds the file size (${c.offset}+${c.numbytes}, size ${realSize})`);
    }
    end = c.offset + c.numbytes;
    stored += c.numbytes;
  }
  if (stored !== storedSize) throw new HeaderError(`sparse map covers ${stored} bytes but ${storedSize} are stored`);
}

/** Hashes a sparse file's logical content from its stored runs, feeding zeros for the holes. */
export class SparseHasher {
  private index = 0;
  private usedOfChunk = 0;
  private logical = 0;

  constructor(
    private readonly chunks: SparseChunk[],
    private readonly realSize: number,
    private readonly hash: Hash,
  ) {}

  update(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      const chunk = this.chunks[this.index];
      if (!chunk) throw new HeaderError("more sparse data than the map describes");
      this.zerosUpTo(chunk.offset);
      const take = Math.min(chunk.numbytes - this.usedOfChunk, data.length - at);
      this.hash.update(data.subarray(at, at + take));
      at += take;
      this.usedOfChunk += take;
      this.logical += take;
      if (this.usedOfChunk === chunk.numbytes) {
        this.index += 1;
        this.usedOfChunk = 0;
      }
    }
  }

  digest(): string {
    this.zerosUpTo(this.realSize);
    return this.hash.digest("hex");
  }

  private zerosUpTo(target: number): void {
    while (this.logical < target) {
      const n = Math.min(ZEROS.length, target - this.logical);
      this.hash.update(ZEROS.subarray(0, n));
      this.logical += n;
    }
  }
}

/**
 * GNU sparse format 1.0 puts its map at the start of the member data as decimal lines
 * (count, then offset/numbytes pairs) padded to a block. Returns null until `head` holds all of it.
 */
export function parseSparse1Map(head: Buffer): { chunks: SparseChunk[]; mapBytes: number } | null {
  const numbers: number[] = [];
  let at = 0;
  let count: number | undefined;
  while (count === undefined || numbers.length < 2 * count) {
    const nl = head.indexOf(0x0a, at);
    if (nl === -1) {
      if (head.length - at > 32) throw new HeaderError("malformed GNU sparse 1.0 map");
      return null;
    }
    const text = head.toString("latin1", at, nl);
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new HeaderError("malformed GNU sparse 1.0 map");
    if (count === undefined) count = n;
    else numbers.push(n);
    at = nl + 1;
  }
  const mapBytes = Math.ceil(at / BLOCK) * BLOCK;
  if (head.length < mapBytes) return null;
  const chunks: SparseChunk[] = [];
  for (let i = 0; i < numbers.length; i += 2) chunks.push({ offset: numbers[i] ?? 0, numbytes: numbers[i + 1] ?? 0 });
  return { chunks, mapBytes };
}
