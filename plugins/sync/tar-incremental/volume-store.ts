import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { PassThrough, Transform, type Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { outputOnceSucceeded, type CommandSink, type CommandSpec } from "../../../core/runner.js";
import type { Cipher, RunContext, Store } from "../../../core/types.js";
import { compress, compressCommand, type Compression } from "./compression.js";

export interface VolumeSettings {
  compression: Compression;
  compressionLevel?: number;
  store: Store;
  cipher: Cipher;
}

/** A volume being filled: node writes its tar bytes into `input`, and ends it. */
export interface OpenVolume {
  input: Writable;
  /**
   * Whether `input` keeps what is written until it is read (a stream in node): it then gets
   * copies. Otherwise it is a command's stdin, which holds a piece only until its write callback.
   */
  keeps: boolean;
  /** Settles once the volume is stored: its stored size and SHA-256. */
  done: Promise<{ size: number; sha256: string }>;
  /** Abandons the volume: nothing is stored under its name. */
  kill(): void;
}

/**
 * Starts compressing, encrypting and storing one volume under `name`. Where the cipher is a
 * command and the store writes files here, `zstd | gpg` write the volume's file themselves: no
 * byte after the tar bytes passes through node.
 */
export async function openVolume(ctx: RunContext, settings: VolumeSettings, name: string): Promise<OpenVolume> {
  const encrypter = settings.compression === "zstd" ? await settings.cipher.encryptCommand?.(ctx) : undefined;
  if (encrypter && settings.store.putByDescriptor) {
    const opened = openByDescriptor(ctx, settings, name, encrypter.command);
    void opened.done.finally(() => void encrypter.cleanup()).catch(() => undefined);
    return { ...opened, input: await opened.input };
  }
  const input = new PassThrough({ highWaterMark: 1 << 20 });
  // Abandoning it (kill) is an error of the stream; `done` says why the volume failed.
  input.on("error", () => undefined);
  const done = storeStream(ctx, settings, input, name, encrypter);
  done.catch(() => undefined);
  return { input, keeps: true, done, kill: () => input.destroy(new Error(`volume ${name} abandoned`)) };
}

function openByDescriptor(ctx: RunContext, settings: VolumeSettings, name: string, encrypt: CommandSpec) {
  let sink: CommandSink | undefined;
  let started!: (sink: CommandSink) => void;
  const ready = new Promise<CommandSink>((resolve) => (started = resolve));
  let sha256 = "";
  const size = settings.store.putByDescriptor!(name, async (fd) => {
    sink = ctx.sinkInto([compressCommand(settings.compressionLevel), encrypt], fd);
    started(sink);
    await sink.done;
    sha256 = await sha256OfDescriptor(fd);
  });
  const done = size.then((bytes) => ({ size: bytes, sha256 }));
  done.catch(() => undefined);
  // The store fails before starting the commands when it cannot create the file.
  const input = Promise.race([ready, size.then(() => Promise.reject(new Error(`volume ${name} was stored before it was written`)))]).then((running) => running.stdin);
  return { input, keeps: false, done, kill: () => sink?.kill() };
}

/** The ways through node: in-process compression or encryption, or a store that is not a folder here. */
async function storeStream(
  ctx: RunContext,
  settings: VolumeSettings,
  input: Readable,
  name: string,
  encrypter: { command: CommandSpec; cleanup(): Promise<void> } | undefined,
): Promise<{ size: number; sha256: string }> {
  if (!encrypter) return storeHashed(ctx, settings.store, name, await settings.cipher.encrypt(ctx, compress(ctx, input, settings.compression, settings.compressionLevel)));
  // zstd | gpg by descriptor: the compressed bytes do not pass through node.
  const joined = ctx.pipe([{ ...compressCommand(settings.compressionLevel), input }, encrypter.command]);
  try {
    return await storeHashed(ctx, settings.store, name, outputOnceSucceeded(joined, input));
  } catch (error) {
    joined.kill();
    throw error;
  } finally {
    await joined.done.catch(() => undefined);
    await encrypter.cleanup();
  }
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
