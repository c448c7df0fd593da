import { join } from "node:path";
import { mkdir } from "node:fs/promises";
import type { BackupSummary, RunContext, SnapshotInfo } from "../../../core/types.js";
import { PARTIAL, PARTIAL_DIR } from "./layout.js";
import { runRsync } from "./run-rsync.js";
import { freshStamp, stampTime } from "./stamp.js";
import type { TargetFs } from "./target-fs.js";
import type { RsyncOptions } from "./options.js";

/**
 * Seed 003's layout: one full tree per run, `<name>.<UTC time>/`, files unchanged since the
 * previous snapshot hard-linked to it (rsync --link-dest), so each costs only what changed.
 */

export function snapshotFolder(options: RsyncOptions, id: string): string {
  return `${options.name ?? "snapshot"}.${id}`;
}

export async function listSnapshots(ctx: RunContext, fs: TargetFs, options: RsyncOptions): Promise<SnapshotInfo[]> {
  const prefix = `${options.name ?? "snapshot"}.`;
  return (await fs.listDirs(ctx)).flatMap((folder) => {
    if (!folder.startsWith(prefix)) return [];
    const rest = folder.slice(prefix.length);
    const id = rest.endsWith(PARTIAL) ? rest.slice(0, -PARTIAL.length) : rest;
    const time = stampTime(id);
    if (!time) return [];
    return [{ id, time: time.toISOString(), type: "full" as const, files: 0, sourceBytes: 0, storedBytes: 0, volumes: 0, complete: !rest.endsWith(PARTIAL) }];
  }).sort((a, b) => a.time.localeCompare(b.time));
}

export async function backupSnapshot(ctx: RunContext, fs: TargetFs, options: RsyncOptions, from: string, rsyncArgs: string[]): Promise<BackupSummary> {
  const all = await listSnapshots(ctx, fs, options);
  const { stamp, started } = await freshStamp(new Set(all.map((s) => s.id)));
  const latest = all.filter((s) => s.complete).at(-1);
  const leftover = all.find((s) => !s.complete);
  const folder = snapshotFolder(options, stamp);
  // An interrupted run's folder already holds most files: rsync into it again, under the new name.
  if (leftover) {
    ctx.step(`resume the snapshot an interrupted run left (${snapshotFolder(options, leftover.id)}${PARTIAL})`);
    ctx.log.warn(`resuming the snapshot an interrupted run left (${snapshotFolder(options, leftover.id)}${PARTIAL})`);
    if (!ctx.dryRun) await fs.rename(ctx, `${snapshotFolder(options, leftover.id)}${PARTIAL}`, `${folder}${PARTIAL}`);
  }
  const log = join(ctx.cacheDir, "logs", `${folder}.log`);
  if (!ctx.dryRun) await mkdir(join(ctx.cacheDir, "logs"), { recursive: true, mode: 0o700 });
  const dest = fs.rsyncLocation(`${folder}${PARTIAL}`);
  ctx.step(`copy ${from} into ${folder}${PARTIAL}/${latest ? `, hard-linking files unchanged since ${snapshotFolder(options, latest.id)}` : ""}`);
  const stats = await runRsync(ctx, fs.target, "backup", [
    "-aH", "--numeric-ids", "--delete", "--delete-excluded", `--partial-dir=${PARTIAL_DIR}`,
    // sshfs (SFTP) cannot set a symlink's own time; rsync would report every link as an error.
    "--omit-link-times",
    `--log-file=${log}`, "--log-file-format=%i %10l %n %L",
    ...(latest ? [`--link-dest=../${snapshotFolder(options, latest.id)}`] : []),
    ...(await fs.rsyncTempDir(ctx)), ...dest.args, ...rsyncArgs, `${from}/`, `${dest.path}/`,
  ]);
  ctx.step(`rename ${folder}${PARTIAL} to ${folder} (the run completed)`);
  if (!ctx.dryRun) await fs.rename(ctx, `${folder}${PARTIAL}`, folder);
  return {
    snapshot: stamp, type: "full",
    sourceFiles: stats.regularFiles, sourceBytes: stats.totalFileSize,
    newFiles: stats.createdFiles, changedFiles: Math.max(stats.transferredFiles - stats.createdFiles, 0), deletedFiles: stats.deletedFiles,
    bytesRead: stats.transferredFileSize, bytesWritten: stats.bytesSent, volumes: 0,
    elapsedMs: Date.now() - started, errors: stats.errors,
  };
}
