import { z } from "zod";
import { definePreset } from "../core/config/define.js";
import { secretSourceSchema } from "../core/secret.js";
import { openpgpEncryption, openpgpOptions } from "../plugins/encryption/openpgp/plugin.js";
import { retention } from "../plugins/retention/index.js";
import { retentionSchema } from "../plugins/retention/policy.js";
import { localStore } from "../plugins/store/local/index.js";
import { s3Options, s3Store } from "../plugins/store/s3/index.js";
import { sftpOptions, sftpStore } from "../plugins/store/sftp/index.js";
import { mountedStore } from "../plugins/store/mounted/index.js";
import { davfs, davfsOptions } from "../plugins/transport/davfs/index.js";
import { s3fs, s3fsOptions } from "../plugins/transport/s3fs/index.js";
import { tarIncremental } from "../plugins/sync/tar-incremental/plugin.js";
import { tarIncrementalOptions } from "../plugins/sync/tar-incremental/options.js";
import { presetUnattendedOptions, unattendedPlugins, withoutUnattended } from "../plugins/unattended/preset-options.js";

export const gpgIncrementalOptions = tarIncrementalOptions.extend({
  /** Where the encrypted volumes go: a local folder, an SFTP server or an S3 bucket. */
  target: z.union([
    z.strictObject({ local: z.string().min(1) }),
    z.strictObject({ sftp: sftpOptions }),
    z.strictObject({ s3: s3Options }),
    z.strictObject({ davfs: davfsOptions }),
    z.strictObject({ s3fs: s3fsOptions }),
  ]),
  /** Armored OpenPGP public key files; backups need no secret. */
  recipients: z.array(z.string().min(1)).min(1, "at least one recipient key file is needed"),
  /** Private key (and passphrase) for restore and verify. */
  identity: z.strictObject({ key: secretSourceSchema, passphrase: secretSourceSchema.optional() }).optional(),
  /** Sign manifests; verify and restore then require the signature. */
  signing: openpgpOptions.shape.signing,
  /** Which snapshots `cryptkeep prune` keeps. */
  retention: retentionSchema.optional(),
  /** Running unattended: every, maxAge, overlap, tripwire, verify.drill, notify (docs/unattended.md). */
  ...presetUnattendedOptions,
});

/**
 * Seed 004's scheme (duplicity-style): GNU tar incremental archives, split into volumes,
 * encrypted to OpenPGP public keys. Restorable with gpg and tar alone (`cryptkeep recipe`).
 */
export const gpgIncremental = definePreset("preset:gpgIncremental", gpgIncrementalOptions, (options) => {
  const { every, maxAge, overlap, tripwire, verify, notify } = options;
  const { target, recipients, identity, signing, retention: policy, ...sync } = withoutUnattended(options);
  return [
    storeFor(target),
    openpgpEncryption({ recipients, identity, signing }),
    tarIncremental(sync),
    policy && retention(policy),
    unattendedPlugins({ every, maxAge, overlap, tripwire, verify, notify }),
  ];
});

function storeFor(target: z.output<typeof gpgIncrementalOptions>["target"]) {
  if ("sftp" in target) return sftpStore(target.sftp);
  if ("s3" in target) return s3Store(target.s3);
  // A mounted target is used through a local-folder store on its mount point.
  if ("davfs" in target) return [davfs(target.davfs), mountedStore({})];
  if ("s3fs" in target) return [s3fs(target.s3fs), mountedStore({})];
  return localStore({ path: target.local });
}
