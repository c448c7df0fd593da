#!/usr/bin/env bash
# Installs the peers the benchmark compares cryptkeep with (Debian packages; run as root).
# Not part of CI: the benchmark is run by hand (`npm run bench`).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/setup.sh installs Debian packages: run it as root (sudo bash bench/setup.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# restic, borgbackup, duplicity: the peers; gnupg + zstd + tar: the hand pipeline and cryptkeep;
# time: /usr/bin/time -v for peak memory; openssh-server + openssh-client (scp) + rsync: the sftp
# suite's throwaway sshd on 127.0.0.1 and its peers; gocryptfs + sshfs + fuse3: the gocryptfsReverse
# suite (both sides over sshfs); radosgw + ceph-mon + ceph-osd: the s3 suite's one-node Ceph.
apt-get install -y -qq --no-install-recommends \
  restic borgbackup duplicity gnupg zstd tar time openssh-server openssh-client rsync gocryptfs sshfs fuse3 \
  radosgw ceph-mon ceph-osd
for tool in restic borg duplicity gpg zstd tar /usr/bin/time scp rsync /usr/sbin/sshd gocryptfs sshfs fusermount radosgw ceph-mon ceph-osd; do
  command -v "$tool" >/dev/null || { echo "bench/setup.sh: $tool is still missing after apt-get" >&2; exit 1; }
done
echo "bench peers installed: $(restic version | head -1); $(borg --version); $(duplicity --version)"
