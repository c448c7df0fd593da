export { gpgIncremental, gpgIncrementalOptions } from "./gpg-incremental.js";
