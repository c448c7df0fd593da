import { median, ratio, round } from "./stats.js";

/**
 * The targets of issue #7, as data. A time target bounds `of`'s median time divided by `to`'s
 * (both measured in the same run); "3x faster than restic" is a bound of 1/3. A memory target
 * bounds the peak RSS of every run of `tool` in any scenario and dataset.
 */
export const TARGETS = Object.freeze([
  { id: "full-vs-hand", kind: "time", dataset: "small", scenario: "full", of: "cryptkeep", to: "hand", max: 1.25, text: "full backup within 1.25x of the hand pipeline" },
  { id: "full-vs-restic", kind: "time", dataset: "small", scenario: "full", of: "cryptkeep", to: "restic", max: 1 / 3, text: "full backup at least 3x faster than restic" },
  { id: "full-vs-duplicity", kind: "time", dataset: "small", scenario: "full", of: "cryptkeep", to: "duplicity", max: 1 / 8, text: "full backup at least 8x faster than duplicity" },
  { id: "nochange-vs-hand", kind: "time", dataset: "small", scenario: "nochange", of: "cryptkeep", to: "hand", max: 1.5, text: "no-change run within 1.5x of the hand pipeline" },
  { id: "change-vs-hand", kind: "time", dataset: "small", scenario: "change", of: "cryptkeep", to: "hand", max: 1.5, text: "1% change run within 1.5x of the hand pipeline" },
  { id: "nochange-vs-restic", kind: "time", dataset: "small", scenario: "nochange", of: "cryptkeep", to: "restic", max: 1 / 5, text: "no-change run at least 5x faster than restic" },
  { id: "change-vs-restic", kind: "time", dataset: "small", scenario: "change", of: "cryptkeep", to: "restic", max: 1 / 5, text: "1% change run at least 5x faster than restic" },
  { id: "restore-vs-restic", kind: "time", dataset: "small", scenario: "restore", of: "cryptkeep", to: "restic", max: 1, text: "full restore no slower than restic" },
  // The same restore into RAM: the tools' own work, without the disk's state after earlier restores.
  { id: "restore-ram-vs-restic", kind: "time", dataset: "small", scenario: "restore-ram", of: "cryptkeep", to: "restic", max: 1, text: "full restore into RAM (tmpfs) no slower than restic" },
  { id: "memory", kind: "memory", tool: "cryptkeep", maxMiB: 150, text: "peak memory under 150 MB in every scenario and dataset" },
  // The same backup with the volumes encrypted by the gpg binary (encryptWith: "gpg").
  { id: "openpgpjs-full-vs-hand", kind: "time", dataset: "small", scenario: "full", of: "cryptkeep-openpgpjs", to: "hand", max: 1.25, text: "encryptWith openpgp.js: full backup within 1.25x of the hand pipeline" },
  { id: "openpgpjs-nochange-vs-hand", kind: "time", dataset: "small", scenario: "nochange", of: "cryptkeep-openpgpjs", to: "hand", max: 1.5, text: "encryptWith openpgp.js: no-change run within 1.5x of the hand pipeline" },
  { id: "openpgpjs-change-vs-hand", kind: "time", dataset: "small", scenario: "change", of: "cryptkeep-openpgpjs", to: "hand", max: 1.5, text: "encryptWith openpgp.js: 1% change run within 1.5x of the hand pipeline" },
  { id: "openpgpjs-memory", kind: "memory", tool: "cryptkeep-openpgpjs", maxMiB: 150, text: "encryptWith openpgp.js: peak memory under 150 MB in every scenario and dataset" },
  { id: "gocryptfs-vs-hand", kind: "time", suite: "gocryptfsReverse", dataset: "small", scenario: "full", of: "cryptkeep-gocryptfs", to: "gocryptfs-hand", max: 1.05, text: "gocryptfsReverse full backup at most 5% slower than the seed's commands by hand" },
  ...[["nochange", "no-change run"], ["change", "1% change run"], ["restore", "full restore"], ["verify", "verify"]].map(([scenario, title]) => (
    { id: `gocryptfs-${scenario}-vs-hand`, kind: "time", suite: "gocryptfsReverse", dataset: "small", scenario, of: "cryptkeep-gocryptfs", to: "gocryptfs-hand", max: 1.05, text: `gocryptfsReverse ${title} at most 5% slower than the seed's commands by hand` })),
  { id: "sftp-vs-scp", kind: "time", suite: "sftp", dataset: "bigfile", scenario: "upload", of: "cryptkeep-sftp", to: "scp", max: 1 / 0.7, text: "sftp store at least 70% of scp's throughput for a 1 GB file" },
  { id: "s3-vs-sdk", kind: "time", suite: "s3", dataset: "bigfile", scenario: "upload", of: "cryptkeep-s3", to: "sdk-put", max: 1 / 0.8, text: "s3 store at least 80% of one raw SDK PutObject stream's throughput for a 1 GB file" },
]);

/**
 * Checks every target against `measurements` ({ dataset, scenario, tool, seconds, peakKiB }[]).
 * A target whose tools were not measured is "not measured" with the reason, never a pass; a target of
 * a suite in `unavailable` ({ suite: reason }) is "not available in this build" or, when the suite
 * was left out of this run (--suites, --quick), "not run", with the reason.
 */
export function checkTargets(measurements, unavailable = {}, targets = TARGETS) {
  return targets.map((target) => {
    const reason = unavailable[target.suite ?? "gpgIncremental"];
    if (reason) return { ...target, status: reason.startsWith("not available in this build") ? "not available in this build" : "not run", detail: reason };
    return target.kind === "memory" ? checkMemory(target, measurements) : checkTime(target, measurements);
  });
}

function checkTime(target, measurements) {
  const times = (tool) => measurements.filter((m) => m.dataset === target.dataset && m.scenario === target.scenario && m.tool === tool && m.ok).map((m) => m.seconds);
  const of = median(times(target.of));
  const to = median(times(target.to));
  const measured = ratio(of, to);
  if (measured === undefined) return { ...target, status: "not measured", detail: `no ${of === undefined ? target.of : target.to} time for ${target.scenario} on ${target.dataset}` };
  const ok = measured <= target.max;
  const detail = `${target.of}/${target.to} = ${round(measured, 3)} (limit ${round(target.max, 3)})`;
  // "Missed by": how much of its time `of` must lose to meet the limit.
  const missBy = ok ? undefined : 1 - target.max / measured;
  return { ...target, status: ok ? "met" : "missed", measured: round(measured, 3), missBy: round(missBy, 3), detail: ok ? detail : `${detail}: ${Math.round(missBy * 100)}% too slow (needs ${round(measured / target.max, 2)}x less time)` };
}

function checkMemory(target, measurements) {
  const runs = measurements.filter((m) => m.tool === target.tool && Number.isFinite(m.peakKiB));
  if (runs.length === 0) return { ...target, status: "not measured", detail: `no run of ${target.tool}` };
  const worst = runs.reduce((a, b) => (b.peakKiB > a.peakKiB ? b : a));
  const peakMiB = worst.peakKiB / 1024;
  const ok = peakMiB < target.maxMiB;
  const where = `${worst.scenario} on ${worst.dataset}`;
  return {
    ...target, status: ok ? "met" : "missed", measured: round(peakMiB, 1), missBy: ok ? undefined : round(peakMiB - target.maxMiB, 1),
    detail: ok ? `highest peak ${round(peakMiB, 1)} MiB (${where})` : `highest peak ${round(peakMiB, 1)} MiB (${where}): ${round(peakMiB - target.maxMiB, 1)} MiB over`,
  };
}
