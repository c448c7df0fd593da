import { access, constants, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { applyChange, revertChange, treeStats } from "../lib/dataset.js";
import { measure } from "../lib/measure.js";
import { rotate } from "../lib/stats.js";

/**
 * gpgIncremental against its peers on one dataset, all tools phase by phase (every tool's full,
 * then every tool's no-change run, ...), the order of tools rotated from run to run so none is
 * always first on a cold or hot cache. Each run starts from fresh repositories and the dataset
 * as built.
 */
export async function runPeers(ctx, dataset, tools, suite = "gpgIncremental") {
  const measurements = [];
  for (let run = 0; run < ctx.runs; run++) {
    const order = rotate(tools, run);
    const base = join(ctx.dir, "work", suite, dataset.name);
    await rm(base, { recursive: true, force: true });
    const spaces = new Map();
    for (const tool of order) {
      const w = { root: ctx.root, dir: join(base, tool.name), repo: join(base, tool.name, "repo"), source: dataset.dir, keys: ctx.keys, servers: ctx.servers, lastStep: 0 };
      await mkdir(w.dir, { recursive: true });
      spaces.set(tool, w);
      const init = await tool.init?.(w);
      if (init) await must(ctx, await measure(init, ctx.scratch), `${tool.name} init`);
    }
    const record = async (scenario, tool, command, after) => {
      ctx.log(`  run ${run + 1}/${ctx.runs} ${suite} ${dataset.name} ${scenario} ${tool.name}`);
      const result = await measure(command, ctx.scratch);
      const extra = after && result.ok ? await after() : {};
      const m = { suite, dataset: dataset.name, scenario, tool: tool.name, run: run + 1, ...result, ...extra };
      if (!result.ok) ctx.log(`    FAILED (exit ${result.exitCode}): ${result.output}`);
      else ctx.log(`    ${result.seconds} s`);
      measurements.push(m);
      return m;
    };
    const backupAll = async (scenario, step) => {
      for (const tool of order) {
        const w = spaces.get(tool);
        w.lastStep = step;
        await record(scenario, tool, tool.backup(w, step));
      }
    };

    await backupAll("full", 0);
    await backupAll("nochange", 1);
    const change = await applyChange(dataset.dir, dataset.files, join(base, "stash"));
    try {
      await backupAll("change", 2);
      for (const tool of order) {
        // What a restore must bring back: the dataset, less what the tool keeps beside it (gocryptfs's own config).
        const expected = await treeStats(dataset.dir, tool.notRestored);
        const w = spaces.get(tool);
        const to = join(base, "restore", tool.name);
        await mkdir(to, { recursive: true });
        // A restore counts only if it brought every file back.
        await record("restore", tool, tool.restore(w, to), async () => {
          const got = await treeStats(tool.restoredRoot(w, to));
          const complete = got.files === expected.files && got.bytes === expected.bytes;
          return complete ? {} : { ok: false, output: `restored ${got.files} files / ${got.bytes} bytes, expected ${expected.files} / ${expected.bytes}` };
        });
        // Kept until the run ends: deleting 50,000 restored files makes this machine's disk
        // (ext4 with online discard) 2-3x slower for the next tool's restore.
      }
      // The same restores into RAM: each tool's own work without the disk, whose state after
      // earlier restores decides the disk timings more than the tools do.
      const ram = await ramFolder(base);
      for (const tool of ram ? order : []) {
        const expected = await treeStats(dataset.dir, tool.notRestored);
        const to = join(ram, tool.name);
        await mkdir(to, { recursive: true });
        await record("restore-ram", tool, tool.restore(spaces.get(tool), to), async () => {
          const got = await treeStats(tool.restoredRoot(spaces.get(tool), to));
          const complete = got.files === expected.files && got.bytes === expected.bytes;
          return complete ? {} : { ok: false, output: `restored ${got.files} files / ${got.bytes} bytes, expected ${expected.files} / ${expected.bytes}` };
        });
        await rm(to, { recursive: true, force: true });
      }
      if (ram) await rm(ram, { recursive: true, force: true });
      const one = dataset.files[Math.floor(dataset.files.length / 2) + 1];
      for (const tool of order) {
        const to = join(base, "restore-one", tool.name);
        await mkdir(to, { recursive: true });
        await record("restore-one", tool, tool.restoreOne(spaces.get(tool), one, to));
        await rm(to, { recursive: true, force: true });
      }
      for (const tool of order) await record("verify", tool, tool.verify(spaces.get(tool)));
      for (const tool of order) {
        const { bytes } = await treeStats(spaces.get(tool).repo);
        measurements.push({ suite, dataset: dataset.name, scenario: "target-bytes", tool: tool.name, run: run + 1, ok: true, bytes });
      }
    } finally {
      await revertChange(dataset.dir, change);
    }
    if (!ctx.keep) await rm(base, { recursive: true, force: true });
  }
  return measurements;
}

/** A folder in /dev/shm (tmpfs) for this run's restores into RAM, or undefined where there is none. */
async function ramFolder(base) {
  const ok = await access("/dev/shm", constants.W_OK).then(() => true, () => false);
  if (!ok) return undefined;
  const dir = join("/dev/shm", `cryptkeep-bench-${process.pid}-${base.split("/").slice(-2).join("-")}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

async function must(ctx, result, what) {
  if (!result.ok) throw new Error(`bench: ${what} failed (exit ${result.exitCode}):\n${result.output}`);
}
