import type { BackupSummary, FolderCipher, RunContext, SnapshotInfo } from "../../../core/types.js";
import { FILES, PARTIAL, PARTIAL_DIR, VERSIONS } from "./layout.js";
import { runRsync } from "./run-rsync.js";
import { STAMP, freshStamp, nextFreeStamp, stampTime } from "./stamp.js";
import type { TargetFs } from "./target-fs.js";

/**
 * Seed 001's layout: `files/` mirrors the source; each run moves the files it changes or
 * deletes, as they were, into `snapshots/<UTC time of the run>/` (rsync --backup-dir).
 * So `snapshots/T` holds the state, just before T, of what changed at T.
 */
export async function listVersions(ctx: RunContext, fs: TargetFs): Promise<SnapshotInfo[]> {
  const names = await fs.listDirs(ctx, VERSIONS);
  return names.flatMap((name) => {
    const id = name.endsWith(PARTIAL) ? name.slice(0, -PARTIAL.length) : name;
    const time = stampTime(id);
    if (!time) return [];
    return [{ id, time: time.toISOString(), type: "incremental" as const, files: 0, sourceBytes: 0, storedBytes: 0, volumes: 0, complete: !name.endsWith(PARTIAL) }];
  });
}

/**
 * A run that was interrupted already moved real old versions into its `.partial` folder: they
 * are history, so the next run gives that folder its final name rather than dropping it. Where
 * that name is already taken (a run that started within the same second completed it), the
 * folder takes the next free second instead: nothing moved aside is merged away.
 */
export async function recoverInterrupted(ctx: RunContext, fs: TargetFs): Promise<Set<string>> {
  const versions = await listVersions(ctx, fs);
  const taken = new Set(versions.map((v) => v.id));
  const completed = new Set(versions.filter((v) => v.complete).map((v) => v.id));
  for (const version of versions.filter((v) => !v.complete)) {
    const name = completed.has(version.id) ? nextFreeStamp(version.id, taken) : version.id;
    taken.add(name);
    ctx.step(`keep ${VERSIONS}/${version.id}${PARTIAL} (left by an interrupted run) as ${VERSIONS}/${name}`);
    ctx.log.warn(`an earlier run was interrupted: keeping the versions it moved aside as ${VERSIONS}/${name}`);
    if (!ctx.dryRun) await fs.rename(ctx, `${VERSIONS}/${version.id}${PARTIAL}`, `${VERSIONS}/${name}`);
  }
  return taken;
}

/**
 * Mirrors `from` into files/, keeping what it replaces or deletes in snapshots/<time>/. The counts
 * leave out `extras`, the files a folder cipher's view adds to the user's (gocryptfs.diriv, .conf).
 */
export async function backupVersioned(ctx: RunContext, fs: TargetFs, from: string, rsyncArgs: string[], extras: FolderCipher["viewExtras"] = NO_EXTRAS): Promise<BackupSummary> {
  const { stamp, started } = await freshStamp(await recoverInterrupted(ctx, fs));
  ctx.step(`create ${FILES}/ and ${VERSIONS}/ at ${fs.description} if missing`);
  await fs.mkdirp(ctx, FILES);
  await fs.mkdirp(ctx, VERSIONS);
  const dest = fs.rsyncLocation(FILES);
  ctx.step(`mirror ${from} into ${FILES}/, moving changed and deleted files into ${VERSIONS}/${stamp}/`);
  const stats = await runRsync(ctx, fs.target, "backup", [
    "-a", "--delete", "--backup", `--backup-dir=../${VERSIONS}/${stamp}${PARTIAL}`, `--partial-dir=${PARTIAL_DIR}`,
    // sshfs (SFTP) cannot set a symlink's own time; rsync would report every link as an error.
    "--omit-link-times",
    // A target that forgets modification times (davfs2) would make every file look changed.
    ...(fs.target.keepsModificationTimes === false ? ["--checksum"] : []),
    ...(await fs.rsyncTempDir(ctx)), ...dest.args, ...rsyncArgs, `${from}/`, `${dest.path}/`,
  ]);
  if ((await fs.listDirs(ctx, VERSIONS)).includes(`${stamp}${PARTIAL}`)) {
    ctx.step(`rename ${VERSIONS}/${stamp}${PARTIAL} to ${VERSIONS}/${stamp} (the run completed)`);
    await fs.rename(ctx, `${VERSIONS}/${stamp}${PARTIAL}`, `${VERSIONS}/${stamp}`);
  }
  const changed = Math.max(stats.transferredFiles - stats.createdFiles, 0);
  const full = stats.createdFiles > 0 && stats.createdFiles === stats.regularFiles;
  // rsync counts the top folder among all folders but not among created ones (files/ existed).
  const usersOnly = (files: number, folders: number, root: boolean) => Math.max(files - extras.perFolder * folders - (root ? extras.inRoot : 0), 0);
  return {
    snapshot: stamp,
    type: full ? "full" : "incremental",
    sourceFiles: usersOnly(stats.regularFiles, stats.folders, true), sourceBytes: stats.totalFileSize,
    newFiles: usersOnly(stats.createdFiles, stats.createdFolders + (full ? 1 : 0), full), changedFiles: changed,
    deletedFiles: usersOnly(stats.deletedFiles, stats.deletedFolders, false),
    bytesRead: stats.transferredFileSize, bytesWritten: stats.bytesSent, volumes: 0,
    elapsedMs: Date.now() - started, errors: stats.errors,
  };
}

const NO_EXTRAS: FolderCipher["viewExtras"] = { perFolder: 0, inRoot: 0 };

/** The versions to lay over `files/` to get the state as of `when`: every one newer than it, newest first. */
export function overlaysFor(versions: SnapshotInfo[], when: Date): SnapshotInfo[] {
  return versions.filter((v) => v.complete && new Date(v.time).getTime() > when.getTime())
    .sort((a, b) => b.time.localeCompare(a.time));
}

export function isStamp(text: string): boolean {
  return STAMP.test(text);
}
