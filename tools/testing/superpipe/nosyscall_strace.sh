#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# nosyscall_strace.sh [-n COUNT=10000] [ARGS for nosyscall, e.g. -d /dev/sdX]
#
# The strace variant of nosyscall (TAP): the library's I/O loop makes no
# system call, seen from outside the process.
#   1. strace -f -o LOG nosyscall -s -P: no syscall between the loop's
#      "# io-begin" and "# io-end" marker writes (QD1 and QD32);
#   2. the same in the default wait mode (spin, then sched_yield after
#      CFLASH_SPIN_MS): nothing but sched_yield in the loop (a yield only
#      happens when a command takes longer than the spin window);
#   3. strace -c -f: the syscall total of a COUNT-I/O run equals that of a
#      2*COUNT-I/O run (within 5), i.e. the cost is fixed set-up, 0 per I/O.
# Skips when strace is missing.
dir=$(dirname "$0")
n=10000
if [ "$1" = -n ]; then
	n=$2
	shift 2
fi
prog=$dir/nosyscall
log=${TMPDIR:-/tmp}/nosyscall-strace.$$
t=0
fails=0

ok() {	# ok COND-RC DESCRIPTION
	t=$((t + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $t - $2"
	else
		echo "not ok $t - $2"
		fails=$((fails + 1))
	fi
}

if ! command -v strace >/dev/null 2>&1; then
	echo "1..0 # SKIP strace not installed"
	echo "0 passed, 0 failed"
	exit 0
fi

# in_loop LOG: the syscall lines between the two marker writes
in_loop() {
	awk '/write\(1, "# io-begin/ { on = 1; next }
	     /write\(1, "# io-end/ { on = 0 }
	     on' "$1"
}

for mode in "-P" ""; do
	for qd in 1 32; do
		rm -f "$log"
		out=$(strace -f -o "$log" "$prog" -s $mode -q $qd -n "$n" "$@" 2>&1)
		rc=$?
		name="QD$qd${mode:+, poll-only}"
		if [ $rc -ne 0 ] || ! grep -q 'io-end' "$log" 2>/dev/null; then
			printf '%s\n' "$out" | sed 's/^/# /'
			ok 1 "strace -f: nosyscall -s ($name) ran $n I/Os (exit $rc)"
			continue
		fi
		calls=$(in_loop "$log" | wc -l)
		if [ -n "$mode" ]; then
			[ "$calls" -eq 0 ]
			ok $? "strace -f: no syscall in the loop of $n I/Os ($name): $calls"
		else
			other=$(in_loop "$log" | grep -cv 'sched_yield(')
			[ "$other" -eq 0 ]
			ok $? "strace -f: nothing but sched_yield in the loop of $n I/Os ($name): $calls calls, $other others"
		fi
		[ "$calls" -eq 0 ] || in_loop "$log" | awk '{ sub(/^[0-9]+ +/, ""); sub(/\(.*/, ""); c[$0]++ }
			END { for (s in c) printf "#   %s x%d\n", s, c[s] }'
	done
done

# strace -c: totals of n and 2n I/Os ("total" line: the 4th field is calls)
c1=$(strace -c -f -o "$log" "$prog" -s -P -n "$n" "$@" >/dev/null 2>&1 &&
	awk '$NF == "total" { print $4 }' "$log")
cp "$log" "$log.1" 2>/dev/null
c2=$(strace -c -f -o "$log" "$prog" -s -P -n $((2 * n)) "$@" >/dev/null 2>&1 &&
	awk '$NF == "total" { print $4 }' "$log")
echo "# strace -c -f, $n I/Os:"
sed 's/^/#   /' "$log.1" 2>/dev/null
echo "# strace -c -f, $((2 * n)) I/Os: total $c2 calls"
d=$(( ${c2:-0} - ${c1:-0} ))
[ -n "$c1" ] && [ -n "$c2" ] && [ "$c1" -gt 0 ] && [ "$c1" -lt "$n" ] && [ "$d" -le 5 ] && [ "$d" -ge -5 ]
ok $? "strace -c -f: $c1 syscalls for $n I/Os, $c2 for $((2 * n)): per-I/O cost 0"
rm -f "$log" "$log.1"
echo "1..$t"
echo "$((t - fails)) passed, $fails failed"
[ $fails -eq 0 ]
