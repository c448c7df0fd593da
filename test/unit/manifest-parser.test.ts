import { describe, expect, it } from "vitest";
import { ManifestParser } from "../../plugins/sync/tar-incremental/manifest-parser.js";
import { MANIFEST_FORMAT, manifestJson, type Manifest } from "../../plugins/sync/tar-incremental/manifest.js";

function manifest(count: number): Manifest {
  return {
    format: MANIFEST_FORMAT, id: "20261123T000000.000Z", time: "2026-11-23T00:00:00.000Z", type: "incremental", parent: "p",
    compression: "zstd", volumes: [{ name: "v1", size: 3, sha256: "cd", tarStart: 0, tarEnd: 10 }],
    snar: { name: "snar.gpg", size: 1, sha256: "00" }, changes: { added: count, changed: 0, deleted: 1 },
    errors: ["tar: a warning with \"files\":[ and } in it"], tar: { version: "1.34", args: ["--files"] },
    // JSON's structural characters, escapes and multi-byte UTF-8 in names, and a key named like the list.
    files: Array.from({ length: count }, (_, i) => ({
      path: `dir/{[${i}]} \\ "q" \u00e9\u6f22\ud83d\ude00 files`, type: "file" as const, size: i, mode: 0o644, mtime: 1.7e12 + i,
      sha256: "ab", linkTarget: i % 2 ? "}]\"" : undefined, inArchive: i % 3 !== 0, tarStart: i, tarEnd: i + 1,
    })).map((f) => JSON.parse(JSON.stringify(f)) as Manifest["files"][number]),
    delta: { deleted: ["gone/files"] },
  };
}

function parse(chunks: Buffer[]): Manifest {
  const parser = new ManifestParser();
  for (const chunk of chunks) parser.write(chunk);
  return parser.end();
}

function split(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

describe("ManifestParser: a manifest's JSON read as it streams, entry by entry", () => {
  const expected = manifest(40);
  const written = Buffer.concat([...manifestJson(expected)]);

  it("reads the manifest as written today, whatever the chunk boundaries (down to one byte a chunk)", () => {
    for (const size of [1, 2, 3, 7, 64, 1000, written.length]) expect(parse(split(written, size))).toEqual(expected);
  });

  it("reads manifests of older versions: one JSON.stringify, `files` before other keys", () => {
    const older = Buffer.from(JSON.stringify(expected));
    for (const size of [1, 5, 4096]) expect(parse(split(older, size))).toEqual(expected);
    const { files, ...header } = expected;
    const filesFirst = Buffer.from(JSON.stringify({ files, ...header }));
    expect(parse(split(filesFirst, 3))).toEqual(expected);
  });

  it("an empty file list and pretty-printed JSON", () => {
    const empty = manifest(0);
    expect(parse([Buffer.from(JSON.stringify(empty, null, 2))])).toEqual(empty);
    expect(parse(split(Buffer.from(JSON.stringify(expected, null, 2)), 11))).toEqual(expected);
  });

  it("holds only the entries `keep` accepts (a --path restore), the rest of the manifest unchanged", () => {
    const parser = new ManifestParser((f) => f.size % 10 === 3);
    for (const chunk of split(written, 100)) parser.write(chunk);
    expect(parser.end()).toEqual({ ...expected, files: expected.files.filter((f) => f.size % 10 === 3) });
  });

  it("refuses a truncated or malformed manifest", () => {
    expect(() => parse([written.subarray(0, written.length - 1)])).toThrow(/ends early/);
    expect(() => parse([written.subarray(0, written.length / 2)])).toThrow(/ends early/);
    expect(() => parse([Buffer.from('{"files":[{"path":"a",}]}')])).toThrow(SyntaxError);
  });
});
