# SPDX-License-Identifier: GPL-2.0-only
# File-backed LUNs keep their data across rmmod/modprobe (and, with
# persist-boot2.sh, across a second boot of the VM on the same disk image).
. "$GUEST_DIR/lib.sh"
. "$GUEST_DIR/persist.sh"

t_filebacked() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "lun_backing is cxlflash_sim's"
	persist_mount 1 || skip "no persistent disk (/dev/vda): run with vm.sh run -d DISK"
	persist_write || fail "write phase"
	# unload and load again: the data must still be there
	cxl_unload || fail "unload"
	persist_verify || fail "verify after reload"
	# the data really lives in the files
	persist_check_files || fail "backing files"
	cxl_unload || fail "unload"
	persist_umount
}

tap_case "file-backed LUNs (lun_backing=): data survives rmmod/modprobe" t_filebacked 240
