import { definePlugin } from "../../core/config/define.js";
import { parseDuration } from "../../core/duration.js";
import type { UnattendedSettings } from "../../core/types.js";
import { unattendedOptions, type UnattendedOptions } from "./options.js";
import { checkTripwire } from "./tripwire.js";

const PLUGIN_NAME = "unattended";
/** Before every other tap: nothing is touched when the tripwire fires. */
const FIRST = { name: PLUGIN_NAME, stage: -100 };

export function unattendedSettings(options: UnattendedOptions): UnattendedSettings {
  const drill = options.verify?.drill;
  return {
    every: options.every,
    maxAge: options.maxAge,
    maxAgeMs: options.maxAge ? parseDuration(options.maxAge) : undefined,
    overlap: options.overlap,
    tripwire: options.tripwire,
    drill: drill && { every: drill.every, everyMs: parseDuration(drill.every)!, sample: drill.sample },
  };
}

/**
 * How a job runs on its own: its cadence (for `cryptkeep schedule`), its maximum age (for
 * `cryptkeep status`), what to do when another run holds the lock, the tripwire, and restore
 * drills. Provides the `unattended` service the core reads.
 */
export const unattended = definePlugin(PLUGIN_NAME, unattendedOptions, (engine, options) => {
  const settings = unattendedSettings(options);
  engine.provide("unattended", settings);
  const tripwire = settings.tripwire;
  if (tripwire === false) return;
  engine.hooks.beforeBackup.tapPromise(FIRST, (ctx) => checkTripwire(ctx, engine, tripwire.minFileRatio));
  engine.hooks.prune.tapPromise(FIRST, async (ctx) => {
    await checkTripwire(ctx, engine, tripwire.minFileRatio);
    return undefined;
  });
});

export { unattendedOptions } from "./options.js";
export type { UnattendedOptions } from "./options.js";
