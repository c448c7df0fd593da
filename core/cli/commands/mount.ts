import { resolve } from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerMount(program: Command, load: AppLoader): void {
  program
    .command("mount")
    .description("leave a read-only decrypted view of a job's backup mounted at DIR, until 'cryptkeep umount'")
    .argument("<job>", "the job")
    .argument("<dir>", "an empty or new folder")
    .option("--at <time>", "the state as of a time: ISO time, 3D, '3 days ago' (default: latest)")
    .addHelpText("after", "\nExamples:\n  cryptkeep mount documents ./browse\n  cryptkeep mount documents ./browse --at '2 weeks ago'\n  cryptkeep umount documents")
    .action(async (job: string, dir: string, opts: { at?: string }, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs(app, [job], "mount", async (engine) => {
        const { result } = await app.session(engine, "mount", opts, { lock: false, connect: true }, async (ctx) => {
          const summary = await engine.hooks.mount.promise(ctx, { dir: resolve(dir), at: opts.at });
          if (!summary) throw messages.serviceMissing(engine.job, "sync plugin (mount)");
          return summary;
        });
        return { result, exitCode: ExitCode.ok };
      }, ({ job: name, result: r }) => [
        ...r!.notes.map((n) => `note: ${n}`),
        `${name}: ${r!.state} view mounted read-only at ${r!.dir}; when done: cryptkeep umount ${name}`,
      ].join("\n"));
    });
}
