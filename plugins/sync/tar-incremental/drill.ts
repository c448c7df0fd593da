import { createReadStream } from "node:fs";
import { lstat, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { messageOf } from "../../../core/errors.js";
import { messages } from "../../../core/messages.js";
import { PREFIX } from "../../../core/paths.js";
import { randomSample } from "../../../core/random-sample.js";
import type { CommandSpec, StreamingCommand } from "../../../core/runner.js";
import type { Cipher, DrillRequest, DrillSummary, RunContext, Store, VerifyProblem } from "../../../core/types.js";
import type { ManifestFile } from "./index/index.js";
import type { Manifest } from "./manifest.js";
import type { TarRepository } from "./repository.js";
import { digestStream } from "./digest.js";
import { extractArgs } from "./tar-args.js";
import { treeAt } from "./chain-state.js";
import { checkVolume } from "./volume-reader.js";

export interface DrillDeps { store: Store; cipher: Cipher; repository: TarRepository; source: string }

const DECOMPRESS: Record<string, CommandSpec | undefined> = {
  zstd: { tool: "zstd", args: ["-q", "-d", "-c", "-"] },
  gzip: { tool: "gzip", args: ["-d", "-c", "-"] },
};

/**
 * A restore drill: a random sample of the newest snapshot's files, restored the way the recipe
 * does by hand (gpg --decrypt each volume, decompress, tar --extract --listed-incremental=/dev/null,
 * full first) into a temp folder, then compared with the manifest and with the live source.
 */
export async function runDrill(ctx: RunContext, deps: DrillDeps, request: DrillRequest): Promise<DrillSummary> {
  const started = Date.now();
  if (!deps.cipher.standardDecrypt) throw messages.drillNotSupported(ctx.job);
  const complete = await deps.repository.complete();
  const newest = complete.at(-1);
  if (!newest) throw messages.noSnapshots(ctx.job);
  const chain = deps.repository.chain(complete, newest.id);
  const manifests = await deps.repository.readManifests(ctx, chain);
  const sample = randomSample(treeAt(manifests).filter((f) => f.type === "file"), request.sample);
  ctx.step(`drill: restore ${sample.length} random file(s) of ${newest.id} with gpg and tar into a temp folder`);

  const work = await mkdtemp(join(tmpdir(), `${PREFIX}drill-`));
  ctx.defer("remove the drill's temp folder", () => rm(work, { recursive: true, force: true }));
  const home = join(work, "gnupg");
  const out = join(work, "restored");
  await mkdir(home, { mode: 0o700 });
  await mkdir(out);
  const decrypt = await deps.cipher.standardDecrypt(ctx, home);
  const problems: VerifyProblem[] = [];
  const wanted = new Set(sample.map((f) => f.path));
  for (const manifest of manifests) {
    const members = manifest.files.filter((f) => f.inArchive && wanted.has(f.path)).map((f) => f.path);
    if (members.length === 0) continue;
    try {
      await extract(ctx, deps, manifest, decrypt, out, members);
    } catch (error) {
      problems.push({ kind: "volume", snapshot: manifest.id, name: manifest.id, detail: `the standard tools could not restore it: ${messageOf(error).split("\n")[0]}` });
    }
  }
  let changedSince = 0;
  let restoredIntact = 0;
  for (const file of sample) {
    const restored = await digestStream(createReadStream(join(out, file.path))).catch(() => undefined);
    if (!restored) {
      problems.push({ kind: "file", snapshot: newest.id, name: file.path, detail: "not restored by gpg and tar" });
      continue;
    }
    if (restored.size !== file.size || restored.sha256 !== file.sha256) {
      problems.push({ kind: "file", snapshot: newest.id, name: file.path, detail: "restored content differs from the manifest" });
      continue;
    }
    restoredIntact++;
    if (await differsFromSource(deps.source, file)) {
      // Same size and modification time but other bytes: the source or the backup rotted silently.
      problems.push({ kind: "source", snapshot: newest.id, name: file.path, detail: "differs from the source although size and modification time are the same" });
    } else if (await changedInSource(deps.source, file)) changedSince++;
  }
  const compression = manifests.at(-1)!.compression;
  return {
    snapshot: newest.id,
    method: ["gpg --decrypt", ...(DECOMPRESS[compression] ? [`${compression} -d`] : []), "tar --extract --listed-incremental=/dev/null"].join(" | "),
    sampled: sample.length,
    restored: restoredIntact,
    problems, changedSince, elapsedMs: Date.now() - started,
  };
}

/** tar ← (decompress ←) gpg per volume, in order, as one stream: the recipe's pipeline. */
async function extract(ctx: RunContext, deps: DrillDeps, manifest: Manifest, decrypt: CommandSpec, out: string, members: string[]): Promise<void> {
  const feed = new PassThrough({ highWaterMark: 1 << 20 });
  const unpack = DECOMPRESS[manifest.compression];
  const inflate = unpack ? ctx.stream({ ...unpack, input: feed }) : undefined;
  const tar = ctx.stream({ tool: "tar", args: extractArgs(out, members), input: inflate ? inflate.stdout : feed, env: { LC_ALL: "C" } });
  const running: StreamingCommand[] = [tar, ...(inflate ? [inflate] : [])];
  try {
    for (const volume of manifest.volumes) {
      const problem = await checkVolume(deps.store, volume);
      if (problem) throw new Error(`volume ${volume.name}: ${problem}`);
      const gpg = ctx.stream({ ...decrypt, input: await deps.store.get(volume.name) });
      await pipeline(gpg.stdout, feed, { end: false, signal: ctx.signal });
      await gpg.done;
    }
    feed.end();
    for (const command of running.reverse()) await command.done;
  } catch (error) {
    feed.destroy();
    for (const command of running) command.kill();
    await Promise.all(running.map((c) => c.done.catch(() => undefined)));
    throw error;
  }
}

async function differsFromSource(source: string, file: ManifestFile): Promise<boolean> {
  const live = await lstat(join(source, file.path)).catch(() => undefined);
  if (!live?.isFile() || live.size !== file.size || Math.floor(live.mtimeMs / 1000) !== Math.floor(file.mtime / 1000)) return false;
  return (await digestStream(createReadStream(join(source, file.path)))).sha256 !== file.sha256;
}

async function changedInSource(source: string, file: ManifestFile): Promise<boolean> {
  const live = await lstat(join(source, file.path)).catch(() => undefined);
  return !live?.isFile() || live.size !== file.size || Math.floor(live.mtimeMs / 1000) !== Math.floor(file.mtime / 1000);
}
