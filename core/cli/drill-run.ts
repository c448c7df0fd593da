import { errorReport, type ErrorReport } from "./output.js";
import { drillDue, readDrillRecord, writeDrillRecord } from "../drill-state.js";
import type { Engine } from "../engine.js";
import { messages } from "../messages.js";
import type { DrillSummary, RunContext } from "../types.js";
import { formatDuration } from "../format.js";

/** Files a drill restores when the job sets no sample size. */
export const DEFAULT_DRILL_SAMPLE = 50;

export function unattendedOf(engine: Engine) {
  return engine.hasService("unattended") ? engine.service("unattended") : undefined;
}

/** Runs the job's drill hook and records it in the cache folder, so the next backup knows when one is due. */
export async function runDrill(ctx: RunContext, engine: Engine, sample?: number): Promise<DrillSummary> {
  const summary = await engine.hooks.drill.promise(ctx, { sample: sample ?? unattendedOf(engine)?.drill?.sample ?? DEFAULT_DRILL_SAMPLE });
  if (!summary) throw messages.drillNotSupported(engine.job);
  await writeDrillRecord(ctx.cacheDir, summary);
  return summary;
}

/**
 * After a backup: a drill when the job has drill settings and the last one is older than `every`.
 * A drill that cannot run is reported with the backup (which stays complete), not thrown.
 */
export async function drillIfDue(ctx: RunContext, engine: Engine): Promise<DrillSummary | { error: ErrorReport } | undefined> {
  const last = await readDrillRecord(ctx.cacheDir);
  if (!drillDue(unattendedOf(engine), last)) return undefined;
  ctx.log.info(`${engine.job}: restore drill due (last one: ${last?.time ?? "never"})`);
  try {
    return await runDrill(ctx, engine);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const report = errorReport(error);
    ctx.log.error(`${engine.job}: the backup is complete, but the restore drill failed: ${report.message}`);
    return { error: report };
  }
}

export function drillLines(job: string, d: DrillSummary): string[] {
  return [
    ...d.problems.map((p) => `${p.kind === "source" ? "differs" : "DAMAGED"}: ${p.snapshot ?? ""} ${p.name}: ${p.detail}`),
    `${job}: restore drill of ${d.snapshot}: ${d.restored} of ${d.sampled} random file(s) restored with ${d.method} in ${formatDuration(d.elapsedMs)}; ` +
      `${d.problems.length} problem(s)${d.changedSince ? `, ${d.changedSince} changed in the source since` : ""}`,
  ];
}
