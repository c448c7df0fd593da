export { localStore } from "./store/local/index.js";
export { openpgpEncryption } from "./encryption/openpgp/plugin.js";
export { tarIncremental } from "./sync/tar-incremental/plugin.js";
export { retention } from "./retention/index.js";
export { unattended } from "./unattended/index.js";
export { httpPing } from "./notify/http/index.js";
export { email } from "./notify/email/index.js";
export { notifyCommand } from "./notify/command/index.js";
