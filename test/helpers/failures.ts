import { execa, type ResultPromise } from "execa";
import { chmod, chown, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { BIN, json, ok, type CliResult, type Workspace } from "./cli.js";

export interface SnapshotRow { id: string; type: string; files: number; complete: boolean }

export async function snapshotList(ws: Workspace): Promise<SnapshotRow[]> {
  return json<{ jobs: { result: SnapshotRow[] }[] }>(await ok(ws, ["snapshots", "documents", "--json"])).jobs[0]!.result;
}

export async function completeIds(ws: Workspace): Promise<string[]> {
  return (await snapshotList(ws)).filter((s) => s.complete).map((s) => s.id);
}

/**
 * A failed run: the exit code, exactly one error line (naming the problem) with its hint (the
 * fix), and no stack trace or Node crash report.
 */
export function expectFailure(result: CliResult, exitCode: number, message: RegExp | string, hint: RegExp | string): void {
  const context = `stderr was:\n${result.stderr}`;
  expect(result.exitCode, context).toBe(exitCode);
  const errors = result.stderr.split("\n").filter((line) => line.startsWith("error: "));
  expect(errors, context).toHaveLength(1);
  expect(result.stderr, context).toMatch(typeof message === "string" ? new RegExp(escape(message)) : message);
  const hints = result.stderr.split("\n").filter((line) => line.startsWith("hint: "));
  expect(hints, context).toHaveLength(1);
  expect(hints[0], context).toMatch(typeof hint === "string" ? new RegExp(escape(hint)) : hint);
  expect(result.stderr, context).not.toMatch(/^\s+at |Unhandled 'error' event|Node\.js v\d|this is a bug in cryptkeep/m);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every file under a folder, hidden ones included, as sorted relative paths. */
export async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(root, rel), { withFileTypes: true }).catch(() => [])) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path);
      else out.push(path);
    }
  };
  await visit("");
  return out.sort();
}

/** Leftovers of an interrupted write: LocalStore's temporary names. */
export async function tempFiles(vault: string): Promise<string[]> {
  return (await filesUnder(vault)).filter((p) => p.split("/").pop()!.startsWith(".cryptkeep-part-"));
}

/** Removes a workspace at the end of its tests (some hold 100+ MiB); CRYPTKEEP_KEEP_TEST_DIRS keeps it. */
export async function removeWorkspace(ws: Workspace | undefined): Promise<void> {
  if (ws && !process.env.CRYPTKEEP_KEEP_TEST_DIRS) await rm(ws.dir, { recursive: true, force: true });
}

export const lockFile = (ws: Workspace) => join(ws.cache, "cryptkeep", "documents", "lock");

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Replaces text in backup.config.ts, failing when it is not there. */
export async function editConfig(ws: Workspace, from: string, to: string): Promise<void> {
  const text = await readFile(ws.config, "utf8");
  if (!text.includes(from)) throw new Error(`backup.config.ts has no ${JSON.stringify(from)}`);
  await writeFile(ws.config, text.replace(from, to));
}

/** Starts the CLI without waiting for it, for tests that signal or race it. */
export function spawnCli(ws: Workspace, args: string[]): ResultPromise<{ reject: false }> {
  return execa("node", [BIN, ...args], {
    cwd: ws.dir, reject: false, stdin: "ignore",
    env: { XDG_CACHE_HOME: ws.cache, CK_PASSPHRASE: ws.passphrase, ...(ws.tmp ? { TMPDIR: ws.tmp } : {}) },
  }) as ResultPromise<{ reject: false }>;
}

/** Waits until a new snapshot (not in `before`) has its first volume in the vault, while `run` runs. */
export async function firstVolumeOfNewSnapshot(ws: Workspace, before: string[], run: ResultPromise, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let ended: { exitCode?: number; stderr?: unknown } | undefined;
  void run.then((result) => (ended = result), (error: unknown) => (ended = { stderr: String(error) }));
  while (Date.now() < deadline) {
    const finished = ended;
    for (const id of await readdir(join(ws.vault, "snapshots")).catch(() => [] as string[])) {
      if (before.includes(id)) continue;
      const names = await readdir(join(ws.vault, "snapshots", id)).catch(() => [] as string[]);
      if (names.some((n) => n.startsWith("vol-00001"))) return id;
    }
    if (finished) throw new Error(`the run ended (exit ${finished.exitCode}) before a new snapshot's first volume was seen:\n${String(finished.stderr)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no new snapshot wrote its first volume within ${timeoutMs} ms`);
}

export const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/**
 * The run as a user without privileges: as root (CI), the CLI runs as 'nobody' with setpriv, and
 * the workspace is opened up so that nobody can read it; without root, the tests' own user is
 * unprivileged already. `cache` is a local state folder that user can write.
 */
export async function unprivileged(ws: Workspace): Promise<{ cache: string; run: (args: string[], env?: Record<string, string>) => Promise<CliResult> }> {
  const cache = join(ws.dir, "cache-unprivileged");
  await execa("mkdir", ["-p", cache]);
  if (IS_ROOT) {
    const check = await execa("setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "node", BIN, "--help"], { reject: false });
    if (check.exitCode !== 0) throw new Error(`user nobody cannot run ${BIN}: the checkout must be world-readable (chmod o+rx on it and its parent folders)\n${check.stderr}`);
    await chmod(ws.dir, 0o755);
    await execa("chmod", ["-R", "a+rX", ws.source, ws.keys]);
    await chmod(join(ws.keys, "backup.sec.asc"), 0o600);
    await chown(cache, NOBODY, NOBODY);
  }
  const run = async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    const command = IS_ROOT ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "node", BIN, ...args] : ["node", BIN, ...args];
    const result = await execa(command[0]!, command.slice(1), {
      cwd: ws.dir, reject: false, stdin: "ignore",
      env: { XDG_CACHE_HOME: cache, CK_PASSPHRASE: ws.passphrase, ...env },
    });
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
  return { cache, run };
}

/** Makes a folder (recursively) belong to the unprivileged user, so that it can write there. */
export async function giveToUnprivileged(path: string): Promise<void> {
  if (IS_ROOT) await execa("chown", ["-R", `${NOBODY}:${NOBODY}`, path]);
}
