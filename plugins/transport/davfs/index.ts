import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { join, relative } from "node:path";
import { definePlugin } from "../../../core/config/define.js";
import { messages } from "../../../core/messages.js";
import { shellQuote } from "../../../core/runner.js";
import { messageOf } from "../../../core/errors.js";
import type { RunContext, Target } from "../../../core/types.js";
import { cleanStaleMounts, cleanStalePrivateDirs, isMounted, makeMountPoint, makePrivateDir, mountRoot, unmount } from "../mounts.js";
import { davfsOptions, type DavfsOptions } from "./options.js";
import { serverSizes } from "./propfind.js";
import { WebDavReader } from "./webdav-reader.js";

export { davfsOptions } from "./options.js";

const PLUGIN_NAME = "transport:davfs";

/**
 * A WebDAV folder mounted with davfs2 under the cache dir: provides the `target` service.
 * davfs2 acknowledges writes before they reach the server and only unmount waits, so at the
 * end of the run cryptkeep unmounts, then asks the server (PROPFIND) for every file's size.
 */
export const davfs = definePlugin(PLUGIN_NAME, davfsOptions, (engine, options) => {
  let localPath: string | undefined;
  let authorization: string | undefined;
  const target: Target = {
    description: description(options), get localPath() { return localPath; }, ssh: undefined,
    planReader: (folder) => authorization === undefined ? undefined
      : new WebDavReader(`WebDAV ${options.url}${folder ? `, folder ${folder}` : ""} (read without mounting, for plan)`, new URL(folder, withSlash(options.url)).href, authorization),
    // The server sets its own times (mod_dav); davfs2 remembers ours only while mounted.
    keepsModificationTimes: false,
    leftoverLocks: true,
    network: true,
    recipe: {
      reach: [`mount -t davfs ${shellQuote(options.url)} ./backup   # as root; asks for the user (${options.user}) and the password`],
      leave: ["umount ./backup"],
      notes: [],
    },
  };
  engine.provide("target", target);

  engine.hooks.requirements.tap(PLUGIN_NAME, (list) => {
    list.push({ tool: "mount.davfs", purpose: "mount the WebDAV folder (davfs2; needs root)", versionArgs: ["-V"], versionPattern: /davfs2 ([\d.]+)/ });
  });

  engine.hooks.connect.tapPromise(PLUGIN_NAME, async (ctx) => {
    // Before anything is touched, also under plan: mount -t davfs would fail later, less clearly.
    requireRoot();
    await cleanStaleMounts(ctx);
    await cleanStalePrivateDirs(ctx, "davfs");
    ctx.step(`mount ${options.url} with davfs2 under ${mountRoot(ctx)}, giving up on the server after ${options.connectTimeoutSeconds} s to connect or ${options.readTimeoutSeconds} s without an answer; at the end unmount, then check every file's size on the server`);
    const password = (await ctx.secret(options.password, `password of ${options.url}`)).reveal();
    // plan: what follows is shown at the mount point this run would use; the snapshots already there are read over WebDAV.
    if (ctx.dryRun) {
      authorization = basicAuth(options.user, password);
      await reach(options.url, authorization);
      localPath = await makeMountPoint(ctx, "davfs");
      return;
    }
    localPath = await mountDavfs(ctx, options, password);
  });

  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (ctx, checks) => {
    const root = (() => { try { requireRoot(); return ""; } catch (error) { return messageOf(error); } })();
    checks.push({ name: "davfs2 mount", ok: root === "", detail: root || "running as root, as mount -t davfs needs" });
    const problem = await ctx.secret(options.password, `password of ${options.url}`)
      .then((password) => reach(options.url, basicAuth(options.user, password.reveal())))
      .then(() => "", (error: Error) => error.message);
    checks.push({ name: "webdav", ok: problem === "", detail: problem || `${options.url}: reachable, credentials accepted (checked without writing)` });
  });
});

/** davfs2 lets other users mount only what /etc/fstab lists with "user": cryptkeep's mounts are root's. */
function requireRoot(): void {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) throw messages.davfsNeedsRoot(userInfo().username, uid);
}

async function mountDavfs(ctx: RunContext, options: DavfsOptions, password: string): Promise<string> {
  const authorization = basicAuth(options.user, password);
  // davfs2 reads credentials only from a secrets file (or a terminal): it lives in a private folder removed at the end.
  const secrets = await makePrivateDir("davfs");
  ctx.defer("remove the davfs2 secrets file", () => secrets.remove());
  await writeFile(join(secrets.dir, "secrets"), `${quote(options.url)} ${quote(options.user)} ${quote(password)}\n`, { mode: 0o600 });
  const cache = join(secrets.dir, "cache");
  await mkdir(cache);
  // The davfs2 daemon runs as group davfs2 and must write its cache.
  await chown(cache, 0, await groupId("davfs2"));
  await chmod(cache, 0o775);
  const conf = join(secrets.dir, "davfs2.conf");
  // buf_size 64: without it directory reads fail with EINVAL on some kernels. use_locks 1: failed uploads are reported.
  // The timeouts bound how long a request waits on a server that is gone (see options.ts).
  await writeFile(conf, [
    `secrets ${join(secrets.dir, "secrets")}`, `cache_dir ${cache}`, "ask_auth 0", "use_locks 1", "delay_upload 0", "buf_size 64",
    `connect_timeout ${options.connectTimeoutSeconds}`, `read_timeout ${options.readTimeoutSeconds}`, "",
  ].join("\n"), { mode: 0o644 });
  const mountPoint = await makeMountPoint(ctx, "davfs");
  try {
    await ctx.exec({ tool: "mount", args: ["-t", "davfs", "-o", `conf=${conf},uid=${process.getuid?.() ?? 0},gid=${process.getgid?.() ?? 0}`, options.url, mountPoint] });
  } catch (error) {
    throw messages.mountFailed(`${options.url} (davfs2)`, mountPoint, lastLine(messageOf(error)));
  }
  ctx.defer(`unmount ${mountPoint} and check on the server that every file arrived`, async ({ failed }) => {
    // A failed run is recorded as complete nowhere, and its server may be gone: unmount only.
    // The next run that succeeds checks every file on the mount, this run's included.
    if (failed) return unmount(ctx, mountPoint);
    const written = await localSizes(mountPoint);
    await unmount(ctx, mountPoint);
    const onServer = await serverSizes(options.url, authorization).catch((error: unknown) => {
      throw messages.connectionLost(description(options), `the server did not answer the check after unmount: ${messageOf((error as Error).cause ?? error)}`);
    });
    const problems = [...written].filter(([name, size]) => !arrived(size, onServer.get(name)))
      .map(([name, size]) => onServer.has(name) ? `${name}: ${onServer.get(name)} bytes on the server, ${size} written` : `${name}: missing on the server`);
    if (problems.length) throw messages.uploadIncomplete(options.url, problems);
    ctx.log.info(`checked on the server: ${written.size} files arrived with the right sizes`);
  });
  if (!(await isMounted(mountPoint))) throw messages.mountFailed(`${options.url} (davfs2)`, mountPoint, "mount returned, but nothing is mounted");
  return mountPoint;
}

/**
 * Whether a file seen on the mount is on the server whole. An empty file the server lists without
 * a length is no loss: Apache lists so the empty file a run cut short had locked and not yet
 * written (rsync's temporary file), and the next backup's rsync removes it.
 */
function arrived(written: number, onServer: number | undefined): boolean {
  return onServer === written || (written === 0 && onServer === -1);
}

async function localSizes(root: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory() && !(dir === root && entry.name === "lost+found")) await walk(full);
      else if (entry.isFile()) sizes.set(relative(root, full), (await stat(full)).size);
    }
  };
  await walk(root);
  return sizes;
}

/** A PROPFIND of the folder itself: reachability and credentials, without writing. */
async function reach(url: string, authorization: string): Promise<void> {
  const response = await fetch(url, { method: "PROPFIND", headers: { Depth: "0", Authorization: authorization } }).catch((error: Error) => {
    throw messages.remoteUnreachable(url, messageOf(error.cause ?? error));
  });
  if (response.status === 401 || response.status === 403) throw messages.remoteAuthFailed(url, `HTTP ${response.status}`);
  if (response.status === 404) throw messages.targetMissing(url);
  if (response.status !== 207) throw messages.remoteUnreachable(url, `HTTP ${response.status} to PROPFIND`);
}

const description = (options: DavfsOptions) => `WebDAV ${options.url} (davfs2)`;

const withSlash = (url: string) => (url.endsWith("/") ? url : `${url}/`);

function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** davfs2's secrets file: a value with spaces, quotes or backslashes is quoted, with backslash escapes. */
function quote(value: string): string {
  return /[\s"\\#]/.test(value) ? `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"` : value;
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter(Boolean).at(-1) ?? text;
}

async function groupId(name: string): Promise<number> {
  const line = (await readFile("/etc/group", "utf8")).split("\n").find((l) => l.startsWith(`${name}:`));
  if (!line) throw messages.toolMissing("mount.davfs");
  return Number(line.split(":")[2]);
}
