import type { ManifestFile } from "./index/index.js";
import type { Compression } from "./compression.js";

export const MANIFEST_FORMAT = "cryptkeep-tar-incremental/1";

export interface VolumeRecord {
  name: string;
  /** Stored (encrypted) size and SHA-256: checked before anything is decrypted. */
  size: number;
  sha256: string;
  /** Range of the uncompressed tar stream this volume holds. */
  tarStart: number;
  tarEnd: number;
}

/** What both the encrypted manifest and the plaintext index say about a snapshot. */
interface SnapshotHeader {
  format: typeof MANIFEST_FORMAT;
  id: string;
  time: string;
  type: "full" | "incremental";
  parent?: string;
  compression: Compression;
}

/** The encrypted record of one snapshot; written last, so its presence means "complete". */
export interface Manifest extends SnapshotHeader {
  volumes: VolumeRecord[];
  snar: { name: string; size: number; sha256: string };
  /** A full's whole tree; an incremental's entries added or changed since its parent and its archive's members (see `delta`). */
  files: ManifestFile[];
  /**
   * Set on incrementals: `files` is a delta against the parent (chain-state.ts), and these paths
   * are gone. Absent on fulls and on incrementals written before deltas, whose `files` is the whole tree.
   */
  delta?: { deleted: string[] };
  changes: { added: number; changed: number; deleted: number };
  errors: string[];
  tar: { version: string; args: string[] };
  /** Digest of the exclusion settings; a change starts a new full. Absent in older manifests. */
  exclusions?: string;
}

/** Plaintext: only what listing needs without the key. Never file names. */
export interface SnapshotIndexEntry extends SnapshotHeader {
  volumes: number;
  storedBytes: number;
  files: number;
  sourceBytes: number;
}

export function countFiles(files: ManifestFile[]): { files: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const file of files) {
    if (file.type !== "file") continue;
    count++;
    bytes += file.size;
  }
  return { files: count, bytes };
}
