import { z } from "zod";
import type { PluginOption } from "../core/types.js";
import { luks } from "../plugins/encryption/luks/plugin.js";
import { luksFields } from "../plugins/encryption/luks/options.js";
import { retention } from "../plugins/retention/index.js";
import { retentionSchema } from "../plugins/retention/policy.js";
import { rsync } from "../plugins/sync/rsync/plugin.js";
import { presetUnattendedOptions, unattendedPlugins, withoutUnattended } from "../plugins/unattended/preset-options.js";

/** What both LUKS presets take besides where the container lives: the container's own options, the source, and the sync. */
export const luksPresetOptions = luksFields.omit({ image: true }).extend({
  /** Folder to back up. */
  source: z.string().min(1),
  /** rsync exclude patterns, or { from: FILE } for a file of them (rsync --exclude-from). @default [] */
  exclude: z.union([z.array(z.string().min(1)), z.strictObject({ from: z.string().min(1) })]).default([]),
  /**
   * Hard-linked snapshots `<name>.<UTC time>/` (seed 003's rsync --link-dest), kept by this
   * retention policy on `cryptkeep prune`. Without it: a mirror in files/ (rsync --delete),
   * with the files each run replaced or deleted kept in snapshots/<UTC time>/.
   */
  snapshots: retentionSchema.optional(),
  /** Snapshot folder name before the time. @default the source folder's name */
  name: z.string().regex(/^[\w.-]+$/, "use letters, digits, '.', '_' and '-'").optional(),
  /**
   * Running unattended: every, maxAge, overlap, tripwire, notify, and restore drills
   * (`verify: { drill: { every, sample } }`: the container opened read-only and mounted as the
   * recipe does, random files copied out and compared with the source). docs/unattended.md
   */
  ...presetUnattendedOptions,
});
export type LuksPresetOptions = z.output<typeof luksPresetOptions>;

/** The container plugin, the sync into it, the retention of its snapshots, and how the job runs unattended. */
export function luksPlugins(options: LuksPresetOptions, image: string): PluginOption {
  const { every, maxAge, overlap, maxWait, tripwire, verify, notify } = options;
  const { source, exclude, snapshots, name, ...container } = withoutUnattended(options);
  return [
    luks({ ...container, image }),
    rsync({
      source, name, layout: snapshots ? "snapshots" : "versioned",
      exclude: Array.isArray(exclude) ? exclude : [], excludeFrom: Array.isArray(exclude) ? undefined : exclude.from,
      verify: { checksums: "remote" },
    }),
    snapshots && retention(snapshots),
    unattendedPlugins({ every, maxAge, overlap, maxWait, tripwire, verify, notify }),
  ];
}
