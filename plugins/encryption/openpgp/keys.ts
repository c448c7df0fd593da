import type * as openpgp from "openpgp";
import { openpgpLibrary } from "./library.js";
import { BASE_CONFIG } from "./config.js";
import { lockedKeyError } from "./errors.js";
import { fingerprintOf, messageOf } from "./fingerprint.js";

export { fingerprintOf } from "./fingerprint.js";

export interface BackupKeyPairOptions {
  name: string;
  email?: string;
  passphrase?: string;
}

export interface BackupKeyPair {
  publicArmored: string;
  privateArmored: string;
  fingerprint: string;
}

const ARMOR_HEADER = /-----BEGIN PGP ([A-Z ,/0-9]+)-----/;

function describeNonKey(text: string): string {
  const kind = ARMOR_HEADER.exec(text)?.[1];
  if (kind === undefined) return "no armored OpenPGP block found";
  return `found a "PGP ${kind}" block instead of a key`;
}

/**
 * Reads recipient keys. Each text may hold several keys; a private key is
 * reduced to its public part. Every key must currently be able to encrypt.
 */
export async function readPublicKeys(armoredTexts: string[]): Promise<openpgp.PublicKey[]> {
  const pgp = await openpgpLibrary();
  const result: openpgp.PublicKey[] = [];
  for (const [index, text] of armoredTexts.entries()) {
    const label = `recipient key #${index + 1}`;
    let keys: openpgp.Key[];
    try {
      keys = await pgp.readKeys({ armoredKeys: text, config: BASE_CONFIG });
    } catch (error) {
      throw new Error(`${label} is not an OpenPGP key: ${describeNonKey(text)} (${messageOf(error)})`, {
        cause: error,
      });
    }
    for (const key of keys) {
      const publicKey = key.isPrivate() ? key.toPublic() : key;
      try {
        await publicKey.getEncryptionKey(undefined, new Date(), undefined, { ...pgp.config, ...BASE_CONFIG });
      } catch (error) {
        throw new Error(
          `${label} (${fingerprintOf(publicKey)}) cannot be used for encryption: ${messageOf(error)}`,
          { cause: error },
        );
      }
      result.push(publicKey);
    }
  }
  return result;
}

/** Reads a private key and, when it is protected, unlocks it with the passphrase. */
export async function readDecryptionKey(
  armoredPrivate: string,
  passphrase?: string,
): Promise<openpgp.PrivateKey> {
  const pgp = await openpgpLibrary();
  let key: openpgp.PrivateKey;
  try {
    key = await pgp.readPrivateKey({ armoredKey: armoredPrivate, config: BASE_CONFIG });
  } catch (error) {
    throw new Error(`not a private key: ${await describeNonPrivate(armoredPrivate)}`, { cause: error });
  }
  if (key.isDecrypted()) return key;
  if (passphrase === undefined || passphrase === "") {
    throw lockedKeyError(key);
  }
  try {
    return await pgp.decryptKey({ privateKey: key, passphrase, config: BASE_CONFIG });
  } catch (error) {
    if (/incorrect key passphrase/i.test(messageOf(error))) {
      throw new Error(`wrong passphrase for key ${fingerprintOf(key)}`, { cause: error });
    }
    throw new Error(`cannot unlock private key ${fingerprintOf(key)}: ${messageOf(error)}`, { cause: error });
  }
}

async function describeNonPrivate(text: string): Promise<string> {
  try {
    const key = await (await openpgpLibrary()).readKey({ armoredKey: text, config: BASE_CONFIG });
    return `this is the public key ${fingerprintOf(key)}; decryption needs the secret key (gpg --export-secret-keys --armor)`;
  } catch {
    return describeNonKey(text);
  }
}

/**
 * Generates a v4 ed25519 (sign/certify) + cv25519 (encrypt) key pair. The
 * self-signature advertises MDC only (no SEIPDv2), so every sender, including
 * OpenPGP.js itself, produces SEIPDv1 messages that GnuPG 2.2 can read.
 * No expiry: a backup key must still work when the backup is restored.
 */
export async function generateBackupKeyPair(options: BackupKeyPairOptions): Promise<BackupKeyPair> {
  if (options.name.trim() === "") throw new Error("backup key needs a non-empty name");
  const userID: openpgp.UserID = { name: options.name };
  if (options.email !== undefined && options.email !== "") userID.email = options.email;
  const { privateKey, publicKey } = await (await openpgpLibrary()).generateKey({
    type: "ecc",
    curve: "curve25519Legacy",
    userIDs: [userID],
    ...(options.passphrase ? { passphrase: options.passphrase } : {}),
    format: "object",
    config: BASE_CONFIG,
  });
  return {
    publicArmored: publicKey.armor(),
    privateArmored: privateKey.armor(),
    fingerprint: fingerprintOf(publicKey),
  };
}
