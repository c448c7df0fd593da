import { access } from "node:fs/promises";
import { dirname, join } from "node:path";
import { definePlugin } from "../../../core/config/define.js";
import { messages } from "../../../core/messages.js";
import { shellQuote } from "../../../core/runner.js";
import type { Secret } from "../../../core/secret.js";
import type { FolderCipher, RunContext } from "../../../core/types.js";
import { cleanStaleMounts, makeMountPoint, unmount } from "../../transport/mounts.js";
import { gocryptfsMount } from "./commands.js";
import { gocryptfsOptions } from "./options.js";
import { initReverse } from "./init.js";

const PLUGIN_NAME = "encryption:gocryptfs";
export const REVERSE_CONF = ".gocryptfs.reverse.conf";

/**
 * gocryptfs in reverse mode (seed 001): the source, encrypted file by file on the fly in a
 * read-only mount, is what the sync copies; restores mount a copy of that view forward again.
 * Provides the `folderCipher` service. Every mount is unmounted at the end of the run.
 */
export const gocryptfs = definePlugin(PLUGIN_NAME, gocryptfsOptions, (engine, options) => {
  const source = engine.resolvePath(options.source);
  const conf = join(source, REVERSE_CONF);
  let reverseView: string | undefined;
  const password = (ctx: RunContext): Promise<Secret> => ctx.secret(options.password, "gocryptfs password");

  const cipher: FolderCipher = {
    description: "gocryptfs",
    ownFiles: [REVERSE_CONF],
    viewExtras: { perFolder: options.plaintextNames || options.deterministicNames ? 0 : 1, inRoot: 1 },
    encryptedSource: () => {
      if (!reverseView) throw new Error("the encrypted view is opened by the open hook (gocryptfs)");
      return reverseView;
    },
    openDecrypted: async (ctx, encryptedDir, opts = {}) => {
      const mountPoint = opts.mountPoint ?? (await makeMountPoint(ctx, "decrypted"));
      ctx.step(`mount ${encryptedDir} decrypted, read-only, at ${mountPoint} (gocryptfs)`);
      await gocryptfsMount(ctx, await password(ctx), ["-ro", encryptedDir, mountPoint], `${encryptedDir} (gocryptfs)`, mountPoint, encryptedDir);
      if (!opts.keep) ctx.defer(`unmount ${mountPoint}`, () => unmount(ctx, mountPoint, opts.mountPoint === undefined));
      return mountPoint;
    },
    recipeMount: (encryptedDir, mountPoint) => [`gocryptfs -ro ${shellQuote(encryptedDir)} ${shellQuote(mountPoint)}   # asks for the password`],
  };
  engine.provide("folderCipher", cipher);

  engine.hooks.requirements.tap(PLUGIN_NAME, (list) => {
    list.push({ tool: "gocryptfs", purpose: "encrypt the source on the fly (reverse mode) and decrypt for restores", versionArgs: ["-version"], versionPattern: /gocryptfs v?(\d+\.\d+(?:\.\d+)?)/, minVersion: "2.0" });
    list.push({ tool: "gocryptfs-xray", purpose: "print the master key once at init (paper backup)", versionArgs: ["-version"], versionPattern: /gocryptfs-xray v?(\d+\.\d+(?:\.\d+)?)/, optional: true });
    list.push({ tool: "fusermount", purpose: "unmount FUSE filesystems", versionArgs: ["-V"], versionPattern: /version:? ([\d.]+)/ });
  });

  engine.hooks.init.tapPromise(PLUGIN_NAME, async (ctx) => {
    await initReverse(ctx, { source, conf, options, password: () => password(ctx), target: engine.service("target"), keepConfigAt: options.keepConfigAt && engine.resolvePath(options.keepConfigAt) });
  });

  engine.hooks.open.tapPromise(PLUGIN_NAME, async (ctx) => {
    if (ctx.command !== "backup" && ctx.command !== "verify") return;
    await cleanStaleMounts(ctx);
    ctx.step(`check that ${conf} exists`);
    if (!ctx.dryRun) await access(source).catch(() => { throw messages.sourceMissing(source); });
    if (!ctx.dryRun) await access(conf).catch(() => { throw messages.gocryptfsNotInitialized(source, ctx.job); });
    const mountPoint = await makeMountPoint(ctx, "reverse");
    const excludes = [
      ...options.exclude.flatMap((p) => ["-exclude-wildcard", p]),
      ...(options.excludeFrom ? ["-exclude-from", engine.resolvePath(options.excludeFrom)] : []),
      ...ownExcludes(source, ctx.cacheDir).flatMap((p) => ["-exclude", p]),
    ];
    ctx.step(`mount the encrypted view of ${source} at ${mountPoint} (gocryptfs -reverse, read-only)`);
    await gocryptfsMount(ctx, await password(ctx), ["-reverse", ...excludes, source, mountPoint], `the encrypted view of ${source}`, mountPoint, source);
    ctx.defer(`unmount ${mountPoint}`, () => unmount(ctx, mountPoint));
    reverseView = mountPoint;
  });

  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (_ctx, checks) => {
    const present = await access(conf).then(() => true, () => false);
    checks.push({ name: "gocryptfs config", ok: present, detail: present ? `${conf} exists` : messages.gocryptfsNotInitialized(source, _ctx.job).message });
    const fuse = await access("/dev/fuse").then(() => true, () => false);
    checks.push({ name: "fuse", ok: fuse, detail: fuse ? "/dev/fuse is there" : "/dev/fuse is missing: load the fuse module (modprobe fuse) or give the container the device" });
  });
});

/** The local state must never back itself up when it lives inside the source. */
function ownExcludes(source: string, cacheDir: string): string[] {
  const root = dirname(cacheDir);
  return root.startsWith(`${source}/`) ? [root.slice(source.length + 1)] : [];
}
