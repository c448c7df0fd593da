import { createJiti } from "jiti";

/**
 * The throwaway servers of the integration tests (test/servers/*.ts), started the same way for
 * the bench: an OpenSSH sshd and a one-node Ceph with radosgw, both on 127.0.0.1, all state in
 * temp folders. jiti (already a dependency, it loads backup.config.ts) runs the TypeScript.
 */
const jiti = createJiti(import.meta.url);

/** A throwaway sshd (root login by key; `identityFile`, `knownHosts`, `sshConfig` with `Host test`). */
export async function startSshd() {
  const { startSshd: start } = await jiti.import("../../test/servers/sshd.ts");
  return start();
}

/** A throwaway Ceph radosgw (`endpoint`, keys, bucket "backups"; `stop()` kills it). About 15-30 s. */
export async function startCephRgw() {
  const { startCephRgw: start } = await jiti.import("../../test/servers/ceph-rgw.ts");
  return start();
}

/** Removes the servers' temp folders (keys, configs, Ceph's data). */
export async function removeServerDirs() {
  const { removeWorkspaces } = await jiti.import("../../test/helpers/cli.ts");
  removeWorkspaces();
}
