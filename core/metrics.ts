import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { RunRecord } from "./run-record.js";
import type { RunState } from "./types.js";

const STATES: RunState[] = ["success", "partial", "failed", "verify-failed", "skipped", "interrupted"];

const seconds = (iso: string | undefined) => (iso ? (new Date(iso).getTime() / 1000).toFixed(3) : undefined);

/** The Prometheus text format (node_exporter's textfile collector), one series per job. */
export function renderMetrics(records: RunRecord[]): string {
  const out: string[] = [];
  const gauge = (name: string, help: string, rows: [string, string | number | undefined][]) => {
    const present = rows.filter((row): row is [string, string | number] => row[1] !== undefined);
    if (!present.length) return;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...present.map(([labels, value]) => `${name}{${labels}} ${value}`));
  };
  const per = (value: (r: RunRecord) => string | number | undefined) => records.map((r): [string, string | number | undefined] => [`job="${r.job}"`, value(r)]);
  gauge("cryptkeep_last_success_timestamp_seconds", "Unix time the job's last successful backup ended.", per((r) => seconds(r.lastSuccess)));
  gauge("cryptkeep_last_run_timestamp_seconds", "Unix time the job's last backup run ended.", per((r) => seconds(r.finished)));
  gauge("cryptkeep_last_run_duration_seconds", "How long the job's last backup run took.", per((r) => (r.durationMs / 1000).toFixed(3)));
  gauge("cryptkeep_last_run_bytes_written", "Bytes the job's last backup run stored at the target.", per((r) => r.bytesWritten));
  gauge("cryptkeep_last_run_files", "Files in the source at the job's last backup.", per((r) => r.files));
  gauge("cryptkeep_last_run_exit_code", "Exit code of the job's last backup run.", per((r) => r.exitCode));
  gauge("cryptkeep_last_run_state", "State of the job's last backup run: 1 for the state it ended in.",
    records.flatMap((r) => STATES.map((state): [string, number] => [`job="${r.job}",state="${state}"`, r.state === state ? 1 : 0])));
  return out.join("\n") + "\n";
}

/** Writes next to the target and renames, so the collector never reads half a file. */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, text, { mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
