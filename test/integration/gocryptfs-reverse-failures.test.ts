import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { mkdir, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BIN, scratchDir, type Workspace } from "../helpers/cli.js";
import { tree } from "../helpers/tree.js";
import { startSshd, type Sshd } from "../servers/sshd.js";
import { nextFreeStamp, utcStamp } from "../../plugins/sync/rsync/stamp.js";
import { PASSWORD, mountsUnder, must, remoteOf, run, rsyncWorkspace, writeGocryptfsConfig } from "../helpers/rsync.js";

/** Waits until rsync is writing a file at the server (its temporary ".name.XXXXXX"). */
async function rsyncWriting(remote: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const names = await readdir(join(remote, "files")).catch(() => [] as string[]);
    if (names.some((n) => n.startsWith(".") && n !== ".cryptkeep-partial")) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("rsync never started writing");
}

describe("gocryptfsReverse: failures, mount/umount and the manual recipe", () => {
  let sshd: Sshd;
  let ws: Workspace & { remote: string };

  const configure = (transport: "sshfs" | "ssh") => writeGocryptfsConfig(ws, `documents: gocryptfsReverse({
      source: "./Documents",
      remote: ${remoteOf(sshd, ws.remote)},
      transport: "${transport}",
      password: { env: "CK_PASSWORD" },
    }),`);

  beforeAll(async () => {
    sshd = await startSshd();
    ws = await rsyncWorkspace();
    await configure("sshfs");
    await mkdir(join(ws.source, "sub"), { recursive: true });
    await writeFile(join(ws.source, "sub/a.txt"), "alpha\n");
    await writeFile(join(ws.source, "b.txt"), "bravo\n");
    await must(ws, ["init", "documents"]);
  });

  afterAll(async () => {
    await sshd?.stop();
  });

  it("a wrong password fails with WRONG_PASSWORD and leaves nothing mounted", async () => {
    const result = await run(ws, ["backup", "documents"], { CK_PASSWORD: "not the password" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/the gocryptfs password is wrong/);
    expect(result.stderr).not.toContain("not the password");
    expect(await mountsUnder(ws.dir)).toEqual([]);
  });

  it("the printed recipe, run literally, restores the source with sshfs, gocryptfs and cp", async () => {
    await must(ws, ["backup", "documents"]);
    const recipe = (await must(ws, ["recipe", "documents"])).stdout;
    expect(recipe).toMatch(/sshfs .* \.\/backup/);
    expect(recipe).toMatch(/gocryptfs -ro \.\/backup\/files \.\/decrypted/);
    const here = await scratchDir("cryptkeep-recipe-");
    const out = join(here, "restored");
    const result = await execa("bash", ["-e", "-c", recipe.replace('OUT="$HOME/restored"', `OUT=${out}`)], { cwd: here, input: PASSWORD, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    const { ".gocryptfs.reverse.conf": _conf, ...expected } = await tree(ws.source);
    expect(await tree(out)).toEqual(expected);
    expect(await mountsUnder(here)).toEqual([]);
  });

  it("mount leaves a read-only decrypted view until umount, latest or as of a time", async () => {
    const view = join(await scratchDir("cryptkeep-view-"), "browse");
    await must(ws, ["mount", "documents", view]);
    expect((await mountsUnder(view)).length).toBe(1);
    expect(await tree(join(view, "sub"))).toEqual(await tree(join(ws.source, "sub")));
    const write = await execa("sh", ["-c", `echo x > '${view}/new'`], { reject: false });
    expect(write.exitCode).not.toBe(0);
    await must(ws, ["umount", view]);
    expect(await mountsUnder(ws.dir)).toEqual([]);
    expect(await mountsUnder(view)).toEqual([]);

    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1100));
    await writeFile(join(ws.source, "b.txt"), "bravo, changed\n");
    await must(ws, ["backup", "documents"]);
    const old = join(await scratchDir("cryptkeep-view-"), "old");
    await must(ws, ["mount", "documents", old, "--at", before]);
    expect((await execa("cat", [join(old, "b.txt")])).stdout).toBe("bravo");
    await must(ws, ["umount", "documents"]);
    expect(await mountsUnder(ws.dir)).toEqual([]);
    expect(await mountsUnder(old)).toEqual([]);
    const none = await run(ws, ["umount", "documents"]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/nothing mounted by cryptkeep matches 'documents'/);
  });

  it("a mount left by a crashed run is unmounted at the start of the next; plan shows the commands; doctor logs in without writing", async () => {
    const stale = join(ws.cache, "cryptkeep/documents/mnt/cryptkeep-reverse-999999");
    await mkdir(stale, { recursive: true });
    await execa("gocryptfs", ["-q", "-reverse", ws.source, stale], { input: PASSWORD });
    expect(await mountsUnder(stale)).toEqual([stale]);
    const backup = await must(ws, ["backup", "documents"]);
    expect(backup.stderr).toMatch(/unmounting .*cryptkeep-reverse-999999, left mounted by a run that crashed/);
    expect(await mountsUnder(ws.dir)).toEqual([]);

    const plan = (await must(ws, ["plan", "documents"])).stdout;
    expect(plan).toMatch(/\$ sshfs root@127\.0\.0\.1:\S+ \S+cryptkeep-sshfs-\d+ -p \d+ -o BatchMode=yes/);
    expect(plan).toMatch(/\$ gocryptfs -q -reverse \S+Documents \S+cryptkeep-reverse-\d+ <<< \(secret on stdin\)/);
    expect(plan).toMatch(/\$ rsync --info=progress2 --stats .* --backup-dir=\.\.\/snapshots\/\d{8}T\d{6}Z\.partial/);
    expect(await mountsUnder(ws.dir)).toEqual([]);

    const doctor = await must(ws, ["doctor", "documents"]);
    expect(doctor.stdout).toMatch(/ok +ssh login: logged in to root@127\.0\.0\.1/);
    expect(doctor.stdout).toMatch(/ok +gocryptfs \d/);
    expect(doctor.stdout).toMatch(/ok +fuse/);
  });

  it("Ctrl-C mid-run stops with 130, unmounts everything, and the next run completes", async () => {
    await writeFile(join(ws.source, "big.bin"), "");
    await truncate(join(ws.source, "big.bin"), 300 * 1024 * 1024);
    const child = execa("node", [BIN, "backup", "documents"], { cwd: ws.dir, reject: false, env: { XDG_CACHE_HOME: ws.cache, CK_PASSWORD: PASSWORD } });
    await rsyncWriting(ws.remote);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(String(result.stderr)).toMatch(/interrupted by SIGINT/);
    expect(await mountsUnder(ws.dir)).toEqual([]);
    await must(ws, ["backup", "documents"]);
    expect((await run(ws, ["verify", "documents"])).exitCode).toBe(0);
  });

  it.each([
    ["sshfs", "rsync into the sshfs mount", /the connection to root@127\.0\.0\.1:\S+ \(port \d+\) over sshfs was lost during the run/],
    ["ssh", "rsync over ssh", /the connection to root@127\.0\.0\.1:\S+ \(port \d+\) was lost during the run/],
  ] as const)("a connection killed mid-run (transport %s: %s) fails with CONNECTION_LOST, leaves nothing mounted, and the next run completes", async (transport, _how, lost) => {
    await configure(transport);
    // One big file at a time: the next run and verify then move and hash 300 MB, not all of them.
    for (const name of await readdir(ws.source)) if (name.startsWith("big")) await rm(join(ws.source, name));
    const big = join(ws.source, `big-${transport}.bin`);
    await writeFile(big, "");
    await truncate(big, 300 * 1024 * 1024);
    const child = execa("node", [BIN, "backup", "documents"], { cwd: ws.dir, reject: false, env: { XDG_CACHE_HOME: ws.cache, CK_PASSWORD: PASSWORD } });
    await rsyncWriting(ws.remote);
    await sshd.dropConnections();
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(1);
    expect(String(result.stderr)).toMatch(lost);
    expect(await mountsUnder(ws.dir)).toEqual([]);
    await must(ws, ["backup", "documents"]);
    expect((await run(ws, ["verify", "documents"])).exitCode).toBe(0);
    expect(await mountsUnder(ws.dir)).toEqual([]);
  }, 300_000); // 300 MB encrypted, sent twice and hashed on both sides: minutes on a loaded 2-core machine

  it("a run in a second the target already has a folder of waits for a free second; an interrupted run's folder whose name a complete one took keeps its versions under the next free second", async () => {
    await configure("sshfs");
    const snapshots = join(ws.remote, "snapshots");
    // Folders of this second and the next three: as two runs of one second leave them, one
    // interrupted (its .partial) and one complete, with later ones made for the test.
    const seconds = [utcStamp()];
    while (seconds.length < 4) seconds.push(nextFreeStamp(seconds.at(-1)!, new Set()));
    for (const stamp of seconds) await mkdir(join(snapshots, stamp), { recursive: true });
    await writeFile(join(snapshots, seconds[0]!, "moved-aside-by-the-complete-run"), "a");
    await mkdir(join(snapshots, `${seconds[0]}.partial`));
    await writeFile(join(snapshots, `${seconds[0]}.partial`, "moved-aside-by-the-interrupted-run"), "b");
    const before = new Set(await readdir(snapshots));
    const recovered = nextFreeStamp(seconds[0]!, before);
    expect(recovered).toBe(nextFreeStamp(seconds[3]!, new Set()));
    await writeFile(join(ws.source, "b.txt"), "bravo, changed\n");

    const result = await must(ws, ["backup", "documents"]);
    expect(result.stderr).toContain(`keeping the versions it moved aside as snapshots/${recovered}`);
    const after = await readdir(snapshots);
    expect(after.filter((name) => name.endsWith(".partial"))).toEqual([]);
    expect(await readdir(join(snapshots, seconds[0]!))).toEqual(["moved-aside-by-the-complete-run"]);
    expect(await readdir(join(snapshots, recovered))).toEqual(["moved-aside-by-the-interrupted-run"]);
    const own = after.filter((name) => !before.has(name) && name !== recovered);
    expect(own).toHaveLength(1);
    expect(own[0]! > recovered).toBe(true);
    expect((await readdir(join(snapshots, own[0]!))).length).toBeGreaterThan(0); // b.txt as it was, encrypted
    expect((await run(ws, ["verify", "documents"])).exitCode).toBe(0);
    expect(await mountsUnder(ws.dir)).toEqual([]);
  });
});
