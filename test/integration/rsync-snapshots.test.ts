import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { json, scratchDir, type Workspace } from "../helpers/cli.js";
import { tree } from "../helpers/tree.js";
import { startSshd, type Sshd } from "../servers/sshd.js";
import { must, remoteOf, run, rsyncWorkspace, writeGocryptfsConfig } from "../helpers/rsync.js";

interface SnapshotRow { id: string; complete: boolean }

describe.each(["local", "ssh"] as const)("rsyncSnapshots to a %s target: hard-linked snapshots, restore, verify, prune", (kind) => {
  let sshd: Sshd | undefined;
  let ws: Workspace & { remote: string };

  beforeAll(async () => {
    ws = await rsyncWorkspace();
    if (kind === "ssh") sshd = await startSshd();
    const target = kind === "ssh" ? `{ ssh: ${remoteOf(sshd!, ws.remote)} }` : `{ local: ${JSON.stringify(ws.remote)} }`;
    await writeGocryptfsConfig(ws, `home: rsyncSnapshots({ source: "./Documents", target: ${target}, name: "home", exclude: ["*.tmp"], retention: { keepLast: 1 } }),`);
    await mkdir(join(ws.source, "sub"), { recursive: true });
    await writeFile(join(ws.source, "sub/a.txt"), "alpha\n");
    await writeFile(join(ws.source, "same.txt"), "unchanged\n");
    await writeFile(join(ws.source, "x.tmp"), "excluded\n");
    await must(ws, ["init", "home"]);
  });

  afterAll(async () => {
    await sshd?.stop();
  });

  it("each run is a complete home.<UTC time>/ folder; unchanged files are hard links to the previous one", async () => {
    await must(ws, ["backup", "home"]);
    // At once: a run in the second of the last one waits for the next, so each gets its own folder.
    await writeFile(join(ws.source, "sub/a.txt"), "alpha, changed\n");
    await must(ws, ["backup", "home"]);
    const folders = (await readdir(ws.remote)).filter((n) => n.startsWith("home.")).sort();
    expect(folders).toHaveLength(2);
    for (const f of folders) expect(f).toMatch(/^home\.\d{8}T\d{6}Z$/);
    const [a, b] = await Promise.all(folders.map((f) => stat(join(ws.remote, f, "same.txt"))));
    expect(a!.ino).toBe(b!.ino);
    expect(await readFile(join(ws.remote, folders[1]!, "sub/a.txt"), "utf8")).toBe("alpha, changed\n");
    expect(await readdir(join(ws.remote, folders[1]!))).not.toContain("x.tmp");
    const logs = await readdir(join(ws.cache, "cryptkeep/home/logs"));
    expect(logs).toContain(`${folders[1]}.log`);
    const list = json<{ jobs: { result: SnapshotRow[] }[] }>(await must(ws, ["snapshots", "home", "--json"])).jobs[0]!.result;
    expect(list.map((s) => s.complete)).toEqual([true, true]);
  });

  it("restores the latest snapshot, verify finds no difference, then finds a changed file", async () => {
    const out = join(await scratchDir("cryptkeep-out-"), "r");
    await must(ws, ["restore", "home", "--to", out]);
    const { "x.tmp": _excluded, ...expected } = await tree(ws.source);
    expect(await tree(out)).toEqual(expected);
    await must(ws, ["verify", "home"]);
    await writeFile(join(ws.source, "same.txt"), "changed since\n");
    const verify = await run(ws, ["verify", "home"]);
    expect(verify.exitCode).toBe(4);
    expect(verify.stdout).toMatch(/same\.txt: content differs from the source/);
  });

  it("prune removes the snapshots the policy does not keep", async () => {
    await must(ws, ["prune", "home"]);
    expect((await readdir(ws.remote)).filter((n) => n.startsWith("home."))).toHaveLength(1);
  });
});

describe("rsync presets: targets rsync cannot write to", () => {
  it("a store-only target is refused with the fix in the message", async () => {
    const ws = await rsyncWorkspace();
    await writeGocryptfsConfig(ws, `home: rsyncSnapshots({ source: "./Documents", target: { sftp: { host: "h", path: "/x" } } as never }),`);
    const result = await run(ws, ["backup", "home"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("rsync needs a filesystem path or ssh: use transport sshfs, davfs or s3fs, or the gpgIncremental preset");
  });
});
