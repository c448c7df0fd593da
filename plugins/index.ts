export { localStore } from "./store/local/index.js";
export { openpgpEncryption } from "./encryption/openpgp/plugin.js";
export { tarIncremental } from "./sync/tar-incremental/plugin.js";
export { retention } from "./retention/index.js";
export { sftpStore } from "./store/sftp/index.js";
export { s3Store } from "./store/s3/index.js";
