import { connect } from "node:net";
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";

export interface ServerWatch {
  /** Where the server listens: each check opens (and closes) one TCP connection there. */
  host: string;
  port: number;
  /** How long a check waits for the connection. */
  connectTimeoutMs: number;
  /** Time between the end of one check and the start of the next. */
  everyMs: number;
  /** Checks that must fail in a row before the server counts as gone. */
  failuresInARow: number;
  /** Called once, with what the last check saw, when the server counts as gone. */
  onLost(reason: string): void | Promise<void>;
}

/** Resolves with undefined when a TCP connection to host:port opens within timeoutMs, else with why not. */
export function reachable(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const end = (problem: string | undefined) => { socket.destroy(); resolve(problem); };
    socket.setTimeout(timeoutMs, () => end(`no connection within ${timeoutMs / 1000} s`));
    socket.once("connect", () => end(undefined));
    socket.once("error", (error: NodeJS.ErrnoException) => end(error.code ?? error.message));
  });
}

/**
 * Checks, while a mount of a server is up, that the server still accepts connections. A mount
 * daemon (s3fs) waits out its timeouts and retries on every request, one file operation after the
 * other, so a run whose server is gone would take minutes to fail; the watch notices within
 * `failuresInARow * (everyMs + connectTimeoutMs)`. Returns the function that stops it.
 */
export function watchServer(watch: ServerWatch): () => void {
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const problem = await reachable(watch.host, watch.port, watch.connectTimeoutMs);
    if (stopped) return;
    failures = problem ? failures + 1 : 0;
    if (problem && failures >= watch.failuresInARow) {
      stopped = true;
      // The watch runs beside the run, not inside it: what onLost fails to do is left to the
      // run's own error (the sync's CONNECTION_LOST), never an unhandled rejection.
      const reason = `${watch.host}:${watch.port} refused ${failures} checks in a row (${problem})`;
      await Promise.resolve().then(() => watch.onLost(reason)).catch(() => undefined);
      return;
    }
    timer = setTimeout(() => void check(), watch.everyMs);
    timer.unref();
  };
  timer = setTimeout(() => void check(), watch.everyMs);
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** The longest a watch takes to call onLost after its server is gone. */
export function watchGivesUpWithinMs(watch: Pick<ServerWatch, "connectTimeoutMs" | "everyMs" | "failuresInARow">): number {
  return watch.failuresInARow * (watch.everyMs + watch.connectTimeoutMs);
}

/**
 * The pid of the FUSE daemon (named `tool`) serving `mountPoint`, found by its command line:
 * daemons like s3fs fork into the background and print no pid.
 */
export async function mountDaemonPid(tool: string, mountPoint: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(join("/proc", entry, "cmdline"), "utf8").then((text) => text.split("\0"), () => [] as string[]);
    if (argv[0] !== undefined && basename(argv[0]) === tool && argv.includes(mountPoint)) return Number(entry);
  }
  return undefined;
}
