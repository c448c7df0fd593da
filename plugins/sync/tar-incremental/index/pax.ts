import type { SparseChunk } from "./types.js";
import { HeaderError } from "./tar-header.js";

export interface PaxRecord {
  key: string;
  /** Raw bytes: GNU.dumpdir values hold NULs, names may not be UTF-8. */
  value: Buffer;
}

/** Parses "LEN key=value\n" records; order is kept because old GNU sparse maps repeat keys. */
export function parsePax(data: Buffer): PaxRecord[] {
  const records: PaxRecord[] = [];
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break; // trailing NUL padding some writers leave
    const space = data.indexOf(0x20, at);
    const len = space === -1 ? NaN : Number(data.toString("latin1", at, space));
    if (!Number.isSafeInteger(len) || len <= space - at + 1 || at + len > data.length || data[at + len - 1] !== 0x0a) {
      throw new HeaderError(`malformed pax record at byte ${at} of the extended header`);
    }
    const eq = data.indexOf(0x3d, space + 1);
    if (eq === -1 || eq >= at + len - 1) throw new HeaderError(`pax record without '=' at byte ${at}`);
    records.push({ key: data.toString("utf8", space + 1, eq), value: data.subarray(eq + 1, at + len - 1) });
    at += len;
  }
  return records;
}

export function paxValue(records: PaxRecord[], key: string): Buffer | undefined {
  let found: Buffer | undefined;
  for (const r of records) if (r.key === key) found = r.value;
  return found;
}

export function paxNumber(records: PaxRecord[], key: string): number | undefined {
  const v = paxValue(records, key);
  if (v === undefined) return undefined;
  const n = Number(v.toString("latin1"));
  if (!Number.isSafeInteger(n) || n < 0) throw new HeaderError(`pax ${key} is not a size: ${v.toString("latin1")}`);
  return n;
}

/** "1795432701.304509146" -> 1795432701304 (ms, truncated toward -infinity). */
export function paxTimeMs(text: string): number {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new HeaderError(`pax time is not a number: ${text}`);
  const sign = m[1] === "-" ? -1 : 1;
  const whole = Number(m[2]) * 1000 + Number(((m[3] ?? "") + "000").slice(0, 3));
  const belowMs = /[1-9]/.test((m[3] ?? "").slice(3));
  return sign === 1 ? whole : -whole - (belowMs ? 1 : 0);
}

/**
 * The sparse map of a pax member, if it is one: format 0.0 (repeated GNU.sparse.offset and
 * GNU.sparse.numbytes) or 0.1 (GNU.sparse.map). Format 1.0 keeps its map in the data and is
 * recognised by `isPaxSparse1`.
 */
export function paxSparseMap(records: PaxRecord[]): SparseChunk[] | undefined {
  const map = paxValue(records, "GNU.sparse.map");
  if (map !== undefined) {
    const nums = map.length === 0 ? [] : map.toString("latin1").split(",").map(Number);
    if (nums.length % 2 !== 0 || nums.some((n) => !Number.isSafeInteger(n) || n < 0)) {
      throw new HeaderError("malformed GNU.sparse.map");
    }
    const chunks: SparseChunk[] = [];
    for (let i = 0; i < nums.length; i += 2) chunks.push({ offset: nums[i] ?? 0, numbytes: nums[i + 1] ?? 0 });
    return chunks;
  }
  if (!records.some((r) => r.key === "GNU.sparse.offset")) return undefined;
  const chunks: SparseChunk[] = [];
  for (const r of records) {
    const n = Number(r.value.toString("latin1"));
    if (r.key === "GNU.sparse.offset") chunks.push({ offset: n, numbytes: NaN });
    else if (r.key === "GNU.sparse.numbytes") {
      const last = chunks[chunks.length - 1];
      if (!last || !Number.isNaN(last.numbytes)) throw new HeaderError("GNU.sparse.numbytes without an offset");
      last.numbytes = n;
    }
  }
  if (chunks.some((c) => !Number.isSafeInteger(c.offset) || !Number.isSafeInteger(c.numbytes))) {
    throw new HeaderError("malformed GNU.sparse.offset/numbytes map");
  }
  return chunks;
}

export function isPaxSparse1(records: PaxRecord[]): boolean {
  const major = paxValue(records, "GNU.sparse.major")?.toString("latin1");
  if (major === undefined) return false;
  const minor = paxValue(records, "GNU.sparse.minor")?.toString("latin1");
  if (major !== "1" || minor !== "0") throw new HeaderError(`unsupported GNU sparse format ${major}.${minor ?? "?"}`);
  return true;
}

/** The real size of a pax sparse file: GNU.sparse.realsize (1.0) or GNU.sparse.size (0.x). */
export function paxSparseRealSize(records: PaxRecord[]): number | undefined {
  return paxNumber(records, "GNU.sparse.realsize") ?? paxNumber(records, "GNU.sparse.size");
}
