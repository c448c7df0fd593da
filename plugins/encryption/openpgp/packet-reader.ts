/** Reading OpenPGP packet framing (RFC 4880 4.2) from a stream of bytes, without copying bodies. */

/** A packet's header: its size in octets, and its body length ("partial": chunks follow, each with its own length). */
export type Header = { size: number; length: number | "partial" };

/** A new-format header (tag octet, then one of four length forms), or undefined if cut short. */
export async function newFormatHeader(queue: ByteQueue): Promise<Header | undefined> {
  if (!(await queue.fill(2))) return undefined;
  if (isPartialLength(queue.peek(1))) return { size: 2, length: "partial" };
  const length = await bodyLength(queue, 1);
  return length && { size: 1 + length.size, length: length.value };
}

/** An old-format header; undefined for the indeterminate length (then the rest is passed on). */
export async function oldFormatHeader(queue: ByteQueue): Promise<Header | undefined> {
  const octets = [1, 2, 4, undefined][queue.peek(0) & 3];
  if (octets === undefined || !(await queue.fill(1 + octets))) return undefined;
  let length = 0;
  for (let i = 1; i <= octets; i++) length = length * 256 + queue.peek(i);
  return { size: 1 + octets, length };
}

/** Whether a new-format length's first octet starts a partial body length (a chunk of 2^(octet & 0x1f) bytes). */
export const isPartialLength = (octet: number) => octet >= 224 && octet < 255;

/** A new-format definite length at `at`: its value and how many octets it took. */
export async function bodyLength(queue: ByteQueue, at: number): Promise<{ value: number; size: number } | undefined> {
  if (!(await queue.fill(at + 1))) return undefined;
  const first = queue.peek(at);
  if (first < 192) return { value: first, size: 1 };
  if (first < 224) {
    if (!(await queue.fill(at + 2))) return undefined;
    return { value: ((first - 192) << 8) + queue.peek(at + 1) + 192, size: 2 };
  }
  if (first !== 255 || !(await queue.fill(at + 5))) return undefined;
  return { value: ((queue.peek(at + 1) << 24) >>> 0) + (queue.peek(at + 2) << 16) + (queue.peek(at + 3) << 8) + queue.peek(at + 4), size: 5 };
}

/** A packet's header at the front of `queue`, new or old format; undefined if cut short or of indeterminate length. */
export async function packetHeader(queue: ByteQueue): Promise<Header | undefined> {
  if (!(await queue.fill(1))) return undefined;
  const tag = queue.peek(0);
  if ((tag & 0x80) === 0) return undefined;
  return (tag & 0x40) !== 0 ? newFormatHeader(queue) : oldFormatHeader(queue);
}

/** The packet tag of a header's first octet (new or old format). */
export const packetTag = (octet: number) => ((octet & 0x40) !== 0 ? octet & 0x3f : (octet >> 2) & 0x0f);

/** Bytes of an async source, read as far as asked; chunks are handed on without copies where possible. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Reads until `bytes` are buffered; false if the source ends first. */
  async fill(bytes: number): Promise<boolean> {
    while (this.buffered < bytes && !this.ended) {
      const next = await this.source.next();
      if (next.done === true) this.ended = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= bytes;
  }

  peek(at: number): number {
    for (const chunk of this.chunks) {
      if (at < chunk.length) return chunk[at]!;
      at -= chunk.length;
    }
    throw new RangeError("peek beyond the buffered bytes");
  }

  /** Up to `bytes` of what is buffered, as one array (for headers). */
  take(bytes: number): Uint8Array {
    const parts = this.splice(bytes);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** `bytes` bytes (fewer if the source ends), read as they come. */
  async *takeChunks(bytes: number): AsyncGenerator<Uint8Array> {
    while (bytes > 0) {
      const parts = await this.takeBuffered(bytes);
      if (parts.length === 0) return;
      for (const part of parts) {
        bytes -= part.length;
        yield part;
      }
    }
  }

  /** Up to `bytes` of what is buffered, reading once if nothing is; none once the source has ended. */
  async takeBuffered(bytes: number): Promise<Uint8Array[]> {
    await this.fill(1);
    return this.splice(Math.min(bytes, this.buffered));
  }

  /** Everything left, buffered or not yet read. */
  async *rest(): AsyncGenerator<Uint8Array> {
    yield* this.splice(this.buffered);
    for (let next = await this.source.next(); next.done !== true; next = await this.source.next()) yield next.value;
  }

  private splice(bytes: number): Uint8Array[] {
    const parts: Uint8Array[] = [];
    while (bytes > 0 && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      if (chunk.length <= bytes) {
        parts.push(chunk);
        this.chunks.shift();
        bytes -= chunk.length;
        this.buffered -= chunk.length;
      } else {
        parts.push(chunk.subarray(0, bytes));
        this.chunks[0] = chunk.subarray(bytes);
        this.buffered -= bytes;
        bytes = 0;
      }
    }
    return parts;
  }
}
