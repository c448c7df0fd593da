import type { ManifestFile } from "./index/index.js";
import type { Manifest } from "./manifest.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const FILES_KEY = "files";

/**
 * Parses a manifest's JSON as it streams in: each entry of its `files` array on its own (one small
 * JSON.parse per entry), the rest (volumes, changes, errors...) at the end. A full's manifest
 * (16 MB for 50,000 files) is then never one buffer, one string or one parse. Any order of keys
 * is read, so manifests of older cryptkeep versions (one JSON.stringify) parse too.
 * Works on bytes: JSON's structural characters never occur inside a UTF-8 multi-byte sequence.
 */
export class ManifestParser {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The bytes of the latest string at depth 1 (a key, when a value follows), up to the length of "files". */
  private key = "";
  private inFiles = false;
  private inEntry = false;
  private readonly header: Buffer[] = [];
  private entry: Buffer[] = [];
  private readonly files: ManifestFile[] = [];

  /** `keep`: which entries to hold (a --path restore needs only those under its paths); all by default. */
  constructor(private readonly keep?: (file: ManifestFile) => boolean) {}

  write(bytes: Uint8Array): void {
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let headerFrom = this.inFiles ? -1 : 0;
    let entryFrom = this.inEntry ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        else if (this.depth === 1 && this.key.length <= FILES_KEY.length) this.key += String.fromCharCode(c);
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1) this.key = "";
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (this.inFiles && this.depth === 2) {
          this.inEntry = true;
          entryFrom = i;
        } else if (!this.inFiles && this.depth === 1 && c === OPEN_ARRAY && this.key === FILES_KEY) {
          this.inFiles = true;
          this.header.push(Buffer.from(chunk.subarray(headerFrom, i + 1)));
          headerFrom = -1;
        }
        this.depth++;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth--;
        if (this.inEntry && this.depth === 2) {
          const file = this.parseEntry(chunk, entryFrom, i + 1);
          if (!this.keep || this.keep(file)) this.files.push(file);
          this.inEntry = false;
          entryFrom = -1;
        } else if (this.inFiles && this.depth === 1) {
          this.inFiles = false;
          headerFrom = i;
        }
      }
    }
    if (headerFrom >= 0) this.header.push(Buffer.from(chunk.subarray(headerFrom)));
    if (this.inEntry) this.entry.push(Buffer.from(chunk.subarray(entryFrom)));
  }

  /** The manifest, once the whole JSON has been written. Throws on a truncated or malformed one. */
  end(): Manifest {
    if (this.depth !== 0 || this.inString) throw new SyntaxError("the manifest's JSON ends early");
    const manifest = JSON.parse(Buffer.concat(this.header).toString("utf8")) as Manifest;
    manifest.files = this.files;
    return manifest;
  }

  private parseEntry(chunk: Buffer, from: number, to: number): ManifestFile {
    if (this.entry.length === 0) return JSON.parse(chunk.toString("utf8", from, to)) as ManifestFile;
    this.entry.push(chunk.subarray(0, to));
    const text = Buffer.concat(this.entry).toString("utf8");
    this.entry = [];
    return JSON.parse(text) as ManifestFile;
  }
}
