import { messages } from "../../../core/messages.js";
import { isCryptkeepError, messageOf } from "../../../core/errors.js";
import type { StreamingCommand } from "../../../core/runner.js";
import type { RunContext, Target } from "../../../core/types.js";
import { lastLine } from "../../transport/ssh-check.js";

export interface RsyncStats {
  files: number;
  regularFiles: number;
  createdFiles: number;
  deletedFiles: number;
  /** Folders in the source, created at the target, deleted from it. */
  folders: number;
  createdFolders: number;
  deletedFolders: number;
  transferredFiles: number;
  totalFileSize: number;
  transferredFileSize: number;
  bytesSent: number;
  errors: string[];
}

/** rsync exit codes that mean "done, but some files could not be read" (a partial backup), or vanished files. */
const PARTIAL = [23, 24];
const LOST = /connection unexpectedly closed|Broken pipe|Connection reset|closed by remote host|Transport endpoint is not connected|Software caused connection abort|Timeout, server|timed out|error in rsync protocol data stream/i;
/** Through a mount of a server (davfs, s3fs), a server gone shows up as I/O errors on files (davfs2: EAGAIN). */
const LOST_UNDER_MOUNT = /Input\/output error|Transport endpoint is not connected|Resource temporarily unavailable/;

/** The error a failed command on the target means when it says the connection or the server was lost, else undefined. */
export function lostConnection(target: Target, detail: string): Error | undefined {
  if ((target.ssh && LOST.test(detail)) || (target.network && LOST_UNDER_MOUNT.test(detail))) return messages.connectionLost(target.description, lastLine(detail));
  return undefined;
}

/**
 * Runs rsync with `--info=progress2 --stats`: the progress lines drive ctx.progress, the stats
 * feed the summary. A lost connection becomes CONNECTION_LOST; codes 23/24 come back as errors.
 */
export async function runRsync(ctx: RunContext, target: Target, label: string, args: string[]): Promise<RsyncStats> {
  const argv = ["--info=progress2", "--stats", "--no-human-readable", ...args];
  ctx.progress.start(label);
  const child = ctx.stream({ tool: "rsync", args: argv, okExitCodes: PARTIAL });
  let text = "";
  let pending = "";
  let lastBytes = 0;
  let lastFiles = 0;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split(/[\r\n]/);
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const progress = /^\s*(\d+)\s+\d+%/.exec(line);
      // Only the stats are kept: progress lines come all run long, and a long run must not grow without bound.
      if (!progress) {
        if (line) text += `${line}\n`;
        continue;
      }
      const bytes = Number(progress[1]);
      const files = Number(/xfr#(\d+)/.exec(line)?.[1] ?? lastFiles);
      ctx.progress.update({ bytes: Math.max(bytes - lastBytes, 0), files: Math.max(files - lastFiles, 0) });
      lastBytes = bytes;
      lastFiles = files;
    }
  });
  const lost = stopWhenServerLost(ctx, target, child);
  let result;
  try {
    result = await child.done;
  } catch (error) {
    if (isCryptkeepError(error) && (error.code === "INTERRUPTED" || error.code === "TOOL_MISSING")) throw error;
    throw lost.error ?? lostConnection(target, messageOf(error)) ?? error;
  } finally {
    ctx.progress.done();
  }
  const stats = parseStats(text + pending);
  if (result.exitCode !== 0) {
    stats.errors = result.stderr.split("\n").filter((l) => /^rsync: |^file has vanished/.test(l)).map((l) => l.replace(/ \(in sender\)$/, ""));
    if (stats.errors.length === 0) stats.errors = [`rsync exit code ${result.exitCode}: ${lastLine(result.stderr)}`];
    // Through a mount (sshfs), a dropped connection shows up as I/O errors on files, not as a failed transport.
    const lostOnFile = lost.error ?? stats.errors.map((line) => lostConnection(target, line)).find(Boolean);
    if (lostOnFile) throw lostOnFile;
  }
  return stats;
}

/**
 * Through a mount, a server gone fails one file at a time: rsync would go on to the next file,
 * and each waits for the mount's own timeouts and retries, so a run of many files would take
 * hours to fail. The first error on the receiving side that means the server is gone stops rsync.
 */
function stopWhenServerLost(ctx: RunContext, target: Target, child: StreamingCommand): { error?: Error } {
  const lost: { error?: Error } = {};
  if (!target.network && !target.ssh) return lost;
  let pending = "";
  child.stderr.on("data", (chunk: Buffer | string) => {
    if (lost.error) return;
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("rsync: ") || line.includes("[sender]")) continue;
      lost.error = lostConnection(target, line);
      if (!lost.error) continue;
      ctx.log.debug(`stopping rsync: ${line}`);
      child.kill();
      return;
    }
  });
  return lost;
}

const number = (text: string, label: string): number => {
  const m = new RegExp(`^${label}: ([\\d,]+)`, "m").exec(text);
  return m ? Number(m[1]!.replace(/,/g, "")) : 0;
};

/** The "(reg: 10, dir: 2, link: 1)" part of a "Number of ... files" line, by kind. */
const kinds = (text: string, label: string): { reg: number; dir: number } => {
  const line = new RegExp(`^${label}: [\\d,]+ \\(([^)]*)\\)`, "m").exec(text)?.[1] ?? "";
  const count = (kind: string) => Number(new RegExp(`\\b${kind}: ([\\d,]+)`).exec(line)?.[1]?.replace(/,/g, "") ?? 0);
  return { reg: count("reg"), dir: count("dir") };
};

export function parseStats(text: string): RsyncStats {
  const all = kinds(text, "Number of files");
  const created = kinds(text, "Number of created files");
  const deleted = kinds(text, "Number of deleted files");
  return {
    files: number(text, "Number of files"),
    regularFiles: all.reg,
    createdFiles: created.reg,
    deletedFiles: deleted.reg,
    folders: all.dir,
    createdFolders: created.dir,
    deletedFolders: deleted.dir,
    transferredFiles: number(text, "Number of regular files transferred"),
    totalFileSize: number(text, "Total file size"),
    transferredFileSize: number(text, "Total transferred file size"),
    bytesSent: number(text, "Total bytes sent"),
    errors: [],
  };
}
