import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";

export const TIME = "/usr/bin/time";

/**
 * Runs one command under GNU time: wall-clock seconds and the peak resident set size of the
 * largest process of the run (for a pipeline or a tool with helpers, the biggest one; for
 * cryptkeep, the node process), starting with nothing left to write back to disk. `command`:
 * { argv, env?, cwd?, input? }.
 */
export async function measure(command, scratch) {
  // What the previous run left to write back (a restore's 1 GiB) must not slow the next one down:
  // the first restore of a run had measured 13 s and the same restore right after another 40 s.
  await new Promise((resolve) => spawn("sync", { stdio: "ignore" }).on("close", resolve).on("error", resolve));
  const out = join(scratch, `time-${process.pid}-${Date.now()}.txt`);
  const load = loadavg()[0];
  const child = spawn(TIME, ["-f", "%e %M %x", "-o", out, "--", ...command.argv], {
    cwd: command.cwd, env: { ...process.env, ...command.env }, stdio: [command.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (command.input !== undefined) child.stdin.end(command.input);
  let output = "";
  child.stdout.on("data", (d) => (output = (output + d).slice(-4000)));
  child.stderr.on("data", (d) => (output = (output + d).slice(-4000)));
  const code = await new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const line = (await readFile(out, "utf8").catch(() => "")).trim().split("\n").at(-1) ?? "";
  await rm(out, { force: true });
  const [seconds, peakKiB] = line.split(" ").map(Number);
  return { ok: code === 0, exitCode: code, seconds, peakKiB, load1: Math.round(load * 100) / 100, output: code === 0 ? undefined : output.trim().split("\n").slice(-6).join("\n") };
}

/** A shell pipeline as a command: fails if any stage fails. */
export function shell(script, options = {}) {
  return { argv: ["bash", "-o", "pipefail", "-e", "-c", script], ...options };
}

/** Single-quotes a value for a bash script. */
export function q(value) {
  return `'${String(value).replaceAll("'", "'\\''")}'`;
}
