#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# "vm.sh demo": the emulated adapter and the driver at work, step by step:
# the legacy path (a disk with ext4 on it), then what the driver exists
# for: a LUN switched to superpipe mode, user-space I/O through libcflash
# with no system calls, and a thin virtual LUN grown and shrunk.
. "$GUEST_DIR/lib.sh"

EX=/usr/local/libexec/libcflash/examples

step() {
	echo
	echo "==> $*"
}

die() {
	echo "demo: $*"
	exit 1
}

T0=$(cut -d' ' -f1 /proc/uptime)
step "modprobe cxlflash_sim (emulated adapter: 2 FC ports, 2 LUNs) && modprobe cxlflash"
cxl_load || exit 1
lsmod | grep -E '^(cxlflash|Module)'

step "lsscsi: one SCSI host, FC port N = SCSI channel N, each LUN seen on both ports"
lsscsi

step "cxlflashctl status (before)"
cxlflashctl status || die "status failed"

d=$(cxl_disk 0 0)
step "legacy mode: mkfs.ext4 /dev/$d, mount, write a file, read it back"
mkfs.ext4 -F -q "/dev/$d" || exit 1
mkdir -p /mnt/cxl
mount -t ext4 "/dev/$d" /mnt/cxl || exit 1
echo "Hello from a CXL Flash LUN on $(uname -r), written at $(date)" >/mnt/cxl/hello.txt
sync
umount /mnt/cxl
mount -t ext4 -o ro "/dev/$d" /mnt/cxl || exit 1
df -h /mnt/cxl | sed 's/^/  /'
echo "  cat /mnt/cxl/hello.txt:"
sed 's/^/    /' /mnt/cxl/hello.txt
umount /mnt/cxl

s=$(cxl_disk 0 1)
step "superpipe: cxlflashctl superpipe enable /dev/$s (direct user access to the LUN)"
cxlflashctl superpipe enable "/dev/$s" || die "superpipe enable failed"

step "$EX/pattern -n 256 /dev/$s: libcflash attaches, writes a pattern, reads it back"
echo "  (system calls of the I/O loop counted with a seccomp filter: SIGSYS on any call;"
echo "   poll-only: the library spins on its response queue, it never yields the CPU)"
out=$("$EX/pattern" -n 256 "/dev/$s") || { echo "$out"; die "pattern failed"; }
echo "$out" | sed 's/^/  /'
echo "$out" | grep -q 'system calls made: 0$' || die "the I/O loop made system calls"

step "$EX/thin /dev/$s: a thin virtual LUN, grown to 150000 blocks, shrunk to 10000"
: >/tmp/thin.log
"$EX/thin" -w "/dev/$s" 150000 10000 >>/tmp/thin.log 2>&1 &
pid=$!
for stage in created grown shrunk; do
	n=$(grep -c 'waiting for SIGUSR1' /tmp/thin.log)
	i=0
	while [ "$n" -lt 1 ] && [ $i -lt 150 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.2
		i=$((i + 1))
		n=$(grep -c 'waiting for SIGUSR1' /tmp/thin.log)
	done
	[ "$n" -ge 1 ] || { cat /tmp/thin.log; die "thin did not reach '$stage'"; }
	grep -v 'waiting for SIGUSR1' /tmp/thin.log | sed 's/^/  /'
	: >/tmp/thin.log
	if [ $stage = grown ]; then
		echo "  -- cxlflashctl status while the virtual LUN exists:"
		cxlflashctl status | sed 's/^/  | /'
	fi
	kill -USR1 $pid
done
wait $pid || { cat /tmp/thin.log; die "thin failed"; }
sed 's/^/  /' /tmp/thin.log

step "cxlflashctl superpipe disable /dev/$s; cxlflashctl status (after)"
cxlflashctl superpipe disable "/dev/$s" || die "superpipe disable failed"
cxlflashctl status || die "status failed"

step "unload"
cxl_unload || exit 1
echo "demo done in $(awk -v t="$T0" '{ printf "%.0f", $1 - t }' /proc/uptime) s (after boot)"
