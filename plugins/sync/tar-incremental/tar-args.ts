import type { TarIncrementalOptions } from "./options.js";

/** tar exclude patterns from the config: "node_modules/" means a folder of that name; tar matches names, so drop the slash. */
export function tarExcludes(patterns: string[]): string[] {
  return patterns.map((p) => (p.length > 1 && p.endsWith("/") ? p.replace(/\/+$/, "") : p));
}

/** The exact tar command line of a backup: GNU tar's own listed-incremental format, so plain tar restores it. */
export function createArgs(options: TarIncrementalOptions, source: string, snar: string, excludeFrom?: string): string[] {
  return [
    "--create",
    "--file=-",
    "--format=gnu",
    `--listed-incremental=${snar}`,
    "--ignore-failed-read",
    ...(options.oneFileSystem ? ["--one-file-system"] : []),
    ...(options.ignoreDeviceChanges ? ["--no-check-device"] : []),
    ...tarExcludes(options.exclude).map((p) => `--exclude=${p}`),
    ...(excludeFrom ? [`--exclude-from=${excludeFrom}`] : []),
    `--directory=${source}`,
    ".",
  ];
}

/** Extraction that replays deletions and renames: --listed-incremental=/dev/null. */
export function extractArgs(dest: string, members: string[]): string[] {
  return ["--extract", "--file=-", "--listed-incremental=/dev/null", `--directory=${dest}`, ...members.map(memberName)];
}

export function memberName(path: string): string {
  return path === "." || path === "" ? "." : `./${path.replace(/^\.\/+/, "").replace(/\/+$/, "")}`;
}

/** Lines of tar's stderr that mean a file was not backed up as it is (the run is then "partial"). */
export function fileProblems(stderr: string): string[] {
  return stderr
    .split("\n")
    .map((line) => line.replace(/^tar: /, "").trim())
    .filter((line) => /Cannot (open|stat|read|readlink|savedir)|changed as we read it|File shrank|Read error/i.test(line));
}
