import { execa } from "execa";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, ROOT, scratchDir } from "../helpers/cli.js";
import { hostHasDmCrypt } from "../vm/dm-crypt.js";

/** Runs on this machine's own kernel, without the VM: whatever the kernel, the user is told plainly. */
const direct = hostHasDmCrypt();

describe("on this host's own kernel: doctor and init say whether LUKS can be opened here", () => {
  it(direct ? "doctor finds dm-crypt usable" : "doctor fails with the fix, and init leaves no image, key or header behind", async () => {
    const dir = await scratchDir("cryptkeep-luks-host-");
    await writeFile(join(dir, "backup.config.mjs"), `import { defineConfig } from "${join(ROOT, "dist/core/index.js")}";
import { luksImage } from "${join(ROOT, "dist/presets/index.js")}";
export default defineConfig({ jobs: { photos: luksImage({ source: "./src", image: "./disk/photos.img", size: "64M",
  key: { file: "./keys/photos.key" }, generateKey: true, headerBackup: "./keys/photos.header", format: { pbkdf: "pbkdf2", iterations: 1000 } }) } });
`);
    await mkdir(join(dir, "src"));
    const run = (args: string[]) => execa("node", [BIN, ...args], { cwd: dir, reject: false, env: { XDG_CACHE_HOME: join(dir, "cache") } });
    const doctor = await run(["doctor", "photos"]);
    if (direct) {
      expect(doctor.stdout).toMatch(/ok {3}dm-crypt/);
      return;
    }
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL device-mapper: this kernel cannot open LUKS containers: device-mapper is not available .*modprobe dm_mod dm_crypt/);
    const init = await run(["init", "photos"]);
    expect(init.exitCode).toBe(1);
    expect(init.stderr).toContain("this kernel cannot open LUKS containers");
    expect(await readdir(join(dir, "disk"))).toEqual([]);
    expect(await readdir(join(dir, "keys"))).toEqual([]);
  });
});
