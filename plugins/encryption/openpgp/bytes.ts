import { Readable } from "node:stream";
import type * as openpgp from "openpgp";
import { openpgpLibrary } from "./library.js";
import { BASE_CONFIG } from "./config.js";
import { assertCanDecrypt, integrityError } from "./errors.js";
import { assertSignedBy, ignoreSignatures } from "./signatures.js";
import { encryptStream } from "./stream.js";

/** Slices handed to the streaming encryption; openpgp.js copies a whole in-memory message several times. */
const SLICE_BYTES = 1024 * 1024;

/**
 * Encrypts an in-memory payload (a manifest: over 10 MB for 50,000 files); same format as
 * encryptStream. Encrypted as a stream of slices, so the extra memory is about the ciphertext,
 * not several copies of the whole message.
 */
export async function encryptBytes(data: Uint8Array, recipients: openpgp.PublicKey[], signingKey?: openpgp.PrivateKey): Promise<Uint8Array> {
  const slices = function* () {
    for (let at = 0; at < data.byteLength; at += SLICE_BYTES) yield data.subarray(at, Math.min(at + SLICE_BYTES, data.byteLength));
  };
  const encrypted = await encryptStream(Readable.from(slices(), { objectMode: false }), recipients, signingKey);
  const parts: Buffer[] = [];
  for await (const part of encrypted as AsyncIterable<Uint8Array>) parts.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * Decrypts a small payload with the full integrity check done before any
 * plaintext is returned. With `verifyWith`, a valid signature by one of those
 * keys is required.
 */
export async function decryptBytes(data: Uint8Array, key: openpgp.PrivateKey, verifyWith?: openpgp.PublicKey[]): Promise<Uint8Array> {
  if (verifyWith?.length === 0) throw new Error("signature check impossible: no verification keys given");
  const pgp = await openpgpLibrary();
  const message = await pgp
    .readMessage({ binaryMessage: data, config: BASE_CONFIG })
    .catch((error: unknown) => Promise.reject(integrityError(error)));
  assertCanDecrypt(message, key);
  const result = await pgp
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
