import type { Readable, Writable } from "node:stream";
import type { z } from "zod";
import type { Engine } from "./engine.js";
import type { CommandResult, CommandSink, CommandSpec, InPlaceReader, RunningCommand, StreamingCommand } from "./runner.js";
import type { Secret, SecretSource } from "./secret.js";
import type { Logger } from "./log.js";
import type { Progress } from "./progress.js";

/** A plugin: made by a factory, options validated against `schema` before `apply` runs. */
export interface Plugin<Options = unknown> {
  name: string;
  schema?: z.ZodType<Options>;
  options?: unknown;
  apply(engine: Engine, options: Options): void;
}

/** What a job, a preset or `plugins` accepts: nested arrays and falsy entries are allowed. */
export type PluginOption = Plugin<any> | false | null | undefined | PluginOption[]; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CryptkeepConfig {
  /** One entry per backup job: a preset call, a plugin, or an array of plugins. */
  jobs: Record<string, PluginOption>;
  /** Paths of external tools, when they are not on PATH. @default {} */
  tools?: Record<string, string>;
  /** Where local state (tar snapshot files, locks) lives. @default $XDG_CACHE_HOME/cryptkeep */
  cacheDir?: string;
  /** Notification plugins (httpPing, email, notifyCommand) applied to every job. @default [] */
  notify?: PluginOption;
}

export type CommandName =
  | "backup" | "restore" | "verify" | "snapshots" | "prune" | "plan" | "doctor" | "init" | "recipe" | "mount" | "umount" | "status"
  | "grow" | "trim";

export interface RunOptions {
  full?: boolean;
  at?: string;
  path?: string[];
  to?: string;
  dryRun?: boolean;
  compare?: boolean;
  breakLock?: boolean;
  identity?: string;
  /** verify: also decrypt and compare with the source (folder ciphers such as gocryptfs). */
  deep?: boolean;
  /** grow: the container's new size ("8T"); the open hook enlarges the file before opening it. */
  size?: string;
  /** Back up or prune although the tripwire fired (the source shrank on purpose). */
  allowShrink?: boolean;
}

/** One run of one command for one job. Everything a hook may use. */
export interface RunContext {
  readonly job: string;
  readonly command: CommandName;
  /** True under `cryptkeep plan`: describe with `step`/`exec`, change nothing. */
  readonly dryRun: boolean;
  readonly options: RunOptions;
  readonly log: Logger;
  readonly progress: Progress;
  /** Aborted on SIGINT/SIGTERM; long work must stop promptly when it fires. */
  readonly signal: AbortSignal;
  readonly cacheDir: string;
  /** Register the undo of something just acquired; run last-in-first-out at the end, told whether the run failed. */
  defer(label: string, undo: (outcome: { failed: boolean }) => Promise<void> | void): void;
  /** Record a step for `plan` and the log. */
  step(description: string): void;
  exec(spec: CommandSpec): Promise<CommandResult>;
  /**
   * Runs a command that only reports and changes nothing (a tool's version), in plan mode too,
   * so that the plan shows what the run would really choose. Logged under --debug, not planned.
   */
  query(spec: CommandSpec): Promise<CommandResult>;
  stream(spec: CommandSpec): StreamingCommand;
  /** Commands joined like a shell's `a | b`, by descriptor: the first reads its `input`, the last's stdout is returned. */
  pipe(specs: readonly CommandSpec[]): StreamingCommand;
  /** A command whose stdin stays open for commands joined into it one after another (`pipeInto`), then node. */
  sink(spec: CommandSpec): CommandSink;
  /** Commands joined like `pipe`, the first reading what node writes into its `stdin`, the last writing into `into`; see Runner.sinkInto. */
  sinkInto(specs: readonly CommandSpec[], into: Writable | number): CommandSink;
  /**
   * A command whose stdout node reads into a few reused buffers: `onChunk` gets each piece, valid
   * only until it returns unless it calls `hold(released)`, must not throw, and returns false to
   * pause until `resume()`; see Runner.readInPlace.
   */
  readInPlace(spec: CommandSpec, onChunk: (chunk: Buffer, hold: (released: Promise<unknown>) => void) => boolean): Promise<InPlaceReader>;
  /** Commands joined like `pipe`, the last writing into a sink's stdin (which stays open) or a file's descriptor; see Runner.pipeInto. */
  pipeInto(specs: readonly CommandSpec[], into: Writable | number, options?: { stopsEarly?: boolean }): RunningCommand;
  secret(source: SecretSource, purpose: string): Promise<Secret>;
  /** Resolves a path from the config relative to the config file's folder; expands ~. */
  resolvePath(path: string): string;
}

/** A place that keeps named objects: a local folder, an sftp server, a bucket. */
export interface Store {
  readonly description: string;
  /** Writes an object atomically: it is visible under `name` only once complete. Returns bytes written. */
  put(name: string, data: Readable, signal?: AbortSignal): Promise<number>;
  /**
   * Optional, for a store that is a folder on this machine: stores an object that `write` writes
   * into a new file by its descriptor (a command's stdout: the bytes then never pass through
   * node), with put's guarantee. `write` resolves once the file is complete; if it rejects, the
   * file is removed. Returns bytes written.
   */
  putByDescriptor?(name: string, write: (fd: number) => Promise<void>): Promise<number>;
  get(name: string): Promise<Readable>;
  /** Names under a prefix ("snapshots/"), recursively, with their sizes. */
  list(prefix: string): Promise<{ name: string; size: number }[]>;
  exists(name: string): Promise<boolean>;
  delete(name: string): Promise<void>;
  /** Removes every object under a prefix. */
  deleteAll(prefix: string): Promise<void>;
  /** Free bytes where the store writes, when known. */
  freeBytes(): Promise<number | undefined>;
}

/** How to reach a server by ssh: for rsync's own transport and for commands run on the server. */
export interface SshEndpoint {
  host: string;
  port: number;
  user?: string;
  /** The target folder on the server. */
  path: string;
  /** Options for `ssh` (and `rsync -e ssh ...`): port, identity, known_hosts, keepalives, batch mode. */
  sshArgs: string[];
}

/**
 * Where a filesystem sync (rsync) writes: a folder on this machine (plain, or the mount point
 * of sshfs, davfs or s3fs) and/or a server reachable by ssh. Valid once the connect hook ran;
 * the transport plugin that provides it defers its own unmount.
 */
export interface Target {
  readonly description: string;
  /** A folder on this machine that holds the target; undefined when it is reachable only by ssh. */
  readonly localPath: string | undefined;
  /** Set when the target's server can be reached by ssh (transport "ssh" or "sshfs"). */
  readonly ssh: SshEndpoint | undefined;
  /**
   * For recipes, when reaching the target by hand takes more than a folder or an sshfs mount
   * (a LUKS container, a davfs or s3fs mount): shell lines that make ./backup hold it, and lines that undo them.
   */
  readonly recipe?: { reach: string[]; leave: string[]; notes: string[] };
  /**
   * Set while this run holds the target open read-only the way its recipe does (a LUKS container:
   * "cryptsetup open --readonly, mount -o ro,noload"): the standard tools a restore drill read
   * through, for its report.
   */
  readonly readOnlyVia?: string;
  /**
   * false when the target does not keep files' modification times (davfs2: the server sets its
   * own), so a sync must compare files by content instead. @default true
   */
  readonly keepsModificationTimes?: boolean;
  /**
   * true for a mount whose server can keep a lock on a file a run cut short was creating (davfs2
   * locks each new file, and Apache keeps the lock across a restart, listing the never-written
   * file): rsync then makes its temporary files in one folder of their own, where such a leftover
   * is in nobody's way, instead of beside the files it would block. @default false
   */
  readonly leftoverLocks?: boolean;
  /**
   * true for a mount of a server (davfs, s3fs; sshfs says so with `ssh`): an I/O error there
   * means the server was lost, and is reported as CONNECTION_LOST. @default false
   */
  readonly network?: boolean;
  /**
   * A mounted target read without mounting it (over its own protocol), for `plan`, which mounts
   * nothing: `folder` is the subfolder the store uses. Valid after the connect hook under plan.
   */
  planReader?(folder: string): Store | undefined;
}

/**
 * An encryption layer that works on whole folders (gocryptfs): the sync copies its encrypted
 * view of the source, and reads backups back through its decrypted view. Valid after `open`.
 */
export interface FolderCipher {
  readonly description: string;
  /** Files the cipher keeps in the source folder itself (its config), which are not the user's. */
  readonly ownFiles: string[];
  /**
   * Files its encrypted view holds besides the user's, so a sync's counts can leave them out:
   * `perFolder` in every folder (gocryptfs.diriv) and `inRoot` at the top (gocryptfs.conf).
   */
  readonly viewExtras: { perFolder: number; inRoot: number };
  /** The encrypted view of the source that a backup copies (a read-only mount); set by the open hook. */
  encryptedSource(): string;
  /**
   * Mounts an encrypted tree (a copy of the encrypted view) read-only and decrypted at
   * `mountPoint` (a fresh prefixed folder under the cache dir when absent). The unmount is
   * deferred, unless `keep` (the `mount` command leaves it for `umount`). Returns the mount point.
   */
  openDecrypted(ctx: RunContext, encryptedDir: string, opts?: { mountPoint?: string; keep?: boolean }): Promise<string>;
  /** Shell lines that mount ENCRYPTED_DIR decrypted at MOUNT_POINT by hand, for recipes. */
  recipeMount(encryptedDir: string, mountPoint: string): string[];
}

/** Encrypts and decrypts data for the store; the only holder of keys. */
export interface Cipher {
  readonly description: string;
  /** Suffix of encrypted objects, e.g. ".gpg". */
  readonly extension: string;
  encrypt(ctx: RunContext, data: Readable): Promise<Readable>;
  /**
   * Loads what encrypting needs (a library, the recipients' keys) ahead of its first use, so a
   * caller can overlap that with other work. Optional; a failure here shows again at first use.
   */
  prepare?(): Promise<void>;
  /**
   * The same encryption as a command from stdin to stdout, where the cipher is an external tool:
   * the caller can then join it to the command before it (zstd) without node in between. Call
   * `cleanup` once the command has ended. Optional; undefined where the cipher encrypts in
   * process on this machine (no usable tool).
   */
  encryptCommand?(ctx: RunContext): Promise<{ command: CommandSpec; cleanup(): Promise<void> } | undefined>;
  /** For small metadata; signed when the cipher is set up to sign. */
  encryptBytes(ctx: RunContext, data: Uint8Array): Promise<Uint8Array>;
  /** encryptBytes as a stream, for big metadata (the manifest of 50,000 files is over 10 MB): same format, signed likewise. */
  encryptSigned(ctx: RunContext, data: Readable): Promise<Readable>;
  /** Caller must have checked the ciphertext against a trusted digest first. */
  decrypt(ctx: RunContext, data: Readable): Promise<Readable>;
  /**
   * `decrypt` as a command reading `input` (made from `data`) and writing to stdout, where an
   * external tool can do it here: the caller can then join it to the command after it (zstd -d)
   * without node in between. Undefined where only `decrypt` can (then `data` is untouched).
   * `failure` says what the joined commands' error means; call `cleanup` once they have ended.
   * Same precondition as `decrypt`. Optional.
   */
  decryptCommand?(ctx: RunContext, data: Readable): Promise<{ command: CommandSpec; input: Readable; cleanup(): Promise<void>; failure(error: unknown): unknown } | undefined>;
  /** Whether `decryptCommand` gives a command here, asked before any data is opened. Optional, with it. */
  decryptsByCommand?(ctx: RunContext): Promise<boolean>;
  decryptBytes(ctx: RunContext, data: Uint8Array): Promise<Uint8Array>;
  /**
   * decryptBytes as a stream, for big metadata written by encryptSigned: integrity and signature
   * are checked at the end, where the stream errors instead of ending. The caller must not act on
   * what it read before the stream has ended without error.
   */
  decryptSigned(ctx: RunContext, data: Readable): Promise<Readable>;
  /** Shell words that decrypt FILE to stdout with the standard tool, for recipes. */
  recipeDecrypt(file: string): string;
  recipeSetup(): string[];
  /**
   * For restore drills: set up the standard tool the recipe names (a throwaway keyring in
   * `home`) and return the command that decrypts stdin to stdout. Optional.
   */
  standardDecrypt?(ctx: RunContext, home: string): Promise<CommandSpec>;
}

export interface SnapshotInfo {
  id: string;
  time: string;
  type: "full" | "incremental";
  parent?: string;
  files: number;
  sourceBytes: number;
  storedBytes: number;
  volumes: number;
  complete: boolean;
}

/** The snapshots of a job, as retention and status see them. */
export interface Repository {
  list(ctx: RunContext): Promise<SnapshotInfo[]>;
  remove(ctx: RunContext, id: string): Promise<void>;
}

export interface BackupSummary {
  snapshot: string;
  type: "full" | "incremental";
  sourceFiles: number;
  sourceBytes: number;
  newFiles: number;
  changedFiles: number;
  deletedFiles: number;
  bytesRead: number;
  bytesWritten: number;
  volumes: number;
  elapsedMs: number;
  errors: string[];
}

/** What `grow` and `trim` did to a container. */
export interface ContainerSummary {
  container: string;
  /** Bytes the file claims (its size). */
  sizeBefore: number;
  sizeAfter: number;
  /** Bytes the file really takes on its disk (a sparse file takes less), when it can be seen. */
  allocatedBefore?: number;
  allocatedAfter?: number;
  /** Size of the filesystem inside, after the command. */
  filesystemBytes: number;
  /** trim: what fstrim reported as discarded. */
  trimmedBytes?: number;
  notes: string[];
}

export interface RestoreSummary {
  snapshot: string;
  to: string;
  files: number;
  bytes: number;
  chain: string[];
  elapsedMs: number;
}

export interface VerifyProblem {
  kind: "volume" | "file" | "manifest" | "source";
  snapshot?: string;
  name: string;
  detail: string;
}

export interface VerifySummary {
  snapshots: string[];
  volumes: number;
  files: number;
  compared: number;
  problems: VerifyProblem[];
  elapsedMs: number;
}

export interface PruneDecision {
  id: string;
  action: "keep" | "remove";
  reasons: string[];
}

export interface PruneSummary {
  dryRun: boolean;
  decisions: PruneDecision[];
}

export interface Recipe {
  title: string;
  notes: string[];
  commands: string[];
}

export interface DoctorCheck {
  name: string;
  ok: boolean;
  found?: string;
  needed?: string;
  detail: string;
}

export interface ToolRequirement {
  tool: string;
  purpose: string;
  versionArgs: string[];
  /** Extracts "1.34" from the tool's version output. */
  versionPattern: RegExp;
  minVersion?: string;
  /** Not needed to run backups (only for recipes or checks): doctor warns instead of failing. */
  optional?: boolean;
}

/** The honest outcome of one job's run; each has its exit code (docs/unattended.md). */
export type RunState = "success" | "partial" | "failed" | "verify-failed" | "skipped" | "interrupted" | "stale";

/** What a notification is about: the start of a run, or how it ended. */
export type RunEventKind = "start" | "success" | "failure" | "skipped";

export interface RunEvent {
  kind: RunEventKind;
  job: string;
  command: string;
  host: string;
  /** Set once the run ended. */
  state?: RunState;
  exitCode?: number;
  /** One line: what happened ("backup of 'documents' succeeded: snapshot ..."). Redacted. */
  message: string;
  /** The last lines of this job's log, redacted. */
  logTail: string[];
  snapshot?: string;
  elapsedMs?: number;
}

/** Where a notifier may run programs: through the one runner, outside any job session. */
export interface NotifyIO {
  exec(spec: CommandSpec): Promise<CommandResult>;
  /** A secret of the notifier's options (a token), resolved as the job's secrets are. */
  secret(source: SecretSource): Promise<Secret>;
}

/** Tells someone how a run went. A failure to notify is logged; it never changes the run's result. */
export interface Notifier {
  readonly description: string;
  /** The events this notifier sends. */
  readonly events: readonly RunEventKind[];
  send(event: RunEvent, io: NotifyIO): Promise<void>;
}

/** How a job runs on its own (the `unattended` plugin, or a preset's same-named options). */
export interface UnattendedSettings {
  /** Cadence for `cryptkeep schedule`: "hourly", "daily", "weekly" or a duration. */
  every?: string;
  /** `cryptkeep status` calls the job stale when its newest snapshot is older than this. */
  maxAgeMs?: number;
  maxAge?: string;
  /** What a run does when another run holds the job's lock. */
  overlap: "skip" | "wait" | "fail";
  /** overlap "wait": give up (skipped, exit 3) after this long. */
  maxWaitMs: number;
  /** Refuse to back up or prune when the source has fewer than this fraction of the last snapshot's files; false: off. */
  tripwire: { minFileRatio: number } | false;
  /** Restore drills: a random sample restored with the standard tools. */
  drill?: { every: string; everyMs: number; sample: number };
}

/** The folder a sync plugin backs up, for the tripwire. */
export interface SourceInfo {
  readonly path: string;
  /** Regular files that a backup would include now (exclusions applied). */
  countFiles(ctx: RunContext): Promise<number>;
  /**
   * The same count as of the newest complete backup, when the repository's listing does not
   * carry it (rsync snapshots hold no manifest); absent: the listing's `files` is used.
   */
  lastCount?(ctx: RunContext): Promise<{ snapshot: string; files: number } | undefined>;
}

export interface DrillRequest { sample: number }

export interface DrillSummary {
  snapshot: string;
  /** How the sample was restored: the standard tools' pipeline. */
  method: string;
  sampled: number;
  restored: number;
  /** Files that differ from the snapshot's manifest: the backup is damaged. */
  problems: VerifyProblem[];
  /** Files changed in the source since the snapshot (not a problem). */
  changedSince: number;
  elapsedMs: number;
}
