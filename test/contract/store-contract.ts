import { describe, expect, it } from "vitest";
import { randomBytes, createHash } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import type { Store } from "../../core/types.js";

export interface StoreContractSetup {
  /** A store on an empty place, ready to use (connected). */
  open(): Promise<Store>;
  /** A store on a place the account may not write to; omitted where no such place exists (root on a local disk). */
  openDenied?(): Promise<Store>;
  /** Takes the server away (last test); omitted for a local folder. */
  serverGone?(): Promise<void>;
  /** Extra check after an interrupted upload (e.g. no multipart upload left on the server). */
  afterInterrupted?(): Promise<void>;
}

const digest = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** A stream that yields `data` in 64 KiB chunks, then fails: an upload cut off midway. */
function failingAfter(data: Buffer): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) return void this.destroy(new Error("source cut off"));
      this.push(data.subarray(offset, offset + 65536));
      offset += 65536;
    },
  });
}

/**
 * What every store must do, run against the real server of each: objects round-trip exactly,
 * listings carry sizes, a put is visible only when complete, deletes work, an interrupted upload
 * leaves nothing, and missing permission and a vanished server fail with a user error.
 */
export function storeContract(name: string, setup: StoreContractSetup): void {
  describe(`store contract: ${name}`, () => {
    it("writes objects and reads back the same bytes; put returns the size", async () => {
      const store = await setup.open();
      const big = randomBytes(3 * 1024 * 1024 + 17);
      expect(await store.put("snapshots/a/vol-0001.tar.gpg", Readable.from([big]))).toBe(big.length);
      expect(await store.put("tiny.json", Readable.from([Buffer.from("{}\n")]))).toBe(3);
      expect(await store.put("empty", Readable.from([]))).toBe(0);
      expect(digest(await buffer(await store.get("snapshots/a/vol-0001.tar.gpg")))).toBe(digest(big));
      expect((await buffer(await store.get("tiny.json"))).toString()).toBe("{}\n");
      expect((await buffer(await store.get("empty"))).length).toBe(0);
      await expect(store.get("no/such/object")).rejects.toThrow();
    });

    it("lists a prefix recursively with sizes, and nothing outside it", async () => {
      const store = await setup.open();
      await store.put("list/x/one", Readable.from([Buffer.alloc(10)]));
      await store.put("list/x/deep/two", Readable.from([Buffer.alloc(2000)]));
      await store.put("list/y/three", Readable.from([Buffer.alloc(1)]));
      await store.put("listing-not", Readable.from([Buffer.alloc(5)]));
      expect(await store.list("list/x/")).toEqual([{ name: "list/x/deep/two", size: 2000 }, { name: "list/x/one", size: 10 }]);
      expect((await store.list("list/")).map((o) => o.name)).toEqual(["list/x/deep/two", "list/x/one", "list/y/three"]);
      expect(await store.list("nothing-here/")).toEqual([]);
      expect(await store.exists("list/x/one")).toBe(true);
      expect(await store.exists("list/x/nope")).toBe(false);
    });

    it("makes a put visible only once complete, and replaces an older object whole", async () => {
      const store = await setup.open();
      await store.put("atomic/obj", Readable.from([Buffer.from("old version")]));
      const body = new PassThrough();
      const first = randomBytes(512 * 1024);
      const rest = randomBytes(300 * 1024);
      const done = store.put("atomic/new", body);
      body.write(first);
      const replacing = store.put("atomic/obj", Readable.from([first]));
      await replacing;
      await new Promise((r) => setTimeout(r, 300));
      expect(await store.exists("atomic/new")).toBe(false);
      expect((await store.list("atomic/")).map((o) => o.name)).toEqual(["atomic/obj"]);
      body.end(rest);
      expect(await done).toBe(first.length + rest.length);
      expect(await store.list("atomic/")).toEqual([{ name: "atomic/new", size: first.length + rest.length }, { name: "atomic/obj", size: first.length }]);
      expect(digest(await buffer(await store.get("atomic/obj")))).toBe(digest(first));
    });

    it("deletes one object, and everything under a prefix", async () => {
      const store = await setup.open();
      for (const n of ["del/a/1", "del/a/2", "del/b/3", "del-keep"]) await store.put(n, Readable.from([Buffer.from(n)]));
      await store.delete("del/b/3");
      expect(await store.exists("del/b/3")).toBe(false);
      await store.delete("del/b/3");
      await store.deleteAll("del/");
      expect(await store.list("del/")).toEqual([]);
      expect(await store.exists("del-keep")).toBe(true);
    });

    it("an interrupted upload fails and leaves nothing visible", async () => {
      const store = await setup.open();
      // Over two 5 MiB parts: an S3 store has a multipart upload to abort.
      await expect(store.put("cut/vol-0001", failingAfter(randomBytes(12 * 1024 * 1024)))).rejects.toThrow();
      const controller = new AbortController();
      const endless = new PassThrough();
      const aborted = store.put("cut/vol-0002", endless, controller.signal);
      endless.write(randomBytes(1024 * 1024));
      setTimeout(() => controller.abort(), 200);
      await expect(aborted).rejects.toThrow();
      expect(await store.list("cut/")).toEqual([]);
      expect(await store.exists("cut/vol-0001")).toBe(false);
      await setup.afterInterrupted?.();
    });

    if (setup.openDenied) {
      const openDenied = setup.openDenied;
      it("missing permission fails with a user error naming the target", async () => {
        const store = await openDenied();
        const error = await store.put("denied/obj", Readable.from([Buffer.from("x")])).then(() => undefined, (e: unknown) => e);
        expect(error).toMatchObject({ code: expect.stringMatching(/PERMISSION_DENIED|NOT_WRITABLE/) });
        expect(String((error as Error).message)).toContain(store.description);
      });
    }

    if (setup.serverGone) {
      const serverGone = setup.serverGone;
      it("a server gone fails cleanly with a clear message, not a hang", async () => {
        const store = await setup.open();
        await store.put("gone/before", Readable.from([Buffer.from("here")]));
        await serverGone();
        const started = Date.now();
        const error = await store.put("gone/after", Readable.from([randomBytes(100_000)])).then(() => undefined, (e: unknown) => e);
        expect(error).toMatchObject({ code: expect.stringMatching(/^REMOTE_(CONNECTION_LOST|UNREACHABLE)$/) });
        expect((error as Error).message).toContain(store.description);
        await expect(store.list("gone/")).rejects.toMatchObject({ code: expect.stringMatching(/^REMOTE_(CONNECTION_LOST|UNREACHABLE)$/) });
        expect(Date.now() - started).toBeLessThan(60_000);
      });
    }
  });
}
