import { archiveInconsistent, chainInconsistent } from "./errors.js";
import { normalisePath } from "./names.js";
import type { Dumpdir, EntryType } from "./types.js";

export interface RenameOp {
  /** Normalised paths; a temporary directory is a key starting with NUL, which no real path contains. */
  from: string;
  to: string;
}

/**
 * The directory renames of an archive, in the order GNU tar applies them on extraction.
 * Records are "R<src>" immediately followed by "T<dst>"; "X<dir>" announces a temporary
 * directory and an empty R or T name stands for it (used to break rename cycles a->b->a).
 */
export function renameOps(dumpdirs: Dumpdir[]): RenameOp[] {
  const ops: RenameOp[] = [];
  let temp: string | undefined;
  let tempCount = 0;
  for (const dumpdir of dumpdirs) {
    const entries = dumpdir.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (!e) continue;
      if (e.flag === "X") temp = `\0tmp${tempCount++}`;
      if (e.flag === "T") throw archiveInconsistent(`dumpdir of ${dumpdir.path} has 'T${e.name}' without an 'R' before it`);
      if (e.flag !== "R") continue;
      const t = entries[i + 1];
      if (t?.flag !== "T") throw archiveInconsistent(`dumpdir of ${dumpdir.path} has 'R${e.name}' without a 'T' after it`);
      i += 1;
      const side = (name: string): string => {
        if (name !== "") return normalisePath(name);
        if (temp === undefined) throw archiveInconsistent(`dumpdir of ${dumpdir.path} renames via a temporary directory without 'X'`);
        return temp;
      };
      ops.push({ from: side(e.name), to: side(t.name) });
    }
  }
  return ops;
}

export interface Carried<T> {
  entry: T;
  /** The entry's path in the previous snapshot. */
  from: string;
}

/**
 * Applies `ops` to the previous snapshot's entries keyed by path, as tar's extraction renames
 * directories on disk: the subtree at `from` moves to `to`, replacing whatever was there.
 * Hardlink targets move with their files.
 */
export function applyRenames<T extends { type: EntryType; linkTarget?: string }>(
  entries: Map<string, Carried<T>>,
  ops: RenameOp[],
): void {
  for (const { from, to } of ops) {
    if (from === to) continue;
    if (!entries.has(from)) {
      throw chainInconsistent(`the archive renames directory ${show(from)} to ${show(to)}, but the previous manifest has no ${show(from)}`);
    }
    const moved: [string, Carried<T>][] = [];
    for (const [path, carried] of entries) if (within(path, from)) moved.push([path, carried]);
    for (const [path] of moved) entries.delete(path);
    for (const path of [...entries.keys()]) if (within(path, to)) entries.delete(path);
    for (const [path, carried] of moved) entries.set(to + path.slice(from.length), carried);
    for (const carried of entries.values()) {
      const target = carried.entry.linkTarget;
      if (carried.entry.type === "hardlink" && target !== undefined && within(target, from)) {
        carried.entry = { ...carried.entry, linkTarget: to + target.slice(from.length) };
      }
    }
  }
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

function show(path: string): string {
  return path.startsWith("\0") ? "(temporary directory)" : JSON.stringify(path);
}
