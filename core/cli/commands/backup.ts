import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { formatBytes, formatDuration } from "../../format.js";
import type { BackupSummary } from "../../types.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";

export function registerBackup(program: Command, load: AppLoader): void {
  program
    .command("backup")
    .description("make a snapshot of each job (or of the jobs named)")
    .argument("[jobs...]", "jobs to back up; all when none is named")
    .option("--full", "make a full backup even if an incremental would do")
    .option("--break-lock", "remove a stale lock left by a crashed run")
    .addHelpText("after", "\nExamples:\n  cryptkeep backup                  every job\n  cryptkeep backup documents --full\n  cryptkeep backup documents --json  for monitoring")
    .action(async (jobs: string[], opts: { full?: boolean; breakLock?: boolean }, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs(app, jobs, "backup", async (engine) => {
        const { result } = await app.session(engine, "backup", opts, { lock: true, connect: true }, async (ctx) => {
          await engine.hooks.beforeBackup.promise(ctx);
          const summary = await engine.hooks.backup.promise(ctx);
          if (!summary) throw messages.serviceMissing(engine.job, "sync plugin (backup)");
          await engine.hooks.afterBackup.promise(ctx, summary);
          return summary;
        });
        return { result, exitCode: result.errors.length ? ExitCode.partial : ExitCode.ok };
      }, (o) => backupStatistics(o.job, o.result!));
    });
}

/** The run summary, in the spirit of duplicity's "Backup Statistics". */
export function backupStatistics(job: string, s: BackupSummary): string {
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
  ];
  const title = `--------------[ Backup Statistics: ${job} ]--------------`;
  return [title, ...rows.map(([k, v]) => `${k.padEnd(15)} ${v}`), ...s.errors.map((e) => `  ${e}`), "-".repeat(title.length)].join("\n");
}
