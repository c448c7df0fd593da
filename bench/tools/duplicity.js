import { join } from "node:path";
import { firstLine } from "../lib/machine.js";

/** duplicity encrypting to the same OpenPGP public key as cryptkeep (GnuPG), local file:// target. */
const common = (w) => [
  "--archive-dir", join(w.dir, "archive"), "--name", "bench", "--encrypt-key", w.keys.fingerprint,
  "--gpg-options", "--trust-model always", "--no-print-statistics", "--verbosity", "error",
];
// The bench key has no passphrase; an empty PASSPHRASE keeps duplicity from prompting for it.
const env = (w) => ({ GNUPGHOME: w.keys.gnupgHome, PASSPHRASE: "" });

export default {
  name: "duplicity",
  requires: ["duplicity", "gpg"],
  version: () => firstLine("duplicity", ["--version"]),
  init: undefined,
  backup: (w, step) => ({ argv: ["duplicity", step === 0 ? "full" : "incremental", ...common(w), w.source, `file://${w.repo}`], env: env(w) }),
  restore: (w, to) => ({ argv: ["duplicity", "restore", ...common(w), `file://${w.repo}`, `${to}/tree`], env: env(w) }),
  restoreOne: (w, path, to) => ({ argv: ["duplicity", "restore", ...common(w), "--file-to-restore", path, `file://${w.repo}`, `${to}/restored-file`], env: env(w) }),
  restoredRoot: (_w, to) => `${to}/tree`,
  verify: (w) => ({ argv: ["duplicity", "verify", ...common(w), `file://${w.repo}`, w.source], env: env(w) }),
};
