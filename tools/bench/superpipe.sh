#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/bench/superpipe.sh [-t SECONDS per bench_sp cell] [-r REPEATS] [-b 4096|512]
#
# One VM boot, two superpipe benchmarks (not tests), their tables on stdout:
#   vlun_resize  VLUN_RESIZE grow/shrink time against the chunks changed
#                (1, 1000, 1M chunks; 1000 on a small and on a 256 TiB LUN)
#   bench_sp     4 KiB random read/write, QD1/QD32: libcflash (no syscalls)
#                vs O_DIRECT pread/pwrite vs io_uring on the same LUN
# Guest figures move +-20-30 % between boots under TCG: compare within a run.

set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
secs=3
reps=9
bs=4096
while getopts "t:r:b:" o; do
	case "$o" in
	t) secs=$OPTARG ;;
	r) reps=$OPTARG ;;
	b) bs=$OPTARG ;;
	*) echo "usage: $0 [-t SECONDS] [-r REPEATS] [-b 4096|512]" >&2; exit 2 ;;
	esac
done
# bench_sp: 3 engines x 2 ops x 2 depths cells
timeout=$(( 12 * (secs + 5) + 600 ))
exec "$here/../testing/vm.sh" run -t "$timeout" "$here/guest-superpipe.sh" "$secs" "$reps" "$bs"
