import { z } from "zod";
import { definePlugin } from "../../../core/config/define.js";
import type { Notifier, RunEvent } from "../../../core/types.js";
import { eventKinds, eventText } from "../events.js";
import { postWithRetries } from "./post.js";

const PLUGIN_NAME = "notify:http";

export const httpPingOptions = z.strictObject({
  /**
   * A healthchecks.io-style check URL: "<url>/start" when a run starts, "<url>/<exit code>" when
   * it ends (0 is success, anything else a failure), "<url>/log" for a skipped run.
   * Leave it out and give `urls` for services with other addresses (Uptime Kuma, ntfy).
   */
  url: z.url().optional(),
  /** One address per event, overriding `url`'s: e.g. Uptime Kuma's "...?status=up" and "...?status=down". */
  urls: z.strictObject({ start: z.url().optional(), success: z.url().optional(), failure: z.url().optional(), skipped: z.url().optional() }).optional(),
  /** Events to send. @default ["start", "success", "failure", "skipped"] */
  on: z.array(eventKinds).default(["start", "success", "failure", "skipped"]),
  /** Seconds one attempt may take. @default 10 */
  timeout: z.number().positive().default(10),
  /** Further attempts after a failed one (1 s, then 2 s, ... apart). @default 2 */
  retries: z.int().min(0).max(10).default(2),
}).refine((o) => o.url !== undefined || o.urls !== undefined, { message: "give url (healthchecks style) or urls (one per event)" });

/** The address for an event, or undefined when this check does not take it. */
function addressFor(options: z.output<typeof httpPingOptions>, event: RunEvent): string | undefined {
  const own = options.urls?.[event.kind];
  if (own) return own;
  if (!options.url) return undefined;
  const base = options.url.replace(/\/+$/, "");
  if (event.kind === "start") return `${base}/start`;
  if (event.kind === "skipped") return `${base}/log`;
  return `${base}/${event.exitCode ?? 1}`;
}

/**
 * Pings an HTTP endpoint on each event: healthchecks.io, Uptime Kuma push monitors, ntfy topics.
 * The body (text/plain) is the outcome and the redacted log tail. Node's own fetch; no curl.
 */
export const httpPing = definePlugin(PLUGIN_NAME, httpPingOptions, (engine, options) => {
  const notifier: Notifier = {
    description: `HTTP ping ${new URL(options.url ?? Object.values(options.urls ?? {})[0]!).host}`,
    events: options.on,
    async send(event) {
      const url = addressFor(options, event);
      if (!url) return;
      await postWithRetries(url, eventText(event), { timeoutMs: options.timeout * 1000, retries: options.retries });
    },
  };
  engine.hooks.notifiers.tap(PLUGIN_NAME, (list) => list.push(notifier));
});
