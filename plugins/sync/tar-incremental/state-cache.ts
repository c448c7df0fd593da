import { chmod, copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import type { ManifestFile } from "./index/index.js";
import { countFiles, inBatches, type Manifest } from "./manifest.js";
import { CachedTree } from "./cached-tree.js";

type Header = Omit<Manifest, "files">;

/** A cache of an earlier version: the manifest without its tree (`<id>.header.json`, tree in `<id>.files.jsonl`), or whole (`<id>.json`). */
type OldHeader = Header & { files?: ManifestFile[] };

/**
 * The cached state of a snapshot (`<id>.state.json`): its manifest without the tree, the tree's
 * regular files and bytes, and where the tree is: the whole tree of `base` (`<base>.files.jsonl`,
 * one entry a line) with the deltas of `deltas` (`<id>.delta.jsonl`: a first line
 * `{"deleted":[...]}`, then the entries added or changed, one a line) applied in order.
 */
interface CachedState {
  header: Header;
  totals: { files: number; bytes: number };
  tree: { base: string; deltas: string[] };
}

/** What an incremental changed in its parent's tree, for `storeDelta`. */
export interface CacheDelta {
  parent: string;
  /** The parent's tree as `readTree` gave it; changed in place when the whole tree is written again. */
  parentTree: CachedTree;
  /** Entries to set: added or changed, and any other whose fields differ from the parent's (hardlinks whose target was renamed). */
  files: ManifestFile[];
  deleted: string[];
  totals: { files: number; bytes: number };
}

/** Once the deltas hold this share of the tree's entries, the whole tree is written again. */
const REWRITE_SHARE = 0.5;

/**
 * Local state on the source machine: the tar snapshot file (.snar) and the manifest of the
 * newest snapshot, so that backups need no private key. Rebuilt from the target when lost.
 * An incremental appends what changed to the trees already there instead of writing its whole
 * tree (50,000 entries) again.
 */
export class StateCache {
  constructor(readonly dir: string) {}

  snarPath(id: string): string {
    return join(this.dir, "snar", `${id}.snar`);
  }

  async has(id: string): Promise<boolean> {
    const ok = (p: string) => stat(p).then(() => true, () => false);
    return (await ok(this.snarPath(id))) && ((await ok(this.statePath(id))) || (await ok(this.headerPath(id))) || (await ok(this.wholePath(id))));
  }

  /** The newest snapshot's manifest with its whole tree (in no particular order). */
  async readManifest(id: string): Promise<Manifest> {
    const tree = await this.readTree(id);
    try {
      return { ...(await this.readHeader(id)), files: tree.entries() };
    } finally {
      tree.close();
    }
  }

  /** The newest snapshot's manifest without its tree: what deciding full or incremental needs. */
  async readHeader(id: string): Promise<Header> {
    const state = await this.readState(id);
    if (state) return state.header;
    const { files: _files, ...header } = await this.readOldHeader(id);
    return header;
  }

  /** The tree's regular files and bytes; undefined for a cache of an earlier version, which did not keep them. */
  async readTotals(id: string): Promise<CachedState["totals"] | undefined> {
    return (await this.readState(id))?.totals;
  }

  /** The newest snapshot's whole tree, each entry parsed only when asked for (see CachedTree; `close` it when done). */
  async readTree(id: string): Promise<CachedTree> {
    const tree = new CachedTree();
    const state = await this.readState(id);
    if (!state) {
      const old = await this.readOldHeader(id);
      if (!old.files) await tree.loadWhole(this.treePath(id));
      for (const f of old.files ?? []) tree.set(JSON.stringify(f));
      return tree;
    }
    await tree.loadWhole(this.treePath(state.tree.base));
    for (const delta of state.tree.deltas) {
      await tree.loadDelta(this.deltaPath(delta), (line) => {
        for (const path of (JSON.parse(line) as { deleted: string[] }).deleted) tree.delete(path);
      });
    }
    return tree;
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

  /** Keeps `manifest` with its whole tree (written entry by entry, never as one string) and the .snar as the newest state. */
  async store(manifest: Manifest, snar: Buffer | string): Promise<void> {
    const { files, ...header } = manifest;
    await this.storeSnar(header.id, snar);
    await this.writeWhole(header, Readable.from(inBatches(files, (file) => JSON.stringify(file) + "\n")), countFiles(files));
  }

  /**
   * Keeps an incremental's state from its parent's: only `delta` is written, next to the parent's
   * trees; once the deltas hold half as many entries as the tree, the whole tree instead.
   */
  async storeDelta(header: Header, snar: Buffer | string, delta: CacheDelta): Promise<void> {
    await this.storeSnar(header.id, snar);
    const tree = await this.appendableTree(delta);
    if (!tree) {
      for (const path of delta.deleted) delta.parentTree.delete(path);
      for (const f of delta.files) delta.parentTree.set(JSON.stringify(f));
      await this.writeWhole(header, Readable.from(inBatches([...delta.parentTree.rawLines()], (line) => line + "\n")), delta.totals);
      return;
    }
    const lines = inBatches<unknown>([{ deleted: delta.deleted }, ...delta.files], (item) => JSON.stringify(item) + "\n");
    await pipeline(Readable.from(lines), createWriteStream(this.deltaPath(header.id), { mode: 0o600 }));
    const state: CachedState = { header, totals: delta.totals, tree: { base: tree.base, deltas: [...tree.deltas, header.id] } };
    await writeFile(this.statePath(header.id), JSON.stringify(state), { mode: 0o600 });
    await this.keepOnly(header.id, [`${tree.base}.files.jsonl`, ...state.tree.deltas.map((id) => `${id}.delta.jsonl`), `${header.id}.state.json`]);
  }

  async clearWork(): Promise<void> {
    await rm(join(this.dir, "work"), { recursive: true, force: true });
  }

  private async storeSnar(id: string, snar: Buffer | string): Promise<void> {
    await mkdir(join(this.dir, "snar"), { recursive: true, mode: 0o700 });
    await mkdir(join(this.dir, "manifests"), { recursive: true, mode: 0o700 });
    const snarFile = this.snarPath(id);
    if (typeof snar === "string") {
      await rename(snar, snarFile);
      await chmod(snarFile, 0o600);
    } else await writeFile(snarFile, snar, { mode: 0o600 });
  }

  private async writeWhole(header: Header, lines: Readable, totals: CachedState["totals"]): Promise<void> {
    await pipeline(lines, createWriteStream(this.treePath(header.id), { mode: 0o600 }));
    const state: CachedState = { header, totals, tree: { base: header.id, deltas: [] } };
    await writeFile(this.statePath(header.id), JSON.stringify(state), { mode: 0o600 });
    await this.keepOnly(header.id, [`${header.id}.state.json`, `${header.id}.files.jsonl`]);
  }

  /** The parent's tree files, if the delta may be appended to them (see `storeDelta`). */
  private async appendableTree(delta: CacheDelta): Promise<CachedState["tree"] | undefined> {
    const tree = (await this.readState(delta.parent))?.tree;
    if (!tree) return undefined; // a cache of an earlier version: written again whole, in the current form
    let entries = delta.files.length + delta.deleted.length;
    for (const id of tree.deltas) entries += await countLines(this.deltaPath(id));
    return entries > delta.parentTree.size * REWRITE_SHARE ? undefined : tree;
  }

  private async readState(id: string): Promise<CachedState | undefined> {
    const text = await readFile(this.statePath(id), "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    return text === undefined ? undefined : (JSON.parse(text) as CachedState);
  }

  private async readOldHeader(id: string): Promise<OldHeader> {
    return JSON.parse(await readFile(this.headerPath(id), "utf8").catch(() => readFile(this.wholePath(id), "utf8"))) as OldHeader;
  }

  /**
   * Named apart from the whole-manifest `<id>.json` and the `<id>.header.json` of earlier versions,
   * so that one of those run on this cache finds no state and rebuilds it instead of misreading it.
   */
  private statePath(id: string): string {
    return join(this.dir, "manifests", `${id}.state.json`);
  }

  private headerPath(id: string): string {
    return join(this.dir, "manifests", `${id}.header.json`);
  }

  private wholePath(id: string): string {
    return join(this.dir, "manifests", `${id}.json`);
  }

  private treePath(id: string): string {
    return join(this.dir, "manifests", `${id}.files.jsonl`);
  }

  private deltaPath(id: string): string {
    return join(this.dir, "manifests", `${id}.delta.jsonl`);
  }

  private async keepOnly(id: string, manifests: string[]): Promise<void> {
    const kept: [string, string[]][] = [["snar", [`${id}.snar`]], ["manifests", manifests]];
    for (const [sub, keep] of kept) {
      const names = await readdir(join(this.dir, sub)).catch(() => [] as string[]);
      for (const name of names) if (!keep.includes(name)) await rm(join(this.dir, sub, name), { force: true });
    }
  }
}

async function countLines(path: string): Promise<number> {
  let count = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count++;
  return count;
}
