import type * as openpgp from "openpgp";

/** Upper-case hex fingerprint, as GnuPG prints it. */
export function fingerprintOf(key: openpgp.Key | openpgp.Subkey): string {
  return key.getFingerprint().toUpperCase();
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
