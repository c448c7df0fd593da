import { messages } from "../../../core/messages.js";
import type { Secret } from "../../../core/secret.js";
import type { RunContext } from "../../../core/types.js";
import { tail } from "../../../core/runner.js";

export interface CryptsetupFailure { exitCode: number; stderr: string }

/**
 * Runs cryptsetup and turns its failures into the messages a user can act on: no
 * device-mapper in this kernel, a key no slot accepts, a file that is not LUKS.
 */
export async function cryptsetup(ctx: RunContext, args: string[], context: { image: string; keySource?: string; job: string }, key?: Secret): Promise<void> {
  const result = await ctx.exec({ tool: "cryptsetup", args, input: key, okExitCodes: [1, 2, 3, 4, 5] });
  if (result.exitCode === 0) return;
  throw cryptsetupError(args[0]!, { exitCode: result.exitCode, stderr: result.stderr }, context);
}

export function cryptsetupError(action: string, failure: CryptsetupFailure, context: { image: string; keySource?: string; job: string }): Error {
  const detail = tail(failure.stderr, 3);
  const noDm = /^.*(Cannot initialize device-mapper|device-mapper).*$/im.exec(failure.stderr);
  if (noDm) return messages.luksNoDeviceMapper(noDm[0].trim());
  if (/No key available/i.test(failure.stderr) || (action === "open" && failure.exitCode === 2)) return messages.luksWrongKey(context.image, context.keySource ?? "the key source");
  if (/not a valid LUKS device|Device .* does not exist|doesn't exist or access denied/i.test(failure.stderr)) return messages.luksNotInitialized(context.image, context.job);
  return messages.commandFailed("cryptsetup", `cryptsetup ${action} ${context.image}`, failure.exitCode, detail);
}
