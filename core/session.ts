import { join } from "node:path";
import type { Engine } from "./engine.js";
import { messages } from "./messages.js";
import { Teardown } from "./teardown.js";
import { TeardownError, isCryptkeepError } from "./errors.js";
import { acquireLock } from "./lock.js";
import { waitForLock } from "./lock-wait.js";
import { Runner, formatCommand, type CommandResult, type CommandSink, type CommandSpec, type InPlaceReader, type RunningCommand, type StreamingCommand } from "./runner.js";
import type { Secret, SecretSource } from "./secret.js";
import { resolveJobSecret } from "./secret-source.js";
import { expandPath } from "./paths.js";
import type { Logger } from "./log.js";
import { Progress } from "./progress.js";
import type { CommandName, RunContext, RunOptions } from "./types.js";
import { PassThrough, type Writable } from "node:stream";

/** What a command planned (under `plan`) but not run returns. */
const NOT_RUN: CommandResult = { exitCode: 0, stdout: "", stderr: "" };

export interface SessionSettings {
  command: CommandName;
  options: RunOptions;
  log: Logger;
  cacheRoot: string;
  tools: Record<string, string>;
  /** Commands that change the target hold the job's lock. */
  lock: boolean;
  /** When another run holds the lock: wait for it this many ms at most (overlap "wait") instead of failing with LOCKED at once. */
  waitForLock?: number;
  /** Run connect and open before the body. */
  connect: boolean;
  dryRun?: boolean;
  progress?: Progress;
}

/** What a plan run recorded: steps and the exact commands, secrets masked. */
export interface PlanEntry { kind: "step" | "command"; text: string }

/**
 * Runs one command for one job: lock, connect, open, body; then unwinds everything deferred,
 * last-in-first-out, on success, failure, SIGINT and SIGTERM. A failed undo is reported
 * without hiding the error that caused the unwind.
 */
export async function runSession<T>(
  engine: Engine,
  settings: SessionSettings,
  body: (ctx: RunContext) => Promise<T>,
): Promise<{ result: T; plan: PlanEntry[] }> {
  const teardown = new Teardown();
  const controller = new AbortController();
  const plan: PlanEntry[] = [];
  let caught: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (caught) {
      settings.log.warn(`${signal} again: still closing what was opened (${teardown.pending.join(", ") || "nothing"})`);
      return;
    }
    caught = signal;
    settings.log.warn(`${signal} received: stopping and closing what was opened`);
    controller.abort(messages.interrupted(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const runner = new Runner(settings.tools, controller.signal);
  // Undoing (umount, cryptsetup close, fusermount -u) must run to its end after Ctrl-C: the
  // run's runner cancels every command once the signal has fired, so teardown uses its own.
  const undoRunner = new Runner(settings.tools);
  let unwinding = false;
  const active = () => (unwinding ? undoRunner : runner);
  const dryRun = settings.dryRun ?? false;
  const secrets = new Map<string, Promise<Secret>>();
  const cacheDir = join(settings.cacheRoot, engine.job);
  const ctx: RunContext = {
    job: engine.job,
    command: settings.command,
    dryRun,
    options: settings.options,
    log: settings.log,
    progress: settings.progress ?? new Progress(),
    signal: controller.signal,
    cacheDir,
    defer: (label, undo) => teardown.defer(label, undo),
    step: (description) => {
      if (dryRun) plan.push({ kind: "step", text: description });
      else settings.log.debug(`step: ${description}`);
    },
    exec: async (spec: CommandSpec): Promise<CommandResult> => {
      if (dryRun) {
        plan.push({ kind: "command", text: formatCommand(spec, settings.tools) });
        return NOT_RUN;
      }
      return ctx.query(spec);
    },
    query: async (spec: CommandSpec): Promise<CommandResult> => {
      settings.log.debug(`run: ${formatCommand(spec, settings.tools)}`);
      return active().run(spec);
    },
    stream: (spec: CommandSpec): StreamingCommand => ctx.pipe([spec]),
    pipe: (specs: readonly CommandSpec[]): StreamingCommand => {
      const text = specs.map((spec) => formatCommand(spec, settings.tools)).join(" | ");
      if (dryRun) {
        plan.push({ kind: "command", text });
        const empty = new PassThrough();
        empty.end();
        return { stdout: empty, stderr: new PassThrough().end() as PassThrough, done: Promise.resolve(NOT_RUN), kill: () => undefined };
      }
      settings.log.debug(`run: ${text}`);
      return active().pipe(specs);
    },
    sink: (spec: CommandSpec): CommandSink => {
      const text = formatCommand(spec, settings.tools);
      if (dryRun) {
        plan.push({ kind: "command", text });
        return { stdin: new PassThrough().resume(), done: Promise.resolve(NOT_RUN), kill: () => undefined };
      }
      settings.log.debug(`run: ${text} (reading what is piped into it)`);
      return active().sink(spec);
    },
    sinkInto: (specs: readonly CommandSpec[], into: Writable | number): CommandSink => {
      const text = specs.map((spec) => formatCommand(spec, settings.tools)).join(" | ");
      if (dryRun) {
        plan.push({ kind: "command", text });
        return { stdin: new PassThrough().resume(), done: Promise.resolve(NOT_RUN), kill: () => undefined };
      }
      settings.log.debug(`run: ${text} (${intoWhat(into)})`);
      return active().sinkInto(specs, into);
    },
    readInPlace: async (spec: CommandSpec, onChunk: (chunk: Buffer, hold: (released: Promise<unknown>) => void) => boolean): Promise<InPlaceReader> => {
      const text = formatCommand(spec, settings.tools);
      if (dryRun) {
        plan.push({ kind: "command", text });
        return { done: Promise.resolve(NOT_RUN), ended: Promise.resolve(), resume: () => undefined, kill: () => undefined };
      }
      settings.log.debug(`run: ${text}`);
      return active().readInPlace(spec, onChunk);
    },
    pipeInto: (specs: readonly CommandSpec[], into: Writable | number, options?: { stopsEarly?: boolean }): RunningCommand => {
      const text = specs.map((spec) => formatCommand(spec, settings.tools)).join(" | ");
      if (dryRun) {
        plan.push({ kind: "command", text });
        return { done: Promise.resolve(NOT_RUN), kill: () => undefined };
      }
      settings.log.debug(`run: ${text} (${intoWhat(into)})`);
      return active().pipeInto(specs, into, options);
    },
    secret: (source: SecretSource, purpose: string) => {
      const key = JSON.stringify(source);
      let pending = secrets.get(key);
      if (!pending) {
        pending = resolveJobSecret(source, runner, engine.configDir).catch((error: unknown) => {
          if (isCryptkeepError(error)) error.message = `${purpose}: ${error.message}`;
          throw error;
        });
        secrets.set(key, pending);
      }
      return pending;
    },
    resolvePath: (path) => expandPath(path, engine.configDir),
  };

  let failure: unknown;
  let result: T | undefined;
  try {
    if (settings.lock && dryRun) plan.push({ kind: "step", text: `take the lock of job '${engine.job}' (${join(cacheDir, "lock")})` });
    if (settings.lock && !dryRun) {
      const lockArgs = [join(cacheDir, "lock"), engine.job, settings.command, settings.options.breakLock ?? false] as const;
      const release = settings.waitForLock !== undefined
        ? await waitForLock(...lockArgs, settings.waitForLock, controller.signal, settings.log)
        : await acquireLock(...lockArgs);
      teardown.defer("release the job lock", release);
    }
    if (settings.connect) {
      await engine.hooks.connect.promise(ctx);
      await engine.hooks.open.promise(ctx);
    }
    result = await body(ctx);
    if (controller.signal.aborted) throw controller.signal.reason;
  } catch (error) {
    failure = caught ? messages.interrupted(caught) : error;
  } finally {
    ctx.progress.done();
    unwinding = true;
    const failures = await teardown.unwind((label) => settings.log.debug(`undo: ${label}`), { failed: failure !== undefined });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (failures.length) {
      const cleanup = new TeardownError(failures);
      if (failure) settings.log.error(cleanup.message);
      else failure = cleanup;
    }
  }
  if (failure) throw failure;
  return { result: result as T, plan };
}

/** Where the last of joined commands writes, for --debug. */
function intoWhat(into: Writable | number): string {
  return typeof into === "number" ? "into the file being stored" : "into a running command's stdin";
}
