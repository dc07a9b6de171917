# SPDX-License-Identifier: GPL-2.0-only
# The race and fuzz tiers of the superpipe ioctls (tools/testing/superpipe
# race.c and fuzz.c; tools/testing/README-race-fuzz.md): one case per race
# group, then the fuzzer, then rmmod must succeed.  Every case also fails
# on a kernel report in its part of the log (tap.sh), and vm.sh fails the
# run on one anywhere.
#
# Sizes (default suite / debug-suite.sh sets larger ones):
#   RACE_SECS     seconds per race group (4)
#   RACE_THREADS  threads per group (3)
#   RACE_DELAY    the emulator's delay_us in the window-widening groups (20000)
#   RACE_RESETS   adapter resets in the reset and sysfs groups (2)
#   FUZZ_IOCTLS   ioctls fuzzed (100000)
#   FUZZ_PROCS    fuzzing processes (4)
#   FUZZ_SEED     seed (default: a new one per run, printed; replay with it)
#   FUZZ_MAXSIZE  cap of the fuzzed vLUN sizes in 4 KiB units (default none)
. "$GUEST_DIR/lib.sh"

SP=${SP_DIR:-/usr/local/libexec/cxlflash-tests/superpipe}
RACE_SECS=${RACE_SECS:-4}
RACE_THREADS=${RACE_THREADS:-3}
RACE_DELAY=${RACE_DELAY:-20000}
RACE_RESETS=${RACE_RESETS:-2}
FUZZ_IOCTLS=${FUZZ_IOCTLS:-100000}
FUZZ_PROCS=${FUZZ_PROCS:-4}

# rf_run PROGRAM [ARGS...]: pass when it exits 0 with no "not ok" line; the
# figures ("# " lines naming counts) become the case's notes either way
rf_run() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "the superpipe needs cxlflash"
	[ -x "$SP/$1" ] || fail "$SP/$1 is not installed (did tools/testing/superpipe build?)"
	cxl_ensure || fail "load"
	_log=/tmp/rf-$1.log
	_prog=$SP/$1
	shift
	"$_prog" "$@" >"$_log" 2>&1
	_rc=$?
	_nok=$(grep -c '^not ok ' "$_log")
	_ok=$(grep -c '^ok ' "$_log")
	grep -E '^# (replay|race tier|fuzz|  [A-Z_]+ |=== group .*: [0-9.]+ s|[a-z_]+: [0-9]+ )' "$_log" |
		sed 's/^# //' | while read -r _l; do note "$_l"; done
	if [ "$_rc" -eq 0 ] && [ "$_nok" -eq 0 ] && [ "$_ok" -gt 0 ]; then
		return 0
	fi
	awk '/^not ok / { p = 1; print; next } /^ok / { p = 0 } /^Bail out!/ { print; next }
	     p && /^#/ { print }' "$_log" | head -n 40
	[ "$_nok" -gt 0 ] || tail -n 20 "$_log"
	fail "${_prog##*/} $*: exit $_rc, $_nok not ok"
}

race_group() {
	rf_run race -g "$1" -t "$RACE_SECS" -T "$RACE_THREADS" -w "$RACE_DELAY" -r "$RACE_RESETS"
}

t_race_ioctl_ioctl() { race_group ioctl_ioctl; }
t_race_mmap_fork() { race_group mmap_fork; }
t_race_sysfs() { race_group sysfs; }
t_race_reset() { race_group reset; }
t_race_manage_lun() { race_group manage_lun; }
t_race_close_exit() { race_group close_exit; }

t_fuzz() {
	rf_run fuzz -n "$FUZZ_IOCTLS" -p "$FUZZ_PROCS" ${FUZZ_SEED:+-s "$FUZZ_SEED"} \
		${FUZZ_MAXSIZE:+-S "$FUZZ_MAXSIZE"}
}

# after the tiers: nothing holds the driver, it unloads, and loads again
t_race_fuzz_unload() {
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "needs cxlflash"
	[ -d "/sys/module/$DRV" ] || skip "$DRV not loaded"
	for _h in $(cxl_hosts); do
		assert_eq "$(cat "/sys/class/scsi_host/host$_h/user_contexts")" 0 "host$_h user_contexts"
	done
	cxl_unload || fail "rmmod after the race and fuzz tiers"
	cxl_load || fail "reload after the race and fuzz tiers"
}

# group timeouts: RACE_SECS plus set-up, resets and the quiescence wait
_rt=$((RACE_SECS * 3 + 180))
tap_case "race ioctl x ioctl: threads on one context, detach/re-attach" t_race_ioctl_ioctl $_rt
tap_case "race mmap x fork: inherited fd2 mapping, close, re-attach" t_race_mmap_fork $_rt
tap_case "race ioctl x sysfs: hwq_mode, lun_mode, irqpoll_weight, num_hwqs" t_race_sysfs $((_rt + 120))
tap_case "race ioctl x adapter reset (host reset) x RECOVER_AFU" t_race_reset $((_rt + 120))
tap_case "race ioctl x MANAGE_LUN DISABLE/ENABLE on the same LUN" t_race_manage_lun $_rt
tap_case "race ioctl in flight x close(fd2) x exit x SIGKILL" t_race_close_exit $_rt
tap_case "fuzz: $FUZZ_IOCTLS ioctls, $FUZZ_PROCS processes, forks/closes/MANAGE_LUN mixed in" t_fuzz $((FUZZ_IOCTLS / 100 + 300))
tap_case "race/fuzz: no user context left, rmmod cxlflash succeeds" t_race_fuzz_unload 180
