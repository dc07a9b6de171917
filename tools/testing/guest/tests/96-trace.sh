# SPDX-License-Identifier: GPL-2.0-only
# Tracepoints (events/cxlflash/ in tracefs): each event fires where it is
# documented to, with the values of the operation that caused it.
. "$GUEST_DIR/lib.sh"

SIMDBG=/sys/kernel/debug/cxlflash_sim
EXAMPLES=${EXAMPLES:-/usr/local/libexec/libcflash/examples}
TR=/sys/kernel/tracing

# Enabling the first event normally also hooks sched_switch and
# sched_wakeup to record task names (options/record-cmd), and disabling the
# last one unhooks them: both patch the static calls in __schedule() and the
# wake-up paths (text_poke_bp, int3 plus an IPI to every CPU).  Under QEMU
# TCG that patching deadlocked a CPU spinning on the int3 in __schedule()
# with interrupts off against the patching CPU waiting for its IPI (an RCU
# stall and the harness's panic in one CI run, with that backtrace; most
# likely the soft lockup of an earlier one).  Reproduced by toggling
# events/cxlflash/enable under fio: the guest hung after 50 and 150
# toggles with record-cmd on, and 2 x 400 toggles passed with it off
# (the cxlflash tracepoint sites, patched either way, busy all along).
# The cases read no task names, so record-cmd is off while our events are
# on and no scheduler code is patched.
trace_on() {	# trace_on EVENT...
	[ -d $TR/events ] || mount -t tracefs nodev $TR 2>/dev/null
	[ -d $TR/events/cxlflash ] || fail "no events/cxlflash in tracefs"
	echo 0 >$TR/tracing_on
	echo 0 >$TR/options/record-cmd || fail "cannot turn off options/record-cmd"
	echo >$TR/trace
	for _e in "$@"; do
		echo 1 >$TR/events/cxlflash/$_e/enable || fail "cannot enable $_e"
	done
	echo 1 >$TR/tracing_on
}

trace_off() {
	echo 0 >$TR/tracing_on
	echo 0 >$TR/events/cxlflash/enable
	# with no event enabled this patches nothing
	echo 1 >$TR/options/record-cmd
	grep -v '^#' $TR/trace >/tmp/trace.txt
}

t_trace_cmd() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "cxlflash tracepoints"
	cxl_ensure || fail "load"
	_d=$(cxl_disk 0 0)
	_bs=$(cat /sys/block/$_d/queue/logical_block_size)
	trace_on cxlflash_cmd_submit cxlflash_cmd_complete
	# one block at 100 (an IOARCB has one data address, so the driver
	# takes one segment a command: a bigger dd buffer is split by pages)
	dd if=/dev/$_d of=/dev/null bs=$_bs skip=100 count=1 iflag=direct 2>/dev/null ||
		fail "read failed"
	dd if=/dev/zero of=/dev/$_d bs=$_bs seek=200 count=1 oflag=direct 2>/dev/null ||
		fail "write failed"
	trace_off
	# the read at block 100 and the write at 200: completions, good, with
	# a latency, each after a submit of the same tag
	for _w in '0x(28|88) lba=100' '0x(2a|8a) lba=200'; do
		_c=$(grep 'cxlflash_cmd_complete:' /tmp/trace.txt | grep -E "op=$_w blocks=1 ioasc=0x00000000 lat_ns=[1-9]" | head -n1)
		[ -n "$_c" ] || { head -n 20 /tmp/trace.txt; fail "no good completion of op=$_w blocks=1 with a latency"; }
		_tag=$(echo "$_c" | sed -n 's/.* tag=\([0-9-]*\) .*/\1/p')
		grep 'cxlflash_cmd_submit:' /tmp/trace.txt | grep -qE "tag=$_tag op=$_w blocks=1" ||
			fail "no submit event for tag $_tag (op=$_w)"
	done
	note "$(echo "$_c" | sed 's/^.*cxlflash_cmd_complete: //')"
	# disabled, nothing is recorded
	dd if=/dev/$_d of=/dev/null bs=$_bs count=1 iflag=direct 2>/dev/null
	[ "$(grep -c cxlflash_ $TR/trace)" = "$(grep -c cxlflash_ /tmp/trace.txt)" ] ||
		fail "events recorded while disabled"
}

t_trace_reset_link() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "cxlflash tracepoints"
	cxl_ensure || fail "load"
	_a=$(ls $SIMDBG 2>/dev/null | head -n1)
	[ -n "$_a" ] || skip "no cxlflash_sim debugfs"
	_d=$(cxl_disk 0 0)
	_h=$(cxl_hosts | head -n1)
	trace_on cxlflash_reset cxlflash_link_event
	sg_reset -H /dev/$_d >/dev/null 2>&1 || fail "sg_reset -H failed"
	echo 1 >$SIMDBG/$_a/link_down
	wait_for 10 sh -c "[ \"\$(cat /sys/class/scsi_host/host$_h/port1)\" = offline ]" ||
		fail "port1 not offline"
	echo 1 >$SIMDBG/$_a/link_up
	wait_for 10 sh -c "[ \"\$(cat /sys/class/scsi_host/host$_h/port1)\" = online ]" ||
		fail "port1 not online"
	sleep 1
	trace_off
	grep -qE "cxlflash_reset: host$_h afu ctx=-1 rc=0" /tmp/trace.txt ||
		{ cat /tmp/trace.txt | head -n 20; fail "no AFU reset event for host$_h"; }
	grep -qE "cxlflash_link_event: host$_h port1 " /tmp/trace.txt ||
		{ cat /tmp/trace.txt | head -n 20; fail "no link event on port1"; }
	note "$(grep -c cxlflash_link_event /tmp/trace.txt) link events, $(grep -c cxlflash_reset /tmp/trace.txt) reset events"
}

t_trace_ctx_vlun() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "cxlflash tracepoints"
	[ -x "$EXAMPLES/thin" ] || fail "$EXAMPLES/thin is not installed"
	cxl_ensure || fail "load"
	_d=$(cxl_disk 1 0)
	_bs=$(cat /sys/block/$_d/queue/logical_block_size)
	# a chunk is 65536 blocks: grow to one block past 2 chunks (3
	# chunks), shrink to half a chunk (1 chunk)
	_c=65536
	must cxlflashctl superpipe enable "/dev/$_d"
	trace_on cxlflash_ctx_attach cxlflash_ctx_detach cxlflash_vlun_resize
	"$EXAMPLES/thin" "/dev/$_d" $((_c * 2 + 1)) $((_c / 2)) >/tmp/thin.log 2>&1 ||
		{ cat /tmp/thin.log; fail "thin exited $?"; }
	trace_off
	must cxlflashctl superpipe disable "/dev/$_d"
	_id=$(sed -n 's/.*cxlflash_ctx_attach: host[0-9]* ctxid=\(0x[0-9a-f]*\) pid=[0-9]* rc=0.*/\1/p' /tmp/trace.txt | head -n1)
	[ -n "$_id" ] || { cat /tmp/trace.txt | head; fail "no ctx_attach event"; }
	grep -q "cxlflash_vlun_resize: host[0-9]* ctxid=$_id rhndl=[0-9]* chunks 0 -> 3 rc=0" /tmp/trace.txt ||
		{ cat /tmp/trace.txt | head; fail "no resize 0 -> 3 chunks for $_id"; }
	grep -q "cxlflash_vlun_resize: host[0-9]* ctxid=$_id rhndl=[0-9]* chunks 3 -> 1 rc=0" /tmp/trace.txt ||
		{ cat /tmp/trace.txt | head; fail "no resize 3 -> 1 chunks for $_id"; }
	grep -q "cxlflash_ctx_detach: host[0-9]* ctxid=$_id " /tmp/trace.txt ||
		{ cat /tmp/trace.txt | head; fail "no ctx_detach for $_id"; }
	note "context $_id: attach, resize 0->3->1 chunks, detach (block size $_bs)"
}

tap_case "tracepoints: command submit/complete with tag, opcode, LBA, blocks, status, latency" t_trace_cmd 60
tap_case "tracepoints: AFU reset and FC link events" t_trace_reset_link 90
tap_case "tracepoints: context attach/detach and vLUN resize (chunks before/after)" t_trace_ctx_vlun 90
