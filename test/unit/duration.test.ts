import { describe, expect, it } from "vitest";
import { parseDuration, parsePointInTime } from "../../core/duration.js";

const now = new Date("2026-11-23T12:00:00Z");

describe("durations and points in time", () => {
  it("reads duplicity's interval units", () => {
    expect(parseDuration("30D")).toBe(30 * 86_400_000);
    expect(parseDuration("30d")).toBe(30 * 86_400_000);
    expect(parseDuration("1h30m")).toBe(90 * 60_000);
    expect(parseDuration("2W")).toBe(14 * 86_400_000);
    expect(parseDuration("seven days")).toBeUndefined();
  });

  it("reads --at in every documented form", () => {
    expect(parsePointInTime("3D", now)?.toISOString()).toBe("2026-11-20T12:00:00.000Z");
    expect(parsePointInTime("3 days ago", now)?.toISOString()).toBe("2026-11-20T12:00:00.000Z");
    expect(parsePointInTime("2 hours ago", now)?.toISOString()).toBe("2026-11-23T10:00:00.000Z");
    expect(parsePointInTime("2026-11-01T08:30:00Z", now)?.toISOString()).toBe("2026-11-01T08:30:00.000Z");
    expect(parsePointInTime("now", now)).toBe(now);
    expect(parsePointInTime("yesterday-ish", now)).toBeUndefined();
    expect(parsePointInTime("3 fortnights ago", now)).toBeUndefined();
  });
});
