/** Pure helpers for the numbers the harness reports (unit-tested in test/unit/bench-harness.test.ts). */

/** The median of the finite numbers in `values`; undefined when there are none. */
export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `of / to`, or undefined when either is missing or `to` is zero (a ratio to nothing means nothing). */
export function ratio(of, to) {
  if (!Number.isFinite(of) || !Number.isFinite(to) || to === 0) return undefined;
  return of / to;
}

/** Rotates `items` by `run` places, so each tool goes first in turn across alternating runs. */
export function rotate(items, run) {
  if (items.length === 0) return [];
  const k = run % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export function round(value, digits = 2) {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
