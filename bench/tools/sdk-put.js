#!/usr/bin/env node
// The S3 peer: one raw AWS SDK v3 PutObject of a file as a single stream (no multipart), with
// the same client settings as cryptkeep's s3 store. `node bench/tools/sdk-put.js FILE KEY`;
// endpoint, bucket and keys as JSON in BENCH_S3.
import { createReadStream, statSync } from "node:fs";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const [file, key] = process.argv.slice(2);
const { endpoint, bucket, credentials } = JSON.parse(process.env.BENCH_S3 ?? "{}");
const client = new S3Client({
  endpoint, region: "us-east-1", forcePathStyle: true, credentials,
  requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED",
});
await client.send(new PutObjectCommand({
  Bucket: bucket, Key: key, ContentLength: statSync(file).size,
  Body: createReadStream(file, { highWaterMark: 1 << 20 }),
}));
client.destroy();
