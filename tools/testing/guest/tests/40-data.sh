# SPDX-License-Identifier: GPL-2.0-only
# Raw data path: what is written is read back, through either port.
. "$GUEST_DIR/lib.sh"

# pattern FILE BLOCKS: random data
pattern() {
	dd if=/dev/urandom of="$1" bs=4096 count="$2" 2>/dev/null
}

t_rw_offsets() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk 0 0)
	_blocks=$(($(blockdev --getsize64 /dev/$_d) / 4096))
	pattern /tmp/pat 64
	_want=$(md5sum </tmp/pat | cut -d' ' -f1)
	for _off in 0 1 77 $((_blocks / 2)) $((_blocks - 64)); do
		dd if=/tmp/pat of="/dev/$_d" bs=4096 seek=$_off oflag=direct conv=notrunc 2>/dev/null ||
			fail "write at block $_off"
		_got=$(blk_md5 "$_d" 4096 $_off 64)
		assert_eq "$_got" "$_want" "data at block $_off of $_d"
	done
	# odd-sized transfers: 1 block and 257 blocks
	pattern /tmp/pat1 257
	dd if=/tmp/pat1 of="/dev/$_d" bs=1052672 seek=0 count=1 oflag=direct 2>/dev/null || fail "257-block write"
	assert_eq "$(blk_md5 "$_d" 1052672 0 1)" "$(md5sum </tmp/pat1 | cut -d' ' -f1)" "257-block read"
}

t_cross_port() {
	cxl_ensure || fail "load"
	_a=$(cxl_disk 0 0)
	_wa=$(lu_wwid "$_a")
	_b=""
	for _x in $(cxl_disks | awk '$2 == 1 {print $4}'); do
		[ "$(lu_wwid "$_x")" = "$_wa" ] && _b=$_x
	done
	[ -n "$_b" ] || fail "no port-1 path to the LUN of $_a"
	pattern /tmp/pat 256
	_want=$(md5sum </tmp/pat | cut -d' ' -f1)
	dd if=/tmp/pat of="/dev/$_a" bs=4096 seek=1000 oflag=direct 2>/dev/null || fail "write via $_a"
	assert_eq "$(blk_md5 "$_b" 4096 1000 256)" "$_want" "written on port 0 ($_a), read on port 1 ($_b)"
	pattern /tmp/pat 16
	dd if=/tmp/pat of="/dev/$_b" bs=4096 seek=5 oflag=direct 2>/dev/null || fail "write via $_b"
	assert_eq "$(blk_md5 "$_a" 4096 5 16)" "$(md5sum </tmp/pat | cut -d' ' -f1)" "written on port 1, read on port 0"
}

t_isolation() {
	cxl_ensure || fail "load"
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "scsi_debug LUNs share one store"
	_a=$(cxl_disk 0 0)
	_b=$(cxl_disk 0 1)
	assert_ne "$(lu_wwid "$_a")" "$(lu_wwid "$_b")" "two LUNs on port 0"
	dd if=/dev/zero of="/dev/$_b" bs=4096 seek=3000 count=8 oflag=direct 2>/dev/null || fail "zero $_b"
	pattern /tmp/pat 8
	dd if=/tmp/pat of="/dev/$_a" bs=4096 seek=3000 oflag=direct 2>/dev/null || fail "write $_a"
	assert_eq "$(blk_md5 "$_b" 4096 3000 8)" "$(zero_md5 4096 8)" "LUN $_b untouched by a write to $_a"
}

t_unwritten_zero() {
	cxl_load || fail "reload"
	for _d in $(cxl_disk 0 0) $(cxl_disk 1 1); do
		_blocks=$(($(blockdev --getsize64 /dev/$_d) / 4096))
		for _off in 0 $((_blocks / 3)) $((_blocks - 16)); do
			assert_eq "$(blk_md5 "$_d" 4096 $_off 16)" "$(zero_md5 4096 16)" "fresh $_d at $_off reads zeros"
		done
	done
}

tap_case "write/read back at several offsets and sizes (O_DIRECT)" t_rw_offsets
tap_case "same LUN through port 0 and port 1 shows the same data" t_cross_port
tap_case "LUNs are isolated from each other" t_isolation
tap_case "a freshly loaded thin LUN reads zeros" t_unwritten_zero 120
