import { mkdir, readdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { PassThrough } from "node:stream";
import { messages } from "../../../core/messages.js";
import type { RestoreRequest } from "../../../core/hooks.js";
import type { Cipher, RestoreSummary, RunContext, Store } from "../../../core/types.js";
import type { ManifestFile } from "./index/index.js";
import type { TarRepository } from "./repository.js";
import { selectSnapshot } from "./select.js";
import { extractArgs } from "./tar-args.js";
import { Tree } from "./chain-state.js";
import { streamSnapshot } from "./volume-reader.js";
import { checkRestored } from "./restore-check.js";
import { moveFromScratch, scratchBeside } from "./restore-scratch.js";
import { extractInParallel, planParallelExtract } from "./parallel-extract.js";
import { extractInParallelPiped, extractParts, extractPiped } from "./piped-extract.js";
import { slicesByKernel } from "./volume-slice.js";
import { chunkHints, extractInChunks, type ChunkHints } from "./chunked-extract.js";
import { partsHolding } from "./ranged-extract.js";
import type { Manifest } from "./manifest.js";

/** Volumes of a full extracted at once: one tar per core, at most 4 (each holds a decryption and a zstd too). */
const EXTRACT_WORKERS = Math.min(4, availableParallelism());

export interface RestoreDeps { store: Store; cipher: Cipher; repository: TarRepository }

/** Normalises a user's --path ("./a/b/", "a/b") to the manifest's form ("a/b"). */
export function normalisePath(path: string): string {
  return path.replace(/^(\.\/)+/, "").replace(/^\/+/, "").replace(/\/+$/, "") || ".";
}

/**
 * Replays the chain, full first, with `tar --extract --listed-incremental=/dev/null`, as the
 * recipe does by hand; a full restored whole is extracted by a tar per volume at once, to the
 * same tree (parallel-extract.ts). For --path, each archive is asked only for members it holds; when a
 * requested file is held only under a folder's older name (a rename GNU tar recorded without
 * archiving the files again), the whole chain is restored beside `to` and the paths moved in.
 * A --path restore then checks that everything the tree has under the paths is there.
 */
export async function runRestore(ctx: RunContext, deps: RestoreDeps, request: RestoreRequest): Promise<RestoreSummary> {
  const started = Date.now();
  const all = await deps.repository.list();
  const complete = all.filter((s) => s.complete);
  const target = selectSnapshot(ctx.job, complete, request.at, all);
  const newest = all.at(-1)!;
  if (!request.at && !newest.complete) {
    ctx.log.warn(`the newest snapshot ${newest.id} is incomplete (an interrupted or failed backup): restoring ${target.id}, the newest complete one`);
  }
  const chain = deps.repository.chain(complete, target.id);
  ctx.step(`restore snapshot ${target.id} (${chain.length} archive${chain.length > 1 ? "s" : ""}: ${chain.map((s) => s.id).join(" → ")}) into ${request.to}`);
  // Before anything asks for a passphrase: a restore never writes into a folder with files in it.
  await mkdir(request.to, { recursive: true });
  if ((await readdir(request.to)).length > 0) throw messages.restoreTargetNotEmpty(request.to);
  const paths = request.paths.map(normalisePath);
  // A --path restore holds only the entries under its paths: a path's history in the chain
  // (deltas, renames, which archive holds it) depends on no other path's entries.
  const manifests = await deps.repository.readManifests(ctx, chain, paths.length === 0 || paths.includes(".") ? undefined : (f) => isUnder(f.path, paths));
  // One pass over the chain: what to ask each archive for (a folder is in every archive of the
  // snapshots that have it), and at its end the tree restored.
  const tree = new Tree();
  const hints: ChunkHints[] = [];
  const membersOf = manifests.map((manifest) => {
    // What the tree has before each archive is what its hints need: taken as the tree is built.
    const before = chunkHints(manifest, (path) => tree.get(path)?.type);
    tree.apply(manifest);
    hints.push({ ...before, folders: paths.length === 0 ? tree.folderCount() : 0 });
    return paths.filter((path) => path === "." || tree.inArchive(path));
  });
  const selected = selectFiles([...tree.values()], paths, target.id);
  const whole = paths.length > 0 && selected.some((f) => tree.heldUnderOldName(f.path));
  if (whole) ctx.log.info(`a folder of ${paths.join(", ")} was renamed after its files were archived: restoring the whole snapshot beside ${request.to} and moving ${paths.length > 1 ? "them" : "it"} in`);
  const dest = whole ? await scratchBeside(ctx, request.to) : request.to;

  ctx.progress.start(`restore ${ctx.job}`);
  const kernelPipes = await slicesByKernel(ctx, deps.cipher);
  for (const [i, manifest] of manifests.entries()) {
    const piped = kernelPipes && manifest.compression === "zstd";
    const members = paths.length === 0 || whole ? [] : membersOf[i]!;
    if (paths.length > 0 && !whole && members.length === 0) continue;
    // The chain's full, extracted whole into a folder still empty: a tar per volume at once
    // (extracting 50,000 files is bound by the kernel's work per file, which one tar does on one core).
    const parallel = i === 0 && members.length === 0 ? planParallelExtract(manifest, EXTRACT_WORKERS) : undefined;
    if (parallel) {
      ctx.log.debug(`extracting ${manifest.id}'s ${manifest.volumes.length} volumes with up to ${EXTRACT_WORKERS} tars at once${piped ? ", by kernel pipes" : ""}`);
      await (piped ? extractInParallelPiped : extractInParallel)(ctx, deps, manifest, parallel, dest, EXTRACT_WORKERS);
      continue;
    }
    if (paths.length === 0 && (await extractInChunks(ctx, deps, manifest, hints[i]!, dest))) continue;
    if (piped) {
      const parts = members.length > 0 ? partsHolding(manifest, filesAsMembers(manifest, members) ?? []) : undefined;
      if (parts && parts.length > 0) await extractParts(ctx, deps, manifest, parts, dest, members);
      else await extractPiped(ctx, deps, manifest, dest, members);
      continue;
    }
    const input = new PassThrough({ highWaterMark: 1 << 20 });
    const tar = ctx.stream({ tool: "tar", args: extractArgs(dest, members), input, env: { LC_ALL: "C" } });
    try {
      await streamSnapshot(ctx, deps, manifest, input);
    } catch (error) {
      input.destroy();
      tar.kill();
      await tar.done.catch(() => undefined);
      throw error;
    }
    await tar.done;
  }
  ctx.progress.done();
  if (whole) await moveFromScratch(dest, request.to, paths);
  if (paths.length > 0) await checkRestored(request.to, selected, target.id);
  const files = selected.filter((f) => f.type === "file");
  return {
    snapshot: target.id, to: request.to, files: files.length, bytes: files.reduce((s, f) => s + f.size, 0),
    chain: chain.map((s) => s.id), elapsedMs: Date.now() - started,
  };
}

/**
 * The manifest's entries for `members` when each is a file or symlink this archive holds:
 * their bytes alone restore them. A folder needs more than its own entry (its folders' listings,
 * which a delta manifest does not list when unchanged), so then undefined.
 */
function filesAsMembers(manifest: Manifest, members: string[]): ManifestFile[] | undefined {
  const wanted = new Set(members);
  const entries = manifest.files.filter((f) => wanted.has(f.path) && f.inArchive);
  const files = entries.filter((f) => f.type === "file" || f.type === "symlink");
  return files.length === wanted.size && entries.length === files.length ? files : undefined;
}

function isUnder(path: string, paths: string[]): boolean {
  return paths.some((p) => path === p || path.startsWith(`${p}/`));
}

function selectFiles(files: ManifestFile[], paths: string[], snapshot: string): ManifestFile[] {
  if (paths.length === 0) return files;
  const out: ManifestFile[] = [];
  for (const path of paths) {
    const matched = files.filter((f) => path === "." || isUnder(f.path, [path]));
    if (matched.length === 0) throw messages.pathNotInSnapshot(path, snapshot);
    out.push(...matched);
  }
  return out;
}
