import { definePlugin } from "../../core/config/define.js";
import { cleanStaleMounts } from "./mounts.js";
import { describeRemote, remoteSchema, sshCommand, sshEndpoint } from "./remote.js";
import { checkSshLogin, sshDoctor } from "./ssh-check.js";
import { shellQuote } from "../../core/runner.js";

const PLUGIN_NAME = "transport:ssh";

/** A server reached by ssh only: rsync uses its own ssh transport, nothing is mounted (Target.ssh only). */
export const sshTarget = definePlugin(PLUGIN_NAME, remoteSchema, (engine, remote) => {
  const ssh = sshEndpoint(engine, remote);
  engine.provide("target", { description: describeRemote(ssh), localPath: undefined, ssh });
  engine.hooks.requirements.tap(PLUGIN_NAME, (list) => {
    list.push({ tool: "ssh", purpose: "reach the server (rsync's transport, checksums on the server)", versionArgs: ["-V"], versionPattern: /OpenSSH_([\d.]+)/ });
  });
  engine.hooks.connect.tapPromise(PLUGIN_NAME, async (ctx) => {
    if (ctx.command === "doctor" || ctx.command === "recipe" || ctx.command === "umount") return;
    await cleanStaleMounts(ctx);
    ctx.step(`log in to ${describeRemote(ssh)} by ssh`);
    if (ctx.command === "init") await ctx.exec({ tool: "ssh", args: sshCommand(ssh, `mkdir -p -m 700 ${shellQuote(ssh.path)}`) });
    else if (!ctx.dryRun) await checkSshLogin(ctx, ssh);
  });
  engine.hooks.doctor.tapPromise(PLUGIN_NAME, sshDoctor(ssh));
});
