import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli, scratchDir, type CliResult, type Workspace } from "./cli.js";
import type { Sshd } from "../servers/sshd.js";

export const PASSWORD = "gocryptfs test password";

/** A workspace for the rsync schemes: Documents/, a server folder, and a config for job "documents". */
export async function rsyncWorkspace(): Promise<Workspace & { remote: string }> {
  const dir = await scratchDir("cryptkeep-test-");
  const ws = {
    dir, source: join(dir, "Documents"), vault: join(dir, "vault"), cache: join(dir, "cache"), keys: join(dir, "keys"),
    passphrase: PASSWORD, config: join(dir, "backup.config.ts"), remote: await scratchDir("cryptkeep-server-"),
  };
  await mkdir(ws.source, { recursive: true });
  return ws;
}

export function remoteOf(sshd: Sshd, path: string): string {
  return `{ host: "127.0.0.1", port: ${sshd.port}, user: "root", path: ${JSON.stringify(path)}, identityFile: ${JSON.stringify(sshd.identityFile)}, knownHosts: ${JSON.stringify(sshd.knownHosts)}, serverAliveInterval: 2 }`;
}

export async function writeGocryptfsConfig(ws: Workspace, job: string): Promise<void> {
  await writeFile(ws.config, `import { defineConfig } from "cryptkeep";
import { gocryptfsReverse, rsyncSnapshots } from "cryptkeep/presets";

export default defineConfig({
  jobs: {
    ${job}
  },
});
`);
}

/** The CLI with the gocryptfs password in the environment. */
export function run(ws: Workspace, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return cli(ws, args, { CK_PASSWORD: PASSWORD, ...env });
}

export async function must(ws: Workspace, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const result = await run(ws, args, env);
  if (result.exitCode !== 0) throw new Error(`cryptkeep ${args.join(" ")} exited ${result.exitCode}\n${result.stderr}\n${result.stdout}`);
  return result;
}

/**
 * Mount points of this kind (cryptkeep-davfs-*, cryptkeep-reverse-*...) under `dir`. Only this
 * workspace's: test files running at the same time mount their own.
 */
export async function mountsOf(kind: string, dir: string): Promise<string[]> {
  return (await mountsUnder(dir)).filter((point) => point.includes(`/cryptkeep-${kind}-`));
}

/** Mount points under a folder (nothing may be left mounted after a command). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text.split("\n").filter(Boolean).map((l) => l.split(" ")[4]!).filter((p) => p.startsWith(dir));
}
