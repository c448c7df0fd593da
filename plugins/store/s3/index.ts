import { definePlugin } from "../../../core/config/define.js";
import type { RunContext } from "../../../core/types.js";
import { s3Options, type S3Options } from "./options.js";
import { S3Store, type S3Credentials } from "./s3-store.js";

export { s3Options } from "./options.js";
export { S3Store } from "./s3-store.js";

const PLUGIN_NAME = "store:s3";

/** Keeps the backup in an S3 bucket (AWS, Ceph radosgw, MinIO...): streamed multipart uploads, no FUSE. */
export const s3Store = definePlugin(PLUGIN_NAME, s3Options, (engine, options) => {
  const store = new S3Store(options);
  engine.provide("store", store);

  const open = async (ctx: RunContext) => {
    store.connect(await credentials(ctx, options));
    ctx.defer(`close the connection to ${store.description}`, () => store.close());
  };

  engine.hooks.connect.tapPromise(PLUGIN_NAME, async (ctx) => {
    // Only reads: plan checks the bucket too, so it fails where the backup would.
    ctx.step(`check bucket and credentials of ${store.description}`);
    await open(ctx);
    await store.check();
  });

  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (ctx, checks) => {
    const problem = await open(ctx).then(() => store.check()).then(() => "", (error: Error) => error.message);
    checks.push({ name: "s3 bucket", ok: problem === "", detail: problem || `${store.description}: bucket reachable, credentials accepted (checked without writing)` });
  });
});

async function credentials(ctx: RunContext, options: S3Options): Promise<S3Credentials | undefined> {
  if (!options.accessKeyId || !options.secretAccessKey) return undefined;
  return {
    accessKeyId: (await ctx.secret(options.accessKeyId, `access key id of bucket ${options.bucket}`)).reveal(),
    secretAccessKey: (await ctx.secret(options.secretAccessKey, `secret access key of bucket ${options.bucket}`)).reveal(),
  };
}
