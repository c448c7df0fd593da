import { z } from "zod";
import { secretSourceSchema } from "../../../core/secret.js";

export const sftpOptions = z.strictObject({
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

export type SftpOptions = z.output<typeof sftpOptions>;
