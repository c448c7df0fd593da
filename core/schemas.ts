import { z } from "zod";
import { parseDuration } from "./duration.js";

/** "30D", "12h", "2W", "1h30m": duplicity's interval units. */
export const duration = z.string().refine((value) => parseDuration(value) !== undefined, {
  message: "expected a duration like 30D, 12h, 2W or 1h30m",
});

const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "256MiB", "1G", "500M" or a number of bytes. */
export const byteSize = z.union([z.int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === "number") return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!match) {
    ctx.addIssue({ code: "custom", message: `'${value}' is not a size; write it like 256MiB, 1G or 500M` });
    return z.NEVER;
  }
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
});
