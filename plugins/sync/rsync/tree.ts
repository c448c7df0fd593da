import { messages } from "../../../core/messages.js";
import { parsePointInTime } from "../../../core/duration.js";
import type { FolderCipher, RunContext, SnapshotInfo } from "../../../core/types.js";
import { FILES, VERSIONS } from "./layout.js";
import { readMarker } from "./marker.js";
import { stageCopy } from "./staging.js";
import { isRunMount } from "../../transport/mounts.js";
import { isStamp, listVersions, overlaysFor } from "./versioned.js";
import { listSnapshots, snapshotFolder } from "./link-snapshots.js";
import { stampTime } from "./stamp.js";
import type { TargetFs } from "./target-fs.js";
import type { RsyncOptions } from "./options.js";

/** The backed-up tree as of a time, as a local folder of plaintext, and what it is made of. */
export interface ResolvedTree { dir: string; parts: string[]; notes: string[]; staged?: string; mounted?: string }

export function pointInTime(at: string): Date {
  const when = isStamp(at) ? stampTime(at) : parsePointInTime(at);
  if (!when) throw messages.badTime(at);
  return when;
}

/**
 * Finds (and when needed, copies or rebuilds) the tree to read, then opens it through the folder
 * cipher when there is one. `keep`: nothing is deferred (for `cryptkeep mount`).
 */
export async function openTree(ctx: RunContext, fs: TargetFs, options: RsyncOptions, cipher: FolderCipher | undefined, at: string | undefined, view: { keep: boolean; mountPoint?: string }): Promise<ResolvedTree> {
  const keep = view.keep;
  const local = fs.target.localPath !== undefined;
  let parts: string[];
  const notes: string[] = [];
  if (options.layout === "snapshots") {
    const chosen = selectSnapshot(ctx.job, await listSnapshots(ctx, fs, options), at);
    parts = [snapshotFolder(options, chosen.id)];
  } else {
    const marker = await readMarker(ctx, fs);
    if (!marker?.lastBackup) throw messages.noSnapshots(ctx.job);
    parts = [FILES];
    if (at) {
      const when = pointInTime(at);
      if (marker.firstBackup && when.getTime() < new Date(marker.firstBackup).getTime() - 1000) throw messages.nothingToRestoreAt(ctx.job, when.toISOString());
      const overlays = overlaysFor(await listVersions(ctx, fs), when);
      parts.push(...overlays.map((v) => `${VERSIONS}/${v.id}`));
      notes.push(`the state as of ${when.toISOString()}: ${FILES}/ with the older versions from ${overlays.length} later run(s) laid over it`);
      notes.push(`this layout does not record when a file first appeared: files created after ${when.toISOString()} are included too, and files deleted before it and never changed since cannot be told apart`);
    }
  }
  // A view kept by `cryptkeep mount` cannot stand on a mount this run takes down (davfs, s3fs): it gets a copy.
  const direct = local && parts.length === 1 && !(keep && isRunMount(fs.target.localPath!));
  const staged = direct ? undefined : await stageCopy(ctx, fs, parts, keep);
  const encrypted = staged ?? fs.path(parts[0]!);
  if (!cipher) return { dir: encrypted, parts, notes, staged };
  const mounted = await cipher.openDecrypted(ctx, encrypted, view);
  return { dir: mounted, parts, notes, staged, mounted };
}

export function selectSnapshot(job: string, all: SnapshotInfo[], at: string | undefined): SnapshotInfo {
  const complete = all.filter((s) => s.complete);
  if (complete.length === 0) throw messages.noSnapshots(job);
  if (!at) return complete.at(-1)!;
  if (isStamp(at)) {
    const exact = complete.find((s) => s.id === at);
    if (!exact) throw messages.snapshotUnknown(at);
    return exact;
  }
  const when = pointInTime(at);
  const candidates = complete.filter((s) => new Date(s.time).getTime() <= when.getTime());
  if (candidates.length === 0) throw messages.noSnapshotAt(job, when.toISOString(), complete[0]!.time);
  return candidates.at(-1)!;
}
