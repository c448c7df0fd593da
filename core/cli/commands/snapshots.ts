import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { formatBytes, table } from "../../format.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerSnapshots(program: Command, load: AppLoader): void {
  program
    .command("snapshots")
    .description("list snapshots (needs no key)")
    .argument("[jobs...]", "jobs to list; all when none is named")
    .addHelpText("after", "\nExamples:\n  cryptkeep snapshots documents\n  cryptkeep snapshots --json")
    .action(async (jobs: string[], _opts: unknown, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs(app, jobs, "snapshots", async (engine) => {
        const { result } = await app.session(engine, "snapshots", {}, { lock: false, connect: true }, async (ctx) => {
          const list = await engine.hooks.snapshots.promise(ctx);
          if (!list) throw messages.serviceMissing(engine.job, "sync plugin (snapshots)");
          return list;
        });
        return { result, exitCode: ExitCode.ok };
      }, ({ job, result }) => {
        if (!result!.length) return `${job}: no snapshots`;
        return `${job}:\n` + table([
          ["ID", "TIME", "TYPE", "FILES", "SOURCE", "STORED", "VOLUMES", "STATE"],
          ...result!.map((s) => [s.id, s.time.replace("T", " ").replace(/\.\d+Z$/, "Z"), s.complete ? s.type : "-", s.complete ? String(s.files) : "-", s.complete ? formatBytes(s.sourceBytes) : "-", formatBytes(s.storedBytes), s.complete ? String(s.volumes) : "-", s.complete ? "complete" : "INCOMPLETE"]),
        ]);
      });
    });
}
