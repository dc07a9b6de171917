# SPDX-License-Identifier: GPL-2.0-only
# Last: unload both modules, let kmemleak scan, and require no leak since
# the baseline of 00-checkers.sh.  The report is printed verbatim.
. "$GUEST_DIR/debug/lib.sh"

t_leak_final() {
	have_kmemleak || fail "kmemleak not usable"
	# first with the modules loaded, so backtraces name our functions
	if [ -d /sys/module/cxlflash ]; then
		sleep 6
		_r=$(kmemleak_report)
		if [ -n "$_r" ]; then
			printf '%s\n' "$_r"
			fail "kmemleak (modules loaded): $(printf '%s\n' "$_r" | grep -c '^unreferenced object') unreferenced object(s)"
		fi
	fi
	cxl_unload || fail "unload"
	[ ! -d /sys/module/cxlflash ] || fail "cxlflash still loaded"
	[ ! -d /sys/module/cxlflash_sim ] || fail "cxlflash_sim still loaded"
	# kmemleak reports only objects older than 5 s
	sleep 6
	_r=$(kmemleak_report)
	[ -z "$_r" ] && return 0
	printf '%s\n' "$_r"
	_n=$(printf '%s\n' "$_r" | grep -c '^unreferenced object')
	if printf '%s\n' "$_r" | grep -Eq '\[(cxlflash|cxlflash_sim)\]|cxlflash|sim_'; then
		fail "kmemleak: $_n unreferenced object(s), stack traces in cxlflash/cxlflash_sim"
	fi
	fail "kmemleak: $_n unreferenced object(s) (not obviously ours: see the backtraces)"
}

tap_case "kmemleak: no leak after the suite (modules unloaded, scan)" t_leak_final 600
