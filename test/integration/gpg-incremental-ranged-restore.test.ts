import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { cli, ok, workspace, type Workspace } from "../helpers/cli.js";
import { tree, type Tree } from "../helpers/tree.js";
import { completeIds, expectFailure, filesUnder, removeWorkspace } from "../helpers/failures.js";
import { decryptBytes, readDecryptionKey } from "../../plugins/encryption/openpgp/index.js";

/** What a test needs of a snapshot's manifest: where its volumes and members lie in its tar stream. */
interface Archive {
  id: string;
  volumes: { name: string; tarStart: number; tarEnd: number }[];
  files: { path: string; type: string; size: number; inArchive: boolean; tarStart?: number; tarEnd?: number }[];
}

const FOLDERS = ["letters", "photos", "scans"];
/** Every fourth file 30-150 KB, the rest 0.5-12.5 KB: with 100 KiB volumes, about a dozen of them, big files across their boundaries. */
const SIZES = Array.from({ length: 40 }, (_, i) => (i % 4 === 1 ? 30_000 + ((i * 7919) % 120_000) : 500 + ((i * 613) % 12_000)));
const nameOf = (i: number) => `${FOLDERS[i % FOLDERS.length]}/item ${String(i).padStart(2, "0")}.bin`;
const LINK = "latest scan";
/** The largest file changes in the incremental, with a small one; one file is added. */
const CHANGED_BIG = nameOf(SIZES.indexOf(Math.max(...SIZES)));
const CHANGED_SMALL = nameOf(0);
const ADDED = "letters/added.bin";

/** The line of one decryption run (`--debug`), whatever it is piped into. */
const DECRYPT = /^.*run: \S*gpg .*--decrypt\b.*$/gm;
/** A decryption cut by dd to the bytes between two offsets, sent into tar (ranged-extract.ts). */
const CUT_INTO_TAR = /run: \S*gpg .*--decrypt \| zstd -q -d -c - \| dd bs=256K iflag=fullblock(,skip_bytes)?,count_bytes (skip=\d+ )?count=\d+ \(into a running command's stdin\)/;

async function readManifest(ws: Workspace, id: string): Promise<Archive> {
  const key = await readDecryptionKey(await readFile(join(ws.keys, "backup.sec.asc"), "utf8"), ws.passphrase);
  const bytes = await decryptBytes(await readFile(join(ws.vault, "snapshots", id, "manifest.json.gpg")), key);
  return JSON.parse(Buffer.from(bytes).toString("utf8")) as Archive;
}

/** The volumes (indexes) holding `path`'s member in `archive`, its data padded to tar's 512-byte blocks; none when the archive does not hold it. */
function volumesHolding(archive: Archive, path: string): number[] {
  const entry = archive.files.find((f) => f.path === path && f.inArchive);
  if (entry?.tarStart === undefined || entry.tarEnd === undefined) return [];
  const end = Math.ceil(entry.tarEnd / 512) * 512;
  return archive.volumes.flatMap((v, k) => (v.tarStart < end && entry.tarStart! < v.tarEnd ? [k] : []));
}

function flipByte(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const at = Math.floor(copy.length / 2);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

/**
 * `restore --path` of files and symlinks from zstd volumes, with gpg and GNU dd here, reads only
 * the volumes holding them, each cut by `dd skip= count=` to the members' bytes and checked against
 * the manifest first; a folder still reads its archives whole.
 */
describe("gpgIncremental restore --path of files: only the volumes holding them, cut to their bytes by dd", () => {
  let ws: Workspace;
  let full: Archive;
  let incremental: Archive;
  let expected: Tree;
  let out = 0;
  const freshDir = () => join(ws.dir, `out-${++out}`);

  beforeAll(async () => {
    ws = await workspace({ compression: "zstd", volumeSize: "100KiB" });
    for (const folder of FOLDERS) await mkdir(join(ws.source, folder));
    for (const [i, size] of SIZES.entries()) await writeFile(join(ws.source, nameOf(i)), randomBytes(size));
    await symlink(nameOf(2), join(ws.source, LINK));
    await ok(ws, ["backup", "documents"]);
    await writeFile(join(ws.source, CHANGED_BIG), randomBytes(Math.max(...SIZES) - 777));
    await writeFile(join(ws.source, CHANGED_SMALL), randomBytes(9_000));
    await writeFile(join(ws.source, ADDED), randomBytes(40_000));
    const second = await ok(ws, ["backup", "documents", "--json"]);
    expect(JSON.parse(second.stdout).jobs[0].result).toMatchObject({ type: "incremental", newFiles: 1, changedFiles: 2, deletedFiles: 0 });
    expected = await tree(ws.source);
    const [fullId, incrementalId] = await completeIds(ws);
    full = await readManifest(ws, fullId!);
    incremental = await readManifest(ws, incrementalId!);
    expect(full.volumes.length, "random files barely shrink: about a dozen 100 KiB volumes").toBeGreaterThanOrEqual(8);
  });
  afterAll(() => removeWorkspace(ws));

  /** Unchanged files of the full, with the volumes holding each. */
  const unchanged = () => full.files
    .filter((f) => f.type === "file" && f.path !== CHANGED_BIG && f.path !== CHANGED_SMALL)
    .map((f) => ({ path: f.path, size: f.size, start: f.tarStart!, volumes: volumesHolding(full, f.path) }));

  /**
   * Restores `paths` into a fresh folder with --debug: the folder holds exactly those files, each
   * as in the source; at least one decryption is cut with count_bytes; returns the decryptions run.
   */
  async function restoreRanged(paths: string[]): Promise<string[]> {
    const to = freshDir();
    const restore = await ok(ws, ["--debug", "restore", "documents", "--to", to, ...paths.flatMap((p) => ["--path", p])]);
    expect((await filesUnder(to)).sort()).toEqual([...paths].sort());
    const restored = await tree(to);
    for (const path of paths) expect(restored[path], path).toEqual(expected[path]);
    expect(restore.stderr).toMatch(CUT_INTO_TAR);
    return restore.stderr.match(DECRYPT) ?? [];
  }

  it("a small file inside a middle volume: that volume alone is decrypted, dd skipping to the file and stopping after it", async () => {
    const n = full.volumes.length;
    const inside = (f: ReturnType<typeof unchanged>[number]) => f.volumes.length === 1 && f.volumes[0]! > 0 && f.volumes[0]! < n - 1 && f.start > full.volumes[f.volumes[0]!]!.tarStart;
    const small = unchanged().find((f) => f.size < 20_000 && inside(f));
    expect(small, "a small file within one middle volume of the full, not at its start").toBeDefined();
    const decrypts = await restoreRanged([small!.path]);
    expect(decrypts).toHaveLength(1);
    expect(decrypts[0]).toMatch(/\| dd bs=256K iflag=fullblock,skip_bytes,count_bytes skip=\d+ count=\d+ \(into a running command's stdin\)$/);
  });

  it("a file over 100 KiB, across a volume boundary: only the volumes holding it are decrypted", async () => {
    const big = unchanged().find((f) => f.size > 100 * 1024);
    expect(big, "an unchanged file over 100 KiB").toBeDefined();
    expect(big!.volumes.length, "a file larger than a volume spans two or more").toBeGreaterThanOrEqual(2);
    const decrypts = await restoreRanged([big!.path]);
    expect(decrypts).toHaveLength(big!.volumes.length);
    expect(decrypts.length).toBeLessThan(full.volumes.length);
  });

  it("a file changed in the incremental: its volumes of each archive, and the incremental's content", async () => {
    const reads = volumesHolding(full, CHANGED_BIG).length + volumesHolding(incremental, CHANGED_BIG).length;
    expect(volumesHolding(incremental, CHANGED_BIG).length, "the incremental holds the new content").toBeGreaterThan(0);
    const decrypts = await restoreRanged([CHANGED_BIG]);
    expect(decrypts).toHaveLength(reads);
    expect(decrypts.length).toBeLessThan(full.volumes.length);
  });

  it("a symlink: restored with its target, from the one volume holding it", async () => {
    expect(expected[LINK]).toBe(`symlink ${nameOf(2)}`);
    const decrypts = await restoreRanged([LINK]);
    expect(decrypts).toHaveLength(volumesHolding(full, LINK).length);
    expect(decrypts).toHaveLength(1);
  });

  it("two --path at once, in volumes apart in the middle of the full: both restored, fewer volumes decrypted than the full has", async () => {
    const n = full.volumes.length;
    const files = unchanged()
      .filter((f) => f.size < 20_000 && f.volumes.length === 1 && f.volumes[0]! > 0 && f.volumes[0]! < n - 1)
      .sort((a, b) => a.volumes[0]! - b.volumes[0]!);
    const first = files[0]!;
    const last = files.at(-1)!;
    expect(last.volumes[0]! - first.volumes[0]!, "files at least two volumes apart").toBeGreaterThanOrEqual(2);
    const decrypts = await restoreRanged([first.path, last.path]);
    // Members close together are read as one range (tar skips those between by name): at least
    // their two volumes, at most every volume from the first's to the last's.
    expect(decrypts.length).toBeGreaterThanOrEqual(2);
    expect(decrypts.length).toBeLessThanOrEqual(last.volumes[0]! - first.volumes[0]! + 1);
    expect(decrypts.length).toBeLessThan(full.volumes.length);
  });

  it("damage in a volume not holding the file does not matter; in the volume holding it, exit 4 naming it and nothing restored", async () => {
    const last = full.volumes.at(-1)!;
    const wanted = unchanged().find((f) => f.volumes.length === 1 && f.volumes[0] === 0);
    expect(wanted, "an unchanged file within the full's first volume").toBeDefined();
    const first = full.volumes[0]!;
    const lastFile = join(ws.vault, last.name);
    const firstFile = join(ws.vault, first.name);
    const lastBytes = await readFile(lastFile);
    const firstBytes = await readFile(firstFile);
    const damaged = (volume: string) => new RegExp(`snapshot ${full.id}: volume ${volume.replace(/[.]/g, "\\.")} \\(SHA-256 differs from the manifest \\(damaged or tampered with\\)\\) does not match its manifest`);
    const hint = "restore another snapshot, or from another copy of the volume";
    try {
      await writeFile(lastFile, flipByte(lastBytes));
      // The damage is real: a whole restore reads that volume and fails on it.
      expectFailure(await cli(ws, ["restore", "documents", "--to", freshDir()]), 4, damaged(last.name), hint);
      const to = freshDir();
      await ok(ws, ["restore", "documents", "--to", to, "--path", wanted!.path]);
      expect(await filesUnder(to)).toEqual([wanted!.path]);
      expect((await tree(to))[wanted!.path]).toEqual(expected[wanted!.path]);

      await writeFile(firstFile, flipByte(firstBytes));
      const refused = freshDir();
      const restore = await cli(ws, ["restore", "documents", "--to", refused, "--path", wanted!.path]);
      expectFailure(restore, 4, damaged(first.name), hint);
      expect(await filesUnder(refused), "no file, let alone part of the wanted one").toEqual([]);
    } finally {
      await writeFile(lastFile, lastBytes);
      await writeFile(firstFile, firstBytes);
    }
  });

  it("a folder --path reads its archives whole, without dd, and restores the folder exactly as the source has it", async () => {
    const to = freshDir();
    const restore = await ok(ws, ["--debug", "restore", "documents", "--to", to, "--path", "letters"]);
    const restored = await tree(to);
    const inFolder = (t: Tree) => Object.fromEntries(Object.entries(t).filter(([path]) => path === "letters" || path.startsWith("letters/")));
    expect(restored).toEqual(inFolder(expected));
    expect(Object.keys(restored)).toEqual(expect.arrayContaining([CHANGED_SMALL, ADDED]));
    expect(restore.stderr).not.toMatch(/count_bytes/);
    expect(restore.stderr).not.toMatch(/\| dd /);
    expect(restore.stderr.match(DECRYPT)).toHaveLength(full.volumes.length + incremental.volumes.length);
  });
});
