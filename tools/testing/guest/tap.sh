# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Minimal TAP for the guest suites (busybox ash).
#
# A test file defines its cases as shell functions and registers them:
#
#	. "$GUEST_DIR/tap.sh"
#	t_foo() { assert_eq "$(cat /sys/x)" 1 "x is set"; }
#	tap_case "x is set after load" t_foo [TIMEOUT_SECONDS]
#
# The runner (tap_run_file) starts the file once to enumerate nothing: each
# tap_case re-executes the file with TAP_CASE=<function> under a timeout, so
# every case is its own process that may exit at the first failure.  A case
# passes when it exits 0, is skipped when it exits 77 (see skip), fails
# otherwise, when the kernel log gained a splat while it ran, or when it left
# processes running (they are killed: see tap_case).  Lines a case
# prints starting with "# " are kept; the rest of its output is shown only
# when it fails.  Numbering is shared by all files of one boot.

TAP_DIR=${TAP_DIR:-/tmp/tap}
TAP_BAD_RE='BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|possible circular locking|lockdep|kmemleak|hung_task:|blocked for more than|list_add corruption|list_del corruption|general protection fault|soft lockup|refcount_t:|BAD page|page allocation failure'

# ---- inside a case ------------------------------------------------------

fail() {
	echo "FAIL: $*"
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

note() {
	echo "# $*"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', want '$2'"
}

assert_ne() {
	[ "$1" != "$2" ] || fail "${3:-values equal}: both '$1'"
}

# assert_match STRING ERE [MSG]
assert_match() {
	printf '%s\n' "$1" | grep -Eq -- "$2" || fail "${3:-no match}: '$2' not in: $1"
}

assert_nomatch() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "${3:-unexpected match}: '$2' in: $1"
	fi
}

# assert_le A B [MSG] (integers)
assert_le() {
	[ "$1" -le "$2" ] 2>/dev/null || fail "${3:-too large}: $1 > $2"
}

assert_ge() {
	[ "$1" -ge "$2" ] 2>/dev/null || fail "${3:-too small}: $1 < $2"
}

# must CMD...: run, fail the case (showing the output) if it fails.
must() {
	_out=$("$@" 2>&1)
	_rc=$?
	if [ $_rc -ne 0 ]; then
		printf '%s\n' "$_out"
		fail "'$*' exited $_rc"
	fi
	[ -z "$_out" ] || printf '%s\n' "$_out"
	return 0
}

# wait_for SECONDS CMD...: poll CMD (every 0.2 s) until it succeeds or
# SECONDS of wall-clock time have passed.
wait_for() {
	_end=$(awk -v s="$1" '{ printf "%d", $1 + s }' /proc/uptime)
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}

# ---- the runner -----------------------------------------------------------

tap_begin() {
	[ -z "${TAP_CASE:-}" ] || return 0
	rm -rf "$TAP_DIR"
	mkdir -p "$TAP_DIR"
	echo 0 >"$TAP_DIR/n"
	: >"$TAP_DIR/results"
	echo "TAP version 13"
}

# tap_session_procs SID: "PID:COMM" of every live (non-zombie) process of
# session SID, space-separated.
tap_session_procs() {
	_ts_sid=$1
	for _ts_f in /proc/[0-9]*/stat; do
		_ts_l=
		read -r _ts_l 2>/dev/null <"$_ts_f" || continue
		_ts_c=${_ts_l#*(}
		_ts_c=${_ts_c%)*}
		_ts_l=${_ts_l##*) }
		# state ppid pgrp session ...
		# shellcheck disable=SC2086
		set -- $_ts_l
		if [ "${1:-Z}" != Z ] && [ "${4:-}" = "$_ts_sid" ]; then
			_ts_p=${_ts_f#/proc/}
			printf '%s ' "${_ts_p%/stat}:$_ts_c"
		fi
	done
}

# tap_reap SID: kill whatever is still running in session SID (a case's
# background jobs, or the children of a case killed by its timeout, would
# otherwise keep using the LUNs and modules under the next cases).  Prints
# what it found, nothing when the session was empty.
tap_reap() {
	_tr_left=
	[ -n "$1" ] || return 0
	for _tr_i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 \
		     21 22 23 24 25; do
		_tr_now=$(tap_session_procs "$1")
		[ -n "$_tr_now" ] || break
		[ -n "$_tr_left" ] || _tr_left=$_tr_now
		kill -KILL -- "-$1" 2>/dev/null
		for _tr_p in $_tr_now; do
			kill -KILL "${_tr_p%%:*}" 2>/dev/null
		done
		sleep 0.2
	done
	printf '%s' "$_tr_left"
}

# tap_case DESCRIPTION FUNCTION [TIMEOUT]
#
# The case runs as the leader of a session of its own (setsid), so that
# everything it started can be found and killed when it ends: the timeout
# only kills the case's shell, not its children (busybox timeout signals
# one process).  A case that leaves processes running fails.
tap_case() {
	if [ -n "${TAP_CASE:-}" ]; then
		# child: run only the requested function
		if [ "$2" = "$TAP_CASE" ]; then
			"$2"
			exit $?
		fi
		return 0
	fi
	[ -z "${TAP_ONLY:-}" ] || printf '%s\n' "$2" | grep -Eq -- "$TAP_ONLY" || return 0
	_n=$(($(cat "$TAP_DIR/n") + 1))
	echo $_n >"$TAP_DIR/n"
	_out=$TAP_DIR/case.$_n
	echo "tap: case $_n start ($2)" >/dev/kmsg
	_t0=$(cut -d' ' -f1 /proc/uptime)
	: >"$TAP_DIR/sid.$_n"
	# shellcheck disable=SC2016
	TAP_CASE=$2 timeout -s KILL "${3:-300}" setsid \
		sh -c 'echo $$ >"$0" && exec sh "$1"' "$TAP_DIR/sid.$_n" "$TAP_SELF" \
		>"$_out" 2>&1
	_rc=$?
	_sid=$(cat "$TAP_DIR/sid.$_n")
	_left=$(tap_reap "$_sid")
	echo "tap: case $_n end ($2)" >/dev/kmsg
	_t1=$(cut -d' ' -f1 /proc/uptime)
	_secs=$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.1f", b - a }')
	_bad=$(dmesg | sed -n "/tap: case $_n start (/,\$p" | grep -E "$TAP_BAD_RE" | head -n 5)
	if [ $_rc -eq 137 ] || [ $_rc -eq 143 ]; then
		echo "FAIL: timed out after ${3:-300}s" >>"$_out"
		_rc=1
	fi
	if [ -z "$_sid" ]; then
		echo "FAIL: tap_case: the case did not start in a session of its own" >>"$_out"
		_rc=1
	elif [ -n "$_left" ]; then
		echo "FAIL: processes the case left running (killed): $_left" >>"$_out"
		_rc=1
	fi
	if [ -n "$_bad" ]; then
		printf 'FAIL: kernel log during this case:\n%s\n' "$_bad" >>"$_out"
		[ $_rc -ne 0 ] || _rc=1
	fi
	if [ $_rc -eq 0 ]; then
		echo "ok $_n - $1 (${_secs}s)"
		grep '^# ' "$_out"
		echo pass >>"$TAP_DIR/results"
	elif [ $_rc -eq 77 ]; then
		echo "ok $_n - $1 # SKIP $(sed -n 's/^SKIP: //p' "$_out" | tail -n1)"
		echo skip >>"$TAP_DIR/results"
	else
		echo "not ok $_n - $1 (${_secs}s)"
		tail -n 40 "$_out" | sed 's/^/#   /'
		echo fail >>"$TAP_DIR/results"
	fi
	return 0
}

# tap_run_file FILE: run the cases of one test file
tap_run_file() {
	echo "# ---- $(basename "$1")"
	TAP_SELF=$1 sh "$1"
}

# tap_end: plan line and summary; returns 1 if anything failed
tap_end() {
	[ -z "${TAP_CASE:-}" ] || return 0
	_p=$(grep -c pass "$TAP_DIR/results")
	_f=$(grep -c fail "$TAP_DIR/results")
	_s=$(grep -c skip "$TAP_DIR/results")
	echo "1..$(cat "$TAP_DIR/n")"
	echo "# guest: $_p passed, $_f failed, $_s skipped"
	[ "$_f" -eq 0 ]
}
