import { createRequire } from "node:module";
import { join } from "node:path";
import { buildDataset } from "../lib/dataset.js";
import { firstLine, hasCommand } from "../lib/machine.js";
import { removeServerDirs, startSshd } from "../lib/servers.js";
import { runGocryptfs } from "./gocryptfs-reverse.js";
import { runS3 } from "./s3.js";
import { runSftp } from "./sftp.js";

/** The programs each suite runs (Debian packages installed by bench/setup.sh). */
const REQUIRES = {
  gocryptfsReverse: ["gocryptfs", "gocryptfs-xray", "fusermount", "rsync", "sha1sum"],
  sftp: ["scp", "rsync", "ssh", "restic", "tar", "zstd", "/usr/sbin/sshd", "ssh-keygen"],
  s3: ["radosgw", "ceph-mon", "ceph-osd", "monmaptool", "radosgw-admin"],
};

/**
 * The suites other than gpgIncremental (suites/peers.js), on the same data in the same run, with
 * the servers they need on 127.0.0.1. Returns their measurements, the datasets they added, and
 * why a suite did not run ({ suite: reason }).
 */
export async function runSuites(ctx, { suites, quick, small, specs }) {
  const unknown = suites.filter((s) => s !== "gpgIncremental" && !REQUIRES[s]);
  if (unknown.length) throw new Error(`bench: unknown suite '${unknown[0]}' in --suites; known: gpgIncremental, ${Object.keys(REQUIRES).join(", ")}`);
  const missing = suites.flatMap((s) => (REQUIRES[s] ?? []).filter((cmd) => !hasCommand(cmd)).map((cmd) => `${cmd} (for ${s})`));
  if (missing.length) throw new Error(`bench: missing ${missing.join(", ")}; run 'sudo bash bench/setup.sh' to install the peers`);
  const unavailable = {};
  for (const suite of ["gpgIncremental", "gocryptfsReverse", "sftp", "s3"]) {
    if (!suites.includes(suite)) unavailable[suite] = `not run: left out by --suites ${suites.join(",")}`;
  }
  if (!unavailable.gocryptfsReverse && !small) unavailable.gocryptfsReverse = "not run: it runs on the 'small' dataset, left out by --datasets";
  if (!unavailable.s3 && quick) unavailable.s3 = "not run with --quick: Ceph radosgw takes 15-30 s to start; the full bench runs it";
  const runs = (suite) => !unavailable[suite];

  const measurements = [];
  const datasets = [];
  // --quick: the small-files suites here run on 400 of the quick set's files (the FUSE and
  // per-file costs of 4,000 take minutes on a loaded 2-core machine).
  if (small && quick && (runs("gocryptfsReverse") || runs("sftp"))) {
    const spec = { ...specs.small, maxFiles: 400, maxBytes: 10 * 1024 * 1024 };
    const at = join(ctx.dir, "data", "small-suites-quick");
    ctx.log(`bench: building dataset '${spec.title}' for --quick's gocryptfsReverse and sftp suites: 400 files`);
    const built = await buildDataset(spec, at);
    small = { name: "small", title: `${spec.title}, 400 of them (--quick)`, suites: ["gocryptfsReverse", "sftp"], dir: at, files: built.files, bytes: built.bytes };
    datasets.push(small);
  }
  let bigfile;
  if (runs("sftp") || runs("s3")) {
    const at = join(ctx.dir, "data", `bigfile${quick ? "-quick" : ""}`);
    ctx.log(`bench: building dataset '${specs.bigfile.title}' in ${at} (reused when already built)${quick ? ": 100 MiB with --quick, 1 GiB in the full bench" : ""}`);
    const built = await buildDataset(specs.bigfile, at);
    bigfile = { name: "bigfile", title: specs.bigfile.title, dir: at, file: join(at, built.files[0]), files: built.files, bytes: built.bytes };
    datasets.push(bigfile);
  }
  ctx.servers = {};
  try {
    if (runs("sftp")) ctx.servers.sshd = await startSshd();
    if (runs("gocryptfsReverse")) measurements.push(...(await runGocryptfs(ctx, small)));
    if (runs("sftp")) measurements.push(...(await runSftp(ctx, { bigfile, small })));
    if (runs("s3")) measurements.push(...(await runS3(ctx, { bigfile })));
  } finally {
    await ctx.servers.sshd?.stop();
    await removeServerDirs();
  }
  return { measurements, datasets, unavailable, versions: versionsOf(suites) };
}

/** The versions of the peers each suite ran, for the results. */
function versionsOf(suites) {
  const versions = {};
  if (suites.includes("gocryptfsReverse")) versions["gocryptfs-hand"] = [firstLine("gocryptfs", ["-version"]), firstLine("rsync", ["--version"])].join("; ");
  if (suites.includes("sftp")) {
    versions["scp, rsync-ssh"] = `${firstLine("sh", ["-c", "ssh -V 2>&1"])}; ${firstLine("rsync", ["--version"])}`;
    versions["restic-sftp"] = firstLine("restic", ["version"]);
  }
  if (suites.includes("s3")) {
    versions["s3 server"] = firstLine("radosgw", ["--version"]);
    versions["sdk-put"] = `@aws-sdk/client-s3 ${createRequire(import.meta.url)("@aws-sdk/client-s3/package.json").version}, one PutObject`;
  }
  return versions;
}
