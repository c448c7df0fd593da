#!/bin/bash
# The LUKS scenario, run as root on a kernel with dm-crypt (inside the test VM, or directly on
# a host that has it). Drives the real, built CLI for each job named in $JOBS and records every
# step in $WORK/results/<NN>-<job>-<step>.{rc,out,err}; the test on the host asserts them.
# $WORK (made by test/integration/luks.test.ts) holds backup.config.mjs, keys, sshd files,
# src-<job>/ and big.bin. Container files and the server's folder live in a tmpfs at $WORK/disk.
set -u
: "${WORK:?}" "${CK:?}" "${JOBS:?}"
cd "$WORK" || exit 125
RES=$WORK/results
mkdir -p "$RES" disk
mount -t tmpfs -o size=600m tmpfs disk || exit 125
mkdir -p disk/server /run/sshd
/usr/sbin/sshd -f "$WORK/sshd/sshd_config" -E "$WORK/sshd/sshd.log" || exit 125
n=0
export XDG_CACHE_HOME=$WORK/cache

# step JOB NAME command...: runs it, keeps exit code, stdout and stderr.
step() {
  local job=$1 name=$2; shift 2
  n=$((n + 1))
  local base; base=$(printf '%s/%02d-%s-%s' "$RES" "$n" "$job" "$name")
  local t0=$SECONDS
  "$@" > "$base.out" 2> "$base.err"
  echo $? > "$base.rc"
  echo "[vm] $job $name: exit $(cat "$base.rc") ($((SECONDS - t0)) s)"
}
ck() { node "$CK" "$@"; }
# What is left: device-mapper devices and mounts made by cryptkeep (none expected between runs).
leftovers() {
  { ls /dev/mapper | grep -v '^control$'; grep -E '^/dev/mapper/|/mnt/cryptkeep-|fuse\.sshfs' /proc/mounts; } || true
}
# Starts a backup in its own process group, waits until rsync copies, then sends $2 to cryptkeep (or to the whole group for KILL).
interrupt() {
  local job=$1 signal=$2
  setsid node "$CK" backup "$job" > /dev/null 2>&1 &
  local pid=$!
  # The backup's own rsync (its --info=progress2 argument), not any other.
  for _ in $(seq 1 3000); do pgrep -f -- '--info=progress2' > /dev/null && break; sleep 0.1; done
  sleep 0.5
  if [ "$signal" = KILL ]; then kill -KILL -- "-$pid"; else kill "-$signal" "$pid"; fi
  wait "$pid"
  local rc=$?
  echo "signal=$signal rc=$rc"
  [ "$signal" = KILL ] && { echo "left by the crash:"; leftovers; }
  return $rc
}
# A backup with a key no slot accepts: another key file for "image", another variable for "remote".
wrong_key() {
  if [ "$1" = image ]; then
    cp -p keys/image.key keys/image.key.good
    head -c 64 /dev/urandom > keys/image.key
    ck backup image
    local rc=$?
    mv keys/image.key.good keys/image.key
    return $rc
  fi
  REMOTE_KEY=$(head -c 32 /dev/urandom | base64) ck backup "$1"
}
# Rot inside the container: opened read-write by hand, every backed-up copy of one file gets three
# other bytes, keeping its size and modification time (what a restore drill must still catch).
rot_file() {
  local job=$1 image=disk/image.img
  [ "$job" = remote ] && image=disk/server/remote.luks
  if [ "$job" = image ]; then cryptsetup open --key-file keys/image.key "$image" rot; else printf %s "$REMOTE_KEY" | base64 -d | cryptsetup open --key-file - "$image" rot; fi || return 1
  mkdir -p /mnt/rot && mount /dev/mapper/rot /mnt/rot || { cryptsetup close rot; return 1; }
  # (No process substitution: the VM has no /dev/fd.)
  find /mnt/rot -path '*/sub/deeper/random.bin' > rotted.list
  local file
  while IFS= read -r file; do
    printf ROT | dd of="$file" bs=1 seek=1000 conv=notrunc status=none
    touch -r "src-$job/sub/deeper/random.bin" "$file"
    echo "rotted ${file#/mnt/rot/}"
  done < rotted.list
  umount /mnt/rot && cryptsetup close rot && [ -s rotted.list ]
}
snapshot_source() { rm -rf "$RES/$1-$2"; cp -a "src-$1" "$RES/$1-$2"; }

# Node starts slowly under emulation (tens of seconds on a loaded machine): every step below is one
# CLI run that proves something of its own; the host asserts each.
for job in $JOBS; do
  step "$job" init ck init "$job"
  step "$job" backup1 ck backup "$job"
  step "$job" after-backup1 leftovers
  snapshot_source "$job" state1
  date -u +%Y-%m-%dT%H:%M:%SZ > "$RES/$job-time1"
  sleep 1.2
  echo "changed $(date +%s%N)" >> "src-$job/a.txt"
  rm -f "src-$job/sub/b.txt"
  head -c 100000 /dev/urandom > "src-$job/c.bin"
  step "$job" backup2 ck backup "$job"
  snapshot_source "$job" state2
  step "$job" verify ck verify "$job"
  step "$job" restore-at ck restore "$job" --at "$(cat "$RES/$job-time1")" --to "$RES/$job-restored-at1"
  step "$job" grow ck grow "$job" --size 96M
  step "$job" after-grow leftovers
  step "$job" wrong-key wrong_key "$job"
  step "$job" after-wrong-key leftovers
  ln "$WORK/big.bin" "src-$job/big.bin"
  if [ "$job" = image ]; then step "$job" interrupted interrupt "$job" INT; else step "$job" interrupted interrupt "$job" TERM; fi
  step "$job" after-interrupted leftovers
  step "$job" crash interrupt "$job" KILL
  step "$job" backup-after-crash ck backup "$job" --break-lock
  step "$job" after-crash leftovers
  snapshot_source "$job" state3
  step "$job" restore-latest ck restore "$job" --to "$RES/$job-restored-latest"
  if [ "$job" = image ]; then
    step "$job" mount ck mount "$job" "$RES/$job-view"
    step "$job" view-list find "$RES/$job-view" -maxdepth 1
    step "$job" umount ck umount "$job"
  fi
  step "$job" trim ck trim "$job"
  # Restore drills (the job has verify.drill): a clean one, then one after rot inside the container.
  step "$job" drill ck verify "$job" --drill
  step "$job" after-drill leftovers
  step "$job" rot rot_file "$job"
  step "$job" drill-rot ck verify "$job" --drill
  step "$job" after-drill-rot leftovers
  # The tripwire: an emptied source (a vanished mount, a wipe) is not backed up.
  find "src-$job" -mindepth 1 -delete
  step "$job" tripwire ck backup "$job"
  step "$job" final leftovers
done
step all doctor ck doctor
kill "$(cat "$WORK/sshd/sshd.pid")" 2>/dev/null
umount "$WORK/disk"
echo "[vm] scenario done"
