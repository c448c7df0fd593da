import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { formatBytes, formatDuration } from "../../format.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerGrow(program: Command, load: AppLoader): void {
  program
    .command("grow")
    .description("enlarge a job's container (LUKS): the file, the encrypted mapping, then the filesystem")
    .argument("<job>", "the job")
    .requiredOption("--size <size>", "the new size of the container file: 8T, 600G (larger than now)")
    .addHelpText("after", "\nExample:\n  cryptkeep grow system --size 8T")
    .action(async (job: string, opts: { size: string }, cmd: Command) => {
      const app = await load(cmd);
      const started = Date.now();
      process.exitCode = await runJobs(app, [job], "grow", async (engine) => {
        const { result } = await app.session(engine, "grow", { size: opts.size }, { lock: true, connect: true }, async (ctx) => {
          const summary = await engine.hooks.grow.promise(ctx);
          if (!summary) throw messages.serviceMissing(engine.job, "container plugin (grow)");
          return summary;
        });
        return { result, exitCode: ExitCode.ok };
      }, ({ job: name, result: r }) =>
        `${name}: ${r!.container} grown from ${formatBytes(r!.sizeBefore)} to ${formatBytes(r!.sizeAfter)}; the filesystem now holds ${formatBytes(r!.filesystemBytes)} (${formatDuration(Date.now() - started)})`);
    });
}
