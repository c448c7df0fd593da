import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerInit(program: Command, load: AppLoader): void {
  program
    .command("init")
    .description("create the target layout of each job (safe to repeat)")
    .argument("[jobs...]", "jobs to set up; all when none is named")
    .addHelpText("after", "\nExample:\n  cryptkeep init documents")
    .action(async (jobs: string[], _opts: unknown, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs(app, jobs, "init", async (engine) => {
        await app.session(engine, "init", {}, { lock: true, connect: true }, async (ctx) => {
          await engine.hooks.init.promise(ctx);
        });
        return { result: { initialized: true }, exitCode: ExitCode.ok };
      }, ({ job }) => `${job}: target ready; next: cryptkeep backup ${job}`);
    });
}
