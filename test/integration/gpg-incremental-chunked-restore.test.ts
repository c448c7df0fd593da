import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFile, chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ok, workspace, type Workspace } from "../helpers/cli.js";
import { removeWorkspace } from "../helpers/failures.js";
import { listing, stampFolders, type Tree } from "../helpers/tree.js";
import { FOLDERS_PER_TAR } from "../../plugins/sync/tar-incremental/chunked-extract.js";

/** What `--debug` says when an incremental is extracted by a tar per FOLDERS_PER_TAR folders. */
const CHUNKED_LINE = /extracting (\S+) with a tar per (\d+) folders \((\d+) tars, one after another\)/g;

/** 48 × 48 folders (more than two tars' worth), a file in each; every folder's time in the past. */
async function fillSource(source: string): Promise<void> {
  for (let a = 0; a < 48; a++) {
    for (let b = 0; b < 48; b++) {
      const dir = join(source, `a${String(a).padStart(2, "0")}`, `b${String(b).padStart(2, "0")}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "note.txt"), `${a}/${b}\n`);
    }
  }
  await stampFolders(source, 1_600_000_000);
}

/**
 * What changes between snapshots, across every tar's folders: files appended to, added and
 * deleted; a folder tree deleted; new folders nested in a folder of the last tar and in the top
 * folder (the first tar's); a folder's mode.
 * Then every folder gets new times, so a tar that set a folder's time too early shows.
 */
async function change(source: string, round: number): Promise<void> {
  for (let a = 0; a < 48; a += 5) await appendFile(join(source, `a${String(a).padStart(2, "0")}`, "b07", "note.txt"), `round ${round}\n`);
  for (let a = 1; a < 48; a += 7) await writeFile(join(source, `a${String(a).padStart(2, "0")}`, "b11", `new-${round}.txt`), "new\n");
  await rm(join(source, `a${String(10 + round).padStart(2, "0")}`, "b03", "note.txt"));
  await rm(join(source, `a${String(20 + round).padStart(2, "0")}`), { recursive: true });
  await mkdir(join(source, "a46", `new-${round}`, "deeper", "still"), { recursive: true });
  await writeFile(join(source, "a46", `new-${round}`, "deeper", "still", "leaf.txt"), "leaf\n");
  // A new folder in the top folder, whose member is the first tar's, and new folders in it.
  await mkdir(join(source, `top-${round}`, "inner"), { recursive: true });
  await chmod(join(source, "a30", "b30"), 0o700 - round * 0o100);
  await stampFolders(source, 1_700_000_000 + round * 100_000);
}

describe("gpgIncremental restore: an incremental of many folders, a tar per FOLDERS_PER_TAR folders", () => {
  let ws: Workspace;
  const states: Tree[] = [];

  beforeAll(async () => {
    ws = await workspace({ volumeSize: "256KiB", compression: "zstd" });
    await fillSource(ws.source);
    await ok(ws, ["backup", "documents"]);
    for (const round of [1, 2]) {
      await change(ws.source, round);
      await ok(ws, ["backup", "documents"]);
      states.push(await listing(ws.source));
    }
    // Nothing changed: an archive of folders only.
    await ok(ws, ["backup", "documents"]);
  }, 180_000);
  afterAll(() => removeWorkspace(ws));

  it("restores every file, mode, owner and time, folders' too, as one tar per archive does", async () => {
    const out = join(ws.dir, "out-chunked");
    const restore = await ok(ws, ["restore", "documents", "--to", out, "--debug"]);
    const lines = [...restore.stderr.matchAll(CHUNKED_LINE)];
    // Each incremental: 48 + 48 × 48 folders, a few more or fewer after each change, make three tars.
    expect(lines.map((l) => [Number(l[2]), Number(l[3])]), restore.stderr).toEqual([[FOLDERS_PER_TAR, 3], [FOLDERS_PER_TAR, 3], [FOLDERS_PER_TAR, 3]]);
    expect(await listing(out)).toEqual(states[1]);

    // `--path .` extracts each archive with one tar, exactly as the recipe runs tar.
    const single = join(ws.dir, "out-single");
    const one = await ok(ws, ["restore", "documents", "--to", single, "--path", ".", "--debug"]);
    expect([...one.stderr.matchAll(CHUNKED_LINE)]).toEqual([]);
    expect(await listing(single)).toEqual(states[1]);
  }, 120_000);

  it("restores an earlier snapshot, whose incremental is the chain's last", async () => {
    const snapshots = JSON.parse((await ok(ws, ["snapshots", "documents", "--json"])).stdout) as { jobs: { result: { id: string }[] }[] };
    const ids = snapshots.jobs[0]!.result.map((s) => s.id);
    const out = join(ws.dir, "out-first");
    const restore = await ok(ws, ["restore", "documents", "--to", out, "--at", ids[1]!, "--debug"]);
    expect([...restore.stderr.matchAll(CHUNKED_LINE)]).toHaveLength(1);
    expect(await listing(out)).toEqual(states[0]);
  }, 120_000);
});
