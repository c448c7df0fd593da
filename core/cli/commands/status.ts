import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { formatBytes } from "../../format.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";
import { unattendedOf } from "../drill-run.js";

export interface StatusResult {
  snapshot: string | null;
  time: string | null;
  ageSeconds: number | null;
  files: number | null;
  sourceBytes: number | null;
  /** Everything stored at the target for this job, all snapshots. */
  storedBytes: number;
  snapshots: number;
  maxAge: string | null;
  stale: boolean;
}

/** "3d 4h", "5h 12m", "42m", "10s". */
export function formatAge(seconds: number): string {
  const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  return m ? `${m}m` : `${Math.floor(seconds)}s`;
}

export function registerStatus(program: Command, load: AppLoader): void {
  program
    .command("status")
    .description("each job's newest complete snapshot and its age, read from the target alone (no key, no source needed)")
    .argument("[jobs...]", "jobs; all when none is named")
    .addHelpText("after", "\nExamples:\n  cryptkeep status\n  cryptkeep status documents --json   a watchdog on another machine\n\nExit code 6 (stale) when a job has no complete snapshot, or its newest is older than its maxAge.")
    .action(async (jobs: string[], _opts: unknown, cmd: Command) => {
      const app = await load(cmd);
      process.exitCode = await runJobs<StatusResult>(app, jobs, "status", async (engine) => {
        const { result } = await app.session(engine, "status", {}, { lock: false, connect: true }, async (ctx) => {
          const list = await engine.hooks.snapshots.promise(ctx);
          if (!list) throw messages.serviceMissing(engine.job, "sync plugin (snapshots)");
          const complete = list.filter((s) => s.complete);
          const newest = complete.at(-1);
          const settings = unattendedOf(engine);
          const ageSeconds = newest ? Math.max(0, Math.round((Date.now() - new Date(newest.time).getTime()) / 1000)) : null;
          const stale = ageSeconds === null || (settings?.maxAgeMs !== undefined && ageSeconds * 1000 > settings.maxAgeMs);
          return {
            snapshot: newest?.id ?? null, time: newest?.time ?? null, ageSeconds, files: newest?.files ?? null, sourceBytes: newest?.sourceBytes ?? null,
            storedBytes: list.reduce((sum, s) => sum + s.storedBytes, 0), snapshots: complete.length, maxAge: settings?.maxAge ?? null, stale,
          };
        });
        return { result, exitCode: result.stale ? ExitCode.stale : ExitCode.ok };
      }, ({ job, result: r }) => {
        if (!r!.snapshot) return `${job}: STALE: no complete snapshot yet`;
        const limit = r!.maxAge ? `, maxAge ${r!.maxAge}` : " (no maxAge set)";
        return `${job}: ${r!.stale ? "STALE" : "ok"}: newest snapshot ${r!.snapshot} is ${formatAge(r!.ageSeconds!)} old${limit}; ` +
          `${r!.files} files, ${formatBytes(r!.sourceBytes!)} in the source; ${r!.snapshots} snapshot(s), ${formatBytes(r!.storedBytes)} stored`;
      });
    });
}
