import { execa } from "execa";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Workspace , scratchDir } from "./cli.js";

/** execa options for a command whose stdout is binary: execa strips a trailing newline by default, from bytes too (1 in 256 random payloads). */
export const BINARY_OUTPUT = { encoding: "buffer", stripFinalNewline: false } as const;

/**
 * Runs the printed `cryptkeep recipe` with the real gpg and tar only, in a throwaway GNUPGHOME
 * holding the imported private key; gpg reads the passphrase from a file as a script would
 * (a person types it). Returns the folder the recipe restored into.
 */
export async function runRecipe(ws: Workspace, recipe: string): Promise<string> {
  const gnupg = await scratchDir("cryptkeep-gnupg-");
  await chmod(gnupg, 0o700);
  await execa("gpg", ["--homedir", gnupg, "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import", join(ws.keys, "backup.sec.asc")], { input: ws.passphrase });
  const home = await scratchDir("cryptkeep-home-");
  await writeFile(join(home, "pass"), ws.passphrase, { mode: 0o600 });
  const script = recipe
    .replace(/^export GNUPGHOME=.*$/m, `export GNUPGHOME=${gnupg}`)
    .replace(/^gpg --import .*$/m, "")
    .replaceAll("gpg --quiet --decrypt", `gpg --quiet --batch --pinentry-mode loopback --passphrase-file ${join(home, "pass")} --decrypt`);
  try {
    await execa("bash", ["-c", script], { env: { HOME: home, PATH: process.env.PATH! } });
  } finally {
    await execa("gpgconf", ["--homedir", gnupg, "--kill", "gpg-agent"]).catch(() => undefined);
  }
  return join(home, "restored");
}
