import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BINARY_OUTPUT } from "../helpers/gpg.js";
import { Runner, type CommandSpec } from "../../core/runner.js";
import type { RunContext } from "../../core/types.js";
import { encryptStream, generateBackupKeyPair, readDecryptionKey, readPublicKeys } from "../../plugins/encryption/openpgp/index.js";
import { gpgDecryptStream, gpgEncryptArgs } from "../../plugins/encryption/openpgp/gpg-engine.js";
import type * as openpgp from "openpgp";

const MiB = 1 << 20;
let dir: string;
let publicFile: string;
let key: openpgp.PrivateKey;
let otherKey: openpgp.PrivateKey;
let publicKeys: openpgp.PublicKey[];
const commands: CommandSpec[] = [];
/** The runner's real streaming, recording what it was asked to run. */
const ctx = { stream: (spec: CommandSpec) => (commands.push(spec), new Runner().stream(spec)) } as unknown as RunContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ck-session-key-"));
  const pair = await generateBackupKeyPair({ name: "session key test" });
  publicFile = join(dir, "backup.pub.asc");
  await writeFile(publicFile, pair.publicArmored);
  key = await readDecryptionKey(pair.privateArmored);
  publicKeys = await readPublicKeys([pair.publicArmored]);
  otherKey = await readDecryptionKey((await generateBackupKeyPair({ name: "someone else" })).privateArmored);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function gpgEncrypted(plaintext: Buffer): Promise<Buffer> {
  const home = await mkdtemp(join(dir, "gpg-"));
  return Buffer.from((await execa("gpg", gpgEncryptArgs(home, [publicFile]), { input: Readable.from([plaintext]), ...BINARY_OUTPUT })).stdout);
}

const sha = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const gpgHomes = async () => (await readdir(tmpdir())).filter((name) => name.startsWith("cryptkeep-gpg-"));

describe("decryption by gpg with the session key (encryptWith: \"gpg\")", () => {
  it("decrypts messages of gpg and of openpgp.js; the private key stays in node and the session key goes by fd 3, never argv", async () => {
    const plaintext = randomBytes(3 * MiB + 17);
    const fromGpg = await gpgEncrypted(plaintext);
    const fromLibrary = await buffer(await encryptStream(Readable.from([plaintext]), publicKeys));
    for (const message of [fromGpg, fromLibrary]) {
      commands.length = 0;
      const out = await buffer(await gpgDecryptStream(ctx, Readable.from([message]), key));
      expect(sha(out)).toBe(sha(plaintext));
      const [spec] = commands;
      expect(spec!.args).toContain("--override-session-key-fd");
      expect(spec!.args.join(" ")).not.toMatch(/[0-9A-F]{32}/);
      expect(spec!.secretFds).toHaveLength(1);
      expect(spec!.secretFds![0]!.reveal()).toMatch(/^9:[0-9A-F]{64}$/);
    }
  });

  it("a message damaged after the check fails as damage in gpg's words, without gpg's debug line of the session key, and leaves no gpg home", async () => {
    const before = await gpgHomes();
    const message = await gpgEncrypted(randomBytes(MiB));
    message[Math.floor(message.length / 2)]! ^= 0x40;
    commands.length = 0;
    const error = await gpgDecryptStream(ctx, Readable.from([message]), key).then((s) => buffer(s)).then(() => undefined, (e: Error) => e);
    expect(error?.message).toBe("integrity check failed: the data was modified or truncated (gpg: WARNING: encrypted message has been manipulated!)");
    const sessionKey = commands[0]!.secretFds![0]!.reveal();
    expect(error?.message).not.toContain(sessionKey.slice(2));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await gpgHomes()).filter((home) => !before.includes(home))).toEqual([]);
  });

  it("says so when the message is not for this key, or not an OpenPGP message, before starting gpg", async () => {
    commands.length = 0;
    const message = await gpgEncrypted(randomBytes(1000));
    await expect(gpgDecryptStream(ctx, Readable.from([message]), otherKey)).rejects.toThrow(/this backup is not encrypted to key .*recipient key IDs/);
    await expect(gpgDecryptStream(ctx, Readable.from([Buffer.from("not a message at all\n".repeat(100))]), key)).rejects.toThrow(/^integrity check failed/);
    expect(commands).toEqual([]);
  });
});
