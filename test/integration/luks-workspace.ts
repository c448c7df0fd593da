import { execa } from "execa";
import { chmod, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ROOT, scratchDir } from "../helpers/cli.js";

/** The port of the sshd the scenario starts inside the VM (nothing else listens there). */
const SSHD_PORT = 2222;

export interface LuksWorkspace { dir: string; remoteKey: string }

/**
 * Everything the LUKS scenario (test/vm/luks-scenario.sh) needs, made on the host: two source
 * trees, a 40 MiB file to interrupt backups with, the sshd's keys and config, and a
 * backup.config.mjs with a luksImage job ("image") and an sshfsLuks job ("remote"), both with
 * restore drills (every file sampled) and a tripwire.
 */
export async function luksWorkspace(): Promise<LuksWorkspace> {
  const dir = await scratchDir("cryptkeep-luks-");
  await chmod(dir, 0o755);
  for (const job of ["image", "remote"]) {
    const src = join(dir, `src-${job}`);
    await mkdir(join(src, "sub", "deeper"), { recursive: true });
    await writeFile(join(src, "a.txt"), `first version of a (${job})\n`);
    await writeFile(join(src, "sub", "b.txt"), "b will be deleted\n");
    await writeFile(join(src, "sub", "deeper", "random.bin"), randomBytes(300_000));
    await writeFile(join(src, "name with spaces.txt"), "spaces\n");
    await symlink("a.txt", join(src, "link-to-a"));
  }
  await writeFile(join(dir, "src-remote", "skip.tmp"), "excluded by remote.exclude\n");
  await writeFile(join(dir, "remote.exclude"), "*.tmp\n");
  await writeFile(join(dir, "big.bin"), randomBytes(40 * 1024 * 1024));
  await mkdir(join(dir, "keys"), { mode: 0o700 });
  await mkdir(join(dir, "node_modules"));
  await symlink(ROOT, join(dir, "node_modules", "cryptkeep"));

  const sshd = join(dir, "sshd");
  await mkdir(sshd);
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(sshd, "host_ed25519")]);
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(sshd, "client_ed25519")]);
  await writeFile(join(sshd, "authorized_keys"), await readFile(join(sshd, "client_ed25519.pub")));
  await writeFile(join(sshd, "sshd_config"), [
    "ListenAddress 127.0.0.1", `Port ${SSHD_PORT}`, `HostKey ${join(sshd, "host_ed25519")}`, `PidFile ${join(sshd, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(sshd, "authorized_keys")}`, "StrictModes no", "PermitRootLogin prohibit-password",
    "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "Subsystem sftp internal-sftp", "LogLevel ERROR", "",
  ].join("\n"));
  const hostKey = (await readFile(join(sshd, "host_ed25519.pub"), "utf8")).trim().split(" ").slice(0, 2).join(" ");
  await writeFile(join(sshd, "known_hosts"), `[127.0.0.1]:${SSHD_PORT} ${hostKey}\n`);

  const remoteKey = randomBytes(48).toString("base64");
  await writeFile(join(dir, "backup.config.mjs"), `import { defineConfig } from "${join(ROOT, "dist/core/index.js")}";
import { luksImage, sshfsLuks } from "${join(ROOT, "dist/presets/index.js")}";

// Tests use pbkdf2 with 1000 iterations: under emulation argon2 takes half a minute per format.
export default defineConfig({
  jobs: {
    image: luksImage({
      source: "./src-image", image: "./disk/image.img", size: "64M", allocate: "fallocate",
      key: { file: "./keys/image.key" }, generateKey: true, headerBackup: "./keys/image.header",
      format: { pbkdf: "pbkdf2", iterations: 1000, cipher: "aes-xts-plain64", keySize: 512 },
      verify: { drill: { every: "1d", sample: 20 } }, tripwire: { minFileRatio: 0.5 },
    }),
    remote: sshfsLuks({
      source: "./src-remote",
      remote: { host: "127.0.0.1", port: ${SSHD_PORT}, user: "root", path: "${join(dir, "disk", "server")}",
                identityFile: "./sshd/client_ed25519", knownHosts: "./sshd/known_hosts" },
      file: "remote.luks", size: "64M",
      key: { env: "REMOTE_KEY" }, keyEncoding: "base64",
      exclude: { from: "./remote.exclude" }, snapshots: { keepLast: 10 },
      format: { type: "luks1", pbkdf: "pbkdf2", iterations: 1000 },
      verify: { drill: { every: "1d", sample: 20 } }, tripwire: { minFileRatio: 0.75 },
    }),
  },
});
`);
  return { dir, remoteKey };
}
