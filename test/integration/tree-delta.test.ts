import { appendFile, chmod, link, mkdir, mkdtemp, readdir, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { buildDelta, buildManifest, TarIndexer, type ManifestFile, type TarIndex } from "../../plugins/sync/tar-incremental/index/index.js";
import { deltaEntries, treeAt } from "../../plugins/sync/tar-incremental/chain-state.js";
import { countFiles, MANIFEST_FORMAT, type Manifest } from "../../plugins/sync/tar-incremental/manifest.js";
import { runTree } from "../../plugins/sync/tar-incremental/run-tree.js";
import { StateCache } from "../../plugins/sync/tar-incremental/state-cache.js";

const dirs: string[] = [];
afterAll(async () => { for (const dir of dirs) await rm(dir, { recursive: true, force: true }); });

async function incremental(src: string, snar: string): Promise<TarIndex> {
  const tar = execa("tar", ["--create", "--file=-", "--format=gnu", `--listed-incremental=${snar}`, "--exclude=*.tmp", "-C", src, "."], { buffer: { stdout: false, stderr: true }, encoding: "buffer" });
  const indexer = new TarIndexer();
  await Promise.all([pipeline(tar.stdout, indexer), tar]);
  return indexer.result();
}

/** The fields a later run reads from its parent's tree (everything but where the entry sits in an archive). */
const essence = (files: Iterable<ManifestFile>) =>
  [...files].map(({ path, type, size, mode, mtime, sha256, linkTarget }) => ({ path, type, size, mode, mtime, sha256, linkTarget })).sort((a, b) => (a.path < b.path ? -1 : 1));

function header(id: string, parent: string | undefined): Omit<Manifest, "files"> {
  return {
    format: MANIFEST_FORMAT, id, time: "2026-11-24T00:00:00.000Z", type: parent ? "incremental" : "full", parent, compression: "zstd", volumes: [],
    snar: { name: `${id}.snar.gpg`, size: 1, sha256: "00" }, changes: { added: 0, changed: 0, deleted: 0 }, errors: [], tar: { version: "1.34", args: [] },
  };
}

describe("an incremental's delta straight from tar's index, against the whole-tree build", { timeout: 60_000 }, () => {
  it("gives the same manifest, changes and counts as buildManifest over a chain with renames, deletes, links and new folders; the cache's tree stays the whole tree", async () => {
    const work = await mkdtemp(join(tmpdir(), "cryptkeep-tree-delta-"));
    dirs.push(work);
    const src = join(work, "src");
    const snar = join(work, "chain.snar");
    const cache = new StateCache(join(work, "cache"));
    const w = (p: string, data: string) => writeFile(join(src, p), data);
    for (const d of ["a/b/c", "keep", "proj/inner", "gone/deep"]) await mkdir(join(src, d), { recursive: true });
    for (let i = 0; i < 30; i++) await w(`a/b/c/f${i}.txt`, `file ${i}\n`);
    await w("keep/k.txt", "k\n");
    await w("proj/inner/data.txt", "data\n");
    await w("gone/deep/x.txt", "x\n");
    await w("skip.tmp", "excluded\n");
    await link(join(src, "proj/inner/data.txt"), join(src, "hard.txt"));
    await symlink("keep/k.txt", join(src, "sym"));

    const steps: [string, () => Promise<void>][] = [
      ["no change", async () => undefined],
      ["appends, new folder, deletes, chmod", async () => {
        await appendFile(join(src, "a/b/c/f3.txt"), "more\n");
        await mkdir(join(src, "new/sub"), { recursive: true });
        await w("new/sub/n.txt", "n\n");
        await unlink(join(src, "a/b/c/f7.txt"));
        await chmod(join(src, "keep/k.txt"), 0o600);
        await w("other.tmp", "still excluded\n");
      }],
      ["a folder renamed, with a hardlink's target in it", async () => rename(join(src, "proj"), join(src, "project"))],
      ["no change after a rename", async () => undefined],
      ["a folder tree deleted, a symlink changed", async () => {
        await rm(join(src, "gone"), { recursive: true });
        await unlink(join(src, "sym"));
        await symlink("a/b/c/f1.txt", join(src, "sym"));
      }],
      ["renamed again, a nested folder too", async () => {
        await rename(join(src, "project"), join(src, "proj2"));
        await rename(join(src, "a/b"), join(src, "a/bb"));
      }],
      ["many new files (the cache writes the whole tree again)", async () => {
        await mkdir(join(src, "many"));
        for (let i = 0; i < 60; i++) await w(`many/m${i}.txt`, `m ${i}\n`);
      }],
      ["a change after the rewrite", async () => {
        await rm(join(src, "many/m5.txt"));
        await appendFile(join(src, "proj2/inner/data.txt"), "linked content changed\n");
      }],
    ];

    const fullIndex = await incremental(src, snar);
    let reference = buildManifest(fullIndex, null).files;
    let id = "20261124T000000.000Z";
    await cache.store({ ...header(id, undefined), files: reference }, Buffer.from("snar 0"));
    const chain: Manifest[] = [{ ...header(id, undefined), files: reference }];
    let fastRuns = 0;

    for (const [i, [what, change]] of steps.entries()) {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // tar compares times in whole seconds
      await change();
      const index = await incremental(src, snar);
      const expected = buildManifest(index, reference);
      const parent = { id, tree: await cache.readTree(id), totals: await cache.readTotals(id) };
      expect(essence(parent.tree.entries()), `cache's tree before: ${what}`).toEqual(essence(reference));
      if (buildDelta(index, parent.tree)) fastRuns++;
      const run = runTree(index, parent, false);

      expect(run.files, what).toEqual(deltaEntries(expected.files, expected.changes));
      expect(run.changes, what).toEqual(expected.changes);
      expect(run.totals, what).toEqual(countFiles(expected.files));
      const regular = (files: ManifestFile[], paths: string[]) => files.filter((f) => f.type === "file" && paths.includes(f.path)).length;
      expect([run.newFiles, run.changedFiles, run.deletedFiles], what).toEqual([
        regular(expected.files, expected.changes.added), regular(expected.files, expected.changes.changed), regular(reference, expected.changes.deleted),
      ]);

      const next = `20261124T00000${i + 1}.000Z`;
      await writeFile(join(work, "work.snar"), `snar ${i + 1}`);
      await run.cache(cache, header(next, id), join(work, "work.snar"));
      chain.push({ ...header(next, id), files: run.files, delta: { deleted: run.changes.deleted } });
      expect(essence(treeAt(chain)), `chain of deltas: ${what}`).toEqual(essence(expected.files));
      parent.tree.close();
      reference = expected.files;
      id = next;
    }
    const last = await cache.readTree(id);
    expect(essence(last.entries())).toEqual(essence(reference));
    last.close();
    expect(fastRuns).toBe(steps.length - 2); // the two steps with renames take the whole-tree path
    const kept = (await readdir(join(work, "cache", "manifests"))).sort();
    // The many new files made the deltas outgrow half the tree: that run wrote it whole, the last one appended to it.
    expect(kept).toEqual(["20261124T000007.000Z.files.jsonl", "20261124T000008.000Z.delta.jsonl", "20261124T000008.000Z.state.json"]);
  });

  it("a tree cached by an earlier version (no totals) takes the whole-tree path once and is cached in the current form", async () => {
    const work = await mkdtemp(join(tmpdir(), "cryptkeep-tree-delta-"));
    dirs.push(work);
    const src = join(work, "src");
    const snar = join(work, "chain.snar");
    await mkdir(join(src, "d"), { recursive: true });
    await writeFile(join(src, "d/one.txt"), "1\n");
    const files = buildManifest(await incremental(src, snar), null).files;
    const old = join(work, "cache");
    await mkdir(join(old, "manifests"), { recursive: true });
    await mkdir(join(old, "snar"), { recursive: true });
    await writeFile(join(old, "manifests", "20261124T000000.000Z.json"), JSON.stringify({ ...header("20261124T000000.000Z", undefined), files }));
    await writeFile(join(old, "snar", "20261124T000000.000Z.snar"), "snar");
    const cache = new StateCache(old);
    expect(await cache.readTotals("20261124T000000.000Z")).toBeUndefined();

    await new Promise((resolve) => setTimeout(resolve, 1100));
    await writeFile(join(src, "d/two.txt"), "2\n");
    const index = await incremental(src, snar);
    const parent = { id: "20261124T000000.000Z", tree: await cache.readTree("20261124T000000.000Z") };
    const run = runTree(index, parent, false);
    const expected = buildManifest(index, files);
    expect(run.files).toEqual(deltaEntries(expected.files, expected.changes));
    await writeFile(join(work, "work.snar"), "snar 1");
    await run.cache(cache, header("20261124T000001.000Z", parent.id), join(work, "work.snar"));
    expect(await cache.readTotals("20261124T000001.000Z")).toEqual(countFiles(expected.files));
    parent.tree.close();
    const tree = await cache.readTree("20261124T000001.000Z");
    expect(essence(tree.entries())).toEqual(essence(expected.files));
    tree.close();
  });
});
