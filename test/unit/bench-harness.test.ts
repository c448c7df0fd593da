import { describe, expect, it } from "vitest";

// The harness is plain JavaScript run by `npm run bench`; its pure parts are checked here.
type Module = Record<string, (...args: never[]) => unknown>;
const load = (path: string) => import(new URL(path, import.meta.url).href) as Promise<Module & Record<string, unknown>>;
const stats = await load("../../bench/lib/stats.js");
const targets = await load("../../bench/lib/targets.js");
const dataset = await load("../../bench/lib/dataset.js");
const report = await load("../../bench/lib/report.js");

const median = stats.median as (v: number[]) => number | undefined;
const ratio = stats.ratio as (a: number, b: number) => number | undefined;
const rotate = stats.rotate as <T>(items: T[], run: number) => T[];
type Check = { id: string; status: string; measured?: number; missBy?: number; detail: string };
const checkTargets = targets.checkTargets as (m: object[], unavailable?: Record<string, string>, list?: object[]) => Check[];

describe("bench statistics", () => {
  it("takes the median of odd and even counts, ignoring failed (non-finite) runs", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, undefined as unknown as number])).toBe(5);
    expect(median([])).toBeUndefined();
  });

  it("gives no ratio to a missing or zero time", () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeUndefined();
    expect(ratio(Number.NaN, 2)).toBeUndefined();
  });

  it("rotates the tool order so each tool goes first in turn", () => {
    expect(rotate(["a", "b", "c"], 0)).toEqual(["a", "b", "c"]);
    expect(rotate(["a", "b", "c"], 1)).toEqual(["b", "c", "a"]);
    expect(rotate(["a", "b", "c"], 4)).toEqual(["b", "c", "a"]);
  });
});

describe("bench targets", () => {
  const run = (tool: string, scenario: string, seconds: number, peakKiB = 50 * 1024) => ({ dataset: "small", scenario, tool, seconds, peakKiB, ok: true });

  it("passes a time target within its limit and says by how much a missed one is too slow", () => {
    const list = [{ id: "t", kind: "time", dataset: "small", scenario: "full", of: "cryptkeep", to: "hand", max: 1.25, text: "t" }];
    expect(checkTargets([run("cryptkeep", "full", 12), run("hand", "full", 10)], {}, list)[0]).toMatchObject({ status: "met", measured: 1.2 });
    const missed = checkTargets([run("cryptkeep", "full", 25), run("hand", "full", 10)], {}, list)[0]!;
    expect(missed).toMatchObject({ status: "missed", measured: 2.5, missBy: 0.5 });
    expect(missed.detail).toContain("50% too slow (needs 2x less time)");
  });

  it("uses medians of several runs, and never passes a target that was not measured", () => {
    const list = [{ id: "t", kind: "time", dataset: "small", scenario: "full", of: "cryptkeep", to: "restic", max: 1 / 3, text: "t" }];
    const runs = [run("cryptkeep", "full", 10), run("cryptkeep", "full", 11), run("cryptkeep", "full", 50), run("restic", "full", 36)];
    expect(checkTargets(runs, {}, list)[0]).toMatchObject({ status: "met", measured: 0.306 });
    expect(checkTargets([run("cryptkeep", "full", 10)], {}, list)[0]).toMatchObject({ status: "not measured" });
  });

  it("checks peak memory against the worst run of any scenario, and names it", () => {
    const list = [{ id: "m", kind: "memory", tool: "cryptkeep", maxMiB: 150, text: "m" }];
    const result = checkTargets([run("cryptkeep", "full", 1, 100 * 1024), run("cryptkeep", "verify", 1, 180 * 1024)], {}, list)[0]!;
    expect(result).toMatchObject({ status: "missed", measured: 180, missBy: 30 });
    expect(result.detail).toContain("verify on small");
  });

  it("reports a suite left out of the run as not run, with the reason, for every target of it", () => {
    const results = checkTargets([], { gpgIncremental: "not run: left out by --suites s3", s3: "not run with --quick" });
    expect(results.find((t) => t.id === "full-vs-hand")).toMatchObject({ status: "not run", detail: "not run: left out by --suites s3" });
    expect(results.find((t) => t.id === "s3-vs-sdk")).toMatchObject({ status: "not run" });
    expect(results.find((t) => t.id === "sftp-vs-scp")!.status).toBe("not measured");
  });

  it("reports a suite missing from the build as not available, with the reason", () => {
    const result = checkTargets([], { sftp: "not available in this build: no sftp store" }).find((t) => t.id === "sftp-vs-scp")!;
    expect(result.status).toBe("not available in this build");
    expect(result.detail).toContain("no sftp store");
  });
});

describe("bench datasets", () => {
  const changePlan = dataset.changePlan as (files: string[]) => { appended: string[]; deleted: string[]; added: string[] };
  const sample = dataset.sample as <T>(items: T[], count: number) => T[];
  const specs = dataset.datasetSpecs as (o: { quick: boolean; roots: string[] }) => Record<string, { maxFiles?: number; fileBytes?: number }>;
  const specKey = dataset.specKey as (spec: object) => string;

  it("makes the issue's 1% change: every 100th file appended, 100 new, 100 deleted", () => {
    const files = Array.from({ length: 50_000 }, (_, i) => `f${i}`);
    const plan = changePlan(files);
    expect(plan.appended).toHaveLength(500);
    expect(plan.appended[1]).toBe("f100");
    expect(plan.added).toHaveLength(100);
    expect(plan.deleted).toHaveLength(100);
    expect(plan.deleted.some((f) => plan.appended.includes(f))).toBe(false);
  });

  it("samples evenly and deterministically", () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(sample(items, 3)).toEqual([0, 3, 6]);
    expect(sample(items, 20)).toEqual(items);
  });

  it("sizes the full and quick datasets as the issue asks, and rebuilds when a spec changes", () => {
    const full = specs({ quick: false, roots: ["/usr/share"] });
    const quick = specs({ quick: true, roots: ["/usr/share"] });
    expect(full.small!.maxFiles).toBe(50_000);
    expect(quick.small!.maxFiles!).toBeLessThan(full.small!.maxFiles!);
    expect(4 * full.big!.fileBytes!).toBe(2 * 1024 ** 3);
    expect(specKey(full.small!)).not.toBe(specKey(quick.small!));
  });
});

describe("bench report", () => {
  it("gives cryptkeep's ratio to each peer from medians", () => {
    const summarize = report.summarize as (m: object[]) => { tool: string; scenario: string; ratio?: number; seconds?: number }[];
    const rows = summarize([
      { dataset: "small", scenario: "full", tool: "cryptkeep", seconds: 10, peakKiB: 1024, ok: true },
      { dataset: "small", scenario: "full", tool: "restic", seconds: 40, peakKiB: 1024, ok: true },
      { dataset: "small", scenario: "target-bytes", tool: "restic", bytes: 5, ok: true },
    ]);
    expect(rows.find((r) => r.tool === "restic" && r.scenario === "full")).toMatchObject({ seconds: 40, ratio: 0.25 });
    expect(rows.find((r) => r.tool === "cryptkeep")!.ratio).toBeUndefined();
  });

  it("takes each suite's ratios of its own cryptkeep tool, and a write's throughput from its bytes", () => {
    const summarize = report.summarize as (m: object[]) => { suite: string; tool: string; ratio?: number; mbPerSecond?: number }[];
    const upload = (tool: string, seconds: number) => ({ suite: "sftp", dataset: "bigfile", scenario: "upload", tool, seconds, peakKiB: 1024, bytes: 1e9, ok: true });
    const rows = summarize([
      { dataset: "small", scenario: "full", tool: "cryptkeep", seconds: 10, peakKiB: 1024, ok: true },
      { suite: "gocryptfsReverse", dataset: "small", scenario: "full", tool: "cryptkeep-gocryptfs", seconds: 21, peakKiB: 1024, ok: true },
      { suite: "gocryptfsReverse", dataset: "small", scenario: "full", tool: "gocryptfs-hand", seconds: 20, peakKiB: 1024, ok: true },
      upload("cryptkeep-sftp", 10), upload("scp", 8),
    ]);
    expect(rows.find((r) => r.tool === "gocryptfs-hand")).toMatchObject({ suite: "gocryptfsReverse", ratio: 1.05 });
    expect(rows.find((r) => r.tool === "scp")).toMatchObject({ ratio: 1.25, mbPerSecond: 125 });
    expect(rows.find((r) => r.tool === "cryptkeep-sftp")).toMatchObject({ ratio: undefined, mbPerSecond: 100 });
  });

  it("says how long the whole run took, and for --quick whether it kept under 3 minutes", () => {
    const markdown = report.markdown as (result: object) => string;
    const result = (mode: string, elapsedSeconds: number) => ({
      date: "2026-11-24T06:16:24Z", command: "npm run bench -- --quick", mode, runs: 1, versions: {},
      machine: { nproc: 2, cpu: "cpu", ramGiB: 8, os: "os", node: "v20", loadavgAtStart: [1] }, loadavgAtEnd: [1],
      datasets: [], rows: [], targets: [], unavailable: {}, elapsedSeconds,
    });
    expect(markdown(result("quick", 135))).toContain("The whole run took 2 min 15 s (--quick's limit is 3 min: met).");
    expect(markdown(result("quick", 181))).toContain("The whole run took 3 min 1 s (--quick's limit is 3 min: missed).");
    expect(markdown(result("full", 1335))).toContain("The whole run took 22 min 15 s.\n");
    // The load averages are reported as measured: whose work they were is not known, so not claimed.
    expect(markdown(result("full", 1335))).toContain("load average 1 when measuring started (the build just before and any other work), 1 at the end (the bench's own tools included).");
    expect(markdown(result("full", 1335))).not.toContain("other work was running");
  });
});
