import { beforeAll, describe, expect, it } from "vitest";
import { appendFile, cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { cli, json, ok, scratchDir, workspace, type Workspace } from "../helpers/cli.js";
import { tree, type Tree } from "../helpers/tree.js";

interface SnapshotRow { id: string; type: string; complete: boolean; volumes: number }

/**
 * The gpgIncremental story over a remote target, through the real CLI: a full backup, an
 * incremental, restore of each snapshot with --at, and verify. `setup` runs once, before the
 * workspace (whose `init` reaches the target), and returns the target's config source and env.
 */
export function remoteTargetStory(name: string, setup: () => Promise<{ target: string; env?: Record<string, string> }>): void {
  describe(`gpgIncremental over ${name}: backup, incremental, restore --at, verify`, () => {
    let ws: Workspace;
    let env: Record<string, string>;
    const states: Tree[] = [];

    beforeAll(async () => {
      const remote = await setup();
      env = remote.env ?? {};
      ws = await workspace({ target: remote.target, env, volumeSize: "1MiB", compression: "zstd" });
      await mkdir(join(ws.source, "photos/2026"), { recursive: true });
      await writeFile(join(ws.source, "notes.md"), "# notes\n");
      await writeFile(join(ws.source, "photos/2026/big.raw"), randomBytes(3_500_000));
      await writeFile(join(ws.source, "scratch.tmp"), "excluded\n");
    });

    it("makes a full backup in several volumes, then an incremental", async () => {
      const first = json<{ jobs: { result: { type: string; volumes: number } }[] }>(await ok(ws, ["backup", "documents", "--json"], env));
      expect(first.jobs[0]!.result).toMatchObject({ type: "full" });
      expect(first.jobs[0]!.result.volumes).toBeGreaterThan(2);
      states.push(await expected(ws.source));
      await appendFile(join(ws.source, "notes.md"), "a second line\n");
      await rm(join(ws.source, "photos/2026/big.raw"));
      await writeFile(join(ws.source, "photos/new.txt"), "new\n");
      const second = json<{ jobs: { result: { type: string; deletedFiles: number } }[] }>(await ok(ws, ["backup", "documents", "--json"], env));
      expect(second.jobs[0]!.result).toMatchObject({ type: "incremental", deletedFiles: 1 });
      states.push(await expected(ws.source));
      const list = json<{ jobs: { result: SnapshotRow[] }[] }>(await ok(ws, ["snapshots", "documents", "--json"], env)).jobs[0]!.result;
      expect(list.map((s) => [s.type, s.complete])).toEqual([["full", true], ["incremental", true]]);
      // plan reads the snapshots on the target (a mounted one over its own protocol, unmounted) and names the parent.
      const plan = await cli(ws, ["plan", "documents"], env);
      expect(plan.exitCode, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(`incremental backup on top of ${list[1]!.id}`);
      expect(await readFile("/proc/self/mountinfo", "utf8")).not.toMatch(/cryptkeep-(davfs|s3fs)-/);
    });

    it("restores each snapshot exactly with --at, and verify passes", async () => {
      const list = json<{ jobs: { result: SnapshotRow[] }[] }>(await ok(ws, ["snapshots", "documents", "--json"], env)).jobs[0]!.result;
      for (const [i, snapshot] of list.entries()) {
        const out = join(ws.dir, `restored-${i}`);
        await ok(ws, ["restore", "documents", "--to", out, "--at", snapshot.id], env);
        expect(await tree(out)).toEqual(states[i]);
      }
      const verified = json<{ exitCode: number; jobs: { result: { volumes: number; problems: unknown[] } }[] }>(await ok(ws, ["verify", "documents", "--json"], env));
      expect(verified.jobs[0]!.result.problems).toEqual([]);
      expect(verified.jobs[0]!.result.volumes).toBeGreaterThan(2);
    });

    it("doctor checks the target without writing", async () => {
      const doctor = await cli(ws, ["doctor", "documents"], env);
      expect(doctor.stdout, doctor.stderr).toMatch(/checked without writing/);
      expect(doctor.exitCode, (await cli(ws, ["doctor", "documents", "--json", "--debug"], env)).stdout).toBe(0);
    });
  });
}

async function expected(source: string): Promise<Tree> {
  const copy = await scratchDir("cryptkeep-expected-");
  await cp(source, copy, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  await rm(join(copy, "scratch.tmp"), { force: true });
  return tree(copy);
}
