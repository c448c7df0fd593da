import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { cli, json, ok, workspace, type Workspace } from "../helpers/cli.js";
import { tree, type Tree } from "../helpers/tree.js";
import { completeIds, exists, expectFailure, filesUnder, lockFile, removeWorkspace, snapshotList } from "../helpers/failures.js";

interface VerifyJson { jobs: { result: { problems: { kind: string; snapshot?: string; name: string; detail: string }[] } }[] }

/** Issue: damaged and incomplete snapshots, a missing source and config mistakes, with the real CLI, tar and zstd. */
describe("gpgIncremental failures: damage, incomplete snapshots, source and config", () => {
  let ws: Workspace;
  let ids: string[];
  const states: Tree[] = [];

  // Two chains: full A → incremental B, then --full C → incremental D. C's second volume holds only big.bin.
  beforeAll(async () => {
    ws = await workspace({ volumeSize: "64KiB", compression: "zstd" });
    await writeFile(join(ws.source, "big.bin"), randomBytes(200_000));
    await writeFile(join(ws.source, "small.txt"), "small\n");
    await ok(ws, ["backup", "documents"]);
    await writeFile(join(ws.source, "second.txt"), "second\n");
    await ok(ws, ["backup", "documents"]);
    states.push(await tree(ws.source));
    await ok(ws, ["backup", "documents", "--full"]);
    await writeFile(join(ws.source, "fourth.txt"), "fourth\n");
    await ok(ws, ["backup", "documents"]);
    states.push(await tree(ws.source));
    ids = await completeIds(ws);
    expect((await snapshotList(ws)).map((s) => s.type)).toEqual(["full", "incremental", "full", "incremental"]);
  });
  afterAll(() => removeWorkspace(ws));

  const damages = [
    { what: "truncated", detail: /size \d+, expected \d+ \(truncated or extended\)/, harm: (file: string) => truncate(file, 1000) },
    { what: "with one byte flipped", detail: /SHA-256 differs from the manifest \(damaged or tampered with\)/, harm: flipByte },
  ];
  for (const { what, detail, harm } of damages) {
    it(`a volume ${what}: verify exits 4 naming the volume and its files; restore of that chain fails naming it; the other chain restores`, async () => {
      const volume = `snapshots/${ids[2]}/vol-00002.tar.zst.gpg`;
      const file = join(ws.vault, volume);
      const original = await readFile(file);
      await harm(file);
      try {
        const verify = await cli(ws, ["verify", "documents"]);
        expect(verify.exitCode, verify.stderr).toBe(4);
        const line = verify.stdout.split("\n").filter((l) => l.startsWith("DAMAGED: "));
        expect(line).toHaveLength(1);
        expect(line[0]).toMatch(new RegExp(`^DAMAGED: ${ids[2]} ${volume}: ${detail.source}; files affected: big\\.bin$`));
        expect(verify.stdout).toMatch(/1 difference\(s\) found/);
        const problems = json<VerifyJson>(await cli(ws, ["verify", "documents", "--json"])).jobs[0]!.result.problems;
        expect(problems).toEqual([expect.objectContaining({ kind: "volume", snapshot: ids[2], name: volume, detail: expect.stringContaining("files affected: big.bin") })]);

        for (const at of [[], ["--at", ids[2]!]]) {
          const restore = await cli(ws, ["restore", "documents", "--to", join(ws.dir, `out-${what.length}-${at.length}`), ...at]);
          expectFailure(restore, 4, new RegExp(`snapshot ${ids[2]}: volume ${volume} \\(${detail.source}\\) does not match its manifest \\(damaged or truncated\\); files affected: big\\.bin`),
            "restore another snapshot, or from another copy of the volume");
        }

        // The first chain does not need the damaged volume.
        expect((await ok(ws, ["verify", "documents", "--at", ids[1]!])).stdout).toContain("0 difference(s) found");
        const other = join(ws.dir, `out-other-${what.length}`);
        await ok(ws, ["restore", "documents", "--to", other, "--at", ids[1]!]);
        expect(await tree(other)).toEqual(states[0]);
        expect(await completeIds(ws)).toEqual(ids);
      } finally {
        await writeFile(file, original);
      }
      expect((await ok(ws, ["verify", "documents", "--all"])).stdout).toContain("0 difference(s) found");
    });
  }

  it("a snapshot without its manifest is listed as incomplete; restore falls back to the newest complete one and says so; the next backup removes it", async () => {
    await writeFile(join(ws.source, "fifth.txt"), "fifth\n");
    await ok(ws, ["backup", "documents"]);
    const broken = (await completeIds(ws)).at(-1)!;
    await rm(join(ws.vault, "snapshots", broken, "manifest.json.gpg"));

    expect((await snapshotList(ws)).map((s) => [s.id, s.complete])).toEqual([...ids.map((id) => [id, true]), [broken, false]]);
    expect((await ok(ws, ["snapshots", "documents"])).stdout).toMatch(new RegExp(`^${broken} .*INCOMPLETE$`, "m"));

    const out = join(ws.dir, "out-fallback");
    const restore = await ok(ws, ["restore", "documents", "--to", out]);
    expect(restore.stderr).toContain(`warning: the newest snapshot ${broken} is incomplete (an interrupted or failed backup): restoring ${ids[3]}, the newest complete one`);
    expect(restore.stdout).toContain(`restored snapshot ${ids[3]}`);
    expect(await tree(out)).toEqual(states[1]);
    expectFailure(await cli(ws, ["restore", "documents", "--to", join(ws.dir, "out-broken"), "--at", broken]), 1,
      `snapshot ${broken} has no manifest: it is incomplete`, "the next backup removes it; restore another snapshot");

    const next = await ok(ws, ["backup", "documents"]);
    expect(next.stderr).toContain(`warning: removing incomplete snapshot ${broken} left by an interrupted or failed run`);
    const after = await snapshotList(ws);
    expect(after.map((s) => s.id)).not.toContain(broken);
    expect(after.every((s) => s.complete)).toBe(true);
    expect(await exists(join(ws.vault, "snapshots", broken))).toBe(false);
    const latest = join(ws.dir, "out-after-removal");
    await ok(ws, ["restore", "documents", "--to", latest]);
    expect(await tree(latest)).toEqual(await tree(ws.source));
  });

  it("a missing source (renamed away): exit 1, SOURCE_MISSING with the path, nothing written; back in place, the next backup works", async () => {
    const before = await filesUnder(ws.vault);
    await rename(ws.source, `${ws.source}.away`);
    try {
      const result = await cli(ws, ["backup", "documents", "--json"]);
      expect(result.exitCode).toBe(1);
      expect(json<{ jobs: { state: string; error: { code: string } }[] }>(result).jobs[0]).toMatchObject({ state: "failed", error: { code: "SOURCE_MISSING" } });
      expectFailure(await cli(ws, ["backup", "documents"]), 1, `source ${ws.source} does not exist or is not a folder`, "check 'source' in the config; is the disk mounted?");
      expect(await filesUnder(ws.vault)).toEqual(before);
      expect(await exists(lockFile(ws))).toBe(false);
    } finally {
      await rename(`${ws.source}.away`, ws.source);
    }
    expect((await ok(ws, ["backup", "documents"])).stdout).toMatch(/Snapshot\s+\S+ \(incremental\)/);
  });

  it("config mistakes: every problem at once with its place, a syntax error with its line, an unknown job; all exit 2 and write nothing", async () => {
    const good = await readFile(ws.config, "utf8");
    const before = await filesUnder(ws.vault);
    const typos = good
      .replace(`volumeSize: "64KiB"`, `volumSize: "64KiB"`)
      .replace(`compression: "zstd"`, "compression: 3")
      .replace("keepLast: 2", `keepLast: "two"`);
    await writeFile(ws.config, typos);
    const invalid = await cli(ws, ["backup", "documents"]);
    expectFailure(invalid, 2, "error: backup.config.ts: at jobs.documents", "fix the settings listed above");
    const problems = invalid.stderr.replace(/^error: /, "").split("\n").filter((l) => l.startsWith("backup.config.ts: "));
    expect(problems.sort()).toEqual([
      `backup.config.ts: at jobs.documents.compression: expected one of "none"|"zstd"|"gzip", got 3`,
      `backup.config.ts: at jobs.documents.retention.keepLast: expected a whole number, got "two"`,
      `backup.config.ts: at jobs.documents: unknown setting 'volumSize' (did you mean 'volumeSize'?)`,
    ]);

    await writeFile(ws.config, good.replace(`source: "./Documents",`, `source: "./Documents"`));
    const syntax = await cli(ws, ["backup", "documents"]);
    expectFailure(syntax, 2, new RegExp(`error: backup\\.config\\.ts: could not be loaded: .*Unexpected token.* \\(at ${ws.config}:\\d+:\\d+\\)`), /^hint: fix the .*above/);

    await writeFile(ws.config, good);
    for (const command of [["backup", "documnets"], ["restore", "documnets", "--to", join(ws.dir, "out-typo")], ["verify", "documnets"]]) {
      expectFailure(await cli(ws, command), 2, "no job named 'documnets' in the config", "jobs defined: documents");
    }
    expect(await exists(join(ws.dir, "out-typo"))).toBe(false);
    expect(await filesUnder(ws.vault)).toEqual(before);
    expect(await exists(lockFile(ws))).toBe(false);
    await ok(ws, ["backup", "documents"]);
  });
});

async function flipByte(file: string): Promise<void> {
  const bytes = await readFile(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  await writeFile(file, bytes);
}
