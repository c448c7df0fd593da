import { describe, expect, it } from "vitest";
import { buildEngines } from "../../core/config/load.js";
import { gpgIncremental } from "../../presets/gpg-incremental.js";
import { httpPing } from "../../plugins/notify/http/index.js";
import { email } from "../../plugins/notify/email/index.js";
import { cadenceOf } from "../../core/schedule/calendar.js";
import { renderMetrics } from "../../core/metrics.js";
import { runEvent } from "../../core/notify.js";
import { registerSecret } from "../../core/redact.js";
import type { CryptkeepConfig } from "../../core/types.js";

const load = (config: unknown) => () => buildEngines({ file: "/tmp/backup.config.ts", config: config as CryptkeepConfig });
const valid = { source: "./Documents", target: { local: "./vault" }, recipients: ["./keys/backup.pub.asc"] };

describe("unattended settings", () => {
  it("a preset with unattended keys gets the unattended plugin and its notifiers; top-level notify reaches every job", () => {
    const engines = load({
      notify: [httpPing({ url: "https://hc-ping.com/abc" })],
      jobs: {
        documents: gpgIncremental({ ...valid, every: "daily", maxAge: "36h", verify: { drill: { sample: 5 } }, notify: [email({ to: "a@example.com" })] }),
        photos: gpgIncremental(valid),
      },
    })();
    const documents = engines.get("documents")!;
    expect(documents.plugins).toEqual(["preset:gpgIncremental", "store:local", "encryption:openpgp", "sync:tar-incremental", "unattended", "notify:email", "notify:http"]);
    expect(documents.service("unattended")).toMatchObject({ every: "daily", maxAgeMs: 36 * 3600_000, overlap: "skip", tripwire: { minFileRatio: 0.5 }, drill: { every: "7D", sample: 5 } });
    expect(documents.notifiers().map((n) => n.description)).toEqual(["email to a@example.com", "HTTP ping hc-ping.com"]);
    expect(engines.get("photos")!.hasService("unattended")).toBe(false);
    expect(engines.get("photos")!.notifiers()).toHaveLength(1);
  });

  it("lists every problem at once, inside nested notifiers and at the top level", () => {
    let message = "";
    try {
      load({
        notify: [httpPing({ url: "not a url" }), "curl"],
        jobs: { documents: gpgIncremental({ ...valid, every: "sometimes", overlap: "queue" as "skip", tripwire: { minFileRatio: 2 }, notify: [email({ to: "nobody" })] }) },
      })();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("at notify[0].url:");
    expect(message).toContain("at notify[1]: not a plugin");
    expect(message).toContain(`at jobs.documents.every: expected "hourly", "daily", "weekly", "monthly" or a duration like 6h or 2D, got "sometimes"`);
    expect(message).toContain("at jobs.documents.overlap:");
    expect(message).toContain("at jobs.documents.tripwire.minFileRatio:");
    expect(message).toContain("at jobs.documents.notify[0].to: expected an email address like you@example.com");
  });

  it("maps cadences to systemd calendars and cron fields", () => {
    expect(cadenceOf("daily")).toEqual({ onCalendar: "daily", cron: "@daily" });
    expect(cadenceOf("24h")).toEqual({ onCalendar: "daily", cron: "@daily" });
    expect(cadenceOf("6h")).toEqual({ onCalendar: "*-*-* 00/6:00:00", cron: "0 */6 * * *" });
    expect(cadenceOf("15m")).toEqual({ onCalendar: "*-*-* *:00/15:00", cron: "*/15 * * * *" });
    expect(cadenceOf("90m")).toEqual({ intervalSeconds: 5400 });
    expect(cadenceOf("7D")).toEqual({ onCalendar: "weekly", cron: "@weekly" });
  });

  it("renders Prometheus gauges per job, keeping the last success of a failed run", () => {
    const text = renderMetrics([{ job: "docs", state: "failed", exitCode: 1, started: "2026-01-01T00:00:00.000Z", finished: "2026-01-01T00:00:02.500Z", durationMs: 2500, bytesWritten: 0, files: 0, lastSuccess: "2025-12-31T00:00:00.000Z" }]);
    expect(text).toContain('cryptkeep_last_success_timestamp_seconds{job="docs"} 1767139200.000\n');
    expect(text).toContain('cryptkeep_last_run_duration_seconds{job="docs"} 2.500\n');
    expect(text).toContain('cryptkeep_last_run_state{job="docs",state="failed"} 1\n');
    expect(text).toContain('cryptkeep_last_run_exit_code{job="docs"} 1\n');
  });

  it("notification text is redacted and the log tail bounded", () => {
    registerSecret("hunter2-passphrase");
    const event = runEvent({ kind: "failure", job: "docs", command: "backup", message: "failed: hunter2-passphrase", logTail: Array.from({ length: 50 }, (_, i) => `line ${i} hunter2-passphrase`) });
    expect(event.message).toBe("failed: ***");
    expect(event.logTail).toHaveLength(30);
    expect(event.logTail.join("\n")).not.toContain("hunter2");
  });
});
