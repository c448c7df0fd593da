import type * as openpgp from "openpgp";
import { openpgpLibrary } from "./library.js";

/**
 * Settings shared by every operation. The goal is output that GnuPG 2.2
 * (Debian 12) can read: v4 keys, SEIPDv1 (CFB + MDC) and no AEAD anywhere,
 * including in the S2K protection of generated secret keys.
 */
export const BASE_CONFIG: openpgp.PartialConfig = {
  v6Keys: false,
  aeadProtect: false,
  // Compression happens upstream, before encryption.
  // RFC 4880 ids: openpgp.js is loaded only when first used, so its enums are not at hand here.
  preferredCompressionAlgorithm: 0 satisfies openpgp.enums.compression.uncompressed,
  preferredSymmetricAlgorithm: 9 satisfies openpgp.enums.symmetric.aes256,
};

/**
 * OpenPGP.js v6 picks SEIPDv2 (AEAD) on its own whenever every recipient key
 * advertises it, ignoring `aeadProtect`. A session key without an AEAD
 * algorithm pins the message to SEIPDv1, which GnuPG 2.2 can decrypt.
 */
export async function seipdV1SessionKey(recipients: openpgp.PublicKey[]): Promise<openpgp.SessionKey> {
  if (recipients.length === 0) throw new Error("cannot encrypt: no recipient keys given");
  const { data, algorithm } = await (await openpgpLibrary()).generateSessionKey({ encryptionKeys: recipients, config: BASE_CONFIG });
  return { data, algorithm };
}
