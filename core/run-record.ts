import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunState } from "./types.js";

/** The last backup run of a job, kept in its cache folder: what the metrics file reports. */
export interface RunRecord {
  job: string;
  state: RunState;
  exitCode: number;
  /** ISO times. */
  started: string;
  finished: string;
  durationMs: number;
  bytesWritten: number;
  files: number;
  snapshot?: string;
  /** When the job last ended in success (kept from earlier records when this run did not). */
  lastSuccess?: string;
}

const file = (cacheDir: string) => join(cacheDir, "last-run.json");

export async function readRunRecord(cacheDir: string): Promise<RunRecord | undefined> {
  return readFile(file(cacheDir), "utf8").then((text) => JSON.parse(text) as RunRecord, () => undefined);
}

/** Writes this run's record, carrying `lastSuccess` over from the previous one. */
export async function writeRunRecord(cacheDir: string, record: Omit<RunRecord, "lastSuccess">): Promise<RunRecord> {
  const previous = await readRunRecord(cacheDir);
  const full: RunRecord = { ...record, lastSuccess: record.state === "success" ? record.finished : previous?.lastSuccess };
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  await writeFile(file(cacheDir), JSON.stringify(full, null, 2) + "\n", { mode: 0o600 });
  return full;
}
