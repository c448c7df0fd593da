import { describe, expect, it } from "vitest";
import { createHmac, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fingerprint, judgeHostKey, knownKeys } from "../../plugins/store/sftp/known-hosts.js";
import { scratchDir } from "../helpers/cli.js";

const key = Buffer.from("AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", "base64");
const other = Buffer.from("AAAAC3NzaC1lZDI1NTE5AAAAIBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "base64");

describe("known_hosts", () => {
  it("finds plain, [host]:port and hashed entries, and ignores @revoked and other hosts", async () => {
    const dir = await scratchDir("cryptkeep-kh-");
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update("[backup.example]:2222").digest("base64")}`;
    const file = join(dir, "known_hosts");
    await writeFile(file, [
      "# comment", `plain.example,10.0.0.1 ssh-ed25519 ${key.toString("base64")}`,
      `${hashed} ssh-ed25519 ${key.toString("base64")}`,
      `@revoked revoked.example ssh-ed25519 ${key.toString("base64")}`, "",
    ].join("\n"));
    expect(await knownKeys(file, "plain.example", 22)).toEqual([key.toString("base64")]);
    expect(await knownKeys(file, "10.0.0.1", 22)).toEqual([key.toString("base64")]);
    expect(await knownKeys(file, "plain.example", 2222)).toEqual([]);
    expect(await knownKeys(file, "backup.example", 2222)).toEqual([key.toString("base64")]);
    expect(await knownKeys(file, "revoked.example", 22)).toEqual([]);
    expect(await knownKeys(join(dir, "absent"), "plain.example", 22)).toEqual([]);
  });

  it("judges a key known, unknown or changed, and prints ssh's fingerprint", () => {
    expect(judgeHostKey([key.toString("base64")], key)).toBe("known");
    expect(judgeHostKey([], key)).toBe("unknown");
    expect(judgeHostKey([key.toString("base64")], other)).toBe("changed");
    expect(fingerprint(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
