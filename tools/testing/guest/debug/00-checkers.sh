# SPDX-License-Identifier: GPL-2.0-only
# The debug kernel's checkers are live; kmemleak forgets the boot.
. "$GUEST_DIR/debug/lib.sh"

# the baseline scan may report the boot's own leaks (see t_leak_baseline)
TAP_BAD_RE=$(printf '%s' "$TAP_BAD_RE" | sed 's/|kmemleak//')

t_checkers() {
	note "kernel $(uname -r): $(uname -v)"
	dmesg | grep -q 'KernelAddressSanitizer initialized' || fail "KASAN is not initialized"
	[ -e /proc/lockdep ] || fail "no /proc/lockdep: PROVE_LOCKING off"
	[ -d /sys/kernel/debug/kunit ] || note "no /sys/kernel/debug/kunit"
	have_kmemleak || fail "kmemleak not usable ($KMEMLEAK)"
	[ -d $FI_DBG/failslab ] || fail "no failslab in debugfs"
	[ -d $FI_DBG/fail_page_alloc ] || fail "no fail_page_alloc in debugfs"
	[ -e /proc/self/make-it-fail ] || fail "no /proc/self/make-it-fail"
	[ "$(cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null)" -gt 0 ] 2>/dev/null ||
		fail "hung-task detector off"
	command -v $FI >/dev/null || fail "$FI not in the guest (tools/testing/faultinj)"
}

t_leak_baseline() {
	have_kmemleak || skip "no kmemleak"
	# leaks of the boot itself are not ours: the scan that finds them is
	# inside a window where vm.sh expects its "new suspected" line
	fi_begin "leak-detector baseline"
	_r=$(kmemleak_report)
	kmemleak_baseline
	fi_end
	if [ -n "$_r" ]; then
		note "leaks reported before our modules ever loaded (not ours; forgotten):"
		printf '%s\n' "$_r" | grep -E '^unreferenced|^  comm|^    \[' | head -n 20 | sed 's/^/# /'
	fi
}

tap_case "debug kernel: KASAN, lockdep, kmemleak, hung-task, failslab, fail_page_alloc live" t_checkers
tap_case "kmemleak baseline before the modules load" t_leak_baseline 300
