import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { execFileSync } from "node:child_process";
import { Runner, endedOfBrokenPipe } from "../../core/runner.js";
import type { Cipher, RunContext, Store } from "../../core/types.js";
import type { Manifest, VolumeRecord } from "../../plugins/sync/tar-incremental/manifest.js";
import { bytesCopied, sendSlice, sliceCommand, type Slice } from "../../plugins/sync/tar-incremental/volume-slice.js";

/**
 * sendSlice with the real zstd and dd; `cat` stands in for gpg (the cipher's command), so the
 * cutting, counting and failure mapping are tested without keys.
 */
const runner = new Runner();
const ctx = {
  signal: new AbortController().signal,
  pipeInto: (specs, into, options) => runner.pipeInto(specs, into, options),
} as Pick<RunContext, "signal" | "pipeInto"> as RunContext;

const catCipher = {
  decryptCommand: async (_ctx: RunContext, data: Readable) => ({
    command: { tool: "cat", args: [], input: data }, input: data, cleanup: async () => undefined, failure: (error: unknown) => error,
  }),
} as unknown as Cipher;

const storeOf = (bytes: Buffer) => ({ get: async () => Readable.from([bytes]) }) as unknown as Store;

const manifestOf = (volume: VolumeRecord) => ({ id: "20261124T000000.000Z", compression: "zstd", volumes: [volume], files: [] }) as unknown as Manifest;

/** Runs sendSlice into `sh -c 'sha256sum; wc -c'` and returns what arrived, or the error. */
async function sliceOf(stored: Buffer, tarBytes: number, slice: Slice): Promise<{ sha256: string; size: number } | Error> {
  const volume = { name: "vol-00001.tar.zst.gpg", size: stored.length, sha256: "", tarStart: 0, tarEnd: tarBytes };
  const sink = runner.sink({ tool: "bash", args: ["-c", "tee >(sha256sum >&2) | wc -c; wait"] });
  try {
    await sendSlice(ctx, { store: storeOf(stored), cipher: catCipher }, manifestOf(volume), volume, slice, sink.stdin);
  } catch (error) {
    sink.stdin.destroy();
    await sink.done.catch(() => undefined);
    return error as Error;
  }
  sink.stdin.end();
  const result = await sink.done;
  return { size: Number(result.stdout.trim()), sha256: result.stderr.split(" ")[0]! };
}

/** Node 20 has no zstd of its own: the real zstd compresses. */
const zstdCompressSync = (bytes: Buffer) => execFileSync("zstd", ["-q", "-c"], { input: bytes, maxBuffer: 1 << 30 });

const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("a volume's slice sent by kernel pipes (decrypt | zstd -d | dd)", () => {
  // Bigger than any pipe's buffer, so dd's cut and the commands' ends are really exercised.
  const plain = randomBytes(3 * 1024 * 1024 + 12345);
  const stored = zstdCompressSync(plain);

  it("the bytes from `skip` to the end, and the first `count` bytes, exactly", async () => {
    for (const skip of [1, 512, 262_144, 1_000_001]) {
      expect(await sliceOf(stored, plain.length, { skip })).toEqual({ size: plain.length - skip, sha256: sha(plain.subarray(skip)) });
    }
    // The commands before dd stop of the broken pipe once dd has its count: that is no failure.
    for (const count of [1, 10_240, 262_145]) {
      expect(await sliceOf(stored, plain.length, { count })).toEqual({ size: count, sha256: sha(plain.subarray(0, count)) });
    }
  });

  it("a volume holding fewer tar bytes than the manifest says is unreadable, saying how many it holds", async () => {
    const error = await sliceOf(stored, plain.length + 512, { skip: 512 });
    expect(error).toMatchObject({ code: "VOLUME_UNREADABLE" });
    expect((error as Error).message).toContain(`it holds ${plain.length} tar bytes, the manifest says ${plain.length + 512}`);
    const short = await sliceOf(zstdCompressSync(plain.subarray(0, 1000)), plain.length, { count: 5000 });
    expect((short as Error).message).toContain("it holds fewer than 5000 tar bytes");
  });

  it("bytes that do not decompress are unreadable, in zstd's words", async () => {
    const error = await sliceOf(randomBytes(100_000), plain.length, { skip: 10 });
    expect(error).toMatchObject({ code: "VOLUME_UNREADABLE" });
    expect((error as Error).message).toMatch(/cannot be decrypted or unpacked: it does not decompress \(.*zstd/);
  });

  it("a reader that stopped is reported as the broken pipe it is, for the caller to report the reader's own failure", async () => {
    const volume = { name: "v", size: stored.length, sha256: "", tarStart: 0, tarEnd: plain.length };
    const sink = runner.sink({ tool: "sh", args: ["-c", "head -c 1000 >/dev/null; echo 'tar: disk full' >&2; exit 2"] });
    const error = await sendSlice(ctx, { store: storeOf(stored), cipher: catCipher }, manifestOf(volume), volume, { skip: 1 }, sink.stdin).catch((e: Error) => e);
    // dd, zstd or the decryption died of the broken pipe, whichever node heard of first: no
    // VOLUME_UNREADABLE of a volume that is fine.
    expect(endedOfBrokenPipe(error), String(error)).toBe(true);
    await expect(sink.done).rejects.toMatchObject({ status: 2, stderr: "tar: disk full" });
  });

  it("dd is asked to cut exactly: full blocks, and counts in bytes", () => {
    expect(sliceCommand({})).toBeUndefined();
    expect(sliceCommand({ skip: 0 })).toBeUndefined();
    expect(sliceCommand({ skip: 7 })?.args).toEqual(["bs=256K", "iflag=fullblock,skip_bytes", "skip=7"]);
    expect(sliceCommand({ count: 9 })?.args).toEqual(["bs=256K", "iflag=fullblock,count_bytes", "count=9"]);
    expect(bytesCopied("0+1 records in\n0+1 records out\n1000 bytes (1.0 kB) copied, 0.0016 s, 613 kB/s\n")).toBe(1000);
    expect(bytesCopied("1+0 records in\n1+0 records out\n1 byte copied, 5.1e-05 s, 19.6 kB/s\n")).toBe(1);
    expect(bytesCopied("dd: error")).toBeUndefined();
  });
});
