import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { cli, json, ok, workspace, type CliResult, type Workspace } from "../helpers/cli.js";
import { tree, type Tree } from "../helpers/tree.js";
import { completeIds, editConfig, exists, expectFailure, filesUnder, removeWorkspace, snapshotList } from "../helpers/failures.js";

const IDENTITY = `identity: { key: { file: "./keys/backup.sec.asc" }, passphrase: { env: "CK_PASSPHRASE" } },`;
const NO_IDENTITY = "/* no identity */";

/** Issue: bad keys and secrets, with the real CLI, openpgp.js keys and GNU tar. */
describe("gpgIncremental failures: keys, passphrases and secrets", () => {
  let ws: Workspace;
  let state: Tree;

  beforeAll(async () => {
    ws = await workspace({ volumeSize: "128KiB" });
    await writeFile(join(ws.source, "letter.txt"), "dear diary\n");
    await writeFile(join(ws.source, "photo.bin"), randomBytes(300_000));
    await ok(ws, ["backup", "documents"]);
    state = await tree(ws.source);
    await ok(ws, ["keygen", "--out", "./keys/other", "--name", "someone else", "--passphrase-env", "CK_PASSPHRASE"]);
  });
  afterAll(() => removeWorkspace(ws));

  it("restore and verify with a private key the backup is not encrypted to: exit 1, names the key and the fix", async () => {
    const out = join(ws.dir, "out-wrong-key");
    const restore = await cli(ws, ["restore", "documents", "--to", out, "--identity", "./keys/other.sec.asc"]);
    expectFailure(restore, 1, /cannot decrypt: this backup is not encrypted to key [0-9A-F]{40}: use the private key matching one of the recipients \(recipient key IDs: [0-9A-F]{16}\)/,
      "set identity.key in the config (or pass --identity FILE) to the private key of one of the job's recipients");
    expect(await exists(out) ? await readdir(out) : []).toEqual([]);
    const verify = await cli(ws, ["verify", "documents", "--identity", "./keys/other.sec.asc"]);
    expectFailure(verify, 1, "is not encrypted to key", "private key of one of the job's recipients");
    expect(verify.stdout).not.toContain("DAMAGED");

    // The same key set in the config rather than on the command line.
    await editConfig(ws, "./keys/backup.sec.asc", "./keys/other.sec.asc");
    expectFailure(await cli(ws, ["verify", "documents"]), 1, "is not encrypted to key", "identity.key");
    await editConfig(ws, "./keys/other.sec.asc", "./keys/backup.sec.asc");
    await expectRestores(ws, state, "out-right-key");
  });

  it("restore and verify without an identity, and without a terminal to ask the passphrase on: exit 1, says what to configure", async () => {
    await editConfig(ws, IDENTITY, NO_IDENTITY);
    for (const args of [["restore", "documents", "--to", join(ws.dir, "out-no-key")], ["verify", "documents"]]) {
      expectFailure(await cli(ws, args), 1, "job 'documents': this needs the private key, and none is configured",
        "set identity: { key: { file: '...' }, passphrase: { env: '...' } } in the job, or pass --identity FILE");
    }
    await editConfig(ws, NO_IDENTITY, IDENTITY.replace(`, passphrase: { env: "CK_PASSPHRASE" }`, ""));
    for (const args of [["restore", "documents", "--to", join(ws.dir, "out-no-tty")], ["verify", "documents"]]) {
      const result = await cli(ws, args);
      expectFailure(result, 1, "passphrase of the private key: Passphrase of the backup private key is needed but there is no terminal to ask on",
        "give it in the config as { env: 'NAME' }, { file: 'path' } or { command: '...' }");
      expect(result.stdout).not.toContain("DAMAGED");
    }
    await editConfig(ws, IDENTITY.replace(`, passphrase: { env: "CK_PASSPHRASE" }`, ""), IDENTITY);
    await expectRestores(ws, state, "out-identity-back");
  });

  it("a recipient key file that is not an OpenPGP key: the backup fails naming the file and its fix, and adds no snapshot", async () => {
    const before = await completeIds(ws);
    await writeFile(join(ws.dir, "keys/not-a-key.asc"), "this is not a key\n");
    await editConfig(ws, `recipients: ["./keys/backup.pub.asc"]`, `recipients: ["./keys/not-a-key.asc"]`);
    try {
      await writeFile(join(ws.source, "new.txt"), "added after the first backup\n");
      const backup = await cli(ws, ["backup", "documents"]);
      expectFailure(backup, 1, /keys\/not-a-key\.asc: /, "point 'recipients' at armored OpenPGP public keys");
      expect(await completeIds(ws)).toEqual(before);
    } finally {
      await editConfig(ws, `recipients: ["./keys/not-a-key.asc"]`, `recipients: ["./keys/backup.pub.asc"]`);
      await rm(join(ws.source, "new.txt"));
    }
  });

  it("a wrong passphrase: exit 1, says where the passphrase came from, and neither passphrase is ever printed", async () => {
    const wrong = { CK_PASSPHRASE: "wrong horse battery staple" };
    const outputs: CliResult[] = [];
    for (const debug of [[], ["--debug"]]) {
      const restore = await cli(ws, [...debug, "restore", "documents", "--to", join(ws.dir, `out-wrong-pass${debug.length}`)], wrong);
      const verify = await cli(ws, [...debug, "verify", "documents"], wrong);
      outputs.push(restore, verify);
      for (const result of [restore, verify]) {
        expect(result.exitCode, result.stderr).toBe(1);
        expect(result.stderr).toMatch(/^error: documents: cannot decrypt: wrong passphrase for key [0-9A-F]{40}$/m);
        expect(result.stderr).toContain("hint: the passphrase comes from environment variable CK_PASSPHRASE: put the passphrase of this key there");
        if (debug.length === 0) expectFailure(result, 1, "wrong passphrase", "CK_PASSPHRASE");
      }
    }
    for (const { stdout, stderr } of outputs) {
      expect(stdout + stderr).not.toContain(wrong.CK_PASSPHRASE);
      expect(stdout + stderr).not.toContain(ws.passphrase);
    }
    await expectRestores(ws, state, "out-right-pass");
  });

  it("lost local state is rebuilt from the target with the private key; without one, a full backup is made instead", async () => {
    await rm(ws.cache, { recursive: true, force: true });
    await writeFile(join(ws.source, "new.txt"), "after the cache was lost\n");
    const rebuilt = await ok(ws, ["backup", "documents", "--json"]);
    expect(rebuilt.stderr).toMatch(/local state for \S+ was missing from \S+: rebuilt it from the encrypted copy at the target/);
    expect(json<{ jobs: { result: { type: string; newFiles: number } }[] }>(rebuilt).jobs[0]!.result).toMatchObject({ type: "incremental", newFiles: 1 });

    await rm(ws.cache, { recursive: true, force: true });
    await editConfig(ws, IDENTITY, NO_IDENTITY);
    await writeFile(join(ws.source, "newer.txt"), "and lost again\n");
    const full = await ok(ws, ["backup", "documents"]);
    expect(full.stderr).toMatch(/^warning: local state for \S+ is missing and no private key is configured to rebuild it: making a new full backup$/m);
    expect(full.stderr).not.toContain("rebuilt");
    expect(full.stdout).toMatch(/Snapshot\s+\S+ \(full\)/);
    await editConfig(ws, NO_IDENTITY, IDENTITY);
    expect((await snapshotList(ws)).map((s) => `${s.type} ${s.complete}`)).toEqual(["full true", "incremental true", "full true"]);
    state = await tree(ws.source);
    await expectRestores(ws, state, "out-after-rebuild");
    expect((await ok(ws, ["verify", "documents"])).stdout).toContain("0 difference(s) found");
  });

  it("a passphrase file others can read is refused with the chmod to run; the passphrase is in no output, log, plan, cache or vault file", async () => {
    const passFile = join(ws.dir, "pass.txt");
    await writeFile(passFile, `${ws.passphrase}\n`, { mode: 0o644 });
    await chmod(passFile, 0o644);
    await editConfig(ws, `passphrase: { env: "CK_PASSPHRASE" }`, `passphrase: { file: "./pass.txt" }`);
    const noEnv = { CK_PASSPHRASE: "" };
    const outputs: CliResult[] = [];
    const open = await cli(ws, ["restore", "documents", "--to", join(ws.dir, "out-open-file")], noEnv);
    expectFailure(open, 1, new RegExp(`passphrase of the private key: secret file ${passFile} .*others \\(mode 0644\\)`), `run: chmod 600 ${passFile}`);
    const verifyOpen = await cli(ws, ["verify", "documents"], noEnv);
    expectFailure(verifyOpen, 1, `secret file ${passFile}`, `run: chmod 600 ${passFile}`);
    expect(verifyOpen.stdout).not.toContain("DAMAGED");
    outputs.push(open, verifyOpen);

    await chmod(passFile, 0o600);
    await writeFile(join(ws.source, "last.txt"), "with the passphrase in a file\n");
    outputs.push(await ok(ws, ["plan", "documents"], noEnv));
    outputs.push(await ok(ws, ["--debug", "backup", "documents"], noEnv));
    outputs.push(await ok(ws, ["--debug", "verify", "documents"], noEnv));
    outputs.push(await ok(ws, ["--debug", "restore", "documents", "--to", join(ws.dir, "out-file-pass")], noEnv));
    outputs.push(await ok(ws, ["--debug", "--json", "restore", "documents", "--to", join(ws.dir, "out-file-pass-json")], noEnv));
    expect(await tree(join(ws.dir, "out-file-pass"))).toEqual(await tree(ws.source));
    expect(outputs[3]!.stderr).toMatch(/^run: tar --create /m);
    for (const { stdout, stderr } of outputs) expect(stdout + stderr).not.toContain(ws.passphrase);

    for (const root of [ws.cache, ws.vault]) {
      const files = await filesUnder(root);
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expect((await readFile(join(root, file))).includes(ws.passphrase), `${root}/${file}`).toBe(false);
    }
    await editConfig(ws, `passphrase: { file: "./pass.txt" }`, `passphrase: { env: "CK_PASSPHRASE" }`);
    expect(await completeIds(ws)).toHaveLength(4);
  });
});

/** Restores the latest snapshot into a new folder and compares it with the expected tree. */
async function expectRestores(ws: Workspace, expected: Tree, folder: string): Promise<void> {
  await ok(ws, ["restore", "documents", "--to", join(ws.dir, folder)]);
  expect(await tree(join(ws.dir, folder))).toEqual(expected);
}
