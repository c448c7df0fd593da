import { ExitCode } from "../exit-codes.js";
import type { Engine } from "../engine.js";
import { errorReport, printError, printResult, type ErrorReport } from "./output.js";
import type { App } from "./app.js";
import { stateOf, stateOfError } from "../run-state.js";
import type { RunState } from "../types.js";

export type { RunState } from "../types.js";

/** One job's line in `--json`: `notifications` is set by commands that notify (backup). */
export interface JobOutcome<T> {
  job: string; state: RunState; exitCode: number; result?: T; error?: ErrorReport;
  notifications?: { notifier: string; event: string; ok: boolean; error?: string }[];
}

/** Called once per job after its outcome is known, before it is printed: notifications, run records. */
export type OutcomeObserver<T> = (engine: Engine, outcome: JobOutcome<T>) => Promise<void>;

const SEVERITY = [ExitCode.interrupted, ExitCode.usage, ExitCode.failed, ExitCode.locked, ExitCode.verifyFailed, ExitCode.partial];

export function worstExitCode(codes: number[]): number {
  for (const code of SEVERITY) if (codes.includes(code)) return code;
  return codes.find((c) => c !== 0) ?? ExitCode.ok;
}


/**
 * Runs a command for each selected job, one after another; a failing job does not stop the
 * others. Prints each job's result (or one JSON document) and returns the worst exit code.
 */
export async function runJobs<T>(
  app: App,
  names: string[],
  command: string,
  run: (engine: Engine) => Promise<{ result: T; exitCode: number }>,
  human: (outcome: JobOutcome<T>) => string,
  observe?: OutcomeObserver<T>,
): Promise<number> {
  const outcomes: JobOutcome<T>[] = [];
  for (const engine of app.jobs(names)) {
    let outcome: JobOutcome<T>;
    try {
      const { result, exitCode } = await run(engine);
      outcome = { job: engine.job, state: stateOf(exitCode), exitCode, result };
    } catch (error) {
      const report = errorReport(error);
      const state = stateOfError(report);
      // Another run holds the lock and the job's overlap policy says skip: said as a skip, not an error.
      if (state === "skipped") process.stderr.write(`skipped: ${engine.job}: ${report.message}\n${report.hint ? `hint: ${report.hint}\n` : ""}`);
      else printError(error, { json: false, debug: app.globals.debug ?? false, job: engine.job });
      outcome = { job: engine.job, state, exitCode: report.exitCode, error: report };
    }
    if (observe) await observe(engine, outcome);
    outcomes.push(outcome);
    if (!app.globals.json && outcome.result !== undefined) printResult(false, null, () => human(outcome));
    if (outcome.exitCode === ExitCode.interrupted) break;
  }
  const exitCode = worstExitCode(outcomes.map((o) => o.exitCode));
  if (app.globals.json) printResult(true, { command, exitCode, jobs: outcomes }, () => "");
  return exitCode;
}
