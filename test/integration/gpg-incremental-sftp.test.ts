import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { appendFile, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli, json, ok, scratchDir, workspace, writeConfig, type Workspace } from "../helpers/cli.js";
import { startSshd, type Sshd } from "../servers/sshd.js";
import { createSftpOnlyUser, type SftpOnlyUser } from "../servers/sftp-only-user.js";
import { remoteTargetStory } from "./remote-target-story.js";

let sshd: Sshd;
let jailed: SftpOnlyUser;
beforeAll(async () => {
  jailed = await createSftpOnlyUser();
  sshd = await startSshd({ extraConfig: jailed.sshdConfig });
});
afterAll(async () => {
  await sshd?.stop();
  await sshd?.dropConnections();
  await jailed?.remove();
});

const sftpTarget = (user: string, path: string, knownHosts = sshd.knownHosts) =>
  `{ sftp: { host: "127.0.0.1", port: ${sshd.port}, user: ${JSON.stringify(user)}, path: ${JSON.stringify(path)}, identityFile: ${JSON.stringify(sshd.identityFile)}, knownHosts: ${JSON.stringify(knownHosts)} } }`;

remoteTargetStory("sftp to a chrooted SFTP-only account", async () => ({ target: sftpTarget(jailed.name, `${jailed.writable}/vault`) }));

describe("gpgIncremental over sftp: host keys, logins and failures", () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await workspace({ target: sftpTarget("root", `${sshd.dir}/vault-root`) }); });

  it("backs up as root too, and plan changes nothing on the server", async () => {
    await writeFile(`${ws.source}/a.txt`, "a\n");
    const plan = await ok(ws, ["plan", "documents"]);
    expect(plan.stdout).toMatch(/log in to sftp:\/\/root@127\.0\.0\.1/);
    await ok(ws, ["backup", "documents"]);
  });

  it("refuses an unknown host key and says how to accept it", async () => {
    const empty = `${ws.dir}/known_hosts_empty`;
    await writeFile(empty, "");
    await writeConfig(ws, { target: sftpTarget("root", `${sshd.dir}/vault-root`, empty) });
    const result = await cli(ws, ["backup", "documents"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/host key of 127\.0\.0\.1:\d+ \(SHA256:[A-Za-z0-9+/]+\) is not in .*known_hosts_empty/);
    expect(result.stderr).toMatch(/ssh-keyscan -p \d+ 127\.0\.0\.1 >> .*known_hosts_empty/);
    await writeFile(empty, `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
    const changed = await cli(ws, ["backup", "documents"]);
    expect(changed.stderr).toMatch(/HOST_KEY_CHANGED|host key of 127\.0\.0\.1:\d+ changed/);
    await writeConfig(ws, { target: sftpTarget("root", `${sshd.dir}/vault-root`) });
  });

  it("a refused login fails with its own message, and doctor reports it", async () => {
    await writeConfig(ws, { target: sftpTarget("nobody-here", "/x") });
    const refused = await cli(ws, ["backup", "documents"]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/sftp:\/\/nobody-here@127\.0\.0\.1:\d+\/x: the server refused the credentials/);
    const doctor = await cli(ws, ["doctor", "documents"]);
    expect(doctor.exitCode).not.toBe(0);
    expect(doctor.stdout + doctor.stderr).toMatch(/refused the credentials/);
    await writeConfig(ws, { target: sftpTarget("root", `${sshd.dir}/vault-root`) });
  });

  it("logs in with a key held by ssh-agent; agent: true without an agent says so", async () => {
    const dir = await scratchDir("cryptkeep-agent-");
    const socket = join(dir, "agent.sock");
    const agent = await execa("ssh-agent", ["-a", socket, "-s"]);
    const agentPid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)![1]!;
    try {
      await execa("ssh-add", [sshd.identityFile], { env: { SSH_AUTH_SOCK: socket } });
      await writeConfig(ws, { target: `{ sftp: { host: "127.0.0.1", port: ${sshd.port}, user: "root", path: ${JSON.stringify(`${sshd.dir}/vault-root`)}, agent: true, knownHosts: ${JSON.stringify(sshd.knownHosts)} } }` });
      await ok(ws, ["backup", "documents"], { SSH_AUTH_SOCK: socket });
      const without = await cli(ws, ["backup", "documents"], { SSH_AUTH_SOCK: "" });
      expect(without.exitCode).toBe(2);
      expect(without.stderr).toMatch(/agent: true, but SSH_AUTH_SOCK is not set/);
    } finally {
      process.kill(Number(agentPid), "SIGTERM");
      await writeConfig(ws, { target: sftpTarget("root", `${sshd.dir}/vault-root`) });
    }
  });

  it("takes the target as sftp://user@host:port/path: alone (ssh-agent, ~/.ssh/known_hosts) or with { url, identityFile }; a malformed URL is a config error", async () => {
    const url = `sftp://root@127.0.0.1:${sshd.port}${sshd.dir}/vault-root`;
    const home = await scratchDir("cryptkeep-home-");
    await mkdir(join(home, ".ssh"));
    await copyFile(sshd.knownHosts, join(home, ".ssh/known_hosts"));
    const socket = join(home, "agent.sock");
    const agent = await execa("ssh-agent", ["-a", socket, "-s"]);
    const agentPid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)![1]!;
    try {
      await execa("ssh-add", [sshd.identityFile], { env: { SSH_AUTH_SOCK: socket } });
      await writeFile(`${ws.source}/url.txt`, "by url\n");
      await writeConfig(ws, { target: `{ sftp: ${JSON.stringify(url)} }` });
      const plan = await ok(ws, ["plan", "documents"], { SSH_AUTH_SOCK: socket, HOME: home });
      expect(plan.stdout).toContain(`log in to sftp://root@127.0.0.1:${sshd.port}${sshd.dir}/vault-root`);
      await ok(ws, ["backup", "documents"], { SSH_AUTH_SOCK: socket, HOME: home });
    } finally {
      process.kill(Number(agentPid), "SIGTERM");
    }
    await writeConfig(ws, { target: `{ sftp: { url: ${JSON.stringify(url)}, identityFile: ${JSON.stringify(sshd.identityFile)}, knownHosts: ${JSON.stringify(sshd.knownHosts)} } }` });
    const list = json<{ jobs: { result: unknown[] }[] }>(await ok(ws, ["snapshots", "documents", "--json"]));
    expect(list.jobs[0]!.result.length).toBeGreaterThanOrEqual(2);
    await writeConfig(ws, { target: `{ sftp: "sftp://root@127.0.0.1:vault" }` });
    const malformed = await cli(ws, ["backup", "documents"]);
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).toContain("at jobs.documents.target.sftp: 'sftp://root@127.0.0.1:vault' is not an sftp URL (host:folder is scp's form): write sftp://user@host[:port]/path");
    await writeConfig(ws, { target: sftpTarget("root", `${sshd.dir}/vault-root`) });
  });

  it("reads a passphrase-protected identity file with the passphrase from a secret source", async () => {
    const dir = await scratchDir("cryptkeep-key-");
    const key = join(dir, "id_protected");
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "key passphrase 1", "-f", key]);
    await appendFile(join(sshd.dir, "authorized_keys"), await readFile(`${key}.pub`));
    await writeConfig(ws, { target: `{ sftp: { host: "127.0.0.1", port: ${sshd.port}, user: "root", path: ${JSON.stringify(`${sshd.dir}/vault-root`)}, identityFile: ${JSON.stringify(key)}, passphrase: { env: "CK_KEY_PASSPHRASE" }, knownHosts: ${JSON.stringify(sshd.knownHosts)} } }` });
    try {
      await ok(ws, ["backup", "documents"], { CK_KEY_PASSPHRASE: "key passphrase 1" });
      const wrong = await cli(ws, ["backup", "documents"], { CK_KEY_PASSPHRASE: "not it" });
      expect(wrong.exitCode).toBe(1);
      expect(wrong.stderr).not.toContain("key passphrase 1");
      expect(wrong.stderr).toMatch(/the ssh identity file could not be used: .*bad passphrase/);
    } finally {
      await writeConfig(ws, { target: sftpTarget("root", `${sshd.dir}/vault-root`) });
    }
  });

  it("a config without a key is refused at load with the fix", async () => {
    await writeConfig(ws, { target: `{ sftp: { host: "127.0.0.1", user: "root", path: "/x" } }` });
    const result = await cli(ws, ["backup", "documents"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/sftp needs a key: set identityFile, or agent: true/);
    await writeConfig(ws, { target: sftpTarget("root", `${sshd.dir}/vault-root`) });
  });
});
