import { join } from "node:path";
import { firstLine } from "../lib/machine.js";
import { q, shell } from "../lib/measure.js";

export const REVERSE_CONF = ".gocryptfs.reverse.conf";
/** The bench's throwaway gocryptfs password, given on stdin by both tools (never in argv). */
export const GOCRYPTFS_ENV = { BENCH_GOCRYPTFS_PASSWORD: "cryptkeep-bench" };

/**
 * Seed 001's commands as its author runs them by hand, with the backup folder local (where the
 * seed mounts it with sshfs): the source's encrypted view mounted with `gocryptfs --reverse`,
 * `rsync -abEP --backup-dir --delete` into files/; verify = SHA-1 checksums of the view and of
 * files/, sorted and diffed; restores through a forward gocryptfs mount of files/ and `cp -a`.
 * The reverse config is the one in the source (both tools use it: gocryptfs keeps one per source).
 */
const paths = (w) => ({ encrypted: join(w.dir, "encrypted"), decrypted: join(w.dir, "decrypted") });
const password = `printf %s "$BENCH_GOCRYPTFS_PASSWORD"`;
const unmountAll = (w) => Object.values(paths(w))
  .map((p) => `if mountpoint -q ${q(p)}; then fusermount -u ${q(p)} || { sleep 1; fusermount -u ${q(p)}; }; fi`).join("; ");
/** Runs `steps` with the mount points made, and unmounts whatever they mounted (also on failure). */
const script = (w, steps) => shell([
  `mkdir -p ${Object.values(paths(w)).map(q).join(" ")}`,
  `trap ${q(unmountAll(w))} EXIT`,
  ...steps,
].join("\n"), { env: GOCRYPTFS_ENV });
const mountView = (w) => `${password} | gocryptfs -q --reverse ${q(w.source)} ${q(paths(w).encrypted)}`;
const mountFiles = (w) => `${password} | gocryptfs -q ${q(`${w.repo}/files`)} ${q(paths(w).decrypted)}`;
const checksums = (dir, out) => `(cd ${q(dir)} && find . -type f -print0 | xargs -0 sha1sum) > ${q(out)}`;

export default {
  name: "gocryptfs-hand",
  requires: ["gocryptfs", "rsync", "fusermount", "sha1sum"],
  version: () => [firstLine("gocryptfs", ["-version"]), firstLine("rsync", ["--version"])].join("; "),
  notRestored: [REVERSE_CONF],
  init: (w) => shell([
    `mkdir -p ${q(`${w.repo}/checksums`)} ${q(`${w.repo}/files`)} ${q(`${w.repo}/snapshots`)}`,
    `test -f ${q(join(w.source, REVERSE_CONF))} || ${password} | gocryptfs -init -reverse -q ${q(w.source)}`,
  ].join("\n"), { env: GOCRYPTFS_ENV }),
  backup: (w) => script(w, [
    mountView(w),
    `rsync -abEP "--backup-dir=../snapshots/$(date '+%Y%m%d-%H%M%S')/" --delete ${q(paths(w).encrypted)}/ ${q(w.repo)}/files/ > /dev/null`,
  ]),
  restore: (w, to) => script(w, [mountFiles(w), `cp -a ${q(paths(w).decrypted)}/. ${q(to)}/`]),
  restoreOne: (w, path, to) => script(w, [
    mountFiles(w),
    `mkdir -p "$(dirname ${q(join(to, path))})"`,
    `cp -a ${q(join(paths(w).decrypted, path))} ${q(join(to, path))}`,
  ]),
  restoredRoot: (_w, to) => to,
  // The seed's restore test: checksums of the encrypted view and of files/, sorted, diffed.
  verify: (w) => script(w, [
    mountView(w),
    checksums(paths(w).encrypted, `${w.repo}/checksums/original`),
    checksums(`${w.repo}/files`, `${w.repo}/checksums/backup`),
    `sort ${q(`${w.repo}/checksums/backup`)} > ${q(`${w.repo}/checksums/backup.sorted`)}`,
    `sort ${q(`${w.repo}/checksums/original`)} > ${q(`${w.repo}/checksums/original.sorted`)}`,
    `diff ${q(`${w.repo}/checksums/original.sorted`)} ${q(`${w.repo}/checksums/backup.sorted`)} > /dev/null`,
  ]),
};
