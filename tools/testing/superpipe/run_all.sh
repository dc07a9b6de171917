#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the superpipe test programs with the default-suite parameters
# (short stress), each printing TAP.  Extra arguments (e.g. -d /dev/sdb)
# are passed to every program.  Exit status: number of failed programs.
#
#   STRESS_PROCS=64 STRESS_SECS=60 ./run_all.sh    # the long stress
#
dir=$(dirname "$0")
procs=${STRESS_PROCS:-16}
secs=${STRESS_SECS:-10}
failed=0

run() {
	echo "# === $*"
	"$@"
	rc=$?
	[ $rc -eq 0 ] || { echo "# === FAILED ($rc): $*"; failed=$((failed + 1)); }
}

run "$dir/ioctl_errors" "$@"
run "$dir/appclose" "$@"
run "$dir/data" "$@"
run "$dir/nosyscall" -S
run "$dir/nosyscall" "$@"
run "$dir/nosyscall" -q 32 "$@"
run "$dir/nosyscall" -q 32 -P "$@"
run "$dir/nosyscall_strace.sh" "$@"
run "$dir/recovery" -n 2 "$@"
run "$dir/stress" -n "$procs" -t "$secs" "$@"
run "$dir/vlun" "$@"
run "$dir/compat" "$@"
run "$dir/lifetime" "$@"
run "$dir/afu_proto" "$@"
run "$dir/sgfence" "$@"
run "$dir/lunmode" "$@"
run "$dir/compat32" "$@"
run "$dir/hostdev"
run "$dir/hostdev" -c 50
echo "# superpipe suite: $failed program(s) failed"
exit $failed
