import { beforeAll, describe, expect, it } from "vitest";
import { mkdir, readdir, rename, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { json, privateTmp } from "../helpers/cli.js";
import { mountsUnder, must, run, rsyncWorkspace, writeGocryptfsConfig } from "../helpers/rsync.js";
import type { Workspace } from "../helpers/cli.js";

interface Drill { snapshot: string; method: string; sampled: number; restored: number; changedSince: number; problems: { kind: string; name: string; detail: string }[]; elapsedMs: number }
interface RunJson<T> { exitCode: number; jobs: { job: string; state: string; exitCode: number; result: T; error?: { code: string; message: string } }[] }

async function fillSource(ws: Workspace, count: number): Promise<void> {
  await mkdir(join(ws.source, "sub"), { recursive: true });
  for (let i = 0; i < count; i++) await writeFile(join(ws.source, "sub", `f${i}.txt`), `file ${i}\n`.repeat(50 + i));
}


const drillTemps = async (ws: Workspace) => (await readdir(ws.tmp!)).filter((name) => name.startsWith("cryptkeep-drill-"));

describe("unattended gocryptfsReverse: drills through gocryptfs, tripwire, status (real gocryptfs, rsync)", () => {
  let ws: Workspace & { remote: string };

  beforeAll(async () => {
    ws = await rsyncWorkspace();
    await privateTmp(ws);
    await writeGocryptfsConfig(ws, `documents: gocryptfsReverse({
      source: "./Documents",
      target: { local: ${JSON.stringify(ws.remote)} },
      password: { env: "CK_PASSWORD" },
      maxAge: "1D",
      tripwire: { minFileRatio: 0.5 },
      verify: { checksums: "remote", drill: { every: "7D", sample: 5 } },
    }),`);
    await fillSource(ws, 10);
    await must(ws, ["init", "documents"]);
  });

  it("the first backup runs a drill through a read-only gocryptfs view; nothing stays mounted or in /tmp", async () => {
    const backup = json<RunJson<{ drill: Drill }>>(await must(ws, ["backup", "documents", "--json"]));
    const drill = backup.jobs[0]!.result.drill;
    expect(drill).toMatchObject({ snapshot: "files", sampled: 5, restored: 5, changedSince: 0, problems: [] });
    expect(drill.method).toContain("gocryptfs");
    expect(await mountsUnder(ws.dir)).toEqual([]);
    expect(await drillTemps(ws)).toEqual([]);
    const again = json<RunJson<{ drill?: Drill }>>(await must(ws, ["backup", "documents", "--json"]));
    expect(again.jobs[0]!.result.drill).toBeUndefined();
  });

  it("verify --drill finds a file that rotted in the source (same size and time, other bytes): exit 4", async () => {
    const clean = await must(ws, ["verify", "documents", "--drill", "--sample", "50"]);
    expect(clean.stdout).toMatch(/restore drill of files: 10 of 10 random file\(s\) restored with gocryptfs .* 0 problem\(s\)/);

    const victim = join(ws.source, "sub", "f3.txt");
    const before = await stat(victim);
    await writeFile(victim, "X".repeat(before.size));
    await utimes(victim, before.atime, before.mtime);
    const bad = await run(ws, ["verify", "documents", "--drill", "--sample", "50", "--json"]);
    expect(bad.exitCode, bad.stderr).toBe(4);
    const report = json<RunJson<Drill>>(bad).jobs[0]!;
    expect(report.state).toBe("verify-failed");
    expect(report.result.problems).toEqual([{ kind: "source", snapshot: "files", name: "sub/f3.txt", detail: "differs from the source although size and modification time are the same" }]);
    expect(await mountsUnder(ws.dir)).toEqual([]);
  });

  it("the tripwire stops a backup when most source files vanished, and --allow-shrink lets it through", async () => {
    await rename(join(ws.source, "sub"), join(ws.dir, "moved-away"));
    await writeFile(join(ws.source, "only.txt"), "one file\n");
    const refused = await run(ws, ["backup", "documents", "--json"]);
    expect(refused.exitCode).toBe(1);
    const job = json<RunJson<unknown>>(refused).jobs[0]!;
    expect(job.error?.code).toBe("TRIPWIRE_FILE_COUNT");
    expect(job.error?.message).toMatch(/holds 1 file\(s\), the newest snapshot \S+ has 10/);
    // Nothing was mirrored: the encrypted files of sub/ are still at the target.
    const kept = (await readdir(join(ws.remote, "files"), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(kept.length).toBeGreaterThanOrEqual(10);
    await must(ws, ["backup", "documents", "--allow-shrink"]);
    await rename(join(ws.dir, "moved-away"), join(ws.source, "sub"));
  });

  it("status reads the target: fresh, with the newest backup's age", async () => {
    const status = json<RunJson<{ stale: boolean; maxAge: string }>>(await must(ws, ["status", "--json"])).jobs[0]!;
    expect(status).toMatchObject({ state: "success", exitCode: 0, result: { stale: false, maxAge: "1D" } });
  });
});

describe("unattended rsyncSnapshots: drills with rsync, tripwire on a missing source (real rsync)", () => {
  let ws: Workspace & { remote: string };

  beforeAll(async () => {
    ws = await rsyncWorkspace();
    await privateTmp(ws);
    await writeGocryptfsConfig(ws, `home: rsyncSnapshots({ source: "./Documents", target: { local: ${JSON.stringify(ws.remote)} }, name: "home",
      exclude: ["*.tmp"], tripwire: { minFileRatio: 0.5 } }),`);
    await fillSource(ws, 6);
    await writeFile(join(ws.source, "skip.tmp"), "excluded\n");
    await must(ws, ["init", "home"]);
    await must(ws, ["backup", "home"]);
  });

  it("verify --drill copies a sample out of the newest snapshot and compares it with the source", async () => {
    const result = json<RunJson<Drill>>(await must(ws, ["verify", "home", "--drill", "--sample", "3", "--json"])).jobs[0]!.result;
    expect(result).toMatchObject({ method: "rsync --files-from", sampled: 3, restored: 3, problems: [] });
    expect(result.snapshot).toMatch(/^home\.\d{8}T\d{6}Z$/);
    expect(await drillTemps(ws)).toEqual([]);
  });

  it("a missing source is TRIPWIRE_SOURCE_MISSING, for backup and for prune; no snapshot is made", async () => {
    const snapshots = (await readdir(ws.remote)).filter((n) => n.startsWith("home."));
    await rename(ws.source, `${ws.source}.away`);
    try {
      for (const command of ["backup", "prune"]) {
        const result = await run(ws, [command, "home", "--json"]);
        expect(result.exitCode).toBe(1);
        expect(json<RunJson<unknown>>(result).jobs[0]!.error?.code).toBe("TRIPWIRE_SOURCE_MISSING");
      }
      expect((await readdir(ws.remote)).filter((n) => n.startsWith("home."))).toEqual(snapshots);
    } finally {
      await rename(`${ws.source}.away`, ws.source);
    }
  });
});
