import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { existsSync } from "node:fs";

/**
 * cryptkeep's gocryptfsReverse preset vs the seed's hand-run `gocryptfs -reverse` + rsync.
 * It plugs in when the build exports the preset: write `runGocryptfs` (the same shape as
 * suites/peers.js: a cryptkeep tool and a hand tool, full / no-change / change) then.
 */
export async function gocryptfsAvailability(root) {
  const presets = join(root, "dist/presets/index.js");
  const exported = existsSync(presets) ? Object.keys(await import(pathToFileURL(presets).href)) : [];
  if (!exported.includes("gocryptfsReverse")) return "not available in this build: dist/presets exports no gocryptfsReverse preset";
  return "not available in this build: the gocryptfsReverse preset exists but bench/suites/gocryptfs-reverse.js has no runner for it yet";
}
