import { s3EndpointSchema } from "../../store/s3/options.js";
import type { z } from "zod";

/** The s3 store's bucket and endpoint settings; `prefix` is the folder mounted. Keys are required: s3fs gets them in its environment. */
export const s3fsOptions = s3EndpointSchema.required({ accessKeyId: true, secretAccessKey: true });

export type S3fsOptions = z.output<typeof s3fsOptions>;
