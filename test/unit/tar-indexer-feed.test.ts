import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TarIndexer, type TarIndex } from "../../plugins/sync/tar-incremental/index/index.js";
import { scratchDir } from "../helpers/cli.js";

/**
 * TarIndexer.feed as a backup calls it: each piece of the archive in one buffer that the reader
 * reuses for the next piece. A header or name the indexer kept a view of (not a copy) would be
 * overwritten by the next piece, and its path or hash would come out wrong.
 */
const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

// Over 100 characters: GNU tar writes it in a ././@LongLink ('L') member before the file's own.
const LONG_DIR = "a-folder-whose-name-is-long-enough-on-its-own";
const LONG_NAME = `${LONG_DIR}/and-a-file-in-it-whose-name-takes-the-whole-path-well-past-one-hundred-characters.bin`;
// A symlink's target of over 100 characters goes in a 'K' member, kept across pieces the same way.
const LONG_TARGET = `../${"t".repeat(120)}/target`;

const contents: Record<string, Buffer> = {
  [LONG_NAME]: randomBytes(3000),
  "empty": Buffer.alloc(0),
  "one-block": randomBytes(512),
  "notes.txt": Buffer.from("small file\n"),
  "sub/inner.dat": randomBytes(1025),
};

let archive: Buffer;

beforeAll(async () => {
  const src = await scratchDir("ck-tar-feed-");
  await mkdir(join(src, LONG_DIR));
  await mkdir(join(src, "sub"));
  await mkdir(join(src, "sub/empty-folder"));
  for (const [name, bytes] of Object.entries(contents)) await writeFile(join(src, name), bytes);
  await symlink(LONG_TARGET, join(src, "sub/link"));
  archive = execFileSync("tar", ["--create", "--format=gnu", "--file=-", "-C", src, "."], { maxBuffer: 1 << 26 });
});

/** Feeds `archive` in pieces of `size` bytes, each copied into the same buffer, scribbled over after each call. */
async function fedInPieces(size: number): Promise<TarIndex> {
  const indexer = new TarIndexer();
  const reused = Buffer.alloc(size);
  for (let at = 0; at < archive.length; at += size) {
    const n = archive.copy(reused, 0, at, at + size);
    indexer.feed(reused.subarray(0, n));
    reused.fill(0xa5);
  }
  indexer.end();
  return indexer.result();
}

async function written(): Promise<TarIndex> {
  const indexer = new TarIndexer();
  indexer.write(archive);
  indexer.end();
  return indexer.result();
}

describe("TarIndexer.feed: pieces in one reused buffer", () => {
  it("the archive holds the long-name and long-link members the test is about", () => {
    const typeflags = new Set<string>();
    for (let at = archive.indexOf("././@LongLink"); at !== -1; at = archive.indexOf("././@LongLink", at + 1)) {
      if (at % 512 === 0) typeflags.add(String.fromCharCode(archive[at + 156]!));
    }
    expect([...typeflags].sort()).toEqual(["K", "L"]);
  });

  it.each([7, 500, 513])("pieces of %i bytes: every member's path, type and sha256, as a single write gives them", async (size) => {
    const index = await fedInPieces(size);
    const byPath = new Map(index.members.map((member) => [member.path, member]));
    expect([...byPath.keys()].sort()).toEqual(
      [LONG_DIR, LONG_NAME, "empty", "notes.txt", "one-block", "sub", "sub/empty-folder", "sub/inner.dat", "sub/link"].sort(),
    );
    for (const [name, bytes] of Object.entries(contents)) {
      expect(byPath.get(name)).toMatchObject({ type: "file", size: bytes.length, sha256: sha(bytes) });
    }
    for (const name of [LONG_DIR, "sub", "sub/empty-folder"]) expect(byPath.get(name)).toMatchObject({ type: "dir" });
    expect(byPath.get("sub/link")).toMatchObject({ type: "symlink", linkTarget: LONG_TARGET });
    expect(index.totalBytes).toBe(archive.length);
    expect(index).toEqual(await written());
  });
});
