import { z } from "zod";
import { pluginList } from "../../core/config/plugin-list.js";
import type { PluginOption } from "../../core/types.js";
import { unattended } from "./index.js";
import { unattendedPresetOptions } from "./options.js";

/** What a preset adds to its options to run unattended: `every`, `maxAge`, `overlap`, `tripwire`, `verify`, `notify`. */
export const presetUnattendedOptions = { ...unattendedPresetOptions, notify: pluginList.optional() };
type PresetUnattended = z.output<z.ZodObject<typeof presetUnattendedOptions>>;

/** The plugins for those options: `unattended` when any of its keys is set, then the job's notifiers. */
export function unattendedPlugins(options: PresetUnattended): PluginOption {
  const { notify, ...settings } = options;
  const given = Object.values(settings).some((value) => value !== undefined);
  return [given && unattended(settings), ...(notify ?? [])];
}

/** Removes the unattended keys from a preset's options, leaving the rest for its other plugins. */
export function withoutUnattended<T extends Record<string, unknown>>(options: T): Omit<T, keyof typeof presetUnattendedOptions> {
  const rest: Record<string, unknown> = { ...options };
  for (const key of Object.keys(presetUnattendedOptions)) delete rest[key];
  return rest as Omit<T, keyof typeof presetUnattendedOptions>;
}
