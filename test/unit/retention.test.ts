import { describe, expect, it } from "vitest";
import { applyPolicy } from "../../plugins/retention/policy.js";

const day = 86_400_000;
const now = new Date("2026-11-23T12:00:00Z");
/** A full every 7 days, an incremental on each other day, 21 days back. */
const snapshots = Array.from({ length: 21 }, (_, i) => {
  const age = 20 - i;
  const time = new Date(now.getTime() - age * day);
  const id = `s${String(i).padStart(2, "0")}`;
  const isFull = i % 7 === 0;
  return { id, time, parent: isFull ? undefined : `s${String(i - 1).padStart(2, "0")}` };
});

describe("retention policy", () => {
  it("keeps the newest N and every snapshot they need back to their full", () => {
    const decisions = applyPolicy(snapshots, { keepLast: 2 }, undefined, now);
    const kept = decisions.filter((d) => d.action === "keep").map((d) => d.id).sort();
    // s19 and s20 need s14 (their full) through s18.
    expect(kept).toEqual(["s14", "s15", "s16", "s17", "s18", "s19", "s20"]);
    expect(decisions.find((d) => d.id === "s14")!.reasons).toEqual(["needed by s20"]);
    expect(decisions.find((d) => d.id === "s20")!.reasons).toEqual(["keepLast (1 of 2)"]);
    expect(decisions.filter((d) => d.action === "remove")).toHaveLength(14);
  });

  it("never removes a full while a kept incremental needs it", () => {
    const decisions = applyPolicy(snapshots, { keepDaily: 1, keepWeekly: 3 }, undefined, now);
    const keep = new Set(decisions.filter((d) => d.action === "keep").map((d) => d.id));
    for (const s of snapshots) if (keep.has(s.id) && s.parent) expect(keep.has(s.parent)).toBe(true);
    expect(decisions.find((d) => d.id === "s20")!.reasons).toContain("keepDaily (daily 2026-11-23)");
  });

  it("keepWithin keeps everything newer than the interval", () => {
    const decisions = applyPolicy(snapshots, { keepWithin: "3D" }, 3 * day, now);
    const kept = decisions.filter((d) => d.reasons.some((r) => r.startsWith("keepWithin"))).map((d) => d.id).sort();
    expect(kept).toEqual(["s17", "s18", "s19", "s20"]);
  });
});
