import { buildDelta, buildManifest, type ManifestChanges, type ManifestFile, type TarIndex } from "./index/index.js";
import type { CachedTree } from "./cached-tree.js";
import { deltaEntries } from "./chain-state.js";
import { countFiles, type Manifest } from "./manifest.js";
import type { StateCache } from "./state-cache.js";

export interface RunParent {
  id: string;
  tree: CachedTree;
  /** The parent tree's regular files and bytes, when the cache kept them. */
  totals?: { files: number; bytes: number };
}

/** What a backup run records about its tree: the manifest's entries, the counts, and the local cache's update. */
export interface RunTree {
  /** The encrypted manifest's `files`: a full's whole tree, an incremental's delta (chain-state.ts). */
  files: ManifestFile[];
  changes: ManifestChanges;
  totals: { files: number; bytes: number };
  newFiles: number;
  changedFiles: number;
  deletedFiles: number;
  /** Keeps this snapshot's state (manifest without files, .snar) in the cache for the next run. */
  cache(cache: StateCache, header: Omit<Manifest, "files">, snar: string): Promise<void>;
}

/**
 * The tree of a run from tar's index. An incremental's delta comes straight from the index when
 * it can (`buildDelta`: no pass over the parent's 50,000 entries' contents); an archive that
 * renames directories or skipped unreadable files, or a cache without totals (written by an
 * earlier version), takes the whole-tree path (`buildManifest`). Both give the same manifest.
 */
export function runTree(index: TarIndex, parent: RunParent | undefined, tarSkippedFiles: boolean): RunTree {
  const delta = parent?.totals ? buildDelta(index, parent.tree, { tarSkippedFiles }) : undefined;
  if (parent?.totals && delta) {
    const totals = { files: parent.totals.files + delta.counted.files, bytes: parent.totals.bytes + delta.counted.bytes };
    return {
      files: delta.files, changes: delta.changes, totals,
      newFiles: regularFilesAmong(delta.files, delta.changes.added),
      changedFiles: regularFilesAmong(delta.files, delta.changes.changed),
      deletedFiles: delta.deletedFiles,
      cache: (cache, header, snar) => cache.storeDelta(header, snar, { parent: parent.id, parentTree: parent.tree, files: delta.files, deleted: delta.changes.deleted, totals }),
    };
  }
  const previous = parent ? parent.tree.entries() : null;
  const { files, changes } = buildManifest(index, previous, { tarSkippedFiles });
  const totals = countFiles(files);
  const summary = {
    changes, totals,
    newFiles: regularFilesAmong(files, changes.added),
    changedFiles: regularFilesAmong(files, changes.changed),
    deletedFiles: regularFilesAmong(previous ?? [], changes.deleted),
  };
  if (!parent) return { ...summary, files, cache: (cache, header, snar) => cache.store({ ...header, files }, snar) };
  const stored = deltaEntries(files, changes);
  // Hardlinks go to the cache too: a directory rename changes their target without counting as a change.
  const cached = stored.concat(files.filter((f) => f.type === "hardlink" && !f.inArchive));
  return {
    ...summary, files: stored,
    cache: (cache, header, snar) => cache.storeDelta(header, snar, { parent: parent.id, parentTree: parent.tree, files: cached, deleted: changes.deleted, totals }),
  };
}

/** How many of `paths` are regular files in `files`; a set of the (few) paths, not of every file. */
function regularFilesAmong(files: ManifestFile[], paths: string[]): number {
  if (paths.length === 0) return 0;
  const wanted = new Set(paths);
  let count = 0;
  for (const file of files) if (file.type === "file" && wanted.has(file.path)) count++;
  return count;
}
