import { describe, expect, it } from "vitest";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { cli, json, ok, workspace, writeConfig } from "../helpers/cli.js";
import { decryptBytes, encryptBytes, readDecryptionKey, readPublicKeys } from "../../plugins/encryption/openpgp/index.js";

describe("gpgIncremental with signed manifests", () => {
  it("signs every manifest, and verify/restore refuse a manifest not signed by the signing key", async () => {
    const signing = `signing: { key: { file: "./keys/signer.sec.asc" }, passphrase: { env: "CK_PASSPHRASE" }, publicKey: "./keys/signer.pub.asc" },`;
    const ws = await workspace({ extra: signing });
    await ok(ws, ["keygen", "--out", "./keys/signer", "--name", "backup signer", "--passphrase-env", "CK_PASSPHRASE"]);
    await writeFile(join(ws.source, "a.txt"), "signed data\n");
    await ok(ws, ["backup", "documents"]);
    expect((await ok(ws, ["verify", "documents"])).stdout).toContain("0 difference(s) found");

    // Someone with only the public key replaces the manifest with one that lists other hashes.
    const id = json<{ jobs: { result: { id: string }[] }[] }>(await ok(ws, ["snapshots", "documents", "--json"])).jobs[0]!.result[0]!.id;
    const manifestFile = join(ws.vault, "snapshots", id, "manifest.json.gpg");
    const key = await readDecryptionKey(await readFile(join(ws.keys, "backup.sec.asc"), "utf8"), ws.passphrase);
    const plain = await decryptBytes(await readFile(manifestFile), key);
    const recipients = await readPublicKeys([await readFile(join(ws.keys, "backup.pub.asc"), "utf8")]);
    await writeFile(manifestFile, await encryptBytes(plain, recipients));

    const verify = await cli(ws, ["verify", "documents"]);
    expect(verify.exitCode).toBe(4);
    expect(verify.stdout).toMatch(/DAMAGED: \S+ \S+: manifest signature check failed against .*signer\.pub\.asc/);
    const restore = await cli(ws, ["restore", "documents", "--to", join(ws.dir, "out")]);
    expect(restore.exitCode).toBe(4);
    expect(restore.stderr).toContain("manifest signature check failed");
    // The signature is checked at the end of the streamed manifest: nothing was restored before it.
    expect(await readdir(join(ws.dir, "out"))).toEqual([]);

    // Without the signing setting, the same vault restores (the signature is then not required).
    await writeConfig(ws, {});
    await ok(ws, ["restore", "documents", "--to", join(ws.dir, "out2")]);
    expect(await readFile(join(ws.dir, "out2/a.txt"), "utf8")).toBe("signed data\n");
  });
});

describe("config location", () => {
  it("resolves every relative path in the config from the config's folder, whatever the working directory", async () => {
    const ws = await workspace();
    await writeFile(join(ws.source, "b.txt"), "from elsewhere\n");
    const elsewhere = { ...ws, dir: "/" };
    await ok(elsewhere, ["--config", ws.config, "backup", "documents"]);
    await ok(elsewhere, ["--config", ws.config, "restore", "documents", "--to", join(ws.dir, "out")]);
    expect(await readFile(join(ws.dir, "out/b.txt"), "utf8")).toBe("from elsewhere\n");
    const doctor = await ok(elsewhere, ["--config", ws.config, "doctor", "documents"]);
    expect(doctor.stdout).toMatch(/ok\s+private key: \S+backup\.sec\.asc: mode 600/);
  });
});

describe("a volume that matches its manifest but not its OpenPGP integrity check", () => {
  it.each(["zstd", "gzip", "none"] as const)("is named by verify and restore (compression %s), without a crash", async (compression) => {
    const ws = await workspace({ compression, volumeSize: "64KiB" });
    await writeFile(join(ws.source, "t.txt"), "some text\n".repeat(30_000));
    await ok(ws, ["backup", "documents"]);
    const id = json<{ jobs: { result: { id: string }[] }[] }>(await ok(ws, ["snapshots", "documents", "--json"])).jobs[0]!.result[0]!.id;
    const manifestFile = join(ws.vault, "snapshots", id, "manifest.json.gpg");
    const key = await readDecryptionKey(await readFile(join(ws.keys, "backup.sec.asc"), "utf8"), ws.passphrase);
    const manifest = JSON.parse(Buffer.from(await decryptBytes(await readFile(manifestFile), key)).toString("utf8"));
    const volume = manifest.volumes[0];
    const data = await readFile(join(ws.vault, volume.name));
    data[data.length - 30] = data[data.length - 30]! ^ 0xff;
    await writeFile(join(ws.vault, volume.name), data);
    volume.sha256 = createHash("sha256").update(data).digest("hex");
    const recipients = await readPublicKeys([await readFile(join(ws.keys, "backup.pub.asc"), "utf8")]);
    await writeFile(manifestFile, await encryptBytes(Buffer.from(JSON.stringify(manifest)), recipients));

    const verify = await cli(ws, ["verify", "documents"]);
    expect(verify.exitCode).toBe(4);
    expect(verify.stdout).toContain(`volume ${volume.name} matches its manifest but cannot be decrypted or unpacked`);
    const restore = await cli(ws, ["restore", "documents", "--to", join(ws.dir, "out")]);
    expect(restore.exitCode).toBe(4);
    expect(restore.stderr).toContain("matches its manifest but cannot be decrypted or unpacked: integrity check failed");
    expect(restore.stderr + verify.stderr).not.toMatch(/at .*\.js:\d+|Unhandled|INTERNAL/);
  });
});
