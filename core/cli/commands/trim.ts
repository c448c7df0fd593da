import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { formatBytes } from "../../format.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerTrim(program: Command, load: AppLoader): void {
  program
    .command("trim")
    .description("give the space of deleted files back to the disk that holds a job's container (LUKS, opened with discards allowed, fstrim)")
    .argument("<job>", "the job")
    .addHelpText("after", "\nExample:\n  cryptkeep trim photos\n\nA container reached over sshfs cannot be trimmed from here (SFTP passes no discards): the error says what to do.")
    .action(async (job: string, _opts: unknown, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs(app, [job], "trim", async (engine) => {
        const { result } = await app.session(engine, "trim", {}, { lock: true, connect: true }, async (ctx) => {
          const summary = await engine.hooks.trim.promise(ctx);
          if (!summary) throw messages.serviceMissing(engine.job, "container plugin (trim)");
          return summary;
        });
        return { result, exitCode: ExitCode.ok };
      }, ({ job: name, result: r }) => [
        ...r!.notes.map((n) => `note: ${n}`),
        `${name}: ${formatBytes(r!.trimmedBytes ?? 0)} discarded; ${r!.container} takes ${formatBytes(r!.allocatedAfter ?? 0)} on its disk (was ${formatBytes(r!.allocatedBefore ?? 0)})`,
      ].join("\n"));
    });
}
