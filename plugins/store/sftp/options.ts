import { z } from "zod";
import { secretSourceSchema } from "../../../core/secret.js";
import { parseSftpUrl, SFTP_URL_FORM } from "./url.js";

const sftpObject = z.strictObject({
  host: z.string().min(1),
  /** @default 22 */
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1),
  /** Folder on the server that receives the backup (inside the chroot for a chrooted account). */
  path: z.string().min(1),
  /** Private key file; relative to the config file. */
  identityFile: z.string().min(1).optional(),
  /** Passphrase of the identity file, from a secret source. */
  passphrase: secretSourceSchema.optional(),
  /** Use the keys of the running ssh-agent (SSH_AUTH_SOCK). @default false */
  agent: z.boolean().default(false),
  /** Host keys to trust; an unknown host is refused. @default "~/.ssh/known_hosts" */
  knownHosts: z.string().min(1).default("~/.ssh/known_hosts"),
  /** Seconds to wait for the connection and login. @default 20 */
  connectTimeout: z.number().int().min(1).max(600).default(20),
  /** Attempts in all for an operation that failed on a network hiccup. @default 4 */
  attempts: z.number().int().min(1).max(10).default(4),
}).refine((o) => o.identityFile !== undefined || o.agent, {
  message: "sftp needs a key: set identityFile, or agent: true to use ssh-agent",
}).refine((o) => o.passphrase === undefined || o.identityFile !== undefined, {
  message: "passphrase is the identity file's: set identityFile too",
});

type SftpObjectInput = z.input<typeof sftpObject>;
type Address = "host" | "port" | "user" | "path";
/**
 * An sftp target as a user writes it: the object above; or `{ url: "sftp://user@host[:port]/path", ...keys }`
 * in place of host, port, user and path; or the URL alone, which logs in with ssh-agent's keys.
 */
export type SftpOptionsInput = string | SftpObjectInput | (Omit<SftpObjectInput, Address> & { url: string });

/** The URL forms turned into the object form; a malformed URL is one config error that names the form. */
function expandUrl(value: unknown, ctx: z.RefinementCtx): unknown {
  const given = typeof value === "string" ? { url: value, agent: true } : value;
  if (!given || typeof given !== "object" || !("url" in given)) return value;
  const { url, ...rest } = given as { url: unknown } & Record<string, unknown>;
  const clash = Object.keys(rest).filter((key) => ["host", "port", "user", "path"].includes(key));
  if (clash.length) ctx.addIssue({ code: "custom", message: `give either url or ${clash.join(", ")}, not both` });
  if (typeof url !== "string") {
    ctx.addIssue({ code: "custom", path: ["url"], message: `expected a URL like ${SFTP_URL_FORM}` });
    return z.NEVER;
  }
  const parsed = parseSftpUrl(url);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: "custom", path: typeof value === "string" ? [] : ["url"], message: parsed });
    return z.NEVER;
  }
  return { ...rest, ...parsed };
}

export const sftpOptions = z.preprocess(expandUrl, sftpObject) as unknown as z.ZodType<z.output<typeof sftpObject>, SftpOptionsInput>;

export type SftpOptions = z.output<typeof sftpObject>;
