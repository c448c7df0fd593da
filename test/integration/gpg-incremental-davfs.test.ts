import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdir, readFile } from "node:fs/promises";
import { cli, workspace, writeConfig } from "../helpers/cli.js";
import { unprivileged } from "../helpers/failures.js";
import { startWebDav, type WebDav } from "../servers/webdav.js";
import { remoteTargetStory } from "./remote-target-story.js";

let dav: WebDav;
beforeAll(async () => { dav = await startWebDav(); });
afterAll(async () => { await dav?.stop(); });

const davTarget = (url = dav.url) => `{ davfs: { url: ${JSON.stringify(url)}, user: ${JSON.stringify(dav.user)}, password: { env: "CK_DAV_PASSWORD" } } }`;
const env = () => ({ CK_DAV_PASSWORD: dav.password });

remoteTargetStory("davfs (Apache mod_dav)", async () => ({ target: davTarget(), env: env() }));

describe("gpgIncremental over davfs: what reaches the server, and failures", () => {
  it("leaves the volumes on the server itself, nothing mounted and no secrets file behind", async () => {
    const onServer = await readdir(dav.dataDir, { recursive: true });
    expect(onServer).toContain("cryptkeep.json");
    expect(onServer.filter((n) => n.endsWith(".gpg")).length).toBeGreaterThan(2);
    const mounts = await readFile("/proc/self/mountinfo", "utf8");
    expect(mounts).not.toMatch(/cryptkeep-davfs-/);
    const tmp = await readdir("/tmp");
    expect(tmp.filter((n) => n.startsWith("cryptkeep-davfs-"))).toEqual([]);
  });

  it("a wrong password fails the mount with a message, and doctor reports it without writing", async () => {
    const ws = await workspace();
    await writeConfig(ws, { target: davTarget() });
    const plan = await cli(ws, ["plan", "documents"], { CK_DAV_PASSWORD: "wrong" });
    expect(plan.exitCode).toBe(1);
    expect(plan.stderr).toMatch(/http:\/\/127\.0\.0\.1:\d+\/dav\/: the server refused the credentials \(HTTP 401\)/);
    const wrong = await cli(ws, ["backup", "documents"], { CK_DAV_PASSWORD: "wrong" });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/could not mount http:\/\/127\.0\.0\.1:\d+\/dav\/ \(davfs2\) at \S+cryptkeep-davfs-\d+/);
    expect(wrong.stderr).not.toContain("wrong\n");
    const doctor = await cli(ws, ["doctor", "documents"], { CK_DAV_PASSWORD: "wrong" });
    expect(doctor.stdout).toMatch(/FAIL webdav: .*refused the credentials \(HTTP 401\)/);
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toMatch(/cryptkeep-davfs-/);
  });

  it("as a user other than root, doctor and backup say that davfs needs root before anything is mounted", async () => {
    const ws = await workspace();
    await writeConfig(ws, { target: davTarget() });
    const user = await unprivileged(ws);
    const doctor = await user.run(["doctor", "documents"], env());
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL davfs2 mount: a davfs target needs root \(davfs2 mounts only for root here\), but cryptkeep runs as \S+ \(uid \d+\)/);
    const backup = await user.run(["backup", "documents"], env());
    expect(backup.exitCode).toBe(2);
    expect(backup.stderr).toMatch(/a davfs target needs root/);
    expect(backup.stderr).toMatch(/run this job as root .* or choose a target that needs no root/);
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toMatch(/cryptkeep-davfs-/);
  });
});
