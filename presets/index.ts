export { gpgIncremental, gpgIncrementalOptions } from "./gpg-incremental.js";
export { gocryptfsReverse, gocryptfsReverseOptions } from "./gocryptfs-reverse.js";
export { rsyncSnapshots, rsyncSnapshotsOptions } from "./rsync-snapshots.js";
export { luksImage, luksImageOptions } from "./luks-image.js";
export { sshfsLuks, sshfsLuksOptions } from "./sshfs-luks.js";
