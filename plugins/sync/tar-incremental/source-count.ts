import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { makeExcluder } from "./exclude-match.js";

/** Regular files under `root` that tar would archive (the same exclusion rules), for the tripwire. */
export async function countSourceFiles(root: string, exclude: string[]): Promise<number> {
  const excluded = makeExcluder(exclude);
  let count = 0;
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (excluded(path)) continue;
      if (entry.isFile()) count++;
      else if (entry.isDirectory()) await visit(path);
    }
  };
  await visit("");
  return count;
}
