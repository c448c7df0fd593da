import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { join } from "node:path";
import { HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { LocalStore } from "../../plugins/store/local/local-store.js";
import { s3fs } from "../../plugins/transport/s3fs/index.js";
import { openMountedRun, type MountedRun } from "./mounted-session.js";
import { S3Store } from "../../plugins/store/s3/s3-store.js";
import { startCephRgw, type CephRgw } from "../servers/ceph-rgw.js";
import { storeContract } from "./store-contract.js";

let rgw: CephRgw;
let stores = 0;
beforeAll(async () => { rgw = await startCephRgw(); }, 120_000);
afterAll(async () => { await rgw?.stop(); });

const location = (prefix: string) => ({
  bucket: "backups", prefix, endpoint: rgw.endpoint, region: "us-east-1", forcePathStyle: true,
  partSizeMiB: 5, parallelParts: 4, attempts: 2,
});

// s3fs first: the native store's last test takes the gateway away.
let mounted: MountedRun | undefined;
storeContract("s3fs mount (Ceph radosgw)", {
  open: async () => {
    if (!mounted) {
      await rgw.createBucket("mounted");
      process.env.CK_S3_KEY = rgw.accessKeyId;
      process.env.CK_S3_SECRET = rgw.secretAccessKey;
      mounted = await openMountedRun(s3fs({
        bucket: "mounted", endpoint: rgw.endpoint, forcePathStyle: true,
        accessKeyId: { env: "CK_S3_KEY" }, secretAccessKey: { env: "CK_S3_SECRET" },
      }));
    }
    return new LocalStore(join(mounted.localPath, `c-${++stores}`));
  },
});

describe("s3fs transport: unmount", () => {
  it("unmounts at the end of the run; what was written is in the bucket", async () => {
    await mounted!.finish();
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toContain(mounted!.localPath);
    const head = await rgw.client().send(new HeadObjectCommand({ Bucket: "mounted", Key: "c-1/snapshots/a/vol-0001.tar.gpg" }));
    expect(head.ContentLength).toBe(3 * 1024 * 1024 + 17);
  });
});

describe("s3 store: multipart uploads", () => {
  /** `data` in uneven chunks, as an encryption stream delivers them. */
  const unevenly = (data: Buffer) => Readable.from((function* () {
    for (let at = 0, n = 0; at < data.length; n++) {
      const size = [65_536, 102_407, 1_048_576, 3][n % 4]!;
      yield data.subarray(at, at + size);
      at += size;
    }
  })());
  const digest = (data: Buffer) => createHash("sha256").update(data).digest("hex");

  it("objects of several parts (a short last one, or none) read back byte for byte, with the part buffers reused", async () => {
    const store = new S3Store(location(`multipart-${++stores}`));
    store.connect({ accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey });
    const uneven = randomBytes(11 * 1024 * 1024 + 123);
    const exact = randomBytes(10 * 1024 * 1024);
    expect(await store.put("a", unevenly(uneven))).toBe(uneven.length);
    expect(await store.put("b", unevenly(exact))).toBe(exact.length);
    expect(digest(await buffer(await store.get("a")))).toBe(digest(uneven));
    expect(digest(await buffer(await store.get("b")))).toBe(digest(exact));
    const uploads = await rgw.client().send(new ListMultipartUploadsCommand({ Bucket: "backups" }));
    expect(uploads.Uploads ?? []).toEqual([]);
    store.close();
  });
});

storeContract("s3 on Ceph radosgw", {
  open: async () => {
    const store = new S3Store(location(`contract-${++stores}`));
    store.connect({ accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey });
    return store;
  },
  openDenied: async () => {
    const store = new S3Store(location("denied"));
    store.connect(await rgw.createUser("stranger"));
    return store;
  },
  afterInterrupted: async () => {
    const uploads = await rgw.client().send(new ListMultipartUploadsCommand({ Bucket: "backups" }));
    expect(uploads.Uploads ?? []).toEqual([]);
  },
  serverGone: () => rgw.stopGateway(),
});
