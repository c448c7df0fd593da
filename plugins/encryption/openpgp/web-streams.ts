import { Readable } from "node:stream";
import { ReadableStream } from "node:stream/web";

const sourceErrors = new WeakSet<object>();

/** True for an error raised by the Node input itself (I/O), not by OpenPGP processing. */
export function isSourceError(error: unknown): boolean {
  return typeof error === "object" && error !== null && sourceErrors.has(error);
}

function asSourceError(error: unknown): unknown {
  if (typeof error === "object" && error !== null) sourceErrors.add(error);
  return error;
}

/**
 * Node Readable -> Web ReadableStream that pulls only when the consumer asks (highWaterMark 0),
 * so backpressure reaches the source. Each chunk handed on holds at least `chunkBytes` (except
 * the last): openpgp.js pays a fixed cost per chunk in every stage, and pipes deliver 64 KiB.
 * Cancelling the web stream destroys the Node stream (or returns the iterable's iterator).
 */
export function toWebStream(input: NodeJS.ReadableStream | Readable | AsyncIterable<Uint8Array>, chunkBytes = 0): ReadableStream<Uint8Array> {
  const iterator = (input as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let ended = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const parts: Uint8Array[] = [];
        let size = 0;
        while (!ended && (size === 0 || size < chunkBytes)) {
          const { done, value } = await iterator.next().catch((error: unknown) => Promise.reject(asSourceError(error)));
          if (done === true) {
            ended = true;
            break;
          }
          if (!(value instanceof Uint8Array)) {
            throw asSourceError(new TypeError(`expected a binary stream, got a chunk of type ${typeof value}`));
          }
          if (value.byteLength === 0) continue;
          parts.push(value);
          size += value.byteLength;
        }
        if (size > 0) controller.enqueue(join(parts, size));
        if (ended) controller.close();
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** One plain Uint8Array view (a Buffer is one already; a plain view avoids Buffer-specific behaviour downstream). */
function join(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return new Uint8Array(parts[0]!.buffer, parts[0]!.byteOffset, size);
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * Web ReadableStream -> Node Readable that reads from the web stream only
 * from _read (i.e. when the Node consumer wants data). Errors are passed
 * through mapError so callers get a domain message instead of openpgp's.
 * `beforeEnd` runs after the last chunk: when it rejects, the stream errors instead of ending.
 */
export function toNodeReadable(
  web: ReadableStream<Uint8Array>,
  mapError: (error: unknown) => Error = (error) => (error instanceof Error ? error : new Error(String(error))),
  beforeEnd?: () => Promise<void>,
): Readable {
  const reader = web.getReader();
  return new Readable({
    read() {
      pump(this).catch((error: unknown) => this.destroy(mapError(error)));
    },
    destroy(error, callback) {
      reader.cancel(error ?? undefined).then(
        () => callback(error),
        () => callback(error),
      );
    },
  });

  async function pump(target: Readable): Promise<void> {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        await beforeEnd?.();
        target.push(null);
        return;
      }
      // An empty push would not trigger another _read; skip it.
      if (value.byteLength > 0) {
        target.push(value);
        return;
      }
    }
  }
}
