import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { readFile, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { cli, ok, workspace, writeConfig, type Workspace } from "../helpers/cli.js";
import { startCephRgw, type CephRgw } from "../servers/ceph-rgw.js";
import { remoteTargetStory } from "./remote-target-story.js";

let rgw: CephRgw;
beforeAll(async () => { rgw = await startCephRgw(); }, 120_000);
afterAll(async () => { await rgw?.stop(); });

const s3Target = (bucket: string, prefix: string) =>
  `{ s3: { bucket: ${JSON.stringify(bucket)}, prefix: ${JSON.stringify(prefix)}, endpoint: ${JSON.stringify(rgw.endpoint)}, forcePathStyle: true, accessKeyId: { env: "CK_S3_KEY" }, secretAccessKey: { env: "CK_S3_SECRET" }, partSizeMiB: 5 } }`;
const keys = () => ({ CK_S3_KEY: rgw.accessKeyId, CK_S3_SECRET: rgw.secretAccessKey });

remoteTargetStory("s3 (Ceph radosgw)", async () => ({ target: s3Target("backups", "laptop/documents"), env: keys() }));

describe("gpgIncremental over s3: what reaches the bucket, and failures", () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await workspace({ target: s3Target("backups", "second"), env: keys(), volumeSize: "12MiB" }); });

  it("stores volumes under the prefix with multipart uploads and leaves no upload open", async () => {
    await writeFile(`${ws.source}/big.bin`, randomBytes(11 * 1024 * 1024));
    await ok(ws, ["backup", "documents"], keys());
    const objects = await rgw.client().send(new ListObjectsV2Command({ Bucket: "backups", Prefix: "second/" }));
    const names = (objects.Contents ?? []).map((o) => o.Key!);
    expect(names).toContain("second/cryptkeep.json");
    expect(names.some((n) => /^second\/snapshots\/.+\.gpg$/.test(n) && (objects.Contents!.find((o) => o.Key === n)!.Size ?? 0) > 10 * 1024 * 1024)).toBe(true);
    const uploads = await rgw.client().send(new ListMultipartUploadsCommand({ Bucket: "backups" }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it("a wrong secret, a missing bucket and a missing variable each fail with their own message", async () => {
    const wrong = await cli(ws, ["backup", "documents"], { ...keys(), CK_S3_SECRET: "not-the-secret" });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/s3:\/\/backups\/second at http:\/\/127\.0\.0\.1:\d+: the server refused the credentials \(SignatureDoesNotMatch\)/);
    expect(wrong.stderr).not.toContain("not-the-secret");
    await writeConfig(ws, { target: s3Target("no-such-bucket", "x") });
    const missing = await cli(ws, ["backup", "documents"], keys());
    expect(missing.stderr).toMatch(/bucket 'no-such-bucket' does not exist at http:\/\/127\.0\.0\.1:\d+/);
    const doctor = await cli(ws, ["doctor", "documents"], keys());
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL s3 bucket: bucket 'no-such-bucket' does not exist/);
    const noEnv = await cli(ws, ["backup", "documents"], {});
    expect(noEnv.stderr).toMatch(/CK_S3_KEY/);
    await writeConfig(ws, { target: s3Target("backups", "second") });
  });
});

remoteTargetStory("s3fs (Ceph radosgw, mounted)", async () => {
  await rgw.createBucket("mounted");
  return {
    target: `{ s3fs: { bucket: "mounted", endpoint: ${JSON.stringify(rgw.endpoint)}, forcePathStyle: true, accessKeyId: { env: "CK_S3_KEY" }, secretAccessKey: { env: "CK_S3_SECRET" } } }`,
    env: keys(),
  };
});

describe("gpgIncremental over s3fs: nothing left mounted", () => {
  it("the volumes are objects in the bucket and the mount is gone", async () => {
    const objects = await rgw.client().send(new ListObjectsV2Command({ Bucket: "mounted" }));
    const names = (objects.Contents ?? []).map((o) => o.Key!);
    expect(names).toContain("cryptkeep.json");
    expect(names.filter((n) => n.endsWith(".gpg")).length).toBeGreaterThan(2);
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toMatch(/cryptkeep-s3fs-/);
  });

  it("a wrong secret is refused before anything is mounted, by backup and by doctor, and never printed", async () => {
    const target = `{ s3fs: { bucket: "mounted", endpoint: ${JSON.stringify(rgw.endpoint)}, forcePathStyle: true, accessKeyId: { env: "CK_S3_KEY" }, secretAccessKey: { env: "CK_S3_SECRET" } } }`;
    const ws = await workspace({ target, env: keys() });
    const wrong = { ...keys(), CK_S3_SECRET: "not-the-secret" };
    const backup = await cli(ws, ["backup", "documents"], wrong);
    expect(backup.exitCode).toBe(1);
    expect(backup.stderr).toMatch(/s3:\/\/mounted at http:\/\/127\.0\.0\.1:\d+: the server refused the credentials \(SignatureDoesNotMatch\)/);
    expect(backup.stderr).not.toContain("not-the-secret");
    const doctor = await cli(ws, ["doctor", "documents"], wrong);
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL s3 bucket: .*refused the credentials/);
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toMatch(/cryptkeep-s3fs-/);
  });
});

// Last: it takes the gateway away.
describe("gpgIncremental over s3: the server gone", () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await workspace({ target: s3Target("backups", "third"), env: keys() }); });

  it("a gateway gone fails cleanly, naming the endpoint and the reason", async () => {
    await rgw.stopGateway();
    const gone = await cli(ws, ["backup", "documents"], keys());
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr).toMatch(/s3:\/\/backups\/third at http:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED/);
  });
});
