import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink, utimes } from "node:fs/promises";
import { join } from "node:path";

export type Tree = Record<string, string>;

/** A folder as one comparable map: path → "file <mode> <sha256>", "dir <mode>", "symlink <target>". */
export async function tree(root: string): Promise<Tree> {
  const out: Tree = {};
  const visit = async (rel: string) => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      const info = await lstat(full);
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isSymbolicLink()) out[path] = `symlink ${await readlink(full)}`;
      else if (info.isDirectory()) {
        out[path] = `dir ${mode}`;
        await visit(path);
      } else out[path] = `file ${mode} ${createHash("sha256").update(await readFile(full)).digest("hex")}`;
    }
  };
  await visit("");
  return out;
}

/**
 * `tree` with owner and modification time (whole seconds, as tar keeps them) of every entry,
 * folders too, the top one included, and each file's link count: what a restore must reproduce exactly.
 */
export async function listing(root: string): Promise<Tree> {
  const out: Tree = {};
  const visit = async (rel: string) => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      const info = await lstat(full);
      const common = `${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid} ${Math.floor(info.mtimeMs / 1000)}`;
      if (info.isSymbolicLink()) out[path] = `symlink -> ${await readlink(full)}`;
      else if (info.isDirectory()) {
        out[path] = `dir ${common}`;
        await visit(path);
      } else out[path] = `file ${common} ${info.nlink} ${createHash("sha256").update(await readFile(full)).digest("hex")}`;
    }
  };
  const top = await lstat(root);
  out["."] = `dir ${(top.mode & 0o7777).toString(8)} ${top.uid}:${top.gid} ${Math.floor(top.mtimeMs / 1000)}`;
  await visit("");
  return out;
}

/** Sets every folder's time under `rel` to `seconds` (deeper ones a second later each), after its content: as a restore must leave them. */
export async function stampFolders(root: string, seconds: number, rel = ""): Promise<void> {
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    if (entry.isDirectory()) await stampFolders(root, seconds + 1, join(rel, entry.name));
  }
  await utimes(join(root, rel), seconds, seconds);
}
