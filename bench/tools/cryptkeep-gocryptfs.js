import { cryptkeepTool } from "./cryptkeep-cli.js";
import { GOCRYPTFS_ENV, REVERSE_CONF } from "./gocryptfs-hand.js";

/** cryptkeep's gocryptfsReverse preset through the built CLI, to a local target folder (where the hand commands write too). */
export default cryptkeepTool({
  name: "cryptkeep-gocryptfs", preset: "gocryptfsReverse", about: "local target", env: GOCRYPTFS_ENV, notRestored: [REVERSE_CONF],
  options: (w) => ({ source: w.source, password: { env: Object.keys(GOCRYPTFS_ENV)[0] }, target: { local: w.repo } }),
});
