import { open, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { messages } from "../../messages.js";
import { resolveSecret } from "../../secret.js";
import { promptHidden } from "../../prompt.js";
import { printResult } from "../output.js";
import type { GlobalOptions } from "../app.js";

interface KeygenOptions { out: string; name: string; email?: string; passphraseEnv?: string; passphrase: boolean }

export function registerKeygen(program: Command): void {
  program
    .command("keygen")
    .description("create an OpenPGP key pair for backups (v4 ed25519/cv25519, readable by GnuPG 2.2)")
    .option("--out <prefix>", "write <prefix>.pub.asc and <prefix>.sec.asc", "./backup")
    .option("--name <name>", "user id name", "cryptkeep backup key")
    .option("--email <email>", "user id email")
    .option("--passphrase-env <VAR>", "protect the private key with the passphrase in this environment variable")
    .option("--no-passphrase", "leave the private key unprotected (keep it offline!)")
    .addHelpText("after", "\nExamples:\n  cryptkeep keygen --out ./keys/backup\n  BACKUP_KEY_PASS=... cryptkeep keygen --out ./keys/backup --passphrase-env BACKUP_KEY_PASS")
    .action(async (opts: KeygenOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const passphrase = !opts.passphrase
        ? undefined
        : (await resolveSecret(opts.passphraseEnv ? { env: opts.passphraseEnv } : { prompt: "Passphrase for the new private key" },
            { env: process.env, prompt: promptHidden, runCommand: () => Promise.reject(new Error("not used")) })).reveal();
      if (passphrase !== undefined && passphrase.length < 8) throw messages.usage("the passphrase is shorter than 8 characters", "choose a longer one, or pass --no-passphrase");
      // openpgp.js loads only here: every other command starts without parsing it.
      const { generateBackupKeyPair } = await import("../../../plugins/encryption/openpgp/keys.js");
      const pair = await generateBackupKeyPair({ name: opts.name, email: opts.email, passphrase });
      const publicFile = resolve(`${opts.out}.pub.asc`);
      const privateFile = resolve(`${opts.out}.sec.asc`);
      await mkdir(dirname(publicFile), { recursive: true });
      await writeNew(privateFile, pair.privateArmored, 0o600);
      await writeNew(publicFile, pair.publicArmored, 0o644);
      printResult(globals.json ?? false, { fingerprint: pair.fingerprint, publicKey: publicFile, privateKey: privateFile, protected: passphrase !== undefined }, () => [
        `created key ${pair.fingerprint}`,
        `  public key:  ${publicFile}   (put this in 'recipients'; backups need only this)`,
        `  private key: ${privateFile}   (mode 600${passphrase ? ", passphrase-protected" : ", NOT protected"})`,
        "",
        "Keep the private key OFF this machine and somewhere you will still have after a disaster:",
        "a password manager, a USB stick in a safe, a paper printout (paperkey). Without it no backup",
        "can be restored; with it, anyone holding the backup can read it.",
      ].join("\n"));
    });
}

async function writeNew(file: string, text: string, mode: number): Promise<void> {
  const handle = await open(file, "wx", mode).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EEXIST") throw messages.usage(`${file} already exists; refusing to overwrite a key`, "choose another --out");
    throw error;
  });
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}
