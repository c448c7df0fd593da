export { fingerprintOf, generateBackupKeyPair, readDecryptionKey, readPublicKeys } from "./keys.js";
export type { BackupKeyPair, BackupKeyPairOptions } from "./keys.js";
export { decryptStream, decryptVerifiedStream, encryptStream } from "./stream.js";
export { decryptBytes, encryptBytes } from "./bytes.js";
