#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/bench/profile.sh [-r SECONDS] [-j 'rw:engine:qd ...'] [-G|-S] [-f FUNC] [-d DEPTH]
#
# One VM boot: where the time of the legacy command path goes, cxlflash
# next to scsi_debug (delay=0).  Per job and device, fio's latency
# percentiles and the per-I/O deltas of kernel counters (context switches,
# RRQ interrupts, softirqs, IPIs, the sim engine's statistics and CPU
# time); then, unless -G, an ftrace function_graph summary of FUNC
# (default scsi_queue_rq, DEPTH levels, default 4) per device, or with
# -S the context switches and wake-ups of the first job, by task.
# -j '' skips the counter runs.  See tools/bench/README.md.

set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runtime=5
jobs="randread:io_uring:1 randwrite:io_uring:1 randread:libaio:32"
graph=1
fn=scsi_queue_rq
depth=4
while getopts "r:j:GSf:d:" o; do
	case "$o" in
	r) runtime=$OPTARG ;;
	j) jobs=$OPTARG ;;
	G) graph=0 ;;
	S) graph=2 ;;
	f) fn=$OPTARG ;;
	d) depth=$OPTARG ;;
	*) echo "usage: $0 [-r SECONDS] [-j 'rw:engine:qd ...'] [-G|-S] [-f FUNC] [-d DEPTH]" >&2; exit 2 ;;
	esac
done
n=$(( $(wc -w <<<"$jobs") * 2 + 2 ))
exec "$here/../testing/vm.sh" run -t $(( n * (runtime + 10) + 900 )) \
	"$here/guest-profile.sh" "$runtime" "$jobs" "$graph" "$fn" "$depth"
