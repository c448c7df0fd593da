import { z } from "zod";
import { secretSourceSchema } from "../../../core/secret.js";

/** Which bucket, where, and how to sign in: shared by the s3 store and the s3fs transport. */
export const s3EndpointSchema = z.strictObject({
  bucket: z.string().min(3),
  /** Folder-like key prefix inside the bucket, e.g. "laptop/documents". @default "" (the whole bucket) */
  prefix: z.string().default("").transform((p) => p.replace(/^\/+|\/+$/g, "")),
  /** Endpoint URL of an S3-compatible server (Ceph radosgw, MinIO); omit for AWS. */
  endpoint: z.url().optional(),
  /** @default "us-east-1" */
  region: z.string().min(1).default("us-east-1"),
  /** Path-style URLs (http://host/bucket/key), which most self-hosted servers need. @default false */
  forcePathStyle: z.boolean().default(false),
  /** Access key id and secret, from secret sources; omit both to use the AWS SDK's own chain (env, profile, instance role). */
  accessKeyId: secretSourceSchema.optional(),
  secretAccessKey: secretSourceSchema.optional(),
});

export const s3Options = s3EndpointSchema.extend({
  /** Size of each part of a multipart upload, in MiB (5 to 5120). @default 16 */
  partSizeMiB: z.number().int().min(5).max(5120).default(16),
  /** Parts uploaded at once; each holds one part in memory (plus one being filled). @default 2 */
  parallelParts: z.number().int().min(1).max(32).default(2),
  /** Attempts in all for a request that failed on a network hiccup or a throttle. @default 4 */
  attempts: z.number().int().min(1).max(10).default(4),
}).refine((o) => (o.accessKeyId === undefined) === (o.secretAccessKey === undefined), {
  message: "set both accessKeyId and secretAccessKey, or neither (to use the AWS SDK's credential chain)",
});

export type S3Options = z.output<typeof s3Options>;
