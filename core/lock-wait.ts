import { setTimeout as sleep } from "node:timers/promises";
import { isCryptkeepError } from "./errors.js";
import { acquireLock } from "./lock.js";
import type { Logger } from "./log.js";

/**
 * The overlap policy "wait": takes the job's lock, waiting (polling every `pollMs`) while another
 * live run holds it. A stale lock is not waited for; SIGINT/SIGTERM stop the wait.
 */
export async function waitForLock(
  file: string, job: string, command: string, breakLock: boolean, signal: AbortSignal, log: Logger, pollMs = 1000,
): Promise<() => Promise<void>> {
  let said = false;
  for (;;) {
    try {
      return await acquireLock(file, job, command, breakLock);
    } catch (error) {
      if (!isCryptkeepError(error) || error.code !== "LOCKED") throw error;
      if (!said) log.info(`${error.message}: waiting for it to finish (overlap: wait)`);
      said = true;
    }
    await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) throw signal.reason;
  }
}
