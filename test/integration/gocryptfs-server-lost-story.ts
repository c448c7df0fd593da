import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { execa } from "execa";
import { BIN, json, scratchDir, type Workspace } from "../helpers/cli.js";
import { PASSWORD, mountsUnder, must, run, rsyncWorkspace, writeGocryptfsConfig } from "../helpers/rsync.js";

export interface LosableServer {
  /** The `target` option as TypeScript source. */
  target: string;
  /** What `cryptkeep plan` must say about how soon the mount gives up on a server that is gone. */
  planShowsTimeouts: RegExp;
  /** A cron job must not hang: the run must end this soon after its server is gone (derived from the timeouts the plan shows). */
  giveUpWithinMs: number;
  /** Secrets the target option reads from the environment. */
  env: Record<string, string>;
  /** Bytes the server itself holds under the job's files/ folder (read on the server, not through a mount). */
  bytesOnServer(): Promise<number>;
  /** Kills the server process with SIGKILL: the server is gone mid-run. */
  kill(): Promise<void>;
  /** Starts it again with the same data. */
  restart(): Promise<void>;
  /**
   * Leaves on the server what a run cut short between davfs2's LOCK of a new file and its upload
   * leaves (a locked, never-written file in rsync's temporary folder), whatever the kill's timing;
   * for servers that keep locks. Returns the plan's rsync argument that puts temporary files there.
   */
  leaveLockedFile?(): Promise<RegExp>;
  stop(): Promise<void>;
}

const BIG_FILES = 24;
const BIG_FILE_BYTES = 2 * 1024 * 1024;
const bigName = (i: number) => `big-${String(i).padStart(2, "0")}.bin`;
/** The server is killed once this much of the run's new data has reached it: the run is surely inside rsync. */
const KILL_AFTER_BYTES = 4 * BIG_FILE_BYTES;
/** Memory of the run's processes (cryptkeep, rsync, gocryptfs, the mount's daemon) while its server is gone. */
const MAX_RSS_KIB = 600 * 1024;

/** Resident memory in KiB of a process and all its descendants, now (0 once it is gone). */
async function treeRssKiB(pid: number): Promise<number> {
  const ps = await execa("ps", ["-e", "-o", "pid=,ppid=,rss="], { reject: false });
  const rows = String(ps.stdout).trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  const inTree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, parent] of rows) if (inTree.has(parent) && !inTree.has(p)) { inTree.add(p); grew = true; }
  }
  return rows.filter(([p]) => inTree.has(p)).reduce((sum, [, , rss]) => sum + rss, 0);
}

async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await ready());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * gocryptfsReverse with its target on a mounted server (davfs, s3fs) whose server is killed while
 * rsync writes to it: one CONNECTION_LOST error naming the server, a non-zero exit within
 * the server's giveUpWithinMs, bounded memory, nothing left mounted, no snapshot that looks complete;
 * with the server back, the next backup completes and verify passes.
 */
export function serverLostStory(kind: "davfs" | "s3fs", name: string, where: RegExp, start: () => Promise<LosableServer>): void {
  describe(`gocryptfsReverse with its target on ${name}: the server is killed mid-run`, () => {
    let server: LosableServer;
    let ws: Workspace & { remote: string };
    const nothingMounted = async () => {
      // The davfs2/s3fs mount and gocryptfs's view both live under the workspace's cache dir.
      expect(await mountsUnder(ws.dir)).toEqual([]);
    };
    const snapshots = async () => json<{ jobs: { result: { id: string; complete: boolean }[] }[] }>(await must(ws, ["snapshots", "documents", "--json"], server.env)).jobs[0]!.result;

    beforeAll(async () => {
      server = await start();
      ws = await rsyncWorkspace();
      await writeGocryptfsConfig(ws, `documents: gocryptfsReverse({
      source: "./Documents",
      target: ${server.target},
      password: { env: "CK_PASSWORD" },
    }),`);
      // Changed by the interrupted run: rsync may move its old version aside into snapshots/<T>.partial
      // before the server is killed (when depends on its encrypted name), which must not look complete.
      await writeFile(join(ws.source, "0-changed.txt"), "the first version\n");
      await must(ws, ["init", "documents"], server.env);
      await must(ws, ["backup", "documents"], server.env);
    }, 180_000);

    afterAll(async () => {
      await server?.stop();
    });

    it("plan shows how soon the mount gives up on a server that is gone", async () => {
      expect((await must(ws, ["plan", "documents"], server.env)).stdout).toMatch(server.planShowsTimeouts);
      await nothingMounted();
    });

    it("fails with one CONNECTION_LOST naming the server, soon, with bounded memory, nothing mounted and no complete snapshot; the next run completes and verifies", async () => {
      await appendFile(join(ws.source, "0-changed.txt"), "a second line\n");
      for (let i = 0; i < BIG_FILES; i++) await writeFile(join(ws.source, bigName(i)), randomBytes(BIG_FILE_BYTES));
      const before = await snapshots();
      const baseline = await server.bytesOnServer();

      const child = execa("node", [BIN, "backup", "documents", "--json"], {
        cwd: ws.dir, reject: false, stdin: "ignore", env: { XDG_CACHE_HOME: ws.cache, CK_PASSWORD: PASSWORD, ...server.env },
      });
      let ended = false;
      void child.finally(() => { ended = true; });
      let maxRss = 0;
      const sampler = setInterval(() => { void treeRssKiB(child.pid!).then((kib) => { maxRss = Math.max(maxRss, kib); }); }, 250);
      try {
        await waitFor(`${KILL_AFTER_BYTES} bytes reached the server`, async () => {
          if (ended) throw new Error(`the backup ended before the server was killed:\n${String((await child).stderr)}`);
          return (await server.bytesOnServer()) - baseline >= KILL_AFTER_BYTES;
        }, 120_000);
        await server.kill();
        const killedAt = Date.now();
        // A run that hangs is stopped (Ctrl-C's way, so it unmounts) well before the test's own timeout.
        const hung = setTimeout(() => child.kill("SIGTERM"), server.giveUpWithinMs + 30_000);
        const result = await child.finally(() => clearTimeout(hung));
        const took = Date.now() - killedAt;
        const stderr = String(result.stderr);
        expect(result.exitCode, stderr).toBe(1);
        expect(took, stderr).toBeLessThan(server.giveUpWithinMs);
        const job = json<{ jobs: { state: string; error: { code: string; message: string; hint: string } }[] }>({ exitCode: 1, stdout: String(result.stdout), stderr }).jobs[0]!;
        expect(job.error.code, stderr).toBe("CONNECTION_LOST");
        expect(job.error.message).toMatch(where);
        expect(job.error.message).toMatch(/was lost during the run/);
        expect(job.error.hint).toMatch(/run the command again/);
        expect(stderr.match(/^error: /gm), stderr).toHaveLength(1);
        expect(maxRss, `the run grew to ${maxRss} KiB`).toBeLessThan(MAX_RSS_KIB);
      } finally {
        clearInterval(sampler);
        if (!ended) child.kill("SIGKILL");
      }
      await nothingMounted();

      await server.restart();
      if (server.leaveLockedFile) {
        const tempDirArgument = await server.leaveLockedFile();
        expect((await must(ws, ["plan", "documents"], server.env)).stdout).toMatch(tempDirArgument);
      }
      const interrupted = (await snapshots()).filter((s) => !before.some((b) => b.id === s.id));
      expect(interrupted.filter((s) => s.complete)).toEqual([]);

      const next = json<{ jobs: { state: string; result: { sourceFiles: number } }[] }>(await must(ws, ["backup", "documents", "--json"], server.env));
      expect(next.jobs[0]!.state).toBe("success");
      expect(next.jobs[0]!.result.sourceFiles).toBe(BIG_FILES + 1);
      expect((await run(ws, ["verify", "documents"], server.env)).exitCode).toBe(0);
      const lastBig = bigName(BIG_FILES - 1);
      const out = join(await scratchDir("cryptkeep-out-"), "after-loss");
      await must(ws, ["restore", "documents", "--to", out, "--path", lastBig], server.env);
      expect(await readFile(join(out, lastBig))).toEqual(await readFile(join(ws.source, lastBig)));
      await nothingMounted();
    }, 300_000);
  });
}
