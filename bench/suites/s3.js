import { DeleteObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { startCephRgw } from "../lib/servers.js";
import { runUploads } from "./uploads.js";

const STORE_PUT = new URL("../tools/store-put.js", import.meta.url).pathname;
const SDK_PUT = new URL("../tools/sdk-put.js", import.meta.url).pathname;

/**
 * One big file (1 GiB) written to a real Ceph radosgw on 127.0.0.1 (one memstore OSD, started
 * for the suite and stopped after it) by cryptkeep's s3 store (its own class from the build,
 * default part size and parallel parts) vs one raw AWS SDK PutObject stream of the same file.
 */
export async function runS3(ctx, { bigfile }) {
  // The SDK warns once per process under Node 20 that its 2027 releases need Node 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  ctx.log("bench: s3: starting Ceph radosgw on 127.0.0.1");
  const rgw = await startCephRgw();
  try {
    const client = rgw.client();
    const credentials = { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
    const key = (tool) => `bench/${tool}/file`;
    const uploadTool = (name, upload) => ({
      name, upload,
      arrived: () => client.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key(name) })).then((r) => r.ContentLength, () => undefined),
      // memstore keeps objects in memory (4 GiB): each is deleted once measured, and its space freed at once.
      clear: async () => {
        await client.send(new DeleteObjectCommand({ Bucket: rgw.bucket, Key: key(name) }));
        await rgw.collectGarbage();
      },
    });
    const options = { bucket: rgw.bucket, endpoint: rgw.endpoint, forcePathStyle: true };
    return await runUploads(ctx, "s3", bigfile, [
      uploadTool("cryptkeep-s3", (file) => ({
        argv: [process.execPath, STORE_PUT, "s3", file, "file"],
        env: { BENCH_STORE: JSON.stringify({ options: { ...options, prefix: "bench/cryptkeep-s3" }, credentials }) },
      })),
      uploadTool("sdk-put", (file) => ({
        argv: [process.execPath, SDK_PUT, file, key("sdk-put")],
        env: { BENCH_S3: JSON.stringify({ endpoint: rgw.endpoint, bucket: rgw.bucket, credentials }) },
      })),
    ]);
  } finally {
    await rgw.stop();
  }
}
