import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, readFile, readdir, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cli, ok, workspace, type Workspace } from "../helpers/cli.js";
import { tree } from "../helpers/tree.js";
import { completeIds, removeWorkspace } from "../helpers/failures.js";
import { decryptBytes, encryptBytes, readDecryptionKey, readPublicKeys } from "../../plugins/encryption/openpgp/index.js";

/**
 * Manifests are decrypted and parsed as streams (their integrity is checked at the end of the
 * stream): a damaged manifest must be refused before anything is restored, wherever the damage is.
 */
describe("gpgIncremental: a manifest read as a stream is refused, damaged anywhere, before anything is restored", () => {
  let ws: Workspace;
  let full: string;
  let manifestFile: string;
  let original: Buffer;

  // 3,000 files: the full's manifest is several hundred KB, so it arrives in many chunks.
  beforeAll(async () => {
    ws = await workspace({ compression: "zstd" });
    for (let d = 0; d < 30; d++) {
      await mkdir(join(ws.source, `dir ${d}`));
      for (let f = 0; f < 100; f++) await writeFile(join(ws.source, `dir ${d}`, `file "${f}" {é}.txt`), `content ${d}/${f}\n`);
    }
    await ok(ws, ["backup", "documents"]);
    await writeFile(join(ws.source, "dir 0", "new.txt"), "new\n");
    await ok(ws, ["backup", "documents"]);
    full = (await completeIds(ws))[0]!;
    manifestFile = join(ws.vault, "snapshots", full, "manifest.json.gpg");
    original = await readFile(manifestFile);
    expect((await stat(manifestFile)).size).toBeGreaterThan(300_000);
  });
  afterAll(() => removeWorkspace(ws));

  it("an intact chain restores whole and by --path, and verifies", async () => {
    const out = join(ws.dir, "out-intact");
    await ok(ws, ["restore", "documents", "--to", out]);
    expect(await tree(out)).toEqual(await tree(ws.source));
    const one = join(ws.dir, "out-one");
    await ok(ws, ["restore", "documents", "--to", one, "--path", "dir 7"]);
    expect(await readdir(join(one, "dir 7"))).toHaveLength(100);
    expect((await ok(ws, ["verify", "documents"])).stdout).toContain("0 difference(s) found");
  });

  const damages = [
    { where: "one byte flipped near the end (the integrity check fails after the whole list was read)", harm: (bytes: Buffer) => flip(bytes, bytes.length - 30) },
    { where: "one byte flipped in the middle", harm: (bytes: Buffer) => flip(bytes, Math.floor(bytes.length / 2)) },
    { where: "cut short", harm: (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length * 0.9)) },
  ];
  for (const [i, { where, harm }] of damages.entries()) {
    it(`the full's manifest ${where}: restore and verify fail naming the integrity check; nothing is written to --to`, async () => {
      await writeFile(manifestFile, harm(Buffer.from(original)));
      try {
        for (const extra of [[], ["--path", "dir 3"]]) {
          const out = join(ws.dir, `out-damaged-${i}-${extra.length}`);
          const restore = await cli(ws, ["restore", "documents", "--to", out, ...extra]);
          expect(restore.exitCode, restore.stderr).not.toBe(0);
          expect(restore.stderr).toMatch(/integrity check failed: the data was modified or truncated/);
          expect(await readdir(out)).toEqual([]);
        }
        const verify = await cli(ws, ["verify", "documents"]);
        expect(verify.exitCode, verify.stderr).not.toBe(0);
        expect(verify.stdout + verify.stderr).toMatch(/integrity check failed: the data was modified or truncated/);
      } finally {
        await writeFile(manifestFile, original);
      }
    });
  }

  it("a manifest cut short within its file list (at a chunk boundary of the plaintext) is refused too", async () => {
    await truncate(manifestFile, 200_000);
    try {
      const out = join(ws.dir, "out-truncated");
      const restore = await cli(ws, ["restore", "documents", "--to", out]);
      expect(restore.exitCode, restore.stderr).not.toBe(0);
      expect(restore.stderr).toMatch(/integrity check failed/);
      expect(await readdir(out)).toEqual([]);
    } finally {
      await writeFile(manifestFile, original);
    }
    expect((await ok(ws, ["verify", "documents"])).stdout).toContain("0 difference(s) found");
  });
});

describe("gpgIncremental verify: each archive member is checked against its manifest entry as it streams by", () => {
  it("names a file whose size and digest differ from the manifest, and one the manifest lists but the archive lacks", async () => {
    const ws = await workspace({ compression: "zstd" });
    try {
      for (let f = 0; f < 50; f++) await writeFile(join(ws.source, `f${f}.txt`), `file ${f}\n`);
      await ok(ws, ["backup", "documents"]);
      const [id] = await completeIds(ws);
      const manifestFile = join(ws.vault, "snapshots", id!, "manifest.json.gpg");
      const key = await readDecryptionKey(await readFile(join(ws.keys, "backup.sec.asc"), "utf8"), ws.passphrase);
      const manifest = JSON.parse(Buffer.from(await decryptBytes(await readFile(manifestFile), key)).toString("utf8")) as { files: { path: string; size: number; sha256?: string }[] };
      // Someone with the public key rewrites the manifest (unsigned setup): verify must still see it disagree with the archive.
      const changed = manifest.files.find((f) => f.path === "f7.txt")!;
      changed.size += 1;
      changed.sha256 = "0".repeat(64);
      manifest.files.push({ ...changed, path: "never-archived.txt" });
      const recipients = await readPublicKeys([await readFile(join(ws.keys, "backup.pub.asc"), "utf8")]);
      await writeFile(manifestFile, await encryptBytes(Buffer.from(JSON.stringify(manifest)), recipients));

      const verify = await cli(ws, ["verify", "documents"]);
      expect(verify.exitCode, verify.stderr).toBe(4);
      expect(verify.stdout).toMatch(/f7\.txt: archive has size 7 sha256 [0-9a-f]{12}, manifest says 8 000000000000/);
      expect(verify.stdout).toContain("never-archived.txt: listed in the manifest but not in the archive");
      expect(verify.stdout).toContain("2 difference(s) found");
    } finally {
      await removeWorkspace(ws);
    }
  });
});

function flip(bytes: Buffer, at: number): Buffer {
  bytes[at] = bytes[at]! ^ 0x01;
  return bytes;
}
