import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * A cryptkeep preset as a bench tool, through the built CLI as a user runs it: `init` writes a
 * backup.config.ts with one job "bench" = `preset(options(w))`; every command runs with --quiet
 * and its own cache folder. `env`: extra environment (a secret source's variable).
 */
export function cryptkeepTool({ name, preset, options, about, requires = [], env = {}, notRestored }) {
  const cli = (w, args) => ({
    argv: [process.execPath, join(w.root, "bin/cryptkeep.js"), ...args, "--quiet"], cwd: w.dir,
    env: { XDG_CACHE_HOME: join(w.dir, "cache"), ...env },
  });
  return {
    name, requires, notRestored,
    version: () => `${preset} preset${about ? `, ${about}` : ""}, built CLI`,
    async init(w) {
      const body = JSON.stringify(options(w), null, 2).replaceAll("\n", "\n    ");
      await writeFile(join(w.dir, "backup.config.ts"), `import { defineConfig } from "cryptkeep";
import { ${preset} } from "cryptkeep/presets";

export default defineConfig({
  jobs: {
    bench: ${preset}(${body}),
  },
});
`);
      return cli(w, ["init", "bench"]);
    },
    backup: (w) => cli(w, ["backup", "bench"]),
    restore: (w, to) => cli(w, ["restore", "bench", "--to", to]),
    restoreOne: (w, path, to) => cli(w, ["restore", "bench", "--to", to, "--path", path]),
    restoredRoot: (_w, to) => to,
    verify: (w) => cli(w, ["verify", "bench"]),
  };
}
