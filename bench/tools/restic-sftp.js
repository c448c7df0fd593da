import restic from "./restic.js";

/**
 * restic with its sftp backend, to the bench's sshd on 127.0.0.1 (its own ssh, through the
 * sshd's ssh_config), otherwise as tools/restic.js runs it.
 */
const overSftp = (w, command) => ({
  ...command,
  argv: [...command.argv, "-o", `sftp.command=ssh -F ${w.servers.sshd.sshConfig} test -s sftp`],
  env: { ...command.env, RESTIC_REPOSITORY: `sftp:test:${w.repo}` },
});

export default {
  ...restic,
  name: "restic-sftp",
  requires: ["restic", "ssh"],
  init: (w) => overSftp(w, restic.init(w)),
  backup: (w, step) => overSftp(w, restic.backup(w, step)),
  restore: (w, to) => overSftp(w, restic.restore(w, to)),
  restoreOne: (w, path, to) => overSftp(w, restic.restoreOne(w, path, to)),
  verify: (w) => overSftp(w, restic.verify(w)),
};
