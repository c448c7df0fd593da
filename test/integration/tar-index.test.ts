import { createHash, randomBytes } from "node:crypto";
import { chmod, link, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, symlink, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildManifest, encodeName, filesInRange, TarIndexer, type ManifestFile, type TarIndex } from "../../plugins/sync/tar-incremental/index/index.js";

// ---------- helpers ----------

interface Archive {
  raw: Buffer;
  index: TarIndex;
}

/** Runs GNU tar with its archive on stdout, tees the bytes and indexes them as they flow. */
async function tarToIndexer(args: string[]): Promise<Archive> {
  const tar = execa("tar", ["--create", "--file=-", ...args], { buffer: { stdout: false, stderr: true }, encoding: "buffer" });
  const chunks: Buffer[] = [];
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb(null, chunk);
    },
  });
  const indexer = new TarIndexer();
  await Promise.all([pipeline(tar.stdout, tee, indexer), tar]);
  return { raw: Buffer.concat(chunks), index: await indexer.result() };
}

function gnuIncremental(src: string, snar: string, extra: string[] = []): Promise<Archive> {
  return tarToIndexer([`--listed-incremental=${snar}`, ...extra, "-C", src, "."]);
}

async function indexBytes(chunks: Iterable<Buffer>): Promise<TarIndex> {
  const indexer = new TarIndexer();
  await pipeline(Readable.from(chunks), indexer);
  return indexer.result();
}

interface Seen {
  path: string;
  type: "file" | "dir" | "symlink" | "other";
  size: number;
  mode: number;
  mtime: number;
  sha256?: string;
  linkTarget?: string;
  ino: bigint;
  content?: Buffer;
}

/** A fresh lstat walk of the tree: what a manifest of it must say. mtime in whole seconds (gnu format) or ms (pax). */
async function walk(root: string, precision: "s" | "ms" = "s"): Promise<Map<string, Seen>> {
  const out = new Map<string, Seen>();
  async function visit(rel: string): Promise<void> {
    for (const name of await readdir(join(root, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      const st = await lstat(full, { bigint: true });
      const ms = st.mtimeNs / 1_000_000n;
      const seen: Seen = {
        path,
        type: st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other",
        size: st.isFile() ? Number(st.size) : 0,
        mode: Number(st.mode) & 0o7777,
        mtime: Number(precision === "s" ? (ms / 1000n) * 1000n : ms),
        ino: st.ino,
      };
      if (seen.type === "file") {
        seen.content = await readFile(full);
        seen.sha256 = sha256(seen.content);
      }
      if (seen.type === "symlink") seen.linkTarget = await readlink(full);
      out.set(path, seen);
      if (seen.type === "dir") await visit(path);
    }
  }
  await visit("");
  return out;
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The manifest fields a walk can see; a hardlink is a file with its target's content. */
function fromManifest(files: ManifestFile[]) {
  return files.map((f) => ({
    path: f.path,
    type: f.type === "hardlink" ? "file" : f.type,
    size: f.size,
    mode: f.mode,
    mtime: f.mtime,
    sha256: f.sha256,
    linkTarget: f.type === "symlink" ? f.linkTarget : undefined,
  }));
}

function fromWalk(seen: Map<string, Seen>) {
  return [...seen.values()]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((s) => ({ path: s.path, type: s.type, size: s.size, mode: s.mode, mtime: s.mtime, sha256: s.sha256, linkTarget: s.linkTarget }));
}

/** The added/changed/deleted lists two walks imply. */
function walkChanges(before: Map<string, Seen>, after: Map<string, Seen>) {
  const key = (s: Seen) => JSON.stringify([s.type, s.size, s.mode, s.mtime, s.sha256, s.linkTarget]);
  const sort = (xs: string[]) => xs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    added: sort([...after.keys()].filter((p) => !before.has(p))),
    changed: sort([...after.keys()].filter((p) => before.has(p) && key(before.get(p) as Seen) !== key(after.get(p) as Seen))),
    deleted: sort([...before.keys()].filter((p) => !after.has(p))),
  };
}

function byPath<T extends { path: string }>(items: T[], path: string): T {
  const found = items.find((i) => i.path === path);
  if (!found) throw new Error(`no entry ${path}`);
  return found;
}

/** The bytes at [dataStart, dataStart + size) of the stream are the file as the walk read it. */
function expectSliceIsContent(raw: Buffer, index: TarIndex, seen: Map<string, Seen>): void {
  const files = index.members.filter((m) => m.type === "file");
  expect(files.length).toBeGreaterThan(0);
  for (const m of files) {
    const content = seen.get(m.path)?.content;
    expect(content, m.path).toBeDefined();
    expect(m.dataEnd - m.dataStart, m.path).toBe(m.size);
    expect(raw.subarray(m.dataStart, m.dataStart + m.size).equals(content ?? Buffer.alloc(1)), m.path).toBe(true);
    expect(m.sha256, m.path).toBe(seen.get(m.path)?.sha256);
  }
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "tar-index-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// ---------- the main chain: full backup, then an incremental ----------

const LONG_DIR = `long/${"d".repeat(60)}`;
const LONG_FILE = `${LONG_DIR}/${"f".repeat(80)}.txt`;

describe("GNU tar --listed-incremental chain", { timeout: 60_000 }, () => {
  let src: string;
  let snar: string;
  let full: Archive;
  let walk1: Map<string, Seen>;
  let manifest1: ReturnType<typeof buildManifest>;
  let inc: Archive;
  let walk2: Map<string, Seen>;
  let manifest2: ReturnType<typeof buildManifest>;

  beforeAll(async () => {
    src = join(work, "chain-src");
    snar = join(work, "chain.snar");
    const w = (p: string, data: string | Buffer) => writeFile(join(src, p), data);
    for (const d of ["docs/nested/deep", "data", "empty-dir", "old/sub", "proj/inner", LONG_DIR, "日本語"]) await mkdir(join(src, d), { recursive: true });
    await w("docs/readme.txt", "read me\n");
    await w("docs/delete-me.txt", "bye\n");
    await w("docs/nested/deep/file.bin", randomBytes(10_000));
    await w("big.bin", randomBytes(3 * 1024 * 1024));
    await w("empty.txt", "");
    await w("log.txt", "line 1\n");
    await w("script.sh", "#!/bin/sh\necho hi\n");
    await chmod(join(src, "script.sh"), 0o644);
    await w("data/orig.txt", "shared by two names\n");
    await link(join(src, "data/orig.txt"), join(src, "hard-link.txt"));
    await symlink("docs/readme.txt", join(src, "link-to-readme"));
    await symlink(LONG_FILE, join(src, "long-link"));
    await w(LONG_FILE, "deep and long\n");
    await w("with space.txt", "spaces\n");
    await w("ünïcødé ✓.txt", "unicode\n");
    await w("new\nline.txt", "newline in the name\n");
    await w("日本語/ファイル.txt", "japanese\n");
    await w("old/a.txt", "a\n");
    await w("old/sub/b.txt", "b\n");
    await w("proj/keep.txt", "keep\n");
    await w("proj/inner/keep2.txt", "keep2\n");
    await execa("mkfifo", [join(src, "pipe")]);

    full = await gnuIncremental(src, snar);
    walk1 = await walk(src);
    manifest1 = buildManifest(full.index, null);

    await appendFile(join(src, "log.txt"), "line 2\n");
    await w("docs/added.txt", "new file\n");
    await mkdir(join(src, "newdir"));
    await w("newdir/x.txt", "x\n");
    await rm(join(src, "docs/delete-me.txt"));
    await rm(join(src, "old"), { recursive: true });
    await rename(join(src, "proj"), join(src, "project"));
    await chmod(join(src, "script.sh"), 0o755);

    inc = await gnuIncremental(src, snar);
    walk2 = await walk(src);
    manifest2 = buildManifest(inc.index, manifest1.files);
  });

  it("hashes every regular file as the source has it, with right sizes, modes and types", () => {
    const members = full.index.members;
    expect(members.map((m) => m.path).sort()).toEqual([...walk1.keys()].sort());
    for (const m of members) {
      const s = walk1.get(m.path);
      expect(s, m.path).toBeDefined();
      if (!s) continue;
      expect(m.mode, m.path).toBe(s.mode);
      expect(m.mtime, m.path).toBe(s.mtime);
      if (m.type === "hardlink") {
        expect(s.type).toBe("file");
        expect(walk1.get(m.linkTarget ?? "")?.ino).toBe(s.ino);
        continue;
      }
      expect(m.type, m.path).toBe(s.type);
      expect(m.size, m.path).toBe(s.size);
      expect(m.sha256, m.path).toBe(s.sha256);
      if (m.type === "symlink") expect(m.linkTarget).toBe(s.linkTarget);
    }
    expect(byPath(members, "big.bin").size).toBe(3 * 1024 * 1024);
    expect(byPath(members, "empty.txt")).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect(byPath(members, "pipe").type).toBe("other");
    expect(byPath(members, "empty-dir").type).toBe("dir");
    expect(members.some((m) => m.path === "." || m.path.startsWith("./") || m.path.endsWith("/"))).toBe(false);
    // One name of the hardlinked pair is stored as a file, the other as a link to it.
    const pair = members.filter((m) => m.path === "hard-link.txt" || m.path === "data/orig.txt");
    expect(pair.map((m) => m.type).sort()).toEqual(["file", "hardlink"]);
  });

  it("reads GNU long names ('L') and long link targets ('K'), counting their headers in headerStart", () => {
    const long = byPath(full.index.members, LONG_FILE);
    expect(Buffer.byteLength(LONG_FILE)).toBeGreaterThan(100);
    expect(full.raw[long.headerStart + 156]).toBe("L".charCodeAt(0));
    expect(long.dataStart - long.headerStart).toBeGreaterThanOrEqual(3 * 512);
    const longLink = byPath(full.index.members, "long-link");
    expect(longLink.linkTarget).toBe(LONG_FILE);
    expect(full.raw[longLink.headerStart + 156]).toBe("K".charCodeAt(0));
  });

  it("gives data offsets where the file's bytes are, and accounts for the record padding", () => {
    expectSliceIsContent(full.raw, full.index, walk1);
    expect(full.index.totalBytes).toBe(full.raw.length);
    expect(full.raw.length % 10240).toBe(0);
    expect(full.index.archiveEnd + 1024).toBeLessThanOrEqual(full.raw.length);
    expect(full.raw.subarray(full.index.archiveEnd).every((b) => b === 0)).toBe(true);
    const last = full.index.members.reduce((a, b) => (a.dataEnd > b.dataEnd ? a : b));
    expect(full.index.archiveEnd).toBe(Math.ceil(last.dataEnd / 512) * 512);
  });

  it("records every dumpdir; a full backup flags all files Y and subdirectories D", () => {
    const root = byPath(full.index.dumpdirs, ".");
    expect(root.entries).toContainEqual({ flag: "D", name: "docs" });
    expect(root.entries).toContainEqual({ flag: "Y", name: "new\nline.txt" });
    expect(root.entries).toContainEqual({ flag: "Y", name: "ünïcødé ✓.txt" });
    expect(byPath(full.index.dumpdirs, "empty-dir").entries).toEqual([]);
    const dirs = [...walk1.values()].filter((s) => s.type === "dir").map((s) => s.path);
    expect(full.index.dumpdirs.map((d) => d.path).sort()).toEqual([".", ...dirs].sort());
    for (const d of full.index.dumpdirs) for (const e of d.entries) expect(e.flag === "Y" || e.flag === "D").toBe(true);
  });

  it("builds a full manifest equal to the source tree, all in the archive", () => {
    expect(fromManifest(manifest1.files)).toEqual(fromWalk(walk1));
    expect(manifest1.files.every((f) => f.inArchive && f.tarStart !== undefined && f.tarEnd !== undefined)).toBe(true);
    expect(manifest1.changes).toEqual({ added: [...walk1.keys()].sort(), changed: [], deleted: [] });
    const hard = manifest1.files.filter((f) => f.type === "hardlink");
    expect(hard).toHaveLength(1);
    expect(hard[0]?.sha256).toBe(sha256(Buffer.from("shared by two names\n")));
  });

  it("tar 1.34 writes a directory rename as R/T records in the root dumpdir, unchanged files as N under the new name", () => {
    const root = byPath(inc.index.dumpdirs, ".").entries;
    const r = root.findIndex((e) => e.flag === "R");
    expect(root.slice(r, r + 2)).toEqual([
      { flag: "R", name: "./proj" },
      { flag: "T", name: "./project" },
    ]);
    expect(byPath(inc.index.dumpdirs, "project").entries).toContainEqual({ flag: "N", name: "keep.txt" });
    // Quirk: files in subdirectories of the renamed directory are dumped again.
    expect(byPath(inc.index.dumpdirs, "project/inner").entries).toEqual([{ flag: "Y", name: "keep2.txt" }]);
    expect(inc.index.members.map((m) => m.path)).not.toContain("project/keep.txt");
    // Every directory is written again as a dumpdir, changed or not.
    expect(byPath(inc.index.members, "docs/nested/deep").type).toBe("dir");
    expect(byPath(inc.index.dumpdirs, "docs/nested/deep").entries).toEqual([{ flag: "N", name: "file.bin" }]);
  });

  it("builds the incremental manifest: equal to a fresh walk of the source", () => {
    expect(fromManifest(manifest2.files)).toEqual(fromWalk(walk2));
    expectSliceIsContent(inc.raw, inc.index, walk2);
  });

  it("reports added, changed and deleted paths", () => {
    expect(manifest2.changes).toEqual(walkChanges(walk1, walk2));
    const { added, changed, deleted } = manifest2.changes;
    expect(changed).toEqual(expect.arrayContaining(["log.txt", "script.sh"]));
    expect(changed).not.toContain("big.bin");
    expect(added).toEqual(expect.arrayContaining(["docs/added.txt", "newdir", "newdir/x.txt", "project", "project/keep.txt", "project/inner", "project/inner/keep2.txt"]));
    expect(deleted).toEqual(
      expect.arrayContaining(["docs/delete-me.txt", "old", "old/a.txt", "old/sub", "old/sub/b.txt", "proj", "proj/keep.txt", "proj/inner/keep2.txt"]),
    );
  });

  it("marks what the incremental archive holds and carries the rest over from the previous manifest", () => {
    const files = manifest2.files;
    for (const p of ["log.txt", "script.sh", "docs/added.txt", "newdir/x.txt"]) expect(byPath(files, p).inArchive, p).toBe(true);
    for (const p of ["big.bin", "docs/nested/deep/file.bin", "empty.txt", "link-to-readme", "hard-link.txt", "data/orig.txt", LONG_FILE]) {
      const f = byPath(files, p);
      expect(f.inArchive, p).toBe(false);
      expect(f.tarStart).toBeUndefined();
      expect(f.previousPath).toBeUndefined();
    }
    expect(byPath(files, "big.bin").sha256).toBe(byPath(manifest1.files, "big.bin").sha256);
    expect(byPath(files, "project/keep.txt")).toMatchObject({ inArchive: false, previousPath: "proj/keep.txt", sha256: sha256(Buffer.from("keep\n")) });
    expect(byPath(files, "project/inner/keep2.txt")).toMatchObject({ inArchive: true });
    expect(byPath(files, "script.sh").mode).toBe(0o755);
  });

  it("agrees with what tar itself restores from the chain", async () => {
    const out = join(work, "chain-restore");
    await mkdir(out);
    for (const a of [full, inc]) await execa("tar", ["--extract", "--listed-incremental=/dev/null", "--file=-", "-C", out], { input: a.raw });
    expect(fromWalk(await walk(out))).toEqual(fromManifest(manifest2.files));
  });

  it("leaves out names flagged 'N' that the previous snapshot never held (tar flags excluded names 'N' too)", () => {
    const missing = manifest1.files.filter((f) => f.path !== "big.bin");
    expect(buildManifest(inc.index, missing).files.some((f) => f.path === "big.bin")).toBe(false);
    expect(buildManifest(inc.index, manifest1.files).files.some((f) => f.path === "big.bin")).toBe(true);
  });

  it("refuses a previous manifest that does not match the archive", () => {
    expect(() => buildManifest(inc.index, null)).toThrow(/snapshot chain is inconsistent/);
    const noProj = manifest1.files.filter((f) => f.path !== "proj");
    expect(() => buildManifest(inc.index, noProj)).toThrow(/renames directory "proj" to "project"/);
  });

  it("carries a whole unchanged snapshot over from the previous manifest", async () => {
    const again = await gnuIncremental(src, snar);
    expect(again.index.members.every((m) => m.type === "dir")).toBe(true);
    const m3 = buildManifest(again.index, manifest2.files);
    expect(m3.changes).toEqual({ added: [], changed: [], deleted: [] });
    expect(fromManifest(m3.files)).toEqual(fromWalk(await walk(src)));
    expect(m3.files.filter((f) => f.inArchive).every((f) => f.type === "dir")).toBe(true);
    // Carried entries lose the offsets and rename notes of the archive they came from.
    expect(m3.files.some((f) => f.previousPath !== undefined || (!f.inArchive && f.tarStart !== undefined))).toBe(false);
  });

  it("filesInRange names the files whose bytes a damaged stretch of the stream holds", () => {
    const files = manifest1.files;
    const big = byPath(files, "big.bin");
    const start = big.tarStart ?? -1;
    expect(filesInRange(files, start + 10_000, start + 20_000).map((f) => f.path)).toEqual(["big.bin"]);
    expect(filesInRange(files, full.index.archiveEnd, full.index.totalBytes)).toEqual([]);
    expect(filesInRange(files, 0, full.index.totalBytes)).toHaveLength(files.length);
    const stored = [byPath(files, "data/orig.txt"), byPath(files, "hard-link.txt")].find((f) => f.type === "file");
    expect(stored?.tarEnd).toBeDefined();
    const end = stored?.tarEnd ?? 0;
    const hits = filesInRange(files, end - 1, end).map((f) => f.path);
    expect(hits.sort()).toEqual(["data/orig.txt", "hard-link.txt"]);
    // Carried-over files are in no range of the incremental's stream.
    expect(filesInRange(manifest2.files, 0, inc.index.totalBytes).map((f) => f.path)).not.toContain("big.bin");
  });
});

// ---------- renames GNU tar needs more than one record for ----------

describe("directory renames", { timeout: 60_000 }, () => {
  it("replays cyclic renames (through tar's temporary directory) and nested renames", async () => {
    const src = join(work, "cyclic");
    const snar = join(work, "cyclic.snar");
    for (const d of ["a", "b", "c", "p/q"]) await mkdir(join(src, d), { recursive: true });
    for (const [f, text] of [["a/fa", "A"], ["b/fb", "B"], ["c/fc", "C"], ["p/q/fq", "Q"]] as const) await writeFile(join(src, f), text);
    const full = await gnuIncremental(src, snar);
    const m1 = buildManifest(full.index, null);

    await rename(join(src, "a"), join(src, "tmp"));
    await rename(join(src, "c"), join(src, "a"));
    await rename(join(src, "b"), join(src, "c"));
    await rename(join(src, "tmp"), join(src, "b"));
    await rename(join(src, "p"), join(src, "p2"));
    await rename(join(src, "p2/q"), join(src, "p2/q2"));
    const inc = await gnuIncremental(src, snar);

    const root = byPath(inc.index.dumpdirs, ".").entries.filter((e) => "RTX".includes(e.flag));
    expect(root[0]).toEqual({ flag: "X", name: "." });
    expect(root).toContainEqual({ flag: "T", name: "" });
    expect(root).toContainEqual({ flag: "R", name: "" });
    expect(root).toContainEqual({ flag: "R", name: "./p2/q" });
    expect(inc.index.members.filter((m) => m.type !== "dir")).toEqual([]);

    const m2 = buildManifest(inc.index, m1.files);
    expect(fromManifest(m2.files)).toEqual(fromWalk(await walk(src)));
    expect(byPath(m2.files, "a/fc")).toMatchObject({ inArchive: false, previousPath: "c/fc", sha256: sha256(Buffer.from("C")) });
    expect(byPath(m2.files, "p2/q2/fq")).toMatchObject({ previousPath: "p/q/fq" });
  });

  it("replays a rename onto the name of a deleted directory, which tar's own extraction cannot", async () => {
    const src = join(work, "onto");
    const snar = join(work, "onto.snar");
    await mkdir(join(src, "a"), { recursive: true });
    await mkdir(join(src, "b"));
    await writeFile(join(src, "a/f"), "from a");
    await writeFile(join(src, "b/f"), "from b");
    await writeFile(join(src, "b/g"), "only in b");
    const full = await gnuIncremental(src, snar);
    await rm(join(src, "b"), { recursive: true });
    await rename(join(src, "a"), join(src, "b"));
    const inc = await gnuIncremental(src, snar);

    const m2 = buildManifest(inc.index, buildManifest(full.index, null).files);
    expect(fromManifest(m2.files)).toEqual(fromWalk(await walk(src)));
    expect(byPath(m2.files, "b/f")).toMatchObject({ sha256: sha256(Buffer.from("from a")), previousPath: "a/f" });
    expect(m2.changes.deleted).toEqual(["a", "a/f", "b/g"]);

    const out = join(work, "onto-restore");
    await mkdir(out);
    await execa("tar", ["-x", "-g", "/dev/null", "-f", "-", "-C", out], { input: full.raw });
    const restore = await execa("tar", ["-x", "-g", "/dev/null", "-f", "-", "-C", out], { input: inc.raw, reject: false });
    expect(restore.exitCode).not.toBe(0);
    expect(restore.stderr).toMatch(/Cannot rename/);
  });
});

// ---------- other formats and failure modes ----------

describe("formats and robustness", { timeout: 60_000 }, () => {
  let src: string;
  let full: Archive;

  beforeAll(async () => {
    src = join(work, "formats");
    await mkdir(join(src, "dir/sub"), { recursive: true });
    await writeFile(join(src, "dir/sub/a.txt"), "a\n");
    await writeFile(join(src, "big.bin"), randomBytes(300_000));
    await writeFile(join(src, `${"x".repeat(120)}.txt`), "long\n");
    await writeFile(join(src, "ü.txt"), "u\n");
    full = await gnuIncremental(src, join(work, "formats.snar"));
  });

  it("indexes the same whatever the chunk sizes of the writes", async () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const chunks: Buffer[] = [];
    for (let at = 0; at < full.raw.length; ) {
      const n = at < 20_000 ? 1 : 1 + Math.floor(rand() * 1500);
      chunks.push(full.raw.subarray(at, at + n));
      at += n;
    }
    expect(await indexBytes(chunks)).toEqual(full.index);
    expect(await indexBytes([full.raw])).toEqual(full.index);
  });

  it("reads pax archives: path records, sub-second mtimes and dumpdirs in GNU.dumpdir", async () => {
    const snar = join(work, "pax.snar");
    const a1 = await gnuIncremental(src, snar, ["--format=posix"]);
    const long = byPath(a1.index.members, `${"x".repeat(120)}.txt`);
    expect(a1.raw[long.headerStart + 156]).toBe("x".charCodeAt(0));
    expect(a1.raw.subarray(long.dataStart, long.dataEnd).toString()).toBe("long\n");
    expect(a1.index.members.some((m) => m.typeflag === "D")).toBe(false);
    expect(byPath(a1.index.dumpdirs, "dir").entries).toEqual([{ flag: "D", name: "sub" }]);
    const m1 = buildManifest(a1.index, null);
    expect(fromManifest(m1.files)).toEqual(fromWalk(await walk(src, "ms")));

    await writeFile(join(src, "dir/sub/b.txt"), "b\n");
    const a2 = await gnuIncremental(src, snar, ["--format=posix"]);
    const m2 = buildManifest(a2.index, m1.files);
    expect(fromManifest(m2.files)).toEqual(fromWalk(await walk(src, "ms")));
    expect(byPath(m2.files, "big.bin").inArchive).toBe(false);
    expect(m2.changes.added).toEqual(["dir/sub/b.txt"]);
    await rm(join(src, "dir/sub/b.txt"));
  });

  it("hashes sparse files in every GNU sparse format as their logical content", async () => {
    const dir = join(work, "sparse");
    await mkdir(dir);
    const logical = Buffer.alloc(6 * 1024 * 1024 + 123);
    for (let i = 0; i < 6; i++) randomBytes(5000).copy(logical, i * 1024 * 1024 + 17);
    // Written with holes: only the data runs.
    const fh = await import("node:fs/promises").then((fs) => fs.open(join(dir, "sp"), "w"));
    for (let i = 0; i < 6; i++) await fh.write(logical, i * 1024 * 1024 + 17, 5000, i * 1024 * 1024 + 17);
    await fh.truncate(logical.length);
    await fh.close();
    const variants = [["--sparse"], ...["0.0", "0.1", "1.0"].map((v) => ["--format=posix", "--sparse", `--sparse-version=${v}`])];
    for (const flags of variants) {
      const a = await tarToIndexer([...flags, "-C", dir, "sp"]);
      expect(a.index.members, flags.join(" ")).toHaveLength(1);
      const m = a.index.members[0];
      expect(m?.path, flags.join(" ")).toBe("sp");
      expect(m?.size).toBe(logical.length);
      expect(m?.sha256, flags.join(" ")).toBe(sha256(logical));
      expect(m?.sparse?.length).toBeGreaterThanOrEqual(6);
      expect((m?.dataEnd ?? 0) - (m?.dataStart ?? 0)).toBeLessThan(logical.length / 10);
    }
    // Old GNU format: 4 map entries fit in the header, the rest go to an extension block before the data.
    const gnu = await tarToIndexer(["--sparse", "-C", dir, "sp"]);
    const s = gnu.index.members[0];
    expect(s?.typeflag).toBe("S");
    expect(gnu.raw[(s?.headerStart ?? 0) + 482]).toBe(1);
    expect((s?.dataStart ?? 0) - (s?.headerStart ?? 0)).toBe(1024);
  });

  it("keeps names that are not UTF-8 exactly, as escaped strings", async () => {
    const dir = join(work, "bytes");
    await mkdir(dir);
    const nameBytes = Buffer.concat([Buffer.from("bad-"), Buffer.of(0xff, 0xc3), Buffer.from("-é.txt")]);
    await writeFile(Buffer.concat([Buffer.from(`${dir}/`), nameBytes]), "odd name\n");
    const a = await gnuIncremental(dir, join(work, "bytes.snar"));
    const m = a.index.members.find((x) => x.type === "file");
    expect(m?.path).toBe("bad-\udcff\udcc3-é.txt");
    expect(encodeName(m?.path ?? "").equals(nameBytes)).toBe(true);
    expect(byPath(a.index.dumpdirs, ".").entries).toEqual([{ flag: "Y", name: m?.path }]);
    expect(buildManifest(a.index, null).files.map((f) => f.path)).toEqual([m?.path]);
  });

  it("rejects truncated, corrupt and trailing-garbage streams", async () => {
    const big = byPath(full.index.members, "big.bin");
    await expect(indexBytes([full.raw.subarray(0, big.dataStart + 1000)])).rejects.toThrow(/in the middle of a member/);
    // Only the root's dumpdir header: its listing is missing.
    await expect(indexBytes([full.raw.subarray(0, 512)])).rejects.toThrow(/in the middle of a member/);
    await expect(indexBytes([full.raw.subarray(0, full.index.archiveEnd)])).rejects.toThrow(/without an end-of-archive marker/);
    const corrupt = Buffer.from(full.raw);
    const at = big.dataStart - 512 + 10; // a byte of big.bin's name in its header
    corrupt[at] = (corrupt[at] ?? 0) ^ 0x01;
    await expect(indexBytes([corrupt])).rejects.toThrow(/checksum mismatch/);
    const trailing = Buffer.from(full.raw);
    trailing[trailing.length - 1] = 0x41;
    await expect(indexBytes([trailing])).rejects.toThrow(/non-zero bytes after the end-of-archive marker/);
  });
});
