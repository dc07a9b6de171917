#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/bench/bench.sh [-r SECONDS] [-e ENGINES] [-q DEPTHS]
#
# One VM boot: fio 4k randread/randwrite at QD1 and QD32 with io_uring and
# libaio on a cxlflash disk, on scsi_debug (delay=0, 4096-byte sectors) and
# on null_blk (memory_backed, bs 4096), side by side, then a table of IOPS,
# mean and p99 completion latency and each figure's ratio to scsi_debug.
# Guest figures move +-20-30 % between boots under TCG: compare the ratios.

set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runtime=${BENCH_RUNTIME:-10}
engines="io_uring libaio"
depths="1 32"
while getopts "r:e:q:" o; do
	case "$o" in
	r) runtime=$OPTARG ;;
	e) engines=$OPTARG ;;
	q) depths=$OPTARG ;;
	*) echo "usage: $0 [-r SECONDS] [-e 'io_uring libaio'] [-q '1 32']" >&2; exit 2 ;;
	esac
done
n=$(( $(wc -w <<<"$engines") * $(wc -w <<<"$depths") * 2 * 3 ))
timeout=$(( n * (runtime + 8) + 180 ))
exec "$here/../testing/vm.sh" run -t "$timeout" "$here/guest-bench.sh" "$runtime" "$engines" "$depths"
