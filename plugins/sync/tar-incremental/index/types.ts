export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "other";

/** Control codes of a GNU dumpdir: see "Dumpdir" in the GNU tar manual. */
export type DumpdirFlag = "Y" | "N" | "D" | "R" | "T" | "X";

export interface DumpdirEntry {
  flag: DumpdirFlag;
  /** Y/N/D: a name relative to the directory; R/T/X: a path relative to tar's -C directory, as tar wrote it ("./a"), "" for the temporary directory. */
  name: string;
}

export interface Dumpdir {
  /** Normalised path of the directory, "." for the root of the archive. */
  path: string;
  headerStart: number;
  entries: DumpdirEntry[];
}

/** One data run of a sparse file: `numbytes` stored bytes belong at logical `offset`. */
export interface SparseChunk {
  offset: number;
  numbytes: number;
}

export interface TarMember {
  /** Normalised: no leading "./", no trailing "/". */
  path: string;
  type: EntryType;
  /** Logical content size: the file size for regular (and sparse) files, 0 for anything else. */
  size: number;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  /** Milliseconds since the epoch. */
  mtime: number;
  /** Symlink target as stored, or the normalised path a hardlink points to. */
  linkTarget?: string;
  /** Hex SHA-256 of the logical content (holes of sparse files read as zeros); regular files only. */
  sha256?: string;
  /** Offset of the first header block of this member, including GNU long-name and pax headers before it. */
  headerStart: number;
  /** [dataStart, dataEnd) holds the stored data; for sparse files only the data runs, described by `sparse`. */
  dataStart: number;
  dataEnd: number;
  /** The header's typeflag character ("0", "5", "D", "S", ...; "\0" for old regular files). */
  typeflag: string;
  sparse?: SparseChunk[];
}

export interface TarIndex {
  /** Every member in archive order, except the archive root "." and pseudo members (volume labels). */
  members: TarMember[];
  /** Every dumpdir (GNU incremental directory listing) in archive order, the root's included. */
  dumpdirs: Dumpdir[];
  /** Offset of the end-of-archive marker (the two zero blocks). */
  archiveEnd: number;
  /** Bytes consumed, the zero padding after the marker included. */
  totalBytes: number;
}
