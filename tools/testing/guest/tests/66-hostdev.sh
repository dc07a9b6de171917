# SPDX-License-Identifier: GPL-2.0-only
# The per-adapter host device /dev/cxlflash/cxlflash<N> (hostdev.c) and
# its ioctls: LUN provisioning and AFU debug, through the superpipe test
# program hostdev (tools/testing/superpipe/hostdev.c) and cxlflashctl.
. "$GUEST_DIR/lib.sh"
# shellcheck source=65-superpipe.sh
SP=${SP_DIR:-/usr/local/libexec/cxlflash-tests/superpipe}

# hd_run ARGS...: the hostdev program, passing on exit 0 and no "not ok"
hd_run() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "the host device needs cxlflash"
	[ -x "$SP/hostdev" ] || fail "$SP/hostdev is not installed"
	# shellcheck disable=SC2086 # HD_LOAD: module parameters, word-split
	cxl_ensure ${HD_LOAD:-} || fail "load ${HD_LOAD:-}"
	"$SP/hostdev" "$@" >/tmp/hostdev.log 2>&1
	_rc=$?
	_nok=$(grep -c '^not ok ' /tmp/hostdev.log)
	_ok=$(grep -c '^ok ' /tmp/hostdev.log)
	if [ "$_rc" -ne 0 ] || [ "$_nok" -ne 0 ] || [ "$_ok" -eq 0 ]; then
		awk '/^not ok / { p = 1; print; next } /^ok / { p = 0 } /^Bail out!/ { print; next }
		     p && /^#/ { print }' /tmp/hostdev.log | head -n 30
		[ "$_nok" -gt 0 ] || tail -n 15 /tmp/hostdev.log
		fail "hostdev $*: exit $_rc, $_nok not ok"
	fi
	note "hostdev $*: $_ok ok ($(grep -E '^[0-9]+ passed' /tmp/hostdev.log | tail -n1))"
}

t_hostdev_node() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "the host device needs cxlflash"
	cxl_ensure || fail "load"
	_n=/dev/cxlflash/cxlflash0
	[ -c $_n ] || fail "$_n is not a character device: $(ls -l /dev/cxlflash 2>&1)"
	[ -d /sys/class/cxlflash/cxlflash0 ] || fail "no /sys/class/cxlflash/cxlflash0"
	_dev=$(cat /sys/class/cxlflash/cxlflash0/dev)
	_maj=$(stat -c %t $_n) _min=$(stat -c %T $_n)
	assert_eq "$_dev" "$((0x$_maj)):$((0x$_min))" "node number = sysfs dev"
	# the class device hangs off the adapter the SCSI host does
	_h=$(cxl_hosts | head -n1)
	[ -d /sys/class/cxlflash/cxlflash0/device/host$_h ] ||
		fail "cxlflash0 is not the adapter of host$_h"
	note "$_n $_dev, adapter of host$_h"
}

t_hostdev() { hd_run; }
t_hostdev_nosup() {
	HD_LOAD="lun_provision=0 afu_debug=0" hd_run -N
	cxl_unload || fail "unload"
}
t_hostdev_unbind() { hd_run -U; }

# 50 create/delete cycles: every disk seen and gone, the kernel log has
# the 50 creations and deletions and nothing else from the driver's host
# device but them (no error line)
t_prov_cycles() {
	_kml=/sys/kernel/debug/kmemleak
	_leakcheck=
	# on a kmemleak kernel (the debug tier): no new leak over the cycles
	if [ -w $_kml ] && ! grep -q disabled $_kml 2>/dev/null; then
		_leakcheck=1
		echo scan >$_kml && echo clear >$_kml
	fi
	hd_run -c "${PROV_CYCLES:-50}"
	if [ -n "$_leakcheck" ]; then
		# kmemleak reports only objects older than 5 s
		sleep 6
		echo scan >$_kml
		sleep 1
		echo scan >$_kml
		_r=$(cat $_kml)
		if printf '%s\n' "$_r" | grep -Eq 'cxlflash|sim_|hostdev|scsi'; then
			printf '%s\n' "$_r" | head -n 40
			fail "kmemleak after the cycles: $(printf '%s\n' "$_r" | grep -c '^unreferenced object') object(s)"
		fi
		note "kmemleak: no leak over the cycles"
	fi
	_log=$(case_dmesg)
	_c=$(printf '%s\n' "$_log" | grep -c 'LUN [0-9a-f]* created')
	_d=$(printf '%s\n' "$_log" | grep -c 'LUN [0-9a-f]* deleted')
	assert_eq "$_c" "${PROV_CYCLES:-50}" "creations logged"
	assert_eq "$_d" "${PROV_CYCLES:-50}" "deletions logged"
	assert_nomatch "$_log" "cxlflash.*(error|fail|not added|timed out)" "driver errors"
	assert_nomatch "$_log" "I/O error" "I/O errors"
	assert_eq "$(cxl_ndisks)" "$(cxl_expected_disks)" "disks after the cycles"
}

# cxlflashctl provision create|list|delete and afu-debug
t_ctl_provision() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "the host device needs cxlflash"
	command -v cxlflashctl >/dev/null || fail "no cxlflashctl"
	cxl_ensure || fail "load"
	_n0=$(cxl_ndisks)
	_out=$(cxlflashctl provision create -a 0 -p 1 -s 8M 2>&1) || fail "create: $_out"
	note "create: $_out"
	_id=$(printf '%s\n' "$_out" | sed -n 's/.*lun_id \(0x[0-9a-f]*\).*/\1/p')
	_w=$(printf '%s\n' "$_out" | sed -n 's/.*wwid \([0-9a-f]*\).*/\1/p')
	[ -n "$_id" ] && [ -n "$_w" ] || fail "no lun_id/wwid in: $_out"
	assert_eq "$(cxl_ndisks)" $((_n0 + 1)) "disks after create"
	_l=$(cxlflashctl provision list -a 0 2>&1) || fail "list: $_l"
	assert_match "$_l" "port 1: .*luns [0-9]+/[0-9]+" "list format"
	_dbg=$(cxlflashctl afu-debug -a 0 port-stats 1 2>&1) || fail "afu-debug: $_dbg"
	assert_match "$_dbg" "provisioned_luns 1" "afu-debug port-stats"
	_out=$(cxlflashctl provision delete -a 0 -p 1 "$_id" 2>&1) || fail "delete: $_out"
	assert_eq "$(cxl_ndisks)" "$_n0" "disks after delete"
	if cxlflashctl provision delete -a 0 -p 1 "$_id" >/dev/null 2>&1; then
		fail "a second delete of $_id succeeded"
	fi
}

tap_case "host device: /dev/cxlflash/cxlflash0, class cxlflash, parent adapter" t_hostdev_node 60
tap_case "host device: field rules, create/fio/superpipe/ext4/delete, AFU debug" t_hostdev 600
tap_case "host device: AFU without the capabilities: ENOTSUPP" t_hostdev_nosup 120
tap_case "host device: fd open across unbind: ENODEV, node gone and back" t_hostdev_unbind 180
tap_case "host device: ${PROV_CYCLES:-50} LUN create/delete cycles, clean log" t_prov_cycles 900
tap_case "cxlflashctl provision create/list/delete, afu-debug" t_ctl_provision 180
cxl_unload >/dev/null 2>&1
