import { createCipheriv, createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { appendFile, copyFile, lstat, mkdir, readdir, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";

const MiB = 1024 * 1024;

/**
 * What each dataset is made of. Sizes are caps: "small" takes real files from `roots` in sorted
 * order until either cap is reached, so the same machine always yields the same set.
 */
export function datasetSpecs({ quick, roots }) {
  return {
    small: {
      name: "small", title: "many small files", kind: "tree", roots,
      maxFiles: quick ? 2000 : 50_000, maxBytes: (quick ? 40 : 1200) * MiB, maxFileBytes: 16 * MiB, layout: 2,
    },
    big: {
      name: "big", title: "few big files", kind: "big",
      textFiles: 2, randomFiles: 2, fileBytes: (quick ? 16 : 512) * MiB,
    },
    // The sftp and s3 suites' "1 GB file": incompressible, so no transport can shrink it.
    bigfile: {
      name: "bigfile", title: "one big file", kind: "big",
      textFiles: 0, randomFiles: 1, fileBytes: (quick ? 100 : 1024) * MiB,
    },
  };
}

/** A stable digest of a spec: a dataset built from another spec is rebuilt. */
export function specKey(spec) {
  return createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 12);
}

/** Builds the dataset at `dir` unless a build of the same spec is there already. Returns its file list. */
export async function buildDataset(spec, dir) {
  const marker = `${dir}.built.json`;
  const key = specKey(spec);
  const previous = existsSync(marker) ? JSON.parse(await readFile(marker, "utf8")) : undefined;
  if (previous?.key === key && existsSync(dir)) return previous;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files = spec.kind === "tree" ? await copyTree(spec, dir) : await makeBigFiles(spec, dir);
  const built = { key, files: files.map((f) => f.path), bytes: files.reduce((s, f) => s + f.size, 0) };
  await writeFile(marker, JSON.stringify(built));
  return built;
}

/**
 * Regular files under the roots, in sorted order, sampled evenly (every k-th file) so a small
 * set has the same mix of sizes and kinds as a big one, within both caps.
 */
async function copyTree(spec, dir) {
  const candidates = [];
  async function walk(root, rel) {
    const names = await readdir(join(root, rel)).catch(() => []);
    for (const name of names.sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const info = await lstat(join(root, path)).catch(() => undefined);
      if (info?.isDirectory()) await walk(root, path);
      else if (info?.isFile() && info.size <= spec.maxFileBytes) candidates.push({ root, path, size: info.size });
    }
  }
  for (const root of spec.roots) await walk(root, "");
  const chosen = [];
  let bytes = 0;
  for (const file of sample(candidates, spec.maxFiles)) {
    if (bytes + file.size > spec.maxBytes) continue;
    const to = `${file.root.replace(/^\/+/, "").replaceAll("/", "_")}/${file.path}`;
    await mkdir(dirname(join(dir, to)), { recursive: true });
    const copied = await copyFile(join(file.root, file.path), join(dir, to)).then(() => true, () => false);
    if (!copied) continue;
    chosen.push({ path: to, size: file.size });
    bytes += file.size;
  }
  return chosen;
}

/** Every k-th item, k chosen so about `count` items are taken. Pure. */
export function sample(items, count) {
  const stride = Math.max(1, items.length / count);
  const out = [];
  for (let n = 0; n < count; n++) {
    const i = Math.floor(n * stride);
    if (i >= items.length) break;
    out.push(items[i]);
  }
  return out;
}

/** Compressible text (real text files shuffled in 64 KiB blocks) and incompressible bytes (AES-CTR of zeros, fixed key). */
async function makeBigFiles(spec, dir) {
  const corpus = spec.textFiles ? await textCorpus(32 * MiB) : undefined;
  const files = [];
  for (let i = 1; i <= spec.textFiles; i++) {
    const path = `text-${i}.txt`;
    await pipeline(Readable.from(textBlocks(corpus, spec.fileBytes, i)), createWriteStream(join(dir, path)));
    files.push({ path, size: spec.fileBytes });
  }
  for (let i = 1; i <= spec.randomFiles; i++) {
    const path = `random-${i}.bin`;
    await pipeline(Readable.from(randomBlocks(spec.fileBytes, i)), createWriteStream(join(dir, path)));
    files.push({ path, size: spec.fileBytes });
  }
  return files;
}

async function textCorpus(size) {
  const parts = [];
  let total = 0;
  for (const root of ["/usr/share/common-licenses", "/usr/share/perl", "/usr/share/perl5", "/usr/lib/python3", "/usr/share/doc"]) {
    for await (const file of walkFiles(root)) {
      if (total >= size) break;
      const data = await readFile(file).catch(() => undefined);
      if (!data || data.includes(0)) continue;
      parts.push(data);
      total += data.length;
    }
  }
  if (total === 0) throw new Error("bench: no text files found under /usr to build the big text files from");
  return Buffer.concat(parts);
}

async function* walkFiles(root) {
  const names = await readdir(root).catch(() => []);
  for (const name of names.sort()) {
    const path = join(root, name);
    const info = await lstat(path).catch(() => undefined);
    if (info?.isDirectory()) yield* walkFiles(path);
    else if (info?.isFile() && !/\.(gz|xz|bz2|zst|png|jpg|pyc)$/.test(name)) yield path;
  }
}

function* textBlocks(corpus, size, seed) {
  const next = prng(seed);
  const block = 64 * 1024;
  for (let done = 0; done < size; done += block) {
    const start = Math.floor(next() * Math.max(1, corpus.length - block));
    yield corpus.subarray(start, start + Math.min(block, size - done));
  }
}

function* randomBlocks(size, seed) {
  const key = createHash("sha256").update(`cryptkeep-bench-${seed}`).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  for (let done = 0; done < size; done += MiB) yield cipher.update(zeros.subarray(0, Math.min(MiB, size - done)));
}

/** mulberry32: a small seeded generator, so "random" choices are the same on every run. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The "1% change" of the issue: every 100th file appended, up to 100 new files, up to 100
 * files deleted (the 50th of each hundred). Pure: the plan for a file list.
 */
export function changePlan(files) {
  const appended = files.filter((_, i) => i % 100 === 0);
  const deleted = files.filter((_, i) => i % 100 === 50).slice(0, 100);
  const added = Array.from({ length: Math.min(100, Math.max(1, Math.ceil(files.length / 100))) }, (_, i) => `bench-new/new-${String(i).padStart(3, "0")}.txt`);
  return { appended, deleted, added };
}

const APPENDED = Buffer.from("cryptkeep bench: appended line to make this file change\n".repeat(16));

/** Applies the change plan to the dataset at `dir`; returns what `revertChange` needs. */
export async function applyChange(dir, files, stash) {
  const plan = changePlan(files);
  const sizes = {};
  for (const path of plan.appended) {
    sizes[path] = (await lstat(join(dir, path))).size;
    await appendFile(join(dir, path), APPENDED);
  }
  await mkdir(stash, { recursive: true });
  for (const [i, path] of plan.deleted.entries()) await rename(join(dir, path), join(stash, `deleted-${i}`));
  await mkdir(join(dir, "bench-new"), { recursive: true });
  const next = prng(7);
  for (const path of plan.added) await writeFile(join(dir, path), `new file ${path} ${next()}\n`.repeat(200));
  return { plan, sizes, stash };
}

/** Puts the dataset back as it was built, so every run starts from the same bytes. */
export async function revertChange(dir, change) {
  if (!change) return;
  for (const [path, size] of Object.entries(change.sizes)) await truncate(join(dir, path), size);
  for (const [i, path] of change.plan.deleted.entries()) await rename(join(change.stash, `deleted-${i}`), join(dir, path));
  await rm(join(dir, "bench-new"), { recursive: true, force: true });
}

/** Regular files and their bytes under `dir`: a restored tree's size, or a repository's at its target. `skip`: paths relative to `dir` left out. */
export async function treeStats(dir, skip = []) {
  const skipped = new Set(skip.map((path) => join(dir, path)));
  let files = 0;
  let bytes = 0;
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop();
    for (const entry of await readdir(current, { withFileTypes: true }).catch(() => [])) {
      const path = join(current, entry.name);
      if (skipped.has(path)) continue;
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) {
        files++;
        bytes += (await lstat(path)).size;
      }
    }
  }
  return { files, bytes };
}
