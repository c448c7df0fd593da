import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, link, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { cli, ok, privateTmp, workspace, type Workspace } from "../helpers/cli.js";
import { expectFailure, removeWorkspace, spawnCli } from "../helpers/failures.js";
import { listing, stampFolders } from "../helpers/tree.js";

const IS_ROOT = process.getuid?.() === 0;
const PARALLEL = availableParallelism() >= 2;
/** What `--debug` says when a full's volumes are extracted by several tars at once. */
const PARALLEL_LINE = /extracting \S+'s (\d+) volumes with up to (\d+) tars at once(, by kernel pipes)?/;

/**
 * 40 folders (one read-only, one owner-only, names with spaces), 600 small incompressible files,
 * symlinks (one absolute, which tar makes last), an empty folder; every folder's time set in the
 * past after its files were written, so a tar that touched a folder after its time was set shows.
 */
async function fillSource(source: string): Promise<void> {
  for (let d = 0; d < 40; d++) {
    const dir = join(source, `folder ${String(d).padStart(2, "0")}`, d % 3 === 0 ? "deeper/still" : "deeper");
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < 15; f++) await writeFile(join(dir, `file ${f}.bin`), randomBytes(1000 + ((d * 15 + f) * 37) % 9000));
  }
  await symlink("../folder 01/deeper/file 1.bin", join(source, "folder 00", "relative link"));
  await symlink("/etc/hostname", join(source, "folder 02", "absolute link"));
  await mkdir(join(source, "empty"));
  await chmod(join(source, "folder 05", "deeper"), 0o555);
  await chmod(join(source, "folder 07"), 0o700);
  await stampFolders(source, 1_600_000_000);
}

/**
 * zstd volumes with gpg here go `gpg | zstd -d | dd` into each tar by kernel pipes (piped-extract.ts);
 * uncompressed ones through node (parallel-extract.ts). Both must restore the same tree.
 */
describe.each([
  { compression: "zstd" as const, piped: true },
  { compression: "none" as const, piped: false },
])("gpgIncremental restore: a full's volumes extracted by several tars at once ($compression volumes)", ({ compression, piped }) => {
  let ws: Workspace;
  let source: Record<string, string>;

  beforeAll(async () => {
    // zstd barely shrinks these random files: still over ten volumes.
    ws = await workspace({ volumeSize: "256KiB", compression });
    await fillSource(ws.source);
    source = await listing(ws.source);
    await ok(ws, ["backup", "documents"]);
  }, 120_000);
  afterAll(() => removeWorkspace(ws));

  it("restores what one tar restores: every file, mode, owner and time, folders' times too", async () => {
    const out = join(ws.dir, "out-parallel");
    const restore = await ok(ws, ["restore", "documents", "--to", out, "--debug"]);
    const line = PARALLEL_LINE.exec(restore.stderr);
    if (PARALLEL) {
      expect(line, restore.stderr).not.toBeNull();
      expect(Number(line![1])).toBeGreaterThan(10);
      expect(Number(line![2])).toBe(Math.min(4, availableParallelism()));
      expect(line![3] !== undefined, "by kernel pipes").toBe(piped);
    } else {
      expect(line, "one core: a single tar").toBeNull();
    }
    expect(await listing(out)).toEqual(source);

    // `--path .` takes the single-tar path, exactly as the recipe runs tar.
    const single = join(ws.dir, "out-single");
    const one = await ok(ws, ["restore", "documents", "--to", single, "--path", ".", "--debug"]);
    expect(PARALLEL_LINE.test(one.stderr)).toBe(false);
    expect(await listing(out)).toEqual(await listing(single));
  }, 120_000);

  it("a hard link in the archive: one tar extracts it (its target might be another tar's), and it restores as a link", async () => {
    const linked = await workspace({ volumeSize: "256KiB", compression });
    try {
      await fillSource(linked.source);
      await link(join(linked.source, "folder 04", "deeper", "file 2.bin"), join(linked.source, "folder 39", "hard link.bin"));
      await ok(linked, ["backup", "documents"]);
      const out = join(linked.dir, "out");
      const restore = await ok(linked, ["restore", "documents", "--to", out, "--debug"]);
      expect(PARALLEL_LINE.test(restore.stderr)).toBe(false);
      expect(await listing(out)).toEqual(await listing(linked.source));
      expect((await lstat(join(out, "folder 39", "hard link.bin"))).ino).toBe((await lstat(join(out, "folder 04", "deeper", "file 2.bin"))).ino);
    } finally {
      await removeWorkspace(linked);
    }
  }, 120_000);

  it("the restore's disk fills up: exit 1 with tar's error (on tmpfs 'Wrote only ... bytes'), no tar left running", async () => {
    if (!IS_ROOT) throw new Error("this test mounts a 3 MiB tmpfs to restore into (a real ENOSPC) and needs root, as in CI: run the tests as root");
    const small = join(ws.dir, "small");
    await mkdir(small);
    const mount = await execa("mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", small], { reject: false });
    if (mount.exitCode !== 0) throw new Error(`cannot mount a tmpfs here (mount needs root with CAP_SYS_ADMIN): ${mount.stderr}`);
    try {
      const started = Date.now();
      const restore = await cli(ws, ["restore", "documents", "--to", join(small, "out"), "--debug"]);
      expect(restore.exitCode, restore.stderr).toBe(1);
      expect(restore.stderr).toMatch(/^error: documents: command failed with exit code 2: tar --extract .*\n(\s+\| .*\n)*\s+\| tar: .*(No space left on device|Wrote only \d+ of \d+ bytes)/m);
      expect(restore.stderr.match(/^error: /gm)).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(60_000);
      // The CLI exited: no tar or zstd it started may outlive it.
      const left = await execa("ps", ["-e", "-o", "args="]);
      expect(String(left.stdout).split("\n").filter((l) => l.includes(small))).toEqual([]);
    } finally {
      await execa("umount", [small]);
    }
  }, 120_000);
});

/** The command lines of the processes whose working folder is `dir` or under it. */
async function processesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir("/proc")).filter((name) => /^\d+$/.test(name))) {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => "");
    if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push((await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ").trim());
  }
  return found;
}

describe("gpgIncremental restore interrupted while volumes go gpg | zstd -d | dd into the tars", () => {
  let ws: Workspace;
  let tmp: string;

  beforeAll(async () => {
    ws = await workspace({ volumeSize: "1MiB", compression: "zstd" });
    // The runs' own TMPDIR: gpg's throwaway homes are made there, so what is left is this test's.
    tmp = await privateTmp(ws);
    for (let i = 0; i < 30; i++) await writeFile(join(ws.source, `part ${String(i).padStart(2, "0")}.bin`), randomBytes(4 * 1024 * 1024));
    await ok(ws, ["backup", "documents"]);
  }, 120_000);
  afterAll(() => removeWorkspace(ws));

  it.each(["SIGINT", "SIGTERM"] as const)("%s: exit 130, says interrupted; no tar, gpg, zstd or dd outlives the run, nor a gpg home", async (signal) => {
    const out = join(ws.dir, `out-${signal}`);
    const run = spawnCli(ws, ["restore", "documents", "--to", out]);
    const deadline = Date.now() + 30_000;
    while ((await readdir(out).catch(() => [])).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    run.kill(signal);
    const result = await run;
    expectFailure({ exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }, 130,
      `error: documents: interrupted by ${signal}; everything opened was closed`, "run the command again");
    // The CLI's programs run in its working folder (zstd and dd name no path of the workspace).
    expect(await processesIn(ws.dir)).toEqual([]);
    // The config loader's cache (jiti) may be there; no gpg home may.
    expect((await readdir(tmp)).filter((name) => name.startsWith("cryptkeep-"))).toEqual([]);
  }, 120_000);
});
