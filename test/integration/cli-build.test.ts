import { execa } from "execa";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { BIN, ROOT, scratchDir } from "../helpers/cli.js";

// The built, bundled CLI as installed: its version, its help, and the package's public entry points.
describe("the built CLI", () => {
  it("prints its version from package.json with --version and -V", async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const result = await execa("node", [BIN, flag], { reject: false });
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trim()).toBe(version);
    }
  });

  it("shows examples and exit codes in --help", async () => {
    const result = await execa("node", [BIN, "--help"], { reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Examples:");
    expect(result.stdout).toContain("cryptkeep backup");
    expect(result.stdout).toMatch(/Exit codes: 0 ok/);
  });

  it("its public entry points (cryptkeep, cryptkeep/presets, cryptkeep/plugins) load on their own and export the presets and plugins", async () => {
    const dir = await scratchDir("cryptkeep-build-");
    const entry = (path: string) => pathToFileURL(join(ROOT, "dist", path)).href;
    await writeFile(join(dir, "check.mjs"), `
import * as core from "${entry("core/index.js")}";
import * as presets from "${entry("presets/index.js")}";
import * as plugins from "${entry("plugins/index.js")}";
console.log(JSON.stringify({
  presets: Object.keys(presets).sort(), plugins: Object.keys(plugins).length,
  defineConfig: typeof core.defineConfig, secretIsShared: new core.Secret("x") instanceof core.Secret,
}));
`);
    const result = await execa("node", [join(dir, "check.mjs")], { reject: false });
    expect(result.stderr).toBe("");
    const seen = JSON.parse(result.stdout) as { presets: string[]; plugins: number; defineConfig: string };
    expect(seen.defineConfig).toBe("function");
    expect(seen.presets).toEqual(expect.arrayContaining(["gpgIncremental", "gocryptfsReverse", "rsyncSnapshots", "luksImage", "sshfsLuks"]));
    expect(seen.plugins).toBeGreaterThan(10);
  });
});
