import type * as openpgp from "openpgp";
import { fingerprintOf, messageOf } from "./fingerprint.js";

type EncryptedMessage = openpgp.Message<openpgp.MaybeStream<Uint8Array>>;

export function lockedKeyError(key: openpgp.PrivateKey): Error {
  return new Error(`private key is protected: passphrase needed (key ${fingerprintOf(key)})`);
}

export function wrongKeyError(key: openpgp.PrivateKey, recipients: openpgp.KeyID[]): Error {
  const ids = recipients.map((id) => id.toHex().toUpperCase()).join(", ") || "none";
  return new Error(
    `this backup is not encrypted to key ${fingerprintOf(key)}: ` +
      `use the private key matching one of the recipients (recipient key IDs: ${ids})`,
  );
}

export function integrityError(cause: unknown): Error {
  return new Error(`integrity check failed: the data was modified or truncated (${messageOf(cause)})`, { cause });
}

/**
 * Throws the clear error when `key` cannot possibly decrypt `message`.
 * Run before decrypting so that a wrong key is reported as such: once a PKESK
 * names one of our (sub)keys, any later failure means the data is damaged.
 */
export function assertCanDecrypt(message: EncryptedMessage, key: openpgp.PrivateKey): void {
  if (!key.isDecrypted()) throw lockedKeyError(key);
  const recipients = message.getEncryptionKeyIDs();
  const ours = key.getKeyIDs();
  // equals(.., true): a wildcard (anonymous) recipient may be any key.
  if (!recipients.some((id) => ours.some((own) => id.equals(own, true)))) {
    throw wrongKeyError(key, recipients);
  }
}
