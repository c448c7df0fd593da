import { afterAll, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StateCache } from "../../plugins/sync/tar-incremental/state-cache.js";
import { MANIFEST_FORMAT, type Manifest } from "../../plugins/sync/tar-incremental/manifest.js";

const dirs: string[] = [];
afterAll(async () => { for (const dir of dirs) await rm(dir, { recursive: true, force: true }); });

function manifest(id: string, count: number): Manifest {
  return {
    format: MANIFEST_FORMAT, id, time: "2026-11-23T00:00:00.000Z", type: "full", compression: "zstd", volumes: [],
    snar: { name: "snar.gpg", size: 1, sha256: "00" }, changes: { added: count, changed: 0, deleted: 0 }, errors: [],
    tar: { version: "1.34", args: [] },
    files: Array.from({ length: count }, (_, i) => ({ path: `dir/file ${i} \n "quoted"`, type: "file" as const, size: i, mode: 0o644, mtime: i, sha256: "ab", inArchive: true, tarStart: i, tarEnd: i + 1 })),
  };
}

describe("StateCache: the newest snapshot's tree and .snar on the source machine", () => {
  it("keeps the tree one entry a line and reads back the same manifest; only the newest state stays", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cryptkeep-cache-"));
    dirs.push(dir);
    const cache = new StateCache(dir);
    await cache.store(manifest("20261123T000000.000Z", 3), Buffer.from("old snar"));
    const newest = manifest("20261123T010000.000Z", 5000);
    await cache.store(newest, Buffer.from("snar"));
    expect(await cache.has(newest.id)).toBe(true);
    expect(await cache.has("20261123T000000.000Z")).toBe(false);
    expect(await cache.readManifest(newest.id)).toEqual(newest);
    expect((await readdir(join(dir, "manifests"))).sort()).toEqual([`${newest.id}.files.jsonl`, `${newest.id}.state.json`]);
    expect(await cache.readTotals(newest.id)).toEqual({ files: 5000, bytes: (4999 * 5000) / 2 });
  });

  it("reads a cache written by earlier versions (the whole manifest in one <id>.json)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cryptkeep-cache-"));
    dirs.push(dir);
    const old = manifest("20261123T020000.000Z", 10);
    await mkdir(join(dir, "manifests"), { recursive: true });
    await mkdir(join(dir, "snar"), { recursive: true });
    await writeFile(join(dir, "manifests", `${old.id}.json`), JSON.stringify(old));
    await writeFile(join(dir, "snar", `${old.id}.snar`), "snar");
    const cache = new StateCache(dir);
    expect(await cache.has(old.id)).toBe(true);
    expect(await cache.readManifest(old.id)).toEqual(old);
  });

  it("reads a cache written by the version before (the tree in <id>.files.jsonl next to <id>.header.json), which kept no totals", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cryptkeep-cache-"));
    dirs.push(dir);
    const old = manifest("20261123T030000.000Z", 20);
    const { files, ...header } = old;
    await mkdir(join(dir, "manifests"), { recursive: true });
    await mkdir(join(dir, "snar"), { recursive: true });
    await writeFile(join(dir, "manifests", `${old.id}.header.json`), JSON.stringify(header));
    await writeFile(join(dir, "manifests", `${old.id}.files.jsonl`), files.map((f) => JSON.stringify(f) + "\n").join(""));
    await writeFile(join(dir, "snar", `${old.id}.snar`), "snar");
    const cache = new StateCache(dir);
    expect(await cache.has(old.id)).toBe(true);
    expect(await cache.readManifest(old.id)).toEqual(old);
    expect(await cache.readTotals(old.id)).toBeUndefined();
  });

  it("reads every kind of entry back by path from the whole tree: folders, files, links, names with quotes and newlines", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cryptkeep-cache-"));
    dirs.push(dir);
    const base = manifest("20261123T040000.000Z", 0);
    const files: Manifest["files"] = [
      { path: "a", type: "dir", size: 0, mode: 0o755, mtime: 1, inArchive: true, tarStart: 0, tarEnd: 512 },
      { path: 'a/dir "q"\n', type: "dir", size: 0, mode: 0o700, mtime: 2, inArchive: true, tarStart: 512, tarEnd: 1024 },
      { path: 'a/dir "q"\n/f","type":"dir"', type: "file", size: 3, mode: 0o644, mtime: 3, sha256: "cd", inArchive: true, tarStart: 1024, tarEnd: 2048 },
      { path: "a/link", type: "symlink", size: 0, mode: 0o777, mtime: 4, linkTarget: "dir", inArchive: true, tarStart: 2048, tarEnd: 2560 },
    ];
    const cache = new StateCache(dir);
    await cache.store({ ...base, files }, Buffer.from("snar"));
    const tree = await cache.readTree(base.id);
    try {
      expect(tree.size).toBe(files.length);
      for (const f of files) expect(tree.get(f.path)).toEqual(f);
      expect(tree.has("a/dir")).toBe(false);
      expect(tree.get("a/dir")).toBeUndefined();
    } finally {
      tree.close();
    }
  });
});
