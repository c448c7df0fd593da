import { z } from "zod";
import type { RunEvent } from "../../core/types.js";

export const eventKinds = z.enum(["start", "success", "failure", "skipped"]);

/** The text of a notification: one line on what happened, then the log tail. Already redacted by the core. */
export function eventText(event: RunEvent): string {
  return [event.message, ...(event.logTail.length ? ["", "last lines of the log:", ...event.logTail] : [])].join("\n") + "\n";
}

/** "[cryptkeep] documents: failed (exit 1) on host" */
export function eventSubject(event: RunEvent): string {
  const what = event.kind === "start" ? "started" : `${event.state} (exit ${event.exitCode})`;
  return `[cryptkeep] ${event.job}: ${event.command} ${what} on ${event.host}`;
}

/** The run as environment variables, for commands. */
export function eventEnv(event: RunEvent): Record<string, string> {
  return {
    CRYPTKEEP_EVENT: event.kind,
    CRYPTKEEP_JOB: event.job,
    CRYPTKEEP_COMMAND: event.command,
    CRYPTKEEP_HOST: event.host,
    CRYPTKEEP_STATE: event.state ?? "running",
    CRYPTKEEP_EXIT_CODE: event.exitCode === undefined ? "" : String(event.exitCode),
    CRYPTKEEP_SNAPSHOT: event.snapshot ?? "",
    CRYPTKEEP_ELAPSED_MS: event.elapsedMs === undefined ? "" : String(event.elapsedMs),
    CRYPTKEEP_MESSAGE: event.message,
    CRYPTKEEP_LOG_TAIL: event.logTail.join("\n"),
  };
}
