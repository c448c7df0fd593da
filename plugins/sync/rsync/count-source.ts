import { join } from "node:path";
import { PREFIX } from "../../../core/paths.js";
import type { RunContext } from "../../../core/types.js";
import { parseStats } from "./run-rsync.js";

/**
 * Regular files a backup of `source` would copy now, counted by rsync itself (a dry run into a
 * folder that does not exist), so its exclude rules apply exactly as in the backup.
 */
export async function countWithRsync(ctx: RunContext, source: string, excludeArgs: string[]): Promise<number> {
  const nowhere = join(ctx.cacheDir, `${PREFIX}count-${process.pid}`);
  const result = await ctx.exec({ tool: "rsync", args: ["-a", "--dry-run", "--stats", "--no-human-readable", ...excludeArgs, `${source}/`, `${nowhere}/`], okExitCodes: [23, 24] });
  return parseStats(result.stdout).regularFiles;
}
