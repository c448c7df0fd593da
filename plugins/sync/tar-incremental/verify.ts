import { PassThrough } from "node:stream";
import type { VerifyRequest } from "../../../core/hooks.js";
import { messageOf } from "../../../core/errors.js";
import type { Cipher, RunContext, Store, VerifyProblem, VerifySummary } from "../../../core/types.js";
import { TarIndexer } from "./index/index.js";
import type { ManifestFile } from "./index/index.js";
import type { Manifest } from "./manifest.js";
import type { TarRepository } from "./repository.js";
import { affectedFiles, checkVolume, streamSnapshot } from "./volume-reader.js";
import { digestStream } from "./digest.js";
import { compareWithSource } from "./compare.js";
import { selectSnapshot } from "./select.js";
import { treeAt } from "./chain-state.js";

export interface VerifyDeps { store: Store; cipher: Cipher; repository: TarRepository; source: string; exclude: string[] }

/**
 * Checks that the chain restores: every volume's stored bytes against the (encrypted) manifest,
 * then every file's size and SHA-256 in the decrypted archive. With --compare, the newest
 * snapshot is also compared with the live source, file by file.
 */
export async function runVerify(ctx: RunContext, deps: VerifyDeps, request: VerifyRequest): Promise<VerifySummary> {
  const started = Date.now();
  const complete = await deps.repository.complete();
  const target = selectSnapshot(ctx.job, complete, request.at);
  const chain = deps.repository.chain(complete, target.id);
  const scope = request.all ? complete : chain;
  const problems: VerifyProblem[] = [];
  let volumes = 0;
  let files = 0;
  const chainIds = new Set(chain.map((s) => s.id));
  const targetChain: Manifest[] = [];
  ctx.progress.start(`verify ${ctx.job}`);
  for (const snapshot of scope) {
    ctx.step(`verify snapshot ${snapshot.id}`);
    let manifest: Manifest;
    try {
      manifest = await deps.repository.readManifest(ctx, snapshot.id);
    } catch (error) {
      if (isKeyProblem(error)) throw error;
      problems.push({ kind: "manifest", snapshot: snapshot.id, name: snapshot.id, detail: messageOf(error) });
      continue;
    }
    // --compare needs the target's whole tree: its chain's manifests (deltas but for the full) are kept.
    if (request.compare && chainIds.has(snapshot.id)) targetChain.push(manifest);
    volumes += manifest.volumes.length;
    const snar = await deps.store.get(manifest.snar.name).then(digestStream, () => undefined);
    if (snar?.sha256 !== manifest.snar.sha256) problems.push({ kind: "volume", snapshot: snapshot.id, name: manifest.snar.name, detail: "tar snapshot file missing or damaged (needed only for the next incremental)" });
    const damaged = [];
    for (const volume of manifest.volumes) {
      const problem = await checkVolume(deps.store, volume);
      if (problem) {
        damaged.push(volume.name);
        const affected = affectedFiles(manifest, volume);
        problems.push({ kind: "volume", snapshot: snapshot.id, name: volume.name, detail: `${problem}; files affected: ${affected.join(", ") || "(none)"}` });
      }
    }
    if (damaged.length > 0) continue;
    files += await checkContents(ctx, deps, manifest, problems);
  }
  const wholeChainRead = targetChain.length === chainIds.size;
  const compared = request.compare && wholeChainRead ? await compareWithSource(ctx, deps.source, deps.exclude, treeAt(targetChain), problems) : 0;
  ctx.progress.done();
  return { snapshots: scope.map((s) => s.id), volumes, files, compared, problems, elapsedMs: Date.now() - started };
}

/** The key or its passphrase cannot be had or is wrong: a problem of this run, not damage to the snapshot. */
function isKeyProblem(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? "";
  return code === "DECRYPT_FAILED" || code === "KEY_NEEDED" || code.startsWith("SECRET_");
}

/** Each archive member is checked as it streams by, against the manifest's entry; no member is kept. */
async function checkContents(ctx: RunContext, deps: VerifyDeps, manifest: Manifest, problems: VerifyProblem[]): Promise<number> {
  const expected = new Map<string, ManifestFile>();
  for (const file of manifest.files) if (file.inArchive && file.type === "file") expected.set(file.path, file);
  const found = new Set<string>();
  // The last member of a name decides, as on extraction.
  const mismatched = new Map<string, string>();
  const indexer = new TarIndexer({
    keepMembers: false,
    onMember: (member) => {
      const file = expected.get(member.path);
      if (!file) return;
      found.add(member.path);
      if (member.size === file.size && member.sha256 === file.sha256) mismatched.delete(member.path);
      else mismatched.set(member.path, `archive has size ${member.size} sha256 ${member.sha256?.slice(0, 12)}, manifest says ${file.size} ${file.sha256?.slice(0, 12)}`);
    },
  });
  const feed = new PassThrough({ highWaterMark: 1 << 20 });
  feed.pipe(indexer);
  try {
    await streamSnapshot(ctx, deps, manifest, feed, true);
  } catch (error) {
    problems.push({ kind: "volume", snapshot: manifest.id, name: manifest.id, detail: `cannot be decrypted or read: ${messageOf(error)}` });
    return 0;
  }
  await indexer.result();
  for (const path of expected.keys()) {
    if (!found.has(path)) problems.push({ kind: "file", snapshot: manifest.id, name: path, detail: "listed in the manifest but not in the archive" });
    else if (mismatched.has(path)) problems.push({ kind: "file", snapshot: manifest.id, name: path, detail: mismatched.get(path)! });
  }
  return expected.size;
}
