#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# "vm.sh demo": the emulated adapter and the driver at work, step by step.
. "$GUEST_DIR/lib.sh"

step() {
	echo
	echo "==> $*"
}

step "modprobe cxlflash_sim (defaults) && modprobe cxlflash"
cxl_load || exit 1
lsmod | grep -E '^(cxlflash|Module)'

step "lsscsi: one host, FC port = SCSI channel"
lsscsi -H | grep -E 'cxlflash|^\[' | grep cxlflash
lsscsi

step "sysfs of the SCSI host"
for h in $(cxl_hosts); do
	for a in port0 port1 lun_mode ioctl_version; do
		printf '  host%s/%-14s %s\n' "$h" "$a" "$(cat /sys/class/scsi_host/host$h/$a 2>&1)"
	done
done

step "per-device mode and WWID (VPD page 0x83)"
cxl_disks | while read -r hctl port lun disk sg; do
	printf '  %-10s port %s  /dev/%-4s  mode=%-9s wwid=%s\n' "$hctl" "$port" "$disk" \
		"$(cat /sys/bus/scsi/devices/$hctl/mode 2>&1)" "$(lu_wwid "$disk")"
done

d=$(cxl_disk 0 0)
step "sg_readcap -l /dev/$d"
sg_readcap -l "/dev/$d"

step "mkfs.ext4 /dev/$d, mount, write a file, read it back"
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

step "unload"
cxl_unload || exit 1
echo "demo done"
