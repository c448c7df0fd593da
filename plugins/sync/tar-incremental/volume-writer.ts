import { once } from "node:events";
import type { CommandResult, CommandSpec, InPlaceReader } from "../../../core/runner.js";
import type { RunContext } from "../../../core/types.js";
import { compressionExt } from "./compression.js";
import { volumeName } from "./layout.js";
import type { VolumeRecord } from "./manifest.js";
import { openVolume, type OpenVolume, type VolumeSettings } from "./volume-store.js";

export interface VolumeWriterSettings extends VolumeSettings {
  id: string;
  volumeSize: number;
  /** Gets every tar byte, at once: keeps nothing of a chunk past the call (TarIndexer.feed). Throws to stop the backup. */
  index(chunk: Buffer): void;
  onBytes(bytes: number): void;
  /** Called once tar has exited well, its archive read, while the last volumes are still being stored. */
  onTarDone?(result: CommandResult): void;
}

interface FillingVolume extends OpenVolume {
  name: string;
  start: number;
  filled: number;
}

/**
 * Runs `tar` and splits its archive into volumes of `volumeSize` tar bytes; each volume is
 * compressed, encrypted and stored on its own (so a damaged volume costs one volume), and every
 * byte goes through `index` first. tar's output is read into a few reused buffers
 * (ctx.readInPlace): a piece goes on to a volume's command as it is, its buffer held until that
 * command has taken it (a stream in node gets a copy). Returns the volumes in order and tar's result.
 */
export async function writeVolumes(ctx: RunContext, tar: CommandSpec, settings: VolumeWriterSettings): Promise<{ volumes: VolumeRecord[]; tar: CommandResult }> {
  const volumes: VolumeRecord[] = [];
  // Volumes closed and still being compressed, encrypted and stored while the next one fills.
  const finishing: Promise<VolumeRecord>[] = [];
  let offset = 0;
  let opened = 0;
  let current: FillingVolume | undefined;
  let opening: Promise<void> | undefined;
  // Set once tar runs; the handlers below, made before it, use it from then on.
  // eslint-disable-next-line prefer-const
  let reader: InPlaceReader | undefined;
  let stopped = false;
  let fail!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = (error) => {
      if (stopped) return;
      stopped = true;
      reader?.kill();
      current?.kill();
      reject(error);
    };
  });
  failed.catch(() => undefined);

  const open = async () => {
    // At most two volumes at once: the one filling and the one before it.
    while (finishing.length > 1) volumes.push(await Promise.race([finishing.shift()!, failed]));
    const name = volumeName(settings.id, ++opened, compressionExt(settings.compression), settings.cipher.extension);
    const starting = openVolume(ctx, settings, name);
    // Opened after the run failed: abandoned, or its commands would wait for input forever.
    failed.catch(() => starting.then((volume) => volume.kill(), () => undefined));
    const volume = await Promise.race([starting, failed]);
    volume.done.catch(fail);
    current = { ...volume, name, start: offset, filled: 0 };
  };
  const ensureOpen = () => (opening ??= open().finally(() => (opening = undefined)));
  const close = (volume: FillingVolume) => {
    current = undefined;
    volume.input.end();
    const record = volume.done.then((stored) => ({ name: volume.name, ...stored, tarStart: volume.start, tarEnd: volume.start + volume.filled }));
    record.catch(() => undefined);
    finishing.push(record);
  };
  /** Hands `part` to the volume; a promise when reading must wait for it to be taken. */
  const hand = (volume: FillingVolume, part: Buffer): Promise<void> | undefined => {
    volume.filled += part.length;
    offset += part.length;
    if (volume.keeps) return volume.input.write(Buffer.from(part)) ? undefined : drained(volume);
    let taken: (() => void) | undefined;
    volume.input.write(part, () => taken?.());
    // Written at once (the usual case): the command has the bytes and the buffer is free again.
    if (volume.input.writableLength === 0) return undefined;
    return Promise.race([new Promise<void>((resolve) => (taken = resolve)), failed]);
  };
  const drained = (volume: FillingVolume) => Promise.race([once(volume.input, "drain").then(() => undefined), failed]);

  /** Hands on what is left of a chunk once reading had to wait: a copy, so the reader's buffer is free. */
  const carryOn = async (rest: Buffer) => {
    try {
      while (rest.length > 0) {
        if (!current) await ensureOpen();
        const volume = current!;
        const part = rest.subarray(0, settings.volumeSize - volume.filled);
        rest = rest.subarray(part.length);
        await hand(volume, part);
        if (volume.filled >= settings.volumeSize) close(volume);
      }
      reader?.resume();
    } catch (error) {
      fail(error);
    }
  };

  const onChunk = (chunk: Buffer, hold: (released: Promise<unknown>) => void): boolean => {
    if (stopped) return false;
    try {
      settings.index(chunk);
      settings.onBytes(chunk.length);
      let rest = chunk;
      while (rest.length > 0) {
        const volume = current;
        if (!volume) {
          void carryOn(Buffer.from(rest));
          return false;
        }
        const part = rest.subarray(0, settings.volumeSize - volume.filled);
        rest = rest.subarray(part.length);
        const waiting = hand(volume, part);
        if (volume.filled >= settings.volumeSize) close(volume);
        if (!waiting) continue;
        // zstd's pipe is full: the reader keeps this piece's buffer until zstd has it, and reads
        // on into its other buffers, so tar runs up to a megabyte ahead.
        if (!volume.keeps) {
          hold(waiting);
          continue;
        }
        const left = rest.length > 0 ? Buffer.from(rest) : undefined;
        waiting.then(() => (left ? carryOn(left) : reader?.resume()), fail);
        return false;
      }
      return true;
    } catch (error) {
      fail(error);
      return false;
    }
  };

  reader = await ctx.readInPlace(tar, onChunk);
  // The first volume's commands start while tar walks the tree (it writes nothing until then).
  ensureOpen().catch(fail);
  try {
    await Promise.race([reader.ended, failed]);
    const tarResult = await Promise.race([reader.done, failed]);
    if (opening) await opening;
    if (current) close(current);
    settings.onTarDone?.(tarResult);
    for (const record of finishing.splice(0)) volumes.push(await Promise.race([record, failed]));
    return { volumes, tar: tarResult };
  } catch (error) {
    fail(error);
    await reader.done.catch(() => undefined);
    // The volumes closed before the failure end on their own: nothing is stored after it is reported.
    await Promise.allSettled(finishing);
    throw error;
  }
}
