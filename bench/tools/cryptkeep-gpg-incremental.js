import { cryptkeepTool } from "./cryptkeep-cli.js";

/**
 * cryptkeep's gpgIncremental preset through the built CLI, as a user runs it: zstd level 3
 * (the hand pipeline's compression), default volume size, the same recipient key as the peers.
 * `target(w)`: the preset's target option (a local folder unless a suite says otherwise).
 */
export function gpgIncrementalTool(name, target, about = "", extra = {}) {
  return cryptkeepTool({
    name, preset: "gpgIncremental", about: `zstd -3${about}`, requires: ["tar", "zstd", ...(extra.encryptWith === "gpg" ? ["gpg"] : [])],
    options: (w) => ({
      source: w.source, target: target(w), recipients: [w.keys.publicFile],
      identity: { key: { file: w.keys.privateFile } }, compression: "zstd", compressionLevel: 3, ...extra,
    }),
  });
}

/** The default engine: volumes encrypted by the gpg binary where it is installed (encryptWith "auto"). */
export default gpgIncrementalTool("cryptkeep", (w) => ({ local: w.repo }));

/** The same backup with the volumes encrypted in process, by openpgp.js (encryptWith: "openpgp.js"). */
export const cryptkeepOpenpgpJs = gpgIncrementalTool("cryptkeep-openpgpjs", (w) => ({ local: w.repo }), ", encryptWith openpgp.js", { encryptWith: "openpgp.js" });
