import { z } from "zod";
import { duration } from "../../core/schemas.js";
import type { PruneDecision } from "../../core/types.js";

const count = z.int().nonnegative();

/** Which snapshots to keep; the same rules as restic's `forget`, counted per calendar bucket (UTC). */
export const retentionSchema = z.strictObject({
  /** Keep the newest N snapshots. */
  keepLast: count.optional(),
  keepHourly: count.optional(),
  keepDaily: count.optional(),
  keepWeekly: count.optional(),
  keepMonthly: count.optional(),
  keepYearly: count.optional(),
  /** Keep everything newer than this ("14D", "2W"). */
  keepWithin: duration.optional(),
});
export type RetentionPolicy = z.output<typeof retentionSchema>;

export interface PolicySnapshot { id: string; time: Date; parent?: string }

const buckets: [keyof RetentionPolicy, string, (d: Date) => string][] = [
  ["keepHourly", "hourly", (d) => d.toISOString().slice(0, 13)],
  ["keepDaily", "daily", (d) => d.toISOString().slice(0, 10)],
  ["keepWeekly", "weekly", isoWeek],
  ["keepMonthly", "monthly", (d) => d.toISOString().slice(0, 7)],
  ["keepYearly", "yearly", (d) => d.toISOString().slice(0, 4)],
];

/**
 * Decides, newest first, which snapshots each rule keeps, then keeps every snapshot a kept one
 * needs (an incremental needs its whole chain back to its full). Pure: no I/O.
 */
export function applyPolicy(snapshots: PolicySnapshot[], policy: RetentionPolicy, withinMs: number | undefined, now: Date): PruneDecision[] {
  const newestFirst = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime());
  const reasons = new Map<string, string[]>(newestFirst.map((s) => [s.id, []]));
  const add = (id: string, reason: string) => reasons.get(id)!.push(reason);

  newestFirst.slice(0, policy.keepLast ?? 0).forEach((s, i) => add(s.id, `keepLast (${i + 1} of ${policy.keepLast})`));
  for (const [rule, label, key] of buckets) {
    const limit = policy[rule] as number | undefined;
    if (!limit) continue;
    const seen = new Set<string>();
    for (const s of newestFirst) {
      const bucket = key(s.time);
      if (seen.has(bucket)) continue;
      if (seen.size >= limit) break;
      seen.add(bucket);
      add(s.id, `${rule} (${label} ${bucket})`);
    }
  }
  if (withinMs !== undefined) {
    for (const s of newestFirst) if (now.getTime() - s.time.getTime() <= withinMs) add(s.id, `keepWithin ${policy.keepWithin}`);
  }

  const byId = new Map(snapshots.map((s) => [s.id, s]));
  for (const s of newestFirst) {
    if (reasons.get(s.id)!.length === 0) continue;
    for (let parent = s.parent; parent; parent = byId.get(parent)?.parent) {
      if (!reasons.has(parent)) break;
      const list = reasons.get(parent)!;
      if (!list.some((r) => r.startsWith("needed by"))) list.push(`needed by ${s.id}`);
    }
  }
  return newestFirst.map((s) => {
    const why = reasons.get(s.id)!;
    return { id: s.id, action: why.length ? "keep" : "remove", reasons: why };
  });
}

export function policyIsEmpty(policy: RetentionPolicy): boolean {
  return Object.values(policy).every((v) => v === undefined || v === 0);
}

function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}
