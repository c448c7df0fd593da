import { measure } from "../lib/measure.js";
import { rotate } from "../lib/stats.js";

/**
 * One big file written to a server by cryptkeep's store and by its peers, in an order rotated
 * from run to run. A write counts only if the server then holds every byte. A tool:
 * { name, upload(file) → command, arrived() → bytes at the server or undefined, clear() }.
 */
export async function runUploads(ctx, suite, dataset, tools) {
  const measurements = [];
  for (let run = 0; run < ctx.runs; run++) {
    for (const tool of rotate(tools, run)) {
      await tool.clear();
      ctx.log(`  run ${run + 1}/${ctx.runs} ${suite} ${dataset.name} upload ${tool.name}`);
      const result = await measure(tool.upload(dataset.file), ctx.scratch);
      const arrived = result.ok ? await tool.arrived() : undefined;
      const complete = arrived === dataset.bytes;
      const m = { suite, dataset: dataset.name, scenario: "upload", tool: tool.name, run: run + 1, ...result, bytes: dataset.bytes };
      if (result.ok && !complete) Object.assign(m, { ok: false, output: `the server holds ${arrived ?? "no"} bytes, expected ${dataset.bytes}` });
      ctx.log(m.ok ? `    ${m.seconds} s, ${(m.bytes / m.seconds / 1e6).toFixed(1)} MB/s` : `    FAILED (exit ${m.exitCode}): ${m.output}`);
      measurements.push(m);
      await tool.clear();
    }
  }
  return measurements;
}
