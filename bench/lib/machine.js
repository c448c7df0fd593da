import { cpus, loadavg, totalmem } from "node:os";
import { execFileSync } from "node:child_process";

/** What a reader needs to judge the numbers: cores, CPU, RAM, load, tool versions. */
export function describeMachine() {
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    loadavgAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    os: firstLine("sh", ["-c", ". /etc/os-release && echo \"$PRETTY_NAME\""]),
  };
}

/** The first line of a command's output, or undefined when it cannot run. */
export function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n").find((l) => l.trim())?.trim();
  } catch {
    return undefined;
  }
}

export function hasCommand(cmd) {
  return firstLine("sh", ["-c", `command -v ${cmd}`]) !== undefined;
}
