import { readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { DrillSummary, UnattendedSettings } from "./types.js";

/** The last restore drill of a job, kept in its cache folder, so a backup knows when the next is due. */
export interface DrillRecord { time: string; ok: boolean; snapshot: string; sampled: number; problems: number; elapsedMs: number }

const file = (cacheDir: string) => join(cacheDir, "drill.json");

export async function readDrillRecord(cacheDir: string): Promise<DrillRecord | undefined> {
  return readFile(file(cacheDir), "utf8").then((text) => JSON.parse(text) as DrillRecord, () => undefined);
}

export async function writeDrillRecord(cacheDir: string, summary: DrillSummary, now = new Date()): Promise<void> {
  const record: DrillRecord = {
    time: now.toISOString(), ok: summary.problems.length === 0, snapshot: summary.snapshot,
    sampled: summary.sampled, problems: summary.problems.length, elapsedMs: summary.elapsedMs,
  };
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  await writeFile(file(cacheDir), JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
}

/** A drill is due when the job has drill settings and the last one is older than `every` (or there was none). */
export function drillDue(settings: UnattendedSettings | undefined, last: DrillRecord | undefined, now = new Date()): boolean {
  if (!settings?.drill) return false;
  if (!last) return true;
  return now.getTime() - new Date(last.time).getTime() >= settings.drill.everyMs;
}
