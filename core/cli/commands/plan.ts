import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerPlan(program: Command, load: AppLoader): void {
  program
    .command("plan")
    .description("print every step and every command 'backup' would run, in order, secrets masked; changes nothing")
    .argument("[jobs...]", "jobs to plan; all when none is named")
    .option("--full", "plan a full backup")
    .addHelpText("after", "\nExamples:\n  cryptkeep plan documents\n  cryptkeep plan --json")
    .action(async (jobs: string[], opts: { full?: boolean }, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs(app, jobs, "plan", async (engine) => {
        const { plan } = await app.session(engine, "backup", opts, { lock: true, connect: true, dryRun: true }, async (ctx) => {
          await engine.hooks.beforeBackup.promise(ctx);
          await engine.hooks.backup.promise(ctx);
          ctx.step("undo, last first: everything opened or mounted above; release the lock");
        });
        return { result: plan, exitCode: ExitCode.ok };
      }, ({ job, result }) =>
        [`plan for ${job}:`, ...result!.map((entry, i) => `${String(i + 1).padStart(3)}. ${entry.kind === "command" ? "$ " : ""}${entry.text}`)].join("\n"));
    });
}
