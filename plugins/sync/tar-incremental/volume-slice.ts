import type { Writable } from "node:stream";
import { endedOfBrokenPipe, type CommandSpec } from "../../../core/runner.js";
import type { Cipher, RunContext, Store } from "../../../core/types.js";
import { DECOMPRESS_ZSTD } from "./compression.js";
import type { Manifest, VolumeRecord } from "./manifest.js";
import { decodeFailure, readFailure } from "./volume-reader.js";

/**
 * Part of a volume's tar bytes: `count` bytes after the first `skip` (both optional: from `skip`
 * to its end, or its first `count` bytes). Sent into a command's stdin by kernel pipes,
 * `decrypt | zstd -d | dd`, so that no plaintext byte passes through node.
 */
export interface Slice { skip?: number; count?: number }

/**
 * dd cuts exactly on a pipe only with fullblock: without it, a short read while skipping counts
 * as a whole block. dd's last line says how many bytes it wrote.
 */
export function sliceCommand(slice: Slice): CommandSpec | undefined {
  const flags = ["fullblock", ...(slice.skip ? ["skip_bytes"] : []), ...(slice.count !== undefined ? ["count_bytes"] : [])];
  if (flags.length === 1) return undefined;
  const args = ["bs=256K", `iflag=${flags.join(",")}`, ...(slice.skip ? [`skip=${slice.skip}`] : []), ...(slice.count !== undefined ? [`count=${slice.count}`] : [])];
  return { tool: "dd", args, env: { LC_ALL: "C" } };
}

export function bytesCopied(ddStderr: string): number | undefined {
  const said = /^(\d+) bytes? /m.exec(ddStderr)?.[1];
  return said === undefined ? undefined : Number(said);
}

/**
 * Whether zstd volumes can be sent by kernel pipes here: a cipher that decrypts by a command
 * (gpg), and a dd that cuts by bytes (GNU coreutils').
 */
export async function slicesByKernel(ctx: RunContext, cipher: Cipher): Promise<boolean> {
  if (!cipher.decryptCommand || !(await cipher.decryptsByCommand?.(ctx))) return false;
  const dd = await ctx.exec({ tool: "dd", args: ["--version"] }).catch(() => undefined);
  return /coreutils/i.test(dd?.stdout ?? "");
}

/**
 * Sends `slice` of `volume` (already checked against the manifest) into `into`, a sink's stdin,
 * and resolves once every command has ended well. Throws VOLUME_UNREADABLE for a volume that
 * does not decrypt, decompress or hold the bytes the manifest says; throws the raw broken-pipe
 * failure when `into`'s reader has gone, whose own failure is the one to report.
 */
export async function sendSlice(
  ctx: RunContext,
  deps: { store: Store; cipher: Cipher },
  manifest: Manifest,
  volume: VolumeRecord,
  slice: Slice,
  into: Writable,
  stop?: AbortSignal,
): Promise<void> {
  const stored = await deps.store.get(volume.name);
  const decrypter = await deps.cipher.decryptCommand!(ctx, stored);
  if (!decrypter) throw new Error(`the cipher of ${manifest.id} no longer decrypts by a command`);
  const cut = sliceCommand(slice);
  const specs = cut ? [decrypter.command, DECOMPRESS_ZSTD, cut] : [decrypter.command, DECOMPRESS_ZSTD];
  const joined = ctx.pipeInto(specs, into, { stopsEarly: slice.count !== undefined });
  const kill = () => joined.kill();
  stop?.addEventListener("abort", kill, { once: true });
  if (stop?.aborted) kill();
  let stderr: string;
  try {
    stderr = (await joined.done).stderr;
  } catch (error) {
    if (endedOfBrokenPipe(error)) throw error;
    throw readFailure(ctx, manifest, volume, decodeFailure(decrypter, error));
  } finally {
    stop?.removeEventListener("abort", kill);
    decrypter.input.destroy();
    stored.destroy();
    await decrypter.cleanup();
  }
  const expected = slice.count ?? volume.tarEnd - volume.tarStart - (slice.skip ?? 0);
  const copied = cut ? bytesCopied(stderr) : expected;
  if (copied !== expected) {
    const held = slice.count === undefined ? `${(copied ?? 0) + (slice.skip ?? 0)} tar bytes` : `fewer than ${slice.count} tar bytes`;
    throw readFailure(ctx, manifest, volume, new Error(`it holds ${held}, the manifest says ${volume.tarEnd - volume.tarStart}`));
  }
}
