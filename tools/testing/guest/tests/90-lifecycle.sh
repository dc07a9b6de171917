# SPDX-License-Identifier: GPL-2.0-only
# Module life cycle: clean unload, no leaks over many cycles, idle cost.
. "$GUEST_DIR/lib.sh"

t_unload_idle() {
	cxl_ensure || fail "load"
	must cxl_unload
	[ ! -d /sys/module/$DRV ] || fail "$DRV still loaded"
	[ ! -d /sys/module/$SIM ] || fail "$SIM still loaded"
	[ -z "$(cxl_hosts)" ] || fail "SCSI hosts remain: $(cxl_hosts)"
	if lsscsi | grep -q cxlflash; then
		fail "lsscsi still lists cxlflash devices"
	fi
	# reloading works again
	must cxl_load
	must cxl_unload
}

slab_kb() {
	awk '/^Slab:/ {print $2}' /proc/meminfo
}

sunreclaim_kb() {
	awk '/^SUnreclaim:/ {print $2}' /proc/meminfo
}

# Sum of active objects * size over the kmalloc caches, in KiB.
kmalloc_kb() {
	awk '$1 ~ /^kmalloc-/ { s += $2 * $4 } END { printf "%d\n", s / 1024 }' /proc/slabinfo
}

memfree_kb() {
	awk '/^MemFree:/ {print $2}' /proc/meminfo
}

settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
}

cycle() {
	cxl_load >/dev/null || fail "load #$1"
	# touch the thin LUNs so that the sim allocates backing pages
	for _d in $(cxl_disk 0 0) $(cxl_disk 1 1); do
		dd if=/dev/urandom of=/dev/$_d bs=4096 count=64 seek=$(($1 * 64)) oflag=direct 2>/dev/null ||
			fail "write in cycle $1"
	done
	cxl_unload >/dev/null || fail "unload #$1"
}

t_leak() {
	_kml=/sys/kernel/debug/kmemleak
	[ ! -w $_kml ] || echo clear >$_kml
	cycle 0
	settle
	_s0=$(sunreclaim_kb) _k0=$(kmalloc_kb) _f0=$(memfree_kb)
	_i=1
	while [ $_i -le 20 ]; do
		cycle $_i
		_i=$((_i + 1))
	done
	settle
	_s1=$(sunreclaim_kb) _k1=$(kmalloc_kb) _f1=$(memfree_kb)
	note "SUnreclaim ${_s0} -> ${_s1} KiB, kmalloc ${_k0} -> ${_k1} KiB, MemFree ${_f0} -> ${_f1} KiB"
	assert_le $((_s1 - _s0)) 512 "SUnreclaim growth (KiB) over 20 load/unload cycles"
	assert_le $((_k1 - _k0)) 256 "kmalloc growth (KiB) over 20 cycles"
	# 20 cycles x 2 LUNs x 256 KiB written: a leak of the thin pages shows
	assert_le $((_f0 - _f1)) 8192 "MemFree drop (KiB) over 20 cycles"
	if [ -w $_kml ]; then
		echo scan >$_kml
		sleep 5
		echo scan >$_kml
		_l=$(grep -c 'unreferenced object' $_kml)
		[ "$_l" -eq 0 ] || fail "kmemleak: $(head -n 40 $_kml)"
	else
		note "kmemleak not available in this kernel"
	fi
}

# Threads of the driver and the sim: "pid:comm" per line.
cxl_threads() {
	for _p in /proc/[0-9]*; do
		read -r _c <"$_p/comm" 2>/dev/null || continue
		case "$_c" in
		*cxlflash*|*cxl_sim*|*sim/[0-9]*) echo "${_p#/proc/}:$_c" ;;
		esac
	done
}

# ticks (USER_HZ) used so far by the pids given (utime + stime)
pid_ticks() {
	_sum=0
	for _p in "$@"; do
		_t=$(sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null | awk '{print $12 + $13}')
		_sum=$((_sum + ${_t:-0}))
	done
	echo $_sum
}

# non-idle ticks of all CPUs
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

t_idle_cpu() {
	cxl_unload
	sleep 2
	_b0=$(busy_ticks)
	sleep 10
	_base=$(($(busy_ticks) - _b0))
	cxl_load || fail "load"
	sleep 3
	_thr=$(cxl_threads)
	_pids=$(echo "$_thr" | cut -d: -f1)
	# shellcheck disable=SC2086
	_t0=$(pid_ticks $_pids)
	_b0=$(busy_ticks)
	sleep 10
	_b1=$(busy_ticks)
	# shellcheck disable=SC2086
	_t1=$(pid_ticks $_pids)
	_busy=$((_b1 - _b0))
	note "threads: $(echo $_thr)"
	note "10 s idle: cxlflash threads $((_t1 - _t0)) ticks; all CPUs ${_busy} ticks, ${_base} without the modules"
	# 2 % of one CPU over 10 s = 20 ticks at USER_HZ=100
	assert_le $((_t1 - _t0)) 20 "ticks of the cxlflash/sim threads in 10 s idle"
	assert_le $((_busy - _base)) 20 "extra non-idle ticks of all CPUs in 10 s idle"
}

tap_case "rmmod while idle is clean, hosts and disks gone" t_unload_idle 120
tap_case "20 load/unload cycles with I/O: no slab/page leak, kmemleak clean" t_leak 600
tap_case "idle adapter costs < 2% of one CPU over 10 s" t_idle_cpu 150
