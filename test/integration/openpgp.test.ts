import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";
import * as openpgp from "openpgp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BINARY_OUTPUT } from "../helpers/gpg.js";
import {
  decryptBytes,
  decryptStream,
  decryptVerifiedStream,
  encryptBytes,
  encryptStream,
  fingerprintOf,
  generateBackupKeyPair,
  readDecryptionKey,
  readPublicKeys,
  type BackupKeyPair,
} from "../../plugins/encryption/openpgp/index.js";

const MiB = 1024 * 1024;
const PASSPHRASE = "correct horse battery staple";

/** Lazy pseudo-random source; `produced` tells how much was generated so far. */
function lazySource(total: number, chunkSize = 64 * 1024): Readable & { produced: number } {
  const source = new Readable({
    highWaterMark: chunkSize,
    read() {
      if (source.produced >= total) return void this.push(null);
      const size = Math.min(chunkSize, total - source.produced);
      source.produced += size;
      this.push(randomBytes(size));
    },
  }) as Readable & { produced: number };
  source.produced = 0;
  return source;
}

function chunked(data: Uint8Array, chunkSize: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += chunkSize) yield Buffer.from(data.subarray(i, i + chunkSize));
    })(),
    { objectMode: false },
  );
}

async function encryptToBuffer(data: Uint8Array, recipients: openpgp.PublicKey[], signer?: openpgp.PrivateKey) {
  return await buffer(await encryptStream(Readable.from([Buffer.from(data)]), recipients, signer));
}

async function decryptToBuffer(ciphertext: Uint8Array, key: openpgp.PrivateKey) {
  return await buffer(await decryptStream(Readable.from([Buffer.from(ciphertext)]), key));
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Throwaway GnuPG home; the agent it spawns is killed in dispose(). */
async function gnupgHome() {
  const home = await mkdtemp(join(tmpdir(), "ck-gpg-"));
  await chmod(home, 0o700);
  const gpg = (args: string[], input?: string) =>
    execa("gpg", ["--homedir", home, "--batch", "--no-tty", ...args], {
      input: input ?? "",
      ...BINARY_OUTPUT,
    });
  const dispose = async () => {
    await execa("gpgconf", ["--homedir", home, "--kill", "gpg-agent"], { reject: false });
    await rm(home, { recursive: true, force: true });
  };
  return { home, gpg, dispose };
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

let protectedPair: BackupKeyPair;
let plainPair: BackupKeyPair;
let recipients: openpgp.PublicKey[];
let decryptionKey: openpgp.PrivateKey;
let otherKey: openpgp.PrivateKey;

beforeAll(async () => {
  protectedPair = await generateBackupKeyPair({ name: "Backup Test", email: "backup@example.org", passphrase: PASSPHRASE });
  plainPair = await generateBackupKeyPair({ name: "No Passphrase" });
  recipients = await readPublicKeys([protectedPair.publicArmored]);
  decryptionKey = await readDecryptionKey(protectedPair.privateArmored, PASSPHRASE);
  otherKey = await readDecryptionKey(plainPair.privateArmored);
});

describe("keys", () => {
  it("generates v4 ed25519/cv25519 keys that advertise MDC but not SEIPDv2", async () => {
    const key = (await readPublicKeys([protectedPair.publicArmored]))[0]!;
    expect(key.keyPacket.version).toBe(4);
    expect(key.getAlgorithmInfo()).toEqual({ algorithm: "eddsaLegacy", curve: "ed25519Legacy" });
    expect(key.subkeys.map((s) => s.getAlgorithmInfo())).toEqual([{ algorithm: "ecdh", curve: "curve25519Legacy" }]);
    // Not in openpgp's typings, but public at runtime.
    type SelfSignature = { features: number[] | null; preferredCipherSuites: unknown };
    const withSelfSig = key as unknown as { getPrimarySelfSignature(): Promise<SelfSignature> };
    const selfSig = await withSelfSig.getPrimarySelfSignature();
    expect(selfSig.features).toEqual([0x01]); // MDC only; 0x08 would advertise SEIPDv2
    expect(selfSig.preferredCipherSuites ?? null).toBeNull();
    expect(protectedPair.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(fingerprintOf(key)).toBe(protectedPair.fingerprint);
  });

  it("reads the public part of a private key file", async () => {
    const [key] = await readPublicKeys([plainPair.privateArmored]);
    expect(key?.isPrivate()).toBe(false);
    expect(fingerprintOf(key!)).toBe(plainPair.fingerprint);
  });

  it("rejects texts that are not keys with a precise message", async () => {
    await expect(readPublicKeys([protectedPair.publicArmored, "hello"])).rejects.toThrow(
      /^recipient key #2 is not an OpenPGP key: no armored OpenPGP block found/,
    );
    const message = openpgp.armor(openpgp.enums.armor.message, await encryptBytes(new Uint8Array([1]), recipients));
    await expect(readPublicKeys([message])).rejects.toThrow(/recipient key #1 is not an OpenPGP key: found a "PGP MESSAGE" block/);
  });

  it("distinguishes public key, missing passphrase and wrong passphrase", async () => {
    await expect(readDecryptionKey(protectedPair.publicArmored)).rejects.toThrow(
      `not a private key: this is the public key ${protectedPair.fingerprint}`,
    );
    await expect(readDecryptionKey("garbage")).rejects.toThrow(/^not a private key: no armored OpenPGP block found/);
    await expect(readDecryptionKey(protectedPair.privateArmored)).rejects.toThrow(/^private key is protected: passphrase needed/);
    await expect(readDecryptionKey(protectedPair.privateArmored, "nope")).rejects.toThrow(
      `wrong passphrase for key ${protectedPair.fingerprint}`,
    );
  });
});

describe("encryptStream / decryptStream", () => {
  it("round-trips a few MiB, also when delivered in small chunks", async () => {
    const data = randomBytes(3 * MiB + 123);
    const ciphertext = await encryptToBuffer(data, recipients);
    expect(ciphertext.length).toBeGreaterThan(data.length);
    expect(sha256(await decryptToBuffer(ciphertext, decryptionKey))).toBe(sha256(data));

    const smallIn = await buffer(await encryptStream(chunked(data, 1000), recipients));
    const smallOut = await buffer(await decryptStream(chunked(smallIn, 777), decryptionKey));
    expect(sha256(smallOut)).toBe(sha256(data));
  }, 60_000);

  it("round-trips empty input", async () => {
    const ciphertext = await encryptToBuffer(new Uint8Array(0), recipients);
    expect((await decryptToBuffer(ciphertext, decryptionKey)).length).toBe(0);
  });

  it("writes SEIPDv1 without compression even for recipients that advertise SEIPDv2", async () => {
    const { publicKey } = await openpgp.generateKey({
      userIDs: [{ name: "aead" }],
      format: "object",
      config: { aeadProtect: true },
    });
    const data = new TextEncoder().encode("x".repeat(1000));
    // Baseline: left alone, OpenPGP.js v6 would pick SEIPDv2 for this key.
    const plain = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: data }), encryptionKeys: publicKey, format: "binary" });
    const packetsOf = async (bytes: Uint8Array) => (await openpgp.readMessage({ binaryMessage: bytes })).packets;
    expect((await packetsOf(plain))[1]).toMatchObject({ version: 2 });

    for (const ours of [await encryptToBuffer(data, [publicKey]), await encryptBytes(data, [publicKey])]) {
      const seipd = (await packetsOf(ours))[1] as openpgp.SymEncryptedIntegrityProtectedDataPacket;
      expect(seipd.constructor.name).toBe("SymEncryptedIntegrityProtectedDataPacket");
      expect(seipd).toMatchObject({ version: 1 });
    }
  });

  it("round-trips a signed stream without unhandled rejections", async () => {
    const data = randomBytes(200 * 1024);
    const ciphertext = await encryptToBuffer(data, recipients, otherKey);
    expect(sha256(await decryptToBuffer(ciphertext, decryptionKey))).toBe(sha256(data));
  });

  it("reads the input lazily: backpressure reaches the source", async () => {
    const source = lazySource(1024 * MiB);
    const encrypted = await encryptStream(source, recipients);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const beforeReading = source.produced;
    let received = 0;
    for await (const chunk of encrypted) {
      received += (chunk as Buffer).length;
      if (received > 4 * MiB) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    // openpgp.js reads about a dozen chunks ahead; encryptStream hands it chunks of 256 KiB.
    expect(beforeReading).toBeLessThan(4 * MiB);
    expect(source.produced).toBeLessThan(16 * MiB);
    expect(source.destroyed).toBe(true);
  });

  it("rejects with a clear message when decrypting with the wrong key", async () => {
    const ciphertext = await encryptToBuffer(randomBytes(1024), recipients);
    const source = Readable.from([ciphertext]);
    await expect(decryptStream(source, otherKey)).rejects.toThrow(
      new RegExp(`^this backup is not encrypted to key ${plainPair.fingerprint}: use the private key matching one of the recipients`),
    );
    expect(source.destroyed).toBe(true);
  });

  it("reports a flipped byte or truncation as a stream error, not a hang", async () => {
    const ciphertext = await encryptToBuffer(randomBytes(2 * MiB), recipients);
    const flipped = Buffer.from(ciphertext);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    await expect(decryptToBuffer(flipped, decryptionKey)).rejects.toThrow(
      /^integrity check failed: the data was modified or truncated/,
    );
    const truncated = ciphertext.subarray(0, ciphertext.length - 1000);
    await expect(decryptToBuffer(truncated, decryptionKey)).rejects.toThrow(/^integrity check failed/);
    // Not random bytes: those can happen to parse as a session key packet for some other key.
    const notOpenpgp = Buffer.from("this is not an OpenPGP message\n".repeat(160));
    await expect(decryptToBuffer(notOpenpgp, decryptionKey)).rejects.toThrow(/^integrity check failed/);
  });

  it("passes I/O errors of the input through unchanged", async () => {
    const ciphertext = await encryptToBuffer(randomBytes(4 * MiB), recipients);
    const failing = Readable.from(
      (async function* () {
        yield ciphertext.subarray(0, MiB);
        throw new Error("EIO: disk went away");
      })(),
      { objectMode: false },
    );
    // Early in the message (the first MiB is read ahead to re-frame it) it rejects the call, later the stream.
    await expect((async () => buffer(await decryptStream(failing, decryptionKey)))()).rejects.toThrow("EIO: disk went away");
  });

  it("encrypts ~200 MiB with bounded memory", async () => {
    const total = 200 * MiB;
    const source = lazySource(total, 256 * 1024);
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    const hash = createHash("sha256");
    let size = 0;
    try {
      const encrypted = await encryptStream(source, recipients);
      encrypted.on("data", (chunk: Buffer) => (size += chunk.length));
      await pipeline(encrypted, hash);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage.rss());
    expect(source.produced).toBe(total);
    expect(size).toBeGreaterThan(total);
    expect(hash.digest("hex")).toMatch(/^[0-9a-f]{64}$/);
    expect(peak - before).toBeLessThan(150 * MiB);
  }, 30_000);
});

describe("encryptBytes / decryptBytes", () => {
  const manifest = new TextEncoder().encode(JSON.stringify({ files: ["a", "b"], sha256: "00".repeat(32) }));

  it("round-trips", async () => {
    const ciphertext = await encryptBytes(manifest, recipients);
    expect(Buffer.from(ciphertext).includes(Buffer.from("files"))).toBe(false);
    expect(await decryptBytes(ciphertext, decryptionKey)).toEqual(manifest);
  });

  it("gives clear errors for a wrong key and a flipped byte", async () => {
    const ciphertext = await encryptBytes(manifest, recipients);
    await expect(decryptBytes(ciphertext, otherKey)).rejects.toThrow(
      `this backup is not encrypted to key ${plainPair.fingerprint}: use the private key matching one of the recipients`,
    );
    const flipped = Uint8Array.from(ciphertext);
    flipped[flipped.length - 10]! ^= 0x80;
    await expect(decryptBytes(flipped, decryptionKey)).rejects.toThrow(
      /^integrity check failed: the data was modified or truncated/,
    );
  });

  it("requires a valid signature by the expected key when asked", async () => {
    const signerPublic = otherKey.toPublic();
    const signed = await encryptBytes(manifest, recipients, otherKey);
    expect(await decryptBytes(signed, decryptionKey, [signerPublic])).toEqual(manifest);

    const unsigned = await encryptBytes(manifest, recipients);
    await expect(decryptBytes(unsigned, decryptionKey, [signerPublic])).rejects.toThrow(
      /^signature check failed: the data is not signed/,
    );
    const wrongSigner = await encryptBytes(manifest, recipients, decryptionKey);
    await expect(decryptBytes(wrongSigner, decryptionKey, [signerPublic])).rejects.toThrow(
      new RegExp(`^signature check failed: no valid signature by ${plainPair.fingerprint}`),
    );
  });
});

describe("decryptVerifiedStream: signed metadata as a stream, checked at its end", () => {
  const payload = randomBytes(3 * MiB);
  const chunks = (data: Uint8Array) => Readable.from(split(data, 100_000));
  const split = function* (data: Uint8Array, size: number) {
    for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
  };

  it("round-trips, signed or not, in many chunks", async () => {
    const signerPublic = otherKey.toPublic();
    const signed = await encryptBytes(payload, recipients, otherKey);
    // Compared as digests: toEqual walks 3 MiB byte by byte for a minute.
    const digest = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
    expect(digest(await buffer(await decryptVerifiedStream(chunks(signed), decryptionKey, [signerPublic])))).toBe(digest(payload));
    const unsigned = await encryptBytes(payload, recipients);
    expect(digest(await buffer(await decryptVerifiedStream(chunks(unsigned), decryptionKey)))).toBe(digest(payload));
  });

  it("errors at the end, not by ending, when the signature is missing or wrong, or the data was modified", async () => {
    const signerPublic = otherKey.toPublic();
    const read = async (data: Uint8Array, verifyWith?: openpgp.PublicKey[]) => buffer(await decryptVerifiedStream(chunks(data), decryptionKey, verifyWith));
    await expect(read(await encryptBytes(payload, recipients), [signerPublic])).rejects.toThrow(/^signature check failed: the data is not signed/);
    await expect(read(await encryptBytes(payload, recipients, decryptionKey), [signerPublic])).rejects.toThrow(/^signature check failed: no valid signature/);
    const flipped = Uint8Array.from(await encryptBytes(payload, recipients));
    flipped[flipped.length - 10]! ^= 0x80;
    await expect(read(flipped)).rejects.toThrow(/^integrity check failed: the data was modified or truncated/);
    await expect(read(flipped.subarray(0, flipped.length / 2))).rejects.toThrow(/^integrity check failed/);
  });
});

describe("interoperability with GnuPG 2.2", () => {
  let gnupg: Awaited<ReturnType<typeof gnupgHome>>;
  beforeAll(async () => {
    gnupg = await gnupgHome();
  });
  afterAll(async () => {
    await gnupg?.dispose();
  });

  async function gpgDecrypts(pair: BackupKeyPair, passphrase: string) {
    const { gpg, home } = gnupg;
    await writeFile(join(home, "key.asc"), pair.privateArmored);
    await gpg(["--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import", join(home, "key.asc")], passphrase);
    const data = randomBytes(3 * MiB);
    const file = join(home, `${pair.fingerprint}.gpg`);
    await writeFile(file, await encryptToBuffer(data, await readPublicKeys([pair.publicArmored])));

    const packets = text((await gpg(["--list-packets", "--pinentry-mode", "loopback", "--passphrase-fd", "0", file], passphrase)).stdout);
    expect(packets).toMatch(/:encrypted data packet:\s+length: unknown\s+mdc_method: 2/);
    expect(packets).not.toMatch(/compressed packet|aead/i);

    const out = join(home, `${pair.fingerprint}.out`);
    await gpg(["--pinentry-mode", "loopback", "--passphrase-fd", "0", "--output", out, "--decrypt", file], passphrase);
    expect(sha256(await readFile(out))).toBe(sha256(data));
  }

  it("gpg decrypts our output with a passphrase-protected generated key", async () => {
    await gpgDecrypts(protectedPair, PASSPHRASE);
  }, 60_000);

  it("gpg decrypts our output with an unprotected generated key", async () => {
    await gpgDecrypts(plainPair, "");
  }, 60_000);

  it("a gpg-generated key works with our encrypt and decrypt, and we decrypt gpg's output", async () => {
    const { gpg, home } = gnupg;
    const uid = "GPG Made <gpg-made@example.org>";
    await gpg(["--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign,cert", "never"]);
    const colons = text((await gpg(["--with-colons", "--list-keys", uid])).stdout);
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
    expect(fpr).toBeDefined();
    await gpg(["--passphrase", "", "--quick-add-key", fpr!, "cv25519", "encr", "never"]);
    const publicArmored = text((await gpg(["--armor", "--export", fpr!])).stdout);
    const secretArmored = text(
      (await gpg(["--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--export-secret-keys", fpr!])).stdout,
    );

    const keys = await readPublicKeys([publicArmored]);
    expect(fingerprintOf(keys[0]!)).toBe(fpr);
    const key = await readDecryptionKey(secretArmored);
    const data = randomBytes(MiB + 7);
    data[data.length - 1] = 0x0a; // binary output must not lose a trailing newline (execa strips one by default)
    const ciphertext = await encryptToBuffer(data, keys);
    expect(sha256(await decryptToBuffer(ciphertext, key))).toBe(sha256(data));
    expect(await decryptBytes(await encryptBytes(data, keys), key)).toEqual(new Uint8Array(data));

    const file = join(home, "ours-for-gpg-key.gpg");
    await writeFile(file, ciphertext);
    const fromGpg = await gpg(["--decrypt", file]);
    expect(sha256(fromGpg.stdout)).toBe(sha256(data));

    // The other direction: gpg's own (zlib-compressed) output through decryptStream.
    const plainFile = join(home, "plain.bin");
    await writeFile(plainFile, data);
    const gpgCiphertext = (await gpg(["--trust-model", "always", "--recipient", fpr!, "--encrypt", "--output", "-", plainFile])).stdout;
    expect(sha256(await decryptToBuffer(gpgCiphertext, key))).toBe(sha256(data));
  }, 60_000);
});
