import { buildEngines, loadConfig } from "../config/load.js";
import { defaultCacheDir, expandPath } from "../paths.js";
import { Logger } from "../log.js";
import { Progress } from "../progress.js";
import { messages } from "../messages.js";
import { runSession, type PlanEntry, type SessionSettings } from "../session.js";
import type { Engine } from "../engine.js";
import type { CommandName, RunContext, RunOptions } from "../types.js";
import { dirname } from "node:path";

export interface GlobalOptions { config?: string; json?: boolean; debug?: boolean; quiet?: boolean }

/** What every command needs: the loaded config, its engines, a logger, and a way to run a session. */
export class App {
  private constructor(
    readonly globals: GlobalOptions,
    readonly log: Logger,
    readonly engines: Map<string, Engine>,
    readonly cacheRoot: string,
    readonly tools: Record<string, string>,
    readonly configFile: string,
  ) {}

  static async load(globals: GlobalOptions): Promise<App> {
    const log = new Logger(globals.debug ? "debug" : globals.quiet ? "warn" : "info");
    const loaded = await loadConfig(globals.config);
    const engines = buildEngines(loaded);
    const base = dirname(loaded.file);
    const cacheRoot = loaded.config.cacheDir ? expandPath(loaded.config.cacheDir, base) : defaultCacheDir();
    const tools = Object.fromEntries(Object.entries(loaded.config.tools ?? {}).map(([name, path]) => [name, path.includes("/") ? expandPath(path, base) : path]));
    return new App(globals, log, engines, cacheRoot, tools, loaded.file);
  }

  /** The named jobs, or every job when none is named. */
  jobs(names: string[]): Engine[] {
    if (names.length === 0) return [...this.engines.values()];
    return names.map((name) => {
      const engine = this.engines.get(name);
      if (!engine) throw messages.unknownJob(name, [...this.engines.keys()]);
      return engine;
    });
  }

  session<T>(
    engine: Engine,
    command: CommandName,
    options: RunOptions,
    flags: Pick<SessionSettings, "lock" | "connect" | "waitForLock"> & { dryRun?: boolean },
    body: (ctx: RunContext) => Promise<T>,
  ): Promise<{ result: T; plan: PlanEntry[] }> {
    // Results on stdout stay machine-readable: no progress line with --json or --quiet.
    const progress = new Progress(this.globals.json || this.globals.quiet ? null : undefined);
    return runSession(engine, { command, options, log: this.log, cacheRoot: this.cacheRoot, tools: this.tools, progress, ...flags }, body);
  }
}
