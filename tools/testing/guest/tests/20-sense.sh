# SPDX-License-Identifier: GPL-2.0-only
# Check conditions from the emulated LUN, seen through sg_raw.
# The commands go to the sg node (/dev/sgN): its reserved buffer is one
# contiguous segment, and the adapter, like the hardware, takes a single
# data segment per command (sg_tablesize 1), which SG_IO on /dev/sdX with a
# multi-page user buffer could not guarantee.
. "$GUEST_DIR/lib.sh"

# be64 N: eight space-separated hex bytes
be64() {
	printf '%016x' "$1" | sed 's/../& /g; s/ $//'
}

# sense_of OUTPUT: sg_raw's decoded sense
# sg node of a disk
sgdev() {
	_s=$(ls "/sys/block/$1/device/scsi_generic" 2>/dev/null | head -n1)
	[ -n "$_s" ] || fail "no sg node for $1"
	echo "/dev/$_s"
}

expect_sense() {
	# $1 output, $2 sense key text, $3 additional sense text, $4 what
	assert_match "$1" "Check Condition|CHECK CONDITION" "$4: status"
	assert_match "$1" "$2" "$4: sense key"
	assert_match "$1" "$3" "$4: additional sense"
}

t_read_beyond() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk 0 0)
	set -- $(readcap16 "$_d")
	_last=$1
	_bs=$2
	_sg=$(sgdev "$_d")
	# READ(16) one block at last+1
	_o=$(sg_raw -r "$_bs" "$_sg" 88 00 $(be64 $((_last + 1))) 00 00 00 01 00 00 2>&1)
	expect_sense "$_o" "Illegal Request" "Logical block address out of range" "READ(16) at last+1"
	# READ(16) straddling the end
	_o=$(sg_raw -r $((2 * _bs)) "$_sg" 88 00 $(be64 "$_last") 00 00 00 02 00 00 2>&1)
	expect_sense "$_o" "Illegal Request" "Logical block address out of range" "READ(16) straddling the end"
	# READ(16) far beyond
	_o=$(sg_raw -r "$_bs" "$_sg" 88 00 ff ff ff ff ff ff ff 00 00 00 00 01 00 00 2>&1)
	expect_sense "$_o" "Illegal Request" "Logical block address out of range" "READ(16) at 2^64-256"
	# the last block itself is readable
	_o=$(sg_raw -r "$_bs" "$_sg" 88 00 $(be64 "$_last") 00 00 00 01 00 00 2>&1) ||
		fail "READ(16) of the last LBA failed: $_o"
	assert_match "$_o" "SCSI Status: Good|status: Good|Good" "READ(16) of last LBA"
}

t_write_beyond() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk 1 0)
	set -- $(readcap16 "$_d")
	_last=$1
	_bs=$2
	_sg=$(sgdev "$_d")
	_o=$(sg_raw -s "$_bs" -i /dev/zero "$_sg" 8a 00 $(be64 $((_last + 1))) 00 00 00 01 00 00 2>&1)
	expect_sense "$_o" "Illegal Request" "Logical block address out of range" "WRITE(16) at last+1"
	_o=$(sg_raw -s $((2 * _bs)) -i /dev/zero "$_sg" 8a 00 $(be64 "$_last") 00 00 00 02 00 00 2>&1)
	expect_sense "$_o" "Illegal Request" "Logical block address out of range" "WRITE(16) straddling the end"
	# READ(10) beyond (small capacities fit in 32 bits)
	if [ "$_last" -lt 4294967295 ]; then
		_l=$(printf '%08x' $((_last + 1)) | sed 's/../& /g')
		_o=$(sg_raw -r "$_bs" "$_sg" 28 00 $_l 00 00 01 00 2>&1)
		expect_sense "$_o" "Illegal Request" "Logical block address out of range" "READ(10) at last+1"
	fi
}

t_bad_opcode() {
	cxl_ensure || fail "load"
	for _d in $(cxl_disk 0 0) $(cxl_disk 1 1); do
		_o=$(sg_raw "$(sgdev "$_d")" c5 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 2>&1)
		expect_sense "$_o" "Illegal Request" "Invalid command operation code" "opcode 0xc5 on $_d"
	done
	# and the device still works afterwards
	must sg_turs "/dev/$(cxl_disk 0 0)" >/dev/null
}

t_beyond_block() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk 0 1)
	_sz=$(blockdev --getsize64 "/dev/$_d")
	# reading at the end of a block device returns 0 bytes, writing ENOSPC
	_n=$(dd if="/dev/$_d" bs=4096 skip=$((_sz / 4096)) count=1 iflag=direct 2>/dev/null | wc -c)
	assert_eq "$_n" 0 "bytes read at the end of /dev/$_d"
	if dd if=/dev/zero of="/dev/$_d" bs=4096 seek=$((_sz / 4096)) count=1 oflag=direct 2>/dev/null; then
		fail "write past the end of /dev/$_d succeeded"
	fi
}

tap_case "READ(16) beyond capacity: ILLEGAL REQUEST, LBA out of range (asc 0x21)" t_read_beyond
tap_case "WRITE(16)/READ(10) beyond capacity: ILLEGAL REQUEST, asc 0x21" t_write_beyond
tap_case "unknown opcode 0xc5: INVALID COMMAND OPERATION CODE (asc 0x20)" t_bad_opcode
tap_case "block layer: read at end is empty, write past end fails" t_beyond_block
