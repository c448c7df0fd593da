import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { read, write } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { PART_PREFIX } from "../../core/paths.js";
import { LocalStore } from "../../plugins/store/local/local-store.js";
import { scratchDir } from "../helpers/cli.js";

const writeFd = promisify(write);
const readFd = promisify(read);

/** Writes `data` through the descriptor in pieces, as a command writing its stdout would. */
async function writeAll(fd: number, data: Buffer): Promise<void> {
  for (let offset = 0; offset < data.length; offset += 65536) await writeFd(fd, data.subarray(offset, offset + 65536));
}

async function open(): Promise<{ root: string; store: LocalStore }> {
  const root = await scratchDir("cryptkeep-store-");
  return { root, store: new LocalStore(root) };
}

describe("LocalStore.putByDescriptor: a command writes the object's file itself", () => {
  it("shows the object under its name only once write resolved, with the bytes written through the descriptor, mode 600", async () => {
    const { root, store } = await open();
    const name = "snapshots/a/vol-00001.tar.zst.gpg";
    const data = randomBytes(1024 * 1024 + 17);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let written!: () => void;
    const wasWritten = new Promise<void>((resolve) => (written = resolve));
    const put = store.putByDescriptor(name, async (fd) => {
      await writeAll(fd, data);
      written();
      await finished;
    });

    await wasWritten;
    expect(await store.exists(name)).toBe(false);
    finish();
    expect(await put).toBe(data.length);
    expect(await store.exists(name)).toBe(true);
    expect((await readFile(join(root, name))).equals(data)).toBe(true);
    expect((await stat(join(root, name))).mode & 0o777).toBe(0o600);
    expect(await readdir(join(root, "snapshots/a"))).toEqual(["vol-00001.tar.zst.gpg"]);
  });

  it("hands over a descriptor that reads the file back (the caller hashes what was written)", async () => {
    const { store } = await open();
    const data = Buffer.from("encrypted volume bytes\n");
    let readBack = Buffer.alloc(0);
    await store.putByDescriptor("vol", async (fd) => {
      await writeFd(fd, data);
      const { bytesRead, buffer } = await readFd(fd, { buffer: Buffer.alloc(64), position: 0 });
      readBack = buffer.subarray(0, bytesRead);
    });
    expect(readBack.equals(data)).toBe(true);
  });

  it("while write runs, nothing has the object's name and list() does not show the temporary file", async () => {
    const { root, store } = await open();
    const name = "snapshots/b/vol-00002.tar.zst.gpg";
    const seen: { exists?: boolean; listed?: { name: string; size: number }[]; files?: string[] } = {};
    await store.putByDescriptor(name, async (fd) => {
      await writeAll(fd, randomBytes(200_000));
      seen.exists = await store.exists(name);
      seen.listed = await store.list("snapshots/");
      seen.files = await readdir(join(root, "snapshots/b"));
    });
    expect(seen.exists).toBe(false);
    expect(seen.listed).toEqual([]);
    // The bytes are somewhere meanwhile: in the temporary file, which list() skips.
    expect(seen.files).toHaveLength(1);
    expect(seen.files?.[0]?.startsWith(PART_PREFIX)).toBe(true);
    expect(await store.list("snapshots/")).toEqual([{ name, size: 200_000 }]);
  });

  it("when write rejects, rethrows its error as it is and leaves neither the object nor a temporary file", async () => {
    const { root, store } = await open();
    const name = "snapshots/c/vol-00003.tar.zst.gpg";
    const failure = new Error("zstd | gpg failed halfway");
    const put = store.putByDescriptor(name, async (fd) => {
      await writeAll(fd, randomBytes(300_000));
      throw failure;
    });
    await expect(put).rejects.toBe(failure);
    expect(await store.exists(name)).toBe(false);
    const left = await readdir(join(root, "snapshots/c"));
    expect(left.filter((file) => file.startsWith(PART_PREFIX))).toEqual([]);
    expect(left).toEqual([]);
  });

  it("refuses an object name containing '..', before write is called", async () => {
    const { root, store } = await open();
    let called = false;
    const writer = async () => {
      called = true;
    };
    await expect(store.putByDescriptor("../escape", writer)).rejects.toThrow("refusing object name with '..': ../escape");
    await expect(store.putByDescriptor("snapshots/../../escape", writer)).rejects.toThrow(/refusing object name with '\.\.'/);
    expect(called).toBe(false);
    expect(await readdir(root)).toEqual([]);
    await expect(stat(join(root, "..", "escape"))).rejects.toThrow(/ENOENT/);
  });
});
