import { join } from "node:path";
import { firstLine } from "../lib/machine.js";

/** BorgBackup with its own encryption (repokey) and lz4 compression, local repository. */
const env = (w) => ({
  BORG_PASSPHRASE: "cryptkeep-bench", BORG_REPO: w.repo, BORG_BASE_DIR: join(w.dir, "base"),
  BORG_RELOCATED_REPO_ACCESS_IS_OK: "yes", BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: "yes",
});

export default {
  name: "borg",
  requires: ["borg"],
  version: () => firstLine("borg", ["--version"]),
  init: (w) => ({ argv: ["borg", "init", "--encryption", "repokey"], env: env(w) }),
  backup: (w, step) => ({ argv: ["borg", "create", "--compression", "lz4", `::run-${step}`, "."], cwd: w.source, env: env(w) }),
  restore: (w, to) => ({ argv: ["borg", "extract", `::run-${w.lastStep}`], cwd: to, env: env(w) }),
  restoreOne: (w, path, to) => ({ argv: ["borg", "extract", `::run-${w.lastStep}`, path], cwd: to, env: env(w) }),
  restoredRoot: (_w, to) => to,
  verify: (w) => ({ argv: ["borg", "check", "--verify-data"], env: env(w) }),
};
