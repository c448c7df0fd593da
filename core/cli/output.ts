import { isCryptkeepError } from "../errors.js";
import { ExitCode } from "../exit-codes.js";
import { redact } from "../redact.js";

/** Results go to stdout (human text or one JSON document); the log and progress go to stderr. */
export function printResult(json: boolean, value: unknown, human: () => string): void {
  if (json) process.stdout.write(redact(JSON.stringify(value, null, 2)) + "\n");
  else {
    const text = human();
    if (text) process.stdout.write(redact(text) + "\n");
  }
}

export interface ErrorReport { code: string; message: string; hint?: string; exitCode: number }

export function errorReport(error: unknown): ErrorReport {
  if (isCryptkeepError(error)) return { code: error.code, message: redact(error.message), hint: error.hint, exitCode: error.exitCode };
  const text = error instanceof Error ? error.message : String(error);
  return { code: "INTERNAL", message: redact(text), hint: "this is a bug in cryptkeep: please report it with the output of --debug", exitCode: ExitCode.failed };
}

export function printError(error: unknown, opts: { json: boolean; debug: boolean; job?: string }): number {
  const report = errorReport(error);
  const prefix = opts.job ? `${opts.job}: ` : "";
  process.stderr.write(`error: ${prefix}${report.message}\n${report.hint ? `hint: ${report.hint}\n` : ""}`);
  if (opts.debug && error instanceof Error && error.stack) process.stderr.write(redact(error.stack) + "\n");
  return report.exitCode;
}
