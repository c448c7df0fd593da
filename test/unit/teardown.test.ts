import { describe, expect, it } from "vitest";
import { Teardown } from "../../core/teardown.js";

describe("Teardown", () => {
  it("undoes last-in-first-out and only what was registered", async () => {
    const done: string[] = [];
    const teardown = new Teardown();
    teardown.defer("mount", () => void done.push("umount"));
    teardown.defer("open", () => void done.push("close"));
    teardown.defer("lock", async () => void done.push("unlock"));
    expect(teardown.pending).toEqual(["mount", "open", "lock"]);
    const failures = await teardown.unwind();
    expect(done).toEqual(["unlock", "close", "umount"]);
    expect(failures).toEqual([]);
    expect(teardown.pending).toEqual([]);
  });

  it("keeps going when an undo fails and returns every failure", async () => {
    const done: string[] = [];
    const teardown = new Teardown();
    teardown.defer("a", () => void done.push("a"));
    teardown.defer("b", () => { throw new Error("b broke"); });
    teardown.defer("c", () => void done.push("c"));
    const failures = await teardown.unwind();
    expect(done).toEqual(["c", "a"]);
    expect(failures.map((f) => [f.label, (f.error as Error).message])).toEqual([["b", "b broke"]]);
  });

  it("tells each undo whether the work failed, so a check only a success needs can be skipped", async () => {
    const seen: boolean[] = [];
    const teardown = new Teardown();
    teardown.defer("a", ({ failed }) => void seen.push(failed));
    await teardown.unwind(undefined, { failed: true });
    teardown.defer("b", ({ failed }) => void seen.push(failed));
    await teardown.unwind();
    expect(seen).toEqual([true, false]);
  });
});
