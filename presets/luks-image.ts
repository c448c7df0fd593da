import { z } from "zod";
import { definePreset } from "../core/config/define.js";
import { checkKeyOptions } from "../plugins/encryption/luks/options.js";
import { luksPlugins, luksPresetOptions } from "./luks-common.js";

export const luksImageOptions = luksPresetOptions.extend({
  /** The container file on this machine (a USB disk, a NAS mount): "/mnt/usb/photos.img". */
  image: z.string().min(1),
}).superRefine(checkKeyOptions);

/**
 * Seeds 000/002: a LUKS image file on a disk of this machine, opened and mounted for each run,
 * rsynced into, then unmounted and closed.
 */
export const luksImage = definePreset("preset:luksImage", luksImageOptions, (options) => {
  const { image, ...rest } = options;
  return luksPlugins(rest, image);
});
