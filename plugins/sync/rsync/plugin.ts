import { access, constants, mkdir, readdir } from "node:fs/promises";
import { basename, relative, resolve } from "node:path";
import { definePlugin } from "../../../core/config/define.js";
import { messages } from "../../../core/messages.js";
import type { FolderCipher, RunContext, SnapshotInfo, VerifyProblem } from "../../../core/types.js";
import { FILES, VERSIONS } from "./layout.js";
import { claimTarget, readMarker, recordBackup } from "./marker.js";
import { rsyncOptions, type RsyncOptions } from "./options.js";
import { backupVersioned, listVersions } from "./versioned.js";
import { backupSnapshot, listSnapshots, snapshotFolder } from "./link-snapshots.js";
import { TargetFs } from "./target-fs.js";
import { runRestore } from "./restore.js";
import { deepDue, recordDeep, summary, verifyChecksums, verifyDeep } from "./verify.js";
import { verifySnapshot } from "./verify-snapshot.js";
import { rsyncRecipe } from "./recipe.js";
import { mountView } from "./mount.js";
import { countWithRsync } from "./count-source.js";
import { runRsyncDrill } from "./drill.js";
import { releaseViews } from "./views.js";

const PLUGIN_NAME = "sync:rsync";

/**
 * rsync into the job's `target` (a folder, a mount, or a server by ssh): seed 001's versioned
 * mirror or seed 003's hard-linked snapshots. With a `folderCipher` (gocryptfs) it copies the
 * encrypted view of the source and reads backups back through it. Provides the repository.
 */
export const rsync = definePlugin(PLUGIN_NAME, rsyncOptions, (engine, given) => {
  const source = engine.resolvePath(given.source);
  const options: RsyncOptions = { ...given, name: given.name ?? (basename(source) || "snapshot") };
  const excludeFrom = options.excludeFrom ? engine.resolvePath(options.excludeFrom) : undefined;
  // A job with a container (LUKS) writes into the filesystem opened inside the target.
  const where = () => (engine.hasService("volume") ? engine.service("volume") : engine.service("target"));
  const fs = () => new TargetFs(where());
  const cipher = (): FolderCipher | undefined => (engine.hasService("folderCipher") ? engine.service("folderCipher") : undefined);
  const versionOf = (id: string) => (options.layout === "versioned" ? `${VERSIONS}/${id}` : snapshotFolder(options, id));
  const list = (ctx: RunContext) => (options.layout === "versioned" ? listVersions(ctx, fs()) : listSnapshots(ctx, fs(), options));

  engine.provide("repository", {
    list,
    remove: async (ctx, id) => {
      ctx.step(`remove ${versionOf(id)} at ${fs().description}`);
      if (ctx.dryRun) return;
      await fs().removeTree(ctx, versionOf(id));
      ctx.log.info(`removed ${versionOf(id)}`);
    },
  });

  engine.hooks.requirements.tap(PLUGIN_NAME, (reqs) => {
    reqs.push({ tool: "rsync", purpose: "copy to the target and back", versionArgs: ["--version"], versionPattern: /rsync\s+version v?(\d+\.\d+\.\d+)/, minVersion: "3.1.0" });
    if (options.layout !== "snapshots" && options.verify.checksums === "remote") {
      reqs.push({ tool: "b2sum", purpose: "checksums of every file for verify (GNU coreutils)", versionArgs: ["--version"], versionPattern: /coreutils\)\s+(\d+\.\d+)/, minVersion: "8.26" });
    }
  });

  engine.hooks.init.tapPromise(PLUGIN_NAME, async (ctx) => {
    await claimTarget(ctx, fs(), options.layout);
    if (!ctx.dryRun) await mkdir(ctx.cacheDir, { recursive: true, mode: 0o700 });
  });

  engine.hooks.beforeBackup.tapPromise(PLUGIN_NAME, async (ctx) => {
    ctx.step(`check that the target's marker names job '${ctx.job}'`);
    await claimTarget(ctx, fs(), options.layout);
  });

  /** Excludes apply to plaintext names, so with a folder cipher the cipher applies them; the cache never backs itself up. */
  const rsyncArgs = (ctx: RunContext): string[] => {
    if (cipher()) return [];
    const own = [resolve(ctx.cacheDir, "..")].filter((p) => p.startsWith(`${source}/`)).map((p) => `/${relative(source, p)}/`);
    return [...[...options.exclude, ...own].map((p) => `--exclude=${p}`), ...(excludeFrom ? [`--exclude-from=${excludeFrom}`] : [])];
  };

  const countArgs = (ctx: RunContext) => {
    const own = cipher()?.ownFiles;
    return own ? own.map((name) => `--exclude=/${name}`) : rsyncArgs(ctx);
  };
  const countSource = (ctx: RunContext) => countWithRsync(ctx, source, countArgs(ctx));
  engine.provide("source", { path: source, countFiles: countSource, lastCount: async (ctx) => (await readMarker(ctx, fs()))?.lastCount });
  const tripwireOn = () => engine.hasService("unattended") && engine.service("unattended").tripwire !== false;

  engine.hooks.backup.tapPromise(PLUGIN_NAME, async (ctx) => {
    const target = fs();
    const marker = await claimTarget(ctx, target, options.layout);
    const from = cipher()?.encryptedSource() ?? source;
    if (!cipher() && !ctx.dryRun) await access(source, constants.R_OK).catch(() => { throw messages.sourceMissing(source); });
    const result = options.layout === "versioned"
      ? await backupVersioned(ctx, target, from, rsyncArgs(ctx), cipher()?.viewExtras)
      : await backupSnapshot(ctx, target, options, from, rsyncArgs(ctx));
    // Without a cipher rsync's own count is the source's; through gocryptfs it also counts gocryptfs's files.
    const files = tripwireOn() ? (cipher() ? await countSource(ctx) : result.sourceFiles) : undefined;
    await recordBackup(ctx, target, marker, new Date(), files === undefined ? undefined : { snapshot: result.snapshot, files });
    return result;
  });

  engine.hooks.snapshots.tapPromise(PLUGIN_NAME, async (ctx): Promise<SnapshotInfo[]> => {
    const versions = await list(ctx);
    if (options.layout !== "versioned") return versions;
    const marker = await readMarker(ctx, fs());
    const mirror: SnapshotInfo[] = marker?.lastBackup ? [{ id: FILES, time: marker.lastBackup, type: "full", files: 0, sourceBytes: 0, storedBytes: 0, volumes: 0, complete: true }] : [];
    return [...versions, ...mirror];
  });

  engine.hooks.restore.tapPromise(PLUGIN_NAME, (ctx, request) => runRestore(ctx, fs(), options, cipher(), request));

  engine.hooks.verify.tapPromise(PLUGIN_NAME, async (ctx) => {
    const started = Date.now();
    await claimTarget(ctx, fs(), options.layout);
    if (options.layout === "snapshots") {
      const { files, problems } = await verifySnapshot(ctx, fs(), options, source, rsyncArgs(ctx));
      return summary(started, files, 0, problems);
    }
    const from = cipher()?.encryptedSource() ?? source;
    let files = 0;
    const problems: VerifyProblem[] = [];
    if (options.verify.checksums === "remote") {
      const checked = await verifyChecksums(ctx, fs(), from);
      files = checked.files;
      problems.push(...checked.problems);
    }
    let compared = 0;
    const folderCipher = cipher();
    if (folderCipher && (await deepDue(ctx, options))) {
      const deep = await verifyDeep(ctx, folderCipher, from, source);
      compared = deep.compared;
      problems.push(...deep.problems);
      if (deep.problems.length === 0) await recordDeep(ctx);
    }
    return summary(started, files, compared, problems);
  });

  engine.hooks.drill.tapPromise(PLUGIN_NAME, (ctx, request) => runRsyncDrill(ctx, fs(), options, cipher(), source, request));

  engine.hooks.mount.tapPromise(PLUGIN_NAME, (ctx, request) => mountView(ctx, fs(), options, cipher(), request));
  engine.hooks.unmount.tapPromise(PLUGIN_NAME, (ctx, request) => releaseViews(ctx, request.dir));

  engine.hooks.recipe.tapPromise(PLUGIN_NAME, async (recipe) => rsyncRecipe(recipe, where(), options, cipher()));

  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (_ctx, checks) => {
    const readable = await access(source, constants.R_OK).then(() => readdir(source)).then(() => "", (e: NodeJS.ErrnoException) => e.code ?? e.message);
    checks.push({ name: "source", ok: readable === "", detail: readable ? messages.sourceMissing(source).message : `${source} is readable` });
  });
});
