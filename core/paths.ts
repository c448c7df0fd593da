import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/** Prefix of everything cryptkeep creates (temp files, mount points, mappings), so leftovers are recognisable. */
export const PREFIX = "cryptkeep-";

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "cryptkeep");
}

export function expandPath(path: string, base: string): string {
  if (path === "~" || path.startsWith("~/")) return join(homedir(), path.slice(1));
  return resolve(base, path);
}

/** Start of the temp name a store writes an object under before renaming it into place; listings skip these. */
export const PART_PREFIX = `.${PREFIX}part-`;
