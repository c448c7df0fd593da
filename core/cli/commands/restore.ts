import { resolve } from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { formatBytes, formatDuration } from "../../format.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerRestore(program: Command, load: AppLoader): void {
  program
    .command("restore")
    .description("restore a job's files into an empty folder")
    .argument("<job>", "the job to restore")
    .requiredOption("--to <dir>", "empty or new folder to restore into")
    .option("--at <time>", "state as of a time: snapshot id, ISO time, 3D, '3 days ago' (default: latest)")
    .option("--path <path...>", "only these files or folders (relative to the source folder)")
    .option("--identity <file>", "private key file (overrides the config; passphrase from the config or asked)")
    .addHelpText("after", "\nExamples:\n  cryptkeep restore documents --to ./out\n  cryptkeep restore documents --to ./out --at '3 days ago'\n  cryptkeep restore documents --to ./out --at 3D --path private/eff.txt")
    .action(async (job: string, opts: { to: string; at?: string; path?: string[]; identity?: string }, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs(app, [job], "restore", async (engine) => {
        const { result } = await app.session(engine, "restore", { ...opts, identity: opts.identity && resolve(opts.identity) }, { lock: false, connect: true }, async (ctx) => {
          const summary = await engine.hooks.restore.promise(ctx, { to: resolve(opts.to), at: opts.at, paths: opts.path ?? [] });
          if (!summary) throw messages.serviceMissing(engine.job, "sync plugin (restore)");
          return summary;
        });
        return { result, exitCode: ExitCode.ok };
      }, ({ job: name, result: r }) =>
        `${name}: restored snapshot ${r!.snapshot} (${r!.files} files, ${formatBytes(r!.bytes)}) into ${r!.to} in ${formatDuration(r!.elapsedMs)}; chain: ${r!.chain.join(" → ")}`);
    });
}
