import { messages } from "./messages.js";

const UNIT_MS: Record<string, number> = {
  s: 1000, m: 60_000, h: 3_600_000, D: 86_400_000, W: 7 * 86_400_000, M: 30 * 86_400_000, Y: 365 * 86_400_000,
};
const WORDS: Record<string, string> = {
  second: "s", seconds: "s", sec: "s", secs: "s", minute: "m", minutes: "m", min: "m", mins: "m",
  hour: "h", hours: "h", day: "D", days: "D", d: "D", week: "W", weeks: "W", w: "W",
  month: "M", months: "M", year: "Y", years: "Y", y: "Y",
};

/** "30d", "2W", "1h30m" (duplicity's units: s m h D W M Y; lower-case d/w/y accepted) → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const compact = text.trim();
  if (!/^(\d+\s*[smhdDwWMyY]\s*)+$/.test(compact)) return undefined;
  let total = 0;
  for (const match of compact.matchAll(/(\d+)\s*([smhdDwWMyY])/g)) {
    const unit = match[2] === "d" ? "D" : match[2] === "w" ? "W" : match[2] === "y" ? "Y" : match[2]!;
    total += Number(match[1]) * UNIT_MS[unit]!;
  }
  return total;
}

/** Same as parseDuration but throws a user error naming the option. */
export function requireDuration(text: string, option: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw messages.badDuration(option, text);
  return ms;
}

/**
 * A point in time as users write it: "now", an ISO time, a duplicity interval ("3D", "1h30m"),
 * or words ("3 days ago", "2 weeks ago"). Returns undefined when the text is none of these.
 */
export function parsePointInTime(text: string, now: Date = new Date()): Date | undefined {
  const value = text.trim();
  if (value === "now") return now;
  const words = /^(\d+)\s+([a-z]+)\s+ago$/i.exec(value);
  if (words) {
    const unit = WORDS[words[2]!.toLowerCase()];
    if (!unit) return undefined;
    return new Date(now.getTime() - Number(words[1]) * UNIT_MS[unit]!);
  }
  const interval = parseDuration(value);
  if (interval !== undefined) return new Date(now.getTime() - interval);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}
