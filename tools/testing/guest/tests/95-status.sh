# SPDX-License-Identifier: GPL-2.0-only
# cxlflashctl status [--json]: the document parses (jsonflat, a strict
# parser) and its numbers are the ones sysfs, debugfs and the block layer
# show; a mode change and a context held by a program are visible in it.
. "$GUEST_DIR/lib.sh"

JSONFLAT=${JSONFLAT:-/usr/local/libexec/cxlflash-tests/jsonflat}
EXAMPLES=${EXAMPLES:-/usr/local/libexec/libcflash/examples}
ST=/tmp/status.flat

need_tools() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "status reads cxlflash's sysfs and debugfs"
	command -v cxlflashctl >/dev/null || fail "cxlflashctl is not installed"
	[ -x "$JSONFLAT" ] || fail "$JSONFLAT is not installed (did tools/testing/jsonflat build?)"
}

# snapshot: status --json, validated and flattened into $ST
snapshot() {
	cxlflashctl status --json >/tmp/status.json || fail "status --json exited $?"
	"$JSONFLAT" </tmp/status.json >$ST || {
		head -c 2000 /tmp/status.json
		fail "status --json is not valid JSON"
	}
}

# jget PATH: value of a flattened path ("" when absent)
jget() {
	awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' $ST
}

# jpath_of_disk DISK: flattened prefix of the path entry of /dev/DISK
jpath_of_disk() {
	awk -v d="$1" '{ i = index($0, ".disk="); if (i && substr($0, i + 6) == d) { print substr($0, 1, i - 1); exit } }' $ST
}

# jlun_of_disk DISK: prefix of the LUN entry that has the path /dev/DISK
jlun_of_disk() {
	jpath_of_disk "$1" | sed 's/\.paths\[[0-9]*\]$//'
}

# jctx_of_pid PID: prefix of the context entry of PID
jctx_of_pid() {
	awk -v p="$1" '/\.contexts\[[0-9]+\]\.pid=/ { i = index($0, ".pid="); if (substr($0, i + 5) == p) { print substr($0, 1, i - 1); exit } }' $ST
}

dbg_lun() {	# dbg_lun WWID FIELD: a field of debugfs cxlflash/luns
	awk -v w="$1" -v f="$2" '$1 == w { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' \
		/sys/kernel/debug/cxlflash/luns
}

t_status_json() {
	need_tools
	cxl_load || fail "load"
	h=$(cxl_hosts | head -n1)
	sh=/sys/class/scsi_host/host$h
	snapshot
	A=.adapters[0]
	assert_eq "$(jget .adapters#)" "$(cxl_hosts | wc -l)" "adapters"
	assert_eq "$(jget $A.host_no)" "$h" "host number"
	# LUNs: one entry per WWID; paths: one per SCSI device
	nw=$(cxl_disks | while read -r _x _p _l disk _s; do lu_wwid "$disk"; done | sort -u | wc -l)
	assert_eq "$(jget $A.luns#)" "$nw" "LUN count (distinct WWIDs)"
	assert_eq "$(jget $A.luns#)" "$(sim_param luns 2)" "LUN count (sim luns=)"
	np=$(grep -c '\.paths\[[0-9]*\]\.hctl=' $ST)
	assert_eq "$np" "$(cxl_ndisks)" "paths (SCSI devices)"
	assert_eq "$(jget $A.ports#)" "$(sim_param nr_ports 2)" "ports"
	assert_eq "$(jget $A.ports[0].state)" "$(cat $sh/port0)" "port0 state"
	assert_eq "$(jget $A.state)" "$(cat $sh/adapter_state)" "adapter state"
	assert_eq "$(jget $A.hwq.num_hwqs)" "$(cat $sh/num_hwqs)" "num_hwqs"
	assert_eq "$(jget $A.hwq.mode)" "$(cat $sh/hwq_mode)" "hwq_mode"
	assert_eq "$(jget $A.user_contexts)" "$(cat $sh/user_contexts)" "user_contexts"
	assert_eq "$(jget $A.contexts#)" 0 "contexts after a fresh load"
	cxl_disks | while read -r hctl _p _l disk _s; do
		P=$(jpath_of_disk "$disk")
		L=$(jlun_of_disk "$disk")
		[ -n "$P" ] || fail "/dev/$disk not in status"
		assert_eq "$(jget $P.hctl)" "$hctl" "hctl of $disk"
		assert_eq "$(jget $P.mode)" "$(cat /sys/bus/scsi/devices/$hctl/mode)" "mode of $disk"
		lw=$(lu_wwid "$disk")
		assert_eq "$(jget $L.wwid)" "${lw#0x}" "WWID of $disk"
		assert_eq "$(jget $L.size_bytes)" "$(blockdev --getsize64 /dev/$disk)" "size of $disk"
		assert_eq "$(jget $L.block_size)" "$(blockdev --getss /dev/$disk)" "block size of $disk"
	done || exit 1
	# the text screen says the same
	out=$(cxlflashctl status "host$h") || fail "status exited $?"
	assert_match "$out" "LUNs: $nw\$" "text LUN count"
	assert_match "$(cxlflashctl status --help)" "usage: cxlflashctl status" "status --help"
	cxlflashctl status host999 >/dev/null 2>&1 && fail "status of a missing adapter succeeded"
	note "$(jget $A.luns#) LUNs, $np paths, $(jget $A.ports#) ports, state $(jget $A.state)"
}

t_status_mode() {
	need_tools
	cxl_ensure || fail "load"
	d=$(cxl_disk 0 1)
	snapshot
	P=$(jpath_of_disk "$d")
	assert_eq "$(jget $P.mode)" legacy "mode of $d before"
	must cxlflashctl superpipe enable "/dev/$d"
	snapshot
	assert_eq "$(jget $P.mode)" superpipe "mode of $d after superpipe enable"
	# the other path of the same LUN is a different SCSI device: unchanged
	o=$(cxl_disk 1 1)
	assert_eq "$(jget "$(jpath_of_disk "$o")".mode)" legacy "other path $o"
	must cxlflashctl superpipe disable "/dev/$d"
	snapshot
	assert_eq "$(jget $P.mode)" legacy "mode of $d after superpipe disable"
}

t_status_context() {
	need_tools
	[ -x "$EXAMPLES/thin" ] || fail "$EXAMPLES/thin is not installed"
	cxl_load || fail "load"
	h=$(cxl_hosts | head -n1)
	d=$(cxl_disk 0 0)
	must cxlflashctl superpipe enable "/dev/$d"
	"$EXAMPLES/thin" -w "/dev/$d" 150000 10000 >/tmp/thin.log 2>&1 &
	pid=$!
	n=1
	for stage in created grown shrunk; do
		wait_for 30 sh -c "[ \$(grep -c 'waiting for SIGUSR1' /tmp/thin.log) -ge $n ]" || {
			cat /tmp/thin.log
			kill $pid
			fail "thin did not reach '$stage'"
		}
		snapshot
		C=$(jctx_of_pid $pid)
		[ -n "$C" ] || { cat $ST; kill $pid; fail "no context of pid $pid ($stage)"; }
		assert_eq "$(jget $C.comm)" thin "context owner ($stage)"
		assert_eq "$(jget $C.handles)" 1 "resource handles of the context ($stage)"
		assert_eq "$(jget $C.state)" ok "context state ($stage)"
		assert_eq "$(jget .adapters[0].contexts#)" "$(grep -c . /sys/kernel/debug/cxlflash/host$h/contexts)" \
			"contexts = debugfs lines ($stage)"
		assert_eq "$(jget .adapters[0].user_contexts)" "$(cat /sys/class/scsi_host/host$h/user_contexts)" \
			"user_contexts ($stage)"
		L=$(jlun_of_disk "$d")
		P=$(jpath_of_disk "$d")
		w=$(jget $L.wwid)
		grep -q "^$w " /sys/kernel/debug/cxlflash/luns || fail "WWID $w not in debugfs luns"
		assert_eq "$(jget $L.driver_mode)" virtual "driver mode of the LUN ($stage)"
		assert_eq "$(jget $L.users)" "$(dbg_lun "$w" users)" "users ($stage)"
		used=$(jget $L.chunks_used)
		assert_eq "$used" $(($(dbg_lun "$w" chunks) - $(dbg_lun "$w" free))) "chunks used = debugfs ($stage)"
		awk -v p="$P.holders[" -v v="].pid=$pid" 'index($0, p) == 1 && substr($0, length($0) - length(v) + 1) == v { f = 1 }
			END { exit !f }' $ST || { grep holders $ST; fail "pid $pid not a holder of $d ($stage)"; }
		note "$stage: context $(jget $C.id) of thin[$pid], chunks used $used of $(jget $L.chunks)"
		case $stage in
		created) assert_eq "$used" 0 "chunks of an empty vLUN" ;;
		grown) assert_ge "$used" 1 "chunks after growing"; grown=$used ;;
		shrunk) assert_le "$used" $((grown - 1)) "chunks after shrinking" ;;
		esac
		kill -USR1 $pid
		n=$((n + 1))
	done
	wait $pid || { cat /tmp/thin.log; fail "thin exited $?"; }
	wait_for 10 sh -c "[ ! -s /sys/kernel/debug/cxlflash/host$h/contexts ]" || fail "context still listed after exit"
	snapshot
	assert_eq "$(jget .adapters[0].contexts#)" 0 "contexts after the program exited"
	assert_eq "$(jget "$(jlun_of_disk "$d")".chunks_used)" 0 "chunks after the program exited"
	must cxlflashctl superpipe disable "/dev/$d"
}

tap_case "status --json: parses, LUN/path/port counts and values match sysfs" t_status_json 120
tap_case "status --json: superpipe enable/disable visible per path" t_status_mode 60
tap_case "status --json: a program's context, holders and vLUN chunks" t_status_context 120
