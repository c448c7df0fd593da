import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { messages } from "../../../core/messages.js";
import type { ManifestFile } from "./index/index.js";

/**
 * The safety net of a --path restore: every entry the snapshot's tree has under the requested
 * paths must be in `to`, with the same type, and for files the same size. Throws
 * RESTORE_INCOMPLETE naming what is missing or different, so a restore is never "success" short.
 */
export async function checkRestored(to: string, expected: ManifestFile[], snapshot: string): Promise<void> {
  const problems: string[] = [];
  for (const entry of expected) {
    const seen = await lstat(join(to, entry.path)).catch(() => undefined);
    if (!seen) problems.push(`${entry.path} (missing)`);
    else if (!sameType(entry, seen)) problems.push(`${entry.path} (not a ${entry.type})`);
    else if (entry.type === "file" && seen.size !== entry.size) problems.push(`${entry.path} (${seen.size} bytes, the snapshot has ${entry.size})`);
  }
  if (problems.length > 0) throw messages.restoreIncomplete(snapshot, to, problems);
}

function sameType(entry: ManifestFile, seen: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): boolean {
  switch (entry.type) {
    case "file":
    case "hardlink":
      return seen.isFile();
    case "dir":
      return seen.isDirectory();
    case "symlink":
      return seen.isSymbolicLink();
    default:
      return true;
  }
}
