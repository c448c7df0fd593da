import type { ManifestChanges, ManifestFile } from "./index/index.js";
import type { Manifest } from "./manifest.js";

/**
 * What an incremental's manifest stores: the files, links and other members of its own archive
 * (restore, verify and the drill ask each archive for those), and every entry added or changed
 * since the parent (`changes`, from buildManifest). Left out: unchanged entries outside the
 * archive, and unchanged directories, which GNU tar writes into every incremental archive (so
 * "a directory of the tree" is "a member of the archive": see `Tree.inArchive`). A no-change
 * run's delta is empty.
 */
export function deltaEntries(files: ManifestFile[], changes: ManifestChanges): ManifestFile[] {
  const changed = new Set([...changes.added, ...changes.changed]);
  return files.filter((f) => (f.inArchive && f.type !== "dir") || changed.has(f.path));
}

/**
 * The tree of a chain's snapshots, applied full first: a manifest with `delta` changes the tree
 * before it; one without (a full, or an incremental written by an older cryptkeep) is the whole tree.
 */
export class Tree {
  private entries = new Map<string, ManifestFile>();
  /** The paths the last applied manifest's archive holds as files (not directories). */
  private archived = new Set<string>();
  /**
   * Paths whose content no archive of the chain holds under that name: carried over through a
   * directory rename (GNU tar records the rename, not the files), and not archived again since.
   */
  private renamed = new Set<string>();

  apply(manifest: Manifest): this {
    if (!manifest.delta) this.entries = new Map();
    else for (const path of manifest.delta.deleted) this.entries.delete(path);
    if (manifest.type === "full") this.renamed = new Set();
    this.archived = new Set();
    for (const f of manifest.files) {
      this.entries.set(f.path, f);
      if (f.inArchive && f.type !== "dir") this.archived.add(f.path);
      if (f.inArchive) this.renamed.delete(f.path);
      else if (f.previousPath !== undefined) this.renamed.add(f.path);
    }
    return this;
  }

  /** Whether `path` is held in the chain only under an older name (see `renamed`). */
  heldUnderOldName(path: string): boolean {
    return this.renamed.has(path) && this.entries.has(path);
  }

  get(path: string): ManifestFile | undefined {
    return this.entries.get(path);
  }

  /** Whether the last applied snapshot's archive holds `path`: its own members, and every directory of its tree. */
  inArchive(path: string): boolean {
    return this.entries.get(path)?.type === "dir" || this.archived.has(path);
  }

  folderCount(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.type === "dir") count++;
    return count;
  }

  /** Every entry, in no particular order. */
  values(): IterableIterator<ManifestFile> {
    return this.entries.values();
  }

  /** Every entry, sorted by path. */
  files(): ManifestFile[] {
    return [...this.entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/** The whole tree as of the last snapshot of `chain` (full first), sorted by path. */
export function treeAt(chain: Manifest[]): ManifestFile[] {
  const tree = new Tree();
  for (const manifest of chain) tree.apply(manifest);
  return tree.files();
}
