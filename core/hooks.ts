import { AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook } from "tapable";
import type {
  BackupSummary, DoctorCheck, DrillRequest, DrillSummary, Notifier, PruneSummary, Recipe, RestoreSummary, RunContext, SnapshotInfo,
  ToolRequirement, VerifySummary,
} from "./types.js";

/** `at`: as the user wrote it (a snapshot id, a time, "3D", "3 days ago"); latest when absent. */
export interface RestoreRequest { to: string; at?: string; paths: string[] }
export interface VerifyRequest { compare: boolean; at?: string; all: boolean; deep?: boolean }
/** `mount`: a read-only decrypted view at `dir`, left mounted until `umount`. */
export interface MountRequest { dir: string; at?: string }
export interface MountSummary { dir: string; state: string; notes: string[] }
/** `umount`: what `mount` left, found by job or by folder. */
export interface UnmountRequest { dir?: string }
export interface PruneRequest { dryRun: boolean }

/**
 * Every lifecycle hook, declared once. Kinds: "series" hooks run every tap in order;
 * "bail" hooks stop at the first tap that returns a value (the plugin that owns that command).
 * For every command that touches the target the engine runs: connect → open → <command hook>,
 * then unwinds everything deferred, last-in-first-out, whatever happened.
 */
export function createHooks() {
  return Object.freeze({
    /** Sync, at setup: each plugin lists the external tools it runs (for doctor and plan). */
    requirements: new SyncHook<[ToolRequirement[]]>(["requirements"]),
    /** Series. Reach the target: mount, connect, check it is writable. Defer the undo. Runs first. */
    connect: new AsyncSeriesHook<[RunContext]>(["ctx"]),
    /** Series, after connect. Open the encryption layer (a LUKS mapping, a gocryptfs view). Defer the undo. */
    open: new AsyncSeriesHook<[RunContext]>(["ctx"]),
    /** Series, after open, for `init`: create the target layout. Must be safe to repeat. */
    init: new AsyncSeriesHook<[RunContext]>(["ctx"]),
    /** Series, after open, before backup: check the source, clean what a crashed run left. */
    beforeBackup: new AsyncSeriesHook<[RunContext]>(["ctx"]),
    /** Bail: the sync plugin writes one snapshot and returns its summary. */
    backup: new AsyncSeriesBailHook<[RunContext], BackupSummary | undefined>(["ctx"]),
    /** Series, after a successful backup, before teardown: verification, notifications. */
    afterBackup: new AsyncSeriesHook<[RunContext, BackupSummary]>(["ctx", "summary"]),
    /** Bail: list snapshots. */
    snapshots: new AsyncSeriesBailHook<[RunContext], SnapshotInfo[] | undefined>(["ctx"]),
    /** Bail: restore into request.to. */
    restore: new AsyncSeriesBailHook<[RunContext, RestoreRequest], RestoreSummary | undefined>(["ctx", "request"]),
    /** Bail: check that the backup restores. */
    verify: new AsyncSeriesBailHook<[RunContext, VerifyRequest], VerifySummary | undefined>(["ctx", "request"]),
    /** Bail: apply the retention policy. */
    prune: new AsyncSeriesBailHook<[RunContext, PruneRequest], PruneSummary | undefined>(["ctx", "request"]),
    /** Bail: leave a read-only decrypted view mounted (no deferred unmount); the sync plugin owns it. */
    mount: new AsyncSeriesBailHook<[RunContext, MountRequest], MountSummary | undefined>(["ctx", "request"]),
    /** Bail: unmount what `mount` left, innermost first, and remove its temporary folders. */
    unmount: new AsyncSeriesBailHook<[RunContext, UnmountRequest], string[] | undefined>(["ctx", "request"]),
    /** Waterfall: each plugin adds its part of the manual restore recipe, in plugin order. */
    recipe: new AsyncSeriesWaterfallHook<[Recipe, RunContext]>(["recipe", "ctx"]),
    /**
     * Bail, for `verify --drill` and the drill after a backup: restore a random sample of files
     * with the standard tools the recipe names, into a temp dir, and compare. Read-only at the target.
     */
    drill: new AsyncSeriesBailHook<[RunContext, DrillRequest], DrillSummary | undefined>(["ctx", "request"]),
    /** Sync, when a run starts: each notification plugin adds its Notifier. No I/O. */
    notifiers: new SyncHook<[Notifier[]]>(["notifiers"]),
    /** Series, for `doctor`: add checks (key files, permissions, free space). Must not write. */
    doctor: new AsyncSeriesHook<[RunContext, DoctorCheck[]]>(["ctx", "checks"]),
  });
}

export type Hooks = ReturnType<typeof createHooks>;
