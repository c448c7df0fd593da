import { formatBytes } from "./format.js";

/** A one-line progress display on a terminal; silent elsewhere (cron, pipes, --json). */
export class Progress {
  #files = 0;
  #bytes = 0;
  #label = "";
  #started = Date.now();
  #last = 0;
  #shown = false;
  #total: number | undefined;

  constructor(private readonly stream: NodeJS.WriteStream | null = process.stderr.isTTY ? process.stderr : null) {}

  /** `totalBytes`, when known (the size of the last full, say), turns the line into a bar. */
  start(label: string, totalBytes?: number): void {
    this.#label = label;
    this.#total = totalBytes && totalBytes > 0 ? totalBytes : undefined;
    this.#files = 0;
    this.#bytes = 0;
    this.#started = Date.now();
  }

  update(delta: { files?: number; bytes?: number }): void {
    this.#files += delta.files ?? 0;
    this.#bytes += delta.bytes ?? 0;
    const now = Date.now();
    if (!this.stream || now - this.#last < 200) return;
    this.#last = now;
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    const rate = formatBytes(this.#bytes / seconds);
    const counts = `${this.#files} files, ${formatBytes(this.#bytes)} (${rate}/s)`;
    const line = this.#total ? `${this.#label} ${bar(this.#bytes / this.#total)} ${counts}` : `${this.#label}: ${counts}`;
    this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns ?? 100) - 1)}`);
    this.#shown = true;
  }

  done(): void {
    if (this.stream && this.#shown) this.stream.write("\r\x1b[2K");
    this.#shown = false;
  }
}

function bar(fraction: number, width = 24): string {
  const clamped = Math.min(Math.max(fraction, 0), 0.99);
  const filled = Math.round(clamped * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.floor(clamped * 100)).padStart(2)}%`;
}
