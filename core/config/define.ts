import type { z } from "zod";
import type { Engine } from "../engine.js";
import type { CryptkeepConfig, Plugin, PluginOption } from "../types.js";

/** Returns its input: it exists so editors type-check backup.config.ts. */
export function defineConfig(config: CryptkeepConfig): CryptkeepConfig {
  return config;
}

/**
 * Makes a plugin factory. The options are validated against `schema` when the config is
 * loaded, together with every other plugin's, so all problems are reported at once.
 */
export function definePlugin<S extends z.ZodType>(
  name: string,
  schema: S,
  apply: (engine: Engine, options: z.output<S>) => void,
): (options: z.input<S>) => Plugin<z.output<S>> {
  return (options) => ({ name, schema: schema as unknown as z.ZodType<z.output<S>>, options, apply });
}

/** A preset is a plugin whose apply uses other plugins: its options are the job's options. */
export function definePreset<S extends z.ZodType>(
  name: string,
  schema: S,
  plugins: (options: z.output<S>, engine: Engine) => PluginOption,
): (options: z.input<S>) => Plugin<z.output<S>> {
  return definePlugin(name, schema, (engine, options) => {
    for (const plugin of flattenPlugins(plugins(options, engine))) engine.use(plugin, validated(plugin));
  });
}

export function flattenPlugins(option: PluginOption): Plugin[] {
  if (!option) return [];
  if (Array.isArray(option)) return option.flatMap(flattenPlugins);
  return [option];
}

/** Plugins made inside a preset get options the preset already validated; parse them to apply defaults. */
function validated(plugin: Plugin): unknown {
  return plugin.schema ? plugin.schema.parse(plugin.options) : plugin.options;
}
