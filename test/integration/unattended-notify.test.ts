import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { cli, json, scratchDir, workspace, type Workspace } from "../helpers/cli.js";
import { giveToUnprivileged, lockFile, unprivileged } from "../helpers/failures.js";
import { startHttpRecorder, type RecordedRequest } from "../servers/http-recorder.js";

interface Outcome { job: string; state: string; exitCode: number; error?: { code: string }; notifications?: { notifier: string; event: string; ok: boolean; error?: string }[] }
interface RunJson { command: string; exitCode: number; jobs: Outcome[] }

/** A `sendmail` stand-in on PATH that records its argv and the message it is given on stdin. */
async function recordingSendmail(): Promise<{ bin: string; mails: () => Promise<string[]> }> {
  const bin = await scratchDir("cryptkeep-bin-");
  const spool = join(bin, "spool");
  await writeFile(join(bin, "sendmail"), `#!/bin/sh\nf="${spool}/$(date +%s%N)"\nmkdir -p "${spool}"\n{ echo "ARGS: $*"; cat; } > "$f"\n`);
  await chmod(join(bin, "sendmail"), 0o755);
  const mails = async () => {
    const names = (await execa("ls", [spool], { reject: false })).stdout.split("\n").filter(Boolean).sort();
    return Promise.all(names.map((n) => readFile(join(spool, n), "utf8")));
  };
  return { bin, mails };
}

describe("unattended: notifications, honest run states, overlap policy, metrics", () => {
  let ws: Workspace;
  let server: Awaited<ReturnType<typeof startHttpRecorder>>;
  let mail: Awaited<ReturnType<typeof recordingSendmail>>;
  const env = () => ({ PATH: `${mail.bin}:${process.env.PATH}` });
  const pings = (from: number) => server.requests.slice(from);
  const backup = async (args: string[] = []) => {
    const result = await cli(ws, ["backup", "documents", "--json", ...args], env());
    return { result, report: json<RunJson>(result) };
  };

  beforeAll(async () => {
    server = await startHttpRecorder();
    mail = await recordingSendmail();
    ws = await workspace({
      plugins: ["httpPing", "email", "notifyCommand"],
      extra: `overlap: "skip", notify: [notifyCommand({ command: "echo \\"$CRYPTKEEP_EVENT $CRYPTKEEP_JOB $CRYPTKEEP_STATE $CRYPTKEEP_EXIT_CODE\\" >> command.log" })],`,
      top: `notify: [httpPing({ url: "${server.url}/ping/check-1", retries: 1, timeout: 5 }), email({ to: "admin@example.com", from: "backup@example.com", on: ["failure"] })],`,
    });
    for (let i = 0; i < 10; i++) await writeFile(join(ws.source, `file-${i}.txt`), `content ${i}\n`);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("a successful backup pings start, then the exit code 0, and runs the job's command; no mail", async () => {
    const from = server.requests.length;
    const { result, report } = await backup();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(report.jobs[0]).toMatchObject({ job: "documents", state: "success", exitCode: 0 });
    const got = pings(from);
    expect(got.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /ping/check-1/start", "POST /ping/check-1/0"]);
    expect(got[0]!.body).toContain("backup of 'documents' started");
    expect(got[1]!.body).toMatch(/^backup of 'documents' succeeded \(state success, exit 0\): snapshot \S+ \(full\), 10 files/);
    expect(got[1]!.body).toContain("last lines of the log:");
    // The job's own notifiers first, then those of the top-level `notify`.
    expect(report.jobs[0]!.notifications).toEqual([
      { notifier: expect.stringContaining("command 'echo"), event: "success", ok: true },
      { notifier: `HTTP ping 127.0.0.1:${new URL(server.url).port}`, event: "success", ok: true },
    ]);
    expect(await readFile(join(ws.dir, "command.log"), "utf8")).toBe("success documents success 0\n");
    expect(await mail.mails()).toEqual([]);
  });

  it("a failed backup pings the failure with its exit code, the error and the log tail, and mails it through sendmail -t", async () => {
    const from = server.requests.length;
    const { result, report } = await failByMissingTarget();
    expect(result.exitCode).toBe(1);
    expect(report.jobs[0]).toMatchObject({ state: "failed", exitCode: 1 });
    const end = pings(from).at(-1)!;
    expect(end.path).toBe("/ping/check-1/1");
    expect(end.body).toMatch(/^backup of 'documents' failed \(state failed, exit 1\): /);
    expect(end.body).toContain("hint: ");
    const mails = await mail.mails();
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatch(/^ARGS: -t -i\n/);
    expect(mails[0]).toContain("To: admin@example.com\n");
    expect(mails[0]).toContain("From: backup@example.com\n");
    expect(mails[0]).toContain(`Subject: [cryptkeep] documents: backup failed (exit 1) on ${hostname()}\n`);
    expect(mails[0]).toMatch(/\n\nbackup of 'documents' failed \(state failed, exit 1\)/);
    expect(await readFile(join(ws.dir, "command.log"), "utf8")).toMatch(/failure documents failed 1\n$/);
  });

  /** Moves the vault away (an unmounted disk): the backup fails whatever the user. */
  async function failByMissingTarget() {
    await execa("mv", [ws.vault, `${ws.vault}.away`]);
    try {
      return await backup();
    } finally {
      await execa("mv", [`${ws.vault}.away`, ws.vault]);
    }
  }

  it("another run holding the lock: state skipped, exit 3, a /log ping and no start ping; overlap fail makes it a failure", async () => {
    await writeFile(lockFile(ws), JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), command: "backup" }) + "\n");
    try {
      const from = server.requests.length;
      const { result, report } = await backup();
      expect(result.exitCode).toBe(3);
      expect(report.jobs[0]).toMatchObject({ state: "skipped", exitCode: 3, error: { code: "LOCKED" } });
      expect(result.stderr).toMatch(/^skipped: documents: job 'documents' is locked by another run/m);
      expect(pings(from).map((r) => r.path)).toEqual(["/ping/check-1/log"]);
      expect(pings(from)[0]!.body).toContain("was skipped (another run holds the lock)");

      await writeFile(ws.config, (await readFile(ws.config, "utf8")).replace(`overlap: "skip"`, `overlap: "fail"`));
      const failed = await backup();
      expect(failed.result.exitCode).toBe(1);
      expect(failed.report.jobs[0]).toMatchObject({ state: "failed", exitCode: 1, error: { code: "LOCKED_FAIL" } });
      expect(failed.result.stderr).toContain(`and the job's overlap policy is "fail"`);
    } finally {
      await rm(lockFile(ws), { force: true });
    }
  });

  it("overlap wait: the run waits for the other run's lock, then backs up", async () => {
    await writeFile(ws.config, (await readFile(ws.config, "utf8")).replace(`overlap: "fail"`, `overlap: "wait"`));
    await writeFile(lockFile(ws), JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), command: "backup" }) + "\n");
    const started = Date.now();
    const release = setTimeout(() => void rm(lockFile(ws), { force: true }), 2500);
    const { result, report } = await backup();
    clearTimeout(release);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(report.jobs[0]!.state).toBe("success");
    expect(result.stderr).toContain("waiting for it to finish (overlap: wait)");
    expect(Date.now() - started).toBeGreaterThan(2000);
  });

  it("a notifier that cannot be reached is retried, logged and reported, and the backup's result stands", async () => {
    server.failNext(4, 503); // start and end, each tried twice
    const from = server.requests.length;
    const { result, report } = await backup();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(report.jobs[0]!.state).toBe("success");
    expect(pings(from).filter((r) => r.path === "/ping/check-1/0")).toHaveLength(2); // one retry
    expect(report.jobs[0]!.notifications!.find((n) => n.notifier.startsWith("HTTP"))).toMatchObject({ event: "success", ok: false, error: expect.stringContaining("HTTP 503") });
    expect(result.stderr).toMatch(/warning: documents: notification by HTTP ping .* failed \(start\)/);
    expect(result.stderr).toMatch(/warning: documents: notification by HTTP ping .* failed \(success\): HTTP 503 Service Unavailable from 127\.0\.0\.1:\d+ after 2 attempt\(s\)/);
  });

  it("partial: a file the backup cannot read makes state partial, exit 5, and a failure ping with exit 5", async () => {
    const secret = join(ws.source, "secret.txt");
    const user = await unprivileged(ws);
    await giveToUnprivileged(ws.vault);
    await writeFile(secret, "no\n");
    await chmod(secret, 0o000);
    const from = server.requests.length;
    const result = await user.run(["backup", "documents", "--full", "--json"], env());
    await rm(secret);
    expect(result.exitCode, result.stderr).toBe(5);
    expect(json<RunJson>(result).jobs[0]).toMatchObject({ state: "partial", exitCode: 5 });
    expect(pings(from).at(-1)!.path).toBe("/ping/check-1/5");
    expect(pings(from).at(-1)!.body).toMatch(/^backup of 'documents' is partial \(some files could not be read\) \(state partial, exit 5\): snapshot \S+ \(full\), 10 files, \d+ bytes written, 1 file\(s\) not backed up/);
    expect(pings(from).at(-1)!.body).toContain("secret.txt");
  });

  it("writes the Prometheus textfile atomically, with every job's last run", async () => {
    const dir = await scratchDir("cryptkeep-metrics-");
    const file = join(dir, "cryptkeep.prom");
    const { result } = await backup(["--metrics-file", file]);
    expect(result.exitCode, result.stderr).toBe(0);
    const text = await readFile(file, "utf8");
    expect(text).toMatch(/^# HELP cryptkeep_last_success_timestamp_seconds .+\n# TYPE cryptkeep_last_success_timestamp_seconds gauge\ncryptkeep_last_success_timestamp_seconds\{job="documents"\} \d{10}\.\d{3}$/m);
    expect(text).toMatch(/^cryptkeep_last_run_duration_seconds\{job="documents"\} \d+\.\d{3}$/m);
    expect(text).toMatch(/^cryptkeep_last_run_bytes_written\{job="documents"\} [1-9]\d*$/m);
    expect(text).toMatch(/^cryptkeep_last_run_files\{job="documents"\} 10$/m);
    expect(text).toContain(`cryptkeep_last_run_state{job="documents",state="success"} 1\ncryptkeep_last_run_state{job="documents",state="partial"} 0\n`);
    expect(text).toMatch(/^cryptkeep_last_run_exit_code\{job="documents"\} 0$/m);
    expect((await execa("ls", ["-A", dir])).stdout).toBe("cryptkeep.prom");
  });

  it("no notification body or mail holds the passphrase", async () => {
    const bodies = server.requests.map((r: RecordedRequest) => r.body).join("\n") + (await mail.mails()).join("\n");
    expect(bodies.length).toBeGreaterThan(0);
    expect(bodies).not.toContain(ws.passphrase);
  });
});
