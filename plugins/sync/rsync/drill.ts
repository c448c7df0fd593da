import { createReadStream } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PREFIX } from "../../../core/paths.js";
import { randomSample } from "../../../core/random-sample.js";
import type { DrillRequest, DrillSummary, FolderCipher, RunContext, VerifyProblem } from "../../../core/types.js";
import { digestStream } from "../tar-incremental/digest.js";
import type { RsyncOptions } from "./options.js";
import { runRsync } from "./run-rsync.js";
import type { TargetFs } from "./target-fs.js";
import { openTree } from "./tree.js";

/**
 * A restore drill: the newest backup opened the way the recipe does it (gocryptfs, read-only,
 * when the job has a folder cipher; a LUKS container, opened read-only by its plugin's drill
 * tap before this one), a random sample of its files copied out by rsync into a
 * temp folder, and each compared with the live source. A file whose size and modification time
 * match the source but whose bytes do not is a problem (silent rot on one side); a file changed
 * in the source since the backup is only counted.
 */
export async function runRsyncDrill(ctx: RunContext, fs: TargetFs, options: RsyncOptions, cipher: FolderCipher | undefined, source: string, request: DrillRequest): Promise<DrillSummary> {
  const started = Date.now();
  const tree = await openTree(ctx, fs, options, cipher, undefined, { keep: false });
  const snapshot = tree.parts.join(" + ");
  const sample = randomSample(await regularFiles(tree.dir), request.sample);
  const method = [fs.target.readOnlyVia, cipher && "gocryptfs -ro (decrypted view)", "rsync --files-from"].filter(Boolean).join(" | ");
  ctx.step(`drill: copy ${sample.length} random file(s) of ${snapshot} out with ${method} into a temp folder and compare them with the source`);

  const work = await mkdtemp(join(tmpdir(), `${PREFIX}drill-`));
  ctx.defer("remove the drill's temp folder", () => rm(work, { recursive: true, force: true }));
  const out = join(work, "restored");
  await mkdir(out);
  const list = join(work, "files");
  await writeFile(list, sample.map((path) => `${path}\n`).join(""), { mode: 0o600 });
  const problems: VerifyProblem[] = [];
  const copied = await runRsync(ctx, fs.target, "drill", ["-a", `--files-from=${list}`, `${tree.dir}/`, `${out}/`]);
  for (const error of copied.errors) problems.push({ kind: "file", snapshot, name: error, detail: "rsync could not copy it out of the backup" });

  let restored = 0;
  let changedSince = 0;
  for (const path of sample) {
    const copy = await lstat(join(out, path)).catch(() => undefined);
    if (!copy?.isFile()) {
      problems.push({ kind: "file", snapshot, name: path, detail: "not restored" });
      continue;
    }
    restored++;
    const live = await lstat(join(source, path)).catch(() => undefined);
    if (!live?.isFile() || live.size !== copy.size || Math.floor(live.mtimeMs / 1000) !== Math.floor(copy.mtimeMs / 1000)) {
      changedSince++;
      continue;
    }
    const [fromBackup, fromSource] = await Promise.all([digestStream(createReadStream(join(out, path))), digestStream(createReadStream(join(source, path)))]);
    if (fromBackup.sha256 !== fromSource.sha256) {
      restored--;
      problems.push({ kind: "source", snapshot, name: path, detail: "differs from the source although size and modification time are the same" });
    }
  }
  return { snapshot, method, sampled: sample.length, restored, problems, changedSince, elapsedMs: Date.now() - started };
}

/** Relative paths of the regular files under `root`. */
async function regularFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name).slice(root.length + 1));
}
