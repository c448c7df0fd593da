import { randomInt } from "node:crypto";

/** Up to `count` distinct entries, uniformly at random (for restore drills). */
export function randomSample<T>(items: readonly T[], count: number): T[] {
  const copy = [...items];
  for (let i = 0; i < Math.min(count, copy.length); i++) {
    const j = i + randomInt(copy.length - i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, count);
}
