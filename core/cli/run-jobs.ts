import { ExitCode } from "../exit-codes.js";
import type { Engine } from "../engine.js";
import { errorReport, printError, printResult, type ErrorReport } from "./output.js";
import type { App } from "./app.js";

export type RunState = "success" | "partial" | "failed" | "verify-failed" | "skipped" | "interrupted";

export interface JobOutcome<T> { job: string; state: RunState; exitCode: number; result?: T; error?: ErrorReport }

const SEVERITY = [ExitCode.interrupted, ExitCode.usage, ExitCode.failed, ExitCode.locked, ExitCode.verifyFailed, ExitCode.partial];

export function worstExitCode(codes: number[]): number {
  for (const code of SEVERITY) if (codes.includes(code)) return code;
  return codes.find((c) => c !== 0) ?? ExitCode.ok;
}

function stateOf(exitCode: number): RunState {
  if (exitCode === ExitCode.interrupted) return "interrupted";
  if (exitCode === ExitCode.locked) return "skipped";
  if (exitCode === ExitCode.verifyFailed) return "verify-failed";
  return "failed";
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
): Promise<number> {
  const outcomes: JobOutcome<T>[] = [];
  for (const engine of app.jobs(names)) {
    let outcome: JobOutcome<T>;
    try {
      const { result, exitCode } = await run(engine);
      const state: RunState = exitCode === ExitCode.ok ? "success" : exitCode === ExitCode.partial ? "partial" : stateOf(exitCode);
      outcome = { job: engine.job, state, exitCode, result };
    } catch (error) {
      const exitCode = printError(error, { json: false, debug: app.globals.debug ?? false, job: engine.job });
      outcome = { job: engine.job, state: stateOf(exitCode), exitCode, error: errorReport(error) };
    }
    outcomes.push(outcome);
    if (!app.globals.json && outcome.result !== undefined) printResult(false, null, () => human(outcome));
    if (outcome.exitCode === ExitCode.interrupted) break;
  }
  const exitCode = worstExitCode(outcomes.map((o) => o.exitCode));
  if (app.globals.json) printResult(true, { command, exitCode, jobs: outcomes }, () => "");
  return exitCode;
}
