#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest half of tools/bench/profile.sh: where the time of the legacy
# command path goes, cxlflash next to scsi_debug (delay=0).
#
#   guest-profile.sh SECONDS "JOBS" [GRAPH [FUNCTION [DEPTH]]]
#
# JOBS is a list of rw:engine:qd (e.g. "randread:io_uring:1").  For every
# job and device: fio for SECONDS, with per-I/O deltas of the counters the
# kernel keeps anyway (context switches, the RRQ interrupt, the block and
# irq_poll softirqs, function-call IPIs, the sim's engine statistics and
# the engine thread's CPU time and switches) and fio's latency
# percentiles.  With GRAPH=1 a second, short run per device under ftrace
# function_graph (FUNCTION, default scsi_queue_rq, and what it calls,
# DEPTH levels, default 4) is summed up per function: calls per I/O and
# mean duration (inflated by the tracer, compare the two devices, not the
# absolute figures).  With GRAPH=2 instead, the sched_switch and
# sched_wakeup events of a 2 s run of the first job are counted per pair
# of tasks.
. "$GUEST_DIR/lib.sh"

SECS=${1:-5}
JOBS=${2:-randread:io_uring:1 randwrite:io_uring:1 randread:libaio:32}
GRAPH=${3:-1}
GFN=${4:-scsi_queue_rq}
GDEPTH=${5:-4}
REGION_MB=64
T=/sys/kernel/debug/tracing

cxl_load >/tmp/cxl_load.log 2>&1 || { echo "profile: cxlflash does not load"; cat /tmp/cxl_load.log; exit 1; }
modprobe scsi_debug delay=0 dev_size_mb=256 sector_size=4096 || exit 1
sdebug=$(scsi_debug_disk)
cxl=$(cxl_disk 0 0)
[ -n "$cxl" ] && [ -n "$sdebug" ] || { echo "profile: no disks"; exit 1; }
simdbg=$(ls -d /sys/kernel/debug/cxlflash_sim/*/ 2>/dev/null | head -n1)
engine=$(for p in /proc/[0-9]*; do case "$(cat $p/comm 2>/dev/null)" in cxlflash_sim/*) echo ${p#/proc/}; break ;; esac; done)
host=$(cat /sys/block/$cxl/device/../../../scsi_host/*/proc_name 2>/dev/null)
echo "# profile: cxlflash=/dev/$cxl scsi_debug=/dev/$sdebug engine pid ${engine:-?} ${SECS}s per run"
for d in $cxl $sdebug; do
	for a in scheduler nr_requests max_sectors_kb max_segments nomerges rq_affinity; do
		printf '%s ' "$d:$a=$(cat /sys/block/$d/queue/$a 2>/dev/null)"
	done
	echo "hw_queues=$(ls /sys/block/$d/mq | wc -l)"
done
echo "# $host"

for d in $cxl $sdebug; do
	fill_region $d $REGION_MB
done

# one line "name value" per counter
snap() {
	awk '/^ctxt/ { print "ctxt", $2 }' /proc/stat
	awk '/RRQ/ { s = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; t += s }
	     /CAL:/ { c = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) c += $i; print "ipi_cal", c }
	     END { print "rrq_irq", t + 0 }' /proc/interrupts
	awk '/BLOCK:|IRQ_POLL:|TIMER:|SCHED:/ { s = 0; for (i = 2; i <= NF; i++) s += $i;
		n = $1; sub(":", "", n); print "softirq_" tolower(n), s }' /proc/softirqs
	if [ -n "$simdbg" ]; then
		awk '{ print "sim_" $1, $2 }' $simdbg/stats
	fi
	if [ -n "$engine" ]; then
		awk '{ print "engine_run_ns", $1; print "engine_wait_ns", $2 }' /proc/$engine/schedstat
		awk '/voluntary_ctxt_switches/ { n = $1; sub(":", "", n); print "engine_" n, $2 }' /proc/$engine/status
	fi
}

delta() {
	awk -v ios="$3" 'FNR == NR { a[$1] = $2; next }
		{ d = $2 - a[$1]; printf "  %-32s %12d  %10.3f /io\n", $1, d, (ios > 0) ? d / ios : 0 }' "$1" "$2"
}

run_fio() {
	fio --name=p --filename=/dev/$1 --direct=1 --ioengine=$3 --rw=$2 --bs=4k \
		--iodepth=$4 --size=${REGION_MB}M --runtime=$5 --time_based \
		--percentile_list=50:90:99:99.9 --output-format=terse 2>&1 | grep '^3;'
}

# terse v3: read KiB 6, iops 8, clat mean 16, pcts 18..21; write +41
fio_summary() {
	if [ "$2" = randread ]; then b=0; else b=41; fi
	echo "$1" | awk -F';' -v b=$b '{ p = ""; for (i = 18; i <= 21; i++) { v = $(i + b); sub(/.*=/, "", v); p = p " " v }
		printf "  ios %d iops %d  clat mean %.1f us  p50/p90/p99/p99.9 us:%s\n", $(6 + b) / 4, $(8 + b), $(16 + b), p }'
}

for job in $JOBS; do
	rw=${job%%:*}
	rest=${job#*:}
	e=${rest%%:*}
	q=${rest#*:}
	for dev in cxlflash:$cxl scsi_debug:$sdebug; do
		name=${dev%%:*}
		d=${dev#*:}
		snap >/tmp/s0
		t=$(run_fio $d $rw $e $q $SECS)
		snap >/tmp/s1
		if [ "$rw" = randread ]; then f=6; else f=47; fi
		ios=$(echo "$t" | awk -F';' -v f=$f '{ print int($f / 4) }')
		echo "== $rw $e qd$q $name"
		fio_summary "$t" $rw
		delta /tmp/s0 /tmp/s1 "${ios:-0}"
	done
done

# GRAPH=2: who switches to whom during a 2 s run of the first job
if [ "$GRAPH" = 2 ] && [ -d $T ]; then
	first=${JOBS%% *}
	[ -n "$first" ] || first=randread:io_uring:1
	set -- $(echo "$first" | tr ':' ' ')
	for dev in cxlflash:$cxl scsi_debug:$sdebug; do
		echo 0 >$T/tracing_on
		echo nop >$T/current_tracer
		: >$T/trace
		echo 4096 >$T/buffer_size_kb
		echo 1 >$T/events/sched/sched_switch/enable
		echo 1 >$T/events/sched/sched_wakeup/enable
		echo 1 >$T/tracing_on
		t=$(run_fio ${dev#*:} $1 $2 $3 2)
		echo 0 >$T/tracing_on
		echo 0 >$T/events/sched/sched_switch/enable
		echo 0 >$T/events/sched/sched_wakeup/enable
		echo "== sched_switch/sched_wakeup, $1 $2 qd$3, ${dev%%:*}: $(echo "$t" | awk -F';' '{ print int(($6 + $47) / 4) }') ios"
		awk '/sched_switch:/ { p = $0; sub(/.*prev_comm=/, "", p); sub(/ prev_pid.*/, "", p);
			n = $0; sub(/.*next_comm=/, "", n); sub(/ next_pid.*/, "", n); c["switch " p " -> " n]++ }
		     /sched_wakeup:/ { w = $1; sub(/-[0-9]+$/, "", w); n = $0; sub(/.*comm=/, "", n); sub(/ pid=.*/, "", n);
			c["wakeup by " w ": " n]++ }
		     END { for (k in c) printf "  %8d  %s\n", c[k], k }' $T/trace | sort -n -r | head -n 14
	done
	exit 0
fi
[ "$GRAPH" = 1 ] && [ -d $T ] || exit 0

# function_graph over $GFN ($GDEPTH levels), per device, QD1 randread
for dev in cxlflash:$cxl scsi_debug:$sdebug; do
	name=${dev%%:*}
	d=${dev#*:}
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	: >$T/trace
	echo $GDEPTH >$T/max_graph_depth
	echo $GFN >$T/set_graph_function || { echo "profile: no function $GFN"; continue; }
	echo 4096 >$T/buffer_size_kb
	echo function_graph >$T/current_tracer
	echo funcgraph-tail >$T/trace_options 2>/dev/null
	echo 1 >$T/tracing_on
	t=$(run_fio $d randread io_uring 1 1)
	echo 0 >$T/tracing_on
	ios=$(echo "$t" | awk -F';' '{ print int($6 / 4) }')
	echo "== function_graph $GFN, randread io_uring qd1, $name ($ios ios traced)"
	# lines "CPU) task | dur us | func();" or "| func() {" ... "} /* func */"
	awk -v ios="$ios" '
	/\|/ {
		line = $0
		if (match(line, /[0-9]+\.[0-9]+ us/)) {
			dur = substr(line, RSTART, RLENGTH - 3) + 0
			fn = line
			sub(/.*\| */, "", fn)
			if (fn ~ /^}/) {
				if (!match(fn, /\/\* .* \*\//))
					next
				fn = substr(fn, RSTART + 3, RLENGTH - 6)
			}
			sub(/\(\);?.*/, "", fn)
			gsub(/[ {}]/, "", fn)
			n[fn]++; s[fn] += dur
		}
	}
	END {
		for (f in n) printf "  %-40s %8.2f calls/io %10.2f us mean %10.2f us/io\n", f, n[f] / (ios ? ios : 1), s[f] / n[f], s[f] / (ios ? ios : 1)
	}' $T/trace | sort -k7 -n -r | head -n 40
	echo nop >$T/current_tracer
	echo >$T/set_graph_function
done
