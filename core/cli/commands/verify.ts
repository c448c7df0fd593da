import { resolve } from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { formatDuration } from "../../format.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

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
    .addHelpText("after", "\nExamples:\n  cryptkeep verify documents\n  cryptkeep verify documents --compare\n  cryptkeep verify documents --deep      gocryptfs jobs\n\nExit code 4 when differences or damage are found.")
    .action(async (jobs: string[], opts: { compare?: boolean; at?: string; all?: boolean; identity?: string; deep?: boolean }, cmd: Command) => {
      const app = await load(cmd);
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
