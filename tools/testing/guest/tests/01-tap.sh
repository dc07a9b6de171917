# SPDX-License-Identifier: GPL-2.0-only
# The harness itself: a case cannot leave processes behind for the next ones.
#
# A case killed by its timeout used to leave its children running (busybox
# timeout signals only the case's shell): the strace case, timed out on a
# loaded host, left strace + nosyscall writing LBAs 0-1023 of the first LUN
# and holding a context on it while the recovery, stress and vlun cases ran
# (corrupted blocks, "MANAGE_LUN DISABLE: busy", USER_VIRTUAL refused).
# Here an inner TAP run has a case that times out with a child running and
# one that passes but leaves a background job; both must be reported as
# failures and no process of either may survive.
. "$GUEST_DIR/lib.sh"

# tap_marker_procs MARKER: PIDs whose command line contains MARKER
tap_marker_procs() {
	for _f in /proc/[0-9]*/cmdline; do
		_c=$(tr '\0' ' ' 2>/dev/null <"$_f") || continue
		case "$_c" in
		*"$1"*) _p=${_f#/proc/}; printf '%s ' "${_p%/cmdline}" ;;
		esac
	done
}

t_tap_reaps() {
	_d=/tmp/tap-selftest.$$
	rm -rf "$_d"
	mkdir -p "$_d"
	# sleep's argument makes the inner processes recognisable
	cat >"$_d/inner.sh" <<'EOF'
. "$GUEST_DIR/tap.sh"
t_hang() { sleep 3601 & sleep 3601; }
t_leave() { sleep 3602 & note "started a background job"; }
t_clean() { sleep 3603 & _p=$!; kill $_p; wait $_p; return 0; }
tap_case "times out with a child running" t_hang 3
tap_case "passes but leaves a background job" t_leave
tap_case "cleans up after itself" t_clean
EOF
	_o=$(TAP_CASE='' TAP_ONLY='' TAP_DIR=$_d/tap sh -c \
		'. "$GUEST_DIR/tap.sh"; tap_begin; tap_run_file "$1"; tap_end' \
		sh "$_d/inner.sh" 2>&1)
	_rc=$?
	printf '%s\n' "$_o" | sed 's/^/  /'
	_left=$(tap_marker_procs "sleep 360")
	# shellcheck disable=SC2086
	[ -z "$_left" ] || kill -KILL $_left 2>/dev/null
	rm -rf "$_d"
	[ -z "$_left" ] || fail "processes of the inner cases survived: $_left"
	assert_ne "$_rc" 0 "the inner run reports its failures"
	assert_match "$_o" '^not ok 1 - times out with a child running' "timed-out case"
	assert_match "$_o" 'FAIL: timed out after 3s' "timeout reported"
	assert_match "$_o" '^not ok 2 - passes but leaves a background job' "leaky case fails"
	assert_match "$_o" 'left running \(killed\): [0-9]+:sleep' "leftover reported"
	assert_match "$_o" '^ok 3 - cleans up after itself' "a clean case passes"
	note "inner run: timed-out and leaky cases failed, their processes killed"
}

tap_case "harness: a case's leftover processes are killed and fail it" t_tap_reaps 120
