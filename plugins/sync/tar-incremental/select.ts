import { messages } from "../../../core/messages.js";
import { parsePointInTime } from "../../../core/duration.js";
import type { SnapshotInfo } from "../../../core/types.js";
import { isSnapshotId } from "./layout.js";

/**
 * The snapshot `--at` names: an id, or the newest snapshot taken at or before a time. Latest when absent.
 * `all` (incomplete ones included) lets an id of an incomplete snapshot be named as such.
 */
export function selectSnapshot(job: string, complete: SnapshotInfo[], at: string | undefined, all: SnapshotInfo[] = complete): SnapshotInfo {
  if (complete.length === 0) throw messages.noSnapshots(job);
  if (!at) return complete.at(-1)!;
  if (isSnapshotId(at)) {
    const exact = complete.find((s) => s.id === at);
    if (!exact) throw all.some((s) => s.id === at) ? messages.manifestMissing(at) : messages.snapshotUnknown(at);
    return exact;
  }
  const when = parsePointInTime(at);
  if (!when) throw messages.badTime(at);
  const candidates = complete.filter((s) => new Date(s.time).getTime() <= when.getTime());
  if (candidates.length === 0) throw messages.noSnapshotAt(job, when.toISOString(), complete[0]!.time);
  return candidates.at(-1)!;
}
