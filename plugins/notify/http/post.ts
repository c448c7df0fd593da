import { setTimeout as sleep } from "node:timers/promises";

/**
 * POSTs a text body; a network error, a timeout or a 5xx is tried again (1 s, 2 s, 4 s apart),
 * a 4xx is not (the address is wrong). Throws the last problem, naming the host, never the path
 * (check URLs carry their token in the path).
 */
export async function postWithRetries(url: string, body: string, opts: { timeoutMs: number; retries: number }): Promise<void> {
  const host = new URL(url).host;
  let last = "";
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    if (attempt > 0) await sleep(1000 * 2 ** (attempt - 1));
    try {
      const response = await fetch(url, {
        method: "POST", body, headers: { "content-type": "text/plain; charset=utf-8", "user-agent": "cryptkeep" },
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return;
      last = `HTTP ${response.status} ${response.statusText} from ${host}`;
      if (response.status < 500) break;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      last = (error as Error).name === "TimeoutError" ? `no answer from ${host} within ${opts.timeoutMs / 1000} s` : `cannot reach ${host}${cause ? ` (${cause})` : ""}`;
    }
  }
  throw new Error(`${last} after ${opts.retries + 1} attempt(s)`);
}
