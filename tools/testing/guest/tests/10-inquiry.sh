# SPDX-License-Identifier: GPL-2.0-only
# INQUIRY, VPD 0x83 and READ CAPACITY of the emulated LUNs.
. "$GUEST_DIR/lib.sh"

t_inquiry() {
	cxl_ensure || fail "load"
	for _d in $(cxl_disks | awk '{print $4}'); do
		_o=$(sg_inq "/dev/$_d" 2>&1) || fail "sg_inq /dev/$_d: $_o"
		assert_match "$_o" "PDT=0 " "$_d is a direct-access device"
	done
}

t_wwid() {
	cxl_ensure || fail "load"
	_all=""
	for _d in $(cxl_disks | awk '{print $4}'); do
		_w=$(lu_wwid "$_d")
		[ -n "$_w" ] || fail "no NAA designator for the LU in VPD 0x83 of $_d: $(sg_vpd -p di /dev/$_d 2>&1)"
		note "$_d wwid $_w"
		# the kernel's view (from the same page) must agree
		_k=$(cat "/sys/block/$_d/device/wwid" 2>/dev/null)
		assert_match "$_k" "naa\\.${_w#0x}" "sysfs wwid of $_d"
		_all="$_all$_w
"
	done
	_n=$(printf '%s' "$_all" | sort -u | grep -c .)
	assert_eq "$_n" "$(sim_param luns 2)" "distinct WWIDs (one per LUN)"
	# each WWID is seen once through every port
	for _w in $(printf '%s' "$_all" | sort -u); do
		_c=$(printf '%s' "$_all" | grep -c "^$_w\$")
		assert_eq "$_c" "$(sim_param nr_ports 2)" "paths to LUN $_w"
	done
	# and the two paths of a LUN are on different channels
	for _i in 0 1; do
		_a=$(cxl_disk 0 $_i)
		_found=0
		for _b in $(cxl_disks | awk '$2 == 1 {print $4}'); do
			[ "$(lu_wwid "$_a")" = "$(lu_wwid "$_b")" ] && _found=1
		done
		assert_eq "$_found" 1 "LUN behind $_a is also visible on port 1"
	done
}

t_capacity() {
	cxl_ensure || fail "load"
	_mb=$(sim_param lun_size_mb "")
	_bs=$(sim_param lun_block_size 4096)
	for _d in $(cxl_disks | awk '{print $4}'); do
		set -- $(readcap16 "$_d")
		_last=$1 _blen=$2
		[ -n "$_last" ] || fail "sg_readcap -l /dev/$_d: $(sg_readcap -l /dev/$_d 2>&1)"
		assert_eq "$_blen" 4096 "logical block length of $_d"
		assert_eq "$_blen" "$_bs" "block length = lun_block_size"
		if [ -n "$_mb" ]; then
			assert_eq "$((_last + 1))" "$((_mb * 1048576 / _bs))" "blocks of $_d for lun_size_mb=$_mb"
		fi
		assert_eq "$(cat /sys/block/$_d/queue/logical_block_size)" 4096 "queue/logical_block_size of $_d"
		_sz=$(blockdev --getsize64 /dev/$_d)
		assert_eq "$_sz" "$(((_last + 1) * _blen))" "size of /dev/$_d"
		# READ CAPACITY(10) agrees
		_l10=$(sg_readcap "/dev/$_d" | sed -n 's/.*Last LBA=\([0-9]*\).*/\1/p')
		assert_eq "$_l10" "$_last" "READ CAPACITY(10) last LBA of $_d"
		note "$_d last_lba=$_last block=$_blen"
	done
}

tap_case "INQUIRY: every disk is a direct-access device" t_inquiry
tap_case "VPD 0x83: one NAA WWID per LUN, same through both ports" t_wwid
tap_case "READ CAPACITY(16)/(10): lun_size_mb worth of 4096-byte blocks" t_capacity
