import { PREFIX } from "../paths.js";
import { cadenceOf } from "./calendar.js";

export interface ScheduledJob {
  job: string;
  every: string;
  overlap: "skip" | "wait" | "fail";
}

/** Absolute paths the units run: never PATH lookups, so a timer runs what was checked. */
export interface Invocation {
  node: string;
  cli: string;
  config: string;
  /** Run as this user (when the units are written by someone other than root). */
  user?: string;
  metricsFile?: string;
}

export const unitName = (job: string) => `${PREFIX}${job}`;

/** "daily", "every 6h". */
const cadenceWords = (every: string) => (/^[a-z]+$/.test(every) ? every : `every ${every}`);

/** A word of ExecStart=: quoted when needed; '%' doubled (systemd specifiers). */
function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, "%%");
  return /^[\w@%+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A word of a crontab line: shell-quoted; '%' escaped (cron turns it into a newline). */
function cronWord(word: string): string {
  const quoted = /^[\w@+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/%/g, "\\%");
}

export function backupArgs(job: ScheduledJob, run: Invocation): string[] {
  return [run.node, run.cli, "--config", run.config, "--quiet", "backup", job.job, ...(run.metricsFile ? ["--metrics-file", run.metricsFile] : [])];
}

export function serviceUnit(job: ScheduledJob, run: Invocation): string {
  return [
    `# Written by 'cryptkeep schedule': the backup of job '${job.job}', started by ${unitName(job.job)}.timer.`,
    "[Unit]",
    `Description=cryptkeep backup of job ${job.job}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${backupArgs(job, run).map(systemdWord).join(" ")}`,
    ...(job.overlap === "skip"
      ? ["# overlap \"skip\": a run that finds another one holding the job's lock exits 3 (state skipped): not a failure of this unit", "SuccessExitStatus=3"]
      : job.overlap === "wait"
        ? ["# overlap \"wait\": a run waits for the lock held by another run (a manual one), however long it takes", "TimeoutStartSec=infinity"]
        : ["# overlap \"fail\": a run that finds the job locked fails (exit 1), and so does this unit"]),
    ...(run.user ? [`User=${run.user}`] : []),
    "Nice=10",
    "IOSchedulingClass=idle",
    "# Drills and {env: ...} secrets need their variables here, in a file only root can read:",
    `# EnvironmentFile=/etc/cryptkeep/${job.job}.env`,
    "",
  ].join("\n");
}

export function timerUnit(job: ScheduledJob): string {
  const cadence = cadenceOf(job.every);
  const when = cadence.onCalendar
    ? [`OnCalendar=${cadence.onCalendar}`, "# a run missed while the machine was off starts at the next boot", "Persistent=true", "RandomizedDelaySec=10min"]
    : [`# every ${job.every} has no calendar form: counted from the last run (Persistent= needs a calendar)`, "OnBootSec=15min", `OnUnitActiveSec=${cadence.intervalSeconds}s`];
  return [
    `# Written by 'cryptkeep schedule': runs ${unitName(job.job)}.service ${cadenceWords(job.every)}.`,
    "[Unit]",
    `Description=cryptkeep backup of job ${job.job}, ${cadenceWords(job.every)}`,
    "",
    "[Timer]",
    ...when,
    `Unit=${unitName(job.job)}.service`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** The crontab alternative; cron mails the output to MAILTO (seed 004's advice). */
export function crontabLine(job: ScheduledJob, run: Invocation): string {
  const cadence = cadenceOf(job.every);
  const command = `${backupArgs(job, run).map(cronWord).join(" ")} 2>&1`;
  if (!cadence.cron) return `# every ${job.every} has no crontab form; pick the nearest, e.g.: @daily ${command}`;
  return `${cadence.cron} ${command}`;
}
