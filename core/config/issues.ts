import type { z } from "zod";

/** One line per problem, as `at jobs.documents.retention.keepDaily: expected a whole number, got "seven"`. */
export function formatIssue(issue: z.core.$ZodIssue, prefix: (string | number)[], schema?: z.ZodType): string {
  const path = formatPath([...prefix, ...(issue.path as (string | number)[])]);
  const wholeNumber = issue.code === "invalid_type" && issue.expected === "number" && isIntegerSchema(schemaAt(schema, issue.path as PropertyKey[]));
  const known = issue.code === "unrecognized_keys" ? Object.keys(defOf(schemaAt(schema, issue.path as PropertyKey[]))?.shape ?? {}) : [];
  return `at ${path}: ${describe(wholeNumber ? { ...issue, expected: "int" } as z.core.$ZodIssue : issue, known)}`;
}

interface Def { type?: string; format?: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown>; element?: unknown; valueType?: unknown }
const defOf = (schema: unknown): Def | undefined => (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** The sub-schema an issue path points at, through optional/default/pipe wrappers. */
function schemaAt(schema: unknown, path: PropertyKey[]): unknown {
  let current = schema;
  const unwrap = () => {
    for (let def = defOf(current); def && (def.innerType || def.in); def = defOf(current)) current = def.innerType ?? def.in;
  };
  for (const key of path) {
    unwrap();
    const def = defOf(current);
    current = def?.shape?.[key as string] ?? def?.element ?? def?.valueType;
  }
  unwrap();
  return current;
}

function isIntegerSchema(schema: unknown): boolean {
  const format = defOf(schema)?.format;
  return format === "safeint" || format === "int32" || format === "uint32";
}

export function formatPath(path: (string | number)[]): string {
  return path.reduce<string>((out, part) => (typeof part === "number" ? `${out}[${part}]` : out ? `${out}.${part}` : part), "") || "(top level)";
}

function describe(issue: z.core.$ZodIssue, known: string[]): string {
  const got = "input" in issue ? `, got ${show(issue.input)}` : "";
  switch (issue.code) {
    case "invalid_type":
      // "nonoptional": a setting another schema made required with .required().
      if (issue.input === undefined) return issue.expected === "nonoptional" ? "missing required setting" : `missing required setting (expected ${expected(issue.expected)})`;
      return `expected ${expected(issue.expected)}${got}`;
    case "unrecognized_keys":
      return `unknown setting${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'${didYouMean(k, known)}`).join(", ")}`;
    case "too_small":
    case "too_big":
      return `${issue.message.replace(/^Too (small|big): /, "")}${got}`;
    case "invalid_value":
      return `${issue.message.replace(/^Invalid option: /, "")}${got}`;
    case "invalid_format":
    case "custom":
    default:
      return `${issue.message}${got}`;
  }
}

/** " (did you mean 'volumeSize'?)" for a setting one or two typos away from a known one. */
function didYouMean(key: string, known: string[]): string {
  const close = known.find((name) => name.toLowerCase() === key.toLowerCase()) ?? known.find((name) => editDistance(name, key) <= (key.length > 5 ? 2 : 1));
  return close ? ` (did you mean '${close}'?)` : "";
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

function expected(type: string): string {
  const words: Record<string, string> = { int: "a whole number", number: "a number", string: "a string", boolean: "true or false", object: "an object", array: "a list" };
  return words[type] ?? type;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "nothing";
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
