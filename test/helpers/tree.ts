import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink, utimes } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";

export type Tree = Record<string, string>;

/** Every entry under `root`, depth first in name order, as `describe` puts it. */
async function walk(root: string, describe: (full: string, info: Stats) => Promise<string>): Promise<Tree> {
  const out: Tree = {};
  const visit = async (rel: string) => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const info = await lstat(join(root, path));
      out[path] = await describe(join(root, path), info);
      if (info.isDirectory()) await visit(path);
    }
  };
  await visit("");
  return out;
}

const sha256 = async (file: string) => createHash("sha256").update(await readFile(file)).digest("hex");

/** A folder as one comparable map: path → "file <mode> <sha256>", "dir <mode>", "symlink <target>". */
export async function tree(root: string): Promise<Tree> {
  return walk(root, async (full, info) => {
    const mode = (info.mode & 0o7777).toString(8);
    if (info.isSymbolicLink()) return `symlink ${await readlink(full)}`;
    if (info.isDirectory()) return `dir ${mode}`;
    return `file ${mode} ${await sha256(full)}`;
  });
}

/**
 * `tree` with owner and modification time (whole seconds, as tar keeps them) of every entry,
 * folders too, the top one included, and each file's link count: what a restore must reproduce exactly.
 */
export async function listing(root: string): Promise<Tree> {
  const common = (info: Stats) => `${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid} ${Math.floor(info.mtimeMs / 1000)}`;
  const entries = await walk(root, async (full, info) => {
    if (info.isSymbolicLink()) return `symlink -> ${await readlink(full)}`;
    if (info.isDirectory()) return `dir ${common(info)}`;
    return `file ${common(info)} ${info.nlink} ${await sha256(full)}`;
  });
  return { ".": `dir ${common(await lstat(root))}`, ...entries };
}

/** Sets every folder's time under `rel` to `seconds` (deeper ones a second later each), after its content: as a restore must leave them. */
export async function stampFolders(root: string, seconds: number, rel = ""): Promise<void> {
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    if (entry.isDirectory()) await stampFolders(root, seconds + 1, join(rel, entry.name));
  }
  await utimes(join(root, rel), seconds, seconds);
}
