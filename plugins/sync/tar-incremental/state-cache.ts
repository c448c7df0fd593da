import { chmod, copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import type { ManifestFile } from "./index/index.js";
import { inBatches, type Manifest } from "./manifest.js";

/** The cached manifest without its tree, which is kept next to it one entry a line (`<id>.files.jsonl`). */
type CachedHeader = Omit<Manifest, "files"> & { files?: ManifestFile[] };

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
    return (await ok(this.snarPath(id))) && ((await ok(this.headerPath(id))) || (await ok(this.wholePath(id))));
  }

  /**
   * The newest snapshot's manifest with its whole tree. The tree is read line by line: for
   * 50,000 files it is over 10 MB, which as one string would be parsed only after being held whole.
   */
  async readManifest(id: string): Promise<Manifest> {
    const header = JSON.parse(await readFile(this.headerPath(id), "utf8").catch(() => readFile(this.wholePath(id), "utf8"))) as CachedHeader;
    if (header.files) return header as Manifest; // a cache written before the tree had its own file
    const files: ManifestFile[] = [];
    const lines = createInterface({ input: createReadStream(this.treePath(id)), crlfDelay: Infinity });
    for await (const line of lines) if (line) files.push(JSON.parse(line) as ManifestFile);
    return { ...header, files };
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

  /** Keeps `manifest` (its tree written entry by entry, never as one string) and the .snar as the newest state. */
  async store(manifest: Manifest, snar: Buffer | string): Promise<void> {
    await mkdir(join(this.dir, "snar"), { recursive: true, mode: 0o700 });
    await mkdir(join(this.dir, "manifests"), { recursive: true, mode: 0o700 });
    const snarFile = this.snarPath(manifest.id);
    if (typeof snar === "string") {
      await rename(snar, snarFile);
      await chmod(snarFile, 0o600);
    }
    else await writeFile(snarFile, snar, { mode: 0o600 });
    const { files, ...header } = manifest;
    await pipeline(Readable.from(inBatches(files, (file) => JSON.stringify(file) + "\n")), createWriteStream(this.treePath(manifest.id), { mode: 0o600 }));
    await writeFile(this.headerPath(manifest.id), JSON.stringify(header), { mode: 0o600 });
    await this.keepOnly(manifest.id);
  }

  /**
   * Named apart from the whole-manifest `<id>.json` of earlier versions, so that one of those run
   * on this cache finds no state and rebuilds it instead of misreading it.
   */
  private headerPath(id: string): string {
    return join(this.dir, "manifests", `${id}.header.json`);
  }

  private wholePath(id: string): string {
    return join(this.dir, "manifests", `${id}.json`);
  }

  private treePath(id: string): string {
    return join(this.dir, "manifests", `${id}.files.jsonl`);
  }

  async clearWork(): Promise<void> {
    await rm(join(this.dir, "work"), { recursive: true, force: true });
  }

  private async keepOnly(id: string): Promise<void> {
    const kept: [string, string[]][] = [["snar", [`${id}.snar`]], ["manifests", [`${id}.header.json`, `${id}.files.jsonl`]]];
    for (const [sub, keep] of kept) {
      const names = await readdir(join(this.dir, sub)).catch(() => [] as string[]);
      for (const name of names) if (!keep.includes(name)) await rm(join(this.dir, sub, name), { force: true });
    }
  }
}

