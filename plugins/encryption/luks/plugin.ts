import { join } from "node:path";
import { definePlugin } from "../../../core/config/define.js";
import { messages } from "../../../core/messages.js";
import type { RunContext, Target } from "../../../core/types.js";
import { unmount } from "../../transport/mounts.js";
import { closeStaleMappings, openContainer, type OpenedContainer } from "./container.js";
import { deviceMapperChecks } from "./doctor.js";
import { growContainer, trimContainer } from "./maintain.js";
import { mountOpened, reopenReadOnly, type MountedFilesystem } from "./mounted.js";
import { luksOptions } from "./options.js";
import { luksRecipe } from "./recipe.js";
import { mountLuksView, readLuksViews, releaseLuksViews } from "./view.js";

const PLUGIN_NAME = "encryption:luks";
/** Commands that never open the container. */
const CLOSED = new Set(["doctor", "recipe", "umount"]);

/**
 * A LUKS container file (seeds 000 and 003): on this machine, or inside the job's target (an
 * sshfs mount) when the job has one. The open hook opens it and mounts its ext4 filesystem;
 * that filesystem is the `volume` the sync plugin writes to. Everything is undone in reverse
 * order by deferred steps; mappings are named `cryptkeep-<job>-<pid>`, so a later run closes
 * what a crashed run left before touching the container.
 */
export const luks = definePlugin(PLUGIN_NAME, luksOptions, (engine, options) => {
  const transport = (): Target | undefined => (engine.hasService("target") ? engine.service("target") : undefined);
  const imagePath = (): string => {
    const target = transport();
    if (!target) return engine.resolvePath(options.image);
    return join(target.localPath ?? "<server folder>", options.image);
  };
  let mounted: MountedFilesystem | undefined;
  let opened: OpenedContainer | undefined;
  let kept = false;

  engine.provide("volume", {
    get description() { return `the filesystem inside the LUKS container ${transport() ? `${options.image} at ${transport()!.description}` : imagePath()}`; },
    get localPath() { return mounted?.dir; },
    ssh: undefined,
    get readOnlyVia() { return opened?.readOnly && mounted ? "cryptsetup open --readonly, mount -o ro,noload" : undefined; },
    get recipe() { return luksRecipe(options, engine.job, transport() ? options.image : imagePath(), transport(), (p) => engine.resolvePath(p)); },
  });

  engine.hooks.requirements.tap(PLUGIN_NAME, (list) => {
    list.push({ tool: "cryptsetup", purpose: "create, open and close the LUKS container", versionArgs: ["--version"], versionPattern: /cryptsetup ([\d.]+)/, minVersion: "2.0.0" });
    list.push({ tool: "mkfs.ext4", purpose: "make the filesystem inside the container", versionArgs: ["-V"], versionPattern: /mke2fs ([\d.]+)/ });
    list.push({ tool: "e2fsck", purpose: "check the filesystem after a run that did not close it", versionArgs: ["-V"], versionPattern: /e2fsck ([\d.]+)/ });
    list.push({ tool: "resize2fs", purpose: "grow the filesystem (cryptkeep grow)", versionArgs: ["-V"], versionPattern: /resize2fs ([\d.]+)/, optional: true });
    list.push({ tool: "mount", purpose: "mount the filesystem", versionArgs: ["-V"], versionPattern: /util-linux ([\d.]+)/ });
    list.push({ tool: "fstrim", purpose: "give back the space of deleted files (cryptkeep trim)", versionArgs: ["-V"], versionPattern: /util-linux ([\d.]+)/, optional: true });
  });

  // Before the transport mounts anything: refuse what cannot work, and close a crashed run's mapping
  // first (it holds the file open, so the transport's stale mount could not be unmounted under it).
  engine.hooks.connect.tapPromise({ name: PLUGIN_NAME, stage: -10 }, async (ctx) => {
    if (CLOSED.has(ctx.command)) return;
    const target = transport();
    if (ctx.command === "trim" && target?.ssh) throw messages.luksTrimRemote(`${options.image} at ${target.description}`, "sshfs");
    await closeStaleMappings(ctx, options.image);
  });

  engine.hooks.open.tapPromise(PLUGIN_NAME, async (ctx) => {
    if (CLOSED.has(ctx.command)) return;
    if (!ctx.dryRun && (await readLuksViews(ctx)).length) throw messages.luksViewOpen(ctx.job);
    const image = imagePath();
    const keptTransport = transport()?.localPath?.includes("/cryptkeep-kept-") ? transport()!.localPath : undefined;
    if (keptTransport) ctx.defer(`unmount ${keptTransport} unless the view was mounted`, async () => { if (!kept) await unmount(ctx, keptTransport); });
    opened = await openContainer(ctx, options, image, { allowDiscards: ctx.command === "trim", keep: () => kept });
    if (ctx.command === "mount") return;
    mounted = await mountOpened(ctx, opened);
  });

  // First of the drill taps: the sync plugin's drill then reads the container opened read-only.
  engine.hooks.drill.tapPromise({ name: PLUGIN_NAME, stage: -10 }, async (ctx) => {
    if (opened && mounted && !opened.readOnly) ({ opened, mounted } = await reopenReadOnly(ctx, options, imagePath(), opened, mounted));
    return undefined;
  });

  // Last of the init taps: the sync plugin has claimed the filesystem, so the container is complete.
  engine.hooks.init.tapPromise({ name: PLUGIN_NAME, stage: 100 }, async () => { opened?.initDone(); });

  const openedOrFail = (ctx: RunContext): OpenedContainer => {
    if (!opened) throw messages.luksNotInitialized(imagePath(), ctx.job);
    return opened;
  };
  engine.hooks.grow.tapPromise(PLUGIN_NAME, (ctx) => growContainer(ctx, openedOrFail(ctx), imagePath(), mounted!.dir));
  engine.hooks.trim.tapPromise(PLUGIN_NAME, (ctx) => trimContainer(ctx, openedOrFail(ctx), imagePath(), mounted!.dir));
  engine.hooks.mount.tapPromise({ name: PLUGIN_NAME, stage: -10 }, (ctx, request) =>
    mountLuksView(ctx, openedOrFail(ctx), imagePath(), transport()?.localPath?.includes("/cryptkeep-kept-") ? transport()!.localPath : undefined, request, () => { kept = true; }));
  engine.hooks.unmount.tapPromise({ name: PLUGIN_NAME, stage: -10 }, (ctx, request) => releaseLuksViews(ctx, request.dir));
  engine.hooks.doctor.tapPromise(PLUGIN_NAME, async (ctx, checks) => { checks.push(...(await deviceMapperChecks(ctx))); });
});
