# SPDX-License-Identifier: GPL-2.0-only
# A 1 TiB thin LUN in a 1 GiB guest.
. "$GUEST_DIR/lib.sh"

TIB_MB=1048576

# check_tib DISK: 2^28 blocks of 4 KiB, zeros at start/middle/end, writes at
# the far end read back, and memory use stays small.
check_tib() {
	set -- "$1" $(readcap16 "$1")
	assert_eq "$(($2 + 1))" 268435456 "blocks of the 1 TiB LUN $1"
	assert_eq "$3" 4096 "block length of $1"
	_last=$2
	_z=$(zero_md5 4096 256)
	for _off in 0 $((_last / 2 - 128)) $((_last - 255)); do
		assert_eq "$(blk_md5 "$1" 4096 $_off 256)" "$_z" "zeros at block $_off of $1"
	done
	dd if=/dev/urandom of=/tmp/pat bs=4096 count=16 2>/dev/null
	_m=$(md5sum </tmp/pat | cut -d' ' -f1)
	for _off in $((_last - 15)) $((_last / 2)); do
		dd if=/tmp/pat of="/dev/$1" bs=4096 seek=$_off oflag=direct 2>/dev/null || fail "write at $_off"
		assert_eq "$(blk_md5 "$1" 4096 $_off 16)" "$_m" "data at block $_off of $1"
	done
	# the block in front of the written range is still zero
	assert_eq "$(blk_md5 "$1" 4096 $((_last - 16)) 1)" "$(zero_md5 4096 1)" "zeros before the written range"
}

t_tib_param() {
	_free0=$(awk '/^MemAvailable/ {print $2}' /proc/meminfo)
	cxl_load luns=1 lun_size_mb=$TIB_MB || fail "load with lun_size_mb=$TIB_MB"
	_free1=$(awk '/^MemAvailable/ {print $2}' /proc/meminfo)
	_used=$(((_free0 - _free1) / 1024))
	note "MemAvailable drop after creating the 1 TiB LUN: ${_used} MiB"
	assert_le "$_used" 64 "MiB used by an empty 1 TiB thin LUN"
	check_tib "$(cxl_disk 0 0)"
	# through the other port too
	_b=$(cxl_disk 1 0)
	assert_eq "$(lu_wwid "$_b")" "$(lu_wwid "$(cxl_disk 0 0)")" "same LUN on port 1"
	cxl_unload || fail "unload"
}

CFG=/sys/kernel/config/cxlflash_sim

# configfs layout (sim/configfs.c): <adapter>/{nr_ports,sq_mode,power},
# <adapter>/luns/<lun>/{size (bytes, K/M/G/T),block_size,enable,wwid}
t_tib_configfs() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "configfs is cxlflash_sim's"
	cxl_ensure || fail "load"
	[ -d $CFG ] || fail "no $CFG"
	_before=$(cxl_ndisks)
	_a=$CFG/tib
	must mkdir $_a
	must sh -c "echo 1 >$_a/nr_ports"
	must mkdir $_a/luns/big
	must sh -c "echo 1T >$_a/luns/big/size"
	must sh -c "echo 1 >$_a/luns/big/enable"
	assert_eq "$(cat $_a/luns/big/wwid)" "" "wwid of a LUN on a powered-off adapter"
	must sh -c "echo 1 >$_a/power"
	wait_for 60 cxl_have_disks $((_before + 1)) || fail "no new disk after power on: $(cxl_disks)"
	# adapter attributes are busy while powered
	if echo 2 >$_a/nr_ports 2>/dev/null; then
		fail "nr_ports writable while powered"
	fi
	_w=$(cat $_a/luns/big/wwid)
	assert_match "$_w" "^[0-9a-fA-F]{32}$" "configfs wwid"
	_new=""
	for _d in $(cxl_disks | awk '{print $4}'); do
		[ "$(lu_wwid "$_d")" = "0x$(echo "$_w" | tr A-F a-f)" ] && _new=$_d
	done
	[ -n "$_new" ] || fail "no disk with WWID $_w among: $(cxl_disks)"
	check_tib "$_new"
	must sh -c "echo 0 >$_a/power"
	wait_for 60 cxl_have_disks "$_before" || fail "disk still present after power off: $(cxl_disks)"
	must sh -c "echo 0 >$_a/luns/big/enable"
	must rmdir $_a/luns/big
	must rmdir $_a
	cxl_unload || fail "unload"
}

tap_case "1 TiB thin LUN (lun_size_mb=$TIB_MB): capacity, zeros, writes at the end" t_tib_param 180
tap_case "1 TiB thin LUN created through configfs, powered on and off" t_tib_configfs 180
