import { messages } from "../../../core/messages.js";
import { isCommandError, isCryptkeepError, messageOf } from "../../../core/errors.js";
import type { Secret } from "../../../core/secret.js";
import type { RunContext } from "../../../core/types.js";
import { lastLine } from "../../transport/ssh-check.js";

/** gocryptfs's exit code for a wrong password. */
const WRONG_PASSWORD = 12;

/**
 * Mounts with gocryptfs, the password on stdin (never argv, never a file); gocryptfs forks
 * into the background once the mount is ready. Without -nosyslog, the background
 * process lets go of our stderr pipe (it logs to syslog), so the command returns.
 */
export async function gocryptfsMount(ctx: RunContext, password: Secret, args: string[], what: string, mountPoint: string, source: string): Promise<void> {
  try {
    await ctx.exec({ tool: "gocryptfs", args: ["-q", ...args], input: password });
  } catch (error) {
    if (isCommandError(error, "COMMAND_FAILED") && error.status === WRONG_PASSWORD) throw messages.gocryptfsWrongPassword(source);
    if (isCryptkeepError(error) && (error.code === "TOOL_MISSING" || error.code === "INTERRUPTED")) throw error;
    throw messages.mountFailed(what, mountPoint, lastLine(messageOf(error)));
  }
}
