import { applyRenames, renameOps, type Carried, type RenameOp } from "./directory-renames.js";
import { archiveInconsistent, chainInconsistent } from "./errors.js";
import { joinPath } from "./names.js";
import type { EntryType, TarIndex, TarMember } from "./types.js";

export interface ManifestFile {
  path: string;
  type: EntryType;
  /** File size; for a hardlink the size of the file it links to; 0 for directories and the rest. */
  size: number;
  mode: number;
  mtime: number;
  /** Regular files, and hardlinks (the content of the file they link to). */
  sha256?: string;
  linkTarget?: string;
  /** True when this snapshot's archive holds the entry; false when it is unchanged since the previous one. */
  inArchive: boolean;
  /** [tarStart, tarEnd): the member's headers and data in this snapshot's tar stream (inArchive only). */
  tarStart?: number;
  tarEnd?: number;
  /** Set on entries carried over through a directory rename: the path in the previous manifest. */
  previousPath?: string;
}

export interface ManifestChanges {
  added: string[];
  changed: string[];
  deleted: string[];
}

export interface BuildOptions {
  /** tar warned that it could not read some files: it flags those 'Y' in their dumpdir but writes no member. */
  tarSkippedFiles?: boolean;
}

/**
 * The complete source tree as of the snapshot `index` was made from: members of the archive,
 * plus the names its dumpdirs flag 'N' (unchanged) carried over from `previous`, after
 * replaying the archive's directory renames on `previous`. Whatever the dumpdirs no longer
 * list is gone. `previous` is null for a full backup.
 */
export function buildManifest(index: TarIndex, previous: ManifestFile[] | null, options: BuildOptions = {}): { files: ManifestFile[]; changes: ManifestChanges } {
  const members = new Map<string, TarMember>();
  for (const m of index.members) members.set(m.path, m); // a repeated member overwrites, as on extraction

  const ops = renameOps(index.dumpdirs);
  if (previous === null && ops.length > 0) {
    throw chainInconsistent("the archive renames directories, so it is an incremental, but no previous manifest was given");
  }
  const before = new Map<string, ManifestFile>();
  for (const f of previous ?? []) before.set(f.path, f);
  const carried = carriedAfter(before, ops);

  const files = new Map<string, ManifestFile>();
  for (const m of members.values()) files.set(m.path, fromMember(m));

  let dumpdirPaths: Set<string> | undefined;
  for (const dumpdir of index.dumpdirs) {
    for (const { flag, name } of dumpdir.entries) {
      if (flag !== "Y" && flag !== "N" && flag !== "D") continue;
      const path = joinPath(dumpdir.path, name);
      if (members.has(path)) continue;
      if (flag !== "N") {
        if (!options.tarSkippedFiles) throw archiveInconsistent(`dumpdir of ${JSON.stringify(dumpdir.path)} lists ${JSON.stringify(path)} as archived ('${flag}') but no member has that name`);
        // A file tar could not read: not in this archive, and a restore keeps the version before it, if any.
        const entry = carried.get(path);
        if (entry) files.set(path, carryOver(path, entry, carried.from(path)));
        continue;
      }
      // tar also flags excluded names 'N': a name the previous snapshot does not hold was never backed up.
      const entry = carried.get(path);
      if (!entry) continue;
      files.set(path, carryOver(path, entry, carried.from(path)));
      // Not something tar writes (it always dumps directories), but an unchanged directory keeps its contents.
      if (entry.type === "dir" && !(dumpdirPaths ??= new Set(index.dumpdirs.map((d) => d.path))).has(path)) {
        for (const [p, sub] of carried.entries()) if (p.startsWith(`${path}/`) && !files.has(p)) files.set(p, carryOver(p, sub, carried.from(p)));
      }
    }
  }

  resolveHardlinks(files.values(), (path) => files.get(path));
  const sorted = [...files.values()].sort((a, b) => compare(a.path, b.path));
  return { files: sorted, changes: diff(before, files) };
}

/** The previous snapshot's entries by path once the archive's directory renames are replayed on them. */
interface CarriedTree {
  get(path: string): ManifestFile | undefined;
  /** The entry's path in the previous snapshot. */
  from(path: string): string;
  entries(): Iterable<[string, ManifestFile]>;
}

/** Without renames (nearly every run) the previous tree serves as it is: no copy of its entries. */
function carriedAfter(before: Map<string, ManifestFile>, ops: RenameOp[]): CarriedTree {
  if (ops.length === 0) return { get: (path) => before.get(path), from: (path) => path, entries: () => before.entries() };
  const moved = new Map<string, Carried<ManifestFile>>();
  for (const [path, entry] of before) moved.set(path, { entry, from: path });
  applyRenames(moved, ops);
  return {
    get: (path) => moved.get(path)?.entry,
    from: (path) => moved.get(path)?.from ?? path,
    *entries() {
      for (const [path, c] of moved) yield [path, c.entry];
    },
  };
}

/**
 * The inArchive files with bytes (headers or data) in [start, end) of the tar stream, e.g. the
 * files a damaged volume takes with it. A hardlink counts when its target's bytes are hit, since
 * restoring it needs them.
 */
export function filesInRange(files: ManifestFile[], start: number, end: number): ManifestFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const hit = (f: ManifestFile | undefined): boolean =>
    f !== undefined && f.inArchive && f.tarStart !== undefined && f.tarEnd !== undefined && f.tarStart < end && f.tarEnd > start;
  return files.filter((f) => hit(f) || (f.inArchive && f.type === "hardlink" && f.linkTarget !== undefined && hit(byPath.get(f.linkTarget))));
}

export function fromMember(m: TarMember): ManifestFile {
  const f: ManifestFile = {
    path: m.path,
    type: m.type,
    size: m.type === "file" ? m.size : 0,
    mode: m.mode,
    mtime: m.mtime,
    inArchive: true,
    tarStart: m.headerStart,
    tarEnd: m.dataEnd,
  };
  if (m.sha256 !== undefined) f.sha256 = m.sha256;
  if (m.linkTarget !== undefined) f.linkTarget = m.linkTarget;
  return f;
}

function carryOver(path: string, e: ManifestFile, from: string): ManifestFile {
  // Most entries of an incremental's parent were carried already: the same object serves (no copy of 50,000 entries per run).
  if (!e.inArchive && e.path === path && from === path && e.tarStart === undefined && e.tarEnd === undefined && e.previousPath === undefined) return e;
  const { tarStart: _s, tarEnd: _e, previousPath: _p, ...rest } = e;
  const f: ManifestFile = { ...rest, path, inArchive: false };
  if (from !== path) f.previousPath = from;
  return f;
}

/** Gives each archived hardlink its target's size and digest; `lookup` finds an entry of the new tree by path. */
export function resolveHardlinks(files: Iterable<ManifestFile>, lookup: (path: string) => ManifestFile | undefined): void {
  for (const f of files) {
    if (f.type !== "hardlink" || !f.inArchive) continue;
    const target = f.linkTarget === undefined ? undefined : lookup(f.linkTarget);
    if (target?.type !== "file") {
      throw archiveInconsistent(`hardlink ${JSON.stringify(f.path)} points to ${JSON.stringify(f.linkTarget)}, which is not a regular file of this snapshot`);
    }
    f.size = target.size;
    if (target.sha256 !== undefined) f.sha256 = target.sha256;
  }
}

function diff(before: Map<string, ManifestFile>, current: Map<string, ManifestFile>): ManifestChanges {
  const added: string[] = [];
  const changed: string[] = [];
  const deleted: string[] = [];
  for (const [path, f] of current) {
    const old = before.get(path);
    if (!old) added.push(path);
    else if (differs(old, f)) changed.push(path);
  }
  for (const path of before.keys()) if (!current.has(path)) deleted.push(path);
  return { added: added.sort(compare), changed: changed.sort(compare), deleted: deleted.sort(compare) };
}

/** Hardlink targets are left out: a renamed target directory changes the name, not the file. */
export function differs(a: ManifestFile, b: ManifestFile): boolean {
  return (
    a.type !== b.type ||
    a.size !== b.size ||
    a.mode !== b.mode ||
    a.mtime !== b.mtime ||
    a.sha256 !== b.sha256 ||
    (a.type === "symlink" && a.linkTarget !== b.linkTarget)
  );
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
