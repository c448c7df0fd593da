import { z } from "zod";
import { secretSourceSchema } from "../../../core/secret.js";

export const s3fsOptions = z.strictObject({
  bucket: z.string().min(3),
  /** Folder inside the bucket to mount. @default "" (the whole bucket) */
  prefix: z.string().default("").transform((p) => p.replace(/^\/+|\/+$/g, "")),
  /** Endpoint URL of an S3-compatible server; omit for AWS. */
  endpoint: z.url().optional(),
  /** @default "us-east-1" */
  region: z.string().min(1).default("us-east-1"),
  /** Path-style requests (http://host/bucket/key), which most self-hosted servers need. @default false */
  forcePathStyle: z.boolean().default(false),
  accessKeyId: secretSourceSchema,
  secretAccessKey: secretSourceSchema,
});

export type S3fsOptions = z.output<typeof s3fsOptions>;
