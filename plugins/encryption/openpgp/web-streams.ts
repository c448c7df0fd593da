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
 * Node Readable -> Web ReadableStream that pulls one chunk only when the
 * consumer asks for one (highWaterMark 0), so backpressure reaches the source.
 * Cancelling the web stream destroys the Node stream.
 */
export function toWebStream(input: NodeJS.ReadableStream | Readable): ReadableStream<Uint8Array> {
  const iterator = (input as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const { done, value } = await iterator.next().catch((error: unknown) => Promise.reject(asSourceError(error)));
          if (done === true) {
            controller.close();
            return;
          }
          if (!(value instanceof Uint8Array)) {
            throw asSourceError(new TypeError(`expected a binary stream, got a chunk of type ${typeof value}`));
          }
          if (value.byteLength === 0) continue;
          // A Buffer is a Uint8Array already; a plain view avoids Buffer-specific behaviour downstream.
          controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
          return;
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Web ReadableStream -> Node Readable that reads from the web stream only
 * from _read (i.e. when the Node consumer wants data). Errors are passed
 * through mapError so callers get a domain message instead of openpgp's.
 */
export function toNodeReadable(
  web: ReadableStream<Uint8Array>,
  mapError: (error: unknown) => Error = (error) => (error instanceof Error ? error : new Error(String(error))),
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
