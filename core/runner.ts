import { PassThrough, type Readable, type Writable } from "node:stream";
import { closeSync, constants, openSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Socket, type OnReadOpts, type SocketConstructorOpts } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { Secret } from "./secret.js";
import { redact } from "./redact.js";
import { messages } from "./messages.js";
import { isCommandError } from "./errors.js";

/**
 * The only module that starts external programs. Secrets go in by stdin or by an extra
 * file descriptor (fd 3, 4, ...), never argv; every argv shown and every error is redacted.
 */
export interface CommandSpec {
  /** Tool name (looked up in the configured tool paths, then PATH) or absolute path. */
  tool: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Fed to stdin and then closed. A Readable is piped. */
  input?: Secret | string | Buffer | Readable;
  /**
   * Secrets written to fds 3, 4, ... in order. Node makes these sockets, not pipes: the tool must
   * read the descriptor itself (gpg --passphrase-fd 3); opening /dev/fd/3 by name fails with ENXIO.
   */
  secretFds?: Secret[];
  /** Exit codes that are not failures (tar uses 1 for "file changed as we read it"). */
  okExitCodes?: number[];
  /** Where stdout goes when streaming; default: piped and returned. */
  stdout?: Writable | "pipe" | "ignore" | "inherit";
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface StreamingCommand {
  stdout: Readable;
  stderr: Readable;
  done: Promise<CommandResult>;
  kill(signal?: NodeJS.Signals): void;
}

/** A command running on its own, its output going where it was told. */
export interface RunningCommand {
  done: Promise<CommandResult>;
  kill(signal?: NodeJS.Signals): void;
}

export interface CommandSink extends RunningCommand {
  stdin: Writable;
}

/** A command whose stdout node reads in place (Runner.readInPlace). */
export interface InPlaceReader extends RunningCommand {
  /** Settles once the command's output has been read to its end (or could not be read). */
  ended: Promise<void>;
  /** Reads again after `onChunk` returned false. */
  resume(): void;
}

/**
 * The buffers readInPlace reads into: a pipe holds 64 KiB, so more than that is never read at
 * once; 16 of them let the command run up to 1 MiB ahead of the one its output goes to.
 */
const IN_PLACE_BUFFER = 64 << 10;
const IN_PLACE_BUFFERS = 16;

export type ToolPaths = Readonly<Record<string, string>>;

/** Quotes a word for a POSIX shell, leaving plain words as they are. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(spec: CommandSpec, tools: ToolPaths = {}): string {
  const argv = [tools[spec.tool] ?? spec.tool, ...spec.args].map(shellQuote).join(" ");
  const feed = spec.input instanceof Secret ? " <<< (secret on stdin)" : "";
  return redact(argv + feed);
}

export class Runner {
  constructor(
    readonly tools: ToolPaths = {},
    private readonly signal?: AbortSignal,
  ) {}

  resolveTool(tool: string): string {
    return this.tools[tool] ?? tool;
  }

  /** Runs to completion, buffering output. Rejects with a redacted, actionable error. */
  async run(spec: CommandSpec): Promise<CommandResult> {
    const child = this.start(spec, "pipe");
    return this.finish(spec, child);
  }

  /** Starts a command whose stdout is consumed as a stream (tar's archive, for instance). */
  stream(spec: CommandSpec): StreamingCommand {
    const child = this.start(spec, "pipe", true);
    return this.streaming(child, this.finish(spec, child), (signal) => child.kill(signal ?? "SIGTERM"));
  }

  private streaming(child: ResultPromise, done: Promise<CommandResult>, kill: (signal?: NodeJS.Signals) => void): StreamingCommand {
    // execa resumes an unread stdout when not buffering, which drops data read later: own it at once.
    const stdout = (child.stdout as Readable).pipe(new PassThrough({ highWaterMark: 1 << 20 }));
    const stderr = child.stderr as Readable;
    // The failure also rejects `done`: a caller that never reads stdout (tar --extract) must not crash on it.
    stdout.on("error", () => undefined);
    done.catch((error: Error) => stdout.destroy(error));
    // execa settles only once stdout is drained: output nobody will read must be dropped, or `done` never settles.
    const discard = () => (child.stdout as Readable).destroy();
    this.signal?.addEventListener("abort", discard, { once: true });
    const forget = () => this.signal?.removeEventListener("abort", discard);
    done.then(forget, forget);
    return { stdout, stderr, done, kill: (signal) => { kill(signal); discard(); } };
  }

  /**
   * Starts a command whose stdout node reads into a few buffers, reused: a stream of gigabytes
   * allocates nothing per read, so nothing waits for the garbage collector (which, with a new
   * buffer per read, ran a full collection every ~25 MB of a backup). `onChunk` gets each piece,
   * valid only until it returns unless it calls `hold(released)` (once or more): the piece's
   * buffer is then kept until every `released` settled (a write into a pipe that is full), while
   * reading goes on into the others. `onChunk` returns false to stop reading until `resume()`.
   * `ended` settles when the output has been read to its end. The command writes into a pipe that
   * only node reads (made with mkfifo: node has no pipe(); the name is unlinked once open).
   */
  async readInPlace(spec: CommandSpec, onChunk: (chunk: Buffer, hold: (released: Promise<unknown>) => void) => boolean): Promise<InPlaceReader> {
    const { readFd, writeFd } = await this.openPipe();
    let child: ResultPromise;
    try {
      child = this.start(spec, writeFd, true);
    } catch (error) {
      closeSync(readFd);
      throw error;
    } finally {
      // The command holds its own copy: the pipe ends when the command closes it.
      closeSync(writeFd);
    }
    const free: Buffer[] = Array.from({ length: IN_PLACE_BUFFERS }, () => Buffer.allocUnsafe(IN_PLACE_BUFFER));
    let stoppedByReader = false;
    let waitingForBuffer = false;
    const release = (buffer: Buffer) => {
      free.push(buffer);
      if (waitingForBuffer) {
        waitingForBuffer = false;
        if (!stoppedByReader) socket.resume();
      }
    };
    // node's net.Socket takes `onread` in its constructor too; @types/node lists it for connect only.
    // node asks `buffer()` for the next read's buffer right after each `callback`: one must be free then.
    const options: SocketConstructorOpts & { onread: OnReadOpts } = {
      fd: readFd,
      readable: true,
      writable: false,
      onread: {
        buffer: () => free.pop()!,
        callback: (bytes, into) => {
          const buffer = into as Buffer;
          const holds: Promise<unknown>[] = [];
          const goOn = onChunk(buffer.subarray(0, bytes), (released) => holds.push(released));
          // Held until every promise given for it settled (a piece written into two volumes: two).
          if (holds.length > 0) void Promise.allSettled(holds).then(() => release(buffer));
          else free.push(buffer);
          stoppedByReader = !goOn;
          // The last free buffer is the next read's: no read after it until another is free.
          waitingForBuffer = free.length <= 1;
          return goOn && !waitingForBuffer;
        },
      },
    };
    const socket = new Socket(options);
    const ended = new Promise<void>((resolve, reject) => {
      socket.once("end", resolve);
      socket.once("error", reject);
      // Closed without its end: killed, or node stopped reading (settles nothing once it ended).
      socket.once("close", () => reject(new Error("the command's output was not read to its end")));
    });
    ended.catch(() => undefined);
    const done = this.finish(spec, child);
    // Awaited once the output was read, which may be after the command failed.
    done.catch(() => undefined);
    return {
      done,
      ended,
      resume: () => {
        stoppedByReader = false;
        if (!waitingForBuffer) socket.resume();
      },
      kill: (signal) => {
        child.kill(signal ?? "SIGTERM");
        socket.destroy();
      },
    };
  }

  private async openPipe(): Promise<{ readFd: number; writeFd: number }> {
    const dir = await mkdtemp(join(tmpdir(), "cryptkeep-pipe-"));
    try {
      const path = join(dir, "pipe");
      await this.run({ tool: "mkfifo", args: ["-m", "600", path] });
      // Opened for reading first, without waiting for a writer, so that opening it for writing does not wait either.
      const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        return { readFd, writeFd: openSync(path, constants.O_WRONLY) };
      } catch (error) {
        closeSync(readFd);
        throw error;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Commands joined like `pipe` whose first one's stdin node writes (and ends), the last writing
   * into `into` (see pipeInto): node hands bytes to the first command without a stream between.
   */
  sinkInto(specs: readonly CommandSpec[], into: Writable | number): CommandSink {
    const joined = this.join(specs, into, false, true);
    const stdin = joined.children[0]!.stdin as Writable;
    // A write into a command that has exited is its failure, which `done` reports.
    stdin.on("error", () => undefined);
    return { stdin, done: joined.done, kill: joined.kill };
  }

  /**
   * Starts commands joined like a shell's `a | b`: each one's stdout is the next one's stdin by
   * descriptor, so the bytes between them never pass through node. The first reads its `input`;
   * the last one's stdout is returned. A failure of any of them fails the whole, and stops the others.
   */
  pipe(specs: readonly CommandSpec[]): StreamingCommand {
    if (specs.length === 1) return this.stream(specs[0]!);
    const joined = this.join(specs, "pipe", false);
    return this.streaming(joined.children.at(-1)!, joined.done, joined.kill);
  }

  /**
   * Starts a command whose stdin node keeps open: commands joined by `pipeInto` write into it one
   * after another, by descriptor, and node may write too between them; it ends when node ends `stdin`.
   */
  sink(spec: CommandSpec): CommandSink {
    const child = this.start(spec, "pipe", false, "pipe");
    const stdin = child.stdin as Writable;
    // A write into a command that has exited is its failure, which `done` reports.
    stdin.on("error", () => undefined);
    const done = this.finish(spec, child);
    // Awaited once node has written its part, which may be after the command failed.
    done.catch(() => undefined);
    return { stdin, done, kill: (signal) => child.kill(signal ?? "SIGTERM") };
  }

  /**
   * Commands joined like `pipe`, the last writing into `into`: a sink's stdin, which stays open for
   * whoever writes next, or an open file's descriptor (the file a store is writing), which the
   * bytes then reach without passing through node. `stopsEarly`: the last command stops reading
   * before the end on purpose (dd count=N); the commands before it then ending of the broken pipe
   * is no failure.
   */
  pipeInto(specs: readonly CommandSpec[], into: Writable | number, options: { stopsEarly?: boolean } = {}): RunningCommand {
    const joined = this.join(specs, into, options.stopsEarly ?? false);
    return { done: joined.done, kill: joined.kill };
  }

  private join(specs: readonly CommandSpec[], into: "pipe" | Writable | number, stopsEarly: boolean, openStdin = false) {
    const children: ResultPromise[] = [];
    // Started from the last, so that each one's stdin exists when the one before it starts.
    for (let i = specs.length - 1; i >= 0; i--) {
      const next = children[0];
      const child = this.start(specs[i]!, next ? (next.stdin as Writable) : into, true, i > 0 || openStdin ? "pipe" : undefined);
      // Only the writer may keep the pipe's write end open, or the reader never sees its end.
      if (next) (next.stdin as Writable).destroy();
      children.unshift(child);
    }
    const kill = (signal?: NodeJS.Signals) => children.forEach((child) => child.kill(signal ?? "SIGTERM"));
    const failures: { index: number; error: unknown }[] = [];
    const outcomes = children.map((child, i) => this.finish(specs[i]!, child).catch((error: unknown) => {
      failures.push({ index: i, error });
      // The commands after it are stopped; the ones before it are not: they end of the broken
      // pipe as soon as they write again, or finish and say what they found (gpg's integrity
      // check, when zstd after it choked on the damaged data first). A command that ended of
      // the broken pipe stops none: the one after it closed its input and is ending on its own,
      // and must be let say how (GNU head closes its input before it exits; zstd may have
      // failed first, and its error is the one to report).
      if (!endedOfBrokenPipe(error)) children.slice(i + 1).forEach((next) => next.kill("SIGTERM"));
      throw error;
    }));
    const done = Promise.allSettled(outcomes).then((settled) => {
      const last = settled.at(-1)!;
      const stoppedOnPurpose = stopsEarly && last.status === "fulfilled" && failures.every(({ error }) => endedOfBrokenPipe(error));
      if (failures.length > 0 && !stoppedOnPurpose) throw causeOf(failures);
      return (last as PromiseFulfilledResult<CommandResult>).value;
    });
    return { children, done, kill };
  }

  private start(spec: CommandSpec, stdout: "pipe" | Writable | number, streaming = false, stdin?: "pipe"): ResultPromise {
    const extra = (spec.secretFds ?? []).map(() => "pipe" as const);
    const input = spec.input instanceof Secret ? spec.input.revealBytes() : spec.input;
    // A descriptor is handed to the child as it is (execa's types list only 3-9, its code takes any).
    const stdoutMode = (spec.stdout === undefined || typeof spec.stdout !== "string" ? stdout : spec.stdout) as "pipe" | Writable;
    const child = execa(this.resolveTool(spec.tool), spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      reject: false,
      stripFinalNewline: false,
      buffer: { stdout: !streaming && spec.stdout === undefined, stderr: true },
      stdio: [input === undefined ? stdin ?? "ignore" : "pipe", stdoutMode, "pipe", ...extra],
      maxBuffer: 64 * 1024 * 1024,
      cancelSignal: this.signal,
      forceKillAfterDelay: 5000,
    }) as ResultPromise;
    if (input !== undefined) feed(child.stdin as Writable, input);
    (spec.secretFds ?? []).forEach((secret, i) => {
      const fd = child.stdio[3 + i] as Writable;
      fd.on("error", () => undefined);
      fd.end(secret.revealBytes());
    });
    if (spec.stdout !== undefined && typeof spec.stdout !== "string") (child.stdout as Readable).pipe(spec.stdout);
    return child;
  }

  private async finish(spec: CommandSpec, child: ResultPromise): Promise<CommandResult> {
    const result = await child;
    const stdout = typeof result.stdout === "string" ? result.stdout : "";
    const stderr = typeof result.stderr === "string" ? result.stderr : "";
    const exitCode = result.exitCode ?? -1;
    const failedToStart = result.failed && result.exitCode === undefined && !result.isTerminated;
    if (failedToStart) {
      const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
      if (code === "ENOENT") throw messages.toolMissing(this.resolveTool(spec.tool));
      throw messages.commandFailed(spec.tool, formatCommand(spec, this.tools), -1, redact(result.message ?? ""));
    }
    if (result.isCanceled) throw messages.interrupted("signal");
    if (result.isTerminated) {
      throw messages.commandKilled(spec.tool, formatCommand(spec, this.tools), result.signal ?? "signal", redact(tail(stderr)));
    }
    if (exitCode !== 0 && !(spec.okExitCodes ?? []).includes(exitCode)) {
      throw messages.commandFailed(spec.tool, formatCommand(spec, this.tools), exitCode, redact(tail(stderr)));
    }
    return { exitCode, stdout, stderr };
  }
}

function feed(stdin: Writable, input: string | Buffer | Readable): void {
  stdin.on("error", () => undefined);
  if (typeof input === "string" || Buffer.isBuffer(input)) stdin.end(input);
  else input.pipe(stdin);
}

/**
 * The output of a command that transforms `input`, ending only once the command has exited
 * successfully: a failure of the command (or of `input`, which kills it) is an error of the
 * stream, so a consumer that stores it never takes a cut-short output for a complete one.
 * `failure` says what the command's failure means for the data; a consumer that stops reading
 * before the end stops the command too.
 */
export function outputOnceSucceeded(command: StreamingCommand, input?: Readable, failure: (error: unknown) => unknown = (error) => error): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const done = command.done.catch((error: unknown) => Promise.reject(failure(error)));
  input?.once("error", (error) => {
    out.destroy(error);
    command.kill();
  });
  command.stdout.once("error", (error) => out.destroy(error));
  command.stdout.pipe(out, { end: false });
  command.stdout.once("end", () => {
    done.then(() => out.end(), (error: Error) => out.destroy(error));
  });
  done.catch((error: Error) => out.destroy(error));
  out.once("close", () => {
    if (!out.readableEnded) command.kill();
  });
  return out;
}

/**
 * A command that failed because its reader was gone: a shell's child killed by SIGPIPE (exit 141),
 * or a tool that reports the failed write (between processes node joined, a reset socket).
 */
const OF_BROKEN_PIPE = /broken pipe|connection reset by peer/i;

/** Whether a command failed only because the command it wrote to had stopped reading. */
export function endedOfBrokenPipe(error: unknown): boolean {
  if (isCommandError(error, "COMMAND_KILLED")) return error.signal === "SIGPIPE";
  return isCommandError(error, "COMMAND_FAILED") && (error.status === 141 || OF_BROKEN_PIPE.test(error.stderr));
}

const followedAnother = (error: unknown) => isCommandError(error, "COMMAND_KILLED") || endedOfBrokenPipe(error);

/**
 * Which failure of joined commands to report: the first in the pipe that failed on its own.
 * One that died of a signal (the kill above) or of the broken pipe (its reader had failed) only
 * followed another; a command before the one that failed first explains its failure.
 */
function causeOf(failures: { index: number; error: unknown }[]): unknown {
  const own = failures.filter(({ error }) => !followedAnother(error));
  const pick = (list: typeof failures) => [...list].sort((a, b) => a.index - b.index)[0]?.error;
  return pick(own) ?? failures.find(({ error }) => !isCommandError(error, "COMMAND_KILLED"))?.error ?? failures[0]!.error;
}

export function tail(text: string, lines = 12): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
