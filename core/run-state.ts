import { ExitCode } from "./exit-codes.js";
import type { RunEventKind, RunState } from "./types.js";

/**
 * The honest state of a job's run, from its exit code. Each state has one exit code:
 * success 0, failed 1 (2 for bad usage), skipped 3, verify-failed 4, partial 5, stale 6,
 * interrupted 130.
 */
export function stateOf(exitCode: number): RunState {
  switch (exitCode) {
    case ExitCode.ok: return "success";
    case ExitCode.partial: return "partial";
    case ExitCode.locked: return "skipped";
    case ExitCode.verifyFailed: return "verify-failed";
    case ExitCode.stale: return "stale";
    case ExitCode.interrupted: return "interrupted";
    default: return "failed";
  }
}

/** A stale lock (a crashed run) needs a person: it is a failure, though it keeps exit code 3. */
export function stateOfError(error: { code: string; exitCode: number }): RunState {
  return error.code === "STALE_LOCK" ? "failed" : stateOf(error.exitCode);
}

/** The notification a finished run sends: anything short of a clean success is a failure, but a skip. */
export function eventOf(state: RunState): RunEventKind {
  if (state === "success") return "success";
  if (state === "skipped") return "skipped";
  return "failure";
}
