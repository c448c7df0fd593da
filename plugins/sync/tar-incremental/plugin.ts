import { access, constants, mkdir, readFile, readdir } from "node:fs/promises";
import { Readable } from "node:stream";
import { dirname, relative } from "node:path";
import { definePlugin } from "../../../core/config/define.js";
import { messages } from "../../../core/messages.js";
import type { RunContext } from "../../../core/types.js";
import { runBackup } from "./backup.js";
import { FORMAT_MARKER } from "./layout.js";
import { MANIFEST_FORMAT } from "./manifest.js";
import { readMarker } from "./marker.js";
import { tarIncrementalOptions } from "./options.js";
import { TarRepository } from "./repository.js";
import { StateCache } from "./state-cache.js";
import { runRestore } from "./restore.js";
import { runVerify } from "./verify.js";
import { tarRecipe } from "./recipe.js";
import { runDrill } from "./drill.js";
import { countSourceFiles } from "./source-count.js";

const PLUGIN_NAME = "sync:tar-incremental";

/**
 * Incremental backups in GNU tar's own listed-incremental format, split into volumes and
 * encrypted with the job's cipher into the job's store. Provides the job's repository.
 */
export const tarIncremental = definePlugin(PLUGIN_NAME, tarIncrementalOptions, (engine, options) => {
  if (options.compression === "gzip" && (options.compressionLevel ?? 6) > 9) throw messages.gzipLevel(options.compressionLevel!);
  const source = engine.resolvePath(options.source);
  const excludeFrom = options.excludeFrom ? engine.resolvePath(options.excludeFrom) : undefined;
  let repo: TarRepository | undefined;
  const repository = () => (repo ??= new TarRepository(engine.service("store"), engine.service("cipher")));
  const deps = () => ({ store: engine.service("store"), cipher: engine.service("cipher"), repository: repository() });
  const cache = (ctx: RunContext) => new StateCache(ctx.cacheDir);
  let tarVersion: string | undefined;
  const readTarVersion = async (ctx: RunContext) =>
    (tarVersion ??= /tar \(GNU tar\) ([\d.]+)/.exec((await ctx.exec({ tool: "tar", args: ["--version"] })).stdout)?.[1] ?? "unknown");

  engine.provide("repository", {
    list: () => repository().list(),
    remove: (ctx, id) => repository().remove(id).then(() => ctx.log.info(`removed snapshot ${id}`)),
  });

  // tar reads --exclude-from one pattern per line; whatever walks the source must skip the same names.
  const excludeFromLines = async () =>
    excludeFrom ? (await readFile(excludeFrom, "utf8")).split("\n").map((l) => l.replace(/\r$/, "")).filter(Boolean) : [];

  engine.provide("source", { path: source, countFiles: async () => countSourceFiles(source, [...options.exclude, ...(await excludeFromLines())]) });

  engine.hooks.requirements.tap(PLUGIN_NAME, (list) => {
    list.push({ tool: "tar", purpose: "archive and restore (GNU tar, listed-incremental format)", versionArgs: ["--version"], versionPattern: /tar \(GNU tar\) (\d+\.\d+)/, minVersion: "1.30" });
    if (options.compression === "zstd") list.push({ tool: "zstd", purpose: "compress volumes", versionArgs: ["--version"], versionPattern: /v(\d+\.\d+\.\d+)/, minVersion: "1.4" });
    list.push({ tool: "mkfifo", purpose: "make the pipe node reads tar's archive from", versionArgs: ["--version"], versionPattern: /(\d+\.\d+)/ });
  });

  engine.hooks.init.tapPromise(PLUGIN_NAME, async (ctx) => {
    const store = engine.service("store");
    ctx.step(`write ${FORMAT_MARKER} (the job's name, the format) in ${store.description}`);
    if (ctx.dryRun) return;
    await claimTarget(ctx);
    await mkdir(ctx.cacheDir, { recursive: true, mode: 0o700 });
  });

  /**
   * A target holds one job's snapshots: two jobs sharing a folder would prune each other's.
   * Only `init` makes an empty folder a target, so an unmounted disk's empty mount point is
   * never mistaken for one.
   */
  const claimTarget = async (ctx: RunContext) => {
    const store = engine.service("store");
    const marker = await readMarker(store);
    if (marker?.job && marker.job !== ctx.job) throw messages.targetOfOtherJob(store.description, marker.job, ctx.job);
    if (marker?.job === ctx.job) return;
    if (!marker && ctx.command !== "init" && (await repository().list()).length === 0) throw messages.targetNotInitialized(store.description, ctx.job);
    if (ctx.dryRun) return;
    const fresh = { format: MANIFEST_FORMAT, job: ctx.job, created: new Date().toISOString(), note: "cryptkeep backup: 'cryptkeep recipe' prints how to restore without cryptkeep" };
    await store.put(FORMAT_MARKER, Readable.from([Buffer.from(JSON.stringify({ ...fresh, ...marker, job: ctx.job }, null, 2) + "\n")]));
  };

  engine.hooks.beforeBackup.tapPromise(PLUGIN_NAME, async (ctx) => {
    ctx.step(`check that ${FORMAT_MARKER} at the target names job '${ctx.job}'`);
    // Under plan too: a plan must fail where the backup would.
    await claimTarget(ctx);
    const leftovers = (await repository().list()).filter((s) => !s.complete);
    for (const snapshot of leftovers) {
      ctx.step(`remove incomplete snapshot ${snapshot.id} left by an interrupted run`);
      if (ctx.dryRun) continue;
      ctx.log.warn(`removing incomplete snapshot ${snapshot.id} left by an interrupted or failed run`);
      await repository().remove(snapshot.id);
    }
    if (!ctx.dryRun) await cache(ctx).clearWork();
  });

  /** The vault and the local state must never back themselves up when they live inside the source. */
  const ownExcludes = (ctx: RunContext) =>
    [(engine.service("store") as { root?: string }).root, dirname(ctx.cacheDir)]
      .filter((path): path is string => path !== undefined && path.startsWith(`${source}/`))
      .map((path) => `./${relative(source, path)}`);
  const withOwnExcludes = (ctx: RunContext) => ({ ...options, exclude: [...options.exclude, ...ownExcludes(ctx)] });

  engine.hooks.backup.tapPromise(PLUGIN_NAME, (ctx) =>
    runBackup(ctx, { ...deps(), options: withOwnExcludes(ctx), source, excludeFrom, cache: cache(ctx), tarVersion: readTarVersion }));

  engine.hooks.snapshots.tapPromise(PLUGIN_NAME, async () => repository().list());

  engine.hooks.restore.tapPromise(PLUGIN_NAME, (ctx, request) => runRestore(ctx, deps(), request));

  engine.hooks.verify.tapPromise(PLUGIN_NAME, async (ctx, request) => {
    return runVerify(ctx, { ...deps(), source, exclude: [...withOwnExcludes(ctx).exclude, ...(await excludeFromLines())] }, request);
  });

  engine.hooks.drill.tapPromise(PLUGIN_NAME, (ctx, request) => runDrill(ctx, { ...deps(), source }, request));

  engine.hooks.recipe.tapPromise(PLUGIN_NAME, async (recipe) => {
    const store = engine.service("store");
    const complete = await repository().complete().catch(() => []);
    const chain = complete.length ? repository().chain(complete, complete.at(-1)!.id) : [];
    const root = (store as { root?: string }).root;
    return tarRecipe(recipe, { cipher: engine.service("cipher"), targetDescription: store.description, targetPath: root, chain, compression: options.compression });
  });

  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (_ctx, checks) => {
    const readable = await access(source, constants.R_OK).then(() => readdir(source)).then(() => "", (e: NodeJS.ErrnoException) => e.code ?? e.message);
    checks.push({ name: "source", ok: readable === "", detail: readable ? messages.sourceMissing(source).message : `${source} is readable` });
  });
});
