export { TarIndexer } from "./tar-indexer.js";
export { buildManifest, filesInRange, type ManifestChanges, type ManifestFile } from "./snapshot-manifest.js";
export { buildDelta, type ParentTree, type TreeDelta } from "./tree-delta.js";
export { decodeName, encodeName, normalisePath } from "./names.js";
export type { Dumpdir, DumpdirEntry, DumpdirFlag, EntryType, SparseChunk, TarIndex, TarMember } from "./types.js";
export { renamesTarCannotReplay } from "./rename-hazards.js";
