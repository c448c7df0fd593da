import { definePlugin } from "../../core/config/define.js";
import { requireDuration } from "../../core/duration.js";
import { applyPolicy, policyIsEmpty, retentionSchema } from "./policy.js";

const PLUGIN_NAME = "retention";

/**
 * Applies a retention policy to the job's snapshots on `cryptkeep prune`.
 * A full snapshot is never removed while a kept incremental needs it.
 */
export const retention = definePlugin(PLUGIN_NAME, retentionSchema, (engine, policy) => {
  const withinMs = policy.keepWithin ? requireDuration(policy.keepWithin, "retention.keepWithin") : undefined;
  engine.hooks.prune.tapPromise(PLUGIN_NAME, async (ctx, request) => {
    const repository = engine.service("repository");
    const snapshots = (await repository.list(ctx)).filter((s) => s.complete);
    if (policyIsEmpty(policy)) {
      ctx.log.warn("the retention policy keeps nothing by rule; refusing to remove every snapshot (set keepLast, keepDaily, ...)");
      return { dryRun: request.dryRun, decisions: snapshots.map((s) => ({ id: s.id, action: "keep" as const, reasons: ["no retention rule set"] })) };
    }
    const decisions = applyPolicy(snapshots.map((s) => ({ id: s.id, time: new Date(s.time), parent: s.parent })), policy, withinMs, new Date());
    if (!request.dryRun) {
      // Children before parents, so an interrupted prune never leaves an incremental without its chain.
      for (const decision of decisions.filter((d) => d.action === "remove")) {
        ctx.step(`remove snapshot ${decision.id}`);
        if (!ctx.dryRun) await repository.remove(ctx, decision.id);
      }
    }
    return { dryRun: request.dryRun, decisions };
  });
});

export { applyPolicy, retentionSchema } from "./policy.js";
export type { RetentionPolicy } from "./policy.js";
