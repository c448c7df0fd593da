#!/usr/bin/env node
// The benchmark: cryptkeep and its peers on the same data in one run. `npm run bench [-- --quick]`.
// See bench/README.md for what is measured and how to read the ratios.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildDataset, datasetSpecs } from "./lib/dataset.js";
import { describeMachine, hasCommand } from "./lib/machine.js";
import { TIME } from "./lib/measure.js";
import { markdown, summarize } from "./lib/report.js";
import { checkTargets } from "./lib/targets.js";
import { runPeers } from "./suites/peers.js";
import { runSuites } from "./suites/index.js";
import cryptkeep, { cryptkeepOpenpgpJs } from "./tools/cryptkeep-gpg-incremental.js";
import hand from "./tools/hand-pipeline.js";
import restic from "./tools/restic.js";
import borg from "./tools/borg.js";
import duplicity from "./tools/duplicity.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    runs: { type: "string" },
    dir: { type: "string", default: "/tmp/cryptkeep-bench" },
    datasets: { type: "string", default: "small,big" },
    tools: { type: "string", default: "cryptkeep,cryptkeep-openpgpjs,hand,restic,borg,duplicity" },
    suites: { type: "string", default: "gpgIncremental,gocryptfsReverse,sftp,s3" },
    files: { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench -- [--quick] [--runs N] [--dir DIR] [--datasets small,big] [--tools cryptkeep,cryptkeep-openpgpjs,hand,restic,borg,duplicity] [--keep]
  --quick     small datasets, one run (under 3 minutes)
  --runs N    runs per scenario; medians are reported (default 3, 1 with --quick)
  --dir DIR   work folder for datasets and repositories (default /tmp/cryptkeep-bench)
  --suites    gpgIncremental (the tools above), gocryptfsReverse, sftp, s3 (default: all;
              --quick runs sftp on a 100 MiB file and no s3: Ceph takes 15-30 s to start)
  --files N   cap of the "many small files" set (default 50,000; 4,000 with --quick)
  --keep      keep the repositories of the last run`);
  process.exit(0);
}

const runs = Number(args.runs ?? (args.quick ? 1 : 3));
if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a whole number of at least 1, got '${args.runs}'`);
if (!existsSync(TIME)) fail(`${TIME} is missing (Debian package 'time'): run 'sudo bash bench/setup.sh' first`);
if (!existsSync(join(root, "dist/core/cli/main.js"))) fail("the CLI is not built: run 'npm run bench', which builds first");

const all = [cryptkeep, cryptkeepOpenpgpJs, hand, restic, borg, duplicity];
const wanted = args.tools.split(",").map((s) => s.trim()).filter(Boolean);
for (const name of wanted) if (!all.some((t) => t.name === name)) fail(`unknown tool '${name}' in --tools; known: ${all.map((t) => t.name).join(", ")}`);
const tools = all.filter((t) => wanted.includes(t.name));
const missing = tools.flatMap((t) => t.requires.filter((cmd) => !hasCommand(cmd)).map((cmd) => `${cmd} (for ${t.name})`));
if (missing.length) fail(`missing: ${missing.join(", ")}; run 'sudo bash bench/setup.sh' to install the peers`);

const dir = resolve(args.dir);
const ctx = { root, dir, runs, keep: args.keep, scratch: join(dir, "scratch"), log: (line) => console.error(line) };
await mkdir(ctx.scratch, { recursive: true });
const started = new Date();
const machine = describeMachine();
ctx.log(`bench: ${args.quick ? "quick" : "full"} mode, ${runs} run(s), work folder ${dir}, load ${machine.loadavgAtStart.join(" ")}`);

ctx.keys = await makeKeys(join(dir, "keys"));
const versions = Object.fromEntries(tools.map((t) => [t.name, t.version()]));
versions.cryptkeep = `${JSON.parse(await readFile(join(root, "package.json"), "utf8")).version} (${versions.cryptkeep})`;

const specs = datasetSpecs({ quick: args.quick, roots: ["/usr/share", "/usr/lib", join(root, "node_modules")] });
if (args.files !== undefined) {
  specs.small.maxFiles = Number(args.files);
  if (!Number.isInteger(specs.small.maxFiles) || specs.small.maxFiles < 100) fail(`--files must be a whole number of at least 100, got '${args.files}'`);
}
const datasets = [];
for (const name of args.datasets.split(",").map((s) => s.trim()).filter(Boolean)) {
  const spec = specs[name] ?? fail(`unknown dataset '${name}'; known: ${Object.keys(specs).join(", ")}`);
  const at = join(dir, "data", `${name}${args.files && name === "small" ? `-${args.files}` : args.quick ? "-quick" : ""}`);
  ctx.log(`bench: building dataset '${spec.title}' in ${at} (reused when already built)`);
  const built = await buildDataset(spec, at);
  datasets.push({ name, title: spec.title, dir: at, files: built.files, bytes: built.bytes });
}

const suites = args.suites.split(",").map((s) => s.trim()).filter(Boolean);
const measurements = [];
if (suites.includes("gpgIncremental")) {
  for (const dataset of datasets) {
    ctx.log(`bench: ${dataset.title}: ${dataset.files.length} files, ${(dataset.bytes / 1024 / 1024).toFixed(0)} MiB`);
    measurements.push(...(await runPeers(ctx, dataset, tools)));
  }
}
const { measurements: more, unavailable, datasets: extra, versions: suiteVersions } = await runSuites(ctx, { suites, quick: args.quick, small: datasets.find((d) => d.name === "small"), specs });
measurements.push(...more);
datasets.push(...extra);
Object.assign(versions, suiteVersions);
for (const [suite, reason] of Object.entries(unavailable)) ctx.log(`bench: ${suite}: ${reason}`);

const rows = summarize(measurements);
const targets = checkTargets(measurements, unavailable);
const date = started.toISOString().slice(0, 19).replaceAll(":", "-") + "Z";
const result = {
  date: started.toISOString(), command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
  mode: args.quick ? "quick" : "full", runs, machine, loadavgAtEnd: loadavg().map((l) => Math.round(l * 100) / 100), versions,
  datasets: datasets.map(({ name, title, suites, files, bytes }) => ({ name, title, suites, files: files.length, bytes })),
  rows, targets, unavailable, measurements,
  elapsedSeconds: Math.round((Date.now() - started.getTime()) / 1000),
};
const out = join(root, "bench/results");
await mkdir(out, { recursive: true });
const base = `${date}${args.quick ? "-quick" : ""}`;
await writeFile(join(out, `${base}.json`), JSON.stringify(result, null, 2) + "\n");
const page = markdown(result);
await writeFile(join(out, `${base}.md`), page);
await rm(ctx.scratch, { recursive: true, force: true });

console.log(page);
const missed = targets.filter((t) => t.status === "missed");
for (const t of missed) console.log(`MISSED: ${t.text}: ${t.detail}`);
console.log(`results: bench/results/${base}.json and .md`);
const failures = measurements.filter((m) => !m.ok).length;
if (failures) console.log(`${failures} measurement(s) failed: see the table and the log above`);
process.exitCode = failures ? 1 : 0;

/** One unprotected key pair for every tool (the bench's own throwaway key), in a GnuPG home too. */
async function makeKeys(keysDir) {
  await rm(keysDir, { recursive: true, force: true });
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const made = JSON.parse(execFileSync(process.execPath, [join(root, "bin/cryptkeep.js"), "keygen", "--out", join(keysDir, "bench"), "--no-passphrase", "--json"], { encoding: "utf8" }));
  const gnupgHome = join(keysDir, "gnupg");
  await mkdir(gnupgHome, { recursive: true, mode: 0o700 });
  const gpg = (...a) => execFileSync("gpg", ["--batch", "--quiet", ...a], { env: { ...process.env, GNUPGHOME: gnupgHome }, stdio: ["ignore", "pipe", "pipe"] });
  gpg("--import", join(keysDir, "bench.pub.asc"));
  gpg("--import", join(keysDir, "bench.sec.asc"));
  const fingerprint = String(made.fingerprint ?? "").replaceAll(" ", "").toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(fingerprint)) fail(`bench: could not read the key fingerprint from 'cryptkeep keygen --json': ${JSON.stringify(made)}`);
  return { publicFile: join(keysDir, "bench.pub.asc"), privateFile: join(keysDir, "bench.sec.asc"), fingerprint, gnupgHome };
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}
