import { definePreset } from "../core/config/define.js";
import { gocryptfsOptions } from "../plugins/encryption/gocryptfs/options.js";
import { gocryptfs } from "../plugins/encryption/gocryptfs/plugin.js";
import { retention } from "../plugins/retention/index.js";
import { retentionSchema } from "../plugins/retention/policy.js";
import { rsync } from "../plugins/sync/rsync/plugin.js";
import { rsyncVerifySchema } from "../plugins/sync/rsync/options.js";
import { remoteSchema } from "../plugins/transport/remote.js";
import { presetUnattendedOptions, unattendedPlugins } from "../plugins/unattended/preset-options.js";
import { drillSchema } from "../plugins/unattended/options.js";
import { fsTargetSchema, targetPlugin, transportSchema, type FsTarget } from "../plugins/transport/target-option.js";

export const gocryptfsReverseOptions = gocryptfsOptions.extend({
  /** The server that keeps the backup (or give `target` instead). */
  remote: remoteSchema.optional(),
  /** How `remote` is reached: "sshfs" (mounted, seed 001) or "ssh" (rsync's own transport). @default "sshfs" */
  transport: transportSchema.default("sshfs"),
  /** Instead of remote + transport: { local: "/mnt/disk/backup" }, { sshfs: {...} } or { ssh: {...} }. */
  target: fsTargetSchema.optional(),
  /** Which dated snapshots/ folders (older versions) `cryptkeep prune` keeps. */
  versions: retentionSchema.optional(),
  /** Running unattended: every, maxAge, overlap, tripwire, notify (docs/unattended.md). */
  ...presetUnattendedOptions,
  /** How verify checks the backup, and restore drills (`drill: { every, sample }`). @default { checksums: "remote" } */
  verify: rsyncVerifySchema.extend({ drill: drillSchema }).default({ checksums: "remote" }),
}).superRefine((options, ctx) => {
  if ((options.remote === undefined) === (options.target === undefined)) {
    ctx.addIssue({ code: "custom", path: ["remote"], message: "give either remote (with transport) or target, not both and not neither" });
  }
});

/**
 * Seed 001's scheme: the source encrypted on the fly by gocryptfs in reverse mode, mirrored by
 * rsync into files/ at the target, with changed and deleted files kept in snapshots/<UTC time>/.
 */
export const gocryptfsReverse = definePreset("preset:gocryptfsReverse", gocryptfsReverseOptions, (options) => {
  const target: FsTarget = options.target ?? (options.transport === "ssh" ? { ssh: options.remote! } : { sshfs: options.remote! });
  const { source, password, plaintextNames, deterministicNames, exclude, excludeFrom, keepConfigAt } = options;
  const { drill, ...verify } = options.verify;
  const { every, maxAge, overlap, maxWait, tripwire, notify } = options;
  return [
    targetPlugin(target),
    gocryptfs({ source, password, plaintextNames, deterministicNames, exclude, excludeFrom, keepConfigAt }),
    rsync({ source, layout: "versioned", verify }),
    options.versions && retention(options.versions),
    unattendedPlugins({ every, maxAge, overlap, maxWait, tripwire, verify: drill && { drill }, notify }),
  ];
});
