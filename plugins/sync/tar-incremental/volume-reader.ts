import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { messages } from "../../../core/messages.js";
import { isCommandError, isCryptkeepError, messageOf } from "../../../core/errors.js";
import type { Cipher, RunContext, Store } from "../../../core/types.js";
import { DECOMPRESS_ZSTD, decompress } from "./compression.js";
import { outputOnceSucceeded } from "../../../core/runner.js";
import { digestStream } from "./digest.js";
import { filesInRange } from "./index/index.js";
import type { Manifest, VolumeRecord } from "./manifest.js";

/** Where a snapshot's volumes are, and what decrypts them. */
export type VolumeDeps = { store: Store; cipher: Cipher };

/** Reads a volume once to compare its stored bytes with the manifest; nothing is decrypted before this passes. */
export async function checkVolume(store: Store, volume: VolumeRecord): Promise<string | undefined> {
  const stream = await store.get(volume.name).catch(() => undefined);
  if (!stream) return "missing";
  const actual = await digestStream(stream);
  if (actual.size !== volume.size) return `size ${actual.size}, expected ${volume.size} (truncated or extended)`;
  if (actual.sha256 !== volume.sha256) return "SHA-256 differs from the manifest (damaged or tampered with)";
  return undefined;
}

/** checkVolume, its problem thrown as VOLUME_DAMAGED naming the volume and its files. */
export async function ensureIntact(store: Store, manifest: Manifest, volume: VolumeRecord): Promise<void> {
  const problem = await checkVolume(store, volume);
  if (problem) throw messages.volumeDamaged(manifest.id, `${volume.name} (${problem})`, affectedFiles(manifest, volume));
}

export function affectedFiles(manifest: Manifest, volume: VolumeRecord): string[] {
  return filesInRange(manifest.files, volume.tarStart, volume.tarEnd).map((f) => f.path);
}

/**
 * One volume's tar bytes: checked against the manifest first (unless `checked`), then decrypted
 * and decompressed as a stream. Throws VOLUME_DAMAGED naming the volume and its files.
 */
export async function openVolume(
  ctx: RunContext,
  deps: { store: Store; cipher: Cipher },
  manifest: Manifest,
  volume: VolumeRecord,
  checked = false,
): Promise<Readable> {
  if (!checked) await ensureIntact(deps.store, manifest, volume);
  const stored = await deps.store.get(volume.name);
  const decrypter = manifest.compression === "zstd" ? await deps.cipher.decryptCommand?.(ctx, stored) : undefined;
  if (decrypter) return decryptAndDecompress(ctx, decrypter);
  return decompress(ctx, await deps.cipher.decrypt(ctx, stored), manifest.compression);
}

export type Decrypter = NonNullable<Awaited<ReturnType<NonNullable<Cipher["decryptCommand"]>>>>;

/**
 * The cipher's command and `zstd -d` joined by a pipe, as the recipe runs them: the compressed
 * bytes do not pass through node. The stream ends only once both exited successfully; a reader
 * that stops early (a failed restore, or only a volume's head handed over) stops them.
 */
function decryptAndDecompress(ctx: RunContext, decrypter: Decrypter): Readable {
  const joined = ctx.pipe([decrypter.command, DECOMPRESS_ZSTD]);
  joined.done.finally(decrypter.cleanup).catch(() => undefined);
  return outputOnceSucceeded(joined, decrypter.input, (error) => decodeFailure(decrypter, error));
}

/** What the failure of the decryption joined to `zstd -d` means for the data. */
export function decodeFailure(decrypter: Decrypter, error: unknown): unknown {
  const meant = decrypter.failure(error);
  // zstd failed and the decryption did not: the decrypted bytes do not decompress.
  if (meant !== error || !isCommandError(error, "COMMAND_FAILED") || error.tool !== "zstd") return meant;
  return new Error(`it does not decompress (${error.stderrLines().join("; ")})`);
}

/** What an error while reading an opened volume means: the stored bytes matched the manifest, so it is in decryption or decompression. */
export function readFailure(ctx: RunContext, manifest: Manifest, volume: VolumeRecord, error: unknown): unknown {
  if (isCryptkeepError(error) || ctx.signal.aborted) return error;
  return messages.volumeUnreadable(manifest.id, volume.name, messageOf(error));
}

/**
 * Feeds the snapshot's tar stream (volumes checked, decrypted, decompressed, in order) into `out`
 * and ends it. Throws VOLUME_DAMAGED naming the volume and its files when a check fails.
 * `volumesChecked`: the caller has just run checkVolume on every volume (verify does, to name
 * them all), so each volume is read once more to decrypt, not twice.
 */
export async function streamSnapshot(
  ctx: RunContext,
  deps: { store: Store; cipher: Cipher },
  manifest: Manifest,
  out: Writable,
  volumesChecked = false,
): Promise<void> {
  // pipeline(..., { end: false }) leaves one 'close' listener on `out` per volume: not a leak worth a warning.
  out.setMaxListeners(out.getMaxListeners() + manifest.volumes.length);
  for (const volume of manifest.volumes) {
    const plain = await openVolume(ctx, deps, manifest, volume, volumesChecked);
    await pipeline(plain, out, { end: false, signal: ctx.signal }).catch((error: unknown) => {
      throw readFailure(ctx, manifest, volume, error);
    });
    ctx.progress.update({ bytes: volume.tarEnd - volume.tarStart });
  }
  if (!out.writableEnded) {
    out.end();
    if (!out.writableFinished) await once(out, "finish").catch(() => undefined);
  }
}
