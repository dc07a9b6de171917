# SPDX-License-Identifier: GPL-2.0-only
# fio random writes with crc32c verification through both ports.
. "$GUEST_DIR/lib.sh"

# fio_verify ENGINE BS QD PORT
fio_verify() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk "$4" "$4")
	[ -n "$_d" ] || _d=$(cxl_disk "$4" 0)
	[ -b "/dev/$_d" ] || fail "no disk on port $4"
	case "$2" in
	4k) _size=16M _kb=16384 ;;
	*) _size=64M _kb=65536 ;;
	esac
	_t=$(fio --name=verify --filename="/dev/$_d" --direct=1 --ioengine="$1" \
		--rw=randwrite --bs="$2" --iodepth="$3" --size=$_size \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_dump=0 \
		--output-format=terse 2>&1)
	_rc=$?
	[ $_rc -eq 0 ] || fail "fio exited $_rc: $_t"
	_line=$(printf '%s\n' "$_t" | grep '^3;')
	[ -n "$_line" ] || fail "no terse output: $_t"
	# terse v3: 5 = errors, 6 = KiB read (verify pass), 47 = KiB written
	set -- $(printf '%s\n' "$_line" | awk -F';' '{ print $5, $6, $47, $8, $49 }')
	assert_eq "$1" 0 "fio errors on $_d"
	assert_eq "$3" "$_kb" "KiB written to $_d"
	assert_eq "$2" "$_kb" "KiB read back and verified on $_d"
	note "$_d: write ${5} IOPS, verify ${4} IOPS"
}

t_libaio_4k_1()    { fio_verify libaio 4k 1 0; }
t_libaio_4k_32()   { fio_verify libaio 4k 32 1; }
t_libaio_128k_1()  { fio_verify libaio 128k 1 1; }
t_libaio_128k_32() { fio_verify libaio 128k 32 0; }
t_uring_4k_1()     { fio_verify io_uring 4k 1 1; }
t_uring_4k_32()    { fio_verify io_uring 4k 32 0; }
t_uring_128k_1()   { fio_verify io_uring 128k 1 0; }
t_uring_128k_32()  { fio_verify io_uring 128k 32 1; }

tap_case "fio libaio randwrite+verify crc32c bs=4k qd=1 (port 0)" t_libaio_4k_1 240
tap_case "fio libaio randwrite+verify crc32c bs=4k qd=32 (port 1)" t_libaio_4k_32 240
tap_case "fio libaio randwrite+verify crc32c bs=128k qd=1 (port 1)" t_libaio_128k_1 240
tap_case "fio libaio randwrite+verify crc32c bs=128k qd=32 (port 0)" t_libaio_128k_32 240
tap_case "fio io_uring randwrite+verify crc32c bs=4k qd=1 (port 1)" t_uring_4k_1 240
tap_case "fio io_uring randwrite+verify crc32c bs=4k qd=32 (port 0)" t_uring_4k_32 240
tap_case "fio io_uring randwrite+verify crc32c bs=128k qd=1 (port 0)" t_uring_128k_1 240
tap_case "fio io_uring randwrite+verify crc32c bs=128k qd=32 (port 1)" t_uring_128k_32 240
