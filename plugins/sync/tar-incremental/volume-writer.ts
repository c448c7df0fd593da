import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { once } from "node:events";
import { PassThrough, Transform, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { outputOnceSucceeded } from "../../../core/runner.js";
import type { Cipher, RunContext, Store } from "../../../core/types.js";
import type { CommandSpec } from "../../../core/runner.js";
import { compress, compressCommand, compressionExt, type Compression } from "./compression.js";
import { volumeName } from "./layout.js";
import type { VolumeRecord } from "./manifest.js";

export interface VolumeWriterSettings {
  id: string;
  volumeSize: number;
  compression: Compression;
  compressionLevel?: number;
  store: Store;
  cipher: Cipher;
  /** Receives every tar byte too (the indexer), with backpressure. */
  tee: Writable;
  onBytes(bytes: number): void;
}

/**
 * Splits the tar stream into volumes of `volumeSize` tar bytes; each volume is compressed,
 * encrypted and stored on its own (so a damaged volume costs one volume), while the same
 * bytes flow into the indexer. Returns the volumes in order.
 */
export async function writeVolumes(ctx: RunContext, tar: Readable, settings: VolumeWriterSettings): Promise<VolumeRecord[]> {
  const volumes: VolumeRecord[] = [];
  let offset = 0;
  let opened = 0;
  let current: { name: string; input: PassThrough; stored: Promise<unknown>; done: Promise<{ size: number; sha256: string }>; start: number; filled: number } | undefined;
  // The volume closed last, still being compressed, encrypted and stored while the next one
  // fills: tar does not wait for its end (zstd's last block, gpg, the file's sync and SHA-256).
  let finishing: Promise<VolumeRecord> | undefined;

  const open = () => {
    const input = new PassThrough({ highWaterMark: 1 << 20 });
    const name = volumeName(settings.id, ++opened, compressionExt(settings.compression), settings.cipher.extension);
    const done = storeVolume(ctx, settings, input, name);
    done.catch(() => undefined);
    // A write into this volume stops when the volume before it fails too.
    const stored = finishing ? Promise.all([done, finishing]) : done;
    stored.catch(() => undefined);
    current = { name, input, stored, done, start: offset, filled: 0 };
    return current;
  };
  const close = async () => {
    if (!current) return;
    const volume = current;
    current = undefined;
    volume.input.end();
    const before = finishing;
    finishing = volume.done.then((stored) => ({ name: volume.name, ...stored, tarStart: volume.start, tarEnd: volume.start + volume.filled }));
    finishing.catch(() => undefined);
    // At most two volumes at once: the one filling and the one before it.
    if (before) volumes.push(await before);
  };

  try {
    for await (const chunk of coalesced(tar as AsyncIterable<Buffer>, COALESCE_BYTES)) {
      await write(settings.tee, chunk, undefined);
      let rest = chunk;
      while (rest.length > 0) {
        const volume = current ?? open();
        const room = settings.volumeSize - volume.filled;
        const part = rest.subarray(0, room);
        rest = rest.subarray(part.length);
        volume.filled += part.length;
        offset += part.length;
        await write(volume.input, part, volume.stored);
        if (volume.filled >= settings.volumeSize) await close();
      }
      settings.onBytes(chunk.length);
    }
    await close();
    if (finishing) volumes.push(await finishing);
  } catch (error) {
    current?.input.destroy(error as Error);
    throw error;
  }
  return volumes;
}

async function storeVolume(ctx: RunContext, settings: VolumeWriterSettings, input: Readable, name: string): Promise<{ size: number; sha256: string }> {
  const encrypter = settings.compression === "zstd" ? await settings.cipher.encryptCommand?.(ctx) : undefined;
  if (!encrypter) return storeHashed(ctx, settings.store, name, await settings.cipher.encrypt(ctx, compress(ctx, input, settings.compression, settings.compressionLevel)));
  // zstd | gpg by descriptor: the compressed bytes do not pass through node.
  const commands = [{ ...compressCommand(settings.compressionLevel), input }, encrypter.command];
  try {
    if (settings.store.putByDescriptor) return await storeByDescriptor(ctx, settings.store, name, commands, input);
    const joined = ctx.pipe(commands);
    try {
      return await storeHashed(ctx, settings.store, name, outputOnceSucceeded(joined, input));
    } catch (error) {
      joined.kill();
      throw error;
    } finally {
      await joined.done.catch(() => undefined);
    }
  } finally {
    await encrypter.cleanup();
  }
}

/**
 * The last command writes the object's file itself (a local store), so the encrypted bytes do not
 * pass through node either; the stored file is then read once for its SHA-256.
 */
async function storeByDescriptor(ctx: RunContext, store: Store, name: string, commands: CommandSpec[], input: Readable): Promise<{ size: number; sha256: string }> {
  let sha256 = "";
  const size = await store.putByDescriptor!(name, async (fd) => {
    const joined = ctx.pipeInto(commands, fd);
    const stop = () => joined.kill();
    input.once("error", stop);
    try {
      await joined.done;
    } catch (error) {
      joined.kill();
      await joined.done.catch(() => undefined);
      throw error;
    } finally {
      input.off("error", stop);
    }
    sha256 = await sha256OfDescriptor(fd);
  });
  return { size, sha256 };
}

async function sha256OfDescriptor(fd: number): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream("", { fd, start: 0, autoClose: false, highWaterMark: 1 << 18 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Stores an encrypted stream under `name`; the stored size and SHA-256 of what was stored. */
export async function storeHashed(ctx: RunContext, store: Store, name: string, encrypted: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const piped = pipeline(encrypted, hashing);
  piped.catch(() => undefined);
  const size = await store.put(name, hashing, ctx.signal);
  await piped;
  return { size, sha256: hash.digest("hex") };
}

/**
 * tar writes its archive in records of 10 KiB, which node reads one by one when tar is slower
 * than node (a no-change run's 15 MB of directory listings): passed on like that they cost
 * thousands of writes into zstd's pipe (a quarter of the node process's time in its profile).
 * Such small pieces are joined into about COALESCE_BYTES first; the 64 KiB pieces of a busy pipe
 * (a full backup's data) pass as they are, without a copy.
 */
const COALESCE_BYTES = 1 << 20;
const SMALL_PIECE = 32 << 10;

async function* coalesced(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  const joined = () => {
    const piece = parts.length === 1 ? parts[0]! : Buffer.concat(parts, held);
    parts = [];
    held = 0;
    return piece;
  };
  for await (const chunk of source) {
    if (chunk.length >= SMALL_PIECE) {
      if (held > 0) yield joined();
      yield chunk;
      continue;
    }
    parts.push(chunk);
    held += chunk.length;
    if (held >= size) yield joined();
  }
  if (held > 0) yield joined();
}

/** Writes with backpressure; rejects if the consumer fails instead of waiting forever for 'drain'. */
async function write(stream: Writable, chunk: Buffer, failure: Promise<unknown> | undefined): Promise<void> {
  if (stream.write(chunk)) return;
  const drained = once(stream, "drain");
  await (failure ? Promise.race([drained, failure.then(() => drained)]) : drained);
}
