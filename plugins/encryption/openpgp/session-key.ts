import type * as openpgp from "openpgp";
import { Secret } from "../../../core/secret.js";
import { assertCanDecrypt, integrityError } from "./errors.js";
import { BASE_CONFIG } from "./config.js";
import { openpgpLibrary } from "./library.js";
import { ByteQueue, packetHeader, packetTag } from "./packet-reader.js";

const PUBLIC_KEY_SESSION_KEY_TAG = 1;
/** Enough for any number of session key packets a message of ours has (one per recipient, a few hundred octets each). */
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * Decrypts a message's session key with the private key, in memory (openpgp.js): only the
 * session key packets at its head are read for that. Returns the session key as gpg's
 * `--override-session-key-fd` reads it ("<algorithm id>:<hex>", a Secret, so redacted
 * wherever it could appear) and the whole message again, head included, for gpg to decrypt.
 */
export async function readSessionKey(input: AsyncIterable<Uint8Array>, key: openpgp.PrivateKey): Promise<{ sessionKey: Secret; message: AsyncGenerator<Uint8Array> }> {
  const iterator = input[Symbol.asyncIterator]();
  const queue = new ByteQueue(iterator);
  try {
    const head: Uint8Array[] = [];
    let headBytes = 0;
    for (;;) {
      if (!(await queue.fill(1)) || packetTag(queue.peek(0)) !== PUBLIC_KEY_SESSION_KEY_TAG) break;
      const header = await packetHeader(queue);
      if (!header || header.length === "partial" || headBytes + header.size + header.length > MAX_HEAD_BYTES) break;
      if (!(await queue.fill(header.size + header.length))) break;
      const packet = queue.take(header.size + header.length);
      head.push(packet);
      headBytes += packet.length;
    }
    if (head.length === 0) throw integrityError(new Error("no session key packet at the start of the message: not an OpenPGP message of ours"));
    const pgp = await openpgpLibrary();
    const packets = await pgp.readMessage({ binaryMessage: Buffer.concat(head), config: BASE_CONFIG }).catch((error: unknown) => Promise.reject(integrityError(error)));
    assertCanDecrypt(packets, key);
    const [decrypted] = await pgp.decryptSessionKeys({ message: packets, decryptionKeys: key, config: BASE_CONFIG });
    if (!decrypted?.algorithm) throw integrityError(new Error("the session key packet names no cipher"));
    const algorithm = pgp.enums.symmetric[decrypted.algorithm as keyof typeof pgp.enums.symmetric];
    if (typeof algorithm !== "number") throw integrityError(new Error(`unknown cipher ${decrypted.algorithm} in the session key packet`));
    const sessionKey = new Secret(`${algorithm}:${Buffer.from(decrypted.data).toString("hex").toUpperCase()}`, "session key");
    return { sessionKey, message: again(head, queue, iterator) };
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
}

async function* again(head: Uint8Array[], queue: ByteQueue, iterator: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* head;
    yield* queue.rest();
  } finally {
    await iterator.return?.();
  }
}
