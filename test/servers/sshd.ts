import { execa } from "execa";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { scratchDir } from "../helpers/cli.js";
import { freePort } from "./ports.js";

/**
 * A throwaway OpenSSH sshd on 127.0.0.1 with its own host key, client key and config:
 * no system service is touched. Key login only. `extraConfig` lines are appended to
 * sshd_config (e.g. a `Match User` block with ChrootDirectory for an SFTP-only account).
 */
export interface Sshd {
  port: number;
  pid: number;
  /** The client's private key, authorised for every user the tests log in as. */
  identityFile: string;
  /** known_hosts holding this server's host key ([127.0.0.1]:port form). */
  knownHosts: string;
  /** An ssh_config with `Host test` → root@127.0.0.1:port, for ssh/sshfs -F. */
  sshConfig: string;
  hostPublicKey: string;
  dir: string;
  /** Kills the listening server; existing sessions keep their own processes. */
  stop(): Promise<void>;
  /** Kills the server's children (the per-connection processes): a dropped connection. */
  dropConnections(): Promise<void>;
}

export interface SshdOptions { extraConfig?: string[]; authorizedKeysFile?: string }

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const dir = await scratchDir("cryptkeep-sshd-");
  await chmod(dir, 0o755);
  await mkdir("/run/sshd", { recursive: true });
  const hostKey = join(dir, "host_ed25519");
  const identityFile = join(dir, "client_ed25519");
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cryptkeep-test", "-f", identityFile]);
  const authorizedKeys = options.authorizedKeysFile ?? join(dir, "authorized_keys");
  await writeFile(authorizedKeys, await readFile(`${identityFile}.pub`), { mode: 0o644 });
  const port = await freePort();
  const pidFile = join(dir, "sshd.pid");
  const config = join(dir, "sshd_config");
  await writeFile(config, [
    "ListenAddress 127.0.0.1", `Port ${port}`, `HostKey ${hostKey}`, `PidFile ${pidFile}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    // The keys live under /tmp, which StrictModes would refuse as world-writable.
    "StrictModes no", "PermitRootLogin prohibit-password", "PasswordAuthentication no",
    "KbdInteractiveAuthentication no", "UsePAM no", "Subsystem sftp internal-sftp", "LogLevel ERROR",
    ...(options.extraConfig ?? []), "",
  ].join("\n"));
  await execa("/usr/sbin/sshd", ["-t", "-f", config]);
  await execa("/usr/sbin/sshd", ["-f", config, "-E", join(dir, "sshd.log")]);
  const pid = Number((await waitForFile(pidFile)).trim());
  const hostPublicKey = (await readFile(`${hostKey}.pub`, "utf8")).trim().split(" ").slice(0, 2).join(" ");
  const knownHosts = join(dir, "known_hosts");
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostPublicKey}\n`);
  const sshConfig = join(dir, "ssh_config");
  await writeFile(sshConfig, [
    "Host test", "  HostName 127.0.0.1", `  Port ${port}`, "  User root", `  IdentityFile ${identityFile}`,
    "  IdentitiesOnly yes", `  UserKnownHostsFile ${knownHosts}`, "  StrictHostKeyChecking yes", "  BatchMode yes", "",
  ].join("\n"));
  return {
    port, pid, identityFile, knownHosts, sshConfig, hostPublicKey, dir,
    stop: async () => { try { process.kill(pid, "SIGTERM"); } catch { /* already gone */ } },
    dropConnections: async () => { await execa("pkill", ["-KILL", "-P", String(pid)], { reject: false }); },
  };
}

async function waitForFile(file: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    try { return await readFile(file, "utf8"); } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  throw new Error(`sshd did not start: ${file} never appeared`);
}
