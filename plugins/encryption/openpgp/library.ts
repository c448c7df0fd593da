import type * as OpenPGP from "openpgp";

let loading: Promise<typeof OpenPGP> | undefined;

/**
 * openpgp.js, loaded at its first use (0.25-0.5 s on a loaded machine): a command of a job that
 * encrypts nothing (gocryptfs, LUKS, rsync) never pays for it.
 */
export function openpgpLibrary(): Promise<typeof OpenPGP> {
  return (loading ??= import("openpgp"));
}
