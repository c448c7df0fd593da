import { execa } from "execa";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * A chrooted, SFTP-only account for a throwaway sshd: a system user made with useradd and a
 * root-owned chroot under /srv (sshd refuses a chroot with any non-root or group/world-writable
 * component, so not under /tmp). `upload/` inside belongs to the user. `remove()` undoes both.
 */
export interface SftpOnlyUser {
  name: string;
  chroot: string;
  /** The folder the user may write, as the user sees it inside the chroot. */
  writable: string;
  /** sshd_config lines for `startSshd({ extraConfig })`. */
  sshdConfig: string[];
  remove(): Promise<void>;
}

export async function createSftpOnlyUser(): Promise<SftpOnlyUser> {
  const name = `cryptkeep-t${process.pid}`;
  await mkdir("/srv", { recursive: true });
  const chroot = await mkdtemp("/srv/cryptkeep-chroot-");
  // "*" rather than useradd's locked "!": sshd refuses key logins to locked accounts when PAM is off.
  await execa("useradd", ["--system", "--no-create-home", "--home-dir", "/upload", "--shell", "/usr/sbin/nologin", "--password", "*", name]);
  const { stdout } = await execa("id", ["-u", name]);
  await execa("chmod", ["755", chroot]);
  await mkdir(join(chroot, "upload"), { mode: 0o700 });
  await chown(join(chroot, "upload"), Number(stdout), Number(stdout));
  return {
    name, chroot, writable: "/upload",
    sshdConfig: [
      `Match User ${name}`, `  ChrootDirectory ${chroot}`, "  ForceCommand internal-sftp",
      "  AllowTcpForwarding no", "  X11Forwarding no", "  PermitTTY no",
    ],
    remove: async () => {
      await execa("userdel", [name], { reject: false });
      await rm(chroot, { recursive: true, force: true });
    },
  };
}
