import { resolve } from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { formatDuration } from "../../format.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";
import { drillLines, runDrill } from "../drill-run.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw messages.usage(`--sample: '${value}' is not a positive whole number`, "write it like --sample 50");
  return n;
}

export function registerVerify(program: Command, load: AppLoader): void {
  program
    .command("verify")
    .description("prove the backup restores: check every volume and every file against the manifest")
    .argument("[jobs...]", "jobs to verify; all when none is named")
    .option("--compare", "also compare the newest snapshot with the live source, file by file")
    .option("--at <time>", "verify the chain of the snapshot as of this time (default: latest)")
    .option("--all", "verify every snapshot, not only the latest chain")
    .option("--identity <file>", "private key file (overrides the config)")
    .option("--deep", "folder ciphers (gocryptfs): also decrypt the encrypted view and compare every file with the source")
    .option("--drill", "a restore drill instead: restore random files with the recipe's standard tools (gpg+tar, gocryptfs, cryptsetup) into a temp folder and compare")
    .option("--sample <n>", "files a drill restores (default: the job's verify.drill.sample, or 50)", (v) => positiveInt(v))
    .addHelpText("after", "\nExamples:\n  cryptkeep verify documents\n  cryptkeep verify documents --compare\n  cryptkeep verify documents --deep      gocryptfs jobs\n  cryptkeep verify documents --drill --sample 20\n\nExit code 4 when differences or damage are found.")
    .action(async (jobs: string[], opts: { compare?: boolean; at?: string; all?: boolean; identity?: string; deep?: boolean; drill?: boolean; sample?: number }, cmd: Command) => {
      const app = await load(cmd);
      if (opts.drill) {
        process.exitCode = await runJobs(app, jobs, "verify", async (engine) => {
          const { result } = await app.session(engine, "verify", { identity: opts.identity && resolve(opts.identity) }, { lock: false, connect: true }, (ctx) => runDrill(ctx, engine, opts.sample));
          return { result, exitCode: result.problems.length ? ExitCode.verifyFailed : ExitCode.ok };
        }, ({ job, result }) => drillLines(job, result!).join("\n"));
        return;
      }
      process.exitCode = await runJobs(app, jobs, "verify", async (engine) => {
        const { result } = await app.session(engine, "verify", { ...opts, identity: opts.identity && resolve(opts.identity) }, { lock: false, connect: true }, async (ctx) => {
          const summary = await engine.hooks.verify.promise(ctx, { compare: opts.compare ?? false, at: opts.at, all: opts.all ?? false, deep: opts.deep ?? false });
          if (!summary) throw messages.serviceMissing(engine.job, "sync plugin (verify)");
          return summary;
        });
        return { result, exitCode: result.problems.length ? ExitCode.verifyFailed : ExitCode.ok };
      }, ({ job, result: r }) => [
        ...r!.problems.map((p) => `${p.kind === "source" ? "differs" : "DAMAGED"}: ${p.snapshot ? `${p.snapshot} ` : ""}${p.name}: ${p.detail}`),
        `${job}: verify complete: ${r!.snapshots.length} snapshot(s), ${r!.volumes} volume(s), ${r!.files} file(s) checked` +
          `${opts.compare || r!.compared ? `, ${r!.compared} compared with the source` : ""}, ${r!.problems.length} difference(s) found (${formatDuration(r!.elapsedMs)})`,
      ].join("\n"));
    });
}
