import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { q, shell } from "../lib/measure.js";
import { gpgIncrementalTool } from "../tools/cryptkeep-gpg-incremental.js";
import resticSftp from "../tools/restic-sftp.js";
import { runPeers } from "./peers.js";
import { runUploads } from "./uploads.js";

const STORE_PUT = new URL("../tools/store-put.js", import.meta.url).pathname;

/**
 * Over sftp to the bench's sshd on 127.0.0.1 (loopback):
 * - one big file (1 GiB; 100 MiB with --quick) written by cryptkeep's sftp store (its own class
 *   from the build, as a backup writes a volume) vs `scp` and `rsync -e ssh`;
 * - gpgIncremental with its sftp target vs restic's sftp backend on the "many small files" set.
 */
export async function runSftp(ctx, { bigfile, small }) {
  const { sshd } = ctx.servers;
  const ssh = `ssh -F ${q(sshd.sshConfig)}`;
  const at = (tool) => join(ctx.dir, "work", "sftp", "upload", tool);
  const uploadTool = (name, upload) => ({
    name, upload,
    arrived: () => stat(join(at(name), "file")).then((s) => s.size, () => undefined),
    clear: async () => {
      await rm(at(name), { recursive: true, force: true });
      await mkdir(at(name), { recursive: true });
    },
  });
  const store = { endpoint: { host: "127.0.0.1", port: sshd.port, user: "root", knownHosts: sshd.knownHosts }, identityFile: sshd.identityFile };
  const uploads = [
    uploadTool("cryptkeep-sftp", (file) => ({
      argv: [process.execPath, STORE_PUT, "sftp", file, "file"],
      env: { BENCH_STORE: JSON.stringify({ ...store, endpoint: { ...store.endpoint, path: at("cryptkeep-sftp") } }) },
    })),
    uploadTool("scp", (file) => shell(`scp -q -F ${q(sshd.sshConfig)} ${q(file)} test:${q(join(at("scp"), "file"))}`)),
    uploadTool("rsync-ssh", (file) => shell(`rsync -e ${q(ssh)} ${q(file)} test:${q(join(at("rsync-ssh"), "file"))}`)),
  ];
  const measurements = await runUploads(ctx, "sftp", bigfile, uploads);
  await rm(join(ctx.dir, "work", "sftp", "upload"), { recursive: true, force: true });
  if (small) {
    const cryptkeepSftp = gpgIncrementalTool("cryptkeep-sftp", (w) => ({
      sftp: { host: "127.0.0.1", port: w.servers.sshd.port, user: "root", path: w.repo, identityFile: w.servers.sshd.identityFile, knownHosts: w.servers.sshd.knownHosts },
    }), ", sftp target");
    measurements.push(...(await runPeers(ctx, small, [cryptkeepSftp, resticSftp], "sftp")));
  }
  return measurements;
}
