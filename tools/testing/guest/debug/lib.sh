# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers of the debug-kernel suite: kmemleak, KUnit's KTAP in the kernel
# log, and the fault-injection knobs (Documentation/fault-injection/).

. "$GUEST_DIR/lib.sh"

KMEMLEAK=/sys/kernel/debug/kmemleak
FI_DBG=/sys/kernel/debug
FI=cxlflash-fi

# Reports a fault-injection case must still fail on: TAP_BAD_RE without
# the expected echoes of an injected failure (warn_alloc's "page
# allocation failure", its "Call Trace" and stack frames, which name
# lockdep_* functions; kmemleak's own "Cannot allocate a scan area"), with
# lockdep's and kmemleak's reports named by their headlines instead.  vm.sh
# drops the same lines on the host side, inside the "cxlflash-fi: window"
# markers only.
# A WARN at fs/proc/* is excused there too: see 80-fault.sh.
FI_BAD_RE='BUG:|WARNING: (CPU: [0-9]+ PID: [0-9]+ at )?([^Cf]|f[^s]|fs[^/]|fs/[^p]|fs/p[^r]|fs/pr[^o]|fs/pro[^c])|Oops|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|bad unlock balance|suspicious RCU usage|lock held when returning|held lock freed|kmemleak: [0-9]+ new suspected|leak detector disabled|hung_task:|blocked for more than|list_add corruption|list_del corruption|general protection fault|soft lockup|refcount_t:|BAD page'

kmsg() {
	echo "$*" >/dev/kmsg
}

# ---- kmemleak ---------------------------------------------------------

have_kmemleak() {
	[ -w $KMEMLEAK ] && ! grep -q 'disabled' $KMEMLEAK 2>/dev/null
}

# Report the leaks kmemleak finds now (two scans: an object must stay
# unreferenced over both); empty output means none.
kmemleak_report() {
	echo scan >$KMEMLEAK
	sleep 1
	echo scan >$KMEMLEAK
	cat $KMEMLEAK
}

# After kmemleak_report: forget what it reported (and everything older is
# grey from now on), so later scans report only new leaks.
kmemleak_baseline() {
	echo clear >$KMEMLEAK
}

# ---- KUnit --------------------------------------------------------------

# KTAP lines of the kernel log after the last line matching $1
ktap_after() {
	dmesg | awk -v m="$1" 'index($0, m) { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }' |
		sed -n 's/^\[[^]]*\] //p' |
		grep -E '^ *(KTAP version|TAP version|# Subtest:|[0-9]+\.\.[0-9]+|ok [0-9]+|not ok [0-9]+|# .*(FAILED|Expected|pass:|totals))|^ +(Expected|which is|but)'
}

# ---- fault injection ----------------------------------------------------

# fi_reset: both attributes off, task filter on, GFP_KERNEL allocations
# eligible (ignore-gfp-wait=N), a one-line notice per injected fault.
fi_reset() {
	for _a in failslab fail_page_alloc; do
		[ -d $FI_DBG/$_a ] || continue
		echo 0 >$FI_DBG/$_a/probability
		echo 1 >$FI_DBG/$_a/interval
		echo 1 >$FI_DBG/$_a/times
		echo 0 >$FI_DBG/$_a/space
		echo 1 >$FI_DBG/$_a/verbose
		echo Y >$FI_DBG/$_a/task-filter
		echo N >$FI_DBG/$_a/ignore-gfp-wait
	done
	[ ! -d $FI_DBG/fail_page_alloc ] || echo 0 >$FI_DBG/fail_page_alloc/min-order
}

# fi_arm ATTRS PROBABILITY INTERVAL TIMES: e.g. fi_arm "failslab fail_page_alloc" 10 1 -1
fi_arm() {
	for _a in $1; do
		echo "$2" >$FI_DBG/$_a/probability
		echo "$3" >$FI_DBG/$_a/interval
		echo "$4" >$FI_DBG/$_a/times
	done
}

fi_begin() {
	kmsg "cxlflash-fi: window begin ($*)"
}

fi_end() {
	fi_reset
	kmsg "cxlflash-fi: window end"
}

have_fi() {
	[ -d $FI_DBG/failslab ] && [ -d $FI_DBG/fail_page_alloc ] &&
		[ -e /proc/self/task/$$/fail-nth ] && command -v $FI >/dev/null 2>&1
}

# fi_points S MAX: up to MAX distinct values in 1..S, all of them when
# S <= MAX, else the first and last MAX/4 and the rest spread evenly.
fi_points() {
	awk -v s="$1" -v m="$2" 'BEGIN {
		if (s <= m) { for (i = 1; i <= s; i++) print i; exit }
		q = int(m / 4)
		for (i = 1; i <= q; i++) p[i] = 1
		for (i = s - q + 1; i <= s; i++) p[i] = 1
		r = m - 2 * q
		for (k = 1; k <= r; k++) p[q + int(k * (s - 2 * q) / (r + 1))] = 1
		for (i in p) print i
	}' | sort -n
}

# fi_sites OUTPUT: the "sites=N" of a "cxlflash-fi -c" run
fi_sites() {
	printf '%s\n' "$1" | sed -n 's/.*sites=\([0-9]*\).*/\1/p' | tail -n1
}

# leak_check WHAT: with our modules loaded (so backtraces name our
# functions), scan and fail on any new unreferenced object, printing the
# report; the objects are then forgotten so later cases report only theirs.
leak_check() {
	have_kmemleak || return 0
	sleep 6		# kmemleak reports objects older than 5 s
	_lr=$(kmemleak_report)
	[ -n "$_lr" ] || return 0
	printf '%s\n' "$_lr"
	kmemleak_baseline
	fail "kmemleak after $1: $(printf '%s\n' "$_lr" | grep -c '^unreferenced object') unreferenced object(s)"
}

# Why a module does not unload: its refcount and holders.
mod_diag() {
	for _m in cxlflash cxlflash_sim; do
		[ -d /sys/module/$_m ] || continue
		echo "# $_m: refcnt $(cat /sys/module/$_m/refcnt 2>/dev/null), holders: $(ls /sys/module/$_m/holders 2>/dev/null | tr '\n' ' ')"
	done
	ls $CFG_DIR 2>/dev/null | sed 's/^/# configfs: /'
	cat /sys/kernel/debug/cxlflash_sim/*/contexts 2>/dev/null | sed 's/^/# contexts: /' | head -n 10
}
CFG_DIR=/sys/kernel/config/cxlflash_sim

# unload both modules or fail, saying why
unload_or_fail() {
	cxl_unload && return 0
	mod_diag
	fail "${1:-unload}"
}
