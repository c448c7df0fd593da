import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface PackageInfo { root: string; version: string }

let found: PackageInfo | undefined;

/**
 * This installation's folder (where package.json names "cryptkeep") and version. Found by walking
 * up from this module, because the built CLI is bundled: a module's own place in dist/ says
 * nothing about where the package's other files are.
 */
export function cryptkeepPackage(): PackageInfo {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "cryptkeep") return (found = { root: dir, version: pkg.version ?? "0.0.0" });
    } catch { /* no package.json here: keep walking up */ }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cryptkeep's package.json was not found above its modules: the installation is broken, reinstall it");
    dir = parent;
  }
}
