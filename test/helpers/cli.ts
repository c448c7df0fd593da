import { execa } from "execa";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const BIN = join(ROOT, "bin/cryptkeep.js");

export interface CliResult { exitCode: number; stdout: string; stderr: string }

/** Runs the real, built CLI (npm test builds first) as a user would, without a terminal. */
export async function cli(ws: Workspace, args: string[], env: Record<string, string> = {}, onStderr?: (chunk: string) => void): Promise<CliResult> {
  const child = execa("node", [BIN, ...args], {
    cwd: ws.dir, reject: false, stdin: "ignore",
    env: { XDG_CACHE_HOME: ws.cache, CK_PASSPHRASE: ws.passphrase, ...(ws.tmp ? { TMPDIR: ws.tmp } : {}), ...env },
  });
  if (onStderr) child.stderr?.on("data", (chunk: Buffer) => onStderr(chunk.toString()));
  const result = await child;
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** `cli` that must succeed; fails the test with the output otherwise. */
export async function ok(ws: Workspace, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const result = await cli(ws, args, env);
  if (result.exitCode !== 0) throw new Error(`cryptkeep ${args.join(" ")} exited ${result.exitCode}\n${result.stderr}\n${result.stdout}`);
  return result;
}

const created: string[] = [];

/** A temp folder removed with the workspaces. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes the workspaces this test file made (test/setup.ts calls it after each file). */
export function removeWorkspaces(): void {
  if (process.env.CRYPTKEEP_KEEP_TEST_DIRS) return;
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Workspace {
  dir: string; source: string; vault: string; cache: string; keys: string; passphrase: string; config: string;
  /** The runs' temp folder (TMPDIR), when the test gave them one of their own: see privateTmp. */
  tmp?: string;
}

/**
 * Gives the workspace's runs a temp folder of their own (TMPDIR), so "nothing left in the temp
 * folder" looks only at this test's runs: other test files (the LUKS VM shares this machine's
 * /tmp) make cryptkeep-drill-* folders of their own at the same time.
 */
export async function privateTmp(ws: Workspace): Promise<string> {
  ws.tmp = join(ws.dir, "tmp");
  await mkdir(ws.tmp, { mode: 0o700 });
  return ws.tmp;
}

export interface JobSettings {
  /** The preset's target, as TypeScript source. @default { local: "./vault" } */
  target?: string;
  /** Environment for the `init` workspace() runs (secrets of a remote target). */
  env?: Record<string, string>;
  volumeSize?: string; compression?: "none" | "zstd" | "gzip"; exclude?: string[]; extra?: string;
  /** Top-level settings written after `jobs` (e.g. `notify: [...]`); `plugins` are imported from cryptkeep/plugins. */
  top?: string; plugins?: string[];
}

/**
 * A temp folder with Documents/, a key pair made by `cryptkeep keygen` (passphrase from the
 * environment), and a backup.config.ts for job "documents" written as a user would.
 */
export async function workspace(settings: JobSettings = {}): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), "cryptkeep-test-"));
  created.push(dir);
  const ws: Workspace = {
    dir, source: join(dir, "Documents"), vault: join(dir, "vault"), cache: join(dir, "cache"), keys: join(dir, "keys"),
    passphrase: "correct horse battery staple", config: join(dir, "backup.config.ts"),
  };
  await mkdir(ws.source, { recursive: true });
  await ok(ws, ["keygen", "--out", "./keys/backup", "--passphrase-env", "CK_PASSPHRASE"]);
  await writeConfig(ws, settings);
  await ok(ws, ["init", "documents"], settings.env);
  return ws;
}

export async function writeConfig(ws: Workspace, settings: JobSettings = {}): Promise<void> {
  await writeFile(ws.config, `import { defineConfig } from "cryptkeep";
import { gpgIncremental } from "cryptkeep/presets";
${settings.plugins?.length ? `import { ${settings.plugins.join(", ")} } from "cryptkeep/plugins";\n` : ""}
export default defineConfig({
  jobs: {
    documents: gpgIncremental({
      source: "./Documents",
      target: ${settings.target ?? `{ local: "./vault" }`},
      recipients: ["./keys/backup.pub.asc"],
      identity: { key: { file: "./keys/backup.sec.asc" }, passphrase: { env: "CK_PASSPHRASE" } },
      exclude: ${JSON.stringify(settings.exclude ?? ["*.tmp", "node_modules/"])},
      volumeSize: ${JSON.stringify(settings.volumeSize ?? "1MiB")},
      compression: ${JSON.stringify(settings.compression ?? "none")},
      retention: { keepLast: 2 },
      ${settings.extra ?? ""}
    }),
  },
  ${settings.top ?? ""}
});
`);
}

/** JSON output of a command run with --json. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  return JSON.parse(result.stdout) as T;
}
