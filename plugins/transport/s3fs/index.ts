import { definePlugin } from "../../../core/config/define.js";
import { messages } from "../../../core/messages.js";
import { shellQuote } from "../../../core/runner.js";
import { messageOf } from "../../../core/errors.js";
import type { RunContext, Target } from "../../../core/types.js";
import { S3Store } from "../../store/s3/s3-store.js";
import { cleanStaleMounts, isMounted, makeMountPoint, unmount } from "../mounts.js";
import { mountDaemonPid, watchGivesUpWithinMs, watchServer } from "../server-watch.js";
import { s3fsOptions, type S3fsOptions } from "./options.js";

export { s3fsOptions } from "./options.js";

const PLUGIN_NAME = "transport:s3fs";
/** How often, while mounted, the server is checked, and how many failed checks in a row mean it is gone. */
const CHECK_EVERY_MS = 2000;
const FAILED_CHECKS = 3;

/**
 * An S3 bucket (or a folder in it) mounted with s3fs under the cache dir: provides the `target`
 * service. Credentials reach s3fs in its environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY),
 * never in a passwd file. s3fs uploads a file when it is closed; unmount is deferred.
 */
export const s3fs = definePlugin(PLUGIN_NAME, s3fsOptions, (engine, options) => {
  let localPath: string | undefined;
  let planCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  let planReader: S3Store | undefined;
  const where = `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ""}${options.endpoint ? ` at ${options.endpoint}` : ""}`;
  const target: Target = {
    description: `${where} (s3fs)`, get localPath() { return localPath; }, ssh: undefined, network: true,
    planReader: (folder) => {
      if (!planCredentials) return undefined;
      if (!planReader) {
        planReader = new S3Store({ ...options, prefix: [options.prefix, folder].filter(Boolean).join("/"), partSizeMiB: 5, parallelParts: 1, attempts: 2 });
        planReader.connect(planCredentials);
      }
      return planReader;
    },
    recipe: {
      reach: [
        "# s3fs reads the bucket's keys from the environment: export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... first",
        `s3fs ${s3fsArgs(options, "./backup").map(shellQuote).join(" ")}`,
      ],
      leave: ["fusermount -u ./backup || { sleep 2; fusermount -u ./backup; }   # busy for a moment after the line above"],
      notes: [],
    },
  };
  engine.provide("target", target);

  engine.hooks.requirements.tap(PLUGIN_NAME, (list) => {
    list.push({ tool: "s3fs", purpose: "mount the bucket (FUSE)", versionArgs: ["--version"], versionPattern: /V([\d.]+)/ });
  });

  const keys = async (ctx: RunContext) => ({
    accessKeyId: (await ctx.secret(options.accessKeyId, `access key id of bucket ${options.bucket}`)).reveal(),
    secretAccessKey: (await ctx.secret(options.secretAccessKey, `secret access key of bucket ${options.bucket}`)).reveal(),
  });

  engine.hooks.connect.tapPromise(PLUGIN_NAME, async (ctx) => {
    await cleanStaleMounts(ctx);
    const watch = { ...serverAddress(options), connectTimeoutMs: options.connectTimeoutSeconds * 1000, everyMs: CHECK_EVERY_MS, failuresInARow: FAILED_CHECKS };
    ctx.step(`mount ${where} with s3fs under the cache dir, giving up on the server after ${options.connectTimeoutSeconds} s to connect or ${options.readWriteTimeoutSeconds} s without progress, ${options.attempts} attempts per request; ` +
      `while mounted, check every ${CHECK_EVERY_MS / 1000} s that ${watch.host}:${watch.port} accepts connections, and after ${FAILED_CHECKS} failed checks in a row (at most ${watchGivesUpWithinMs(watch) / 1000} s) stop s3fs so the run fails at once; unmount at the end`);
    const credentials = await keys(ctx);
    // s3fs reports a wrong key or a missing bucket only on first use: check first, with one listing.
    await bucketCheck(options, credentials);
    // plan: what follows is shown at the mount point this run would use; the snapshots already there are read with S3 requests.
    if (ctx.dryRun) {
      planCredentials = credentials;
      ctx.defer(`close the connection to ${where}`, () => planReader?.close());
      localPath = await makeMountPoint(ctx, "s3fs");
      return;
    }
    const mountPoint = await makeMountPoint(ctx, "s3fs");
    try {
      await ctx.exec({
        tool: "s3fs", args: s3fsArgs(options, mountPoint),
        env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
      });
    } catch (error) {
      throw messages.mountFailed(`${where} (s3fs)`, mountPoint, messageOf(error).trim().split("\n").at(-1) ?? "");
    }
    ctx.defer(`unmount ${mountPoint}`, () => unmount(ctx, mountPoint));
    if (!(await isMounted(mountPoint))) throw messages.mountFailed(`${where} (s3fs)`, mountPoint, "s3fs returned, but nothing is mounted");
    localPath = mountPoint;
    // s3fs fails a request only after its timeouts and retries, and rsync then goes on to the next
    // request: without the watch, a run whose server died would end after minutes. Stopping the
    // daemon fails every request in flight at once (ENOTCONN), which the sync reports as
    // CONNECTION_LOST; what s3fs had not uploaded could not have reached the gone server anyway.
    const stopWatch = watchServer({
      ...watch,
      onLost: async (reason) => {
        const pid = await mountDaemonPid("s3fs", mountPoint);
        ctx.log.warn(`the server of ${where} is gone (${reason}): stopping s3fs${pid ? ` (pid ${pid})` : ""} so the run fails now`);
        // ESRCH: s3fs ended on its own meanwhile, which is what the kill was for.
        if (pid) try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
      },
    });
    ctx.defer(`stop checking that ${watch.host}:${watch.port} answers`, stopWatch);
  });

  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (ctx, checks) => {
    const problem = await keys(ctx).then((credentials) => bucketCheck(options, credentials)).then(() => "", (error: Error) => error.message);
    checks.push({ name: "s3 bucket", ok: problem === "", detail: problem || `${where}: bucket reachable, credentials accepted (checked without writing)` });
  });
});

async function bucketCheck(options: S3fsOptions, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
  const store = new S3Store({ ...options, partSizeMiB: 5, parallelParts: 1, attempts: 2 });
  store.connect(credentials);
  try {
    await store.check();
  } finally {
    store.close();
  }
}

/** Where s3fs sends its requests: the endpoint, or AWS's (s3fs's default url). */
export function serverAddress(options: S3fsOptions): { host: string; port: number } {
  const url = new URL(options.endpoint ?? "https://s3.amazonaws.com");
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port) || (url.protocol === "https:" ? 443 : 80) };
}

export function s3fsArgs(options: S3fsOptions, mountPoint: string): string[] {
  const settings = [
    ...(options.endpoint ? [`url=${options.endpoint}`] : []),
    `endpoint=${options.region}`,
    ...(options.forcePathStyle ? ["use_path_request_style"] : []),
    // Fewer requests: remember absent objects; folders without a marker object are still folders.
    "enable_noobj_cache", "notsup_compat_dir",
    // No umask: s3fs keeps each file's mode in its metadata, and a restore gives it back. Without
    // allow_other, FUSE lets no other user into the mount anyway.
    `uid=${process.getuid?.() ?? 0}`, `gid=${process.getgid?.() ?? 0}`,
    // How soon a lost server fails a request, and so the run (see options.ts).
    `connect_timeout=${options.connectTimeoutSeconds}`, `readwrite_timeout=${options.readWriteTimeoutSeconds}`, `retries=${options.attempts}`,
  ];
  return [`${options.bucket}${options.prefix ? `:/${options.prefix}` : ""}`, mountPoint, "-o", settings.join(",")];
}
