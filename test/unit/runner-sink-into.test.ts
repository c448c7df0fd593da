import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Runner } from "../../core/runner.js";
import { scratchDir } from "../helpers/cli.js";

/**
 * Joined commands that write into an open file's descriptor (a store's file), fed by node
 * (sinkInto) or by their own first command (pipeInto): the file holds what the last one wrote.
 */
const runner = new Runner();
let dir: string;
const opened: number[] = [];

/** A new file in the test's folder, open for writing as a store opens a volume's file. */
function openFile(name: string): { path: string; fd: number } {
  const path = join(dir, name);
  const fd = openSync(path, "w", 0o600);
  opened.push(fd);
  return { path, fd };
}

beforeAll(async () => {
  dir = await scratchDir("ck-sink-into-");
});

afterAll(() => {
  for (const fd of opened.splice(0)) closeSync(fd);
});

describe("Runner.sinkInto: node writes the first command's stdin, the last writes into a descriptor", () => {
  it("the file holds the text node wrote, through both commands, once `done` resolves", async () => {
    const { path, fd } = openFile("upper");
    const sink = runner.sinkInto([{ tool: "tr", args: ["a-z", "A-Z"] }, { tool: "cat", args: [] }], fd);
    sink.stdin.write("hello, ");
    sink.stdin.end("sink into a descriptor\n");
    const result = await sink.done;
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path, "utf8")).toBe("HELLO, SINK INTO A DESCRIPTOR\n");
  });

  it("more than a pipe holds, written in pieces: every byte, in order", async () => {
    const { path, fd } = openFile("lines");
    const sink = runner.sinkInto([{ tool: "tr", args: ["a-z", "A-Z"] }, { tool: "cat", args: [] }], fd);
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} of many\n`);
    for (const line of lines) sink.stdin.write(line);
    sink.stdin.end();
    await sink.done;
    expect(readFileSync(path, "utf8")).toBe(lines.join("").toUpperCase());
  });

  it("a command that fails fails `done` with its exit code, though node still writes into it", async () => {
    const { fd } = openFile("failed-sink");
    const sink = runner.sinkInto([{ tool: "sh", args: ["-c", "echo 'zstd: cannot allocate' >&2; exit 4"] }, { tool: "cat", args: [] }], fd);
    sink.stdin.end(Buffer.alloc(1 << 20, 0x61));
    await expect(sink.done).rejects.toMatchObject({ code: "COMMAND_FAILED", tool: "sh", status: 4, stderr: "zstd: cannot allocate" });
  });
});

describe("Runner.pipeInto a descriptor", () => {
  it("the joined commands' output lands in the file", async () => {
    const { path, fd } = openFile("piped");
    await runner.pipeInto([{ tool: "printf", args: ["abc\\n"] }, { tool: "tr", args: ["a-z", "A-Z"] }], fd).done;
    expect(readFileSync(path, "utf8")).toBe("ABC\n");
  });

  it("a command joined before the last that fails fails `done`, naming its exit code 4", async () => {
    const { path, fd } = openFile("failed-pipe");
    const error = await runner.pipeInto([{ tool: "sh", args: ["-c", "exit 4"] }, { tool: "cat", args: [] }], fd).done.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "COMMAND_FAILED", tool: "sh", status: 4 });
    expect((error as Error).message).toMatch(/exit code 4: sh -c 'exit 4'/);
    expect(readFileSync(path, "utf8")).toBe("");
  });
});
