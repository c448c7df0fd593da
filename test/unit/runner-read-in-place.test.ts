import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isCommandError } from "../../core/errors.js";
import { Runner, type InPlaceReader } from "../../core/runner.js";
import { scratchDir } from "../helpers/cli.js";

/**
 * Runner.readInPlace with real commands: the bytes node gets are the command's, in order, while
 * the reader's few buffers are reused, held and waited for. Runs in a TMPDIR of its own, so the
 * pipes it makes are the only ones there (a backup running beside the tests makes its own).
 */
const runner = new Runner();

/** ~20 MB that never repeats itself in one place and repeats a short pattern in another. */
const GENERATE = "seq 1 2000000; yes abcdefghij | head -c 5000000";
const generate = { tool: "sh", args: ["-c", GENERATE] };

/** sha256sum and wc -c of the generator's output, read by the tools themselves. */
async function expected(): Promise<{ sha256: string; size: number }> {
  const { stdout } = await runner.run({ tool: "sh", args: ["-c", `(${GENERATE}) | sha256sum; (${GENERATE}) | wc -c`] });
  const [sum, count] = stdout.trim().split("\n");
  return { sha256: sum!.split(" ")[0]!, size: Number(count) };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let tmp: string;
let tmpBefore: string | undefined;
let wanted: { sha256: string; size: number };

beforeAll(async () => {
  wanted = await expected();
  expect(wanted.size).toBe(19_888_896);
  tmp = await scratchDir("ck-read-in-place-");
  tmpBefore = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
});

afterAll(() => {
  if (tmpBefore === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpBefore;
});

describe("Runner.readInPlace: a command's stdout read into a few reused buffers", () => {
  it("a held buffer is never read into until released; every byte arrives, in order", { timeout: 30_000 }, async () => {
    const hash = createHash("sha256");
    let size = 0;
    let chunks = 0;
    const held = new Set<ArrayBufferLike>();
    const seen = new Set<ArrayBufferLike>();
    let maxHeld = 0;
    const overwritten: string[] = [];
    const readIntoHeld: number[] = [];
    const holds: Promise<void>[] = [];
    let largest = 0;
    let pipeNamesWhileReading: string[] | undefined;

    let allHeld!: () => void;
    const outOfBuffers = new Promise<void>((resolve) => (allHeld = resolve));
    const reader = await runner.readInPlace(generate, (chunk, hold) => {
      const index = chunks++;
      hash.update(chunk);
      size += chunk.length;
      largest = Math.max(largest, chunk.length);
      seen.add(chunk.buffer);
      if (held.has(chunk.buffer)) readIntoHeld.push(index);
      pipeNamesWhileReading ??= readdirSync(tmp);
      // Two chunks of three are held for 2 to 10 ms: far slower than the command writes, so the
      // reader runs out of free buffers and must wait for a release.
      if (index % 3 === 2) return true;
      const copy = Buffer.from(chunk);
      held.add(chunk.buffer);
      maxHeld = Math.max(maxHeld, held.size);
      if (held.size === 15) allHeld();
      // None released before the reader ran out of free buffers once, however slowly the command writes.
      const released = outOfBuffers.then(() => delay(2 + 2 * (index % 5))).then(() => {
        // Checked before the promise settles, so while the buffer is still held.
        if (!chunk.equals(copy)) overwritten.push(`chunk ${index} (${chunk.length} bytes)`);
        held.delete(chunk.buffer);
        // A write that failed frees its buffer too: were it lost, the reader would run out and hang.
        if (index % 7 === 0) throw new Error("zstd went away");
      });
      holds.push(released);
      hold(released);
      return true;
    });
    await reader.ended;
    const result = await reader.done;
    // The last ones are checked after the end was read.
    await Promise.allSettled(holds);

    expect(result.exitCode).toBe(0);
    expect({ sha256: hash.digest("hex"), size }).toEqual(wanted);
    expect(overwritten).toEqual([]);
    expect(readIntoHeld).toEqual([]);
    // 16 buffers of 64 KiB, one always set aside for the next read: all the others were held at once.
    expect(seen.size).toBeLessThanOrEqual(16);
    expect(maxHeld).toBe(15);
    expect(largest).toBeLessThanOrEqual(64 << 10);
    // The pipe's name is gone once both ends are open.
    expect(pipeNamesWhileReading).toEqual([]);
  });

  it("a piece held twice (written into two volumes) is read into again only once both holds settled", { timeout: 30_000 }, async () => {
    const hash = createHash("sha256");
    let size = 0;
    let chunks = 0;
    const overwritten: number[] = [];
    const holds: Promise<void>[] = [];
    const reader = await runner.readInPlace(generate, (chunk, hold) => {
      const index = chunks++;
      hash.update(chunk);
      size += chunk.length;
      const copy = Buffer.from(chunk);
      // The first hold ends at once, the second later: the buffer must stay unread until the second.
      hold(Promise.resolve());
      const later = delay(1 + (index % 4)).then(() => {
        if (!chunk.equals(copy)) overwritten.push(index);
      });
      holds.push(later);
      hold(later);
      return true;
    });
    await reader.ended;
    await reader.done;
    await Promise.all(holds);
    expect({ sha256: hash.digest("hex"), size }).toEqual(wanted);
    expect(overwritten).toEqual([]);
  });

  it("onChunk returning false stops reading until resume(); the output is still whole and ends", { timeout: 30_000 }, async () => {
    const hash = createHash("sha256");
    let size = 0;
    let chunks = 0;
    let readWhileStopped = 0;
    let stopped = false;
    // Set once readInPlace resolves, before the first chunk arrives.
    let reader: InPlaceReader | undefined = undefined;
    reader = await runner.readInPlace(generate, (chunk) => {
      if (stopped) readWhileStopped++;
      chunks++;
      hash.update(chunk);
      size += chunk.length;
      stopped = true;
      setTimeout(() => {
        stopped = false;
        reader?.resume();
      }, 0);
      return false;
    });
    await reader.ended;
    await reader.done;

    expect({ sha256: hash.digest("hex"), size }).toEqual(wanted);
    expect(readWhileStopped).toBe(0);
    expect(chunks).toBeGreaterThan(1);
  });

  it("stopped by onChunk and out of buffers at once: resume() and the releases, in either order, read on", { timeout: 30_000 }, async () => {
    const hash = createHash("sha256");
    let size = 0;
    let chunks = 0;
    const held = new Set<ArrayBufferLike>();
    const overwritten: number[] = [];
    const holds: Promise<void>[] = [];
    let maxHeld = 0;
    let allHeld!: () => void;
    const outOfBuffers = new Promise<void>((resolve) => (allHeld = resolve));
    // Set once readInPlace resolves, before the first chunk arrives.
    let reader: InPlaceReader | undefined = undefined;
    reader = await runner.readInPlace(generate, (chunk, hold) => {
      const index = chunks++;
      hash.update(chunk);
      size += chunk.length;
      if (held.has(chunk.buffer)) overwritten.push(index);
      const copy = Buffer.from(chunk);
      held.add(chunk.buffer);
      maxHeld = Math.max(maxHeld, held.size);
      if (held.size === 15) allHeld();
      // Released after the resume below (and sometimes before it): reading waits for whichever comes
      // last. None before every spare buffer was held once, however slowly the command writes.
      const released = outOfBuffers.then(() => delay(index % 4 === 0 ? 0 : 25)).then(() => {
        if (!chunk.equals(copy)) overwritten.push(index);
        held.delete(chunk.buffer);
      });
      holds.push(released);
      hold(released);
      setTimeout(() => reader?.resume(), index % 4 === 0 ? 2 : 0);
      return false;
    });
    await reader.ended;
    await reader.done;
    await Promise.all(holds);

    expect({ sha256: hash.digest("hex"), size }).toEqual(wanted);
    expect(overwritten).toEqual([]);
    expect(maxHeld).toBe(15);
  });

  it("a command that fails: its output still arrives and ends, and `done` says how it failed", async () => {
    const received: Buffer[] = [];
    const reader = await runner.readInPlace({ tool: "sh", args: ["-c", "printf abc; echo 'tar: /src: Cannot open' >&2; exit 3"] }, (chunk) => {
      received.push(Buffer.from(chunk));
      return true;
    });
    await reader.ended;
    expect(Buffer.concat(received).toString()).toBe("abc");
    const error = await reader.done.catch((e: unknown) => e);
    expect(isCommandError(error, "COMMAND_FAILED")).toBe(true);
    expect(error).toMatchObject({ code: "COMMAND_FAILED", tool: "sh", status: 3, stderr: "tar: /src: Cannot open" });
    expect((error as Error).message).toMatch(/exit code 3: sh -c .*exit 3.*Cannot open/s);
  });

  it("kill() stops a command that would never end, and its process is gone once `done` rejects", async () => {
    const pidFile = join(tmp, "yes.pid");
    let chunks = 0;
    // Set once readInPlace resolves, before the first chunk arrives.
    let reader: InPlaceReader | undefined = undefined;
    let killed!: () => void;
    const wasKilled = new Promise<void>((resolve) => (killed = resolve));
    reader = await runner.readInPlace({ tool: "sh", args: ["-c", `echo $$ > ${pidFile}; exec yes`] }, () => {
      if (chunks++ === 0) {
        reader?.kill();
        killed();
      }
      return false;
    });
    await wasKilled;
    const started = Date.now();
    const error = await reader.done.catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toMatchObject({ code: "COMMAND_KILLED", signal: "SIGTERM" });
    expect(chunks).toBe(1);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  });

  it("kill() settles `ended` too: the output can no longer be read", async () => {
    let chunks = 0;
    // Set once readInPlace resolves, before the first chunk arrives.
    let reader: InPlaceReader | undefined = undefined;
    reader = await runner.readInPlace({ tool: "yes", args: [] }, () => {
      if (chunks++ === 0) reader?.kill();
      return false;
    });
    const ended = reader.ended.then(() => "resolved", () => "rejected");
    const outcome = await Promise.race([ended, delay(2000).then(() => "still pending 2 s after kill()")]);
    await reader.done.catch(() => undefined);
    expect(outcome).toBe("rejected");
  });

  it("leaves no pipe or folder of its own in the temp folder", () => {
    expect(readdirSync(tmp).filter((name) => name.startsWith("cryptkeep-pipe-"))).toEqual([]);
    expect(readdirSync(tmp)).toEqual(["yes.pid"]);
  });
});
