/** Names of the objects at the target. Plain names, so a person can find their way with `ls`. */
export const FORMAT_MARKER = "cryptkeep.json";
export const SNAPSHOTS = "snapshots/";

export const snapshotPrefix = (id: string) => `${SNAPSHOTS}${id}/`;
export const infoName = (id: string) => `${snapshotPrefix(id)}info.json`;
export const manifestName = (id: string, ext: string) => `${snapshotPrefix(id)}manifest.json${ext}`;
export const snarName = (id: string, ext: string) => `${snapshotPrefix(id)}snar${ext}`;

export function volumeName(id: string, index: number, compressionExt: string, ext: string): string {
  return `${snapshotPrefix(id)}vol-${String(index).padStart(5, "0")}.tar${compressionExt}${ext}`;
}

/** Snapshot ids are UTC times that sort as they happened: 20261123T111233.456Z. */
export function newSnapshotId(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "");
}

export function snapshotTime(id: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(id);
  if (!m) return new Date(NaN);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ""}Z`);
}

export function isSnapshotId(text: string): boolean {
  return !Number.isNaN(snapshotTime(text).getTime());
}
