import { redact } from "./redact.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Human-readable log on stderr; stdout is kept for results (tables, --json). Every line is redacted. */
export class Logger {
  readonly lines: string[] = [];
  constructor(
    private readonly level: LogLevel = "info",
    private readonly write: (line: string) => void = (line) => process.stderr.write(line + "\n"),
  ) {}

  debug(message: string): void { this.emit("debug", message); }
  info(message: string): void { this.emit("info", message); }
  warn(message: string): void { this.emit("warn", `warning: ${message}`); }
  error(message: string): void { this.emit("error", `error: ${message}`); }

  private emit(level: LogLevel, message: string): void {
    const line = redact(message);
    this.lines.push(line);
    if (ORDER[level] >= ORDER[this.level]) this.write(line);
  }
}
