import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { existsSync } from "node:fs";

/**
 * cryptkeep's sftp store vs scp, `rsync -e ssh` and restic's sftp backend over loopback, for a
 * 1 GB file. It plugs in when the build exports an sftp store plugin.
 */
export async function sftpAvailability(root) {
  const plugins = join(root, "dist/plugins/index.js");
  const exported = existsSync(plugins) ? Object.keys(await import(pathToFileURL(plugins).href)) : [];
  if (!exported.some((name) => /sftp/i.test(name))) return "not available in this build: dist/plugins exports no sftp store";
  return "not available in this build: the sftp store exists but bench/suites/sftp.js has no runner for it yet";
}
