import { hostname } from "node:os";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { messages } from "./messages.js";

interface LockInfo { pid: number; host: string; started: string; command: string }

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The cache folder belongs to another user or is read-only: say so, instead of a bare EACCES. */
function notWritable(file: string): (error: NodeJS.ErrnoException) => never {
  return (error) => {
    if (error.code === "EACCES" || error.code === "EPERM" || error.code === "EROFS") throw messages.cacheNotWritable(dirname(file), error.code);
    throw error;
  };
}

/**
 * One lock per job: a file holding pid, host and start time, created exclusively.
 * A lock whose process is gone (same host) is reported as stale; --break-lock removes it.
 */
export async function acquireLock(file: string, job: string, command: string, breakLock: boolean): Promise<() => Promise<void>> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 }).catch(notWritable(file));
  const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx", 0o600);
      await handle.writeFile(JSON.stringify(info) + "\n");
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") notWritable(file)(error as NodeJS.ErrnoException);
    }
    const holder = await readFile(file, "utf8").then((t) => JSON.parse(t) as LockInfo).catch(() => undefined);
    const describe = holder ? `pid ${holder.pid} on ${holder.host}, '${holder.command}' since ${holder.started}` : "unreadable lock file";
    const stale = !holder || (holder.host === info.host && !alive(holder.pid));
    if (!stale) throw messages.locked(job, describe);
    if (!breakLock) throw messages.staleLock(job, describe, file);
    await rm(file, { force: true });
  }
  throw messages.locked(job, "lock file keeps reappearing");
}
