import { cp, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { PREFIX } from "../../../core/paths.js";
import type { RunContext } from "../../../core/types.js";

/**
 * A folder for a whole-chain restore next to `to` (so moving out of it is a rename on the same
 * filesystem), removed when the run ends, however it ends.
 */
export async function scratchBeside(ctx: RunContext, to: string): Promise<string> {
  const scratch = await mkdtemp(join(dirname(resolve(to)), `${PREFIX}restore-`));
  ctx.defer(`remove ${scratch}`, () => rm(scratch, { recursive: true, force: true }));
  return scratch;
}

/** Moves `paths` (relative, "." for everything) from `scratch` into `to`, parents made as needed. */
export async function moveFromScratch(scratch: string, to: string, paths: string[]): Promise<void> {
  for (const path of outermost(paths)) {
    const names = path === "." ? await readdir(scratch) : [path];
    for (const name of names) {
      await mkdir(dirname(join(to, name)), { recursive: true });
      await move(join(scratch, name), join(to, name));
    }
  }
}

async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    await cp(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  }
}

/** The paths not inside another of them: "a" and "a/b" move as "a". */
function outermost(paths: string[]): string[] {
  if (paths.includes(".")) return ["."];
  const unique = [...new Set(paths)];
  return unique.filter((p) => !unique.some((q) => q !== p && p.startsWith(`${q}/`)));
}
