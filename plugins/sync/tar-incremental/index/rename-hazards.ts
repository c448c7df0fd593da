import { renameOps, type RenameOp } from "./directory-renames.js";
import type { ManifestFile } from "./snapshot-manifest.js";
import type { TarIndex } from "./types.js";

/**
 * Directory renames in an incremental archive that GNU tar cannot replay on extraction: a
 * folder renamed onto the name of a folder that still exists at that point (typically one
 * deleted in the same increment, `rm -rf b; mv a b`). tar fails with "Cannot rename ...:
 * Directory not empty", so such an increment must be made as a full backup instead.
 * `previous` gives the parent's tree; asked for only when the archive renames directories.
 */
export function renamesTarCannotReplay(index: TarIndex, previous: () => ManifestFile[]): RenameOp[] {
  const ops = renameOps(index.dumpdirs);
  if (ops.length === 0) return [];
  const dirs = new Set(previous().filter((f) => f.type === "dir").map((f) => f.path));
  const hazards: RenameOp[] = [];
  for (const op of ops) {
    if (dirs.has(op.to)) hazards.push(op);
    for (const dir of [...dirs]) {
      if (dir !== op.from && !dir.startsWith(`${op.from}/`)) continue;
      dirs.delete(dir);
      dirs.add(op.to + dir.slice(op.from.length));
    }
  }
  return hazards;
}
