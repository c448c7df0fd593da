#!/bin/busybox sh
# /init of the test VM: load the modules, mount the host's root (9p) and run the command file
# named on the kernel command line (vmrun=FILE) in a chroot of it; its exit code goes to the
# second serial port as "exit=N", its output to the first; then power off.
export PATH=/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
RUN=
for a in $(cat /proc/cmdline); do case "$a" in vmrun=*) RUN=${a#vmrun=} ;; esac; done
fail() { echo "vm-init: $*" > /dev/ttyS0; echo "exit=125" > /dev/ttyS1; poweroff -f; }
modprobe -a $(cat /modules.list) 2>/dev/null
# msize 262168: other sizes report a block size that is not a power of two, and cryptsetup fails on 9p files.
mount -t 9p -o trans=virtio,version=9p2000.L,access=client,posixacl,msize=262168,cache=mmap hostroot /host || fail "9p mount of the host root failed"
H=/host
mount -t proc proc $H/proc; mount -t sysfs sys $H/sys; mount -t devtmpfs dev $H/dev
mkdir -p $H/dev/pts $H/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $H/dev/pts
mount -t tmpfs tmpfs $H/dev/shm; mount -t tmpfs tmpfs $H/run
[ -d $H/sys/fs/cgroup ] && mount -t tmpfs tmpfs $H/sys/fs/cgroup
ip link set lo up
stty -F /dev/ttyS0 raw -echo -onlcr 2>/dev/null
{ chroot $H /bin/bash "$RUN" < /dev/null 2>&1; echo $? > /rc; } | cat > /dev/ttyS0
sync
echo "exit=$(cat /rc)" > /dev/ttyS1
poweroff -f
