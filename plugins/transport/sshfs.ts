import { definePlugin } from "../../core/config/define.js";
import { messages } from "../../core/messages.js";
import { isCryptkeepError, messageOf } from "../../core/errors.js";
import { shellQuote } from "../../core/runner.js";
import type { RunContext, SshEndpoint } from "../../core/types.js";
import { cleanStaleMounts, makeKeptDir, makeMountPoint, unmount } from "./mounts.js";
import { describeRemote, loginOf, remoteSchema, sshCommand, sshEndpoint, sshOptionList, type RemoteOptions } from "./remote.js";
import { lastLine, sshDoctor } from "./ssh-check.js";
import type { Engine } from "../../core/engine.js";

const PLUGIN_NAME = "transport:sshfs";

/**
 * The server's folder mounted over sshfs under the cache dir (seed 001), so rsync writes to a
 * local path; ssh stays available for checksums on the server. Unmounted at the end of the run,
 * or left for `umount` by the `mount` command.
 */
export const sshfsTarget = definePlugin(PLUGIN_NAME, remoteSchema, (engine, remote) => {
  const ssh = sshEndpoint(engine, remote);
  let localPath: string | undefined;
  engine.provide("target", {
    description: `${describeRemote(ssh)} over sshfs`,
    get localPath() { return localPath; },
    ssh,
  });
  engine.hooks.requirements.tap(PLUGIN_NAME, (list) => {
    list.push({ tool: "sshfs", purpose: "mount the server's folder", versionArgs: ["-V"], versionPattern: /SSHFS version ([\d.]+)/ });
    list.push({ tool: "ssh", purpose: "log in to the server (checksums on the server)", versionArgs: ["-V"], versionPattern: /OpenSSH_([\d.]+)/ });
    list.push({ tool: "fusermount", purpose: "unmount FUSE filesystems", versionArgs: ["-V"], versionPattern: /version:? ([\d.]+)/ });
  });
  engine.hooks.connect.tapPromise(PLUGIN_NAME, async (ctx) => {
    if (ctx.command === "doctor" || ctx.command === "recipe" || ctx.command === "umount") return;
    await cleanStaleMounts(ctx);
    if (ctx.command === "init") {
      ctx.step(`create ${ssh.path} on the server`);
      await ctx.exec({ tool: "ssh", args: sshCommand(ssh, `mkdir -p -m 700 ${shellQuote(ssh.path)}`) }).catch((error: unknown) => {
        throw isCryptkeepError(error) && error.code === "TOOL_MISSING" ? error : messages.sshUnreachable(describeRemote(ssh), lastLine(messageOf(error)));
      });
    }
    const keep = ctx.command === "mount";
    const mountPoint = keep ? await makeKeptDir(ctx, "sshfs") : await makeMountPoint(ctx, "sshfs");
    await mountSshfs(ctx, engine, remote, ssh, mountPoint);
    if (!keep) ctx.defer(`unmount sshfs ${mountPoint}`, () => unmount(ctx, mountPoint));
    localPath = mountPoint;
  });
  engine.hooks.doctor.tapPromise(PLUGIN_NAME, sshDoctor(ssh));
});

export function sshfsArgs(engine: Engine, remote: RemoteOptions, ssh: SshEndpoint, mountPoint: string): string[] {
  return [`${loginOf(ssh)}:${ssh.path}`, mountPoint, "-p", String(ssh.port), ...sshOptionList(engine, remote).flatMap((o) => ["-o", o])];
}

async function mountSshfs(ctx: RunContext, engine: Engine, remote: RemoteOptions, ssh: SshEndpoint, mountPoint: string): Promise<void> {
  ctx.step(`mount ${describeRemote(ssh)} at ${mountPoint} (sshfs)`);
  try {
    await ctx.exec({ tool: "sshfs", args: sshfsArgs(engine, remote, ssh, mountPoint) });
  } catch (error) {
    if (isCryptkeepError(error) && error.code === "TOOL_MISSING") throw error;
    throw messages.mountFailed(`${describeRemote(ssh)} (sshfs)`, mountPoint, lastLine(messageOf(error)));
  }
}
