import { access, constants, readFile, stat } from "node:fs/promises";
import { createReadStream, existsSync } from "node:fs";
import { buffer } from "node:stream/consumers";
import { join } from "node:path";
import { messages } from "../../../core/messages.js";
import { requireDuration } from "../../../core/duration.js";
import type { BackupSummary, Cipher, RunContext, SnapshotInfo, Store } from "../../../core/types.js";
import type { CommandResult } from "../../../core/runner.js";
import { TarIndexer, renamesTarCannotReplay } from "./index/index.js";
import { infoName, manifestName, newSnapshotId, snarName, snapshotTime } from "./layout.js";
import { MANIFEST_FORMAT, manifestJson, type Manifest, type SnapshotIndexEntry } from "./manifest.js";
import type { TarIncrementalOptions } from "./options.js";
import type { TarRepository } from "./repository.js";
import type { StateCache } from "./state-cache.js";
import { compressCommand } from "./compression.js";
import { createArgs, fileProblems } from "./tar-args.js";
import { writeVolumes } from "./volume-writer.js";
import { storeHashed } from "./volume-store.js";
import { Readable } from "node:stream";
import { sha256Hex } from "./digest.js";
import { treeAt } from "./chain-state.js";
import { CachedTree } from "./cached-tree.js";
import { runTree, type RunParent } from "./run-tree.js";

export interface BackupDeps {
  options: TarIncrementalOptions;
  source: string;
  excludeFrom?: string;
  store: Store;
  cipher: Cipher;
  repository: TarRepository;
  cache: StateCache;
  tarVersion(ctx: RunContext): Promise<string>;
  /** Set when an incremental was found that tar could not replay: make a full instead. */
  forceFull?: string;
}

interface Parent {
  id: string;
  manifest: Omit<Manifest, "files">;
  /** The parent's whole tree and totals, read from the cache while tar runs. */
  tree: Promise<RunParent>;
  /** Files the parent could not read and that still cannot be read: in no snapshot, so still an error. */
  stillUnreadable: string[];
}

/** Decides full or incremental, and makes sure the parent's .snar and manifest are in the local cache. */
async function chooseParent(ctx: RunContext, deps: BackupDeps, now: Date, exclusions: string, complete: SnapshotInfo[]): Promise<Parent | undefined> {
  if (ctx.options.full || deps.forceFull) {
    ctx.step(`full backup: ${deps.forceFull ?? "asked for with --full"}`);
    return undefined;
  }
  const last = complete.at(-1);
  if (!last) {
    ctx.step("full backup: the target has no complete snapshot yet");
    return undefined;
  }
  const chain = deps.repository.chain(complete, last.id);
  const fullAge = now.getTime() - snapshotTime(chain[0]!.id).getTime();
  if (fullAge > requireDuration(deps.options.fullEvery, "fullEvery")) {
    ctx.step(`full backup: the last full (${chain[0]!.id}) is older than fullEvery ${deps.options.fullEvery}`);
    return undefined;
  }
  if (!(await deps.cache.has(last.id))) {
    if (ctx.dryRun) {
      ctx.step(`rebuild local state of ${last.id} from the target (needs the private key), or make a full backup without one`);
      return undefined;
    }
    const rebuilt = await rebuildState(ctx, deps, chain);
    if (!rebuilt) return undefined;
  }
  const manifest = await deps.cache.readHeader(last.id);
  // tar keeps restoring a newly excluded file from older archives, and skips a newly included
  // old file, until the next full: a change of exclusions starts a new chain.
  if (manifest.exclusions !== undefined && manifest.exclusions !== exclusions) {
    ctx.step("full backup: the exclusions changed since the last snapshot");
    if (!ctx.dryRun) ctx.log.info("the exclusions changed since the last snapshot: making a full backup");
    return undefined;
  }
  // tar records a file it could not read as dumped, so an incremental would never retry it.
  const missed = unreadablePaths(manifest.errors);
  const readableNow = ctx.dryRun ? [] : await filterAsync(missed, (path) => access(join(deps.source, path), constants.R_OK).then(() => true, () => false));
  if (readableNow.length > 0) {
    ctx.step(`full backup: ${readableNow.length} file(s) the last snapshot could not read are readable now`);
    ctx.log.info(`${readableNow.length} file(s) the last snapshot could not read are readable now (${readableNow.slice(0, 3).join(", ")}): making a full backup so they are included`);
    return undefined;
  }
  ctx.step(`incremental backup on top of ${last.id} (chain of ${chain.length})`);
  const tree = ctx.dryRun ? Promise.resolve({ id: last.id, tree: new CachedTree() }) : readParentTree(deps.cache, last.id);
  tree.catch(() => undefined); // awaited once tar is done; a failed run must not see it as unhandled
  return { id: last.id, manifest, tree, stillUnreadable: missed.filter((path) => existsSync(join(deps.source, path))) };
}

async function readParentTree(cache: StateCache, id: string): Promise<RunParent> {
  return { id, tree: await cache.readTree(id), totals: await cache.readTotals(id) };
}

async function rebuildState(ctx: RunContext, deps: BackupDeps, chain: SnapshotInfo[]): Promise<boolean> {
  const id = chain.at(-1)!.id;
  try {
    const manifests = await deps.repository.readManifests(ctx, chain);
    const { delta: _delta, ...last } = manifests.at(-1)!;
    const manifest: Manifest = { ...last, files: treeAt(manifests) };
    const stored = await buffer(await deps.store.get(manifest.snar.name));
    if (sha256Hex(stored) !== manifest.snar.sha256) throw messages.volumeDamaged(id, manifest.snar.name, []);
    const snar = Buffer.from(await deps.cipher.decryptBytes(ctx, stored));
    await deps.cache.store(manifest, snar);
    ctx.log.info(`local state for ${id} was missing from ${deps.cache.dir}: rebuilt it from the encrypted copy at the target`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code !== "KEY_NEEDED") throw error;
    ctx.log.warn(`local state for ${id} is missing and no private key is configured to rebuild it: making a new full backup`);
    return false;
  }
}

export async function runBackup(ctx: RunContext, deps: BackupDeps): Promise<BackupSummary> {
  const started = Date.now();
  const now = new Date();
  const id = newSnapshotId(now);
  ctx.step(`check that the source ${deps.source} is a readable folder`);
  const sourceInfo = await stat(deps.source).catch(() => undefined);
  if (!sourceInfo?.isDirectory()) throw messages.sourceMissing(deps.source);

  const exclusions = await exclusionsDigest(deps);
  const complete = await deps.repository.complete();
  const parent = await chooseParent(ctx, deps, now, exclusions, complete);
  const snar = ctx.dryRun ? `${deps.cache.dir}/work/${id}.snar` : await deps.cache.workingSnar(parent?.id, id);
  const args = createArgs(deps.options, deps.source, snar, deps.excludeFrom);
  if (ctx.dryRun) {
    ctx.step(`archive the source with GNU tar (${parent ? `incremental against the .snar of ${parent.id}` : "full, new .snar"})`);
    ctx.stream({ tool: "tar", args, env: { LC_ALL: "C" } });
    ctx.step(`split the archive into volumes of ${deps.options.volumeSize} tar bytes`);
    const encrypter = deps.options.compression === "zstd" ? await deps.cipher.encryptCommand?.(ctx) : undefined;
    if (encrypter) {
      ctx.step(`compress and encrypt each volume with ${deps.cipher.description}, the two joined by a pipe:`);
      ctx.pipe([compressCommand(deps.options.compressionLevel), encrypter.command]);
      await encrypter.cleanup();
    } else {
      if (deps.options.compression === "zstd") ctx.stream(compressCommand(deps.options.compressionLevel));
      if (deps.options.compression === "gzip") ctx.step("compress each volume with gzip (in process)");
      ctx.step(`encrypt each volume with ${deps.cipher.description}`);
    }
    ctx.step(`store each volume in ${deps.store.description} under a temporary name, renamed when complete`);
    ctx.step(`store the encrypted .snar, the plaintext index and last the encrypted manifest (snapshot ${id})`);
    ctx.step(`keep the new .snar and manifest in the local cache ${deps.cache.dir}`);
    return emptySummary(id, parent ? "incremental" : "full");
  }

  // A full archive is about as big as the source was last time: a fair estimate for the bar.
  const estimate = parent ? undefined : complete.at(-1)?.sourceBytes;
  ctx.progress.start(`backup ${ctx.job}`, estimate);
  // Asked while tar walks the tree rather than after it (a process start on the way to the end).
  const tarVersion = deps.tarVersion(ctx);
  tarVersion.catch(() => undefined);
  // While tar walks the tree (node idles): loaded when the first volume opened, tar's output waited for it.
  deps.cipher.prepare?.().catch(() => undefined);
  const indexer = new TarIndexer({ onMember: (member) => member.type === "file" && ctx.progress.update({ files: 1 }) });
  let bytesRead = 0;
  let tarDone!: (result: CommandResult) => void;
  const tarExited = new Promise<CommandResult>((resolve) => (tarDone = resolve));
  const writing = writeVolumes(ctx, { tool: "tar", args, env: { LC_ALL: "C" }, okExitCodes: [1] }, {
    id, volumeSize: deps.options.volumeSize, compression: deps.options.compression, compressionLevel: deps.options.compressionLevel,
    store: deps.store, cipher: deps.cipher, index: (chunk) => indexer.feed(chunk),
    onBytes: (n) => { bytesRead += n; ctx.progress.update({ bytes: n }); },
    onTarDone: tarDone,
  });
  writing.catch(() => indexer.destroy());
  // A failure while the last volumes are still being stored waits for them, so that nothing of
  // this run is written after it has failed.
  const guarded = <T>(work: Promise<T>): Promise<T> =>
    work.catch(async (error: unknown) => {
      await writing.catch(() => undefined);
      throw error;
    });
  // The tree is built while the last volumes are still being compressed and stored.
  const tarResult = await Promise.race([tarExited, writing.then((w) => w.tar)]);
  indexer.end();
  const index = await guarded(indexer.result());
  const problems = [...fileProblems(tarResult.stderr), ...(parent?.stillUnreadable ?? []).map((path) => `./${path}: still cannot be read: in no snapshot yet`)];
  for (const problem of problems) ctx.log.warn(`not backed up as it is: ${problem}`);

  const previous = parent ? await guarded(parent.tree) : undefined;
  const hazards = previous ? renamesTarCannotReplay(index, () => previous.tree.entries()) : [];
  if (hazards.length > 0) {
    const what = hazards.map((op) => `'${op.from}' → '${op.to}'`).join(", ");
    ctx.log.warn(`a folder was renamed onto the name of another folder (${what}); GNU tar cannot replay that from an incremental, so this run makes a full backup instead`);
    await writing;
    await deps.repository.remove(id);
    previous?.tree.close();
    return runBackup(ctx, { ...deps, forceFull: `a folder was renamed onto the name of another (${what})` });
  }
  const { files, changes, totals, ...counts } = runTree(index, previous, problems.length > 0);
  const snarObject = snarName(id, deps.cipher.extension);
  const { volumes } = await guarded(writing);
  ctx.log.debug(`tar's archive: ${bytesRead} bytes in ${volumes.length} volume(s), stored`);
  // Stored only once every volume is, so a failed run leaves no object of its snapshot behind;
  // streamed like a volume: the .snar of 50,000 files is a few MB, which whole took several copies.
  const { size: snarSize, sha256: snarSha256 } = await storeHashed(ctx, deps.store, snarObject, await deps.cipher.encryptSigned(ctx, createReadStream(snar)));
  const manifest: Manifest = {
    format: MANIFEST_FORMAT, id, time: now.toISOString(), type: parent ? "incremental" : "full", parent: parent?.id,
    compression: deps.options.compression, volumes,
    snar: { name: snarObject, size: snarSize, sha256: snarSha256 },
    files, changes: { added: changes.added.length, changed: changes.changed.length, deleted: changes.deleted.length },
    errors: problems, tar: { version: await tarVersion, args }, exclusions,
  };
  // An incremental stores only what changed (a no-change run of 50,000 files writes kilobytes, not
  // a 10 MB list); the local cache keeps the whole tree for the next run. Encrypted as a stream
  // straight into the store: no whole encrypted copy in memory.
  const stored: Manifest = parent ? { ...manifest, delta: { deleted: changes.deleted } } : manifest;
  const manifestEncrypted = await deps.cipher.encryptSigned(ctx, Readable.from(manifestJson(stored)));
  const manifestSize = await deps.store.put(manifestName(id, deps.cipher.extension), manifestEncrypted, ctx.signal);
  const storedBytes = volumes.reduce((sum, v) => sum + v.size, 0) + snarSize + manifestSize;
  const info: SnapshotIndexEntry = {
    format: MANIFEST_FORMAT, id, time: manifest.time, type: manifest.type, parent: manifest.parent,
    compression: manifest.compression, volumes: volumes.length, storedBytes, files: totals.files, sourceBytes: totals.bytes,
  };
  // A snapshot is complete once both its manifest and this index exist; a run cut short before
  // this leaves an incomplete snapshot, which the next run removes.
  await deps.store.put(infoName(id), Readable.from([Buffer.from(JSON.stringify(info, null, 2) + "\n")]), ctx.signal);
  const { files: _files, ...header } = manifest;
  await counts.cache(deps.cache, header, snar);
  previous?.tree.close();
  await deps.cache.clearWork();
  ctx.progress.done();

  return {
    snapshot: id, type: manifest.type, sourceFiles: totals.files, sourceBytes: totals.bytes,
    newFiles: counts.newFiles, changedFiles: counts.changedFiles, deletedFiles: counts.deletedFiles,
    bytesRead, bytesWritten: storedBytes, volumes: volumes.length, elapsedMs: Date.now() - started, errors: problems,
  };
}

function emptySummary(snapshot: string, type: "full" | "incremental"): BackupSummary {
  return { snapshot, type, sourceFiles: 0, sourceBytes: 0, newFiles: 0, changedFiles: 0, deletedFiles: 0, bytesRead: 0, bytesWritten: 0, volumes: 0, elapsedMs: 0, errors: [] };
}

/** A digest of everything that decides what tar leaves out. */
async function exclusionsDigest(deps: BackupDeps): Promise<string> {
  const fromFile = deps.excludeFrom ? await readFile(deps.excludeFrom, "utf8").catch(() => "(unreadable)") : "";
  return sha256Hex(Buffer.from(JSON.stringify([deps.options.exclude, deps.options.oneFileSystem, fromFile])));
}

/** The files tar reported it could not read ("./a/b: Cannot open: Permission denied"), relative to the source. */
function unreadablePaths(errors: string[]): string[] {
  return errors.flatMap((line) => {
    const match = /^\.\/(.+?): (?:Warning: )?(Cannot (open|read|stat)|still cannot be read)/.exec(line);
    return match ? [match[1]!] : [];
  });
}

async function filterAsync<T>(items: T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const flags = await Promise.all(items.map(keep));
  return items.filter((_, i) => flags[i]);
}
