import { hostname } from "node:os";
import type { Engine } from "./engine.js";
import { messageOf } from "./errors.js";
import type { Logger } from "./log.js";
import { redact } from "./redact.js";
import { Runner } from "./runner.js";
import type { RunEvent, RunEventKind, RunState } from "./types.js";

export interface NotificationResult { notifier: string; event: RunEventKind; ok: boolean; error?: string }

/** How many log lines a failure notification carries. */
export const LOG_TAIL_LINES = 30;

export function runEvent(init: Omit<RunEvent, "host" | "message" | "logTail"> & { message: string; logTail?: string[] }): RunEvent {
  return { ...init, host: hostname(), message: redact(init.message), logTail: (init.logTail ?? []).slice(-LOG_TAIL_LINES).map(redact) };
}

/**
 * Sends an event to every notifier of the job that takes it, one after another. A notifier that
 * fails is logged and reported; it never throws, so the run's own result and exit code stand.
 */
export async function notify(engine: Engine, event: RunEvent, tools: Record<string, string>, log: Logger): Promise<NotificationResult[]> {
  const runner = new Runner(tools);
  const results: NotificationResult[] = [];
  for (const notifier of engine.notifiers().filter((n) => n.events.includes(event.kind))) {
    try {
      await notifier.send(event, { exec: (spec) => runner.run(spec) });
      log.debug(`notified ${notifier.description}: ${event.kind}`);
      results.push({ notifier: notifier.description, event: event.kind, ok: true });
    } catch (error) {
      const detail = redact(messageOf(error).split("\n")[0] ?? "");
      log.warn(`${engine.job}: notification by ${notifier.description} failed (${event.kind}): ${detail}`);
      results.push({ notifier: notifier.description, event: event.kind, ok: false, error: detail });
    }
  }
  return results;
}

/** "backup of 'documents' succeeded: snapshot X" and so on, for the first line of a notification. */
export function outcomeMessage(command: string, job: string, state: RunState, exitCode: number, detail: string): string {
  const said: Record<RunState, string> = {
    success: "succeeded", partial: "is partial (some files could not be read)", failed: "failed", "verify-failed": "found damage or differences",
    skipped: "was skipped (another run holds the lock)", interrupted: "was interrupted", stale: "is stale",
  };
  return `${command} of '${job}' ${said[state]} (state ${state}, exit ${exitCode})${detail ? `: ${detail}` : ""}`;
}
