#!/usr/bin/env bash
# Prepares the test VM's kernel and initramfs in a cache folder (once; later runs reuse them):
# Debian's own kernel package (apt-get download, never installed), its uncompressed vmlinux for a
# direct PVH boot of a QEMU microvm, and a busybox initramfs holding the modules the LUKS tests
# need. Prints the cache folder's files as KEY=VALUE lines. Needs root, apt, busybox-static.
#   test/vm/prepare.sh CACHE_DIR
set -euo pipefail
CACHE=${1:?usage: prepare.sh CACHE_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
# virtio transport + 9p (the host's root), device-mapper + dm-crypt + loop (LUKS on image files),
# fuse (sshfs), ext4 and the crypto the default LUKS2 cipher (aes-xts-plain64) and cryptsetup's kernel API use.
MODULES="virtio_mmio virtio_pci 9pnet_virtio 9p dm-mod dm-crypt loop ext4 fuse crc32c_generic aesni-intel xts ecb af_alg algif_skcipher algif_hash"
die() { echo "test-vm prepare: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (apt-get download, 9p passthrough, loop devices in the VM)"
[ -x /bin/busybox ] || die "busybox-static is missing: apt-get install -y --no-install-recommends busybox-static"
mkdir -p "$CACHE"

if [ ! -s "$CACHE/kver" ]; then
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [ -n "$pkg" ] || die "cannot resolve linux-image-amd64 (run apt-get update)"
  (cd "$CACHE" && apt-get download "$pkg" >/dev/null) || die "apt-get download $pkg failed"
  deb=$(ls "$CACHE/${pkg}"_*.deb | head -1)
  rm -rf "$CACHE/kernel"; dpkg-deb -x "$deb" "$CACHE/kernel"; rm -f "$deb"
  kver=$(ls "$CACHE/kernel/lib/modules" | head -1)
  # The uncompressed ELF inside vmlinuz boots directly (PVH), saving seconds of decompression under TCG.
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$CACHE/kernel/boot/vmlinuz-$kver" | head -1 | cut -d: -f1)
  [ -n "$off" ] || die "no xz payload in vmlinuz-$kver"
  tail -c +$((off + 1)) "$CACHE/kernel/boot/vmlinuz-$kver" | xz -dc 2>/dev/null > "$CACHE/vmlinux.tmp" || true
  [ -s "$CACHE/vmlinux.tmp" ] || die "could not extract vmlinux from vmlinuz-$kver"
  mv "$CACHE/vmlinux.tmp" "$CACHE/vmlinux"
  echo "$kver" > "$CACHE/kver"
fi
kver=$(cat "$CACHE/kver")
moddir=$CACHE/kernel/lib/modules/$kver
stamp=$( { echo "$kver $MODULES"; cat "$HERE/init.sh"; } | md5sum | cut -c1-12)
initrd=$CACHE/initramfs-$stamp.gz
if [ ! -s "$initrd" ]; then
  st=$(mktemp -d)
  trap 'rm -rf "$st"' EXIT
  mkdir -p "$st"/{bin,sbin,proc,sys,dev,host,lib/modules/$kver}
  cp /bin/busybox "$st/bin/busybox"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$st/bin/$a"; done
  declare -A where=() taken=()
  while read -r p; do b=${p##*/}; b=${b%%.ko*}; where[${b//-/_}]=$p; done < <(cd "$moddir" && find kernel -name '*.ko')
  need() {
    local name=${1//-/_} path dep
    path=${where[$name]:-}
    if [ -z "$path" ]; then grep -qE "/${1//[-_]/[-_]}\.ko" "$moddir/modules.builtin" || die "module $1 not found"; return 0; fi
    [ -n "${taken[$path]:-}" ] && return 0
    taken[$path]=1
    for dep in $(grep -ao 'depends=[[:alnum:]_,-]*' "$moddir/$path" | head -1 | cut -d= -f2 | tr ',' ' '); do need "$dep"; done
  }
  for m in $MODULES; do need "$m"; done
  for p in "${!taken[@]}"; do
    f=$st/lib/modules/$kver/$p; mkdir -p "$(dirname "$f")"; cp "$moddir/$p" "$f"
    # Drop the appended signature: checking it is slow under emulation and not enforced.
    if [ "$(tail -c 28 "$f")" = "~Module signature appended~" ]; then
      read -r -a b <<<"$(tail -c 40 "$f" | od -An -tu1 -v | tr -s ' \n' '  ')"
      siglen=$(( (b[8] << 24) | (b[9] << 16) | (b[10] << 8) | b[11] ))
      truncate -s $(( $(stat -c %s "$f") - 40 - siglen - b[3] - b[4] )) "$f"
    fi
  done
  cp "$moddir/modules.builtin" "$moddir/modules.order" "$st/lib/modules/$kver/"
  /bin/busybox depmod -b "$st" "$kver"
  echo "$MODULES" | tr ' ' '\n' > "$st/modules.list"
  cp "$HERE/init.sh" "$st/init"; chmod 755 "$st/init"
  (cd "$st" && find . | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1) > "$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
fi
echo "KERNEL=$CACHE/vmlinux"
echo "INITRD=$initrd"
echo "KVER=$kver"
