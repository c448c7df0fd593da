import { beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli, json, ok, privateTmp, scratchDir, workspace, type Workspace } from "../helpers/cli.js";
import { expectFailure } from "../helpers/failures.js";

interface Outcome<T> { job: string; state: string; exitCode: number; result: T; error?: { code: string } }
interface RunJson<T> { exitCode: number; jobs: Outcome<T>[] }
interface Drill { snapshot: string; method: string; sampled: number; restored: number; problems: { kind: string; name: string; detail: string }[]; elapsedMs: number }
interface Status { snapshot: string | null; ageSeconds: number | null; files: number | null; maxAge: string | null; stale: boolean }

describe("unattended: restore drills, status, tripwire, schedule (real gpg, tar, zstd, systemd-analyze)", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await workspace({
      compression: "zstd",
      extra: `every: "6h", maxAge: "1D", tripwire: { minFileRatio: 0.5 }, verify: { drill: { every: "7D", sample: 4 } },`,
    });
    await privateTmp(ws);
    await mkdir(join(ws.source, "sub"));
    for (let i = 0; i < 12; i++) await writeFile(join(ws.source, "sub", `f${i}.txt`), `file ${i}\n`.repeat(100 + i));
  });

  it("the first backup runs a drill with gpg, zstd and tar, recorded in the cache; the next backup finds none due", async () => {
    const first = json<RunJson<{ drill: Drill }>>(await ok(ws, ["backup", "documents", "--json"]));
    const drill = first.jobs[0]!.result.drill;
    expect(drill).toMatchObject({ sampled: 4, restored: 4, problems: [], method: "gpg --decrypt | zstd -d | tar --extract --listed-incremental=/dev/null" });
    expect(drill.elapsedMs).toBeGreaterThan(0);
    const record = JSON.parse(await readFile(join(ws.cache, "cryptkeep/documents/drill.json"), "utf8")) as { ok: boolean; snapshot: string };
    expect(record).toMatchObject({ ok: true, snapshot: drill.snapshot });
    // Nothing of the drill is left behind: no temp folder, no gpg-agent of its keyring.
    expect((await readdir(ws.tmp!)).filter((n) => n.startsWith("cryptkeep-drill-"))).toEqual([]);
    expect((await execa("pgrep", ["-f", `${ws.tmp!}/cryptkeep-drill-`], { reject: false })).stdout).toBe("");

    await writeFile(join(ws.source, "sub", "f0.txt"), "changed\n");
    const second = json<RunJson<{ drill?: Drill }>>(await ok(ws, ["backup", "documents", "--json"]));
    expect(second.jobs[0]!.result.drill).toBeUndefined();
  });

  it("verify --drill restores a sample across the chain and reports the time; a damaged volume is exit 4", async () => {
    const result = await ok(ws, ["verify", "documents", "--drill", "--sample", "13"]);
    expect(result.stdout).toMatch(/^documents: restore drill of \S+: 12 of 12 random file\(s\) restored with gpg --decrypt \| zstd -d \| tar --extract --listed-incremental=\/dev\/null in [\d.]+ (ms|s); 0 problem\(s\)$/m);

    const snapshots = (await readdir(join(ws.vault, "snapshots"))).sort();
    const full = join(ws.vault, "snapshots", snapshots[0]!, "vol-00001.tar.zst.gpg");
    const saved = await readFile(full);
    const damaged = Buffer.from(saved);
    const middle = damaged.length >> 1;
    damaged[middle] = damaged[middle]! ^ 0xff;
    await writeFile(full, damaged);
    try {
      const bad = await cli(ws, ["verify", "documents", "--drill", "--json"]);
      expect(bad.exitCode, bad.stderr).toBe(4);
      const report = json<RunJson<Drill>>(bad).jobs[0]!;
      expect(report.state).toBe("verify-failed");
      expect(report.result.problems[0]).toMatchObject({ kind: "volume", detail: expect.stringContaining("SHA-256 differs from the manifest") });
    } finally {
      await writeFile(full, saved);
    }
  });

  it("status reads only the target: no key, no source; stale (exit 6) past maxAge or with no snapshot", async () => {
    const fresh = json<RunJson<Status>>(await ok(ws, ["status", "--json"])).jobs[0]!;
    expect(fresh).toMatchObject({ state: "success", exitCode: 0, result: { stale: false, files: 12, maxAge: "1D" } });

    // A watchdog's copy of the config: no private key, no source, a short maxAge.
    const watchdog = join(ws.dir, "watchdog.config.ts");
    const config = (await readFile(ws.config, "utf8"))
      .replace(/identity: .*\n/, "")
      .replace(`source: "./Documents"`, `source: "./not-here"`)
      .replace(`maxAge: "1D"`, `maxAge: "1s"`);
    await writeFile(watchdog, config);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stale = await cli(ws, ["status", "--config", watchdog], { CK_PASSPHRASE: "" });
    expect(stale.exitCode, stale.stderr).toBe(6);
    expect(stale.stdout).toMatch(/^documents: STALE: newest snapshot \S+ is \d+s old, maxAge 1s; 12 files/m);

    const empty = await workspace({ extra: `maxAge: "1D",` });
    const none = await cli(empty, ["status", "--json"]);
    expect(none.exitCode).toBe(6);
    expect(json<RunJson<Status>>(none).jobs[0]).toMatchObject({ state: "stale", result: { snapshot: null, stale: true } });
  });

  it("tripwire: an emptied source refuses backup and prune, naming the cause and --allow-shrink; a missing source too", async () => {
    const before = (await readdir(join(ws.vault, "snapshots"))).length;
    await rename(join(ws.source, "sub"), join(ws.dir, "sub-away"));
    await writeFile(join(ws.source, "left.txt"), "one\n");
    try {
      const message = new RegExp(`tripwire of job 'documents': the source ${ws.source} holds 1 file\\(s\\), the newest snapshot \\S+ has 12: below the tripwire's 50%; nothing was backed up or pruned`);
      expectFailure(await cli(ws, ["backup", "documents"]), 1, message, "If the files were removed on purpose, run again with --allow-shrink");
      expectFailure(await cli(ws, ["prune", "documents"]), 1, message, "--allow-shrink");
      expect((await readdir(join(ws.vault, "snapshots"))).length).toBe(before);
      const json1 = json<RunJson<unknown>>(await cli(ws, ["backup", "documents", "--json"]));
      expect(json1.jobs[0]).toMatchObject({ state: "failed", exitCode: 1, error: { code: "TRIPWIRE_FILE_COUNT" } });

      await rename(ws.source, `${ws.source}.away`);
      try {
        expectFailure(await cli(ws, ["backup", "documents"]), 1, `tripwire of job 'documents': the source ${ws.source} is missing or not a folder`, "is the disk or network share mounted?");
      } finally {
        await rename(`${ws.source}.away`, ws.source);
      }
      const allowed = await ok(ws, ["backup", "documents", "--allow-shrink"]);
      expect(allowed.stderr).toContain("warning: tripwire not checked (--allow-shrink)");
      expect(allowed.stdout).toMatch(/^SourceFiles\s+1$/m);
    } finally {
      await rm(join(ws.source, "left.txt"), { force: true });
      await rename(join(ws.dir, "sub-away"), join(ws.source, "sub"));
    }
  });

  it("schedule installs a service and timer that systemd-analyze verify accepts, with absolute paths and the overlap policy", async () => {
    const dir = await scratchDir("cryptkeep-units-");
    const result = await ok(ws, ["schedule", "documents", "--install", "--dir", dir]);
    expect(result.stdout).toContain("next: systemctl daemon-reload && systemctl enable --now cryptkeep-documents.timer");
    const service = await readFile(join(dir, "cryptkeep-documents.service"), "utf8");
    const timer = await readFile(join(dir, "cryptkeep-documents.timer"), "utf8");
    expect(service).toContain(`ExecStart=${process.execPath} ${join(process.cwd(), "bin/cryptkeep.js")} --config ${ws.config} --quiet backup documents\n`);
    expect(service).toContain("SuccessExitStatus=3\n");
    expect(timer).toMatch(/^OnCalendar=\*-\*-\* 00\/6:00:00$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
    const verify = await execa("systemd-analyze", ["verify", join(dir, "cryptkeep-documents.service"), join(dir, "cryptkeep-documents.timer")], { reject: false });
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stderr).not.toMatch(/Unknown|ignoring|Failed/);

    const printed = await ok(ws, ["schedule", "documents"]);
    expect(printed.stdout).toContain(`0 */6 * * * ${process.execPath} `);
    expect(await readdir(dir)).toHaveLength(2);
  });

  it("schedule refuses a job without a cadence, naming the setting to add", async () => {
    const plain = await workspace();
    expectFailure(await cli(plain, ["schedule", "documents"]), 2, "no cadence set for job 'documents'", `add every: "daily"`);
  });
});
