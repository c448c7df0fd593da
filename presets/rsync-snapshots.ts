import { z } from "zod";
import { definePreset } from "../core/config/define.js";
import { retention } from "../plugins/retention/index.js";
import { retentionSchema } from "../plugins/retention/policy.js";
import { rsync } from "../plugins/sync/rsync/plugin.js";
import { presetUnattendedOptions, unattendedPlugins, withoutUnattended } from "../plugins/unattended/preset-options.js";
import { fsTargetSchema, targetPlugin, WITHOUT_HARD_LINKS } from "../plugins/transport/target-option.js";

export const rsyncSnapshotsOptions = z.strictObject({
  /** Folder to back up. */
  source: z.string().min(1),
  /** { local: "/mnt/backup" }, { sshfs: {...remote} } or { ssh: {...remote} } (not davfs or s3fs: no hard links): it must already be encrypted (a LUKS volume, say). */
  target: fsTargetSchema,
  /** Snapshot folders are <name>.<UTC time>. @default the source folder's name */
  name: z.string().regex(/^[\w.-]+$/, "use letters, digits, '.', '_' and '-'").optional(),
  /** rsync exclude patterns. @default [] */
  exclude: z.array(z.string().min(1)).default([]),
  /** A file of rsync exclude patterns (rsync --exclude-from). */
  excludeFrom: z.string().min(1).optional(),
  /** Which snapshots `cryptkeep prune` keeps. */
  retention: retentionSchema.optional(),
  /** Running unattended: every, maxAge, overlap, tripwire, verify.drill, notify (docs/unattended.md). */
  ...presetUnattendedOptions,
}).superRefine((options, ctx) => {
  const kind = Object.keys(options.target)[0]!;
  if (WITHOUT_HARD_LINKS.includes(kind)) {
    ctx.addIssue({ code: "custom", path: ["target"], input: options.target, message: `rsyncSnapshots hard-links unchanged files between snapshots (rsync --link-dest), and a ${kind} target has no hard links: use the gocryptfsReverse preset with this target, or a local, sshfs or ssh target` });
  }
});

/**
 * Seed 003's rsync part: a full, hard-linked snapshot per run (rsync --link-dest), no encryption
 * layer of its own, for a target that is already encrypted (a LUKS container, an encrypted disk).
 */
export const rsyncSnapshots = definePreset("preset:rsyncSnapshots", rsyncSnapshotsOptions, (options) => {
  const { every, maxAge, overlap, maxWait, tripwire, verify, notify } = options;
  const { target, retention: policy, ...sync } = withoutUnattended(options);
  return [
    targetPlugin(target),
    rsync({ ...sync, layout: "snapshots" }),
    policy && retention(policy),
    unattendedPlugins({ every, maxAge, overlap, maxWait, tripwire, verify, notify }),
  ];
});
