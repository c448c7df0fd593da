import { z } from "zod";
import { definePreset } from "../core/config/define.js";
import { remoteSchema } from "../plugins/transport/remote.js";
import { sshfsTarget } from "../plugins/transport/sshfs.js";
import { checkKeyOptions } from "../plugins/encryption/luks/options.js";
import { luksPlugins, luksPresetOptions } from "./luks-common.js";

export const sshfsLuksOptions = luksPresetOptions.extend({
  /** The server and its folder that holds the container file, mounted with sshfs for each run. */
  remote: remoteSchema,
  /** The container file's name in remote.path: "backups-system-a.luks". */
  file: z.string().regex(/^[^/]+$/, "a file name inside remote.path, without '/'"),
}).superRefine(checkKeyOptions);

/**
 * Seed 003: a sparse LUKS file on a server, reached by sshfs. The server stores only encrypted
 * blocks; the container is opened, mounted and rsynced into here, then closed and unmounted.
 */
export const sshfsLuks = definePreset("preset:sshfsLuks", sshfsLuksOptions, (options) => {
  const { remote, file, ...rest } = options;
  return [sshfsTarget(remote), luksPlugins(rest, file)];
});
