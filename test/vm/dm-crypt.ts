import { execaSync } from "execa";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Whether this machine's kernel can open a LUKS container, found by trying: format a small
 * file, open it, close it. Tests that need dm-crypt run directly when it can, else in the VM.
 */
export function hostHasDmCrypt(): boolean {
  const dir = mkdtempSync(join(tmpdir(), "cryptkeep-dmprobe-"));
  const image = join(dir, "probe.img");
  const name = `cryptkeep-probe-${process.pid}`;
  try {
    execaSync("truncate", ["-s", "32M", image]);
    const key = "probe key of the dm-crypt check";
    execaSync("cryptsetup", ["luksFormat", "--batch-mode", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", "-", image], { input: key });
    const open = execaSync("cryptsetup", ["open", "--key-file", "-", image, name], { input: key, reject: false });
    if (open.exitCode !== 0) return false;
    execaSync("cryptsetup", ["close", name], { reject: false });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
