import { execa } from "execa";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { scratchDir } from "../helpers/cli.js";
import { freePort, waitForPort } from "./ports.js";

/**
 * A throwaway single-node Ceph (one monitor, one memstore OSD, no auth) with radosgw on
 * 127.0.0.1, all state in a temp folder: the real S3 server of Debian's ceph packages.
 * radosgw cannot run without a cluster; this is the smallest one (about 15 s, 150 MB).
 */
export interface CephRgw {
  endpoint: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  /** A bucket made for the tests. */
  bucket: string;
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  /** Makes a second user that owns nothing; returns its keys. */
  createUser(uid: string): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  /** Frees the space of deleted objects now (radosgw's garbage collection waits hours by default; memstore holds it in memory). */
  collectGarbage(): Promise<void>;
  /** Stops radosgw only (the cluster stays): the S3 server is gone. */
  stopGateway(): Promise<void>;
  /** Starts radosgw again after stopGateway, on the same port: the S3 server is back. */
  startGateway(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a program that forks into the background; its stdio must not be a pipe the test waits on. */
const daemon = (file: string, args: string[]) => execa(file, args, { stdio: "ignore", timeout: 60_000 });

export async function startCephRgw(): Promise<CephRgw> {
  const dir = await scratchDir("cryptkeep-ceph-");
  const conf = join(dir, "ceph.conf");
  const run = join(dir, "run");
  await Promise.all(["run", "log", "mon", "osd/ceph-0"].map((d) => mkdir(join(dir, d), { recursive: true })));
  const [monPort, port] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  await writeFile(conf, `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = ${run}
admin socket = ${run}/$name.asok
pid file = ${run}/$name.pid
log file = ${dir}/log/$name.log
mon data = ${dir}/mon/$name
osd data = ${dir}/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = 4294967296
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
# The OSD's own crush commands at boot can race the monitor and make it exit: place it ourselves.
osd crush update on start = false
osd class update on start = false
mon data avail warn = 1
mon data avail crit = 0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${port}
rgw dns name = 127.0.0.1
`);
  // The ceph CLI waits on an open stdin pipe: give it none.
  const ceph = (args: string[]) => execa("ceph", ["-c", conf, ...args], { stdin: "ignore", timeout: 30_000 });
  const stopAll = async () => {
    const pids = await readdir(run).then((names) => names.filter((n) => n.endsWith(".pid")), () => []);
    for (const name of pids) {
      const pid = Number((await readFile(join(run, name), "utf8").catch(() => "")).trim());
      if (pid) try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
  };
  const startGateway = async () => {
    await daemon("radosgw", ["-c", conf, "-n", "client.rgw.a"]);
    await waitForPort(port, "radosgw", 60_000);
  };
  try {
    // A port other than 6789 is taken as msgr2 unless marked v1 (msgr2 is off here).
    await execa("monmaptool", ["--create", "--fsid", fsid, "--addv", "a", `[v1:127.0.0.1:${monPort}]`, join(dir, "monmap")]);
    await execa("ceph-mon", ["-c", conf, "--mkfs", "-i", "a", "--monmap", join(dir, "monmap")]);
    await daemon("ceph-mon", ["-c", conf, "-i", "a"]);
    const uuid = randomUUID();
    // A monitor just started may refuse commands (EPERM) until it has formed its quorum: wait for it.
    for (let i = 0; ; i++) {
      if ((await ceph(["mon", "stat"]).catch(() => ({ stdout: "" }))).stdout.includes("quorum")) break;
      if (i > 120) throw new Error("the Ceph monitor did not form a quorum");
      await sleep(500);
    }
    const id = (await ceph(["osd", "new", uuid])).stdout.trim();
    await execa("ceph-osd", ["-c", conf, "-i", id, "--mkfs", "--osd-uuid", uuid]);
    await ceph(["osd", "crush", "add-bucket", "localhost", "host"]);
    await ceph(["osd", "crush", "move", "localhost", "root=default"]);
    await ceph(["osd", "crush", "add", `osd.${id}`, "1.0", "host=localhost"]);
    await daemon("ceph-osd", ["-c", conf, "-i", id]);
    for (let i = 0; ; i++) {
      if ((await ceph(["osd", "stat"]).catch(() => ({ stdout: "" }))).stdout.includes("1 up")) break;
      if (i > 120) throw new Error("the Ceph OSD did not come up");
      await sleep(500);
    }
    await startGateway();
  } catch (error) {
    await stopAll();
    throw error;
  }
  const createUser = async (uid: string) => {
    const keys = { accessKeyId: `KEY${uid.toUpperCase()}`, secretAccessKey: `SECRET-${randomUUID()}` };
    await execa("radosgw-admin", ["-c", conf, "user", "create", `--uid=${uid}`, `--display-name=${uid}`, `--access-key=${keys.accessKeyId}`, `--secret=${keys.secretAccessKey}`]);
    return keys;
  };
  const owner = await createUser("cryptkeep");
  const endpoint = `http://127.0.0.1:${port}`;
  const client = () => new S3Client({
    endpoint, region: "us-east-1", forcePathStyle: true, credentials: owner,
    requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED",
  });
  const createBucket = async (name: string) => { await client().send(new CreateBucketCommand({ Bucket: name })); };
  await createBucket("backups");
  return {
    endpoint, port, ...owner, bucket: "backups", client, createBucket, createUser,
    collectGarbage: async () => { await execa("radosgw-admin", ["-c", conf, "gc", "process", "--include-all"]); },
    stopGateway: async () => {
      const pid = Number((await readFile(join(run, "client.rgw.a.pid"), "utf8")).trim());
      process.kill(pid, "SIGKILL");
    },
    startGateway,
    stop: stopAll,
  };
}
