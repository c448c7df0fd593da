import { rm } from "node:fs/promises";
import { join } from "node:path";
import { runPeers } from "./peers.js";
import cryptkeepGocryptfs from "../tools/cryptkeep-gocryptfs.js";
import gocryptfsHand, { REVERSE_CONF } from "../tools/gocryptfs-hand.js";

export const gocryptfsTools = [cryptkeepGocryptfs, gocryptfsHand];

/**
 * cryptkeep's gocryptfsReverse preset vs seed 001's commands run by hand, on the "many small
 * files" set, both to a local target folder: full, no-change, 1% change, full restore, one file,
 * verify, alternating as the gpgIncremental suite does. Local, not sshfs: on a loaded 2-core
 * machine rsync over sshfs pays a loopback round trip per file operation and took minutes for
 * 4,000 files, which would hide the engine's own overhead this suite is meant to show. Both use the one
 * reverse config gocryptfs keeps in the source; it is removed afterwards, so the dataset is
 * left as built.
 */
export async function runGocryptfs(ctx, dataset) {
  try {
    return await runPeers(ctx, dataset, gocryptfsTools, "gocryptfsReverse");
  } finally {
    await rm(join(dataset.dir, REVERSE_CONF), { force: true });
  }
}
