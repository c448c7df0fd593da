import { z } from "zod";
import { secretSourceSchema } from "../../../core/secret.js";

export const davfsOptions = z.strictObject({
  /** URL of the WebDAV folder, e.g. https://dav.example.org/backups/ */
  url: z.url().refine((u) => /^https?:\/\//.test(u), "the WebDAV url must start with http:// or https://"),
  user: z.string().min(1),
  password: secretSourceSchema,
});

export type DavfsOptions = z.output<typeof davfsOptions>;
