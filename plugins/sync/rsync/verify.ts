import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { requireDuration } from "../../../core/duration.js";
import type { FolderCipher, RunContext, VerifyProblem, VerifySummary } from "../../../core/types.js";
import { FILES, PARTIAL_DIR } from "./layout.js";
import { CHECKSUM_NAMES, checksumScript, parseChecksums, type Checksums, type ChecksumTool, type TargetFs } from "./target-fs.js";
import type { RsyncOptions } from "./options.js";

/** Compares two checksum lists file by file: what differs, what is missing, what is extra. */
export function compareSums(expected: Checksums, actual: Checksums, labels: { expected: string; actual: string }, kind: VerifyProblem["kind"]): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const algorithm = CHECKSUM_NAMES[expected.tool];
  for (const [name, sum] of expected.sums) {
    const other = actual.sums.get(name);
    if (other === undefined) problems.push({ kind, name, detail: `missing in ${labels.actual}` });
    else if (other !== sum) problems.push({ kind, name, detail: `${algorithm} differs (${labels.expected} ${sum.slice(0, 12)}…, ${labels.actual} ${other.slice(0, 12)}…)` });
  }
  for (const name of actual.sums.keys()) if (!expected.sums.has(name)) problems.push({ kind, name, detail: `only in ${labels.actual}` });
  return problems.sort((a, b) => a.name.localeCompare(b.name));
}

async function localSums(ctx: RunContext, dir: string, skip: string[], tool: ChecksumTool = "b2sum"): Promise<Checksums> {
  return parseChecksums((await ctx.exec({ tool: "sh", args: ["-c", checksumScript(dir, skip, tool)] })).stdout);
}

/**
 * Seed 001's regular restore test, without downloading the backup: a checksum (BLAKE2b) of every
 * file that was sent (the encrypted view) computed here, and of every file in files/ computed on
 * the server. A server without b2sum answers with SHA-256, and the view is then summed again so.
 */
export async function verifyChecksums(ctx: RunContext, fs: TargetFs, from: string): Promise<{ files: number; problems: VerifyProblem[] }> {
  ctx.step(`BLAKE2b checksum (b2sum) of every file in ${from}`);
  ctx.step(`checksum of every file in ${FILES}/ at ${fs.description}${fs.target.ssh ? ", computed on the server over ssh (b2sum, or sha256sum where the server has no b2sum)" : ""}`);
  // Both at once: each is one find | b2sum, so two cores (or this machine and the server) share the work.
  const [here, remote] = await Promise.all([localSums(ctx, from, [PARTIAL_DIR]), fs.checksumTree(ctx, FILES, [PARTIAL_DIR])]);
  const local = here.tool === remote.tool ? here : await localSums(ctx, from, [PARTIAL_DIR], remote.tool);
  return { files: local.sums.size, problems: compareSums(local, remote, { expected: "here", actual: "the backup" }, "file") };
}

const REVERSE_CONF = ".gocryptfs.reverse.conf";

/**
 * Seed 001's once-in-a-while test: the encrypted view mounted forward again and every decrypted
 * file compared with the source. The encrypted view equals the backup (checked above), so this
 * proves the backup decrypts to the source without downloading it.
 */
export async function verifyDeep(ctx: RunContext, cipher: FolderCipher, from: string, source: string): Promise<{ compared: number; problems: VerifyProblem[] }> {
  const decrypted = await cipher.openDecrypted(ctx, from);
  ctx.step(`compare every decrypted file in ${decrypted} with ${source}`);
  const plain = await localSums(ctx, decrypted, []);
  const original = await localSums(ctx, source, [REVERSE_CONF]);
  const problems = compareSums(plain, original, { expected: "the decrypted backup", actual: "the source" }, "source")
    .filter((p) => !p.detail.startsWith("only in"));
  return { compared: plain.sums.size, problems };
}

interface DeepState { last?: string }
const stateFile = (ctx: RunContext) => join(ctx.cacheDir, "deep-verify.json");

/** A deep verify is due when asked for, or when the last one is older than `deepEvery`. */
export async function deepDue(ctx: RunContext, options: RsyncOptions): Promise<boolean> {
  if (ctx.options.deep) return true;
  if (!options.verify.deepEvery) return false;
  const every = requireDuration(options.verify.deepEvery, "verify.deepEvery");
  const state = await readFile(stateFile(ctx), "utf8").then((t) => JSON.parse(t) as DeepState, () => ({}) as DeepState);
  return !state.last || Date.now() - new Date(state.last).getTime() >= every;
}

export async function recordDeep(ctx: RunContext): Promise<void> {
  if (ctx.dryRun) return;
  await mkdir(ctx.cacheDir, { recursive: true, mode: 0o700 });
  await writeFile(stateFile(ctx), JSON.stringify({ last: new Date().toISOString() }) + "\n", { mode: 0o600 });
}

export function summary(started: number, files: number, compared: number, problems: VerifyProblem[]): VerifySummary {
  return { snapshots: [FILES], volumes: 0, files, compared, problems, elapsedMs: Date.now() - started };
}
