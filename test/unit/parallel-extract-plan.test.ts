import { describe, expect, it } from "vitest";
import { HANDOFF_LIMIT, planParallelExtract } from "../../plugins/sync/tar-incremental/parallel-extract.js";
import { MANIFEST_FORMAT, type Manifest } from "../../plugins/sync/tar-incremental/manifest.js";
import type { ManifestFile } from "../../plugins/sync/tar-incremental/index/index.js";

const MiB = 1024 * 1024;

interface Member { type: ManifestFile["type"]; start: number; end: number }

/** A full whose members are [start, end) pairs (folders first), in volumes of `volume` tar bytes. */
function full(members: Member[], volume: number, type: "full" | "incremental" = "full"): Manifest {
  const total = Math.max(...members.map((m) => m.end)) + 1024;
  const volumes = [];
  for (let start = 0; start < total; start += volume) volumes.push({ name: `v${start}`, size: 1, sha256: "00", tarStart: start, tarEnd: Math.min(start + volume, total) });
  return {
    format: MANIFEST_FORMAT, id: "20261124T000000.000Z", time: "2026-11-24T00:00:00.000Z", type, compression: "zstd", volumes,
    snar: { name: "snar.gpg", size: 1, sha256: "00" }, changes: { added: 0, changed: 0, deleted: 0 }, errors: [], tar: { version: "1.34", args: [] },
    files: members.map((m, i) => ({ path: `p${i}`, type: m.type, size: 0, mode: 0o644, mtime: 0, inArchive: true, tarStart: m.start, tarEnd: m.end })),
  };
}

/** Folders in [0, 3 KiB), then a file every 1 MiB (each 700 KiB long) up to 10 MiB. */
const members = (): Member[] => [
  { type: "dir" as const, start: 0, end: 1500 },
  { type: "dir" as const, start: 1536, end: 3000 },
  ...Array.from({ length: 10 }, (_, i) => ({ type: "file" as const, start: 3072 + i * MiB, end: 3072 + i * MiB + 700 * 1024 })),
];

describe("planParallelExtract: where a full's tar stream is cut between tars", () => {
  it("each volume's range starts at the first member starting in it; the folders end where the first file starts", () => {
    const plan = planParallelExtract(full(members(), 4 * MiB), 2);
    expect(plan).toEqual({ foldersEnd: 3072, starts: [3072, 3072 + 4 * MiB, 3072 + 8 * MiB] });
  });

  it("one tar instead: an incremental, one volume, one worker, a hard link, folders after a file", () => {
    expect(planParallelExtract(full(members(), 4 * MiB, "incremental"), 2)).toBeUndefined();
    expect(planParallelExtract(full(members(), 64 * MiB), 2)).toBeUndefined();
    expect(planParallelExtract(full(members(), 4 * MiB), 1)).toBeUndefined();
    const linked = members();
    linked[5] = { ...linked[5]!, type: "hardlink" };
    expect(planParallelExtract(full(linked, 4 * MiB), 2)).toBeUndefined();
    const late = [...members(), { type: "dir" as const, start: 10 * MiB + 8192, end: 10 * MiB + 9000 }];
    expect(planParallelExtract(full(late, 4 * MiB), 2)).toBeUndefined();
  });

  it("one tar instead: a volume where no member starts, or whose first member starts more than HANDOFF_LIMIT in", () => {
    // 512 KiB volumes: the one from 1.5 to 2 MiB lies inside a file's data.
    expect(planParallelExtract(full(members(), 512 * 1024), 2)).toBeUndefined();
    const big = (first: number): Member[] => [members()[0]!, members()[1]!, { type: "file" as const, start: 3072, end: 3072 + first }, { type: "file" as const, start: 3072 + first, end: 3072 + first + MiB }];
    // 32 MiB volumes: the second's first member starts 8 MiB in, and those 8 MiB are handed to the first volume's tar.
    expect(planParallelExtract(full(big(40 * MiB), 32 * MiB), 2)?.starts).toEqual([3072, 3072 + 40 * MiB]);
    // 30 MiB volumes and a first file of 50 MiB: the second volume's first member starts 20 MiB in.
    expect(20 * MiB).toBeGreaterThan(HANDOFF_LIMIT);
    expect(planParallelExtract(full(big(50 * MiB), 30 * MiB), 2)).toBeUndefined();
  });
});
