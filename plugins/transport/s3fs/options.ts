import { z } from "zod";
import { s3EndpointSchema } from "../../store/s3/options.js";

/**
 * The s3 store's bucket and endpoint settings; `prefix` is the folder mounted. Keys are required:
 * s3fs gets them in its environment. s3fs's own defaults (300 s to connect, 120 s without
 * progress, 5 attempts at every request) would keep a run whose server is gone alive for many
 * minutes: these make it fail within about half a minute.
 */
export const s3fsOptions = s3EndpointSchema.required({ accessKeyId: true, secretAccessKey: true }).extend({
  /** Seconds to wait for a connection to the server (s3fs connect_timeout). @default 10 */
  connectTimeoutSeconds: z.number().int().min(1).max(600).default(10),
  /** Seconds a request may go without sending or receiving anything (s3fs readwrite_timeout). @default 20 */
  readWriteTimeoutSeconds: z.number().int().min(1).max(3600).default(20),
  /** Attempts in all for a request that failed, the first included (s3fs retries, which counts them so). @default 2 */
  attempts: z.number().int().min(1).max(20).default(2),
});

export type S3fsOptions = z.output<typeof s3fsOptions>;
