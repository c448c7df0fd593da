import { ExitCode } from "./exit-codes.js";

export interface UserErrorInit {
  code: string;
  message: string;
  hint?: string;
  exitCode?: number;
  cause?: unknown;
}

/**
 * An error the user can act on: printed without a stack trace (unless --debug),
 * always with what failed, the value seen and what to do next.
 */
export class CryptkeepError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(init: UserErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "CryptkeepError";
    this.code = init.code;
    this.hint = init.hint;
    this.exitCode = init.exitCode ?? ExitCode.failed;
  }
}

export function isCryptkeepError(error: unknown): error is CryptkeepError {
  return error instanceof CryptkeepError;
}

/** Teardown failures gathered while unwinding, attached to the error that caused the unwind. */
export class TeardownError extends CryptkeepError {
  readonly failures: { label: string; error: unknown }[];
  constructor(failures: { label: string; error: unknown }[]) {
    super({
      code: "TEARDOWN_FAILED",
      message: `cleanup failed: ${failures.map((f) => `${f.label}: ${messageOf(f.error)}`).join("; ")}`,
      hint: "check with 'cryptkeep doctor' that nothing is left mounted or open",
    });
    this.failures = failures;
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
