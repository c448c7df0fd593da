import { z } from "zod";
import { duration } from "../../core/schemas.js";
import { parseDuration } from "../../core/duration.js";

/** systemd's own calendar words; any duration ("6h", "2D") works too. */
export const CADENCE_WORDS = ["hourly", "daily", "weekly", "monthly"] as const;

export const cadence = z.string().refine((value) => (CADENCE_WORDS as readonly string[]).includes(value) || parseDuration(value) !== undefined, {
  message: `expected "hourly", "daily", "weekly", "monthly" or a duration like 6h or 2D`,
});

/** The settings of a job that runs on its own. Presets accept the same keys. */
export const unattendedOptions = z.strictObject({
  /** How often `cryptkeep schedule` runs the backup: "hourly", "daily", "weekly", "monthly" or a duration ("6h"). */
  every: cadence.optional(),
  /** `cryptkeep status` exits 6 (stale) when the newest snapshot is older than this. */
  maxAge: duration.optional(),
  /** When another run holds the job's lock: "skip" (exit 3, state skipped), "wait" for it, or "fail" (exit 1). @default "skip" */
  overlap: z.enum(["skip", "wait", "fail"]).default("skip"),
  /**
   * Refuse to back up or prune when the source is missing, or holds fewer than `minFileRatio` of
   * the newest snapshot's files (a vanished mount, a wipe). `false` turns it off. @default { minFileRatio: 0.5 }
   */
  tripwire: z.union([z.literal(false), z.strictObject({ minFileRatio: z.number().gt(0).max(1).default(0.5) })]).default({ minFileRatio: 0.5 }),
  verify: z.strictObject({
    /** Restore drills: restore `sample` random files with the standard tools every `every` (after a backup, or `verify --drill`). */
    drill: z.strictObject({
      /** @default "7D" */
      every: duration.default("7D"),
      /** Files restored per drill. @default 50 */
      sample: z.int().positive().default(50),
    }).optional(),
  }).optional(),
});
export type UnattendedOptions = z.output<typeof unattendedOptions>;

/**
 * The same keys for a preset's options, without defaults (so a preset can tell whether any was
 * given), plus `notify`: notification plugins for this job only.
 */
export const unattendedPresetOptions = {
  every: unattendedOptions.shape.every,
  maxAge: unattendedOptions.shape.maxAge,
  overlap: unattendedOptions.shape.overlap.unwrap().optional(),
  tripwire: unattendedOptions.shape.tripwire.unwrap().optional(),
  verify: unattendedOptions.shape.verify,
};
