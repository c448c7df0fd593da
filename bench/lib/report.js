import { median, ratio, round, formatBytes } from "./stats.js";

export const SCENARIOS = Object.freeze([
  ["full", "first full backup"],
  ["nochange", "no-change run"],
  ["change", "1% change run"],
  ["restore", "full restore"],
  ["restore-ram", "full restore into RAM (tmpfs)"],
  ["restore-one", "restore of one file"],
  ["verify", "verify"],
  ["upload", "write one big file to the server"],
]);

/**
 * The suites of the harness: what each compares, and the cryptkeep tool its ratios are taken
 * of. Measurements without a suite are gpgIncremental's (results written before suites existed).
 */
export const SUITES = Object.freeze({
  gpgIncremental: { title: "gpgIncremental", reference: "cryptkeep" },
  gocryptfsReverse: { title: "gocryptfsReverse vs the seed's gocryptfs -reverse + rsync by hand, both to a local folder", reference: "cryptkeep-gocryptfs" },
  sftp: { title: "over sftp to sshd on 127.0.0.1", reference: "cryptkeep-sftp" },
  s3: { title: "to Ceph radosgw (S3) on 127.0.0.1", reference: "cryptkeep-s3" },
});

const suiteOf = (m) => m.suite ?? "gpgIncremental";

/** Medians per suite, dataset, scenario and tool: seconds, peak MiB, MB/s, bytes at the target; ratios of the suite's cryptkeep tool to each peer. */
export function summarize(measurements) {
  const rows = [];
  for (const suite of [...new Set(measurements.map(suiteOf))]) {
    const reference = SUITES[suite]?.reference ?? "cryptkeep";
    const mine = measurements.filter((m) => suiteOf(m) === suite);
    const datasets = [...new Set(mine.map((m) => m.dataset))];
    const tools = [...new Set(mine.map((m) => m.tool))];
    for (const dataset of datasets) {
      const of = (scenario, tool) => mine.filter((m) => m.dataset === dataset && m.scenario === scenario && m.tool === tool);
      for (const [scenario, title] of SCENARIOS) {
        const cryptkeepSeconds = median(of(scenario, reference).filter((m) => m.ok).map((m) => m.seconds));
        for (const tool of tools) {
          const runs = of(scenario, tool);
          if (runs.length === 0) continue;
          const good = runs.filter((m) => m.ok);
          const seconds = median(good.map((m) => m.seconds));
          const bytes = median(good.map((m) => m.bytes));
          rows.push({
            suite, dataset, scenario, title, tool, runs: runs.length, failed: runs.length - good.length,
            seconds: round(seconds, 2), peakMiB: round(median(good.map((m) => m.peakKiB / 1024)), 1),
            ...(bytes !== undefined && seconds ? { mbPerSecond: round(bytes / seconds / 1e6, 1) } : {}),
            ratio: tool === reference ? undefined : round(ratio(cryptkeepSeconds, seconds), 2),
          });
        }
      }
      for (const tool of tools) {
        const bytes = median(of("target-bytes", tool).map((m) => m.bytes));
        if (bytes !== undefined) rows.push({ suite, dataset, scenario: "target-bytes", title: "bytes at the target", tool, bytes });
      }
    }
  }
  return rows;
}

/** How long the whole run took (datasets, set-up and every measurement); --quick promises under 3 minutes. */
function runTime(result) {
  const minutes = Math.floor(result.elapsedSeconds / 60);
  const took = `${minutes} min ${result.elapsedSeconds % 60} s`;
  if (result.mode !== "quick") return `The whole run took ${took}.`;
  return `The whole run took ${took} (--quick's limit is 3 min: ${result.elapsedSeconds < QUICK_LIMIT_SECONDS ? "met" : "missed"}).`;
}

const QUICK_LIMIT_SECONDS = 180;

/** The Markdown page of one run: machine, datasets, one table per dataset, targets. */
export function markdown(result) {
  const { machine, datasets, rows, targets, unavailable } = result;
  const lines = [
    `# cryptkeep benchmark, ${result.date}`,
    "",
    `Command: \`${result.command}\` (${result.mode}, medians of ${result.runs} run${result.runs > 1 ? "s" : ""}, tools alternating).`,
    `Machine: ${machine.nproc} cores, ${machine.cpu}, ${machine.ramGiB} GiB RAM, ${machine.os ?? "?"}, Node ${machine.node}; ` +
      `load average ${machine.loadavgAtStart.join(" / ")} when measuring started (the build just before and any other work), ` +
      `${result.loadavgAtEnd.join(" / ")} at the end (the bench's own tools included).`,
    ...(result.elapsedSeconds === undefined ? [] : [runTime(result)]),
    "",
    "Ratio = cryptkeep's median time / the peer's (below 1: cryptkeep is faster). Peak = largest process's RSS.",
    "",
  ];
  for (const [suite, meta] of Object.entries(SUITES)) {
    // A dataset made for some suites only (a reduced set in --quick) replaces the one of the same name for them.
    const own = datasets.filter((d) => d.suites?.includes(suite));
    for (const dataset of [...own, ...datasets.filter((d) => !d.suites && !own.some((o) => o.name === d.name))]) {
      const here = rows.filter((r) => (r.suite ?? "gpgIncremental") === suite && r.dataset === dataset.name);
      if (here.length) lines.push(...suiteTable(meta, dataset, here));
    }
  }
  lines.push("## Targets (issue #7)", "", "| target | status | measured |", "| --- | --- | --- |");
  for (const t of targets) lines.push(`| ${t.text} | ${t.status} | ${t.detail} |`);
  if (Object.keys(unavailable).length) {
    lines.push("", "## Suites not run", "");
    for (const [suite, reason] of Object.entries(unavailable)) lines.push(`- ${suite}: ${reason}`);
  }
  lines.push("", "## Tools", "");
  for (const [tool, version] of Object.entries(result.versions)) lines.push(`- ${tool}: ${version}`);
  return lines.join("\n") + "\n";
}

/** One table: a suite on a dataset, a column per tool, the ratios of the suite's cryptkeep tool to each peer. */
function suiteTable(meta, dataset, rows) {
  const reference = meta.reference;
  const tools = [...new Set(rows.map((r) => r.tool))];
  const peers = tools.filter((t) => t !== reference);
  const lines = [`## ${meta.title}: ${dataset.title} (${dataset.files.toLocaleString("en")} file${dataset.files === 1 ? "" : "s"}, ${formatBytes(dataset.bytes)})`, ""];
  if (reference !== "cryptkeep") lines.push(`Ratios are ${reference}'s.`, "");
  lines.push(`| scenario | ${tools.map((t) => `${t} s (peak MiB)`).join(" | ")} | ${peers.map((t) => `ratio to ${t}`).join(" | ")} |`);
  lines.push(`| --- | ${tools.map(() => "---:").join(" | ")} | ${peers.map(() => "---:").join(" | ")} |`);
  for (const [scenario, title] of SCENARIOS) {
    const cell = (tool) => rows.find((r) => r.scenario === scenario && r.tool === tool);
    if (!tools.some((t) => cell(t))) continue;
    const rate = (r) => (r.mbPerSecond !== undefined ? `, ${r.mbPerSecond} MB/s` : "");
    const time = (r) => (!r ? "–" : r.failed === r.runs ? "failed" : `${r.seconds} (${r.peakMiB}${rate(r)})${r.failed ? ` [${r.failed} failed]` : ""}`);
    lines.push(`| ${title} | ${tools.map((t) => time(cell(t))).join(" | ")} | ${peers.map((t) => cell(t)?.ratio ?? "–").join(" | ")} |`);
  }
  const size = (tool) => rows.find((r) => r.scenario === "target-bytes" && r.tool === tool);
  if (tools.some((t) => size(t))) lines.push(`| bytes at the target | ${tools.map((t) => formatBytes(size(t)?.bytes)).join(" | ")} | ${peers.map(() => "").join(" | ")} |`);
  lines.push("");
  return lines;
}
