import type { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";
import type * as openpgp from "openpgp";
import { openpgpLibrary } from "./library.js";
import { BASE_CONFIG, seipdV1SessionKey } from "./config.js";
import { assertCanDecrypt, integrityError, lockedKeyError } from "./errors.js";
import { assertSignedBy, ignoreSignatures } from "./signatures.js";
import { reframePartialBodies } from "./reframe.js";
import { isSourceError, toNodeReadable, toWebStream } from "./web-streams.js";

type Input = NodeJS.ReadableStream | Readable;

/** openpgp.js works on chunks of at least this size: fewer, bigger chunks cost less CPU per byte. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Encrypts `input` lazily into a binary OpenPGP message (PKESK + SEIPDv1, no
 * compression, optionally signed). Nothing is read from `input` before the
 * returned stream is consumed. Setup problems reject; I/O errors of `input`
 * surface unchanged as an error of the returned stream.
 */
export async function encryptStream(input: Input, recipients: openpgp.PublicKey[], signingKey?: openpgp.PrivateKey): Promise<Readable> {
  if (signingKey && !signingKey.isDecrypted()) throw lockedKeyError(signingKey);
  const sessionKey = await seipdV1SessionKey(recipients);
  const pgp = await openpgpLibrary();
  try {
    const message = await pgp.createMessage({ binary: toWebStream(input, CHUNK_BYTES), format: "binary" });
    const encrypted = await pgp.encrypt({
      message,
      encryptionKeys: recipients,
      ...(signingKey ? { signingKeys: signingKey } : {}),
      sessionKey,
      format: "binary",
      config: BASE_CONFIG,
    });
    return toNodeReadable(encrypted as ReadableStream<Uint8Array>);
  } catch (error) {
    abandon(input);
    throw error;
  }
}

/**
 * Streaming decryption of a binary OpenPGP message.
 *
 * CONTRACT: this uses `allowUnauthenticatedStream`, i.e. plaintext is released
 * BEFORE the MDC at the end of the message is checked. The caller MUST have
 * verified the ciphertext's SHA-256 against a trusted (signed) manifest before
 * calling this. A damaged message still fails, but only at the end, as an error
 * on the returned stream, after earlier plaintext has already been emitted.
 *
 * Signatures inside the message are not checked here (the manifest is).
 * Wrong key, locked key and an unreadable header reject the promise.
 */
export async function decryptStream(input: Input, key: openpgp.PrivateKey): Promise<Readable> {
  const { data } = await openStreamed(input, key);
  return toNodeReadable(data, mapDecryptError);
}

/**
 * Streaming decryption of signed metadata (a manifest: 16 MB for 50,000 files), so it is never
 * held whole, ciphertext or plaintext. The integrity check (MDC) and, with `verifyWith`, the
 * signature check run at the end of the message: the returned stream then errors instead of
 * ending. CONTRACT: the caller must not act on anything it read until the stream has ended
 * without error (parsing and holding it is fine).
 */
export async function decryptVerifiedStream(
  input: Input,
  key: openpgp.PrivateKey,
  verifyWith?: openpgp.PublicKey[],
  mapError: (error: Error) => Error = (error) => error,
): Promise<Readable> {
  if (verifyWith?.length === 0) throw new Error("signature check impossible: no verification keys given");
  const { data, signatures } = await openStreamed(input, key, verifyWith);
  const signatureErrors = new WeakSet<object>();
  const checkSignatures = verifyWith
    ? () => assertSignedBy(signatures, verifyWith).catch((error: Error) => { signatureErrors.add(error); throw error; })
    : undefined;
  return toNodeReadable(data, (error) => mapError(signatureErrors.has(error as object) ? (error as Error) : mapDecryptError(error)), checkSignatures);
}

/**
 * The message read and its decryption started, plaintext released before the MDC is checked
 * (the callers' contracts say when that is safe). Its signatures settle only at the end of the
 * data: they are never left to reject unhandled meanwhile. Wrong key, locked key and an
 * unreadable header reject; `input` is then released.
 */
async function openStreamed(input: Input, key: openpgp.PrivateKey, verifyWith?: openpgp.PublicKey[]): Promise<{ data: ReadableStream<Uint8Array>; signatures: openpgp.DecryptMessageResult["signatures"] }> {
  try {
    const pgp = await openpgpLibrary();
    const message = await pgp
      .readMessage({ binaryMessage: toWebStream(reframePartialBodies(input as AsyncIterable<Uint8Array>), CHUNK_BYTES), config: BASE_CONFIG })
      .catch((error: unknown) => Promise.reject(mapDecryptError(error)));
    assertCanDecrypt(message, key);
    const { data, signatures } = await pgp
      .decrypt({
        message,
        decryptionKeys: key,
        ...(verifyWith ? { verificationKeys: verifyWith } : {}),
        format: "binary",
        config: { ...BASE_CONFIG, allowUnauthenticatedStream: true },
      })
      .catch((error: unknown) => Promise.reject(mapDecryptError(error)));
    ignoreSignatures(signatures);
    return { data: data as ReadableStream<Uint8Array>, signatures };
  } catch (error) {
    abandon(input);
    throw error;
  }
}

function mapDecryptError(error: unknown): Error {
  if (isSourceError(error)) return error as Error;
  return integrityError(error);
}

/** Releases the caller's input (file handle, socket) when we will never read it. */
function abandon(input: Input): void {
  if ("destroy" in input && typeof input.destroy === "function") input.destroy();
}
