import { buffer } from "node:stream/consumers";
import { messages } from "../../../core/messages.js";
import type { Cipher, RunContext, SnapshotInfo, Store } from "../../../core/types.js";
import { SNAPSHOTS, infoName, manifestName, snapshotPrefix, snapshotTime } from "./layout.js";
import { MANIFEST_FORMAT, type Manifest, type SnapshotIndexEntry } from "./manifest.js";
import { ManifestParser } from "./manifest-parser.js";
import type { ManifestFile } from "./index/index.js";

/** The snapshots at the target, read without the key; manifests read with it. */
export class TarRepository {
  constructor(
    private readonly store: Store,
    private readonly cipher: Cipher,
  ) {}

  async list(): Promise<SnapshotInfo[]> {
    const objects = await this.store.list(SNAPSHOTS);
    const byId = new Map<string, { names: Set<string>; bytes: number }>();
    for (const object of objects) {
      const id = object.name.slice(SNAPSHOTS.length).split("/")[0]!;
      const entry = byId.get(id) ?? { names: new Set(), bytes: 0 };
      entry.names.add(object.name);
      entry.bytes += object.size;
      byId.set(id, entry);
    }
    const out: SnapshotInfo[] = [];
    for (const [id, entry] of byId) {
      const complete = entry.names.has(manifestName(id, this.cipher.extension)) && entry.names.has(infoName(id));
      const info = complete ? await this.readInfo(id).catch(() => undefined) : undefined;
      out.push({
        id,
        time: info?.time ?? (Number.isNaN(snapshotTime(id).getTime()) ? "" : snapshotTime(id).toISOString()),
        type: info?.type ?? "incremental",
        parent: info?.parent,
        files: info?.files ?? 0,
        sourceBytes: info?.sourceBytes ?? 0,
        storedBytes: entry.bytes,
        volumes: info?.volumes ?? 0,
        complete: complete && info !== undefined,
      });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  async complete(): Promise<SnapshotInfo[]> {
    return (await this.list()).filter((s) => s.complete);
  }

  async readInfo(id: string): Promise<SnapshotIndexEntry> {
    const data = await buffer(await this.store.get(infoName(id)));
    const info = JSON.parse(data.toString("utf8")) as SnapshotIndexEntry;
    if (info.format !== MANIFEST_FORMAT || info.id !== id) throw new Error(`unexpected index for ${id}`);
    return info;
  }

  /**
   * Decrypted and parsed as a stream, entry by entry (a full's manifest is 16 MB for 50,000 files);
   * returned only once the stream has ended with its integrity and signature checked. With `keep`,
   * `files` holds only the entries it accepts.
   */
  async readManifest(ctx: RunContext, id: string, keep?: (file: ManifestFile) => boolean): Promise<Manifest> {
    const name = manifestName(id, this.cipher.extension);
    if (!(await this.store.exists(name))) throw messages.manifestMissing(id);
    const parser = new ManifestParser(keep);
    let malformed: unknown;
    for await (const chunk of await this.cipher.decryptSigned(ctx, await this.store.get(name))) {
      // Read to the end even so: a damaged or replaced manifest is reported as such, not as bad JSON.
      if (malformed === undefined) {
        try {
          parser.write(chunk as Uint8Array);
        } catch (error) {
          malformed = error;
        }
      }
    }
    if (malformed !== undefined) throw malformed;
    const manifest = parser.end();
    if (manifest.format !== MANIFEST_FORMAT || manifest.id !== id) throw messages.manifestMissing(id);
    return manifest;
  }

  /** The manifests of `chain`, in its order; `keep` as for readManifest. */
  async readManifests(ctx: RunContext, chain: SnapshotInfo[], keep?: (file: ManifestFile) => boolean): Promise<Manifest[]> {
    const out: Manifest[] = [];
    for (const snapshot of chain) out.push(await this.readManifest(ctx, snapshot.id, keep));
    return out;
  }

  /** The snapshots needed to restore `id`, full first. */
  chain(snapshots: SnapshotInfo[], id: string): SnapshotInfo[] {
    const byId = new Map(snapshots.map((s) => [s.id, s]));
    const out: SnapshotInfo[] = [];
    let current = byId.get(id);
    if (!current) throw messages.snapshotUnknown(id);
    while (current) {
      out.unshift(current);
      if (current.type === "full") return out;
      const parent: string | undefined = current.parent;
      current = parent ? byId.get(parent) : undefined;
      if (!current || !current.complete) throw messages.chainBroken(id, parent ?? "its full backup");
    }
    return out;
  }

  /** Manifest first, so a prune cut short leaves an incomplete snapshot, never a damaged complete one. */
  async remove(id: string): Promise<void> {
    await this.store.delete(manifestName(id, this.cipher.extension));
    await this.store.deleteAll(snapshotPrefix(id));
  }
}
