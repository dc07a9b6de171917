#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Second boot of "vm.sh test": the file-backed LUNs written by the first boot
# (tests/80-filebacked.sh) still hold their data.
TAP_SELF=${TAP_SELF:-$0}
export TAP_SELF
. "$GUEST_DIR/lib.sh"
. "$GUEST_DIR/persist.sh"

t_boot2() {
	[ -b /dev/vda ] || modprobe -qa virtio_pci virtio_blk
	persist_mount 0 || fail "mount the persistent disk"
	[ -s $PMNT/sums ] || fail "first boot left no checksums (did 80-filebacked run?)"
	persist_check_files || fail "backing files changed"
	persist_verify || fail "LUN data after reboot"
	cxl_unload || fail "unload"
	persist_umount
}

tap_begin
tap_case "file-backed LUNs keep their data across a VM reboot" t_boot2 240
tap_end
