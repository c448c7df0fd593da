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

/**
 * The manifest as JSON in pieces of about 64 KiB: its file list (over 10 MB for 50,000 files)
 * is never one string.
 */
export function* manifestJson(manifest: Manifest): Generator<Buffer> {
  const { files, ...header } = manifest;
  yield Buffer.from(`${JSON.stringify(header).slice(0, -1)},"files":[`);
  for (const batch of inBatches(files, (file, i) => (i === 0 ? "" : ",") + JSON.stringify(file))) yield Buffer.from(batch);
  yield Buffer.from("]}");
}

/** `items` serialised one by one and joined into strings of about 64 KiB. */
export function* inBatches<T>(items: T[], serialise: (item: T, index: number) => string): Generator<string> {
  let batch = "";
  for (const [i, item] of items.entries()) {
    batch += serialise(item, i);
    if (batch.length >= 1 << 16) {
      yield batch;
      batch = "";
    }
  }
  if (batch) yield batch;
}
