import { stat } from "node:fs/promises";
import type { Engine } from "../../core/engine.js";
import { messages } from "../../core/messages.js";
import type { RunContext } from "../../core/types.js";

/**
 * Before a backup or a prune: the source must exist, and hold at least `minFileRatio` of the
 * newest snapshot's files. A vanished mount or a wipe otherwise looks like "everything was
 * deleted", and the snapshots that still hold the files would be pruned in time.
 */
export async function checkTripwire(ctx: RunContext, engine: Engine, minFileRatio: number): Promise<void> {
  if (!engine.hasService("source")) return;
  const source = engine.service("source");
  ctx.step(`tripwire: check that ${source.path} exists and holds at least ${percent(minFileRatio)} of the newest snapshot's files`);
  if (ctx.options.allowShrink) {
    ctx.log.warn(`tripwire not checked (--allow-shrink)`);
    return;
  }
  const info = await stat(source.path).catch(() => undefined);
  if (!info?.isDirectory()) throw messages.tripwireSourceMissing(ctx.job, source.path);
  const newest = (await engine.service("repository").list(ctx)).filter((s) => s.complete).at(-1);
  if (!newest || newest.files === 0) return;
  const now = await source.countFiles();
  if (now < newest.files * minFileRatio) {
    throw messages.tripwireShrunk(ctx.job, source.path, now, newest.files, newest.id, percent(minFileRatio));
  }
}

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
