# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers for cxlflash guest tests: loading the emulated AFU and the driver,
# finding the disks they expose, reading sense data.
#
# Defaults of cxlflash_sim (module parameters): 1 adapter, 2 FC ports,
# 2 LUNs each visible through both ports, 4096-byte blocks.  The driver
# exposes FC port N as SCSI channel N of its host.
#
# CXL_FAKE=scsi_debug runs the same helpers against Debian's scsi_debug (one
# host per "port", shared store, same WWIDs) to check the tests themselves.

GUEST_DIR=${GUEST_DIR:-/vm/guest}
[ ! -f /etc/vm-env.sh ] || . /etc/vm-env.sh
. "$GUEST_DIR/tap.sh"

SIM=cxlflash_sim
DRV=cxlflash
CXL_STATE=/tmp/cxl.loaded

# Value of a sim module parameter, or $2 if it is not visible in sysfs.
sim_param() {
	if [ -r /sys/module/$SIM/parameters/$1 ]; then
		cat /sys/module/$SIM/parameters/$1
	else
		echo "$2"
	fi
}

cxl_unload() {
	if [ "${CXL_FAKE:-}" = scsi_debug ]; then
		rmmod scsi_debug 2>/dev/null
		rm -f $CXL_STATE
		return 0
	fi
	if [ -d /sys/module/$DRV ]; then
		rmmod $DRV || { echo "rmmod $DRV failed"; return 1; }
	fi
	if [ -d /sys/module/$SIM ]; then
		rmmod $SIM || { echo "rmmod $SIM failed"; return 1; }
	fi
	rm -f $CXL_STATE
	return 0
}

# Number of disks the loaded sim should expose.
cxl_expected_disks() {
	_a=$(sim_param nr_adapters 1)
	_p=$(sim_param nr_ports 2)
	_l=$(sim_param luns 2)
	echo $((_a * _p * _l))
}

cxl_ndisks() {
	cxl_disks | wc -l
}

# cxl_load [SIM_PARAMS...]: (re)load sim with the parameters, then the
# driver, and wait until the expected disks exist.
cxl_load() {
	cxl_unload || return 1
	if [ "${CXL_FAKE:-}" = scsi_debug ]; then
		_fp=2 _fl=2 _fs=64
		for _x in "$@"; do
			case "$_x" in
			nr_ports=*) _fp=${_x#*=} ;;
			luns=*) _fl=${_x#*=} ;;
			lun_size_mb=*) _fs=${_x#*=} ;;
			esac
		done
		modprobe scsi_debug delay=0 sector_size=4096 dev_size_mb="$_fs" \
			max_luns="$_fl" add_host="$_fp" vpd_use_hostno=0 ||
			{ echo "modprobe scsi_debug failed"; return 1; }
		_want=$((_fp * _fl))
	else
		modprobe $SIM "$@" || { echo "modprobe $SIM $* failed"; return 1; }
		modprobe $DRV || { echo "modprobe $DRV failed"; return 1; }
		_want=$(cxl_expected_disks)
	fi
	# the driver binds within seconds; then the disks come after a scan
	if ! wait_for 20 cxl_have_host; then
		echo "no SCSI host of $DRV after loading"
		dmesg | tail -n 20
		return 1
	fi
	if ! wait_for 60 cxl_have_disks "$_want"; then
		echo "expected $_want disks, have $(cxl_ndisks):"
		cxl_disks
		return 1
	fi
	echo "$*" >$CXL_STATE
	return 0
}

cxl_have_host() {
	[ -n "$(cxl_hosts)" ]
}

cxl_have_disks() {
	[ "$(cxl_ndisks)" -eq "$1" ] || return 1
	# and their device nodes
	for _d in $(cxl_disks | awk '{print $4}'); do
		[ -b /dev/$_d ] || return 1
	done
}

# cxl_ensure [PARAMS...]: load with these parameters unless already loaded so.
cxl_ensure() {
	if [ -f $CXL_STATE ] && [ "$(cat $CXL_STATE)" = "$*" ] &&
	   [ "$(cxl_ndisks)" -gt 0 ]; then
		return 0
	fi
	cxl_load "$@"
}

# SCSI host numbers of our driver.
cxl_hosts() {
	_pn=$DRV
	[ "${CXL_FAKE:-}" != scsi_debug ] || _pn=scsi_debug
	for _h in /sys/class/scsi_host/host*; do
		[ -e "$_h/proc_name" ] || continue
		[ "$(cat "$_h/proc_name")" = "$_pn" ] && echo "${_h##*/host}"
	done | sort -n
}

# One line per disk, sorted: "H:C:T:L PORT LUN sdX sgN"
# PORT is the SCSI channel (FC port); with CXL_FAKE the host's index.
cxl_disks() {
	_hi=0
	for _h in $(cxl_hosts); do
		for _dev in /sys/bus/scsi/devices/"$_h":*:*:*; do
			[ -d "$_dev/block" ] || continue
			_hctl=${_dev##*/}
			_blk=$(ls "$_dev/block" | head -n1)
			_sg=$(ls "$_dev/scsi_generic" 2>/dev/null | head -n1)
			_c=$(echo "$_hctl" | cut -d: -f2)
			_l=$(echo "$_hctl" | cut -d: -f4)
			[ "${CXL_FAKE:-}" != scsi_debug ] || _c=$_hi
			echo "$_hctl $_c $_l $_blk ${_sg:--}"
		done
		_hi=$((_hi + 1))
	done | sort -t: -k1,1n -k2,2n -k3,3n -k4,4n
}

# cxl_disk PORT INDEX: the INDEX-th (0-based) disk seen through PORT
cxl_disk() {
	cxl_disks | awk -v p="$1" '$2 == p' | sed -n "$(($2 + 1))p" | awk '{print $4}'
}

# The disk of a loaded scsi_debug (the benchmarks' peer), waiting up to 20 s
# for it to appear; empty if there is none.
scsi_debug_disk() {
	for _h in /sys/class/scsi_host/host*; do
		[ "$(cat "$_h/proc_name")" = scsi_debug ] || continue
		_n=${_h##*/host}
		wait_for 20 sh -c "ls /sys/bus/scsi/devices/$_n:*/block/ >/dev/null 2>&1" || true
		ls /sys/bus/scsi/devices/"$_n":*/block/ 2>/dev/null | head -n1
	done | head -n1
}

# fill_region DISK MIB: write MIB MiB (a multiple of 4) of random data from
# LBA 0 of /dev/DISK, so that reads hit allocated data.
fill_region() {
	dd if=/dev/urandom of=/tmp/fill bs=1M count=4 2>/dev/null
	_i=0
	while [ $_i -lt "$2" ]; do
		dd if=/tmp/fill of="/dev/$1" bs=1M seek=$_i count=4 oflag=direct 2>/dev/null
		_i=$((_i + 4))
	done
}

# WWID of the addressed logical unit (NAA designator of VPD page 0x83).
lu_wwid() {
	sg_vpd -p di "/dev/$1" 2>/dev/null | awk '
		/^  Addressed logical unit:/ { lu = 1; next }
		/^  [A-Z]/ { lu = 0 }
		lu && /designator type: NAA/ { naa = 1; next }
		lu && naa && /0x[0-9a-fA-F]+/ { sub(/^ */, ""); print tolower($1); exit }'
}

# Last LBA and block length of a disk from READ CAPACITY(16): "LAST BLEN"
readcap16() {
	sg_readcap -l "/dev/$1" 2>/dev/null | awk '
		/Last LBA=/ { sub(/.*Last LBA=/, ""); sub(/ .*/, ""); last = $0 }
		/Logical block length=/ { sub(/.*length=/, ""); sub(/ .*/, ""); blen = $0 }
		END { print last, blen }'
}

# Kernel log lines after the last "tap: case N start" marker.
case_dmesg() {
	dmesg | awk '/tap: case [0-9]+ start/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }'
}

# MD5 of COUNT blocks of BS bytes at block offset SKIP of /dev/DISK (O_DIRECT)
blk_md5() {
	dd if="/dev/$1" bs="$2" skip="$3" count="$4" iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
}

zero_md5() {
	dd if=/dev/zero bs="$1" count="$2" 2>/dev/null | md5sum | cut -d' ' -f1
}
