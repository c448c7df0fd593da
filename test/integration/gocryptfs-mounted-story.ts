import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { execa } from "execa";
import { readdir as listDir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { BIN, json, scratchDir, type Workspace } from "../helpers/cli.js";
import { PASSWORD } from "../helpers/rsync.js";
import { tree, type Tree } from "../helpers/tree.js";
import { mountsOf, mountsUnder, must, rsyncWorkspace, writeGocryptfsConfig } from "../helpers/rsync.js";

/** What a restore gives back: the source without gocryptfs's own config. */
const withoutConf = (t: Tree): Tree => Object.fromEntries(Object.entries(t).filter(([k]) => k !== ".gocryptfs.reverse.conf"));
/** The same without modes, for a server that keeps none (WebDAV): contents must still match byte for byte. */
const contentsOnly = (t: Tree): Tree => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.replace(/^(file|dir) \d+/, "$1")]));

export interface MountedServer {
  /** The `target` option as TypeScript source. */
  target: string;
  /** Secrets the target option reads from the environment. */
  env: Record<string, string>;
  /** What the server keeps besides contents: WebDAV keeps neither modes nor modification times. */
  keeps: { modes: boolean; times: boolean };
  /** Names of the files the server itself holds under the job's folder (read on the server, not through a mount). */
  filesOnServer(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * gocryptfsReverse with its target on a mounted remote folder (davfs, s3fs), through the real
 * CLI, real gocryptfs, rsync and the real server: init, backup, change, backup, verify,
 * restore latest and as of the first backup, compared byte for byte; nothing left mounted.
 */
export function gocryptfsMountedStory(kind: "davfs" | "s3fs", name: string, start: () => Promise<MountedServer>): void {
  describe(`gocryptfsReverse with its target on ${name}: init, backup, change, backup, verify, restore`, () => {
    let server: MountedServer;
    let ws: Workspace & { remote: string };
    const states: { tree: Tree; time: string }[] = [];
    const run = (args: string[]) => must(ws, args, server.env);
    const nothingMounted = async () => {
      // The davfs2/s3fs mount and gocryptfs's view both live under the workspace's cache dir.
      expect(await mountsUnder(ws.dir)).toEqual([]);
    };

    beforeAll(async () => {
      server = await start();
      ws = await rsyncWorkspace();
      await writeGocryptfsConfig(ws, `documents: gocryptfsReverse({
      source: "./Documents",
      target: ${server.target},
      password: { env: "CK_PASSWORD" },
      versions: { keepLast: 1 },
    }),`);
      await mkdir(join(ws.source, "private/deep"), { recursive: true });
      await writeFile(join(ws.source, "private/eff.txt"), "the first version\n", { mode: 0o600 });
      await writeFile(join(ws.source, "private/deep/empty"), "");
      await writeFile(join(ws.source, "notes.md"), "# notes\n");
      await writeFile(join(ws.source, "random.bin"), randomBytes(3_000_000));
      await writeFile(join(ws.source, "name with spaces ü.txt"), "unicode\n");
    }, 180_000);

    afterAll(async () => {
      await server?.stop();
    });

    it("init keeps gocryptfs.conf on the server and leaves nothing mounted", async () => {
      await run(["init", "documents"]);
      expect(await server.filesOnServer()).toEqual(expect.arrayContaining(["cryptkeep.json", "gocryptfs.conf"]));
      await nothingMounted();
    });

    it("backs up, then a change moves only the changed and deleted files into snapshots/<time>/", async () => {
      const first = json<{ jobs: { state: string; result: Record<string, number> }[] }>(await run(["backup", "documents", "--json"]));
      expect(first.jobs[0]!.state).toBe("success");
      expect(first.jobs[0]!.result).toMatchObject({ sourceFiles: 5, newFiles: 5 });
      states.push({ tree: withoutConf(await tree(ws.source)), time: new Date().toISOString() });
      const onServer = await server.filesOnServer();
      expect(onServer.filter((n) => n.startsWith("files/")).length).toBeGreaterThanOrEqual(6);
      expect(onServer.join(" ")).not.toMatch(/notes|eff|random/);
      await nothingMounted();

      await new Promise((r) => setTimeout(r, 1100));
      await appendFile(join(ws.source, "private/eff.txt"), "a second line\n");
      await rm(join(ws.source, "notes.md"));
      await writeFile(join(ws.source, "new.txt"), "new\n");
      const second = await run(["backup", "documents"]);
      expect(second.stdout).toMatch(/DeletedFiles\s+1/);
      expect(second.stdout).toMatch(/NewFiles\s+1/);
      // eff.txt; where times are kept, also the root's gocryptfs.diriv (the reverse view gives it
      // its folder's time); where they are not, rsync compares contents and the diriv is unchanged.
      const changed = server.keeps.times ? 2 : 1;
      expect(second.stdout).toMatch(new RegExp(`ChangedFiles\\s+${changed}\\n`));
      states.push({ tree: withoutConf(await tree(ws.source)), time: new Date().toISOString() });
      const versions = (await server.filesOnServer()).filter((n) => n.startsWith("snapshots/"));
      expect(versions.length).toBe(changed + 1);
      await nothingMounted();
    });

    it("verify compares every file's checksum (BLAKE2b), and --deep decrypts and compares with the source", async () => {
      const plain = json<{ jobs: { result: { files: number; problems: unknown[] } }[] }>(await run(["verify", "documents", "--json"]));
      expect(plain.jobs[0]!.result.problems).toEqual([]);
      expect(plain.jobs[0]!.result.files).toBeGreaterThanOrEqual(6);
      const deep = await run(["verify", "documents", "--deep"]);
      expect(deep.stdout).toMatch(/5 compared with the source, 0 difference/);
      await nothingMounted();
    });

    it("restores the latest state and the state as of the first backup, byte for byte", async () => {
      const out = join(await scratchDir("cryptkeep-out-"), "latest");
      const same = server.keeps.modes ? (t: Tree) => t : contentsOnly;
      await run(["restore", "documents", "--to", out]);
      expect(same(await tree(out))).toEqual(same(states[1]!.tree));
      const older = join(await scratchDir("cryptkeep-out-"), "older");
      await run(["restore", "documents", "--to", older, "--at", states[0]!.time]);
      expect(same(await tree(older))).toEqual(same({ ...states[0]!.tree, "new.txt": states[1]!.tree["new.txt"]! }));
      await nothingMounted();
    });

    it("plan shows the mount and rsync without mounting; doctor checks the server without writing; the recipe mounts the target by hand", async () => {
      const plan = (await run(["plan", "documents"])).stdout;
      expect(plan).toMatch(new RegExp(`mount .*with ${kind === "davfs" ? "davfs2" : "s3fs"}`));
      expect(plan).toMatch(/\$ rsync --info=progress2 --stats .* --backup-dir=\.\.\/snapshots\/\d{8}T\d{6}Z\.partial/);
      await nothingMounted();
      const doctor = await run(["doctor", "documents"]);
      expect(doctor.stdout).toMatch(/checked without writing/);
      await nothingMounted();
      const recipe = (await run(["recipe", "documents"])).stdout;
      expect(recipe).toContain(kind === "davfs" ? "mount -t davfs" : "s3fs ");
      expect(recipe).toMatch(/gocryptfs -ro \.\/backup\/files \.\/decrypted/);
    });

    it("mount leaves a decrypted view (on a copy: the transport's mount ends with the run) until umount", async () => {
      const view = join(await scratchDir("cryptkeep-view-"), "browse");
      await run(["mount", "documents", view]);
      expect(await readFile(join(view, "private/eff.txt"), "utf8")).toBe("the first version\na second line\n");
      expect(await mountsOf(kind, ws.dir)).toEqual([]);
      await run(["umount", "documents"]);
      expect(await mountsUnder(view)).toEqual([]);
      await nothingMounted();
    });

    it("a run killed with SIGKILL while mounted leaves its mounts; the next run unmounts them and completes", async () => {
      await writeFile(join(ws.source, "more.bin"), randomBytes(2_000_000));
      const child = execa("node", [BIN, "backup", "documents"], { cwd: ws.dir, reject: false, env: { XDG_CACHE_HOME: ws.cache, CK_PASSWORD: PASSWORD, ...server.env } });
      // The gocryptfs view is mounted after the transport's mount: both are up.
      for (let i = 0; !(await mountsOf("reverse", ws.dir)).some((m) => m.endsWith(`-${child.pid}`)); i++) {
        if (i > 1500) throw new Error("the run never mounted its view");
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill("SIGKILL");
      await child;
      expect(await mountsOf(kind, ws.dir)).toEqual([expect.stringMatching(new RegExp(`cryptkeep-${kind}-${child.pid}$`))]);
      const next = await run(["backup", "documents", "--break-lock"]);
      expect(next.stderr).toMatch(new RegExp(`unmounting \\S+cryptkeep-${kind}-${child.pid}, left mounted by a run that crashed`));
      await nothingMounted();
      expect((await listDir(tmpdir())).filter((n) => n.startsWith(`cryptkeep-${kind}-${child.pid}-`))).toEqual([]);
      const verified = json<{ jobs: { result: { problems: unknown[] } }[] }>(await run(["verify", "documents", "--json"]));
      expect(verified.jobs[0]!.result.problems).toEqual([]);
      const out = join(await scratchDir("cryptkeep-out-"), "after-crash");
      await run(["restore", "documents", "--to", out, "--path", "more.bin"]);
      expect(await readFile(join(out, "more.bin"))).toEqual(await readFile(join(ws.source, "more.bin")));
      await nothingMounted();
    });
  });
}
