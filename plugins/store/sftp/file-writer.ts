import { Writable } from "node:stream";
import type { SFTPWrapper } from "ssh2";

/**
 * Writes a stream into an open SFTP file with many WRITE requests in flight at once. One
 * request at a time (ssh2's own write stream) waits a round trip per chunk; pipelining is what
 * makes sftp reach scp's throughput.
 */
export class SftpFileWriter extends Writable {
  #inFlight = 0;
  #position = 0;
  #error: Error | undefined;
  #blocked: ((error?: Error) => void) | undefined;
  #finishing: ((error?: Error) => void) | undefined;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly maxInFlight: number,
    private readonly requestBytes: number,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  get bytesWritten(): number {
    return this.#position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error) => void): void {
    if (this.#error) return callback(this.#error);
    for (let offset = 0; offset < chunk.length; offset += this.requestBytes) {
      const length = Math.min(this.requestBytes, chunk.length - offset);
      this.#inFlight++;
      this.sftp.write(this.handle, chunk, offset, length, this.#position, (error) => {
        this.#inFlight--;
        if (error && !this.#error) this.#error = error;
        this.#wake();
      });
      this.#position += length;
    }
    if (this.#inFlight < this.maxInFlight) callback();
    else this.#blocked = callback;
  }

  override _final(callback: (error?: Error) => void): void {
    this.#finishing = callback;
    this.#wake();
  }

  #wake(): void {
    if (this.#blocked && (this.#error || this.#inFlight < this.maxInFlight)) {
      const callback = this.#blocked;
      this.#blocked = undefined;
      callback(this.#error);
    }
    if (this.#finishing && (this.#error || this.#inFlight === 0)) {
      const callback = this.#finishing;
      this.#finishing = undefined;
      callback(this.#error);
    }
  }
}
