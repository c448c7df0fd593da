import { readFile, stat } from "node:fs/promises";
import { z } from "zod";
import { registerSecret, MASK } from "./redact.js";
import { messages } from "./messages.js";

/** Where a secret comes from. Never the value itself: configs are often committed. */
export const secretSourceSchema = z.union([
  z.strictObject({ env: z.string().min(1).describe("name of an environment variable") }),
  z.strictObject({ file: z.string().min(1).describe("path of a file readable only by its owner") }),
  z.strictObject({ command: z.string().min(1).describe("shell command that prints the secret") }),
  z.strictObject({ prompt: z.string().min(1).describe("question asked on the terminal") }),
]);
export type SecretSource = z.input<typeof secretSourceSchema>;

/** A secret value that prints as *** everywhere; `reveal()` is the only way to the value. */
export class Secret {
  readonly #value: Buffer;
  constructor(value: Buffer | string, readonly origin: string) {
    this.#value = Buffer.isBuffer(value) ? value : Buffer.from(value, "utf8");
    registerSecret(this.#value.toString("utf8"));
  }
  reveal(): string {
    return this.#value.toString("utf8");
  }
  revealBytes(): Buffer {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Secret(${this.origin})`;
  }
}

export interface SecretResolverDeps {
  runCommand(command: string, label: string): Promise<string>;
  prompt(question: string): Promise<string>;
  env: NodeJS.ProcessEnv;
}

export function describeSource(source: SecretSource): string {
  if ("env" in source) return `environment variable ${source.env}`;
  if ("file" in source) return `file ${source.file}`;
  if ("command" in source) return `command '${source.command}'`;
  return "terminal prompt";
}

export async function resolveSecret(source: SecretSource, deps: SecretResolverDeps, trim = true): Promise<Secret> {
  const origin = describeSource(source);
  const clean = (v: string) => (trim ? v.replace(/\r?\n$/, "") : v);
  if ("env" in source) {
    const value = deps.env[source.env];
    if (value === undefined || value === "") throw messages.secretEnvMissing(source.env);
    return new Secret(clean(value), origin);
  }
  if ("file" in source) {
    const info = await stat(source.file).catch((error: NodeJS.ErrnoException) => {
      throw messages.secretFileUnreadable(source.file, error.code ?? error.message);
    });
    if ((info.mode & 0o077) !== 0) throw messages.secretFileTooOpen(source.file, info.mode & 0o777);
    // stat needs only the folder; reading needs the file's own permission (another user's 600 key).
    const raw = await readFile(source.file).catch((error: NodeJS.ErrnoException) => {
      throw messages.secretFileUnreadable(source.file, error.code ?? error.message);
    });
    return new Secret(trim ? clean(raw.toString("utf8")) : raw, origin);
  }
  if ("command" in source) return new Secret(clean(await deps.runCommand(source.command, origin)), origin);
  return new Secret(await deps.prompt(source.prompt), origin);
}
