import { renameOps } from "./directory-renames.js";
import { archiveInconsistent } from "./errors.js";
import { joinPath } from "./names.js";
import { compare, differs, fromMember, resolveHardlinks, type BuildOptions, type ManifestChanges, type ManifestFile } from "./snapshot-manifest.js";
import type { TarIndex, TarMember } from "./types.js";

/** The previous snapshot's whole tree, looked up by path; entries are only read when asked for. */
export interface ParentTree {
  has(path: string): boolean;
  get(path: string): ManifestFile | undefined;
  paths(): Iterable<string>;
}

export interface TreeDelta {
  /** What `deltaEntries(buildManifest(...).files, changes)` gives: the archive's members that are not directories, and every entry added or changed; sorted by path. */
  files: ManifestFile[];
  changes: ManifestChanges;
  /** Regular files and their bytes, new tree minus parent tree (`countFiles`). */
  counted: { files: number; bytes: number };
  /** How many of the deleted paths were regular files. */
  deletedFiles: number;
}

/**
 * An incremental's delta against its parent straight from tar's index, without building the
 * whole new tree: its members are the entries added or changed (and its directories), and a
 * parent's entry stays exactly as it is when a dumpdir lists it 'N'. Work is proportional to the
 * members and the dumpdirs' names, not to the entries' contents. Equal to what `buildManifest`
 * and `deltaEntries` give (test/unit/tree-delta.test.ts); undefined when the archive renames
 * directories or tar skipped unreadable files, which take `buildManifest`'s whole-tree path.
 */
export function buildDelta(index: TarIndex, parent: ParentTree, options: BuildOptions = {}): TreeDelta | undefined {
  if (options.tarSkippedFiles || renameOps(index.dumpdirs).length > 0) return undefined;
  const members = new Map<string, TarMember>();
  for (const m of index.members) members.set(m.path, m); // a repeated member overwrites, as on extraction

  // The parent's entries the new tree keeps: listed 'N' (unchanged) by the dumpdir of their directory.
  const kept = new Set<string>();
  for (const dumpdir of index.dumpdirs) {
    for (const { flag, name } of dumpdir.entries) {
      if (flag !== "Y" && flag !== "N" && flag !== "D") continue;
      const path = joinPath(dumpdir.path, name);
      if (members.has(path)) continue;
      if (flag !== "N") throw archiveInconsistent(`dumpdir of ${JSON.stringify(dumpdir.path)} lists ${JSON.stringify(path)} as archived ('${flag}') but no member has that name`);
      if (parent.has(path)) kept.add(path); // tar also flags excluded names 'N': one the parent does not hold was never backed up
    }
  }
  // Not something tar writes (it always dumps directories): an unchanged directory without a
  // dumpdir keeps its contents. Only asked about the paths that would otherwise be gone.
  let dumped: Set<string> | undefined;
  const keptWithin = (path: string): boolean => {
    for (let at = path.lastIndexOf("/"); at > 0; at = path.lastIndexOf("/", at - 1)) {
      const dir = path.slice(0, at);
      if (!kept.has(dir)) continue;
      dumped ??= new Set(index.dumpdirs.map((d) => d.path));
      if (!dumped.has(dir) && parent.get(dir)?.type === "dir") return true;
    }
    return false;
  };
  const inTree = (path: string): boolean => members.has(path) || kept.has(path) || (parent.has(path) && keptWithin(path));

  const archived = new Map<string, ManifestFile>();
  for (const m of members.values()) archived.set(m.path, fromMember(m));
  resolveHardlinks(archived.values(), (path) => archived.get(path) ?? (inTree(path) ? parent.get(path) : undefined));

  const counted = { files: 0, bytes: 0 };
  const count = (f: ManifestFile, sign: 1 | -1) => {
    if (f.type !== "file") return;
    counted.files += sign;
    counted.bytes += sign * f.size;
  };
  const added: string[] = [];
  const changed: string[] = [];
  const files: ManifestFile[] = [];
  for (const [path, f] of archived) {
    const old = parent.get(path);
    count(f, 1);
    if (old) count(old, -1);
    const isNew = !old;
    const isChanged = !isNew && differs(old, f);
    if (isNew) added.push(path);
    if (isChanged) changed.push(path);
    if (f.type !== "dir" || isNew || isChanged) files.push(f);
  }

  const deleted: string[] = [];
  let deletedFiles = 0;
  for (const path of parent.paths()) {
    if (members.has(path) || kept.has(path) || keptWithin(path)) continue;
    deleted.push(path);
    const old = parent.get(path);
    if (old?.type === "file") deletedFiles++;
    if (old) count(old, -1);
  }
  files.sort((a, b) => compare(a.path, b.path));
  return { files, changes: { added: added.sort(compare), changed: changed.sort(compare), deleted: deleted.sort(compare) }, counted, deletedFiles };
}
