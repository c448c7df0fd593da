import { CryptkeepError } from "../../../../core/errors.js";

/** The archive contradicts the previous manifest: the snapshot chain (snar vs manifests) is out of step. */
export function chainInconsistent(message: string): CryptkeepError {
  return new CryptkeepError({
    code: "SNAPSHOT_CHAIN_INCONSISTENT",
    message: `snapshot chain is inconsistent: ${message}`,
    hint: "the previous manifest does not match the snapshot file this incremental was made against; run a full backup to start a new chain",
  });
}

/** The archive contradicts itself (a dumpdir names a member that is not there, ...). */
export function archiveInconsistent(message: string): CryptkeepError {
  return new CryptkeepError({
    code: "TAR_ARCHIVE_INCONSISTENT",
    message: `tar archive is inconsistent: ${message}`,
    hint: "the archive was not written by GNU tar --listed-incremental or is damaged; do not trust it and run the backup again",
  });
}
