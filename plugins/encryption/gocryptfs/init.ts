import { access, chmod, copyFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Secret } from "../../../core/secret.js";
import type { RunContext, Target } from "../../../core/types.js";
import { TargetFs } from "../../sync/rsync/target-fs.js";
import type { GocryptfsOptions } from "./options.js";

interface InitDeps { source: string; conf: string; options: GocryptfsOptions; password: () => Promise<Secret>; target: Target; keepConfigAt?: string }

/**
 * `gocryptfs -init -reverse` once (safe to repeat: an existing config is kept), the master key
 * printed once for a paper backup, and copies of gocryptfs.conf at the target and where the
 * user said: without it (and the password) the backup cannot be decrypted.
 */
export async function initReverse(ctx: RunContext, deps: InitDeps): Promise<void> {
  const { conf, source, options } = deps;
  const exists = await access(conf).then(() => true, () => false);
  if (!exists) {
    ctx.step(`create the gocryptfs reverse config ${conf}`);
    const flags = [...(options.plaintextNames ? ["-plaintextnames"] : []), ...(options.deterministicNames ? ["-deterministic-names"] : [])];
    await ctx.exec({ tool: "gocryptfs", args: ["-init", "-reverse", "-q", ...flags, source], input: await deps.password() });
    if (!ctx.dryRun) await printMasterKey(ctx, conf, await deps.password());
  } else {
    ctx.log.info(`${conf} exists: keeping it (the backup's encryption stays the same)`);
  }
  const fs = new TargetFs(deps.target);
  ctx.step(`copy gocryptfs.conf to ${fs.description}`);
  if (!ctx.dryRun) await fs.writeText(ctx, "gocryptfs.conf", await readFile(conf, "utf8"));
  if (deps.keepConfigAt) {
    ctx.step(`copy gocryptfs.conf to ${deps.keepConfigAt}`);
    if (!ctx.dryRun) await keepCopy(conf, deps.keepConfigAt);
  } else if (!exists) {
    ctx.log.warn(`keep a copy of ${conf} somewhere safe, off this machine (or set keepConfigAt): without it the backup cannot be decrypted`);
  }
}

async function printMasterKey(ctx: RunContext, conf: string, password: Secret): Promise<void> {
  const key = await ctx.exec({ tool: "gocryptfs-xray", args: ["-dumpmasterkey", conf], input: password })
    .then((r) => r.stdout.trim(), () => undefined);
  if (!key) {
    ctx.log.warn("gocryptfs-xray is not installed: the master key was not printed (the config file and the password restore the backup)");
    return;
  }
  const grouped = key.match(/.{1,8}/g)!.join("-");
  ctx.log.warn([
    "gocryptfs master key, shown this once: write it on paper and keep it somewhere safe.",
    "With it, the backup can be decrypted even without gocryptfs.conf or the password (gocryptfs -masterkey=...).",
    `    ${grouped}`,
  ].join("\n"));
}

async function keepCopy(conf: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  await copyFile(conf, to);
  await chmod(to, 0o600);
}
