# SPDX-License-Identifier: GPL-2.0-only
# Error handling and recovery of the legacy path: resets that really reset
# and resume, command loss, link events, queue reconfiguration, unload
# refused while in use.
. "$GUEST_DIR/lib.sh"

SIMDBG=/sys/kernel/debug/cxlflash_sim

sim_adapter() {
	ls $SIMDBG 2>/dev/null | head -n1
}

host_attr() {
	cat /sys/class/scsi_host/host$(cxl_hosts | head -n1)/$1
}

# pattern on the first MiB of $1, kept in /tmp/eh.pat
put_pattern() {
	dd if=/dev/urandom of=/tmp/eh.pat bs=4096 count=256 2>/dev/null
	must dd if=/tmp/eh.pat of=/dev/$1 bs=4096 oflag=direct 2>/dev/null
}

check_pattern() {
	dd if=/dev/$1 of=/tmp/eh.chk bs=4096 count=256 iflag=direct 2>/dev/null ||
		fail "read back from $1"
	cmp -s /tmp/eh.pat /tmp/eh.chk || fail "data on $1 differs after $2"
}

t_host_reset() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk 0 1)
	put_pattern $_d
	# readers keep going across the reset
	( _i=0; while [ $_i -lt 6 ]; do
		dd if=/dev/$_d of=/dev/null bs=4096 count=256 iflag=direct 2>/dev/null || exit 1
		_i=$((_i + 1))
	done ) &
	_r=$!
	must sg_reset -H /dev/$_d
	wait $_r || fail "I/O failed across the host reset"
	assert_eq "$(host_attr adapter_state)" normal "adapter state after reset"
	check_pattern $_d "host reset"
	case_dmesg | grep -q "host reset" || fail "driver did not log the host reset"
}

t_device_reset() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk 1 0)
	put_pattern $_d
	must sg_reset -d /dev/$_d
	check_pattern $_d "LUN reset"
}

t_lost_command() {
	cxl_ensure || fail "load"
	_a=$(sim_adapter)
	[ -n "$_a" ] || skip "no cxlflash_sim debugfs"
	_d=$(cxl_disk 0 1)
	put_pattern $_d
	echo 2 >/sys/block/$_d/device/timeout
	echo 1 >$SIMDBG/$_a/drop_next
	# the dropped read times out, the abort resets the context, the
	# midlayer retries: the data still arrives intact
	check_pattern $_d "a lost command"
	case_dmesg | grep -q "abort" || fail "no abort was logged"
	echo 30 >/sys/block/$_d/device/timeout
}

t_link_bounce() {
	cxl_ensure || fail "load"
	_a=$(sim_adapter)
	[ -n "$_a" ] || skip "no cxlflash_sim debugfs"
	_d=$(cxl_disk 1 1)
	put_pattern $_d
	echo 1 >$SIMDBG/$_a/link_down
	wait_for 10 sh -c "[ \"\$(cat /sys/class/scsi_host/host$(cxl_hosts | head -n1)/port1)\" = offline ]" ||
		fail "port1 not offline after link down"
	echo 1 >$SIMDBG/$_a/link_up
	wait_for 10 sh -c "[ \"\$(cat /sys/class/scsi_host/host$(cxl_hosts | head -n1)/port1)\" = online ]" ||
		fail "port1 not online after link up"
	check_pattern $_d "a link bounce"
}

t_hwqs() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk 0 0)
	put_pattern $_d
	_h=/sys/class/scsi_host/host$(cxl_hosts | head -n1)
	echo 2 >$_h/num_hwqs || fail "num_hwqs=2 refused"
	assert_eq "$(cat $_h/num_hwqs)" 2 "num_hwqs"
	echo cpu >$_h/hwq_mode || fail "hwq_mode cpu refused"
	check_pattern $_d "num_hwqs=2"
	echo bogus >$_h/hwq_mode 2>/dev/null && fail "hwq_mode accepted 'bogus'"
	echo 16 >$_h/irqpoll_weight || fail "irqpoll_weight=16 refused"
	check_pattern $_d "irqpoll_weight=16"
	echo 16 >$_h/irqpoll_weight 2>/dev/null && fail "same irqpoll_weight accepted"
	echo 0 >$_h/irqpoll_weight || fail "irqpoll_weight=0 refused"
	echo 1 >$_h/num_hwqs || fail "num_hwqs=1 refused"
	echo rr >$_h/hwq_mode
	check_pattern $_d "back to one queue"
}

t_unload_busy() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk 0 0)
	fio --name=busy --filename=/dev/$_d --direct=1 --rw=randwrite --bs=4k \
		--iodepth=8 --ioengine=libaio --runtime=8 --time_based --size=64m \
		--output=/tmp/eh.fio >/dev/null 2>&1 &
	_f=$!
	# fio holds the disk (and so the driver's module) once it has opened
	# it, which on a loaded TCG host can take several seconds
	_i=0
	while [ "$(cat /sys/module/$DRV/refcnt)" = 0 ] && [ $_i -lt 60 ]; do
		sleep 0.5
		_i=$((_i + 1))
	done
	[ "$(cat /sys/module/$DRV/refcnt)" != 0 ] || fail "fio never opened /dev/$_d"
	sleep 1
	rmmod $SIM 2>/dev/null && fail "$SIM unloaded while the driver is bound"
	rmmod $DRV 2>/dev/null && fail "$DRV unloaded with a disk open"
	wait $_f || fail "fio failed while unloads were refused"
	grep -q "err= 0" /tmp/eh.fio || fail "fio reported errors"
	must cxl_unload
	must cxl_load
}

tap_case "host reset (sg_reset -H) with I/O in flight: resumes, data intact" t_host_reset 180
tap_case "LUN reset (sg_reset -d): TMF completes, data intact" t_device_reset 120
tap_case "lost command: timeout, abort (context reset), retry succeeds" t_lost_command 180
tap_case "FC link down/up: port state follows, I/O resumes" t_link_bounce 120
tap_case "num_hwqs / hwq_mode / irqpoll_weight: reset applies them, data intact" t_hwqs 180
tap_case "unload refused while in use (open disk, bound driver), no I/O error" t_unload_busy 120
