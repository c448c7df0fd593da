import { z } from "zod";
import { shellQuote } from "../../core/runner.js";
import type { Engine } from "../../core/engine.js";
import type { SshEndpoint } from "../../core/types.js";

/** A server reached by ssh: for sshfs mounts, rsync's own transport and commands run on the server. */
export const remoteSchema = z.strictObject({
  /** Host name or address of the server. */
  host: z.string().min(1),
  /** @default 22 */
  port: z.int().min(1).max(65535).default(22),
  /** Login name; ssh's default (your user name) when absent. */
  user: z.string().min(1).optional(),
  /** Absolute folder on the server that holds this job's backup. */
  path: z.string().regex(/^\//, "the remote path must be absolute (start with /)"),
  /** Private key to log in with (relative to the config file; ~ expanded). */
  identityFile: z.string().min(1).optional(),
  /** known_hosts file holding the server's host key; the server must be in it (StrictHostKeyChecking=yes). */
  knownHosts: z.string().min(1).optional(),
  /** Seconds between keepalives; a dead connection is noticed after three missed. @default 15 */
  serverAliveInterval: z.int().positive().default(15),
  /** More ssh options, as "Key=Value" (passed with -o). @default [] */
  sshOptions: z.array(z.string().regex(/^\w+=.+$/, "write ssh options as Key=Value")).default([]),
});
export type RemoteOptions = z.output<typeof remoteSchema>;

/** The ssh options every transport uses: no prompt, a known host key, keepalives. */
export function sshOptionList(engine: Engine, remote: RemoteOptions): string[] {
  return [
    "BatchMode=yes", "StrictHostKeyChecking=yes", `ServerAliveInterval=${remote.serverAliveInterval}`, "ServerAliveCountMax=3",
    "ConnectTimeout=20",
    ...(remote.identityFile ? [`IdentityFile=${engine.resolvePath(remote.identityFile)}`, "IdentitiesOnly=yes"] : []),
    ...(remote.knownHosts ? [`UserKnownHostsFile=${engine.resolvePath(remote.knownHosts)}`] : []),
    ...remote.sshOptions,
  ];
}

export function sshEndpoint(engine: Engine, remote: RemoteOptions): SshEndpoint {
  return {
    host: remote.host, port: remote.port, user: remote.user, path: remote.path.replace(/(.)\/+$/, "$1"),
    sshArgs: ["-p", String(remote.port), ...sshOptionList(engine, remote).flatMap((o) => ["-o", o])],
  };
}

export function loginOf(ssh: Pick<SshEndpoint, "host" | "user">): string {
  return ssh.user ? `${ssh.user}@${ssh.host}` : ssh.host;
}

export function describeRemote(ssh: SshEndpoint): string {
  return `${loginOf(ssh)}:${ssh.path} (port ${ssh.port})`;
}

/** argv for `ssh` running one shell command line on the server. */
export function sshCommand(ssh: SshEndpoint, remoteCommand: string): string[] {
  return [...ssh.sshArgs, loginOf(ssh), "--", remoteCommand];
}

/** rsync's -e value: the same ssh options, quoted the way rsync splits them. */
export function rsyncRemoteShell(ssh: SshEndpoint): string {
  return ["ssh", ...ssh.sshArgs].map(shellQuote).join(" ");
}

/** `user@host:path` for rsync; the path is quoted for the remote shell (rsync 3.2+ protects args itself). */
export function rsyncRemotePath(ssh: SshEndpoint, path: string): string {
  return `${loginOf(ssh)}:${path}`;
}

/** The shell line that mounts the server's folder at `dir` with sshfs, for recipes. */
export function sshfsRecipeLine(ssh: SshEndpoint, dir: string): string {
  return `sshfs ${shellQuote(`${loginOf(ssh)}:${ssh.path}`)} ${dir} ${["-p", String(ssh.port), ...ssh.sshArgs.slice(2)].map(shellQuote).join(" ")}`;
}
