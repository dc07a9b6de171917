#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The debug-kernel suite (tools/testing/debug-kernel.sh test): a reduced
# but meaningful part of the default suite plus the checks only a debug
# kernel can make, TAP on stdout.  Run on a KASAN/UBSAN/lockdep/kmemleak
# kernel, where every case also fails on a report in the kernel log.
#
#   1. debug/00-checkers.sh  the checkers are live; kmemleak baseline
#   2. debug/10-kunit.sh     the KUnit suites built into cxlflash.ko
#   3. tests/*.sh            load/unload, legacy I/O, ext4, fio, the
#                            superpipe C tests, configfs, the race and
#                            fuzz tiers, the lifetime/compat/compat32/afu_proto
#                            regression tests, tracepoints, the host
#                            device (50 LUN create/delete cycles, unbind
#                            with an fd open) (the cases in DEBUG_CASES below;
#                            short superpipe stress, longer race/fuzz)
#   4. debug/80-fault.sh     failslab / fail_page_alloc on load, probe/AFU
#                            start and the superpipe ioctls
#   5. debug/99-leaks.sh  unload everything, scan, no leak
#
#   debug-suite.sh [-k REGEX]   only the cases whose function matches REGEX

. "$GUEST_DIR/lib.sh"

# cases of the default suite that run here (function names)
DEBUG_CASES='^(t_load_default|t_count|t_channels|t_inquiry|t_wwid|t_rw_offsets|t_cross_port|t_isolation|t_ext4|t_libaio_4k_32|t_uring_128k_32|t_ioctl_errors|t_appclose|t_data|t_nosys_qd32|t_recovery|t_stress|t_vlun|t_tib_configfs|t_lifetime|t_sp_compat|t_compat32|t_afu_proto|t_afu_proto_ioarrin|t_trace_cmd|t_trace_ctx_vlun|t_hostdev|t_hostdev_unbind|t_prov_cycles|t_race_[a-z_]+|t_fuzz|t_race_fuzz_unload|t_unload_idle)$'
STRESS_PROCS=${STRESS_PROCS:-4}
STRESS_SECS=${STRESS_SECS:-5}
export STRESS_PROCS STRESS_SECS
# the race and fuzz tiers (tests/67-race-fuzz.sh) run longer here
RACE_SECS=${RACE_SECS:-10}
RACE_THREADS=${RACE_THREADS:-4}
RACE_RESETS=${RACE_RESETS:-3}
FUZZ_IOCTLS=${FUZZ_IOCTLS:-120000}
FUZZ_PROCS=${FUZZ_PROCS:-6}
export RACE_SECS RACE_THREADS RACE_RESETS FUZZ_IOCTLS FUZZ_PROCS

only=
while [ $# -gt 0 ]; do
	case "$1" in
	-k) only=$2; shift 2 ;;
	*) break ;;
	esac
done

tap_begin
echo "# kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print $2}' /proc/meminfo) KiB"
# the harness's own TAP (and any KTAP) must not be mistaken for a splat
dmesg -n 5 2>/dev/null

run() {
	if [ -n "$only" ]; then TAP_ONLY=$only; else TAP_ONLY=${2:-}; fi
	export TAP_ONLY
	tap_run_file "$1"
	unset TAP_ONLY
}

for f in "$GUEST_DIR"/debug/0*.sh "$GUEST_DIR"/debug/1*.sh; do
	[ -f "$f" ] && run "$f"
done
for f in "$GUEST_DIR"/tests/*.sh; do
	run "$f" "$DEBUG_CASES"
done
for f in "$GUEST_DIR"/debug/[2-9]*.sh; do
	[ -f "$f" ] && run "$f"
done
cxl_unload >/dev/null 2>&1
tap_end
