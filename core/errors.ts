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

/**
 * A program that failed or was stopped. Besides the message a user reads, it carries the facts
 * code acts on (which tool, its exit status, what it said), so no one parses the message back.
 */
export class CommandError extends CryptkeepError {
  /** The tool's name as the plugin asked for it (gpg, zstd), not the path it was found at. */
  readonly tool: string;
  /** Its exit status; undefined when a signal stopped it or it never ran. */
  readonly status?: number;
  readonly signal?: string;
  /** The end of its stderr, redacted. */
  readonly stderr: string;

  constructor(init: UserErrorInit & { tool: string; status?: number; signal?: string; stderr: string }) {
    super(init);
    this.name = "CommandError";
    this.tool = init.tool;
    this.status = init.status;
    this.signal = init.signal;
    this.stderr = init.stderr;
  }

  /** The lines the tool wrote, without blank ones. */
  stderrLines(): string[] {
    return this.stderr.split("\n").map((line) => line.trim()).filter(Boolean);
  }
}

export function isCommandError(error: unknown, code?: "COMMAND_FAILED" | "COMMAND_KILLED"): error is CommandError {
  return error instanceof CommandError && (code === undefined || error.code === code);
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
