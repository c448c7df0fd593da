import { CommandError, CryptkeepError } from "./errors.js";
import { ExitCode } from "./exit-codes.js";

/**
 * Every message a user can see about a failure is made here: what failed, the value seen,
 * and what to do next. Codes are stable and documented in docs/errors.md.
 */
const e = (code: string, message: string, hint?: string, exitCode: number = ExitCode.failed) =>
  new CryptkeepError({ code, message, hint, exitCode });

export const messages = {
  configNotFound: (searched: string) =>
    e("CONFIG_NOT_FOUND", `no cryptkeep config found (looked for backup.config.ts/.mts/.js/.mjs from ${searched} upwards)`,
      "create backup.config.ts (see docs/config.md) or pass --config PATH", ExitCode.usage),
  configLoadFailed: (file: string, detail: string) =>
    e("CONFIG_LOAD_FAILED", `${file}: could not be loaded: ${detail}`, "fix the problem above (a syntax error, or an import that cannot be found)", ExitCode.usage),
  configFileMissing: (file: string) =>
    e("CONFIG_NOT_FOUND", `config file ${file} does not exist`, "check the path given to --config", ExitCode.usage),
  configInvalid: (file: string, problems: string[]) =>
    e("CONFIG_INVALID", problems.map((p) => `${file}: ${p}`).join("\n"), "fix the settings listed above", ExitCode.usage),
  unknownJob: (job: string, known: string[]) =>
    e("UNKNOWN_JOB", `no job named '${job}' in the config`, `jobs defined: ${known.join(", ") || "(none)"}`, ExitCode.usage),
  usage: (message: string, hint?: string) => e("USAGE", message, hint, ExitCode.usage),
  badDuration: (option: string, value: string) =>
    e("BAD_DURATION", `${option}: '${value}' is not a duration`, "write it like 30D, 12h, 2W or 1h30m", ExitCode.usage),
  badTime: (value: string) =>
    e("BAD_TIME", `--at: '${value}' is not a time or snapshot id`,
      "use an ISO time (2026-11-20T08:00), an interval (3D, 12h), words (3 days ago) or an id from 'cryptkeep snapshots'",
      ExitCode.usage),
  serviceMissing: (job: string, service: string) =>
    e("PLUGIN_MISSING", `job '${job}' has no plugin that provides a ${service}`,
      service === "store" ? "add a target, e.g. target: { local: './vault' }" : `add a ${service} plugin to the job`, ExitCode.usage),
  serviceTwice: (job: string, service: string, first: string, second: string) =>
    e("PLUGIN_CONFLICT", `job '${job}': both ${first} and ${second} provide the ${service}`, "keep only one of them", ExitCode.usage),

  secretEnvMissing: (name: string) =>
    e("SECRET_MISSING", `environment variable ${name} is not set or empty`, `export ${name}=... before running, or change the secret source`),
  secretFileUnreadable: (file: string, reason: string) =>
    e("SECRET_FILE_UNREADABLE", `secret file ${file} cannot be read (${reason})`,
      reason === "EACCES" ? `run cryptkeep as the user that owns ${file}, or make that user its owner (chown)` : "check the path in the config"),
  secretFileTooOpen: (file: string, mode: number) =>
    e("SECRET_FILE_TOO_OPEN", `secret file ${file} can be read or changed by group or others (mode ${mode.toString(8).padStart(4, "0")})`,
      `run: chmod 600 ${file}`),
  secretNoTerminal: (purpose: string) =>
    e("SECRET_NO_TERMINAL", `${purpose} is needed but there is no terminal to ask on`,
      "give it in the config as { env: 'NAME' }, { file: 'path' } or { command: '...' }"),

  toolMissing: (tool: string) =>
    e("TOOL_MISSING", `required program '${tool}' was not found`, tool.includes("/")
      ? `check the path given in the config's 'tools'`
      : `install it (Debian: apt-get install ${debianPackage(tool)}) or set tools.${tool} in the config to its path`),
  /** `tool`: the name the command was asked for by (gpg, zstd); `argv`: the whole command as shown. */
  commandFailed: (tool: string, argv: string, exitCode: number, stderrTail: string) =>
    new CommandError({ code: "COMMAND_FAILED", message: `command failed with exit code ${exitCode}: ${argv}${stderrTail ? `\n${indent(stderrTail)}` : ""}`,
      tool, status: exitCode, stderr: stderrTail }),
  commandKilled: (tool: string, argv: string, signal: string, stderrTail: string) =>
    new CommandError({ code: "COMMAND_KILLED", message: `command was stopped by ${signal}: ${argv}${stderrTail ? `\n${indent(stderrTail)}` : ""}`,
      tool, signal, stderr: stderrTail }),

  locked: (job: string, holder: string) =>
    e("LOCKED", `job '${job}' is locked by another run (${holder})`, "wait for it to finish", ExitCode.locked),
  staleLock: (job: string, holder: string, file: string) =>
    e("STALE_LOCK", `job '${job}' has a stale lock from a run that no longer exists (${holder}, ${file})`,
      `make sure no cryptkeep runs for '${job}', then run again with --break-lock`, ExitCode.locked),
  interrupted: (signal: string) => e("INTERRUPTED", `interrupted by ${signal}; everything opened was closed`,
    "nothing unfinished is recorded as complete: run the command again (a backup first removes what this one left)", ExitCode.interrupted),

  sourceMissing: (path: string) =>
    e("SOURCE_MISSING", `source ${path} does not exist or is not a folder`, "check 'source' in the config; is the disk mounted?"),
  targetNotWritable: (path: string, reason: string) =>
    e("TARGET_NOT_WRITABLE", `target ${path} is not writable (${reason})`, "check the folder's owner and permissions, or run 'cryptkeep init'"),
  targetNotReadable: (path: string, reason: string) =>
    e("TARGET_NOT_READABLE", `target ${path} is not readable (${reason})`, "check the folder's owner and permissions, or run cryptkeep as the user that made the backups"),
  cacheNotWritable: (path: string, reason: string) =>
    e("CACHE_NOT_WRITABLE", `local state folder ${path} is not writable (${reason})`,
      "run cryptkeep as the user that owns it, or set cacheDir in the config (or XDG_CACHE_HOME) to a folder this user can write"),
  targetMissing: (path: string) =>
    e("TARGET_MISSING", `target ${path} does not exist`, "run 'cryptkeep init JOB' to create it"),
  targetFull: (path: string) =>
    e("TARGET_FULL", `no space left at the target (${path}); the unfinished snapshot was not recorded`,
      "free space or prune old snapshots ('cryptkeep prune JOB'), then run the backup again"),
  targetOfOtherJob: (target: string, owner: string, job: string) =>
    e("TARGET_OF_OTHER_JOB", `${target} holds the backups of job '${owner}', not of '${job}'`,
      "give each job its own target folder (or rename the job back)", ExitCode.usage),
  gzipLevel: (level: number) =>
    e("CONFIG_INVALID", `compressionLevel ${level} is out of range for gzip (1 to 9)`, "use a level from 1 to 9, or compression: 'zstd' (1 to 19)", ExitCode.usage),
  targetNotInitialized: (target: string, job: string) =>
    e("TARGET_NOT_INITIALIZED", `${target} has no cryptkeep.json: it was never set up as the target of job '${job}'`,
      `if it lives on a removable or network disk, check that the disk is mounted; then run 'cryptkeep init ${job}'`),
  keyFileInvalid: (file: string, detail: string) =>
    e("KEY_INVALID", `${file}: ${detail}`, "point 'recipients' at armored OpenPGP public keys (cryptkeep keygen makes one)"),
  decryptKeyNeeded: (job: string) =>
    e("KEY_NEEDED", `job '${job}': this needs the private key, and none is configured`,
      "set identity: { key: { file: '...' }, passphrase: { env: '...' } } in the job, or pass --identity FILE"),
  decryptFailed: (detail: string) =>
    e("DECRYPT_FAILED", `cannot decrypt: ${detail}`, "check that identity.key is the private key of a recipient and the passphrase is right"),
  notEncryptedToKey: (detail: string) =>
    e("DECRYPT_FAILED", `cannot decrypt: ${detail}`, "set identity.key in the config (or pass --identity FILE) to the private key of one of the job's recipients"),
  wrongPassphrase: (detail: string, source: string) =>
    e("DECRYPT_FAILED", `cannot decrypt: ${detail}`, `the passphrase comes from ${source}: put the passphrase of this key there`),
  signatureInvalid: (publicKey: string, detail: string) =>
    e("SIGNATURE_INVALID", `manifest signature check failed against ${publicKey}: ${detail}`,
      "the manifest was not signed by your signing key: it may have been replaced; restore from another copy or check signing.publicKey", ExitCode.verifyFailed),
  noSnapshots: (job: string) => e("NO_SNAPSHOTS", `job '${job}' has no complete snapshot yet`, `run 'cryptkeep backup ${job}' first`),
  noSnapshotAt: (job: string, at: string, first: string) =>
    e("NO_SNAPSHOT_AT", `job '${job}' has no snapshot as old as ${at}; the oldest is ${first}`, "pick a later time ('cryptkeep snapshots JOB' lists them)"),
  snapshotUnknown: (id: string) => e("SNAPSHOT_UNKNOWN", `no snapshot '${id}'`, "'cryptkeep snapshots JOB' lists the ids"),
  chainBroken: (id: string, missing: string) =>
    e("CHAIN_BROKEN", `snapshot ${id} needs ${missing}, which is missing or incomplete`, "restore an earlier snapshot, or run a full backup (--full)"),
  volumeDamaged: (snapshot: string, volume: string, files: string[]) =>
    e("VOLUME_DAMAGED", `snapshot ${snapshot}: volume ${volume} does not match its manifest (damaged or truncated)` +
      (files.length ? `; files affected: ${files.slice(0, 20).join(", ")}${files.length > 20 ? ", ..." : ""}` : ""),
      "restore another snapshot, or from another copy of the volume", ExitCode.verifyFailed),
  volumeUnreadable: (snapshot: string, volume: string, detail: string) =>
    e("VOLUME_UNREADABLE", `snapshot ${snapshot}: volume ${volume} matches its manifest but cannot be decrypted or unpacked: ${detail}`,
      "check that the key is right; try 'cryptkeep recipe' to restore it with gpg and tar by hand", ExitCode.verifyFailed),
  manifestMissing: (snapshot: string) =>
    e("MANIFEST_MISSING", `snapshot ${snapshot} has no manifest: it is incomplete`, "the next backup removes it; restore another snapshot"),
  pathNotInSnapshot: (path: string, snapshot: string) =>
    e("PATH_NOT_FOUND", `'${path}' is not in snapshot ${snapshot}`, "check the path (relative to the source folder), or pick another --at"),
  restoreTargetNotEmpty: (path: string) =>
    e("RESTORE_TARGET_NOT_EMPTY", `restore target ${path} is not empty`, "restore into an empty or new folder", ExitCode.usage),
  // --- restore --path of the tar-incremental chain (issue 7) ---
  restoreIncomplete: (snapshot: string, to: string, problems: string[]) =>
    e("RESTORE_INCOMPLETE", `restore of snapshot ${snapshot} into ${to} is incomplete: ${problems.length} entr${problems.length === 1 ? "y" : "ies"} of the snapshot missing or different: ${problems.slice(0, 20).join(", ")}${problems.length > 20 ? ", ..." : ""}`,
      "do not trust this restore: restore the whole snapshot (without --path) into an empty folder and copy the paths out, and report this as a bug"),
  // --- filesystem targets, transports (sshfs, ssh), gocryptfs and rsync (issue 3) ---
  targetUnsupported: (target: string) =>
    e("TARGET_UNSUPPORTED", `target '${target}' cannot be used: rsync needs a filesystem path or ssh`,
      "use transport sshfs, davfs or s3fs, or the gpgIncremental preset", ExitCode.usage),
  mountFailed: (what: string, mountPoint: string, detail: string) =>
    e("MOUNT_FAILED", `could not mount ${what} at ${mountPoint}: ${detail}`,
      "check the address, the credentials and that the server is up, and that /dev/fuse exists; 'cryptkeep doctor JOB' checks without writing"),
  unmountFailed: (mountPoint: string, detail: string, command = `fusermount -u ${mountPoint}`) =>
    e("UNMOUNT_FAILED", `could not unmount ${mountPoint}: ${detail}`,
      `close programs that use it (fuser -m ${mountPoint}), then run: ${command} (the next run also tries)`),
  connectionLost: (target: string, detail: string) =>
    e("CONNECTION_LOST", `the connection to ${target} was lost during the run: ${detail}`,
      "nothing unfinished was recorded as complete; check the network and the server, then run the command again (it resumes)"),
  sshUnreachable: (target: string, detail: string) =>
    e("SSH_UNREACHABLE", `cannot log in to ${target} by ssh: ${detail}`,
      "check host, port, user, identityFile and knownHosts in 'remote' (ssh -p PORT -i KEY user@host true must work without a prompt)"),
  gocryptfsNotInitialized: (source: string, job: string) =>
    e("TARGET_NOT_INITIALIZED", `${source} has no .gocryptfs.reverse.conf: the encryption of job '${job}' was never set up`,
      `run 'cryptkeep init ${job}'`),
  gocryptfsWrongPassword: (source: string) =>
    e("WRONG_PASSWORD", `the gocryptfs password is wrong for ${source}`,
      "check the 'password' source in the config: it must give the password chosen at 'cryptkeep init'"),
  notMounted: (what: string, known: string[]) =>
    e("NOT_MOUNTED", `nothing mounted by cryptkeep matches '${what}'`,
      known.length ? `mounted now: ${known.join(", ")}` : "'cryptkeep mount JOB DIR' makes a view; there is none now", ExitCode.usage),
  mountDirNotEmpty: (dir: string) =>
    e("MOUNT_DIR_NOT_EMPTY", `${dir} is not an empty folder`, "mount into an empty or new folder", ExitCode.usage),
  nothingToRestoreAt: (job: string, at: string) =>
    e("NO_SNAPSHOT_AT", `job '${job}' has no backup as old as ${at}`, "pick a later time ('cryptkeep snapshots JOB' lists them)"),
  // --- Remote stores and transports (sftp, s3, davfs, s3fs) ---
  remoteHostUnknown: (host: string, port: number, fingerprint: string, knownHosts: string) =>
    e("HOST_KEY_UNKNOWN", `the host key of ${host}:${port} (${fingerprint}) is not in ${knownHosts}`,
      `check the fingerprint with the server's administrator, then accept it: ssh-keyscan -p ${port} ${host} >> ${knownHosts} (or connect once with ssh -p ${port} ${host})`),
  remoteHostKeyChanged: (host: string, port: number, fingerprint: string, knownHosts: string) =>
    e("HOST_KEY_CHANGED", `the host key of ${host}:${port} changed: the server shows ${fingerprint}, which does not match ${knownHosts}`,
      "someone may be intercepting the connection; if the server was really reinstalled, remove its old line from known_hosts (ssh-keygen -R) and accept the new key"),
  remoteAuthFailed: (target: string, detail: string) =>
    e("REMOTE_AUTH_FAILED", `${target}: the server refused the credentials (${detail})`,
      "check the user, the identity file (or ssh-agent), the access key and secret"),
  remoteUnreachable: (target: string, detail: string) =>
    e("REMOTE_UNREACHABLE", `${target} cannot be reached (${detail})`, "check the host, the port and the network; 'cryptkeep doctor JOB' checks without writing"),
  remoteConnectionLost: (target: string, detail: string) =>
    e("REMOTE_CONNECTION_LOST", `the connection to ${target} was lost (${detail}); the unfinished snapshot was not recorded`,
      "run the backup again when the server is back: the next run removes the unfinished snapshot"),
  remotePermissionDenied: (target: string, name: string) =>
    e("REMOTE_PERMISSION_DENIED", `${target}: permission denied for ${name}`, "check that the account may write (and read) there"),
  bucketMissing: (bucket: string, endpoint: string) =>
    e("BUCKET_MISSING", `bucket '${bucket}' does not exist at ${endpoint}`, "create the bucket first (cryptkeep never creates buckets), or fix the bucket name"),
  s3TooManyParts: (target: string, maxParts: number, partSizeMiB: number) =>
    e("S3_TOO_MANY_PARTS", `${target}: an object would need more than ${maxParts} parts of ${partSizeMiB} MiB (S3's limit of parts in one upload)`,
      `raise partSizeMiB, or make the volumes smaller (volumeSize)`),
  identityFileUnreadable: (path: string, reason: string) =>
    e("IDENTITY_FILE_UNREADABLE", `ssh identity file ${path} cannot be read (${reason})`, "fix the path of identityFile, or use agent: true with a running ssh-agent", ExitCode.usage),
  identityKeyUnusable: (detail: string) =>
    e("IDENTITY_KEY_UNUSABLE", `the ssh identity file could not be used: ${detail}`, "check the passphrase source of identityFile (passphrase: {...}), or that the file is an ssh private key"),
  sshAgentMissing: () =>
    e("SSH_AGENT_MISSING", "agent: true, but SSH_AUTH_SOCK is not set (no ssh-agent)", "start ssh-agent and ssh-add the key, or set identityFile", ExitCode.usage),
  davfsNeedsRoot: (user: string, uid: number) =>
    e("DAVFS_NEEDS_ROOT", `a davfs target needs root (davfs2 mounts only for root here), but cryptkeep runs as ${user} (uid ${uid})`,
      "run this job as root (sudo, or root's crontab), or choose a target that needs no root: sftp or s3 (gpgIncremental), sshfs or s3fs (gocryptfsReverse)",
      ExitCode.usage),
  planCannotReadMount: (target: string) =>
    e("PLAN_CANNOT_READ_TARGET", `plan mounts nothing, so it cannot read what is at ${target} (the snapshots a backup would build on)`,
      "'cryptkeep doctor JOB' checks the server and the credentials without writing; 'cryptkeep snapshots JOB' mounts and lists what is there"),
  uploadIncomplete: (target: string, problems: string[]) =>
    e("UPLOAD_INCOMPLETE", `after unmounting, ${target} does not hold every file written: ${problems.slice(0, 10).join("; ")}${problems.length > 10 ? "; ..." : ""}`,
      "the backup on the server is incomplete: run it again (the next run removes the unfinished snapshot) and check the server's free space"),
  // --- LUKS containers: luksImage and sshfsLuks (issue 4) ---
  luksNoDeviceMapper: (detail: string) =>
    e("LUKS_NO_DEVICE_MAPPER", `this kernel cannot open LUKS containers: device-mapper is not available (${detail})`,
      "load it with 'modprobe dm_mod dm_crypt' as root; in a container or a VM whose kernel has no device-mapper, run cryptkeep on a host whose kernel has dm-crypt ('cryptkeep doctor JOB' checks)"),
  luksNotInitialized: (image: string, job: string) =>
    e("TARGET_NOT_INITIALIZED", `${image} does not exist or is not a LUKS container`,
      `run 'cryptkeep init ${job}' to create it; if it lives on a removable or network disk, check that the disk is mounted`),
  luksImageNotLuks: (image: string) =>
    e("LUKS_IMAGE_NOT_LUKS", `${image} exists but is not a LUKS container: init will not overwrite it`,
      "point 'image' at a new file, or move that file away yourself"),
  luksWrongKey: (image: string, source: string) =>
    e("WRONG_KEY", `the key does not open ${image} (no key slot accepts it)`,
      `the key comes from ${source}: put the key chosen at 'cryptkeep init' there (and check keyEncoding: "raw" or "base64")`),
  luksKeyMissingAtInit: (source: string) =>
    e("KEY_MISSING", `the LUKS key from ${source} is missing`,
      "make one (head -c 64 /dev/urandom > FILE; chmod 600 FILE), or set generateKey: true so 'cryptkeep init' makes a random one", ExitCode.usage),
  luksBadSize: (option: string, value: string) =>
    e("BAD_SIZE", `${option}: '${value}' is not a size`, "write it like 500G, 5T, 64M (powers of 1024)", ExitCode.usage),
  luksGrowNotLarger: (image: string, current: number, wanted: number) =>
    e("GROW_NOT_LARGER", `${image} is already ${current} bytes; --size asks for ${wanted}`, "give a size larger than the current one (shrinking is not supported)", ExitCode.usage),
  luksTrimRemote: (image: string, transport: string) =>
    e("TRIM_UNSUPPORTED", `trim cannot reach ${image}: discards do not pass through ${transport} (SFTP has no way to punch holes), so the file on the server would not shrink`,
      "run the trim where the file is local: on the server, with a luksImage job for the same file (cryptkeep trim JOB), or export the file with nbd-server (trim = true), attach it with nbd-client, open it with cryptsetup --allow-discards and run fstrim (seed 003)", ExitCode.usage),
  luksFsckFailed: (device: string, exitCode: number, detail: string) =>
    e("FSCK_FAILED", `the filesystem in ${device} has errors fsck could not repair (e2fsck exit ${exitCode}): ${detail}`,
      `repair it by hand: cryptsetup open the image, then e2fsck -f -y ${device}; restore what it lost from another copy`),
  luksFsckErrors: (image: string, detail: string) =>
    e("FSCK_ERRORS", `the filesystem in ${image} has errors (e2fsck -n): ${detail}`,
      "the next 'cryptkeep backup' checks and repairs it (e2fsck -p); if errors stay, repair by hand with e2fsck -f -y", ExitCode.verifyFailed),
  luksViewOpen: (job: string) =>
    e("VIEW_MOUNTED", `job '${job}' has a read-only view mounted (cryptkeep mount): the container cannot be opened twice`,
      `run 'cryptkeep umount ${job}' first`),
  luksHeaderBackupExists: (file: string) =>
    e("HEADER_BACKUP_EXISTS", `header backup ${file} already exists and is not this container's`, "move it away or point headerBackup at a new file", ExitCode.usage),

  // Running unattended: overlap policy, tripwire, drills, schedule, status (docs/unattended.md).
  lockedFail: (locked: string) =>
    e("LOCKED_FAIL", `${locked}, and the job's overlap policy is "fail"`,
      "wait for the other run to finish; set overlap: \"skip\" or \"wait\" if runs may overlap"),
  tripwireSourceMissing: (job: string, path: string) =>
    e("TRIPWIRE_SOURCE_MISSING", `tripwire of job '${job}': the source ${path} is missing or not a folder; nothing was backed up or pruned`,
      "is the disk or network share mounted? Mount or restore the source; if it moved, change 'source' in the config (a prune may go ahead with --allow-shrink)"),
  tripwireShrunk: (job: string, path: string, now: number, before: number, snapshot: string, ratio: string) =>
    e("TRIPWIRE_FILE_COUNT", `tripwire of job '${job}': the source ${path} holds ${now} file(s), the newest snapshot ${snapshot} has ${before}: below the tripwire's ${ratio}; nothing was backed up or pruned`,
      "a vanished mount or a mass deletion (ransomware?) looks like this: check the source. If the files were removed on purpose, run again with --allow-shrink"),
  drillNotSupported: (job: string) =>
    e("DRILL_NOT_SUPPORTED", `job '${job}': its plugins offer no restore drill`, "drills need a sync plugin that taps the 'drill' hook (gpgIncremental does)", ExitCode.usage),
  scheduleNoCadence: (jobs: string[]) =>
    e("SCHEDULE_NO_CADENCE", `no cadence set for job${jobs.length > 1 ? "s" : ""} ${jobs.map((j) => `'${j}'`).join(", ")}`,
      "add every: \"daily\" (or \"hourly\", \"weekly\", \"6h\") to the job", ExitCode.usage),
  scheduleDirNotWritable: (dir: string, reason: string) =>
    e("SCHEDULE_DIR_NOT_WRITABLE", `cannot write the units into ${dir} (${reason})`, "run as root (sudo) to install into /etc/systemd/system, or pass --dir DIR"),
  metricsNotWritable: (file: string, reason: string) =>
    e("METRICS_NOT_WRITABLE", `cannot write the metrics file ${file} (${reason})`, "point --metrics-file at a folder this user can write (node_exporter's textfile folder)"),
};

export type Messages = typeof messages;

function indent(text: string): string {
  return text.split("\n").map((line) => `  | ${line}`).join("\n");
}

function debianPackage(tool: string): string {
  const packages: Record<string, string> = { gpg: "gnupg", "mkfs.ext4": "e2fsprogs", sshfs: "sshfs", zstd: "zstd", "gocryptfs-xray": "gocryptfs", fusermount: "fuse3", ssh: "openssh-client",
    cryptsetup: "cryptsetup-bin", e2fsck: "e2fsprogs", resize2fs: "e2fsprogs", fstrim: "util-linux", dmsetup: "dmsetup", "mount.davfs": "davfs2" };
  return packages[tool] ?? tool;
}
