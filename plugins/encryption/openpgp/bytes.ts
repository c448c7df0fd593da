import * as openpgp from "openpgp";
import { BASE_CONFIG, seipdV1SessionKey } from "./config.js";
import { assertCanDecrypt, integrityError, lockedKeyError } from "./errors.js";
import { assertSignedBy, ignoreSignatures } from "./signatures.js";

/** Encrypts a small in-memory payload (e.g. a manifest); same format as encryptStream. */
export async function encryptBytes(data: Uint8Array, recipients: openpgp.PublicKey[], signingKey?: openpgp.PrivateKey): Promise<Uint8Array> {
  if (signingKey && !signingKey.isDecrypted()) throw lockedKeyError(signingKey);
  const message = await openpgp.createMessage({ binary: data, format: "binary" });
  return await openpgp.encrypt({
    message,
    encryptionKeys: recipients,
    ...(signingKey ? { signingKeys: signingKey } : {}),
    sessionKey: await seipdV1SessionKey(recipients),
    format: "binary",
    config: BASE_CONFIG,
  });
}

/**
 * Decrypts a small payload with the full integrity check done before any
 * plaintext is returned. With `verifyWith`, a valid signature by one of those
 * keys is required.
 */
export async function decryptBytes(data: Uint8Array, key: openpgp.PrivateKey, verifyWith?: openpgp.PublicKey[]): Promise<Uint8Array> {
  if (verifyWith?.length === 0) throw new Error("signature check impossible: no verification keys given");
  const message = await openpgp
    .readMessage({ binaryMessage: data, config: BASE_CONFIG })
    .catch((error: unknown) => Promise.reject(integrityError(error)));
  assertCanDecrypt(message, key);
  const result = await openpgp
    .decrypt({
      message,
      decryptionKeys: key,
      ...(verifyWith ? { verificationKeys: verifyWith } : {}),
      format: "binary",
      config: { ...BASE_CONFIG, allowUnauthenticatedStream: false },
    })
    .catch((error: unknown) => Promise.reject(integrityError(error)));
  if (verifyWith) await assertSignedBy(result.signatures, verifyWith);
  else ignoreSignatures(result.signatures);
  return result.data;
}
