import { join } from "node:path";
import { firstLine } from "../lib/machine.js";

/** restic with its own encryption (repository password), local repository. */
const env = (w) => ({ RESTIC_PASSWORD: "cryptkeep-bench", RESTIC_REPOSITORY: w.repo, RESTIC_CACHE_DIR: join(w.dir, "cache") });

export default {
  name: "restic",
  requires: ["restic"],
  version: () => firstLine("restic", ["version"]),
  init: (w) => ({ argv: ["restic", "init", "--quiet"], env: env(w) }),
  backup: (w) => ({ argv: ["restic", "backup", "--quiet", "--host", "bench", "."], cwd: w.source, env: env(w) }),
  restore: (w, to) => ({ argv: ["restic", "restore", "latest", "--quiet", "--target", to], env: env(w) }),
  restoreOne: (w, path, to) => ({ argv: ["restic", "restore", "latest", "--quiet", "--target", to, "--include", `/${path}`], env: env(w) }),
  // restic 0.14 stores paths as given, relative to the working directory, under the target.
  restoredRoot: (_w, to) => to,
  verify: (w) => ({ argv: ["restic", "check", "--read-data", "--quiet"], env: env(w) }),
};
