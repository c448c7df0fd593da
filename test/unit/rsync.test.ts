import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseStats } from "../../plugins/sync/rsync/run-rsync.js";
import { checksumScript, parseChecksums } from "../../plugins/sync/rsync/target-fs.js";
import { overlaysFor } from "../../plugins/sync/rsync/versioned.js";
import { freshStamp, nextFreeStamp, stampTime, utcStamp } from "../../plugins/sync/rsync/stamp.js";
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

  it("gives a folder whose name is taken the next free second, across a minute", () => {
    expect(nextFreeStamp("20261123T142501Z", new Set())).toBe("20261123T142502Z");
    expect(nextFreeStamp("20261123T142559Z", new Set(["20261123T142600Z", "20261123T142601Z"]))).toBe("20261123T142602Z");
  });

  it("stamps a run now, or waits for the first second no folder of the target holds", async () => {
    const now = utcStamp();
    const next = nextFreeStamp(now, new Set());
    const taken = new Set([now, next]);
    const { stamp, started } = await freshStamp(taken);
    expect(taken.has(stamp)).toBe(false);
    expect(stamp > next).toBe(true);
    expect(utcStamp(new Date(started))).toBe(stamp);
    expect((await freshStamp(new Set())).stamp >= stamp).toBe(true);
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
    expect(stats).toMatchObject({ folders: 3, createdFolders: 1, deletedFolders: 0 });
    const onlyFolders = parseStats("Number of files: 1,203 (dir: 1,203)\nNumber of created files: 0\n");
    expect(onlyFolders).toMatchObject({ files: 1203, regularFiles: 0, folders: 1203, createdFiles: 0, createdFolders: 0 });
  });

  it("lays over files/ every complete version newer than the time asked for, newest first", () => {
    const versions = [version("20261101T000000Z"), version("20261110T000000Z"), version("20261120T000000Z"), version("20261121T000000Z", false)];
    expect(overlaysFor(versions, new Date("2026-11-05T00:00:00Z")).map((v) => v.id)).toEqual(["20261120T000000Z", "20261110T000000Z"]);
    expect(overlaysFor(versions, new Date("2026-11-20T00:00:00Z"))).toEqual([]);
  });

  it("reads b2sum and sha256sum output, escaped names included, and lists differences file by file", () => {
    const a = "a".repeat(128);
    const b = "b".repeat(128);
    const blake = parseChecksums(`# b2sum\n${a}  ./plain\n\\${b}  ./new\\nline\n`);
    expect(blake.tool).toBe("b2sum");
    expect([...blake.sums.entries()]).toEqual([["./plain", a], ["./new\nline", b]]);
    const sha = parseChecksums(`# sha256sum\n${"c".repeat(64)}  ./plain\n`);
    expect(sha).toEqual({ tool: "sha256sum", sums: new Map([["./plain", "c".repeat(64)]]) });
    const problems = compareSums({ tool: "b2sum", sums: new Map([["./x", a], ["./y", a]]) }, { tool: "b2sum", sums: new Map([["./x", b], ["./z", a]]) }, { expected: "here", actual: "the backup" }, "file");
    expect(problems.map((p) => `${p.name}: ${p.detail.split(" (")[0]}`)).toEqual(["./x: BLAKE2b differs", "./y: missing in the backup", "./z: only in the backup"]);
  });

  it("builds the seed's checksum command, NUL-safe and sorted, skipping rsync's partial folder; on a server, b2sum where it exists", () => {
    expect(checksumScript("/srv/b k/files", [".cryptkeep-partial"], "b2sum")).toBe(
      `S=b2sum; echo "# $S" && cd '/srv/b k/files' && find . -path ./.cryptkeep-partial -prune -o -type f -print0 | xargs -0 -r "$S" --`);
    expect(checksumScript("/srv", [], "best")).toMatch(/^if command -v b2sum >\/dev\/null 2>&1; then S=b2sum; else S=sha256sum; fi; echo "# \$S" && cd \/srv && find \. -type f/);
  });

  it("sums a real folder with either tool, and names the tool it used", () => {
    const dir = mkdtempSync(join(tmpdir(), "cryptkeep-sums-"));
    writeFileSync(join(dir, "a file"), "hello\n");
    const run = (tool: "b2sum" | "sha256sum" | "best") => parseChecksums(execFileSync("sh", ["-c", checksumScript(dir, [], tool)], { encoding: "utf8" }));
    expect(run("b2sum").sums.get("./a file")).toBe(createHash("blake2b512").update("hello\n").digest("hex"));
    expect(run("sha256sum")).toEqual({ tool: "sha256sum", sums: new Map([["./a file", createHash("sha256").update("hello\n").digest("hex")]]) });
    expect(run("best").tool).toBe("b2sum");
    // A server whose coreutils predate b2sum: only find, sort, xargs and sha256sum on its PATH.
    const bin = mkdtempSync(join(tmpdir(), "cryptkeep-oldbin-"));
    for (const tool of ["find", "sort", "xargs", "sha256sum"]) symlinkSync(execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), join(bin, tool));
    const old = parseChecksums(execFileSync("/bin/sh", ["-c", checksumScript(dir, [], "best")], { encoding: "utf8", env: { PATH: bin } }));
    expect(old).toEqual({ tool: "sha256sum", sums: new Map([["./a file", createHash("sha256").update("hello\n").digest("hex")]]) });
    rmSync(dir, { recursive: true });
    rmSync(bin, { recursive: true });
  });
});
