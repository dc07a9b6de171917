# SPDX-License-Identifier: GPL-2.0-only
# The superpipe test programs (tools/testing/superpipe, installed under
# /usr/local/libexec/cxlflash-tests/superpipe): one case per program run,
# passing when the program exits 0 with no "not ok" line.  A failing
# program's "not ok" lines (with the diagnostics under them) are the case's
# diagnostics.  Stress runs short here (16 processes x 10 s); the long one
# is STRESS_PROCS=64 STRESS_SECS=60 run_all.sh.
. "$GUEST_DIR/lib.sh"

SP=${SP_DIR:-/usr/local/libexec/cxlflash-tests/superpipe}

# sp_run PROGRAM [ARGS...]   (SP_LOAD: parameters of the emulator, e.g. sq_mode=0)
sp_run() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "the superpipe needs cxlflash"
	[ -x "$SP/$1" ] || fail "$SP/$1 is not installed (did tools/testing/superpipe build?)"
	# shellcheck disable=SC2086 # SP_LOAD: module parameters, word-split
	cxl_ensure ${SP_LOAD:-} || fail "load ${SP_LOAD:-}"
	_log=/tmp/sp-$1.log
	_prog=$SP/$1
	shift
	"$_prog" "$@" >"$_log" 2>&1
	_rc=$?
	set -- "${_prog##*/}" "$@"
	_ok=$(grep -c '^ok ' "$_log")
	_nok=$(grep -c '^not ok ' "$_log")
	_sk=$(grep -c '^ok .*# SKIP' "$_log")
	_sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$_log" | tail -n1)
	if grep -q '^1\.\.0 # SKIP' "$_log"; then
		skip "$*: $(sed -n 's/^1\.\.0 # SKIP //p' "$_log" | head -n1)"
	fi
	if [ "$_rc" -eq 0 ] && [ "$_nok" -eq 0 ] && [ "$_ok" -gt 0 ]; then
		[ "$_sk" -eq 0 ] && _sk="" || _sk=", $_sk skipped"
		note "$*: $_ok ok$_sk (${_sum:-no summary})"
		return 0
	fi
	# the failing lines, each with the "# " diagnostics below it
	awk '/^not ok / { p = 1; print; next } /^ok / { p = 0 } /^Bail out!/ { print; next }
	     p && /^#/ { print }' "$_log" | head -n 30
	grep -E '^# planned|FORBIDDEN' "$_log" | head -n 5
	# no failing line (crash, timeout inside, bad plan): the end of the output
	[ "$_nok" -gt 0 ] || tail -n 15 "$_log"
	fail "$*: exit $_rc, $_nok not ok, ${_sum:-no summary line}"
}

t_ioctl_errors() { sp_run ioctl_errors; }
t_appclose() { sp_run appclose; }
t_data() { sp_run data; }
t_nosys_self() { sp_run nosyscall -S; }
t_nosys_qd1() { sp_run nosyscall; }
t_nosys_qd32() { sp_run nosyscall -q 32; }
t_nosys_poll() { sp_run nosyscall -q 32 -P; }
# 2000 I/Os a run: under strace -f each I/O's marker-free loop is the same,
# and a loaded TCG host makes 10000 x 6 runs outlast the case's timeout
t_nosys_strace() { sp_run nosyscall_strace.sh -n 2000; }
t_recovery() { sp_run recovery -n 2; }
t_stress() { sp_run stress -n "${STRESS_PROCS:-16}" -t "${STRESS_SECS:-10}"; }
t_vlun() { sp_run vlun; }
t_sp_compat() { sp_run compat; }
# lifetime: ends with rmmod, which a leaked context or adapter file
# refuses; the fork part again with IOARRIN submission (the sim's default
# is SQ mode), where the child's attack is a WRITE queued on IOARRIN
t_lifetime() {
	sp_run lifetime -t "${RACE_SECS:-5}"
	cxl_unload || fail "rmmod after the lifetime tests: $(lsmod | grep cxlflash)"
	SP_LOAD=sq_mode=0 sp_run lifetime -s fork
	cxl_unload || fail "rmmod after the fork tests: $(lsmod | grep cxlflash)"
}
t_afu_proto() { sp_run afu_proto; }
t_sgfence() { sp_run sgfence; }
# lunmode: then no error of the driver, sd or the sim in the kernel log
t_lunmode() {
	sp_run lunmode
	_e=$(case_dmesg | grep -Ei 'cxlflash|sd [0-9]|scsi' | grep -Ei 'error|fail|timed out|warn' || true)
	[ -z "$_e" ] || fail "kernel log after the lun_mode changes: $_e"
}
t_afu_proto_ioarrin() { SP_LOAD=sq_mode=0; sp_run afu_proto; }
t_compat32() { sp_run compat32; }

tap_case "superpipe ioctl_errors: every ioctl's argument checking" t_ioctl_errors 240
tap_case "superpipe appclose: application-close model of fd2" t_appclose 180
tap_case "superpipe data: library I/O, legacy cross-check, virtual LUN" t_data 180
tap_case "superpipe nosyscall -S: the seccomp filter itself" t_nosys_self 60
tap_case "superpipe nosyscall: 10000 I/Os at QD1 under seccomp" t_nosys_qd1 180
tap_case "superpipe nosyscall -q 32: 10000 I/Os at QD32 under seccomp" t_nosys_qd32 180
tap_case "superpipe nosyscall -q 32 -P: poll-only, not even sched_yield" t_nosys_poll 180
tap_case "superpipe nosyscall under strace -f / strace -c" t_nosys_strace 300
tap_case "superpipe recovery: context and AFU resets under I/O" t_recovery 300
tap_case "superpipe stress: ${STRESS_PROCS:-16} processes x ${STRESS_SECS:-10} s" t_stress 240
tap_case "superpipe vlun: virtual LUN sizes, capacity, isolation, clone, 1 TiB" t_vlun 240
tap_case "superpipe compat: 4096 handles, REUSE with virtual LUNs, no remanence across modes, 1M-chunk growth" t_sp_compat 300
tap_case "superpipe lifetime: stale ids, fork, close mid-ioctl, DISABLE race; then rmmod" t_lifetime 300
tap_case "superpipe sgfence: SG_IO media commands fenced while a handle is open, others pass" t_sgfence 180
tap_case "lun_mode 1-4: internal LUNs, superpipe rules, back to the external LUNs" t_lunmode 240
tap_case "superpipe afu_proto: raw SQ/IOARRIN protocol, every command completes once" t_afu_proto 180
tap_case "superpipe afu_proto, AFU without SQ mode (contexts in IOARRIN mode)" t_afu_proto_ioarrin 180
tap_case "superpipe compat32: DK and host-device ioctls from a 32-bit process" t_compat32 120
