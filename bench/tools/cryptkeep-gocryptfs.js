import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { REVERSE_CONF, GOCRYPTFS_ENV } from "./gocryptfs-hand.js";

/**
 * cryptkeep's gocryptfsReverse preset through the built CLI, as a user runs it, to a local
 * target folder (the same place the hand commands write to).
 */
const cli = (w, args) => ({
  argv: [process.execPath, join(w.root, "bin/cryptkeep.js"), ...args, "--quiet"], cwd: w.dir,
  env: { XDG_CACHE_HOME: join(w.dir, "cache"), ...GOCRYPTFS_ENV },
});

export default {
  name: "cryptkeep-gocryptfs",
  version: () => "gocryptfsReverse preset, local target, built CLI",
  notRestored: [REVERSE_CONF],
  async init(w) {
    await writeFile(join(w.dir, "backup.config.ts"), `import { defineConfig } from "cryptkeep";
import { gocryptfsReverse } from "cryptkeep/presets";

export default defineConfig({
  jobs: {
    bench: gocryptfsReverse({
      source: ${JSON.stringify(w.source)},
      password: { env: ${JSON.stringify(Object.keys(GOCRYPTFS_ENV)[0])} },
      target: { local: ${JSON.stringify(w.repo)} },
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
