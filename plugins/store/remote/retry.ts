import { setTimeout as sleep } from "node:timers/promises";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled each time, with jitter. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250 };

/** Error codes of a network hiccup worth another try; anything else fails at once. */
const TRANSIENT = new Set(["ECONNRESET", "ETIMEDOUT", "EPIPE", "ECONNABORTED", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"]);

export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && TRANSIENT.has(code);
}

/**
 * Runs `attempt` until it succeeds, fails with a non-transient error, or the attempts run out.
 * `beforeRetry` runs between attempts (e.g. to reconnect a dropped session).
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  options: { transient?: (error: unknown) => boolean; beforeRetry?: () => Promise<void>; signal?: AbortSignal } = {},
): Promise<T> {
  const transient = options.transient ?? isTransient;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= policy.attempts || !transient(error) || options.signal?.aborted) throw error;
      const delay = policy.baseDelayMs * 2 ** (n - 1) * (0.75 + Math.random() / 2);
      await sleep(delay, undefined, { signal: options.signal });
      await options.beforeRetry?.();
    }
  }
}
