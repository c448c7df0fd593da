import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { chmod, mkdir, readdir, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { cli, json, ok, workspace, type Workspace } from "../helpers/cli.js";
import { tree } from "../helpers/tree.js";
import {
  IS_ROOT, completeIds, exists, expectFailure, filesUnder, firstVolumeOfNewSnapshot, giveToUnprivileged, lockFile, removeWorkspace,
  snapshotList, spawnCli, tempFiles, unprivileged,
} from "../helpers/failures.js";

interface BackupJson { exitCode: number; jobs: { state: string; result: { type: string; newFiles: number; errors: string[] } }[] }

/** Issue: permissions, a full disk, signals and locks, with the real CLI, tar and a real (tmpfs) filesystem. */
describe("gpgIncremental failures: permissions", () => {
  const made: Workspace[] = [];
  afterAll(async () => {
    for (const ws of made) await removeWorkspace(ws);
  });

  it("a target the user cannot write: exit 1 with TARGET_NOT_WRITABLE and the path; an unreadable target or cache is named too", async () => {
    const ws = await workspace();
    made.push(ws);
    await writeFile(join(ws.source, "a.txt"), "a\n");
    const user = await unprivileged(ws);
    await chmod(ws.vault, 0o555);
    expectFailure(await user.run(["backup", "documents"]), 1, `target ${ws.vault} is not writable (permission denied)`,
      "check the folder's owner and permissions, or run 'cryptkeep init'");
    expect(await filesUnder(ws.vault)).toEqual(["cryptkeep.json"]);
    expect(await exists(join(user.cache, "cryptkeep/documents/lock"))).toBe(false);

    await chmod(ws.vault, 0o000);
    expectFailure(await user.run(["snapshots", "documents"]), 1, `target ${ws.vault} is not readable (permission denied)`,
      "check the folder's owner and permissions, or run cryptkeep as the user that made the backups");

    // Local state owned by someone else (root's, or made read-only).
    await chmod(ws.vault, 0o755);
    await giveToUnprivileged(ws.vault);
    const cache = join(ws.cache, "cryptkeep", "documents");
    if (!IS_ROOT) await chmod(cache, 0o555);
    expectFailure(await user.run(["backup", "documents"], { XDG_CACHE_HOME: ws.cache }), 1, `local state folder ${cache} is not writable (EACCES)`,
      "run cryptkeep as the user that owns it, or set cacheDir in the config (or XDG_CACHE_HOME) to a folder this user can write");
    if (!IS_ROOT) await chmod(cache, 0o755);
    expect(await completeIds(ws)).toEqual([]);

    const good = await user.run(["backup", "documents"]);
    expect(good.exitCode, good.stderr).toBe(0);
    expect(await completeIds(ws)).toHaveLength(1);
  });

  it("a file the user cannot read: exit 5 (partial), the summary names it, the snapshot is complete and restores the rest", async () => {
    const ws = await workspace({ volumeSize: "64KiB" });
    made.push(ws);
    await writeFile(join(ws.source, "a.txt"), "a\n");
    await mkdir(join(ws.source, "sub"));
    await writeFile(join(ws.source, "sub/b.bin"), randomBytes(150_000));
    const user = await unprivileged(ws);
    const readable = await tree(ws.source);
    await writeFile(join(ws.source, "sub/locked.txt"), "private\n", { mode: 0o000 });
    await chmod(join(ws.source, "sub/locked.txt"), 0o000);
    await giveToUnprivileged(ws.vault);

    const partial = await user.run(["backup", "documents"]);
    expect(partial.exitCode, partial.stderr).toBe(5);
    expect(partial.stdout).toMatch(/^Errors\s+1$/m);
    expect(partial.stdout).toMatch(/^ {2}\.\/sub\/locked\.txt: Warning: Cannot open: Permission denied$/m);
    expect(partial.stderr).toContain("warning: not backed up as it is: ./sub/locked.txt: Warning: Cannot open: Permission denied");
    expect(partial.stderr).not.toContain("error:");
    const again = await user.run(["backup", "documents", "--full", "--json"]);
    const report = json<BackupJson>(again);
    expect(report.exitCode).toBe(5);
    expect(report.jobs[0]!.state).toBe("partial");
    expect(report.jobs[0]!.result.errors).toEqual(["./sub/locked.txt: Warning: Cannot open: Permission denied"]);

    const list = await snapshotList(ws);
    expect(list.map((s) => [s.type, s.complete, s.files])).toEqual([["full", true, 2], ["full", true, 2]]);
    const out = join(ws.dir, "out-partial");
    await ok(ws, ["restore", "documents", "--to", out]);
    expect(await tree(out)).toEqual(readable);
    expect((await ok(ws, ["verify", "documents"])).stdout).toContain("0 difference(s) found");

    // tar records an unreadable file as dumped: an incremental must keep saying it is missing...
    const still = await user.run(["backup", "documents", "--json"]);
    expect(still.exitCode, still.stderr).toBe(5);
    expect(json<BackupJson>(still).jobs[0]).toMatchObject({ state: "partial", result: { type: "incremental", errors: ["./sub/locked.txt: still cannot be read: in no snapshot yet"] } });

    // ...and retry it with a full once it can be read.
    await chmod(join(ws.source, "sub/locked.txt"), 0o644);
    const fixed = await user.run(["backup", "documents", "--json"]);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    expect(fixed.stderr).toContain("1 file(s) the last snapshot could not read are readable now (sub/locked.txt): making a full backup");
    expect(json<BackupJson>(fixed).jobs[0]).toMatchObject({ state: "success", result: { type: "full", errors: [] } });
    await ok(ws, ["restore", "documents", "--to", join(ws.dir, "out-fixed")]);
    expect(await tree(join(ws.dir, "out-fixed"))).toEqual(await tree(ws.source));
  });
});

describe("gpgIncremental failures: the target's disk fills up", () => {
  let ws: Workspace | undefined;
  let mounted = false;
  afterAll(async () => {
    if (mounted && ws) await execa("umount", [ws.vault]);
    await removeWorkspace(ws);
  });

  it("a 2 MiB tmpfs vault: exit 1 with TARGET_FULL, no complete snapshot, no temp files; with space again the next run cleans up and succeeds", async () => {
    if (!IS_ROOT) throw new Error("this test mounts a 2 MiB tmpfs as the vault (a real ENOSPC) and needs root, as in CI: run the tests as root");
    ws = await workspace({ volumeSize: "256KiB" });
    await writeFile(join(ws.source, "one.bin"), randomBytes(2_500_000));
    await writeFile(join(ws.source, "two.bin"), randomBytes(1_500_000));
    const mount = await execa("mount", ["-t", "tmpfs", "-o", "size=2m,mode=700", "tmpfs", ws.vault], { reject: false });
    if (mount.exitCode !== 0) throw new Error(`cannot mount a tmpfs here (mount needs root with CAP_SYS_ADMIN): ${mount.stderr}`);
    mounted = true;
    await ok(ws, ["init", "documents"]);

    const full = await cli(ws, ["backup", "documents"]);
    expectFailure(full, 1, `no space left at the target (${ws.vault}); the unfinished snapshot was not recorded`,
      "free space or prune old snapshots ('cryptkeep prune JOB'), then run the backup again");
    const left = await snapshotList(ws);
    expect(left.map((s) => s.complete)).toEqual([false]);
    expect(await tempFiles(ws.vault)).toEqual([]);
    expect(await exists(lockFile(ws))).toBe(false);

    await execa("mount", ["-o", "remount,size=64m", ws.vault]);
    const next = await ok(ws, ["backup", "documents"]);
    expect(next.stderr).toContain(`warning: removing incomplete snapshot ${left[0]!.id} left by an interrupted or failed run`);
    expect(next.stdout).toMatch(/Snapshot\s+\S+ \(full\)/);
    expect((await snapshotList(ws)).map((s) => s.complete)).toEqual([true]);
    expect(await tempFiles(ws.vault)).toEqual([]);
    await ok(ws, ["restore", "documents", "--to", join(ws.dir, "out")]);
    expect(await tree(join(ws.dir, "out"))).toEqual(await tree(ws.source));
  });
});

describe("gpgIncremental failures: interrupted and concurrent runs", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await workspace({ volumeSize: "256KiB" });
    await writeFile(join(ws.source, "big.bin"), randomBytes(60 * 1024 * 1024));
    await writeFile(join(ws.source, "small.txt"), "small\n");
  });
  afterAll(() => removeWorkspace(ws));

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} mid-backup: exit 130, says interrupted, no complete snapshot, no temp files, no lock; the next backup cleans up and verifies`, async () => {
      const complete = await completeIds(ws);
      const before = (await snapshotList(ws)).map((s) => s.id);
      const run = spawnCli(ws, ["backup", "documents", "--full"]);
      const id = await firstVolumeOfNewSnapshot(ws, before, run);
      run.kill(signal);
      const result = await run;
      expectFailure({ exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }, 130,
        `error: documents: interrupted by ${signal}; everything opened was closed`, "run the command again (a backup first removes what this one left)");
      expect(String(result.stderr)).toContain(`warning: ${signal} received: stopping and closing what was opened`);
      expect(await completeIds(ws)).toEqual(complete);
      expect((await snapshotList(ws)).find((s) => s.id === id)).toMatchObject({ complete: false });
      expect(await tempFiles(ws.vault)).toEqual([]);
      expect(await readdir(join(ws.vault, "snapshots", id))).not.toContain("manifest.json.gpg");
      expect(await exists(lockFile(ws))).toBe(false);

      const next = await ok(ws, ["backup", "documents"]);
      expect(next.stderr).toContain(`warning: removing incomplete snapshot ${id} left by an interrupted or failed run`);
      expect((await snapshotList(ws)).every((s) => s.complete)).toBe(true);
      const verify = await ok(ws, ["verify", "documents"]);
      expect(verify.stdout).toContain("0 difference(s) found");
      expect(verify.stderr).not.toContain("MaxListenersExceededWarning"); // 240 volumes through one stream
    });
  }

  it("a second backup while one runs is skipped with exit 3 (LOCKED); a stale lock exits 3 naming --break-lock, which then succeeds", async () => {
    const existing = (await snapshotList(ws)).map((s) => s.id);
    const first = spawnCli(ws, ["backup", "documents", "--full"]);
    await firstVolumeOfNewSnapshot(ws, existing, first);
    process.kill(first.pid!, "SIGSTOP"); // keeps the first run (and its lock) alive however slow the second is to start
    let second;
    try {
      second = await cli(ws, ["backup", "documents"]);
    } finally {
      process.kill(first.pid!, "SIGCONT");
    }
    expect(second.exitCode, second.stderr).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`^skipped: documents: job 'documents' is locked by another run \\(pid ${first.pid} on ${hostname()}, 'backup' since \\S+\\)\nhint: wait for it to finish`, "m"));
    expect(second.stderr).not.toMatch(/^error:/m);
    const done = await first;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    expect(await exists(lockFile(ws))).toBe(false);

    const exited = execa("true");
    await exited;
    const gone = exited.pid!;
    const started = "2026-01-02T03:04:05.000Z";
    await writeFile(lockFile(ws), JSON.stringify({ pid: gone, host: hostname(), started, command: "backup" }) + "\n");
    const before = await completeIds(ws);
    expectFailure(await cli(ws, ["backup", "documents"]), 3,
      `job 'documents' has a stale lock from a run that no longer exists (pid ${gone} on ${hostname()}, 'backup' since ${started}, ${lockFile(ws)})`,
      "make sure no cryptkeep runs for 'documents', then run again with --break-lock");
    expect(await completeIds(ws)).toEqual(before);
    await ok(ws, ["backup", "documents", "--break-lock"]);
    expect(await completeIds(ws)).toHaveLength(before.length + 1);
    expect(await exists(lockFile(ws))).toBe(false);
  });
});
