import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFile, mkdir, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { json, scratchDir, type Workspace } from "../helpers/cli.js";
import { tree, type Tree } from "../helpers/tree.js";
import { startSshd, type Sshd } from "../servers/sshd.js";
import { mountsUnder, must, remoteOf, run, rsyncWorkspace, writeGocryptfsConfig } from "../helpers/rsync.js";

/** What a restore gives back: the source without gocryptfs's own config and the excluded *.tmp. */
const withoutConf = (t: Tree): Tree => Object.fromEntries(Object.entries(t).filter(([k]) => k !== ".gocryptfs.reverse.conf" && !k.endsWith(".tmp")));

/** Issue #3's story over the real sshd, sshfs, gocryptfs and rsync. */
describe.each(["sshfs", "ssh"] as const)("gocryptfsReverse over %s: init, backup, change, backup, verify, restore", (transport) => {
  let sshd: Sshd;
  let ws: Workspace & { remote: string };
  const states: { tree: Tree; time: string }[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
    ws = await rsyncWorkspace();
    await writeGocryptfsConfig(ws, `documents: gocryptfsReverse({
      source: "./Documents",
      remote: ${remoteOf(sshd, ws.remote)},
      transport: "${transport}",
      password: { env: "CK_PASSWORD" },
      exclude: ["*.tmp"],
      keepConfigAt: "./keys/documents.gocryptfs.conf",
      versions: { keepLast: 1 },
      verify: { checksums: "remote", deepEvery: "30d" },
    }),`);
    await mkdir(join(ws.source, "private/deep"), { recursive: true });
    await writeFile(join(ws.source, "private/eff.txt"), "the first version\n");
    await writeFile(join(ws.source, "notes.md"), "# notes\n");
    await writeFile(join(ws.source, "scratch.tmp"), "excluded\n");
    await writeFile(join(ws.source, "random.bin"), randomBytes(300_000));
    await writeFile(join(ws.source, "name with spaces ü.txt"), "unicode\n");
    await symlink("private/eff.txt", join(ws.source, "link-to-eff"));
  });

  afterAll(async () => {
    await sshd?.stop();
  });

  it("init creates the gocryptfs config, prints the master key once and keeps copies at the target and where asked", async () => {
    const init = await must(ws, ["init", "documents"]);
    expect(init.stderr).toMatch(/master key, shown this once[\s\S]*[0-9a-f]{8}-[0-9a-f]{8}/);
    const conf = await readFile(join(ws.source, ".gocryptfs.reverse.conf"), "utf8");
    expect(await readFile(join(ws.remote, "gocryptfs.conf"), "utf8")).toBe(conf);
    expect(await readFile(join(ws.keys, "documents.gocryptfs.conf"), "utf8")).toBe(conf);
    expect(JSON.parse(await readFile(join(ws.remote, "cryptkeep.json"), "utf8"))).toMatchObject({ job: "documents", layout: "versioned" });
    const again = await must(ws, ["init", "documents"]);
    expect(again.stderr).not.toMatch(/master key/);
    expect(await mountsUnder(ws.dir)).toEqual([]);
  });

  it("backs up the encrypted view into files/, then moves changed and deleted files into snapshots/<time>/", async () => {
    const first = json<{ jobs: { state: string; result: Record<string, number> }[] }>(await must(ws, ["backup", "documents", "--json"]));
    expect(first.jobs[0]!.state).toBe("success");
    // The user's four regular files (scratch.tmp is excluded), not gocryptfs's own diriv and conf files.
    expect(first.jobs[0]!.result).toMatchObject({ sourceFiles: 4, newFiles: 4 });
    states.push({ tree: withoutConf(await tree(ws.source)), time: new Date().toISOString() });
    const files = await readdir(join(ws.remote, "files"));
    expect(files).toContain("gocryptfs.conf");
    expect(files.join(" ")).not.toMatch(/notes|eff|random/);
    expect(await mountsUnder(ws.dir)).toEqual([]);

    await new Promise((r) => setTimeout(r, 1100));
    await appendFile(join(ws.source, "private/eff.txt"), "a second line\n");
    await rm(join(ws.source, "notes.md"));
    await writeFile(join(ws.source, "new.txt"), "new\n");
    const second = await must(ws, ["backup", "documents"]);
    expect(second.stdout).toMatch(/DeletedFiles\s+1/);
    expect(second.stdout).toMatch(/NewFiles\s+1\b/);
    expect(second.stdout).toMatch(/SourceFiles\s+4\b/);
    // eff.txt, and the root's gocryptfs.diriv: the reverse view gives it its folder's time, which changed.
    expect(second.stdout).toMatch(/ChangedFiles\s+2/);
    states.push({ tree: withoutConf(await tree(ws.source)), time: new Date().toISOString() });
    const versions = await readdir(join(ws.remote, "snapshots"));
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(await mountsUnder(ws.dir)).toEqual([]);
  });

  it("verify compares checksums (BLAKE2b) here and on the server, and --deep decrypts and compares with the source", async () => {
    const plain = json<{ exitCode: number; jobs: { result: { files: number; compared: number; problems: unknown[] } }[] }>(await must(ws, ["verify", "documents", "--json"]));
    expect(plain.jobs[0]!.result.problems).toEqual([]);
    expect(plain.jobs[0]!.result.files).toBeGreaterThan(5);
    // deepEvery 30d and no deep verify yet: the first verify went deep by itself.
    expect(plain.jobs[0]!.result.compared).toBe(4);
    const again = json<{ jobs: { result: { compared: number } }[] }>(await must(ws, ["verify", "documents", "--json"]));
    expect(again.jobs[0]!.result.compared).toBe(0);
    const deep = await must(ws, ["verify", "documents", "--deep"]);
    expect(deep.stdout).toMatch(/4 compared with the source, 0 difference/);
    expect(await mountsUnder(ws.dir)).toEqual([]);
  });

  it("restores the latest state and the state as of the first backup", async () => {
    const out = join(await scratchDir("cryptkeep-out-"), "latest");
    await must(ws, ["restore", "documents", "--to", out]);
    expect(await tree(out)).toEqual(states[1]!.tree);

    const older = join(await scratchDir("cryptkeep-out-"), "older");
    const at = await must(ws, ["restore", "documents", "--to", older, "--at", states[0]!.time]);
    expect(at.stderr).toMatch(/files created after .* are included/);
    const expected = { ...states[0]!.tree, "new.txt": states[1]!.tree["new.txt"]! };
    expect(await tree(older)).toEqual(expected);

    const one = join(await scratchDir("cryptkeep-out-"), "one");
    await must(ws, ["restore", "documents", "--to", one, "--path", "private/eff.txt"]);
    expect(await readFile(join(one, "private/eff.txt"), "utf8")).toBe("the first version\na second line\n");
    expect(await mountsUnder(ws.dir)).toEqual([]);
  });

  it("finds a damaged file at the server, names it, and exits 4", async () => {
    const files = join(ws.remote, "files");
    const victim = (await readdir(files, { withFileTypes: true })).find((d) => d.isFile() && !d.name.startsWith("gocryptfs."))!.name;
    const path = join(files, victim);
    const original = await readFile(path).catch(() => undefined);
    if (!original) throw new Error(`${victim} is not a file`);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 1] = damaged[damaged.length - 1]! ^ 0xff;
    await writeFile(path, damaged);
    const result = await run(ws, ["verify", "documents"]);
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toContain(`./${victim}: BLAKE2b differs`);
    await writeFile(path, original);
    await must(ws, ["verify", "documents"]);
  });

  it("prune keeps the newest version folders the policy asks for", async () => {
    await appendFile(join(ws.source, "new.txt"), "again\n");
    await must(ws, ["backup", "documents"]);
    expect(await readdir(join(ws.remote, "snapshots"))).toHaveLength(2);
    const pruned = await must(ws, ["prune", "documents"]);
    expect(pruned.stdout).toMatch(/1 snapshot\(s\) removed, 1 kept/);
    expect(await readdir(join(ws.remote, "snapshots"))).toHaveLength(1);
    expect(await mountsUnder(ws.dir)).toEqual([]);
  });
});
