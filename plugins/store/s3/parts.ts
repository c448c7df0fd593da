import { Readable } from "node:stream";

/** A piece of an upload: the first `bytes` of `buffer`, a buffer of the part size taken from a PartBuffers. */
export interface Part {
  number: number;
  buffer: Buffer;
  bytes: number;
}

/**
 * The buffers parts are cut into, reused from part to part and from upload to upload: memory
 * stays at (parts in flight + 1) x part size. Parts that cited the source's own buffers instead
 * left hundreds of dead 1 MiB buffers to the garbage collector, and the process peaked at twice
 * that.
 */
export class PartBuffers {
  readonly #spare: Buffer[] = [];

  constructor(readonly size: number, private readonly keep: number) {}

  take(): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafe(this.size);
  }

  /** Gives back a part's buffer once the server has acknowledged all of it. */
  give(part: Part): void {
    if (part.buffer.length === this.size && this.#spare.length < this.keep) this.#spare.push(part.buffer);
  }
}

/**
 * Cuts a stream into parts of exactly the buffers' size, the last one shorter (or empty when the
 * stream is). The source is read only as fast as parts are taken.
 */
export async function* partsOf(source: AsyncIterable<Buffer | string>, buffers: PartBuffers): AsyncGenerator<Part> {
  const size = buffers.size;
  let number = 1;
  let buffer: Buffer | undefined;
  let bytes = 0;
  for await (const piece of source) {
    const chunk = typeof piece === "string" ? Buffer.from(piece) : piece;
    for (let offset = 0; offset < chunk.length;) {
      buffer ??= buffers.take();
      const copied = chunk.copy(buffer, bytes, offset, offset + Math.min(chunk.length - offset, size - bytes));
      offset += copied;
      bytes += copied;
      if (bytes === size) {
        yield { number: number++, buffer, bytes };
        buffer = undefined;
        bytes = 0;
      }
    }
  }
  if (bytes > 0 || number === 1) yield { number, buffer: buffer ?? Buffer.alloc(0), bytes };
}

/**
 * A new stream of a part's bytes for each attempt. A stream body is what makes the SDK send the
 * part unsigned (as a streamed PutObject does): a Buffer body is hashed (SHA-256) byte by byte
 * before sending, which cost the s3 store a third of its throughput.
 */
export const partBody = (part: Part): Readable => Readable.from(part.bytes > 0 ? [part.buffer.subarray(0, part.bytes)] : [], { objectMode: false });
