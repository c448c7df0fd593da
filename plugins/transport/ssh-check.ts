import { messages } from "../../core/messages.js";
import { isCryptkeepError, messageOf } from "../../core/errors.js";
import type { RunContext, SshEndpoint } from "../../core/types.js";
import { describeRemote, sshCommand } from "./remote.js";

/** Logs in and runs `true`: proves host key, identity and network without writing anything. */
export async function checkSshLogin(ctx: RunContext, ssh: SshEndpoint): Promise<void> {
  try {
    await ctx.exec({ tool: "ssh", args: sshCommand(ssh, "true") });
  } catch (error) {
    if (isCryptkeepError(error) && error.code === "TOOL_MISSING") throw error;
    throw messages.sshUnreachable(describeRemote(ssh), lastLine(messageOf(error)));
  }
}

export function lastLine(text: string): string {
  return text.trim().split("\n").map((l) => l.replace(/^\s*\|\s?/, "")).filter(Boolean).at(-1) ?? text;
}

export function sshDoctor(ssh: SshEndpoint) {
  return async (ctx: RunContext, checks: { name: string; ok: boolean; detail: string }[]) => {
    const problem = await checkSshLogin(ctx, ssh).then(() => "", (error: unknown) => messageOf(error));
    checks.push({ name: "ssh login", ok: problem === "", detail: problem || `logged in to ${describeRemote(ssh)} (nothing written)` });
  };
}
