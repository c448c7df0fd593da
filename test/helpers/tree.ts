import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink } from "node:fs/promises";
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
