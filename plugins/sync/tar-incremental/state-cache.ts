import { chmod, copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Manifest } from "./manifest.js";

/**
 * Local state on the source machine: the tar snapshot file (.snar) and the manifest of the
 * newest snapshot, so that backups need no private key. Rebuilt from the target when lost.
 */
export class StateCache {
  constructor(readonly dir: string) {}

  snarPath(id: string): string {
    return join(this.dir, "snar", `${id}.snar`);
  }

  async has(id: string): Promise<boolean> {
    const ok = (p: string) => stat(p).then(() => true, () => false);
    return (await ok(this.snarPath(id))) && (await ok(join(this.dir, "manifests", `${id}.json`)));
  }

  async readManifest(id: string): Promise<Manifest> {
    return JSON.parse(await readFile(join(this.dir, "manifests", `${id}.json`), "utf8")) as Manifest;
  }

  /** A private copy of the parent's .snar for tar to update; the cached one stays as it was. */
  async workingSnar(parent: string | undefined, id: string): Promise<string> {
    await mkdir(join(this.dir, "work"), { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const working = join(this.dir, "work", `${id}.snar`);
    await rm(working, { force: true });
    if (parent) await copyFile(this.snarPath(parent), working);
    return working;
  }

  /** `json`: the manifest already serialised, when the caller has it (it is big for big trees). */
  async store(manifest: Manifest, snar: Buffer | string, json = JSON.stringify(manifest)): Promise<void> {
    await mkdir(join(this.dir, "snar"), { recursive: true, mode: 0o700 });
    await mkdir(join(this.dir, "manifests"), { recursive: true, mode: 0o700 });
    const snarFile = this.snarPath(manifest.id);
    if (typeof snar === "string") {
      await rename(snar, snarFile);
      await chmod(snarFile, 0o600);
    }
    else await writeFile(snarFile, snar, { mode: 0o600 });
    await writeFile(join(this.dir, "manifests", `${manifest.id}.json`), json, { mode: 0o600 });
    await this.keepOnly(manifest.id);
  }

  async clearWork(): Promise<void> {
    await rm(join(this.dir, "work"), { recursive: true, force: true });
  }

  private async keepOnly(id: string): Promise<void> {
    for (const [sub, suffix] of [["snar", ".snar"], ["manifests", ".json"]] as const) {
      const names = await readdir(join(this.dir, sub)).catch(() => [] as string[]);
      for (const name of names) if (name !== `${id}${suffix}`) await rm(join(this.dir, sub, name), { force: true });
    }
  }
}
