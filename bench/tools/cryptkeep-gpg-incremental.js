import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * cryptkeep's gpgIncremental preset through the built CLI, as a user runs it: zstd level 3
 * (the hand pipeline's compression), default volume size, the same recipient key as the peers.
 * `target(w)`: the preset's target option (a local folder unless a suite says otherwise).
 */
const cli = (w, args) => ({ argv: [process.execPath, join(w.root, "bin/cryptkeep.js"), ...args, "--quiet"], cwd: w.dir, env: { XDG_CACHE_HOME: join(w.dir, "cache") } });

export function gpgIncrementalTool(name, target, about = "") {
  return {
    name,
    requires: ["tar", "zstd"],
    version: () => `gpgIncremental preset, zstd -3${about}, built CLI`,
    async init(w) {
      await writeFile(join(w.dir, "backup.config.ts"), `import { defineConfig } from "cryptkeep";
import { gpgIncremental } from "cryptkeep/presets";

export default defineConfig({
  jobs: {
    bench: gpgIncremental({
      source: ${JSON.stringify(w.source)},
      target: ${JSON.stringify(target(w))},
      recipients: [${JSON.stringify(w.keys.publicFile)}],
      identity: { key: { file: ${JSON.stringify(w.keys.privateFile)} } },
      compression: "zstd",
      compressionLevel: 3,
    }),
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

export default gpgIncrementalTool("cryptkeep", (w) => ({ local: w.repo }));
