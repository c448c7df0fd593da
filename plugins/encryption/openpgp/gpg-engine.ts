import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { PREFIX } from "../../../core/paths.js";
import type { RunContext } from "../../../core/types.js";

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

/**
 * Encrypts `input` with the gpg binary: about half the CPU per byte of openpgp.js, in its own
 * process (so on another core). The returned stream ends only after gpg exited successfully; a
 * failure of gpg or of `input` is an error of the returned stream.
 */
export async function gpgEncryptStream(ctx: RunContext, input: Readable, recipientFiles: string[]): Promise<Readable> {
  const home = await mkdtemp(join(tmpdir(), `${PREFIX}gpg-`));
  const removeHome = () => rm(home, { recursive: true, force: true });
  const gpg = ctx.stream({ tool: "gpg", args: gpgEncryptArgs(home, recipientFiles), input });
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  input.once("error", (error) => {
    out.destroy(error);
    gpg.kill();
  });
  gpg.stdout.once("error", (error) => out.destroy(error));
  gpg.stdout.pipe(out, { end: false });
  gpg.stdout.once("end", () => {
    gpg.done.then(() => out.end(), (error: Error) => out.destroy(error));
  });
  gpg.done.catch((error: Error) => out.destroy(error)).finally(() => void removeHome());
  return out;
}
