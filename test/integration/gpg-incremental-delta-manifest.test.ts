import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { appendFile, chmod, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { json, ok, ROOT, scratchDir, workspace, writeConfig, type Workspace } from "../helpers/cli.js";
import { tree, type Tree } from "../helpers/tree.js";

interface SnapshotRow { id: string; type: string; files: number; complete: boolean }
const snapshots = async (ws: Workspace) => json<{ jobs: { result: SnapshotRow[] }[] }>(await ok(ws, ["snapshots", "documents", "--json"])).jobs[0]!.result;
const manifestFile = (ws: Workspace, id: string) => join(ws.vault, "snapshots", id, "manifest.json.gpg");

/** The encrypted manifest, decrypted with the real gpg and the private key. */
async function decryptManifest(ws: Workspace, id: string): Promise<{ files: { path: string }[]; delta?: { deleted: string[] } }> {
  const home = await scratchDir("cryptkeep-gnupg-");
  await chmod(home, 0o700);
  const gpg = ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0"];
  try {
    await execa("gpg", [...gpg, "--import", join(ws.keys, "backup.sec.asc")], { input: ws.passphrase });
    const { stdout } = await execa("gpg", [...gpg, "--quiet", "--decrypt", manifestFile(ws, id)], { input: ws.passphrase });
    return JSON.parse(stdout) as { files: { path: string }[]; delta?: { deleted: string[] } };
  } finally {
    await execa("gpgconf", ["--homedir", home, "--kill", "gpg-agent"]).catch(() => undefined);
  }
}

async function restoreAt(ws: Workspace, id: string, extra: string[] = []): Promise<Tree> {
  const out = await scratchDir("cryptkeep-restore-");
  await rm(out, { recursive: true, force: true });
  await ok(ws, ["restore", "documents", "--to", out, "--at", id, ...extra]);
  return tree(out);
}

/** Only the entries of `full` under `path` (the path itself included). */
function under(full: Tree, path: string): Tree {
  return Object.fromEntries(Object.entries(full).filter(([p]) => p === path || p.startsWith(`${path}/`) || path.startsWith(`${p}/`)));
}

describe("gpgIncremental: an incremental's manifest is a delta against its parent", () => {
  it("a no-change run stores a manifest of a few hundred bytes, whatever the size of the tree", async () => {
    const ws = await workspace({ compression: "zstd" });
    for (let d = 0; d < 40; d++) {
      await mkdir(join(ws.source, `dir-${d}`));
      for (let f = 0; f < 50; f++) await writeFile(join(ws.source, `dir-${d}`, `file-${f}.txt`), `${d}/${f}\n`);
    }
    await ok(ws, ["backup", "documents"]);
    await ok(ws, ["backup", "documents"]);
    const [full, none] = await snapshots(ws);
    expect([full!.type, none!.type, none!.files]).toEqual(["full", "incremental", 2000]);
    const fullSize = (await stat(manifestFile(ws, full!.id))).size;
    const noneSize = (await stat(manifestFile(ws, none!.id))).size;
    expect(fullSize).toBeGreaterThan(100_000);
    expect(noneSize).toBeLessThan(2_000);
    const manifest = await decryptManifest(ws, none!.id);
    expect(manifest.files).toEqual([]);
    expect(manifest.delta).toEqual({ deleted: [] });

    await appendFile(join(ws.source, "dir-3/file-7.txt"), "changed\n");
    await rm(join(ws.source, "dir-5/file-1.txt"));
    await ok(ws, ["backup", "documents"]);
    const changed = await decryptManifest(ws, (await snapshots(ws)).at(-1)!.id);
    expect(changed.files.map((f) => f.path).sort()).toEqual(["dir-3/file-7.txt", "dir-5"]);
    expect(changed.delta).toEqual({ deleted: ["dir-5/file-1.txt"] });
  });

  it("restores every point of a chain of adds, changes, deletes and renames, whole and with --path", async () => {
    const ws = await workspace({ volumeSize: "64KiB", compression: "zstd" });
    const src = ws.source;
    const states: Tree[] = [];
    await mkdir(join(src, "keep/inner"), { recursive: true });
    await writeFile(join(src, "keep/inner/same.txt"), "unchanged since the full\n");
    await writeFile(join(src, "grows.txt"), "one\n");
    await writeFile(join(src, "goes.txt"), "deleted in the second\n");
    await writeFile(join(src, "big.txt"), "x".repeat(300_000));
    await ok(ws, ["backup", "documents"]);
    states.push(await tree(src));

    await appendFile(join(src, "grows.txt"), "two\n");
    await rm(join(src, "goes.txt"));
    await mkdir(join(src, "later"));
    await writeFile(join(src, "later/new.txt"), "made in the second\n");
    await ok(ws, ["backup", "documents"]);
    states.push(await tree(src));

    await ok(ws, ["backup", "documents"]);
    states.push(await tree(src));

    await rename(join(src, "keep/inner"), join(src, "keep/moved"));
    await writeFile(join(src, "goes.txt"), "back again\n");
    await rm(join(src, "big.txt"));
    await ok(ws, ["backup", "documents"]);
    states.push(await tree(src));

    const list = await snapshots(ws);
    expect(list.map((s) => s.type)).toEqual(["full", "incremental", "incremental", "incremental"]);
    for (const [i, s] of list.entries()) {
      expect(await restoreAt(ws, s.id)).toEqual(states[i]);
      expect(s.files).toBe(Object.values(states[i]!).filter((v) => v.startsWith("file")).length);
    }
    // A file stored only in the full, through three deltas; a folder made in the second snapshot.
    expect(await restoreAt(ws, list[2]!.id, ["--path", "keep/inner/same.txt"])).toEqual(under(states[2]!, "keep/inner/same.txt"));
    expect(await restoreAt(ws, list[2]!.id, ["--path", "later"])).toEqual(under(states[2]!, "later"));
    // A folder renamed in the fourth: its file is in the full, under the old name.
    expect(await restoreAt(ws, list[3]!.id, ["--path", "keep/moved"])).toEqual(under(states[3]!, "keep/moved"));
    const verify = json<{ exitCode: number; jobs: { result: { problems: unknown[] } }[] }>(await ok(ws, ["verify", "documents", "--compare", "--json"]));
    expect(verify.jobs[0]!.result.problems).toEqual([]);
  });

  it("--path restores a folder renamed after the archive that holds its files, at both snapshots", async () => {
    const ws = await workspace({ compression: "zstd" });
    await mkdir(join(ws.source, "a/deep"), { recursive: true });
    await writeFile(join(ws.source, "a/one.txt"), "first file\n");
    await writeFile(join(ws.source, "a/deep/two.txt"), "second file, one level down\n");
    await writeFile(join(ws.source, "other.txt"), "outside the folder\n");
    await ok(ws, ["backup", "documents"]);
    const before = await tree(ws.source);
    await rename(join(ws.source, "a"), join(ws.source, "b"));
    await ok(ws, ["backup", "documents"]);
    const after = await tree(ws.source);
    const [full, renamed] = await snapshots(ws);
    expect(renamed!.type).toBe("incremental");

    const parent = await scratchDir("cryptkeep-test-");
    const out = join(parent, "out");
    const restored = await ok(ws, ["restore", "documents", "--to", out, "--path", "b"]);
    expect(restored.stdout).toMatch(/\(2 files,/);
    expect(await tree(out)).toEqual(under(after, "b"));
    expect(await readFile(join(out, "b/deep/two.txt"), "utf8")).toBe("second file, one level down\n");
    expect(await restoreAt(ws, renamed!.id, ["--path", "b/deep/two.txt"])).toEqual(under(after, "b/deep/two.txt"));
    expect(await restoreAt(ws, full!.id, ["--path", "a"])).toEqual(under(before, "a"));
    // Nothing of the whole-chain restore is left beside the target.
    expect(await readdir(parent)).toEqual(["out"]);
  });

  it("backups written before deltas (the whole tree in every manifest) still list, restore, verify and take a new incremental", async () => {
    const fixture = join(ROOT, "test/fixtures/gpg-incremental-before-deltas");
    const expected = JSON.parse(await readFile(join(fixture, "expected.json"), "utf8")) as { id: string; tree: Tree }[];
    const dir = await scratchDir("cryptkeep-test-");
    const ws: Workspace = {
      dir, source: join(dir, "Documents"), vault: join(dir, "vault"), cache: join(dir, "cache"), keys: join(dir, "keys"),
      passphrase: "correct horse battery staple", config: join(dir, "backup.config.ts"),
    };
    await cp(join(fixture, "vault"), ws.vault, { recursive: true });
    await cp(join(fixture, "keys"), ws.keys, { recursive: true });
    // git keeps no modes beyond the executable bit: the private key comes out 644, which cryptkeep refuses.
    await chmod(join(ws.keys, "backup.sec.asc"), 0o600);
    await writeConfig(ws, { volumeSize: "64KiB", compression: "zstd", exclude: [] });

    expect((await snapshots(ws)).map((s) => [s.id, s.complete])).toEqual(expected.map((e) => [e.id, true]));
    for (const { id, tree: want } of expected) expect(await restoreAt(ws, id)).toEqual(want);
    const verify = json<{ jobs: { result: { problems: unknown[]; files: number } }[] }>(await ok(ws, ["verify", "documents", "--json"]));
    expect(verify.jobs[0]!.result.problems).toEqual([]);

    // No local state: the new incremental rebuilds it from the old manifests at the target.
    await ok(ws, ["restore", "documents", "--to", ws.source]);
    await writeFile(join(ws.source, "docs/e.txt"), "echo\n");
    await rm(join(ws.source, "later"), { recursive: true });
    const backup = await ok(ws, ["backup", "documents"]);
    expect(backup.stdout).toMatch(/\(incremental\)/);
    expect(backup.stdout).toMatch(/DeletedFiles\s+1/);
    const newest = (await snapshots(ws)).at(-1)!;
    expect(await restoreAt(ws, newest.id)).toEqual(await tree(ws.source));
  });
});
