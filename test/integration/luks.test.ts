import { execa } from "execa";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BIN } from "../helpers/cli.js";
import { tree, type Tree } from "../helpers/tree.js";
import { hostHasDmCrypt } from "../vm/dm-crypt.js";
import { missingPrerequisites, runInVm } from "../vm/vm.js";
import { luksWorkspace, type LuksWorkspace } from "./luks-workspace.js";

/**
 * Both LUKS presets end to end on a real kernel: real cryptsetup, mkfs.ext4, mount, rsync, and
 * sshfs to a real sshd on 127.0.0.1. This machine's kernel has no device-mapper, so the scenario
 * (test/vm/luks-scenario.sh) runs inside one boot of the test VM; on a kernel with dm-crypt it
 * runs directly. Each step's exit code and output come back in files, asserted here.
 */
const direct = hostHasDmCrypt();
const WHERE = direct ? "on this host's kernel (dm-crypt available)" : "inside the QEMU VM (Debian kernel with dm-crypt)";
const JOBS = ["image", "remote"] as const;

interface Step { rc: number; out: string; err: string }
let ws: LuksWorkspace;
const steps = new Map<string, Step>();

function step(job: string, name: string): Step {
  const found = steps.get(`${job}-${name}`);
  if (!found) throw new Error(`step ${job} ${name} did not run (see the scenario output above)`);
  return found;
}

/** Expects exit `rc`, showing the step's output when it differs. */
function expectExit(job: string, name: string, rc: number): Step {
  const s = step(job, name);
  expect(s.rc, `${job} ${name}\nstdout:\n${s.out}\nstderr:\n${s.err}`).toBe(rc);
  return s;
}

const withoutExcluded = (t: Tree): Tree => Object.fromEntries(Object.entries(t).filter(([k]) => !k.endsWith(".tmp")));

beforeAll(async () => {
  console.log(`[luks] the LUKS scenario runs ${WHERE}`);
  if (!direct) {
    const missing = missingPrerequisites();
    if (missing.length) throw new Error(`the LUKS tests need the test VM, which cannot run here; missing: ${missing.join("; ")}`);
  }
  ws = await luksWorkspace();
  const script = join(BIN, "../../test/vm/luks-scenario.sh");
  const env = { WORK: ws.dir, CK: BIN, JOBS: JOBS.join(" "), REMOTE_KEY: ws.remoteKey };
  const started = Date.now();
  const result = direct
    ? await execa("bash", [script], { env, reject: false, all: true }).then((r) => ({ exitCode: r.exitCode ?? -1, output: String(r.all) }))
    : await runInVm(`bash ${script}`, { cwd: ws.dir, env, timeoutMs: 3_600_000 });
  console.log(`[luks] scenario exit ${result.exitCode} after ${Math.round((Date.now() - started) / 1000)} s:\n${result.output}`);
  expect(result.exitCode).toBe(0);
  const results = join(ws.dir, "results");
  for (const name of await readdir(results)) {
    const match = /^\d+-(.+)\.rc$/.exec(name);
    if (!match) continue;
    const base = join(results, name.slice(0, -3));
    steps.set(match[1]!, { rc: Number((await readFile(`${base}.rc`, "utf8")).trim()), out: await readFile(`${base}.out`, "utf8"), err: await readFile(`${base}.err`, "utf8") });
  }
}, 3_700_000);

describe.each(JOBS)(`LUKS preset job '%s' — ran ${WHERE}`, (job) => {
  const results = () => join(ws.dir, "results");
  const expected = async (state: string) => (job === "remote" ? withoutExcluded(await tree(join(results(), `${job}-${state}`))) : tree(join(results(), `${job}-${state}`)));

  it("init creates the container (a generated key file and a header backup for 'image')", async () => {
    expectExit(job, "init", 0);
    if (job === "image") {
      expect(step(job, "init").err).toContain("a random LUKS key was written to");
      expect((await readFile(join(ws.dir, "keys", "image.key"))).length).toBe(64);
      const header = await readFile(join(ws.dir, "keys", "image.header"));
      expect(header.subarray(0, 6).toString("latin1")).toBe("LUKS\xba\xbe");
    }
  });

  it("backs up, then backs up the changes; verify (read-only open, fsck -n, rsync --checksum) finds no difference", () => {
    expectExit(job, "backup1", 0);
    expectExit(job, "backup2", 0);
    expect(expectExit(job, "verify", 0).out).toContain("0 difference(s) found");
  });

  it("restores the state as of the first backup (--at), byte for byte", async () => {
    expectExit(job, "restore-at", 0);
    // The mirror layout rebuilds the older state over the newest files: a file created since is kept (and said so).
    const state1 = await expected("state1");
    const want = job === "image" ? { ...state1, "c.bin": (await expected("state2"))["c.bin"]! } : state1;
    expect(await tree(join(results(), `${job}-restored-at1`))).toEqual(want);
  });

  it("grows the container: the file, the mapping, then ext4", () => {
    expect(expectExit(job, "grow", 0).out).toMatch(/grown from 64\.0 MiB to 96\.0 MiB; the filesystem now holds \d+\.\d MiB/);
    expect(expectExit(job, "after-grow", 0).out).toBe("");
  });

  it("refuses a wrong key with WRONG_KEY and leaves nothing open or mounted", () => {
    expect(expectExit(job, "wrong-key", 1).err).toContain("the key does not open");
    expect(expectExit(job, "after-wrong-key", 0).out).toBe("");
  });

  it(`a backup stopped by ${job === "image" ? "SIGINT" : "SIGTERM"} exits 130 and closes everything in reverse order`, () => {
    expect(expectExit(job, "interrupted", 130).out).toContain(`signal=${job === "image" ? "INT" : "TERM"} rc=130`);
    expect(expectExit(job, "after-interrupted", 0).out).toBe("");
  });

  it("after a SIGKILLed run, the next backup closes the crashed run's mapping, checks the filesystem, and completes", async () => {
    expect(expectExit(job, "crash", 137).out).toMatch(/left by the crash:\n(.*\n)*cryptkeep-/);
    const after = expectExit(job, "backup-after-crash", 0);
    expect(after.err).toMatch(/closing cryptkeep-\S+, left open by a run of job '.*' that crashed/);
    expect(after.err).toContain("not closed cleanly");
    expect(expectExit(job, "after-crash", 0).out).toBe("");
    expectExit(job, "restore-latest", 0);
    expect(await tree(join(results(), `${job}-restored-latest`))).toEqual(await expected("state3"));
  });

  if (job === "image") {
    it("mounts a read-only view for browsing and unmounts it", () => {
      expectExit(job, "mount", 0);
      expect(expectExit(job, "view-list", 0).out).toContain("/files");
      expectExit(job, "umount", 0);
    });
  }

  it(job === "image" ? "trims: fstrim through a mapping opened with --allow-discards" : "refuses to trim over sshfs and says what to do", () => {
    if (job === "image") expect(expectExit(job, "trim", 0).out).toMatch(/discarded; .* takes .* on its disk/);
    else expect(expectExit(job, "trim", 2).err).toContain("discards do not pass through sshfs");
  });

  const DRILL = /restore drill of (\S+): (\d+) of (\d+) random file\(s\) restored with cryptsetup open --readonly, mount -o ro,noload \| rsync --files-from in (?:\d+ min )?[\d.]+ m?s; (\d+) problem\(s\)/;

  it("the first backup ends with a restore drill through a read-only re-open of the container, and leaves nothing open", () => {
    const drill = DRILL.exec(expectExit(job, "backup1", 0).out);
    expect(drill, step(job, "backup1").out).not.toBeNull();
    expect(drill!.slice(2)).toEqual(["4", "4", "0"]);
    expect(expectExit(job, "after-backup1", 0).out).toBe("");
  });

  it("verify --drill restores every sampled file of the newest snapshot and reports the sample and the time", () => {
    const drill = DRILL.exec(expectExit(job, "drill", 0).out);
    expect(drill, step(job, "drill").out).not.toBeNull();
    expect(drill![1]).toMatch(job === "image" ? /^files$/ : /^src-remote\.\d{8}T\d{6}Z$/);
    expect(drill!.slice(2)).toEqual(["5", "5", "0"]);
    expect(expectExit(job, "after-drill", 0).out).toBe("");
  });

  it("a file rotted inside the container (same size and time, other bytes) fails the drill with exit 4, naming the file", () => {
    expect(expectExit(job, "rot", 0).out).toMatch(/^rotted .*sub\/deeper\/random\.bin$/m);
    const rot = expectExit(job, "drill-rot", 4).out;
    expect(rot).toMatch(/^differs: \S+ sub\/deeper\/random\.bin: differs from the source although size and modification time are the same$/m);
    expect(DRILL.exec(rot)!.slice(2)).toEqual(["4", "5", "1"]);
    expect(expectExit(job, "after-drill-rot", 0).out).toBe("");
  });

  it("the tripwire refuses to back up an emptied source, and closes the container again", () => {
    const refused = expectExit(job, "tripwire", 1).err;
    expect(refused).toContain(`tripwire of job '${job}': the source`);
    expect(refused).toMatch(/holds 0 file\(s\), the newest snapshot \S+ has 5: below the tripwire's (50|75)%; nothing was backed up or pruned/);
  });

  it("leaves no mapping and no mount at the end", () => {
    expect(expectExit(job, "final", 0).out).toBe("");
  });
});

describe(`doctor — ran ${WHERE}`, () => {
  it("finds device-mapper and dm-crypt usable", () => {
    const doctor = expectExit("all", "doctor", 0);
    expect(doctor.out).toMatch(/ok {3}device-mapper/);
    expect(doctor.out).toMatch(/ok {3}dm-crypt/);
  });
});
