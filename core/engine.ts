import { createHooks, type Hooks } from "./hooks.js";
import { messages } from "./messages.js";
import { expandPath } from "./paths.js";
import type { Cipher, FolderCipher, Notifier, Plugin, Repository, SourceInfo, Store, Target, ToolRequirement, UnattendedSettings } from "./types.js";

/** Services plugins provide to each other; one provider each. */
export interface Services {
  store: Store;
  cipher: Cipher;
  repository: Repository;
  /** A filesystem target for rsync-style sync plugins (see Target). */
  target: Target;
  /** An encryption layer over whole folders (gocryptfs), for filesystem syncs. */
  folderCipher: FolderCipher;
  /** The folder the sync plugin backs up (for the tripwire). */
  source: SourceInfo;
  /** How the job runs on its own: cadence, maxAge, overlap, tripwire, drills. */
  unattended: UnattendedSettings;
}

/** One job's engine: its hooks, its plugins and the services they provide. */
export class Engine {
  readonly hooks: Hooks = createHooks();
  readonly plugins: string[] = [];
  readonly #services = new Map<keyof Services, { plugin: string; value: unknown }>();
  #current = "(core)";

  constructor(
    readonly job: string,
    readonly configDir: string,
  ) {}

  /** Applies a validated plugin. Called by the config loader, once per plugin. */
  use<O>(plugin: Plugin<O>, options: O): void {
    const previous = this.#current;
    this.#current = plugin.name;
    this.plugins.push(plugin.name);
    try {
      plugin.apply(this, options);
    } finally {
      this.#current = previous;
    }
  }

  provide<K extends keyof Services>(name: K, value: Services[K]): void {
    const existing = this.#services.get(name);
    if (existing) throw messages.serviceTwice(this.job, name, existing.plugin, this.#current);
    this.#services.set(name, { plugin: this.#current, value });
  }

  service<K extends keyof Services>(name: K): Services[K] {
    const entry = this.#services.get(name);
    if (!entry) throw messages.serviceMissing(this.job, name);
    return entry.value as Services[K];
  }

  hasService(name: keyof Services): boolean {
    return this.#services.has(name);
  }

  /** A path from the config, relative to the config file's folder; ~ expanded. */
  resolvePath(path: string): string {
    return expandPath(path, this.configDir);
  }

  notifiers(): Notifier[] {
    const list: Notifier[] = [];
    this.hooks.notifiers.call(list);
    return list;
  }

  requirements(): ToolRequirement[] {
    const list: ToolRequirement[] = [];
    this.hooks.requirements.call(list);
    const seen = new Set<string>();
    return list.filter((r) => (seen.has(r.tool) ? false : (seen.add(r.tool), true)));
  }
}
