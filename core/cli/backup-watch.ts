import type { App } from "./app.js";
import type { JobOutcome } from "./run-jobs.js";
import type { Engine } from "../engine.js";
import { messages } from "../messages.js";
import { eventOf } from "../run-state.js";
import { notify, outcomeMessage, runEvent } from "../notify.js";
import { readRunRecord, writeRunRecord, type RunRecord } from "../run-record.js";
import { renderMetrics, writeFileAtomically } from "../metrics.js";
import { messageOf } from "../errors.js";
import { join } from "node:path";
import type { BackupSummary, DrillSummary } from "../types.js";
import type { ErrorReport } from "./output.js";

export type BackupResult = BackupSummary & { drill?: DrillSummary | { error: ErrorReport } };

/**
 * What a backup run does around each job when it runs unattended: the start and end
 * notifications (with the job's own log tail), the run record in the cache folder, and the
 * metrics file. None of it changes a job's state or exit code.
 */
export class BackupWatch {
  readonly #started = new Map<string, { at: Date; logLine: number }>();
  constructor(private readonly app: App) {}

  /** Before the job's session: the clock and the log position its tail starts from. */
  begin(engine: Engine): void {
    this.#started.set(engine.job, { at: new Date(), logLine: this.app.log.lines.length });
  }

  /** Once the lock is held (a skipped run sends no start). */
  async started(engine: Engine): Promise<void> {
    await notify(engine, runEvent({ kind: "start", job: engine.job, command: "backup", message: `backup of '${engine.job}' started` }), this.app.tools, this.app.log);
  }

  readonly finished = async (engine: Engine, outcome: JobOutcome<BackupResult>): Promise<void> => {
    const start = this.#started.get(engine.job) ?? { at: new Date(), logLine: 0 };
    const finished = new Date();
    const r = outcome.result;
    const detail = r
      ? `snapshot ${r.snapshot} (${r.type}), ${r.sourceFiles} files, ${r.bytesWritten} bytes written${r.errors.length ? `, ${r.errors.length} file(s) not backed up` : ""}${drillDetail(r.drill)}`
      : outcome.error ? `${outcome.error.message}${outcome.error.hint ? ` (hint: ${outcome.error.hint})` : ""}` : "";
    const event = runEvent({
      kind: eventOf(outcome.state), job: engine.job, command: "backup", state: outcome.state, exitCode: outcome.exitCode,
      message: outcomeMessage("backup", engine.job, outcome.state, outcome.exitCode, detail),
      logTail: this.app.log.lines.slice(start.logLine), snapshot: r?.snapshot, elapsedMs: finished.getTime() - start.at.getTime(),
    });
    outcome.notifications = await notify(engine, event, this.app.tools, this.app.log);
    await writeRunRecord(join(this.app.cacheRoot, engine.job), {
      job: engine.job, state: outcome.state, exitCode: outcome.exitCode, started: start.at.toISOString(), finished: finished.toISOString(),
      durationMs: finished.getTime() - start.at.getTime(), bytesWritten: r?.bytesWritten ?? 0, files: r?.sourceFiles ?? 0, snapshot: r?.snapshot,
    }).catch((error: unknown) => this.app.log.warn(`${engine.job}: could not record the run in ${this.app.cacheRoot}: ${messageOf(error)}`));
  };

  /** Every job of the config that has run at least once, so one job's run keeps the others' series. */
  async writeMetrics(path: string): Promise<void> {
    const records: RunRecord[] = [];
    for (const job of this.app.engines.keys()) {
      const record = await readRunRecord(join(this.app.cacheRoot, job));
      if (record) records.push(record);
    }
    await writeFileAtomically(path, renderMetrics(records)).catch((error: NodeJS.ErrnoException) => {
      this.app.log.error(messages.metricsNotWritable(path, error.code ?? error.message).message);
    });
  }
}

function drillDetail(drill: BackupResult["drill"]): string {
  if (!drill) return "";
  if ("error" in drill) return `; restore drill failed: ${drill.error.message}`;
  return `; restore drill: ${drill.restored}/${drill.sampled} files restored, ${drill.problems.length} problem(s)`;
}
