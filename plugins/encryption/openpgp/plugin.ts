import { readFile, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { PrivateKey, PublicKey } from "openpgp";
import { z } from "zod";
import { definePlugin } from "../../../core/config/define.js";
import { messages } from "../../../core/messages.js";
import { describeSource, secretSourceSchema, type SecretSource } from "../../../core/secret.js";
import { messageOf, type CryptkeepError } from "../../../core/errors.js";
import type { Cipher, RunContext } from "../../../core/types.js";
import { shellQuote } from "../../../core/runner.js";
import { readDecryptionKey, readPublicKeys } from "./keys.js";
import { decryptStream, decryptVerifiedStream, encryptStream } from "./stream.js";
import { decryptBytes, encryptBytes } from "./bytes.js";
import { GPG_MIN_VERSION, decryptFailure, gpgDecryptStream, gpgEncryptCommand, gpgEncryptStream, gpgSessionDecryptCommand, gpgUsable } from "./gpg-engine.js";
import { gpgDecryptCommand } from "./gpg-decrypt.js";

const PLUGIN_NAME = "encryption:openpgp";

/** What encrypts what, for each choice of encryptWith, as `plan` and the summary say it. */
const ENGINES = {
  gpg: "gpg for volumes, openpgp.js for manifests and session keys",
  auto: "gpg for volumes where installed (openpgp.js where not), openpgp.js for manifests and session keys",
  "openpgp.js": "openpgp.js",
} as const;

export const openpgpOptions = z.strictObject({
  /** Armored OpenPGP public keys (files). Backups need only these: no secret on the machine. */
  recipients: z.array(z.string().min(1)).min(1, "at least one recipient key file is needed"),
  /** The private key for restore and verify, and its passphrase. Asked on the terminal when absent. */
  identity: z
    .strictObject({ key: secretSourceSchema, passphrase: secretSourceSchema.optional() })
    .optional(),
  /**
   * Sign every manifest with this private key (it must then be on the machine that backs up),
   * and refuse, on verify and restore, a manifest not signed by `publicKey`.
   */
  signing: z
    .strictObject({ key: secretSourceSchema, passphrase: secretSourceSchema.optional(), publicKey: z.string().min(1) })
    .optional(),
  /**
   * What encrypts the volumes: "gpg", the GnuPG binary (about half the CPU per byte, in its own
   * process; backups then need gpg 2.2 or newer), "openpgp.js" in process (backups need no gpg),
   * or "auto": gpg where a gpg of 2.2 or newer is installed, openpgp.js where not. Manifests are
   * encrypted and signed by openpgp.js either way; the volumes have the same form, and restore
   * and verify decrypt them with gpg wherever it is installed (with openpgp.js where it is not).
   */
  encryptWith: z.enum(["auto", "gpg", "openpgp.js"]).default("auto"),
});
export type OpenpgpOptions = z.output<typeof openpgpOptions>;

/** The user error for a failed decryption: a key that is not a recipient's and a wrong passphrase each say what to change. */
function decryptError(error: unknown, passphraseSource?: SecretSource): CryptkeepError {
  const detail = messageOf(error);
  if (/is not encrypted to key/.test(detail)) return messages.notEncryptedToKey(detail);
  if (passphraseSource && /wrong passphrase/.test(detail)) return messages.wrongPassphrase(detail, describeSource(passphraseSource));
  return messages.decryptFailed(detail);
}

/** OpenPGP encryption in process (openpgp.js), readable by GnuPG 2.2: v4 keys, SEIPDv1, no AEAD. */
export const openpgpEncryption = definePlugin(PLUGIN_NAME, openpgpOptions, (engine, options) => {
  const recipientFiles = options.recipients.map((file) => engine.resolvePath(file));
  let publicKeys: Promise<PublicKey[]> | undefined;
  let privateKey: Promise<PrivateKey> | undefined;

  const signerFile = options.signing ? engine.resolvePath(options.signing.publicKey) : undefined;
  let signer: Promise<PrivateKey> | undefined;
  let signerPublic: Promise<PublicKey[]> | undefined;
  /** Asked once per process: whether a usable gpg is installed. */
  let gpgHere: Promise<boolean> | undefined;
  /** Whether restore and verify decrypt volumes with gpg. */
  const withGpg = async (ctx: RunContext) => options.encryptWith === "gpg" || (gpgHere ??= gpgUsable(ctx));
  /** Whether backups encrypt volumes with gpg. */
  const encryptsWithGpg = async (ctx: RunContext) => options.encryptWith !== "openpgp.js" && (await withGpg(ctx));

  const readKeyFiles = (files: string[]) =>
    Promise.all(
      files.map(async (file) => {
        const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
          throw messages.keyFileInvalid(file, `cannot be read (${error.code ?? error.message})`);
        });
        return readPublicKeys([text]).catch((error: unknown) => {
          throw messages.keyFileInvalid(file, messageOf(error));
        });
      }),
    ).then((lists) => lists.flat());
  const recipients = () => (publicKeys ??= readKeyFiles(recipientFiles));
  const verifyWith = () => (signerFile ? (signerPublic ??= readKeyFiles([signerFile])) : Promise.resolve(undefined));

  const unlock = async (ctx: RunContext, keySource: SecretSource, passphraseSource: SecretSource, what: string) => {
    const armored = (await ctx.secret(keySource, what)).reveal();
    const needsPassphrase = await readDecryptionKey(armored).then(
      () => false,
      (error: unknown) => (/passphrase needed/.test(messageOf(error)) ? true : Promise.reject(messages.decryptFailed(messageOf(error)))),
    );
    const passphrase = needsPassphrase ? (await ctx.secret(passphraseSource, `passphrase of the ${what}`)).reveal() : undefined;
    return readDecryptionKey(armored, passphrase).catch((error: unknown) => {
      throw decryptError(error, passphraseSource);
    });
  };
  const signingKey = (ctx: RunContext) =>
    options.signing
      ? (signer ??= unlock(ctx, options.signing.key, options.signing.passphrase ?? { prompt: "Passphrase of the signing key" }, "signing key"))
      : Promise.resolve(undefined);

  const identity = (ctx: RunContext) =>
    (privateKey ??= (async () => {
      const keySource = ctx.options.identity ? { file: ctx.options.identity } : options.identity?.key;
      if (!keySource) throw messages.decryptKeyNeeded(ctx.job);
      return unlock(ctx, keySource, options.identity?.passphrase ?? { prompt: "Passphrase of the backup private key" }, "private key");
    })());

  const signedDecryptError = (error: unknown, signed: boolean): CryptkeepError => {
    if (signed && /signature/i.test(messageOf(error))) return messages.signatureInvalid(signerFile!, messageOf(error));
    return decryptError(error);
  };

  const privateKeyFile = options.identity && "file" in options.identity.key ? engine.resolvePath(options.identity.key.file) : undefined;
  const cipher: Cipher = {
    description: `OpenPGP (${ENGINES[options.encryptWith]}) to ${recipientFiles.length} recipient key${recipientFiles.length > 1 ? "s" : ""}: ${recipientFiles.join(", ")}`,
    extension: ".gpg",
    async prepare() {
      await recipients();
    },
    async encrypt(ctx, data: Readable) {
      // Both read the key files, so a bad recipient file is reported the same way.
      const keys = await recipients();
      return (await encryptsWithGpg(ctx)) ? gpgEncryptStream(ctx, data, recipientFiles) : encryptStream(data, keys);
    },
    async encryptCommand(ctx) {
      if (!(await encryptsWithGpg(ctx))) return undefined;
      await recipients();
      return gpgEncryptCommand(recipientFiles);
    },
    async encryptBytes(ctx, data: Uint8Array) {
      return encryptBytes(data, await recipients(), await signingKey(ctx));
    },
    async encryptSigned(ctx, data: Readable) {
      return encryptStream(data, await recipients(), await signingKey(ctx));
    },
    async decrypt(ctx, data) {
      const key = await identity(ctx);
      return (await withGpg(ctx) ? gpgDecryptStream(ctx, data, key) : decryptStream(data, key)).catch((error: unknown) => {
        throw decryptError(error);
      });
    },
    async decryptCommand(ctx, data) {
      const key = await identity(ctx);
      if (!(await withGpg(ctx))) return undefined;
      const decrypter = await gpgSessionDecryptCommand(data, key).catch((error: unknown) => {
        throw decryptError(error);
      });
      return { ...decrypter, failure: decryptFailure };
    },
    decryptsByCommand: async (ctx) => withGpg(ctx),
    async decryptBytes(ctx, data) {
      const key = await identity(ctx);
      const signers = await verifyWith();
      return decryptBytes(data, key, signers).catch((error: unknown) => {
        throw signedDecryptError(error, signers !== undefined);
      });
    },
    async decryptSigned(ctx, data) {
      const key = await identity(ctx);
      const signers = await verifyWith();
      const mapError = (error: unknown) => signedDecryptError(error, signers !== undefined);
      return decryptVerifiedStream(data, key, signers, mapError).catch((error: unknown) => {
        throw mapError(error);
      });
    },
    async standardDecrypt(ctx, home) {
      const keySource = ctx.options.identity ? { file: ctx.options.identity } : options.identity?.key;
      if (!keySource) throw messages.decryptKeyNeeded(ctx.job);
      await identity(ctx); // the key and passphrase are right, or this says what is wrong
      const key = await ctx.secret(keySource, "private key");
      const protectedKey = await readDecryptionKey(key.reveal()).then(() => false, () => true);
      const passphrase = protectedKey ? await ctx.secret(options.identity?.passphrase ?? { prompt: "Passphrase of the backup private key" }, "passphrase of the private key") : undefined;
      return gpgDecryptCommand(ctx, home, key, passphrase);
    },
    recipeDecrypt: (file) => `gpg --quiet --decrypt ${file}`,
    recipeSetup: () => [
      "export GNUPGHOME=\"$(mktemp -d)\"   # a throwaway keyring",
      `gpg --import ${privateKeyFile ? shellQuote(privateKeyFile) : "/path/to/backup.sec.asc"}    # the private key; GnuPG 2.2 asks for its passphrase here and when decrypting`,
      ...(signerFile ? [`gpg --import ${shellQuote(signerFile)}    # the signing public key, so gpg can check the manifests' signatures`] : []),
    ],
  };
  engine.provide("cipher", cipher);

  engine.hooks.requirements.tap(PLUGIN_NAME, (list) => {
    const byBackups = options.encryptWith === "gpg";
    const purpose = {
      gpg: "encrypts and decrypts the volumes of backups (encryptWith: \"gpg\"); restore without cryptkeep (recipe)",
      auto: "encrypts the volumes of backups, and decrypts them on restore and verify, when present (faster; openpgp.js when not); restore without cryptkeep (recipe)",
      "openpgp.js": "restore without cryptkeep (recipe); restore and verify decrypt volumes with it when present (faster), with openpgp.js when not; not used by backups (encryptWith: \"openpgp.js\")",
    }[options.encryptWith];
    list.push({ tool: "gpg", purpose, versionArgs: ["--version"], versionPattern: /gpg \(GnuPG\) (\d+\.\d+(?:\.\d+)?)/, minVersion: GPG_MIN_VERSION, optional: !byBackups });
  });

  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (_ctx, checks) => {
    for (const [what, source] of [["private key", options.identity?.key], ["signing key", options.signing?.key]] as const) {
      if (!source || !("file" in source)) continue;
      const file = engine.resolvePath(source.file);
      const mode = await stat(file).then((info) => info.mode & 0o777, () => undefined);
      const ok = mode !== undefined && (mode & 0o077) === 0;
      const detail = mode === undefined ? `${file}: missing (restore and verify need it; backups do not)` : ok ? `${file}: mode ${mode.toString(8)}` : `${file}: mode ${mode.toString(8)} lets others read it: run chmod 600 ${file}`;
      checks.push({ name: what, ok: ok || mode === undefined, detail });
    }
    for (const file of recipientFiles) {
      const result = await readFile(file, "utf8").then((text) => readPublicKeys([text])).then(
        (keys) => ({ ok: true, detail: `${file}: ${keys.map((k) => k.getFingerprint().toUpperCase()).join(", ")}` }),
        (error: unknown) => ({ ok: false, detail: `${file}: ${messageOf(error)}` }),
      );
      checks.push({ name: "recipient key", ...result });
    }
  });
});
