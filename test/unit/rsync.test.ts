import { describe, expect, it } from "vitest";
import { parseStats } from "../../plugins/sync/rsync/run-rsync.js";
import { parseSha256sum, sha256Script } from "../../plugins/sync/rsync/target-fs.js";
import { overlaysFor } from "../../plugins/sync/rsync/versioned.js";
import { stampTime, utcStamp } from "../../plugins/sync/rsync/stamp.js";
import { compareSums } from "../../plugins/sync/rsync/verify.js";
import type { SnapshotInfo } from "../../core/types.js";

const version = (id: string, complete = true): SnapshotInfo =>
  ({ id, time: stampTime(id)!.toISOString(), type: "incremental", files: 0, sourceBytes: 0, storedBytes: 0, volumes: 0, complete });

describe("rsync plugin, pure parts", () => {
  it("names snapshots by UTC time in ISO basic form and reads them back", () => {
    const when = new Date("2026-11-23T14:25:01.456Z");
    expect(utcStamp(when)).toBe("20261123T142501Z");
    expect(stampTime("20261123T142501Z")!.toISOString()).toBe("2026-11-23T14:25:01.000Z");
    expect(stampTime("2026-11-23")).toBeUndefined();
  });

  it("reads rsync --stats (3.2 format, --no-human-readable)", () => {
    const stats = parseStats(`
Number of files: 12 (reg: 9, dir: 3)
Number of created files: 2 (reg: 1, dir: 1)
Number of deleted files: 1 (reg: 1)
Number of regular files transferred: 3
Total file size: 303086 bytes
Total transferred file size: 152 bytes
Total bytes sent: 885
`);
    expect(stats).toMatchObject({ files: 12, regularFiles: 9, createdFiles: 1, deletedFiles: 1, transferredFiles: 3, totalFileSize: 303086, transferredFileSize: 152, bytesSent: 885 });
  });

  it("lays over files/ every complete version newer than the time asked for, newest first", () => {
    const versions = [version("20261101T000000Z"), version("20261110T000000Z"), version("20261120T000000Z"), version("20261121T000000Z", false)];
    expect(overlaysFor(versions, new Date("2026-11-05T00:00:00Z")).map((v) => v.id)).toEqual(["20261120T000000Z", "20261110T000000Z"]);
    expect(overlaysFor(versions, new Date("2026-11-20T00:00:00Z"))).toEqual([]);
  });

  it("reads sha256sum output, escaped names included, and lists differences file by file", () => {
    const a = "a".repeat(64);
    const b = "b".repeat(64);
    const sums = parseSha256sum(`${a}  ./plain\n\\${b}  ./new\\nline\n`);
    expect([...sums.entries()]).toEqual([["./plain", a], ["./new\nline", b]]);
    const problems = compareSums(new Map([["./x", a], ["./y", a]]), new Map([["./x", b], ["./z", a]]), { expected: "here", actual: "the backup" }, "file");
    expect(problems.map((p) => `${p.name}: ${p.detail.split(" (")[0]}`)).toEqual(["./x: SHA-256 differs", "./y: missing in the backup", "./z: only in the backup"]);
  });

  it("builds the seed's checksum command, NUL-safe and sorted, skipping rsync's partial folder", () => {
    expect(sha256Script("/srv/b k/files", [".cryptkeep-partial"])).toBe(
      "cd '/srv/b k/files' && find . -path ./.cryptkeep-partial -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum --");
  });
});
