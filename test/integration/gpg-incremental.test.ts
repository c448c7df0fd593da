import { beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { appendFile, chmod, cp, mkdir, rename, rm, symlink, writeFile, readdir } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { cli, json, ok, workspace, type Workspace, scratchDir } from "../helpers/cli.js";
import { tree, type Tree } from "../helpers/tree.js";
import { runRecipe } from "../helpers/gpg.js";

interface SnapshotRow { id: string; type: string; files: number; complete: boolean }
const snapshots = async (ws: Workspace) => json<{ jobs: { result: SnapshotRow[] }[] }>(await ok(ws, ["snapshots", "documents", "--json"])).jobs[0]!.result;

/** The end-to-end story of issue #2, with the real gpg and GNU tar. */
describe("gpgIncremental: backup, incremental, restore, verify, recipe", () => {
  let ws: Workspace;
  const states: Tree[] = [];

  beforeAll(async () => {
    ws = await workspace({ volumeSize: "256KiB", compression: "zstd" });
    const src = ws.source;
    await mkdir(join(src, "private/deep/er"), { recursive: true });
    await writeFile(join(src, "private/eff.txt"), "the first version\n");
    await writeFile(join(src, "notes.md"), "# notes\n");
    await writeFile(join(src, "scratch.tmp"), "excluded\n");
    await mkdir(join(src, "app/node_modules/dep"), { recursive: true });
    await writeFile(join(src, "app/node_modules/dep/index.js"), "excluded too\n");
    await writeFile(join(src, "app/main.js"), "console.log(1)\n");
    await writeFile(join(src, "random.bin"), randomBytes(700_000));
    await writeFile(join(src, "name with spaces ü.txt"), "unicode\n");
    await writeFile(join(src, "empty"), "");
    await mkdir(join(src, "empty-dir"));
    await symlink("private/eff.txt", join(src, "link-to-eff"));
    await chmod(join(src, "notes.md"), 0o640);
  });

  it("makes a full backup, then incrementals that record changes, deletions and renames", async () => {
    const first = json<{ exitCode: number; jobs: { state: string; result: Record<string, number | string> }[] }>(await ok(ws, ["backup", "documents", "--json"]));
    expect(first.exitCode).toBe(0);
    expect(first.jobs[0]!.state).toBe("success");
    expect(first.jobs[0]!.result).toMatchObject({ type: "full", sourceFiles: 6, newFiles: 6, changedFiles: 0, deletedFiles: 0, errors: [] });
    expect(Number(first.jobs[0]!.result.volumes)).toBeGreaterThan(1);
    states.push(await expected(ws.source));

    await appendFile(join(ws.source, "private/eff.txt"), "a second line\n");
    await rm(join(ws.source, "notes.md"));
    await writeFile(join(ws.source, "private/deep/er/new.txt"), "new\n");
    await rename(join(ws.source, "private/deep"), join(ws.source, "private/deeper"));
    const second = await ok(ws, ["backup", "documents"]);
    expect(second.stdout).toMatch(/Snapshot\s+\S+ \(incremental\)/);
    expect(second.stdout).toMatch(/DeletedFiles\s+1/);
    expect(second.stdout).toMatch(/ChangedFiles\s+1/);
    states.push(await expected(ws.source));

    await rm(join(ws.source, "random.bin"));
    await writeFile(join(ws.source, "app/main.js"), "console.log(3)\n");
    await ok(ws, ["backup", "documents"]);
    states.push(await expected(ws.source));

    const list = await snapshots(ws);
    expect(list.map((s) => s.type)).toEqual(["full", "incremental", "incremental"]);
    expect(list.every((s) => s.complete)).toBe(true);
  });

  it("the plaintext index never holds file names", async () => {
    const list = await snapshots(ws);
    for (const s of list) {
      const info = await execa("cat", [join(ws.vault, "snapshots", s.id, "info.json")]);
      expect(info.stdout).not.toMatch(/eff|notes|random|main\.js/);
    }
  });

  it("restores the latest state and each earlier state exactly, deleted files absent", async () => {
    const list = await snapshots(ws);
    for (const [i, s] of list.entries()) {
      const out = join(ws.dir, `restore-${i}`);
      await ok(ws, ["restore", "documents", "--to", out, "--at", s.id]);
      expect(await tree(out)).toEqual(states[i]);
    }
    const latest = join(ws.dir, "restore-latest");
    await ok(ws, ["restore", "documents", "--to", latest]);
    expect(await tree(latest)).toEqual(states[2]);
  });

  it("restores one file or one folder with --path, as of --at", async () => {
    const list = await snapshots(ws);
    const one = join(ws.dir, "restore-one");
    await ok(ws, ["restore", "documents", "--to", one, "--path", "private/eff.txt", "--at", list[0]!.id]);
    expect(await tree(one)).toEqual({ private: states[0]!.private, "private/eff.txt": states[0]!["private/eff.txt"] });
    const folder = join(ws.dir, "restore-folder");
    await ok(ws, ["restore", "documents", "--to", folder, "--path", "private/"]);
    expect(Object.keys(await tree(folder)).sort()).toEqual(Object.keys(states[2]!).filter((p) => p.startsWith("private")).sort());
    const missing = await cli(ws, ["restore", "documents", "--to", join(ws.dir, "nothing"), "--path", "no/such/file"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("'no/such/file' is not in snapshot");
  });

  it("accepts --at as a time, an interval and words", async () => {
    const list = json<{ jobs: { result: { id: string; time: string }[] }[] }>(await ok(ws, ["snapshots", "documents", "--json"])).jobs[0]!.result;
    const firstTime = join(ws.dir, "at-iso");
    await ok(ws, ["restore", "documents", "--to", firstTime, "--at", list[0]!.time]);
    expect(await tree(firstTime)).toEqual(states[0]);
    const words = join(ws.dir, "at-words");
    await ok(ws, ["restore", "documents", "--to", words, "--at", "0 seconds ago"]);
    expect(await tree(words)).toEqual(states[2]);
    // The snapshots are minutes old at most: an hour ago is before all of them.
    const interval = await cli(ws, ["restore", "documents", "--to", join(ws.dir, "at-1h"), "--at", "1h"]);
    expect(interval.exitCode).toBe(1);
    expect(interval.stderr).toContain("has no snapshot as old as");
    const bad = await cli(ws, ["restore", "documents", "--to", join(ws.dir, "x"), "--at", "last tuesday-ish"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("is not a time or snapshot id");
  });

  it("verify decrypts every volume and checks every file; --compare reports source changes file by file", async () => {
    const clean = await ok(ws, ["verify", "documents", "--compare"]);
    expect(clean.stdout).toMatch(/0 difference\(s\) found/);
    await writeFile(join(ws.source, "app/main.js"), "console.log(4)\n");
    await writeFile(join(ws.source, "brand-new.txt"), "x");
    const changed = await cli(ws, ["verify", "documents", "--compare", "--json"]);
    expect(changed.exitCode).toBe(4);
    const problems = json<{ jobs: { result: { problems: { name: string; detail: string }[] } }[] }>(changed).jobs[0]!.result.problems;
    expect(problems).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: "app/main.js", detail: "content changed (SHA-256 differs)" }),
      expect.objectContaining({ name: "brand-new.txt", detail: "in the source, not in the backup" }),
    ]));
    expect(problems.some((p) => p.name.includes("node_modules") || p.name.endsWith(".tmp"))).toBe(false);
  });

  it("the recipe restores every snapshot with gpg and GNU tar alone, identical to cryptkeep's restore", async () => {
    const recipe = (await ok(ws, ["recipe", "documents"])).stdout;
    expect(recipe).toContain("tar --extract --listed-incremental=/dev/null");
    const byHand = await tree(await runRecipe(ws, recipe));
    expect(byHand).toEqual(states[2]);
    const byCryptkeep = join(ws.dir, "restore-compare");
    await ok(ws, ["restore", "documents", "--to", byCryptkeep]);
    expect(byHand).toEqual(await tree(byCryptkeep));
  });

  it("plan prints every step and command without changing anything", async () => {
    const before = await readdir(join(ws.vault, "snapshots"));
    const plan = (await ok(ws, ["plan", "documents"])).stdout;
    expect(plan).toMatch(/\$ tar --create --file=- --format=gnu --listed-incremental=\S+ --ignore-failed-read '--exclude=\*\.tmp' --exclude=node_modules --directory=\S+ \./);
    expect(plan).toMatch(/\$ zstd -q -c -3 -T0 -/);
    expect(plan).toMatch(/incremental backup on top of/);
    expect(plan).not.toContain(ws.passphrase);
    expect(await readdir(join(ws.vault, "snapshots"))).toEqual(before);
  });

  it("prune keeps what the policy says, and every full an incremental needs", async () => {
    const before = await snapshots(ws);
    const dry = await ok(ws, ["prune", "documents", "--dry-run"]);
    expect(dry.stdout).toContain(`keep    ${before[2]!.id}  keepLast (1 of 2)`);
    expect(dry.stdout).toContain(`keep    ${before[0]!.id}  needed by`);
    expect((await snapshots(ws)).length).toBe(3);
    await ok(ws, ["backup", "documents", "--full"]);
    await ok(ws, ["backup", "documents"]);
    await ok(ws, ["prune", "documents"]);
    const after = await snapshots(ws);
    expect(after.map((s) => s.type)).toEqual(["full", "incremental"]);
  });
});

/** The source as a restore must reproduce it: without the excluded names. */
async function expected(source: string): Promise<Tree> {
  const copy = await scratchDir("cryptkeep-expected-");
  await cp(source, copy, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  await rm(join(copy, "scratch.tmp"), { force: true });
  await rm(join(copy, "app/node_modules"), { recursive: true, force: true });
  return tree(copy);
}
