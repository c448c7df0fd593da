import type { RunContext, VerifyProblem } from "../../../core/types.js";
import type { RsyncOptions } from "./options.js";
import { listSnapshots, snapshotFolder } from "./link-snapshots.js";
import { selectSnapshot } from "./tree.js";
import type { TargetFs } from "./target-fs.js";
import { PARTIAL_DIR } from "./layout.js";

/**
 * Compares the newest snapshot with the live source by content: rsync --dry-run --checksum
 * computes the checksums of the target's files where they are (on the server over ssh), and
 * lists every file that differs, is missing or is extra. Changes made since the backup show too.
 */
export async function verifySnapshot(ctx: RunContext, fs: TargetFs, options: RsyncOptions, source: string, rsyncArgs: string[]): Promise<{ files: number; problems: VerifyProblem[] }> {
  const latest = selectSnapshot(ctx.job, await listSnapshots(ctx, fs, options), undefined);
  const dest = fs.rsyncLocation(snapshotFolder(options, latest.id));
  ctx.step(`compare ${source} with ${snapshotFolder(options, latest.id)} by checksum (rsync --dry-run --checksum)`);
  const { stdout } = await ctx.exec({
    tool: "rsync",
    args: ["--dry-run", "--checksum", "-rlD", "--delete", "--itemize-changes", "--out-format=%i %n", `--exclude=/${PARTIAL_DIR}/`, ...dest.args, ...rsyncArgs, `${source}/`, `${dest.path}/`],
  });
  const problems: VerifyProblem[] = [];
  let files = 0;
  for (const line of stdout.split("\n")) {
    const deleting = /^\*deleting\s+(.*)$/.exec(line);
    if (deleting) { problems.push({ kind: "file", snapshot: latest.id, name: deleting[1]!, detail: "in the snapshot but not in the source" }); continue; }
    const item = /^([<>ch.][fdLDS])(\S+) (.*)$/.exec(line);
    if (!item || item[1]![1] !== "f") continue;
    files++;
    problems.push({ kind: "file", snapshot: latest.id, name: item[3]!, detail: item[2]!.startsWith("+") ? "missing in the snapshot" : "content differs from the source" });
  }
  return { files, problems };
}
