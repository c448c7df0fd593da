import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerRecipe(program: Command, load: AppLoader): void {
  program
    .command("recipe")
    .description("print the shell commands that restore a job without cryptkeep, with standard tools only")
    .argument("[jobs...]", "jobs; all when none is named")
    .addHelpText("after", "\nExample:\n  cryptkeep recipe documents > RESTORE.txt   # keep a printed copy with the private key")
    .action(async (jobs: string[], _opts: unknown, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs(app, jobs, "recipe", async (engine) => {
        const { result } = await app.session(engine, "recipe", {}, { lock: false, connect: false }, (ctx) =>
          engine.hooks.recipe.promise({ title: `Restore job '${engine.job}' without cryptkeep`, notes: [], commands: [] }, ctx));
        return { result, exitCode: ExitCode.ok };
      }, ({ result: r }) => [`# ${r!.title}`, ...r!.notes.map((n) => `# ${n}`), "", ...r!.commands].join("\n"));
    });
}
