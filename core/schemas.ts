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

type OneKey<T extends Record<string, z.ZodType>, io extends "in" | "out"> = {
  [K in keyof T]: { [P in K]: io extends "in" ? z.input<T[K]> : z.output<T[K]> };
}[keyof T];

/**
 * An object with exactly one key that names its kind ({ sftp: {...} }, { local: "..." }). Only
 * that kind's schema checks the value, so a mistake is reported at its own path
 * (target.sftp.port), not as "no variant matched". `unknownKind` words the error for another key.
 */
export function oneKeyOf<T extends Record<string, z.ZodType>>(variants: T, unknownKind?: (kind: string) => string): z.ZodType<OneKey<T, "out">, OneKey<T, "in">> {
  const kinds = Object.keys(variants);
  return z.unknown().transform((value, ctx) => {
    const keys = value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
    if (keys.length !== 1) {
      ctx.addIssue({ code: "custom", message: `expected one of ${kinds.map((k) => `{ ${k}: ... }`).join(", ")}`, input: value });
      return z.NEVER;
    }
    const kind = keys[0]!;
    const schema = variants[kind];
    if (!schema) {
      ctx.addIssue({ code: "custom", message: unknownKind?.(kind) ?? `unknown kind '${kind}': use one of ${kinds.join(", ")}` });
      return z.NEVER;
    }
    const parsed = schema.safeParse((value as Record<string, unknown>)[kind], { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [kind, ...issue.path] } as never);
      return z.NEVER;
    }
    return { [kind]: parsed.data } as OneKey<T, "out">;
  }) as unknown as z.ZodType<OneKey<T, "out">, OneKey<T, "in">>;
}
