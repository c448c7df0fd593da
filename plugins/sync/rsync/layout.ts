/** The marker at the top of a target: which job and layout it holds. */
export const MARKER = "cryptkeep.json";
/** Versioned layout (seed 001): the mirror and the displaced versions. */
export const FILES = "files";
export const VERSIONS = "snapshots";
/** A folder rsync is still writing has this suffix; it gets its final name when the run completes. */
export const PARTIAL = ".partial";
/** rsync keeps half-sent files here (inside the destination), so an interrupted run resumes them. */
export const PARTIAL_DIR = ".cryptkeep-partial";
/** Where rsync makes its temporary files on a target with leftover locks (Target.leftoverLocks), beside files/. */
export const TEMP_DIR = ".cryptkeep-temp";
