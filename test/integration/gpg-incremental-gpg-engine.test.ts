import { describe, expect, it } from "vitest";
import { appendFile, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, ok, workspace, writeConfig } from "../helpers/cli.js";
import { tree } from "../helpers/tree.js";
import { runRecipe } from "../helpers/gpg.js";

const gpgHomesLeft = async () => (await readdir(tmpdir())).filter((name) => name.startsWith("cryptkeep-gpg-"));

describe("gpgIncremental and the GnuPG binary: gpg for backups (encryptWith \"auto\" or \"gpg\"), gpg for restores where installed", () => {
  it("restores a chain the same with cryptkeep and with the standard tools, verifies, and leaves no gpg home behind", async () => {
    const before = await gpgHomesLeft();
    const ws = await workspace({ compression: "zstd", volumeSize: "100KiB", extra: "encryptWith: \"gpg\"," });
    await writeFile(join(ws.source, "text.txt"), "compressible line\n".repeat(20_000));
    await writeFile(join(ws.source, "random.bin"), randomBytes(250_000));
    await ok(ws, ["backup", "documents"]);
    await appendFile(join(ws.source, "text.txt"), "one more\n");
    await rm(join(ws.source, "random.bin"));
    await writeFile(join(ws.source, "new.bin"), randomBytes(120_000));
    const second = await ok(ws, ["backup", "documents", "--json"]);
    expect(JSON.parse(second.stdout).jobs[0].result).toMatchObject({ type: "incremental", newFiles: 1, changedFiles: 1, deletedFiles: 1 });

    const expected = await tree(ws.source);
    await ok(ws, ["restore", "documents", "--to", join(ws.dir, "out")]);
    expect(await tree(join(ws.dir, "out"))).toEqual(expected);
    expect(await tree(await runRecipe(ws, (await ok(ws, ["recipe", "documents"])).stdout))).toEqual(expected);
    expect((await ok(ws, ["verify", "documents"])).stdout).toContain("0 difference(s) found");
    expect(await gpgHomesLeft()).toEqual(before);
  });

  it("volumes encrypted by openpgp.js (encryptWith: \"openpgp.js\") restore and verify through gpg where it is installed, and through openpgp.js where it is not", async () => {
    const before = await gpgHomesLeft();
    const ws = await workspace({ compression: "zstd", volumeSize: "100KiB", extra: "encryptWith: \"openpgp.js\"," });
    await writeFile(join(ws.source, "text.txt"), "compressible line\n".repeat(20_000));
    await writeFile(join(ws.source, "random.bin"), randomBytes(250_000));
    await ok(ws, ["backup", "documents"]);
    await appendFile(join(ws.source, "text.txt"), "one more\n");
    await ok(ws, ["backup", "documents"]);
    const expected = await tree(ws.source);
    // gpg and zstd joined by a pipe, as the recipe runs them: the compressed bytes do not pass through cryptkeep.
    const gpgDecrypts = /run: gpg --homedir \S+cryptkeep-gpg-\S+ .*--override-session-key-fd 3 --decrypt \| zstd -q -d -c -\n/;
    // A restore joins them to tar too: node does not touch the plaintext either.
    const gpgIntoTar = /run: tar --extract .*\(reading what is piped into it\)\nrun: gpg --homedir \S+cryptkeep-gpg-\S+ .*--override-session-key-fd 3 --decrypt \| zstd -q -d -c - \(into a running command's stdin\)\n/;

    const withGpg = await ok(ws, ["--debug", "restore", "documents", "--to", join(ws.dir, "with-gpg")]);
    expect(withGpg.stderr).toMatch(gpgIntoTar);
    expect(await tree(join(ws.dir, "with-gpg"))).toEqual(expected);
    const verified = await ok(ws, ["--debug", "verify", "documents"]);
    expect(verified.stdout).toContain("0 difference(s) found");
    expect(verified.stderr).toMatch(gpgDecrypts);

    const config = await readFile(ws.config, "utf8");
    await writeFile(ws.config, config.replace("export default defineConfig({", "export default defineConfig({\n  tools: { gpg: \"/nonexistent/gpg\" },"));
    const withoutGpg = await ok(ws, ["--debug", "restore", "documents", "--to", join(ws.dir, "without-gpg")]);
    expect(withoutGpg.stderr).not.toMatch(/--override-session-key-fd/);
    expect(await tree(join(ws.dir, "without-gpg"))).toEqual(expected);
    expect((await ok(ws, ["verify", "documents"])).stdout).toContain("0 difference(s) found");
    expect(await gpgHomesLeft()).toEqual(before);
  });

  it("by default (encryptWith: \"auto\") gpg encrypts the volumes where installed, writing them into the target itself; openpgp.js where it is not", async () => {
    const before = await gpgHomesLeft();
    const ws = await workspace({ compression: "zstd", volumeSize: "100KiB" });
    await writeFile(join(ws.source, "text.txt"), "compressible line\n".repeat(20_000));
    await writeFile(join(ws.source, "random.bin"), randomBytes(250_000));
    const plan = (await ok(ws, ["plan", "documents"])).stdout;
    expect(plan).toContain("gpg for volumes where installed (openpgp.js where not)");
    expect(plan).toMatch(/\$ zstd -q -c -\d+ -T0 - \| gpg --homedir \S+cryptkeep-gpg-\S+ .*--encrypt\n/);
    const first = await ok(ws, ["--debug", "backup", "documents"]);
    expect(first.stderr).toMatch(/run: zstd -q -c -\d+ -T0 - \| gpg --homedir \S+cryptkeep-gpg-\S+ .*--encrypt \(into the file being stored\)\n/);
    expect((await ok(ws, ["doctor", "documents"])).stdout).toMatch(/gpg.*encrypts the volumes of backups, and decrypts them on restore and verify, when present/);

    const config = await readFile(ws.config, "utf8");
    await writeFile(ws.config, config.replace("export default defineConfig({", "export default defineConfig({\n  tools: { gpg: \"/nonexistent/gpg\" },"));
    await appendFile(join(ws.source, "text.txt"), "one more\n");
    const second = await ok(ws, ["--debug", "backup", "documents"]);
    expect(second.stderr).not.toMatch(/run: zstd .*\| gpg/);
    const expected = await tree(ws.source);
    await ok(ws, ["restore", "documents", "--to", join(ws.dir, "out")]);
    expect(await tree(join(ws.dir, "out"))).toEqual(expected);
    await writeFile(ws.config, config);
    expect(await tree(await runRecipe(ws, (await ok(ws, ["recipe", "documents"])).stdout))).toEqual(expected);
    expect((await ok(ws, ["verify", "documents"])).stdout).toContain("0 difference(s) found");
    expect(await gpgHomesLeft()).toEqual(before);
  });

  it("plan shows zstd piped into gpg, and doctor requires gpg", async () => {
    const ws = await workspace({ compression: "zstd", extra: "encryptWith: \"gpg\"," });
    const plan = (await ok(ws, ["plan", "documents"])).stdout;
    expect(plan).toContain("gpg for volumes, openpgp.js for manifests");
    // zstd and gpg joined by a pipe, as a shell would: the compressed bytes do not pass through cryptkeep.
    expect(plan).toMatch(/\$ zstd -q -c -\d+ -T0 - \| gpg --homedir \S+cryptkeep-gpg-\S+ .*--recipient-file \S+backup\.pub\.asc --encrypt\n/);
    expect((await ok(ws, ["doctor", "documents"])).stdout).toMatch(/gpg.*encrypts and decrypts the volumes of backups/);
  });

  it("a gpg that fails (here one that exits 1) fails the backup naming the command, and leaves no volume and no gpg home", async () => {
    const before = await gpgHomesLeft();
    const ws = await workspace({ extra: "encryptWith: \"gpg\"," });
    await writeFile(join(ws.source, "a.bin"), randomBytes(300_000));
    const config = await readFile(ws.config, "utf8");
    await writeFile(ws.config, config.replace("export default defineConfig({", "export default defineConfig({\n  tools: { gpg: \"/bin/false\" },"));
    const result = await cli(ws, ["backup", "documents"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/command failed with exit code 1: \/bin\/false --homedir \S+cryptkeep-gpg-\S+ .*--recipient-file \S+backup\.pub\.asc --encrypt/);
    expect((await ok(ws, ["snapshots", "documents"])).stdout).not.toMatch(/\d{8}T\d{6}/);
    const filesAtTarget = (await readdir(ws.vault, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
    expect(filesAtTarget).toEqual(["cryptkeep.json"]);
    expect(await gpgHomesLeft()).toEqual(before);
  });

  it("refuses an unknown engine with the choices", async () => {
    const ws = await workspace();
    await writeConfig(ws, { extra: "encryptWith: \"pgp\"," });
    const result = await cli(ws, ["backup", "documents"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/encryptWith.*"auto".*"gpg".*"openpgp\.js"/);
  });
});
