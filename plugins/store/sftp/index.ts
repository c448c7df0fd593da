import { readFile } from "node:fs/promises";
import { definePlugin } from "../../../core/config/define.js";
import { messages } from "../../../core/messages.js";
import type { DoctorCheck, RunContext } from "../../../core/types.js";
import type { Engine } from "../../../core/engine.js";
import { sftpOptions, type SftpOptions } from "./options.js";
import { SftpStore, type SftpAuth } from "./sftp-store.js";

export { sftpOptions } from "./options.js";
export { SftpStore } from "./sftp-store.js";

const PLUGIN_NAME = "store:sftp";

/** Keeps the backup in a folder on an SFTP server, pure Node (no FUSE, no root): seed 004's sftp://user@host/path. */
export const sftpStore = definePlugin(PLUGIN_NAME, sftpOptions, (engine, options) => {
  const store = new SftpStore({
    host: options.host, port: options.port, user: options.user, path: options.path,
    knownHosts: engine.resolvePath(options.knownHosts),
    connectTimeoutMs: options.connectTimeout * 1000,
    retry: { attempts: options.attempts, baseDelayMs: 250 },
  });
  engine.provide("store", store);

  const login = async (ctx: RunContext) => {
    await store.connect(await sftpAuth(ctx, engine, options));
    ctx.defer(`close ${store.description}`, () => store.close());
  };

  engine.hooks.connect.tapPromise(PLUGIN_NAME, async (ctx) => {
    // Logging in changes nothing: plan connects too, so it fails where the backup would.
    ctx.step(`log in to ${store.description} (host key checked against ${store.endpoint.knownHosts})`);
    await login(ctx);
    if (ctx.command === "init") {
      if (!ctx.dryRun) await store.makeRoot();
      return;
    }
    await store.checkRoot();
  });

  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (ctx, checks) => {
    const connected = await login(ctx).then(() => "", (error: Error) => error.message);
    checks.push({ name: "sftp login", ok: connected === "", detail: connected || `logged in to ${store.description}, host key known` });
    if (connected) return;
    const folder = await store.checkRoot().then(() => "", (error: Error) => error.message);
    checks.push({ name: "target", ok: folder === "", detail: folder || `${store.description} exists (checked without writing)` } satisfies DoctorCheck);
    const free = await store.freeBytes();
    if (free !== undefined) checks.push({ name: "free space at target", ok: free > 64 * 1024 * 1024, found: `${Math.floor(free / 1048576)} MiB`, detail: "free space where volumes are written" });
  });
});

async function sftpAuth(ctx: RunContext, engine: Engine, options: SftpOptions): Promise<SftpAuth> {
  const auth: SftpAuth = {};
  if (options.agent) {
    const socket = process.env.SSH_AUTH_SOCK;
    if (!socket) throw messages.sshAgentMissing();
    auth.agent = socket;
  }
  if (options.identityFile) {
    const path = engine.resolvePath(options.identityFile);
    auth.privateKey = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      throw messages.identityFileUnreadable(path, error.code ?? error.message);
    });
    if (options.passphrase) auth.passphrase = (await ctx.secret(options.passphrase, `passphrase of ${path}`)).reveal();
  }
  return auth;
}
