import { messages } from "../../../core/messages.js";
import type { RunContext } from "../../../core/types.js";
import { MARKER } from "./layout.js";
import type { TargetFs } from "./target-fs.js";

export interface RsyncMarker { format: string; job: string; layout: string; created: string; firstBackup?: string; lastBackup?: string; note?: string;
  /** Regular files in the source at the newest backup, for the tripwire (only kept when it is on). */
  lastCount?: { snapshot: string; files: number };
}

export async function readMarker(ctx: RunContext, fs: TargetFs): Promise<RsyncMarker | undefined> {
  const text = await fs.readText(ctx, MARKER);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as RsyncMarker;
  } catch {
    return undefined;
  }
}

/**
 * A target holds one job's backup; only `init` makes a folder a target, so an empty mount point
 * (a server folder that is not there) is never mistaken for one.
 */
export async function claimTarget(ctx: RunContext, fs: TargetFs, layout: string): Promise<RsyncMarker> {
  const marker = ctx.dryRun && ctx.command === "init" ? undefined : await readMarker(ctx, fs);
  if (marker && marker.job !== ctx.job) throw messages.targetOfOtherJob(fs.description, marker.job, ctx.job);
  if (marker) return marker;
  if (ctx.command !== "init") {
    if (ctx.dryRun) return { format: "cryptkeep-rsync-1", job: ctx.job, layout, created: "" };
    throw messages.targetNotInitialized(fs.description, ctx.job);
  }
  const fresh = { format: "cryptkeep-rsync-1", job: ctx.job, layout, created: new Date().toISOString(), note: "cryptkeep backup: 'cryptkeep recipe' prints how to restore without cryptkeep" };
  ctx.step(`write ${MARKER} (job '${ctx.job}', layout ${layout}) at ${fs.description}`);
  if (!ctx.dryRun) await fs.writeText(ctx, MARKER, JSON.stringify(fresh, null, 2) + "\n");
  return fresh;
}

export async function recordBackup(ctx: RunContext, fs: TargetFs, marker: RsyncMarker, when: Date, lastCount?: RsyncMarker["lastCount"]): Promise<void> {
  if (ctx.dryRun) return;
  const updated: RsyncMarker = { ...marker, firstBackup: marker.firstBackup ?? when.toISOString(), lastBackup: when.toISOString(), lastCount };
  await fs.writeText(ctx, MARKER, JSON.stringify(updated, null, 2) + "\n");
}
