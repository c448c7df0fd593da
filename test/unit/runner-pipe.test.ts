import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { Runner, outputOnceSucceeded } from "../../core/runner.js";

describe("the command runner's pipe (a | b by descriptor)", () => {
  it("joins the commands by a kernel pipe: the bytes between them flow while node's thread is busy", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ck-pipe-"));
    const counted = join(dir, "counted");
    const joined = new Runner().pipe([
      { tool: "head", args: ["-c", "4000000", "/dev/zero"] },
      { tool: "sh", args: ["-c", `wc -c > ${counted}.part && mv ${counted}.part ${counted}`] },
    ]);
    // Far more than a pipe holds: had node been in between, nothing would move while this loop runs.
    const until = Date.now() + 10_000;
    while (!existsSync(counted) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    expect(existsSync(counted) ? readFileSync(counted, "utf8").trim() : "not yet after 10 s").toBe("4000000");
    await joined.done;
    await rm(dir, { recursive: true });
  });

  it("reads the first command's input from node and hands the last command's output to node", async () => {
    const input = Readable.from([Buffer.from("hello from node\n")]);
    const joined = new Runner().pipe([{ tool: "tr", args: ["a-z", "A-Z"], input }, { tool: "rev", args: [] }]);
    expect(await text(outputOnceSucceeded(joined, input))).toBe("EDON MORF OLLEH\n");
  });

  it("reports the command that failed, not the one that then died of the broken pipe", async () => {
    const joined = new Runner().pipe([
      { tool: "sh", args: ["-c", "yes"] },
      { tool: "sh", args: ["-c", "head -c 10 >/dev/null; echo 'gpg: no valid recipients' >&2; exit 2"] },
    ]);
    const output = text(outputOnceSucceeded(joined)).catch((error: Error) => error);
    const error = await joined.done.catch((e: Error) => e);
    expect(error).toMatchObject({ code: "COMMAND_FAILED", tool: "sh", status: 2, stderr: "gpg: no valid recipients" });
    expect((error as Error).message).toMatch(/exit code 2: sh -c .*head -c 10.*no valid recipients/s);
    expect(await output).toBe(error);
  });

  it("an upstream failure fails the whole even though the last command ends well on its cut-short input", async () => {
    const input = Readable.from([Buffer.from("data")]);
    const joined = new Runner().pipe([
      { tool: "sh", args: ["-c", "echo partial; echo 'zstd: write error' >&2; exit 1"], input },
      { tool: "cat", args: [] },
    ]);
    const output = text(outputOnceSucceeded(joined, input)).catch((error: Error) => error);
    const error = await joined.done.catch((e: Error) => e);
    expect((error as Error).message).toMatch(/exit code 1: .*zstd: write error/s);
    // Whoever stores the output sees an error, not a complete-looking end.
    expect(await output).toBe(error);
  });

  it("an error of the input kills the commands and reaches the output", async () => {
    const input = new Readable({ read() {} });
    const joined = new Runner().pipe([{ tool: "cat", args: [], input }, { tool: "cat", args: [] }]);
    const output = text(outputOnceSucceeded(joined, input)).catch((error: Error) => error);
    input.push(Buffer.from("some bytes"));
    input.destroy(new Error("source folder vanished"));
    expect(await output).toMatchObject({ message: "source folder vanished" });
    await expect(joined.done).rejects.toBeDefined();
  });

  it("says what a failure means through the caller's mapping, and the stream carries that", async () => {
    const joined = new Runner().pipe([{ tool: "sh", args: ["-c", "echo 'gpg: WARNING: encrypted message has been manipulated!' >&2; exit 2"] }, { tool: "cat", args: [] }]);
    const meaning = (error: unknown) => new Error(`damaged: ${(error as Error).message.split("\n").at(-1)!.replace(/^\s*\| /, "")}`);
    const output = text(outputOnceSucceeded(joined, undefined, meaning)).catch((error: Error) => error);
    expect(await output).toMatchObject({ message: "damaged: gpg: WARNING: encrypted message has been manipulated!" });
  });

  it("a reader that stops before the end stops the commands, which would otherwise block on a full pipe", async () => {
    const joined = new Runner().pipe([{ tool: "sh", args: ["-c", "yes"] }, { tool: "cat", args: [] }]);
    const out = outputOnceSucceeded(joined);
    for await (const _chunk of out) break; // the first chunk only: the loop's exit destroys the stream
    await expect(joined.done).rejects.toMatchObject({ code: "COMMAND_KILLED" });
  });

  it("a command before the one that failed first is not stopped: its own failure, found later, is the cause", async () => {
    const joined = new Runner().pipe([
      { tool: "sh", args: ["-c", "printf data; sleep 0.3; echo 'gpg: WARNING: encrypted message has been manipulated!' >&2; exit 2"] },
      { tool: "sh", args: ["-c", "head -c 4 >/dev/null; echo 'zstd: Data corruption detected' >&2; exit 1"] },
    ]);
    const error = await joined.done.catch((e: Error) => e);
    expect((error as Error).message).toMatch(/exit code 2: sh -c .*manipulated/s);
  });

  it("a command that failed only of the broken pipe after the next one failed is not the cause", async () => {
    const joined = new Runner().pipe([
      { tool: "sh", args: ["-c", "trap '' PIPE; sleep 0.2; yes 2>/dev/null || { echo 'gpg: error writing: Broken pipe' >&2; exit 2; }"] },
      { tool: "sh", args: ["-c", "echo 'zstd: Data corruption detected' >&2; exit 1"] },
    ]);
    const error = await joined.done.catch((e: Error) => e);
    expect((error as Error).message).toMatch(/exit code 1: sh -c .*Data corruption detected/s);
  });
});

describe("a sink: one command's stdin written by commands in turn, then by node", () => {
  it("gets each writer's bytes in the order they ran, node's last, and ends when node ends it", async () => {
    const runner = new Runner();
    const sink = runner.sink({ tool: "cat", args: [] });
    await runner.pipeInto([{ tool: "printf", args: ["one,"] }, { tool: "tr", args: ["a-z", "A-Z"] }], sink.stdin).done;
    await runner.pipeInto([{ tool: "printf", args: ["two,"] }], sink.stdin).done;
    sink.stdin.end("three");
    expect((await sink.done).stdout).toBe("ONE,two,three");
  });

  it("stopsEarly: the writers before a command that stopped reading on purpose ended well; a failure of their own still counts", async () => {
    const runner = new Runner();
    const sink = runner.sink({ tool: "cat", args: [] });
    const head = { tool: "head", args: ["-c", "6"] };
    await runner.pipeInto([{ tool: "sh", args: ["-c", "yes"] }, head], sink.stdin, { stopsEarly: true }).done;
    // Without stopsEarly, yes dying of the broken pipe is a failure of the whole.
    await expect(runner.pipeInto([{ tool: "sh", args: ["-c", "yes"] }, head], sink.stdin).done).rejects.toMatchObject({ tool: "sh" });
    await expect(runner.pipeInto([{ tool: "sh", args: ["-c", "printf ab; exit 3"] }, head], sink.stdin, { stopsEarly: true }).done)
      .rejects.toMatchObject({ code: "COMMAND_FAILED", status: 3 });
    sink.stdin.end();
    expect((await sink.done).stdout).toBe("y\ny\ny\ny\ny\ny\nab");
  });
});
