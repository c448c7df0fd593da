import { afterAll, beforeAll, expect } from "vitest";
import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
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
