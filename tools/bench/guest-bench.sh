#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest half of tools/bench/bench.sh: guest-bench.sh RUNTIME "ENGINES" "DEPTHS"
. "$GUEST_DIR/lib.sh"

RUNTIME=${1:-10}
ENGINES=${2:-io_uring libaio}
DEPTHS=${3:-1 32}
REGION_MB=64
RES=/tmp/bench.res

cxl_ok=1
cxl_load >/tmp/cxl_load.log 2>&1 || { cxl_ok=0; echo "# bench: cxlflash does not load; benchmarking the peers only"; sed 's/^/#   /' /tmp/cxl_load.log | tail -n 5; }
modprobe scsi_debug delay=0 dev_size_mb=256 sector_size=4096 || exit 1
modprobe null_blk nr_devices=1 memory_backed=1 bs=4096 gb=1 || exit 1
wait_for 20 test -b /dev/nullb0 || { echo "bench: no /dev/nullb0"; exit 1; }

sdebug=$(scsi_debug_disk)
cxl=""
[ $cxl_ok = 0 ] || cxl=$(cxl_disk 0 0)
[ -n "$sdebug" ] || { echo "bench: no scsi_debug disk"; exit 1; }
devs="scsi_debug:$sdebug null_blk:nullb0"
[ -z "$cxl" ] || devs="cxlflash:$cxl $devs"

echo "# bench: cxlflash=/dev/${cxl:-none} scsi_debug=/dev/$sdebug null_blk=/dev/nullb0, ${RUNTIME}s per job, 4 KiB, ${REGION_MB} MiB region"
# write the region once everywhere so reads hit allocated data
for d in $cxl $sdebug nullb0; do
	[ -b /dev/$d ] || continue
	fill_region $d $REGION_MB
done

: >$RES
for rw in randread randwrite; do
	for e in $ENGINES; do
		for q in $DEPTHS; do
			for dev in $devs; do
				name=${dev%%:*}
				d=${dev#*:}
				t=$(fio --name=b --filename=/dev/$d --direct=1 --ioengine=$e --rw=$rw \
					--bs=4k --iodepth=$q --size=${REGION_MB}M --runtime=$RUNTIME \
					--time_based --ramp_time=1 --percentile_list=99 \
					--output-format=terse 2>&1 | grep '^3;')
				# terse v3: read iops 8, clat mean 16, p99 18; write +41
				if [ "$rw" = randread ]; then
					set -- $(echo "$t" | awk -F';' '{ sub(/.*=/, "", $18); print $5, $8, $16, $18 }')
				else
					set -- $(echo "$t" | awk -F';' '{ sub(/.*=/, "", $59); print $5, $49, $57, $59 }')
				fi
				echo "$rw $e $q $name ${1:-fail} ${2:-0} ${3:-0} ${4:-0}" >>$RES
			done
		done
	done
done

echo
awk '
BEGIN {
	printf "%-9s %-8s %3s %-10s %9s %7s %11s %7s %10s %7s\n", "rw", "engine", "qd", "device",
		"IOPS", "x sdbg", "mean us", "x sdbg", "p99 us", "x sdbg"
}
{
	key = $1 " " $2 " " $3
	row[NR] = $0
	if ($4 == "scsi_debug") { ri[key] = $6; rm[key] = $7; rp[key] = $8 }
}
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
END {
	for (i = 1; i <= NR; i++) {
		split(row[i], f, " ")
		key = f[1] " " f[2] " " f[3]
		err = f[5] == "0" ? "" : "  (errors: " f[5] ")"
		printf "%-9s %-8s %3s %-10s %9d %7s %11.1f %7s %10d %7s%s\n", f[1], f[2], f[3], f[4],
			f[6], ratio(f[6], ri[key]), f[7], ratio(f[7], rm[key]), f[8], ratio(f[8], rp[key]), err
	}
}' $RES
echo
echo "# x sdbg: the figure divided by scsi_debug's in the same row group (IOPS: higher is better; latency: lower is better)"
cxl_unload
rmmod null_blk scsi_debug
[ $cxl_ok = 1 ]
