#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest half of tools/bench/superpipe.sh: guest-superpipe.sh SECS REPEATS BLOCK_SIZE
. "$GUEST_DIR/lib.sh"

SECS=${1:-3}
REPS=${2:-9}
BS=${3:-4096}
SP=/usr/local/libexec/cxlflash-tests/superpipe
BENCH=/usr/local/libexec/cxlflash-tests/bench
rc=0

cxl_load >/tmp/cxl_load.log 2>&1 || { echo "bench: cxlflash does not load"; cat /tmp/cxl_load.log; exit 1; }

echo "# ===== vlun_resize: VLUN_RESIZE time vs chunks changed"
if [ -x $BENCH/vlun_resize ]; then
	$BENCH/vlun_resize -r "$REPS" -b "$BS" || rc=1
else
	echo "# $BENCH/vlun_resize not installed"
	rc=1
fi

echo
echo "# ===== bench_sp: libcflash vs O_DIRECT pread/pwrite vs io_uring, QD1/QD32"
if [ -x $SP/bench_sp ]; then
	$SP/bench_sp -d "/dev/$(cxl_disk 0 0)" -t "$SECS" || rc=1
else
	echo "# $SP/bench_sp not installed"
	rc=1
fi
exit $rc
