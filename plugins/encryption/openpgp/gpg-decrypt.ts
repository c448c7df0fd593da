import type { CommandSpec } from "../../../core/runner.js";
import type { Secret } from "../../../core/secret.js";
import type { RunContext } from "../../../core/types.js";

/**
 * The recipe's decryption, for restore drills: the private key imported into a throwaway keyring
 * in `home` (mode 700, under the drill's temp folder), then `gpg --decrypt` from stdin to stdout.
 * The key goes in on stdin and the passphrase on fd 3, never in argv; the agent this starts is
 * stopped when the run ends.
 */
export async function gpgDecryptCommand(ctx: RunContext, home: string, key: Secret, passphrase: Secret | undefined): Promise<CommandSpec> {
  const base = ["--homedir", home, "--batch", "--quiet", "--no-tty"];
  await ctx.exec({ tool: "gpg", args: [...base, "--import"], input: key });
  ctx.defer("stop the drill's gpg-agent", async () => {
    await ctx.exec({ tool: "gpgconf", args: ["--homedir", home, "--kill", "gpg-agent"] }).catch(() => undefined);
  });
  return {
    tool: "gpg",
    args: [...base, "--pinentry-mode", "loopback", ...(passphrase ? ["--passphrase-fd", "3"] : []), "--decrypt"],
    secretFds: passphrase ? [passphrase] : undefined,
  };
}
