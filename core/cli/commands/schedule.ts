import { mkdir, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../../exit-codes.js";
import { messages } from "../../messages.js";
import { crontabLine, serviceUnit, timerUnit, unitName, type Invocation, type ScheduledJob } from "../../schedule/units.js";
import { runJobs } from "../run-jobs.js";
import type { AppLoader } from "../main.js";
import { unattendedOf } from "../drill-run.js";
import { cryptkeepPackage } from "../../package-root.js";

const CLI = join(cryptkeepPackage().root, "bin/cryptkeep.js");
const SYSTEM_UNITS = "/etc/systemd/system";

interface ScheduleResult { every: string; overlap: string; service: { path: string; text: string }; timer: { path: string; text: string }; crontab: string; installed: boolean }

export function registerSchedule(program: Command, load: AppLoader): void {
  program
    .command("schedule")
    .description("print (or install) a systemd service and timer per job, from the job's 'every', and a crontab line")
    .argument("[jobs...]", "jobs; all that set 'every' when none is named")
    .option("--install", `write the units into ${SYSTEM_UNITS} (or --dir)`)
    .option("--dir <dir>", `where --install writes the units (default: ${SYSTEM_UNITS})`)
    .option("--metrics-file <path>", "have each run write the Prometheus textfile metrics here")
    .addHelpText("after", "\nExamples:\n  cryptkeep schedule documents            print the units and the crontab line\n  sudo cryptkeep schedule --install        write the units of every scheduled job")
    .action(async (names: string[], opts: { install?: boolean; dir?: string; metricsFile?: string }, cmd: Command) => {
      const app = await load(cmd);
      const engines = app.jobs(names);
      const missing = engines.filter((e) => !unattendedOf(e)?.every).map((e) => e.job);
      if (names.length > 0 ? missing.length > 0 : missing.length === engines.length) throw messages.scheduleNoCadence(missing);
      const scheduled = engines.filter((e) => unattendedOf(e)?.every).map((e) => e.job);
      const user = userInfo();
      const run: Invocation = {
        node: process.execPath, cli: CLI, config: app.configFile,
        user: user.uid === 0 ? undefined : user.username, metricsFile: opts.metricsFile && resolve(opts.metricsFile),
      };
      const dir = resolve(opts.dir ?? SYSTEM_UNITS);
      process.exitCode = await runJobs<ScheduleResult>(app, scheduled, "schedule", async (engine) => {
        const settings = unattendedOf(engine)!;
        const job: ScheduledJob = { job: engine.job, every: settings.every!, overlap: settings.overlap };
        const service = { path: join(dir, `${unitName(job.job)}.service`), text: serviceUnit(job, run) };
        const timer = { path: join(dir, `${unitName(job.job)}.timer`), text: timerUnit(job) };
        if (opts.install) {
          await mkdir(dir, { recursive: true }).catch(notWritable(dir));
          for (const unit of [service, timer]) await writeFile(unit.path, unit.text, { mode: 0o644 }).catch(notWritable(dir));
        }
        return { result: { every: job.every, overlap: job.overlap, service, timer, crontab: crontabLine(job, run), installed: opts.install ?? false }, exitCode: ExitCode.ok };
      }, ({ job, result: r }) => r!.installed
        ? [`${job}: wrote ${r!.service.path} and ${r!.timer.path}`, `next: systemctl daemon-reload && systemctl enable --now ${unitName(job)}.timer`, `check: systemctl list-timers ${unitName(job)}.timer; journalctl -u ${unitName(job)}.service`].join("\n")
        : [`# ---- ${r!.service.path}`, r!.service.text, `# ---- ${r!.timer.path}`, r!.timer.text,
          `# ---- or, instead of systemd, in the crontab of the user that runs the backups (crontab -e):`, "MAILTO=you@example.com", r!.crontab, ""].join("\n"));
      if (!opts.install && !app.globals.json && scheduled.length) process.stderr.write(`to install: cryptkeep schedule ${names.join(" ")}${names.length ? " " : ""}--install  (as root, or with --dir DIR)\n`);
      if (names.length === 0 && missing.length) app.log.info(`not scheduled (no 'every'): ${missing.join(", ")}`);
    });
}

function notWritable(dir: string): (error: NodeJS.ErrnoException) => never {
  return (error) => {
    throw messages.scheduleDirNotWritable(dir, error.code ?? error.message);
  };
}
