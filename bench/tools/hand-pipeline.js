import { firstLine } from "../lib/machine.js";
import { q, shell } from "../lib/measure.js";

/**
 * The seed's hand pipeline: `tar --listed-incremental | zstd | gpg --encrypt` to the same
 * recipient key, one archive per run (a copy of the previous .snar makes the next increment),
 * zstd with the same arguments cryptkeep uses. Restore replays every archive in order.
 */
const env = (w) => ({ GNUPGHOME: w.keys.gnupgHome });
const archives = (w) => Array.from({ length: w.lastStep + 1 }, (_, i) => `${w.repo}/archive-${i}.tar.zst.gpg`);
const decrypt = (file) => `gpg --batch --quiet --decrypt ${q(file)} | zstd -q -d -c`;

export default {
  name: "hand",
  requires: ["tar", "zstd", "gpg"],
  version: () => [firstLine("tar", ["--version"]), firstLine("zstd", ["--version"]), firstLine("gpg", ["--version"])].join("; "),
  init: (w) => shell(`mkdir -p ${q(w.repo)}`),
  backup: (w, step) => shell([
    step > 0 ? `cp ${q(`${w.repo}/snar-${step - 1}`)} ${q(`${w.repo}/snar-${step}`)}` : "true",
    `tar --create --format=gnu --listed-incremental=${q(`${w.repo}/snar-${step}`)} -C ${q(w.source)} . ` +
      `| zstd -q -c -3 -T0 - | gpg --batch --yes --trust-model always --compress-algo none --encrypt --recipient ${w.keys.fingerprint} --output ${q(`${w.repo}/archive-${step}.tar.zst.gpg`)}`,
  ].join(" && "), { env: env(w) }),
  restore: (w, to) => shell(archives(w).map((f) => `${decrypt(f)} | tar --extract --listed-incremental=/dev/null -C ${q(to)}`).join(" && "), { env: env(w) }),
  // By hand, one file is looked for in every archive of the chain; tar fails where it is absent.
  restoreOne: (w, path, to) => shell(archives(w).map((f) => `{ ${decrypt(f)} | tar --extract --listed-incremental=/dev/null -C ${q(to)} ${q(`./${path}`)} 2>/dev/null || true; }`).join(" && ") + ` && test -f ${q(`${to}/${path}`)}`, { env: env(w) }),
  restoredRoot: (_w, to) => to,
  verify: (w) => shell(archives(w).map((f) => `${decrypt(f)} | tar --list > /dev/null`).join(" && "), { env: env(w) }),
};
