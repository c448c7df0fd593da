import { median, ratio, round, formatBytes } from "./stats.js";

export const SCENARIOS = Object.freeze([
  ["full", "first full backup"],
  ["nochange", "no-change run"],
  ["change", "1% change run"],
  ["restore", "full restore"],
  ["restore-one", "restore of one file"],
  ["verify", "verify"],
]);

/** Medians per dataset, scenario and tool: seconds, peak MiB, bytes at the target; ratios of cryptkeep to each peer. */
export function summarize(measurements, reference = "cryptkeep") {
  const rows = [];
  const datasets = [...new Set(measurements.map((m) => m.dataset))];
  const tools = [...new Set(measurements.map((m) => m.tool))];
  for (const dataset of datasets) {
    for (const [scenario, title] of SCENARIOS) {
      for (const tool of tools) {
        const runs = measurements.filter((m) => m.dataset === dataset && m.scenario === scenario && m.tool === tool);
        if (runs.length === 0) continue;
        const good = runs.filter((m) => m.ok);
        const seconds = median(good.map((m) => m.seconds));
        const mine = median(measurements.filter((m) => m.dataset === dataset && m.scenario === scenario && m.tool === reference && m.ok).map((m) => m.seconds));
        rows.push({
          dataset, scenario, title, tool, runs: runs.length, failed: runs.length - good.length,
          seconds: round(seconds, 2), peakMiB: round(median(good.map((m) => m.peakKiB / 1024)), 1),
          ratio: tool === reference ? undefined : round(ratio(mine, seconds), 2),
        });
      }
    }
    for (const tool of tools) {
      const bytes = median(measurements.filter((m) => m.dataset === dataset && m.scenario === "target-bytes" && m.tool === tool).map((m) => m.bytes));
      if (bytes !== undefined) rows.push({ dataset, scenario: "target-bytes", title: "bytes at the target", tool, bytes });
    }
  }
  return rows;
}

/** The Markdown page of one run: machine, datasets, one table per dataset, targets. */
export function markdown(result) {
  const { machine, datasets, rows, targets, unavailable } = result;
  const lines = [
    `# cryptkeep benchmark, ${result.date}`,
    "",
    `Command: \`${result.command}\` (${result.mode}, medians of ${result.runs} run${result.runs > 1 ? "s" : ""}, tools alternating).`,
    `Machine: ${machine.nproc} cores, ${machine.cpu}, ${machine.ramGiB} GiB RAM, ${machine.os ?? "?"}, Node ${machine.node}; ` +
      `load average ${machine.loadavgAtStart.join(" / ")} at start, ${result.loadavgAtEnd.join(" / ")} at the end (other work was running).`,
    "",
    "Ratio = cryptkeep's median time / the peer's (below 1: cryptkeep is faster). Peak = largest process's RSS.",
    "",
  ];
  for (const dataset of datasets) {
    lines.push(`## ${dataset.title} (${dataset.files.toLocaleString("en")} files, ${formatBytes(dataset.bytes)})`, "");
    const tools = [...new Set(rows.filter((r) => r.dataset === dataset.name).map((r) => r.tool))];
    lines.push(`| scenario | ${tools.map((t) => `${t} s (peak MiB)`).join(" | ")} | ${tools.filter((t) => t !== "cryptkeep").map((t) => `ratio to ${t}`).join(" | ")} |`);
    lines.push(`| --- | ${tools.map(() => "---:").join(" | ")} | ${tools.filter((t) => t !== "cryptkeep").map(() => "---:").join(" | ")} |`);
    for (const [scenario, title] of SCENARIOS) {
      const cell = (tool) => rows.find((r) => r.dataset === dataset.name && r.scenario === scenario && r.tool === tool);
      if (!tools.some((t) => cell(t))) continue;
      const time = (r) => (!r ? "–" : r.failed === r.runs ? "failed" : `${r.seconds} (${r.peakMiB})${r.failed ? ` [${r.failed} failed]` : ""}`);
      lines.push(`| ${title} | ${tools.map((t) => time(cell(t))).join(" | ")} | ${tools.filter((t) => t !== "cryptkeep").map((t) => cell(t)?.ratio ?? "–").join(" | ")} |`);
    }
    const size = (tool) => rows.find((r) => r.dataset === dataset.name && r.scenario === "target-bytes" && r.tool === tool);
    lines.push(`| bytes at the target | ${tools.map((t) => formatBytes(size(t)?.bytes)).join(" | ")} | ${tools.filter((t) => t !== "cryptkeep").map(() => "").join(" | ")} |`, "");
  }
  lines.push("## Targets (issue #7)", "", "| target | status | measured |", "| --- | --- | --- |");
  for (const t of targets) lines.push(`| ${t.text} | ${t.status} | ${t.detail} |`);
  if (Object.keys(unavailable).length) {
    lines.push("", "## Not available in this build", "");
    for (const [suite, reason] of Object.entries(unavailable)) lines.push(`- ${suite}: ${reason}`);
  }
  lines.push("", "## Tools", "");
  for (const [tool, version] of Object.entries(result.versions)) lines.push(`- ${tool}: ${version}`);
  return lines.join("\n") + "\n";
}
