import { z } from "zod";
import { secretSourceSchema } from "../../../core/secret.js";

export const davfsOptions = z.strictObject({
  /** URL of the WebDAV folder, e.g. https://dav.example.org/backups/ */
  url: z.url().refine((u) => /^https?:\/\//.test(u), "the WebDAV url must start with http:// or https://"),
  user: z.string().min(1),
  password: secretSourceSchema,
  /** Seconds to wait for a connection to the server (davfs2 connect_timeout). @default 10 */
  connectTimeoutSeconds: z.number().int().min(1).max(600).default(10),
  /** Seconds to wait for the server's answer to a request (davfs2 read_timeout; its own default is 30). @default 20 */
  readTimeoutSeconds: z.number().int().min(1).max(3600).default(20),
});

export type DavfsOptions = z.output<typeof davfsOptions>;
