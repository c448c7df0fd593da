import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type * as openpgp from "openpgp";
import { PREFIX } from "../../../core/paths.js";
import { compareVersions } from "../../../core/versions.js";
import { outputOnceSucceeded, type CommandSpec } from "../../../core/runner.js";
import type { RunContext } from "../../../core/types.js";
import { readSessionKey } from "./session-key.js";
import { integrityError } from "./errors.js";
import { isCommandError, messageOf } from "../../../core/errors.js";

/**
 * The gpg command that encrypts stdin to the recipients' public key files. `--recipient-file`
 * reads each key from its file into a throwaway home: no keyring of the user is read or changed,
 * and no secret is involved. Same message kind as openpgp.js writes (PKESK + SEIPDv1, no
 * compression), which openpgp.js and gpg both decrypt.
 */
export function gpgEncryptArgs(home: string, recipientFiles: string[]): string[] {
  return [
    "--homedir", home, "--batch", "--no-tty", "--quiet", "--no-options", "--trust-model", "always",
    "--compress-algo", "none", ...recipientFiles.flatMap((file) => ["--recipient-file", file]), "--encrypt",
  ];
}

/** The gpg command that encrypts stdin to stdout, in a throwaway home that `cleanup` removes. */
export async function gpgEncryptCommand(recipientFiles: string[]): Promise<{ command: CommandSpec; cleanup(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), `${PREFIX}gpg-`));
  return { command: { tool: "gpg", args: gpgEncryptArgs(home, recipientFiles) }, cleanup: () => rm(home, { recursive: true, force: true }) };
}

/**
 * Encrypts `input` with the gpg binary: about half the CPU per byte of openpgp.js, in its own
 * process (so on another core). The returned stream ends only after gpg exited successfully; a
 * failure of gpg or of `input` is an error of the returned stream.
 */
export async function gpgEncryptStream(ctx: RunContext, input: Readable, recipientFiles: string[]): Promise<Readable> {
  const { command, cleanup: removeHome } = await gpgEncryptCommand(recipientFiles);
  const gpg = ctx.stream({ ...command, input });
  gpg.done.finally(() => void removeHome()).catch(() => undefined);
  return outputOnceSucceeded(gpg, input);
}

/**
 * The gpg command that decrypts `input` at C speed, in its own process. The private key never
 * leaves this process: openpgp.js decrypts the message's session key from its head, in memory,
 * and gpg reads that session key from fd 3 (no keyring holds a secret; `cleanup` removes its
 * throwaway home). `input` is the command's input; `decryptFailure` says what its failure means.
 */
export async function gpgSessionDecryptCommand(input: Readable, key: openpgp.PrivateKey): Promise<{ command: CommandSpec; input: Readable; cleanup(): Promise<void> }> {
  const { sessionKey, message } = await readSessionKey(input as AsyncIterable<Uint8Array>, key);
  const home = await mkdtemp(join(tmpdir(), `${PREFIX}gpg-`)).catch(async (error: unknown) => {
    await message.return(undefined);
    throw error;
  });
  const source = Readable.from(message, { objectMode: false });
  const args = ["--homedir", home, "--batch", "--no-tty", "--quiet", "--no-options", "--override-session-key-fd", "3", "--decrypt"];
  return { command: { tool: "gpg", args, input: source, secretFds: [sessionKey] }, input: source, cleanup: () => rm(home, { recursive: true, force: true }) };
}

/**
 * Decrypts `input` with gpg (gpgSessionDecryptCommand). The returned stream ends only after gpg
 * exited successfully, that is after the message's integrity check (MDC) passed.
 */
export async function gpgDecryptStream(ctx: RunContext, input: Readable, key: openpgp.PrivateKey): Promise<Readable> {
  const decrypter = await gpgSessionDecryptCommand(input, key);
  const gpg = ctx.stream(decrypter.command);
  gpg.done.finally(decrypter.cleanup).catch(() => undefined);
  return outputOnceSucceeded(gpg, decrypter.input, decryptFailure);
}

/**
 * gpg's failure as what it means for the data, like openpgp.js's errors: a failed integrity
 * check (MDC) is damage, said so; other failures keep gpg's own words. Not for a gpg that was
 * stopped (the run was interrupted, or its reader gave up) or never ran, nor for another
 * command joined to it.
 */
export function decryptFailure(error: unknown): unknown {
  if (!isCommandError(error, "COMMAND_FAILED") || error.tool !== "gpg") return error;
  const said = error.stderrLines().filter((line) => !/^gpg: DBG:/.test(line));
  if (said.some((line) => /manipulated|MDC|invalid packet|decryption failed/i.test(line))) return integrityError(new Error(said.join("; ")));
  return new Error(`gpg could not decrypt it: ${said.join("; ") || messageOf(error)}`);
}

/** The oldest gpg with `--override-session-key-fd` and `--recipient-file`. */
export const GPG_MIN_VERSION = "2.2";

/**
 * Whether a gpg of GPG_MIN_VERSION or newer runs here. Restore and verify then decrypt volumes
 * with it whichever engine encrypted them (the messages have one form), and backups encrypt
 * them with it unless told to use openpgp.js: in its own process, at C speed, with node's
 * thread left to the tars; without it openpgp.js does the same work.
 */
export async function gpgUsable(ctx: RunContext): Promise<boolean> {
  const result = await ctx.query({ tool: "gpg", args: ["--version"] }).catch(() => undefined);
  const version = /gpg \(GnuPG\) (\d+\.\d+(?:\.\d+)?)/.exec(result?.stdout ?? "")?.[1];
  return version !== undefined && compareVersions(version, GPG_MIN_VERSION) >= 0;
}
