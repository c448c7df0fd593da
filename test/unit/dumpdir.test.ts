import { describe, expect, it } from "vitest";
import { parseDumpdir } from "../../plugins/sync/tar-incremental/index/dumpdir.js";
import { decodeName } from "../../plugins/sync/tar-incremental/index/names.js";

const record = (flag: string, name: Buffer) => Buffer.concat([Buffer.from(flag), name, Buffer.of(0)]);

describe("parseDumpdir", () => {
  it("decodes a valid UTF-8 listing at once exactly as name by name: unicode, a leading byte order mark, records after the end ignored", () => {
    const names = [Buffer.from("plain.txt"), Buffer.from("ünïcødé ✓ 日本語"), Buffer.from("\uFEFFbom first"), Buffer.from("emoji 🎉"), Buffer.from("new\nline")];
    const data = Buffer.concat([...names.map((n, i) => record(i % 2 ? "N" : "Y", n)), record("D", Buffer.from("dir")), Buffer.of(0), record("N", Buffer.from("after the end"))]);
    expect(parseDumpdir(data)).toEqual([...names.map((n, i) => ({ flag: i % 2 ? "N" : "Y", name: decodeName(n) })), { flag: "D", name: "dir" }]);
  });

  it("a listing with bytes that are not UTF-8 keeps each name's exact bytes (decoded name by name)", () => {
    const bad = Buffer.from([0x61, 0xff, 0x62]);
    expect(parseDumpdir(Buffer.concat([record("N", Buffer.from("ok")), record("Y", bad)]))).toEqual([{ flag: "N", name: "ok" }, { flag: "Y", name: decodeName(bad) }]);
  });

  it("refuses an unknown control code, ASCII or not", () => {
    expect(() => parseDumpdir(record("Q", Buffer.from("x")))).toThrow(/unknown dumpdir control code/);
    expect(() => parseDumpdir(Buffer.concat([Buffer.from("é"), Buffer.of(0)]))).toThrow(/unknown dumpdir control code/);
  });
});
