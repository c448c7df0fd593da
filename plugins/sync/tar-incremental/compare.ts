import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { RunContext, VerifyProblem } from "../../../core/types.js";
import type { ManifestFile } from "./index/index.js";
import { digestStream } from "./digest.js";
import { makeExcluder } from "./exclude-match.js";

interface LiveEntry { type: ManifestFile["type"]; size: number; mode: number; mtime: number; full: string; linkTarget?: string }

/** Like `duplicity verify`: the newest snapshot against the live source, file by file. Returns files compared. */
export async function compareWithSource(ctx: RunContext, source: string, exclude: string[], files: ManifestFile[], problems: VerifyProblem[]): Promise<number> {
  ctx.step(`compare the newest snapshot with the source ${source}`);
  const live = await walk(source, makeExcluder(exclude));
  const stored = new Map(files.map((f) => [f.path, f]));
  const differ = (name: string, detail: string) => problems.push({ kind: "source", name, detail });
  let compared = 0;
  for (const [path, file] of stored) {
    const now = live.get(path);
    if (!now) { differ(path, "in the backup, no longer in the source"); continue; }
    if (file.type === "hardlink") continue;
    if (now.type !== file.type) { differ(path, `was ${file.type}, now ${now.type}`); continue; }
    if (file.type === "symlink" && now.linkTarget !== file.linkTarget) differ(path, `symlink target changed: ${file.linkTarget} → ${now.linkTarget}`);
    if (file.type !== "file") continue;
    compared++;
    if (now.size !== file.size) { differ(path, `size changed: ${file.size} → ${now.size}`); continue; }
    const { sha256 } = await digestStream(createReadStream(now.full));
    if (sha256 !== file.sha256) differ(path, "content changed (SHA-256 differs)");
    else if ((now.mode & 0o7777) !== (file.mode & 0o7777)) differ(path, `mode changed: ${(file.mode & 0o7777).toString(8)} → ${(now.mode & 0o7777).toString(8)}`);
    else if (Math.floor(now.mtime / 1000) !== Math.floor(file.mtime / 1000)) differ(path, "modification time changed");
  }
  for (const [path, entry] of live) if (!stored.has(path) && entry.type !== "dir") differ(path, "in the source, not in the backup");
  return compared;
}

async function walk(root: string, excluded: (path: string) => boolean): Promise<Map<string, LiveEntry>> {
  const out = new Map<string, LiveEntry>();
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (excluded(path) || entry.isSocket()) continue;
      const full = join(root, path);
      const info = await lstat(full);
      const type = info.isFile() ? "file" : info.isDirectory() ? "dir" : info.isSymbolicLink() ? "symlink" : "other";
      out.set(path, { type, size: info.isFile() ? info.size : 0, mode: info.mode, mtime: info.mtimeMs, full, linkTarget: type === "symlink" ? await readlink(full) : undefined });
      if (type === "dir") await visit(path);
    }
  };
  await visit("");
  return out;
}
