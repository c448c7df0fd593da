import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { CryptkeepError } from "../../../../core/errors.js";
import { parseDumpdir } from "./dumpdir.js";
import { decodeName, normalisePath } from "./names.js";
import { isPaxSparse1, paxNumber, paxSparseMap, paxSparseRealSize, paxTimeMs, paxValue, parsePax, type PaxRecord } from "./pax.js";
import { checkSparseMap, parseSparse1Map, SparseHasher } from "./sparse.js";
import { BLOCK, decodeHeader, decodeSparseExtension, HeaderError, isZeroBlock, type RawHeader } from "./tar-header.js";
import type { Dumpdir, EntryType, SparseChunk, TarIndex, TarMember } from "./types.js";

const MAX_NAME_HEADER = 16 * 1024 * 1024;
// A dumpdir lists a whole directory; only a guard against a corrupt size field.
const MAX_DUMPDIR = 1024 * 1024 * 1024;

type Step =
  | { kind: "collect"; need: number; parts: Buffer[]; have: number; done: (data: Buffer) => void; header?: true }
  | { kind: "stream"; remaining: number; data: (chunk: Buffer) => void; done: () => void }
  | { kind: "trailer" };

/** Metadata gathered from GNU long-name and pax headers for the member that follows them. */
interface Pending {
  start?: number;
  longName?: Buffer;
  longLink?: Buffer;
  pax: PaxRecord[];
}

/**
 * Indexes a tar byte stream as it is written: member paths, types, metadata, SHA-256 of regular
 * files (hashed as the data passes, never buffered) and the byte ranges of each member, plus the
 * GNU dumpdirs of listed-incremental archives. Backpressure is the Writable's own: a chunk is
 * fully processed before its write callback runs.
 *
 * Written here rather than on tar-stream, which gives dumpdir ('D') members a null type, does
 * not understand GNU sparse members (their extension blocks would be read as file data),
 * decodes pax values as text (GNU.dumpdir holds NULs) and reports no offset for long-name headers.
 */
export class TarIndexer extends Writable {
  private pos = 0;
  private step: Step;
  private pending: Pending = { pax: [] };
  private globalPax: PaxRecord[] = [];
  private zeroBlockAt: number | undefined;
  private archiveEnd: number | undefined;
  private readonly members: TarMember[] = [];
  private readonly dumpdirs: Dumpdir[] = [];
  private readonly done: Promise<TarIndex>;

  private readonly onMember?: (member: TarMember) => void;
  private readonly keepMembers: boolean;
  private readonly keepDumpdirs: boolean;

  /**
   * `keepMembers: false`: members go only to `onMember`, and the index's `members` stays empty (verify of 50,000 files).
   * `keepDumpdirs: false`: the index's `dumpdirs` stays empty (a restore that only needs where the folders are).
   */
  constructor(options: { highWaterMark?: number; onMember?: (member: TarMember) => void; keepMembers?: boolean; keepDumpdirs?: boolean } = {}) {
    super({ highWaterMark: options.highWaterMark });
    this.onMember = options.onMember;
    this.keepMembers = options.keepMembers ?? true;
    this.keepDumpdirs = options.keepDumpdirs ?? true;
    this.step = this.headerStep();
    this.done = new Promise<TarIndex>((resolve, reject) => {
      this.once("finish", () => resolve(this.index()));
      this.once("error", reject);
      this.once("close", () => reject(new Error("tar indexer closed before the end of the stream")));
    });
    this.done.catch(() => undefined); // a caller that never asks must not see an unhandled rejection
  }

  /** Resolves with the index once the whole stream has been written and ended. */
  result(): Promise<TarIndex> {
    return this.done;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.consume(chunk);
      callback();
    } catch (error) {
      callback(this.wrap(error));
    }
  }

  /**
   * Indexes `chunk` at once, without the Writable's machinery, for a caller that reads into one
   * reused buffer: nothing of `chunk` is kept past the call. Throws what a write would fail with.
   * End with `end()` as for writes.
   */
  feed(chunk: Buffer): void {
    try {
      this.consume(chunk);
    } catch (error) {
      throw this.wrap(error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    const s = this.step;
    if (s.kind === "trailer") return callback();
    const atHeader = s.kind === "collect" && s.header === true && s.have === 0 && this.pending.start === undefined;
    if (atHeader && this.zeroBlockAt !== undefined) {
      // A single zero block then EOF: GNU tar accepts this with a warning ("A lone zero block").
      this.archiveEnd = this.zeroBlockAt;
      return callback();
    }
    const why = atHeader ? "the stream ended without an end-of-archive marker" : "the stream ended in the middle of a member";
    callback(this.wrap(new HeaderError(`${why} (truncated archive)`)));
  }

  private index(): TarIndex {
    return { members: this.members, dumpdirs: this.dumpdirs, archiveEnd: this.archiveEnd ?? this.pos, totalBytes: this.pos };
  }

  private consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const s = this.step;
      if (s.kind === "collect") {
        const take = Math.min(s.need - s.have, chunk.length - at);
        const part = chunk.subarray(at, at + take);
        s.have += take;
        at += take;
        this.pos += take;
        // Kept pieces are copies: a caller may reuse its buffer for the next chunk (feed).
        if (s.have < s.need) s.parts.push(Buffer.from(part));
        else s.done(s.parts.length === 0 ? Buffer.from(part) : Buffer.concat([...s.parts, part]));
      } else if (s.kind === "stream") {
        const take = Math.min(s.remaining, chunk.length - at);
        s.data(chunk.subarray(at, at + take));
        s.remaining -= take;
        at += take;
        this.pos += take;
        if (s.remaining === 0) s.done();
      } else {
        for (; at < chunk.length; at++, this.pos++) {
          if (chunk[at] !== 0) throw new HeaderError("non-zero bytes after the end-of-archive marker");
        }
      }
    }
  }

  private collect(need: number, done: (data: Buffer) => void): void {
    if (need === 0) return done(Buffer.alloc(0));
    this.step = { kind: "collect", need, parts: [], have: 0, done };
  }

  private stream(remaining: number, data: (chunk: Buffer) => void, done: () => void): void {
    if (remaining === 0) return done();
    this.step = { kind: "stream", remaining, data, done };
  }

  private headerStep(): Step {
    return { kind: "collect", need: BLOCK, parts: [], have: 0, done: (block) => this.onHeader(block), header: true };
  }

  /** Skips the padding after `size` bytes of data, then reads the next header. */
  private padThenHeader(size: number): void {
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    this.stream(pad, () => undefined, () => {
      this.step = this.headerStep();
    });
  }

  private onHeader(block: Buffer): void {
    const blockStart = this.pos - BLOCK;
    if (isZeroBlock(block)) {
      if (this.zeroBlockAt === undefined && this.pending.start === undefined) {
        this.zeroBlockAt = blockStart;
        this.step = this.headerStep();
      } else if (this.pending.start !== undefined) {
        throw new HeaderError("zero block where a member header was expected after an extended header");
      } else {
        this.archiveEnd = this.zeroBlockAt;
        this.step = { kind: "trailer" };
      }
      return;
    }
    if (this.zeroBlockAt !== undefined) {
      throw new HeaderError(`lone zero block at byte ${this.zeroBlockAt} followed by more members`);
    }
    const header = decodeHeader(block);
    this.pending.start ??= blockStart;
    switch (header.typeflag) {
      case "L":
        return this.readMeta(header, MAX_NAME_HEADER, (data) => (this.pending.longName = cString(data)));
      case "K":
        return this.readMeta(header, MAX_NAME_HEADER, (data) => (this.pending.longLink = cString(data)));
      case "x":
        return this.readMeta(header, MAX_DUMPDIR, (data) => this.pending.pax.push(...parsePax(data)));
      case "g":
        return this.readMeta(header, MAX_NAME_HEADER, (data) => {
          this.globalPax = mergePax(this.globalPax, parsePax(data));
          this.pending = { pax: [] }; // a global header belongs to no member
        });
      case "V": // volume label: not a file
        this.pending = { pax: [] };
        return this.padThenHeaderAfterSkipping(header.size);
      case "M":
        throw new HeaderError("multi-volume continuation member ('M'): this indexer reads single-volume archives");
      case "N":
        throw new HeaderError("obsolete GNU long-name member ('N') is not supported");
      case "S":
        if (!header.gnuSparse) throw new HeaderError("GNU sparse member ('S') in a header that is not in GNU format");
        if (header.gnuSparse.extended) return this.readSparseExtensions(header, [...header.gnuSparse.chunks]);
        return this.startMember(header, header.gnuSparse.chunks);
      default:
        return this.startMember(header, undefined);
    }
  }

  private readMeta(header: RawHeader, max: number, apply: (data: Buffer) => void): void {
    if (header.size > max) throw new HeaderError(`'${header.typeflag}' header of ${header.size} bytes exceeds ${max}`);
    this.collect(header.size, (data) => {
      apply(data);
      this.padThenHeader(header.size);
    });
  }

  private padThenHeaderAfterSkipping(size: number): void {
    this.stream(size, () => undefined, () => this.padThenHeader(size));
  }

  private readSparseExtensions(header: RawHeader, chunks: SparseChunk[]): void {
    this.collect(BLOCK, (block) => {
      const ext = decodeSparseExtension(block);
      chunks.push(...ext.chunks);
      if (ext.extended) this.readSparseExtensions(header, chunks);
      else this.startMember(header, chunks);
    });
  }

  private startMember(header: RawHeader, gnuSparseChunks: SparseChunk[] | undefined): void {
    const pending = this.pending;
    this.pending = { pax: [] };
    const pax = mergePax(this.globalPax, pending.pax);

    const nameBytes = nonEmpty(paxValue(pax, "GNU.sparse.name")) ?? nonEmpty(paxValue(pax, "path")) ?? pending.longName ?? header.name;
    const rawName = decodeName(nameBytes);
    const path = normalisePath(rawName);
    const linkBytes = nonEmpty(paxValue(pax, "linkpath")) ?? pending.longLink ?? header.linkname;
    const stored = paxNumber(pax, "size") ?? header.size;
    const paxMtime = nonEmpty(paxValue(pax, "mtime"));
    const mtime = paxMtime ? paxTimeMs(paxMtime.toString("latin1")) : header.mtime * 1000;
    const type = entryType(header.typeflag, rawName);

    const member: TarMember = {
      path,
      type,
      size: 0,
      mode: header.mode,
      mtime,
      headerStart: pending.start ?? this.pos - BLOCK,
      dataStart: this.pos,
      dataEnd: this.pos + stored,
      typeflag: header.typeflag,
    };
    if (type === "symlink") member.linkTarget = decodeName(linkBytes);
    if (type === "hardlink") member.linkTarget = normalisePath(decodeName(linkBytes));

    const finish = () => {
      if (path !== ".") {
        if (this.keepMembers) this.members.push(member);
        this.onMember?.(member);
      }
      this.padThenHeader(stored);
    };

    if (type === "dir") {
      const paxDumpdir = paxValue(pax, "GNU.dumpdir");
      if (paxDumpdir !== undefined) this.addDumpdir(path, member.headerStart, paxDumpdir);
      if (header.typeflag !== "D") return this.stream(stored, () => undefined, finish);
      if (stored > MAX_DUMPDIR) throw new HeaderError(`dumpdir of ${stored} bytes for ${path} exceeds ${MAX_DUMPDIR}`);
      return this.collect(stored, (data) => {
        this.addDumpdir(path, member.headerStart, data);
        finish();
      });
    }
    if (type !== "file") return this.stream(stored, () => undefined, finish);

    const hash = createHash("sha256");
    const paxSparse = paxSparseMap(pax);
    if (gnuSparseChunks || paxSparse) {
      const realSize = gnuSparseChunks ? (header.gnuSparse?.realSize ?? 0) : paxSparseRealSize(pax);
      if (realSize === undefined) throw new HeaderError(`pax sparse member ${path} has no GNU.sparse.size`);
      return this.streamSparse(member, gnuSparseChunks ?? paxSparse ?? [], realSize, stored, hash, finish);
    }
    if (isPaxSparse1(pax)) {
      const realSize = paxSparseRealSize(pax);
      if (realSize === undefined) throw new HeaderError(`pax sparse member ${path} has no GNU.sparse.realsize`);
      return this.readSparse1Map(member, realSize, stored, Buffer.alloc(0), hash, finish);
    }
    member.size = stored;
    this.stream(
      stored,
      (chunk) => hash.update(chunk),
      () => {
        member.sha256 = hash.digest("hex");
        finish();
      },
    );
  }

  private streamSparse(
    member: TarMember,
    chunks: SparseChunk[],
    realSize: number,
    storedData: number,
    hash: ReturnType<typeof createHash>,
    finish: () => void,
  ): void {
    checkSparseMap(chunks, realSize, storedData);
    member.size = realSize;
    member.sparse = chunks;
    const hasher = new SparseHasher(chunks, realSize, hash);
    this.stream(
      storedData,
      (chunk) => hasher.update(chunk),
      () => {
        member.sha256 = hasher.digest();
        finish();
      },
    );
  }

  /** Format 1.0: read blocks until the map at the head of the data is complete, then the runs. */
  private readSparse1Map(
    member: TarMember,
    realSize: number,
    stored: number,
    head: Buffer,
    hash: ReturnType<typeof createHash>,
    finish: () => void,
  ): void {
    if (head.length >= stored) throw new HeaderError(`sparse map of ${member.path} runs past its data`);
    this.collect(BLOCK, (block) => {
      const soFar = Buffer.concat([head, block]);
      const map = parseSparse1Map(soFar);
      if (!map) return this.readSparse1Map(member, realSize, stored, soFar, hash, finish);
      member.dataStart = this.pos;
      // The map blocks are part of the stored size; padThenHeader still pads from the member's start.
      const rest = stored - map.mapBytes;
      checkSparseMap(map.chunks, realSize, rest);
      member.size = realSize;
      member.sparse = map.chunks;
      const hasher = new SparseHasher(map.chunks, realSize, hash);
      this.stream(
        rest,
        (chunk) => hasher.update(chunk),
        () => {
          member.sha256 = hasher.digest();
          finish();
        },
      );
    });
  }

  private addDumpdir(path: string, headerStart: number, data: Uint8Array): void {
    if (this.keepDumpdirs) this.dumpdirs.push({ path, headerStart, entries: parseDumpdir(data) });
  }

  private wrap(error: unknown): Error {
    if (!(error instanceof HeaderError)) return error instanceof Error ? error : new Error(String(error));
    return new CryptkeepError({
      code: "TAR_STREAM_INVALID",
      message: `tar stream is not valid near byte ${this.pos}: ${error.message}`,
      hint: "the archive stream is truncated or corrupt; do not trust the backup that produced it and run it again",
      cause: error,
    });
  }
}

function entryType(typeflag: string, rawName: string): EntryType {
  switch (typeflag) {
    case "0":
    case "\0":
      return rawName.endsWith("/") ? "dir" : "file"; // pre-POSIX tars marked directories with a trailing slash
    case "7":
    case "S":
      return "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "5":
    case "D":
      return "dir";
    default:
      return "other";
  }
}

/** Later records win; an empty value deletes the key (POSIX pax semantics). */
function mergePax(base: PaxRecord[], over: PaxRecord[]): PaxRecord[] {
  if (over.length === 0) return base;
  const overridden = new Set(over.filter((r) => !r.key.startsWith("GNU.sparse.")).map((r) => r.key));
  return [...base.filter((r) => !overridden.has(r.key)), ...over];
}

function nonEmpty(value: Buffer | undefined): Buffer | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}

function cString(data: Buffer): Buffer {
  const end = data.indexOf(0);
  return Buffer.from(end === -1 ? data : data.subarray(0, end));
}
