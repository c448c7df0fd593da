import type { ManifestFile } from "./index/index.js";
import type { Manifest } from "./manifest.js";
import type { Slice } from "./volume-slice.js";

const BLOCK = 512;
/** Members closer than this in the archive are read as one range (tar skips the ones between by name). */
const JOIN_GAP = 8 << 20;

/** Where a range of the archive's tar bytes lies: in volume `volume`, `slice` of its bytes. */
export interface VolumePart {
  volume: number;
  slice: Slice;
}

/**
 * The parts of the archive's volumes that hold `entries` (this archive's entries to restore),
 * in archive order: each member from its first header to the end of its padded data, members
 * close together joined. Undefined when that is not enough for tar: an entry without its range,
 * or a hard link (its file may be elsewhere in the archive).
 */
export function partsHolding(manifest: Manifest, entries: ManifestFile[]): VolumePart[] | undefined {
  const ranges: [number, number][] = [];
  for (const entry of entries) {
    if (entry.type === "hardlink" || entry.tarStart === undefined || entry.tarEnd === undefined) return undefined;
    ranges.push([entry.tarStart, Math.ceil(entry.tarEnd / BLOCK) * BLOCK]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const joined: [number, number][] = [];
  for (const [start, end] of ranges) {
    const last = joined.at(-1);
    if (last && start - last[1] < JOIN_GAP) last[1] = Math.max(last[1], end);
    else joined.push([start, end]);
  }
  const parts: VolumePart[] = [];
  for (const [start, end] of joined) {
    for (const [k, volume] of manifest.volumes.entries()) {
      const from = Math.max(start, volume.tarStart);
      const to = Math.min(end, volume.tarEnd);
      if (from >= to) continue;
      const skip = from - volume.tarStart;
      const count = to - from;
      parts.push({ volume: k, slice: { ...(skip > 0 && { skip }), ...(count < volume.tarEnd - from && { count }) } });
    }
  }
  return parts;
}
