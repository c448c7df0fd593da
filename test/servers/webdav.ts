import { execa } from "execa";
import { chown, mkdir, readFile, rm, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { scratchDir } from "../helpers/cli.js";
import { freePort, waitForPort } from "./ports.js";

/**
 * A throwaway Apache mod_dav WebDAV share on 127.0.0.1 with basic auth, run from its own
 * config file (`apache2 -f`): the system's apache2 service is not touched.
 */
export interface WebDav {
  /** URL of the share, e.g. http://127.0.0.1:PORT/dav/ */
  url: string;
  user: string;
  password: string;
  /** The folder the server keeps the share in: what really reached the server. */
  dataDir: string;
  /** Kills the server at once (SIGKILL to Apache and its workers), as a crash or a power cut would. */
  kill(): Promise<void>;
  /** Starts the killed server again on the same port, with the same share. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWebDav(): Promise<WebDav> {
  const dir = await scratchDir("cryptkeep-webdav-");
  await chmod(dir, 0o755);
  const dataDir = join(dir, "dav");
  await Promise.all(["dav", "lock", "logs"].map((d) => mkdir(join(dir, d))));
  const { stdout: uid } = await execa("id", ["-u", "www-data"]);
  const { stdout: gid } = await execa("id", ["-g", "www-data"]);
  await chown(dataDir, Number(uid), Number(gid));
  await chown(join(dir, "lock"), Number(uid), Number(gid));
  const user = "backup";
  const password = "dav-secret-for-tests";
  const hash = (await execa("openssl", ["passwd", "-apr1", "-stdin"], { input: password })).stdout.trim();
  await writeFile(join(dir, "htpasswd"), `${user}:${hash}\n`, { mode: 0o644 });
  const port = await freePort();
  const modules = "/usr/lib/apache2/modules";
  const load = (name: string) => `LoadModule ${name}_module ${modules}/mod_${name}.so`;
  await writeFile(join(dir, "httpd.conf"), [
    `ServerRoot ${dir}`, "ServerName 127.0.0.1", `Listen 127.0.0.1:${port}`, `PidFile ${dir}/httpd.pid`,
    `ErrorLog ${dir}/logs/error.log`, "User www-data", "Group www-data",
    ...["mpm_event", "authz_core", "authz_user", "authn_core", "authn_file", "auth_basic", "alias", "dav", "dav_fs", "setenvif", "mime"].map(load),
    "TypesConfig /etc/mime.types", `DAVLockDB ${dir}/lock/DAVLock`, "LimitRequestBody 0", "Timeout 300",
    `Alias /dav ${dataDir}`,
    `<Directory ${dataDir}>`, "  DAV On", "  Options None", "  AllowOverride None", "  AuthType Basic",
    '  AuthName "backup"', `  AuthUserFile ${dir}/htpasswd`, "  Require valid-user", "</Directory>", "",
  ].join("\n"));
  const start = async () => {
    await execa("/usr/sbin/apache2", ["-f", join(dir, "httpd.conf"), "-k", "start"], { stdio: "ignore" });
    await waitForPort(port, "apache2");
  };
  const signal = async (name: NodeJS.Signals, group: boolean) => {
    const pid = Number((await readFile(join(dir, "httpd.pid"), "utf8").catch(() => "")).trim());
    // apache2 -k start makes its own session: the group holds the parent and every worker.
    if (pid) try { process.kill(group ? -pid : pid, name); } catch { /* already gone */ }
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}/dav/`, user, password, dataDir,
    kill: async () => {
      await signal("SIGKILL", true);
      await rm(join(dir, "httpd.pid"), { force: true });
    },
    restart: start,
    stop: () => signal("SIGTERM", false),
  };
}
