import { describe, expect, it } from "vitest";
import type { ManifestFile } from "../../plugins/sync/tar-incremental/index/index.js";
import type { Manifest } from "../../plugins/sync/tar-incremental/manifest.js";
import { FOLDERS_PER_TAR, chunkHints, planChunkedExtract } from "../../plugins/sync/tar-incremental/chunked-extract.js";

const name = (i: number) => `d${String(i).padStart(5, "0")}`;

/**
 * An incremental's members laid out as GNU tar writes them: the top folder's member at 0, then
 * every folder, then the files of the folders listed in `fileFolders` (-1: the top folder), in that order.
 */
function archive(folderCount: number, fileFolders: number[]) {
  const folders = Array.from({ length: folderCount }, (_, i) => ({ path: name(i), tarStart: 1024 + i * 1024 }));
  const foldersEnd = 1024 + folderCount * 1024;
  const files = fileFolders.map((folder, k) => ({ path: folder < 0 ? `top${k}.txt` : `${name(folder)}/f${k}.txt`, tarStart: foldersEnd + k * 1024 }));
  return { folders, files, foldersEnd, archiveEnd: foldersEnd + fileFolders.length * 1024 + 10240 };
}

describe("an incremental extracted by a tar per FOLDERS_PER_TAR folders", () => {
  it("hands each tar its folders and then the files in them; the ranges cover the archive once, in order", () => {
    const count = 2 * FOLDERS_PER_TAR + 500;
    const { folders, files, foldersEnd, archiveEnd } = archive(count, [-1, 3, 3, 999, 1000, 2400, 2499]);
    const plan = planChunkedExtract(folders, files, archiveEnd)!;
    const folderAt = (i: number) => 1024 + i * 1024;
    expect(plan.parts.map((p) => p.folders)).toEqual([
      [0, folderAt(FOLDERS_PER_TAR)], [folderAt(FOLDERS_PER_TAR), folderAt(2 * FOLDERS_PER_TAR)], [folderAt(2 * FOLDERS_PER_TAR), foldersEnd],
    ]);
    // Tar 0: the top folder's file and those of d00003 and d00999; tar 1: d01000's; tar 2: the rest and the end of the archive.
    const fileAt = (k: number) => foldersEnd + k * 1024;
    expect(plan.parts.map((p) => p.files)).toEqual([[foldersEnd, fileAt(4)], [fileAt(4), fileAt(5)], [fileAt(5), archiveEnd]]);
  });

  it("a tar whose folders hold no changed file gets an empty range of files; with no file at all, the folders' ranges run to the archive's end", () => {
    const { folders, files, archiveEnd } = archive(3 * FOLDERS_PER_TAR, [5, 2500]);
    const [first, second, third] = planChunkedExtract(folders, files, archiveEnd)!.parts.map((p) => p.files);
    expect(second![0]).toBe(second![1]);
    expect(first![1]).toBe(second![0]);
    expect(third![0]).toBe(second![1]);
    const none = archive(2 * FOLDERS_PER_TAR, []);
    const parts = planChunkedExtract(none.folders, [], none.archiveEnd)!.parts;
    expect(parts.map((p) => p.files)).toEqual([[none.archiveEnd, none.archiveEnd], [none.archiveEnd, none.archiveEnd]]);
    expect(parts.at(-1)!.folders[1]).toBe(none.archiveEnd);
  });

  it("one tar does it: few folders, files not in their folders' order, a file whose folder is not in the archive, a folder after a file", () => {
    const count = 2 * FOLDERS_PER_TAR + 10;
    const plan = (a: ReturnType<typeof archive>) => planChunkedExtract(a.folders, a.files, a.archiveEnd);
    expect(plan(archive(2 * FOLDERS_PER_TAR - 1, [1]))).toBeUndefined();
    expect(plan(archive(count, [1500, 20]))).toBeUndefined();
    const elsewhere = archive(count, [1]);
    elsewhere.files[0]!.path = "elsewhere/f.txt";
    expect(plan(elsewhere)).toBeUndefined();
    const late = archive(count, [1]);
    late.folders.at(-1)!.tarStart = late.archiveEnd - 10240;
    expect(plan(late)).toBeUndefined();
    expect(plan(archive(count, [1]))).toBeDefined();
  });
});

describe("what the tree says of an archive before it applies it", () => {
  const entry = (path: string, type: ManifestFile["type"], extra: Partial<ManifestFile> = {}): ManifestFile =>
    ({ path, type, size: 0, mode: 0o755, mtime: 0, inArchive: true, tarStart: 0, ...extra });
  const manifest = (files: ManifestFile[], type = "incremental") => ({ type, files }) as unknown as Manifest;
  const before = (path: string) => (path.startsWith("old") ? "dir" as const : path === "was-file" ? "file" as const : undefined);

  it("the folders it adds; and not fit for tars per folders: a full, a rename, a hard link, a folder that was a file", () => {
    expect(chunkHints(manifest([entry("old", "dir"), entry("new", "dir"), entry("new/deeper", "dir"), entry("new/f", "file")]), before))
      .toEqual({ eligible: true, newFolders: ["new", "new/deeper"] });
    expect(chunkHints(manifest([entry("old", "dir")], "full"), before).eligible).toBe(false);
    expect(chunkHints(manifest([entry("moved", "dir", { previousPath: "old" })]), before).eligible).toBe(false);
    expect(chunkHints(manifest([entry("link", "hardlink", { linkTarget: "old/f" })]), before).eligible).toBe(false);
    expect(chunkHints(manifest([entry("was-file", "dir")]), before).eligible).toBe(false);
  });
});
