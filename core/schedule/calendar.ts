import { parseDuration } from "../duration.js";

/** When a job runs: a systemd calendar (which `Persistent=true` catches up on) or, failing that, an interval. */
export interface Cadence {
  /** systemd OnCalendar=, when the cadence has one. */
  onCalendar?: string;
  /** Seconds between runs, for OnUnitActiveSec= when no calendar expresses the cadence. */
  intervalSeconds?: number;
  /** The crontab time fields ("@daily", "0 *\/6 * * *"), when cron can say it. */
  cron?: string;
}

const WORDS: Record<string, Cadence> = {
  hourly: { onCalendar: "hourly", cron: "@hourly" },
  daily: { onCalendar: "daily", cron: "@daily" },
  weekly: { onCalendar: "weekly", cron: "@weekly" },
  monthly: { onCalendar: "monthly", cron: "@monthly" },
};

/** "daily", "6h", "15m", "7D" → the calendar systemd and cron use for it. */
export function cadenceOf(every: string): Cadence {
  const word = WORDS[every];
  if (word) return word;
  const seconds = Math.round((parseDuration(every) ?? 0) / 1000);
  const [minute, hour, day] = [60, 3600, 86400];
  if (seconds === day) return WORDS.daily!;
  if (seconds === 7 * day) return WORDS.weekly!;
  if (seconds === hour) return WORDS.hourly!;
  if (seconds % hour === 0 && seconds < day && day % seconds === 0) {
    const n = seconds / hour;
    return { onCalendar: `*-*-* 00/${n}:00:00`, cron: `0 */${n} * * *` };
  }
  if (seconds % minute === 0 && seconds < hour && hour % seconds === 0) {
    const n = seconds / minute;
    return { onCalendar: `*-*-* *:00/${n}:00`, cron: `*/${n} * * * *` };
  }
  return { intervalSeconds: seconds };
}
