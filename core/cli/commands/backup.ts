import { resolve } from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { isCryptkeepError } from "../../errors.js";
import { messages } from "../../messages.js";
import { formatBytes, formatDuration } from "../../format.js";
import type { BackupSummary, RunState } from "../../types.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";
import { BackupWatch, type BackupResult } from "../backup-watch.js";
import { drillIfDue, drillLines, unattendedOf } from "../drill-run.js";

export function registerBackup(program: Command, load: AppLoader): void {
  program
    .command("backup")
    .description("make a snapshot of each job (or of the jobs named)")
    .argument("[jobs...]", "jobs to back up; all when none is named")
    .option("--full", "make a full backup even if an incremental would do")
    .option("--break-lock", "remove a stale lock left by a crashed run")
    .option("--allow-shrink", "back up although the tripwire fired (the source lost files on purpose)")
    .option("--metrics-file <path>", "write the Prometheus textfile metrics of every job here (atomically)")
    .addHelpText("after", "\nExamples:\n  cryptkeep backup                  every job\n  cryptkeep backup documents --full\n  cryptkeep backup documents --json  for monitoring\n  cryptkeep backup --metrics-file /var/lib/prometheus/node-exporter/cryptkeep.prom")
    .action(async (jobs: string[], opts: { full?: boolean; breakLock?: boolean; allowShrink?: boolean; metricsFile?: string }, cmd: Command) => {
      const app = await load(cmd);
      const watch = new BackupWatch(app);
      process.exitCode = await runJobs<BackupResult>(app, jobs, "backup", async (engine) => {
        watch.begin(engine);
        const overlap = unattendedOf(engine)?.overlap ?? "skip";
        const run = app.session(engine, "backup", opts, { lock: true, connect: true, waitForLock: overlap === "wait" }, async (ctx) => {
          await watch.started(engine);
          await engine.hooks.beforeBackup.promise(ctx);
          const summary = await engine.hooks.backup.promise(ctx);
          if (!summary) throw messages.serviceMissing(engine.job, "sync plugin (backup)");
          await engine.hooks.afterBackup.promise(ctx, summary);
          const drill = await drillIfDue(ctx, engine);
          return drill ? { ...summary, drill } : summary;
        });
        const { result } = await run.catch((error: unknown) => {
          if (overlap === "fail" && isCryptkeepError(error) && error.code === "LOCKED") throw messages.lockedFail(error.message);
          throw error;
        });
        return { result, exitCode: exitCodeOf(result) };
      }, (o) => [backupStatistics(o.job, o.result!, o.state, o.exitCode), ...(o.result!.drill && !("error" in o.result!.drill) ? drillLines(o.job, o.result!.drill) : [])].join("\n"), watch.finished);
      if (opts.metricsFile) await watch.writeMetrics(resolve(opts.metricsFile));
    });
}

function exitCodeOf(result: BackupResult): number {
  if (result.drill && "error" in result.drill) return ExitCode.failed;
  if (result.drill && result.drill.problems.length) return ExitCode.verifyFailed;
  return result.errors.length ? ExitCode.partial : ExitCode.ok;
}

/** The run summary, in the spirit of duplicity's "Backup Statistics". */
export function backupStatistics(job: string, s: BackupSummary, state?: RunState, exitCode?: number): string {
  const rows: [string, string][] = [
    ["Snapshot", `${s.snapshot} (${s.type})`],
    ["ElapsedTime", formatDuration(s.elapsedMs)],
    ["SourceFiles", String(s.sourceFiles)],
    ["SourceFileSize", `${s.sourceBytes} (${formatBytes(s.sourceBytes)})`],
    ["NewFiles", String(s.newFiles)],
    ["ChangedFiles", String(s.changedFiles)],
    ["DeletedFiles", String(s.deletedFiles)],
    ["BytesRead", `${s.bytesRead} (${formatBytes(s.bytesRead)})`],
    ["BytesWritten", `${s.bytesWritten} (${formatBytes(s.bytesWritten)})`],
    ["Volumes", String(s.volumes)],
    ["Errors", String(s.errors.length)],
    ...(state ? [["State", `${state} (exit ${exitCode})`] as [string, string]] : []),
  ];
  const title = `--------------[ Backup Statistics: ${job} ]--------------`;
  return [title, ...rows.map(([k, v]) => `${k.padEnd(15)} ${v}`), ...s.errors.map((e) => `  ${e}`), "-".repeat(title.length)].join("\n");
}
