import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";
import type { PruneSummary } from "../../types.js";

export function registerPrune(program: Command, load: AppLoader): void {
  program
    .command("prune")
    .description("remove snapshots the retention policy does not keep")
    .argument("[jobs...]", "jobs to prune; all when none is named")
    .option("--dry-run", "only say what would be removed, and which rule keeps each survivor")
    .option("--break-lock", "remove a stale lock left by a crashed run")
    .option("--allow-shrink", "prune although the tripwire fired (the source lost files on purpose)")
    .addHelpText("after", "\nExamples:\n  cryptkeep prune documents --dry-run\n  cryptkeep prune")
    .action(async (jobs: string[], opts: { dryRun?: boolean; breakLock?: boolean; allowShrink?: boolean }, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs(app, jobs, "prune", async (engine) => {
        const { result } = await app.session(engine, "prune", opts, { lock: !opts.dryRun, connect: true }, async (ctx) => {
          const summary = await engine.hooks.prune.promise(ctx, { dryRun: opts.dryRun ?? false });
          return summary ?? ({ dryRun: opts.dryRun ?? false, decisions: [], noPolicy: true } as PruneSummary);
        });
        return { result, exitCode: ExitCode.ok };
      }, ({ job, result: r }) => {
        if ((r as PruneSummary & { noPolicy?: boolean }).noPolicy) return `${job}: no retention policy configured; nothing removed`;
        const verb = r!.dryRun ? "would be removed" : "removed";
        const lines = r!.decisions.map((d) => (d.action === "keep" ? `keep    ${d.id}  ${d.reasons.join("; ")}` : `remove  ${d.id}${r!.dryRun ? "  (would be removed)" : ""}`));
        const removed = r!.decisions.filter((d) => d.action === "remove").length;
        return [`${job}:`, ...lines, `${job}: ${removed} snapshot(s) ${verb}, ${r!.decisions.length - removed} kept`].join("\n");
      });
    });
}
