import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { cosmiconfig, type Loader } from "cosmiconfig";
import { z } from "zod";
import { Engine } from "../engine.js";
import { messages } from "../messages.js";
import { messageOf, isCryptkeepError } from "../errors.js";
import type { CryptkeepConfig, Plugin } from "../types.js";
import { flattenPlugins } from "./define.js";
import { formatIssue, formatPath } from "./issues.js";
import { cryptkeepPackage } from "../package-root.js";

export const CONFIG_FILES = ["backup.config.ts", "backup.config.mts", "backup.config.js", "backup.config.mjs"];


/** TypeScript configs load without a build step; `cryptkeep` imports resolve to this installation. */
const jitiLoader: Loader = async (file) => {
  // Required, not imported: node's ESM loader first scans jiti's 190 KB CommonJS bundle for its
  // exports, which cost 0.15-0.4 s of every command's start-up here (require: 0.04-0.07 s).
  const { createJiti } = createRequire(import.meta.url)("jiti") as typeof import("jiti");
  const dist = resolve(cryptkeepPackage().root, "dist");
  const jiti = createJiti(import.meta.url, {
    alias: {
      "cryptkeep/presets": resolve(dist, "presets/index.js"),
      "cryptkeep/plugins": resolve(dist, "plugins/index.js"),
      cryptkeep: resolve(dist, "core/index.js"),
    },
    moduleCache: false,
    fsCache: true,
  });
  const mod = (await jiti.import(file)) as { default?: unknown };
  return mod.default ?? mod;
};

/**
 * Plain ESM configs load natively, without loading jiti (much faster where node starts slowly);
 * one that imports "cryptkeep" from where node cannot resolve it goes through jiti's alias.
 */
const esmLoader: Loader = async (file, content) => {
  try {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    return mod.default ?? mod;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") return jitiLoader(file, content);
    throw error;
  }
};

export interface LoadedConfig {
  file: string;
  config: CryptkeepConfig;
}

export async function loadConfig(explicit: string | undefined, cwd: string = process.cwd()): Promise<LoadedConfig> {
  const explorer = cosmiconfig("cryptkeep", {
    searchPlaces: CONFIG_FILES,
    loaders: { ".ts": jitiLoader, ".mts": jitiLoader, ".js": jitiLoader, ".mjs": esmLoader },
    searchStrategy: "global",
    cache: false,
  });
  let found;
  try {
    found = explicit ? await explorer.load(resolve(cwd, explicit)) : await explorer.search(cwd);
  } catch (error) {
    if (isCryptkeepError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && explicit) throw messages.configFileMissing(resolve(cwd, explicit));
    throw messages.configLoadFailed(explicit ?? "backup.config.ts", loadErrorDetail(error));
  }
  if (!found || found.isEmpty) throw messages.configNotFound(cwd);
  return { file: found.filepath, config: found.config as CryptkeepConfig };
}

/** The loader's first line, and the place it points at ("file:8:6") when it says so on a later line. */
function loadErrorDetail(error: unknown): string {
  const lines = messageOf(error).split("\n").map((line) => line.trim()).filter(Boolean);
  const where = lines.slice(1).find((line) => /:\d+:\d+$/.test(line));
  return where ? `${lines[0]} (at ${where})` : lines[0] ?? "";
}

const topLevelSchema = z.strictObject({
  jobs: z.record(z.string().regex(/^[A-Za-z0-9][\w.-]*$/, "job names use letters, digits, '.', '_' and '-'"), z.unknown()),
  tools: z.record(z.string(), z.string()).optional(),
  cacheDir: z.string().optional(),
  notify: z.unknown().optional(),
});

/** Validates a list of plugins at `prefix`; adds each problem, returns the plugins with their parsed options. */
function parsePlugins(plugins: Plugin[], prefix: (string | number)[], single: boolean, problems: string[]): [Plugin, unknown][] {
  const parsed: [Plugin, unknown][] = [];
  plugins.forEach((plugin, index) => {
    const at = single ? prefix : [...prefix, index];
    if (!plugin || typeof plugin.apply !== "function") {
      problems.push(`at ${formatPath(at)}: not a plugin (use a preset such as gpgIncremental({...}), or a plugin such as httpPing({...}))`);
      return;
    }
    const result = plugin.schema ? plugin.schema.safeParse(plugin.options, { reportInput: true }) : { success: true as const, data: plugin.options };
    if (result.success) parsed.push([plugin, result.data]);
    else problems.push(...result.error.issues.map((issue) => formatIssue(issue, at, plugin.schema)));
  });
  return parsed;
}

/** Validates the whole config, every plugin's options included, and reports every problem at once. */
export function buildEngines(loaded: LoadedConfig): Map<string, Engine> {
  const problems: string[] = [];
  const top = topLevelSchema.safeParse(loaded.config, { reportInput: true });
  if (!top.success) {
    throw messages.configInvalid(shortName(loaded.file), top.error.issues.map((issue) => formatIssue(issue, [])));
  }
  const engines = new Map<string, Engine>();
  // Top-level `notify`: plugins (httpPing, email, notifyCommand) applied to every job.
  const shared = parsePlugins(flattenPlugins(loaded.config.notify as never), ["notify"], false, problems);
  for (const [job, value] of Object.entries(loaded.config.jobs)) {
    const engine = new Engine(job, dirname(loaded.file));
    const single = !Array.isArray(value);
    const plugins = flattenPlugins(value as never);
    if (plugins.length === 0) problems.push(`at jobs.${job}: no preset or plugins given`);
    const parsed = parsePlugins(plugins, ["jobs", job], single, problems);
    if (problems.length === 0) {
      try {
        for (const [plugin, options] of [...parsed, ...shared]) engine.use(plugin, options);
      } catch (error) {
        if (isCryptkeepError(error)) problems.push(`at jobs.${job}: ${error.message}`);
        else throw error;
      }
    }
    engines.set(job, engine);
  }
  if (problems.length) throw messages.configInvalid(shortName(loaded.file), problems);
  return engines;
}

function shortName(file: string): string {
  const rel = file.startsWith(process.cwd() + "/") ? file.slice(process.cwd().length + 1) : file;
  return rel;
}
