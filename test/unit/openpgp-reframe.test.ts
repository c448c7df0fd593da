import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BINARY_OUTPUT } from "../helpers/gpg.js";
import { decryptStream, generateBackupKeyPair, readDecryptionKey } from "../../plugins/encryption/openpgp/index.js";
import { gpgEncryptArgs } from "../../plugins/encryption/openpgp/gpg-engine.js";
import { reframePartialBodies } from "../../plugins/encryption/openpgp/reframe.js";

const MiB = 1 << 20;
let home: string;
let publicFile: string;
let privateArmored: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "ck-reframe-"));
  const pair = await generateBackupKeyPair({ name: "reframe test" });
  privateArmored = pair.privateArmored;
  publicFile = join(home, "backup.pub.asc");
  await writeFile(publicFile, pair.publicArmored);
  await execa("gpg", ["--homedir", home, "--batch", "--import"], { input: pair.privateArmored });
});

afterAll(async () => {
  await execa("gpgconf", ["--homedir", home, "--kill", "gpg-agent"]).catch(() => undefined);
  await rm(home, { recursive: true, force: true });
});

/** What encryptWith "gpg" writes: gpg reading a pipe, so the message is in 8 KiB partial chunks. */
async function gpgEncrypted(plaintext: Buffer): Promise<Buffer> {
  return Buffer.from((await execa("gpg", gpgEncryptArgs(home, [publicFile]), { input: Readable.from([plaintext]), ...BINARY_OUTPUT })).stdout);
}

async function reframed(message: Buffer, pieceBytes: number): Promise<Buffer> {
  const pieces = function* () {
    for (let at = 0; at < message.length; at += pieceBytes) yield message.subarray(at, at + pieceBytes);
  };
  return buffer(Readable.from(reframePartialBodies(Readable.from(pieces()))));
}

/** The body chunk sizes of the packets of a new-format message: [tag, [sizes...]] per packet. */
function framing(message: Buffer): [number, (number | string)[]][] {
  const packets: [number, (number | string)[]][] = [];
  for (let at = 0; at < message.length;) {
    const tagOctet = message[at++]!;
    const sizes: (number | string)[] = [];
    const tag = tagOctet & 0x40 ? tagOctet & 0x3f : (tagOctet >> 2) & 0x0f;
    for (;;) {
      let length: number;
      let partial = false;
      if (!(tagOctet & 0x40)) {
        const octets = [1, 2, 4][tagOctet & 3]!;
        length = message.readUIntBE(at, octets);
        at += octets;
      } else {
        const first = message[at]!;
        if (first < 192) { length = first; at += 1; }
        else if (first < 224) { length = ((first - 192) << 8) + message[at + 1]! + 192; at += 2; }
        else if (first === 255) { length = message.readUInt32BE(at + 1); at += 5; }
        else { length = 1 << (first & 0x1f); partial = true; at += 1; }
      }
      sizes.push(partial ? `${length}…` : length);
      at += length;
      if (!partial) break;
    }
    packets.push([tag, sizes]);
  }
  return packets;
}

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("re-framing gpg's partial body chunks for openpgp.js", () => {
  it("joins gpg's 8 KiB chunks into 1 MiB ones; the packet bytes are unchanged, and gpg and openpgp.js both decrypt it", async () => {
    const plaintext = randomBytes(3 * MiB + 12_345);
    const original = await gpgEncrypted(plaintext);
    const seipd = framing(original).find(([tag]) => tag === 18)!;
    expect(seipd[1][0]).toBe("8192…");

    const result = await reframed(original, 64 * 1024);
    const packets = framing(result);
    expect(packets.map(([tag]) => tag)).toEqual(framing(original).map(([tag]) => tag));
    const body = packets.find(([tag]) => tag === 18)![1];
    expect(body.slice(0, -1)).toEqual(Array(body.length - 1).fill(`${MiB}…`));
    expect(typeof body.at(-1)).toBe("number");
    // Same packet bytes: only the length octets between chunks differ.
    const originalBody = seipd[1].reduce<number>((sum, size) => sum + Number.parseInt(String(size), 10), 0);
    expect(body.reduce<number>((sum, size) => sum + Number.parseInt(String(size), 10), 0)).toBe(originalBody);

    const gpg = await execa("gpg", ["--homedir", home, "--batch", "--quiet", "--decrypt"], { input: result, ...BINARY_OUTPUT });
    expect(sha(gpg.stdout as unknown as Buffer)).toBe(sha(plaintext));
    const key = await readDecryptionKey(privateArmored);
    expect(sha(await buffer(await decryptStream(Readable.from([result]), key)))).toBe(sha(plaintext));
  });

  it("gives the same bytes however the input is cut, and at chunk boundaries (empty, tiny, exactly 1 MiB of body)", async () => {
    for (const size of [0, 100, MiB - 200, MiB, 2 * MiB]) {
      const original = await gpgEncrypted(randomBytes(size));
      const whole = await reframed(original, original.length);
      for (const piece of size <= 100 ? [1, 7] : [7919, 8192, 100_000]) expect(sha(await reframed(original, piece)), `plaintext ${size}, pieces of ${piece}`).toBe(sha(whole));
      const gpg = await execa("gpg", ["--homedir", home, "--batch", "--quiet", "--decrypt"], { input: whole, ...BINARY_OUTPUT, reject: false });
      expect(gpg.exitCode, String(gpg.stderr)).toBe(0);
      expect((gpg.stdout as unknown as Buffer).length).toBe(size);
    }
  });

  it("a message cut short still fails its decryption", async () => {
    const original = await gpgEncrypted(randomBytes(2 * MiB));
    const key = await readDecryptionKey(privateArmored);
    const cut = original.subarray(0, original.length - 5000);
    const outcome = await decryptStream(Readable.from([cut]), key).then((s) => buffer(s)).then(() => "decrypted", (error: Error) => error.message);
    expect(outcome).not.toBe("decrypted");
  });
});
