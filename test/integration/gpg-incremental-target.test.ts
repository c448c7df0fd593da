import { describe, expect, it } from "vitest";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli, ok, workspace, writeConfig, scratchDir } from "../helpers/cli.js";
import { tree } from "../helpers/tree.js";

describe("the target and the local state", () => {
  it("never backs up its own vault or cache when they live inside the source", async () => {
    const ws = await workspace();
    await writeFile(ws.config, (await readFile(ws.config, "utf8")).replace('source: "./Documents"', 'source: "."'));
    await writeFile(join(ws.dir, "Documents", "a.txt"), "inside\n");
    const env = { XDG_CACHE_HOME: join(ws.dir, "state") };
    await ok(ws, ["backup", "documents"], env);
    await ok(ws, ["backup", "documents"], env);
    const out = await scratchDir("cryptkeep-out-");
    await ok(ws, ["restore", "documents", "--to", join(out, "r")], env);
    const restored = Object.keys(await tree(join(out, "r")));
    expect(restored).toContain("Documents/a.txt");
    expect(restored.some((p) => p.startsWith("vault") || p.startsWith("state/cryptkeep"))).toBe(false);
    expect((await ok(ws, ["verify", "documents", "--compare"], env)).stdout).toContain("0 difference(s) found");
  });

  it("refuses to back up a second job into a target that holds another job's snapshots", async () => {
    const ws = await workspace();
    await writeFile(join(ws.source, "a.txt"), "a\n");
    await ok(ws, ["backup", "documents"]);
    await writeFile(ws.config, (await readFile(ws.config, "utf8")).replace("documents: gpgIncremental", "photos: gpgIncremental"));
    const other = await cli(ws, ["backup", "photos"]);
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain("holds the backups of job 'documents', not of 'photos'");
    expect(JSON.parse(await readFile(join(ws.vault, "cryptkeep.json"), "utf8"))).toMatchObject({ job: "documents" });
  });
});

describe("increments GNU tar could not replay", () => {
  it("makes a full backup when a folder is renamed onto the name of a deleted folder", async () => {
    const ws = await workspace();
    await mkdir(join(ws.source, "a"));
    await mkdir(join(ws.source, "b"));
    await writeFile(join(ws.source, "a/from-a.txt"), "a\n");
    await writeFile(join(ws.source, "b/from-b.txt"), "b\n");
    await ok(ws, ["backup", "documents"]);
    await rm(join(ws.source, "b"), { recursive: true });
    await rename(join(ws.source, "a"), join(ws.source, "b"));
    const second = await ok(ws, ["backup", "documents"]);
    expect(second.stderr).toContain("GNU tar cannot replay that from an incremental, so this run makes a full backup instead");
    expect(second.stdout).toMatch(/Snapshot\s+\S+ \(full\)/);
    await ok(ws, ["restore", "documents", "--to", join(ws.dir, "out")]);
    expect(await tree(join(ws.dir, "out"))).toEqual(await tree(ws.source));
  });

  it("starts a new full when the exclusions change", async () => {
    const ws = await workspace();
    await writeFile(join(ws.source, "keep.txt"), "k\n");
    await writeFile(join(ws.source, "big.iso"), "iso\n");
    await ok(ws, ["backup", "documents"]);
    expect((await ok(ws, ["backup", "documents"])).stdout).toMatch(/\(incremental\)/);
    await writeConfig(ws, { exclude: ["*.iso"] });
    const changed = await ok(ws, ["backup", "documents"]);
    expect(changed.stdout).toMatch(/\(full\)/);
    expect(changed.stderr).toContain("the exclusions changed since the last snapshot");
    await ok(ws, ["restore", "documents", "--to", join(ws.dir, "out")]);
    expect(Object.keys(await tree(join(ws.dir, "out")))).toEqual(["keep.txt"]);
  });
});

describe("an uninitialised target", () => {
  it("backup and plan both refuse an existing folder without cryptkeep.json (an unmounted disk's mount point looks like that)", async () => {
    const ws = await workspace();
    await mkdir(join(ws.dir, "mnt-usb"));
    await writeFile(ws.config, (await readFile(ws.config, "utf8")).replace('target: { local: "./vault" }', 'target: { local: "./mnt-usb" }'));
    for (const command of ["plan", "backup"]) {
      const result = await cli(ws, [command, "documents"]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain("has no cryptkeep.json: it was never set up as the target of job 'documents'");
      expect(result.stderr).toContain("check that the disk is mounted; then run 'cryptkeep init documents'");
    }
    expect(await readdir(join(ws.dir, "mnt-usb"))).toEqual([]);
    await ok(ws, ["init", "documents"]);
    await ok(ws, ["backup", "documents"]);
  });
});
