import { resolve } from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerUmount(program: Command, load: AppLoader): void {
  program
    .command("umount")
    .description("unmount what 'cryptkeep mount' left, given the job or the folder")
    .argument("<jobOrDir>", "a job name (all its views) or a folder given to 'cryptkeep mount'")
    .addHelpText("after", "\nExamples:\n  cryptkeep umount documents\n  cryptkeep umount ./browse")
    .action(async (jobOrDir: string, _opts: unknown, cmd: Command) => {
      const app = await load(cmd);
      const byJob = app.engines.has(jobOrDir);
      const dir = byJob ? undefined : resolve(jobOrDir);
      const jobs = byJob ? [jobOrDir] : [...app.engines.keys()];
      let found = false;
      process.exitCode = await runJobs(app, jobs, "umount", async (engine) => {
        const { result } = await app.session(engine, "umount", {}, { lock: false, connect: false }, async (ctx) => {
          const released = await engine.hooks.unmount.promise(ctx, { dir }).catch((error: { code?: string }) => {
            if (!byJob && error.code === "NOT_MOUNTED") return [];
            throw error;
          });
          if (!released) throw messages.serviceMissing(engine.job, "sync plugin (umount)");
          found ||= released.length > 0;
          return released;
        });
        return { result, exitCode: ExitCode.ok };
      }, ({ job, result }) => (result!.length ? `${job}: unmounted ${result!.join(", ")}` : ""));
      if (!byJob && !found && process.exitCode === 0) throw messages.notMounted(jobOrDir, []);
    });
}
