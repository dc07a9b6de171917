# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# Shared by tests/80-filebacked.sh (first boot) and persist-boot2.sh.
# The persistent disk is /dev/vda (vm.sh -d); it carries an ext4 filesystem
# with two LUN backing files and the checksums of what was written.

PDEV=/dev/vda
PMNT=/mnt/persist
PSIZE_MB=64
PPARAMS="luns=2 lun_size_mb=$PSIZE_MB lun_backing=$PMNT/lun0.img,$PMNT/lun1.img"

# persist_mount FORMAT: mount the persistent disk (mkfs first if FORMAT=1)
persist_mount() {
	modprobe -q virtio_pci 2>/dev/null
	modprobe -q virtio_blk 2>/dev/null
	wait_for 10 test -b $PDEV || return 1
	mkdir -p $PMNT
	if [ "$1" = 1 ]; then
		mkfs.ext4 -F -q $PDEV || return 1
	fi
	mount -t ext4 $PDEV $PMNT || return 1
	if [ "$1" = 1 ]; then
		truncate -s ${PSIZE_MB}M $PMNT/lun0.img $PMNT/lun1.img || return 1
	fi
}

persist_umount() {
	umount $PMNT
}

# persist_write: load with file backing, write random data at a few offsets of
# each LUN (port 0 path) and remember the checksums on the disk.
persist_write() {
	cxl_load $PPARAMS || return 1
	: >$PMNT/sums
	_blocks=$((PSIZE_MB * 256))
	for _i in 0 1; do
		_d=$(cxl_disk 0 $_i)
		for _off in 0 $((_blocks / 2 + 3)) $((_blocks - 32)); do
			dd if=/dev/urandom of=/tmp/p bs=4096 count=32 2>/dev/null
			dd if=/tmp/p of=/dev/$_d bs=4096 seek=$_off oflag=direct 2>/dev/null || return 1
			echo "$_i $_off $(md5sum </tmp/p | cut -d' ' -f1)" >>$PMNT/sums
		done
	done
	sync
	echo "# wrote $(wc -l <$PMNT/sums) extents"
}

# persist_verify: load with the same backing files and compare, through
# both ports.
persist_verify() {
	cxl_load $PPARAMS || return 1
	[ -s $PMNT/sums ] || { echo "no checksums on the persistent disk"; return 1; }
	_bad=0
	for _port in 0 1; do
		while read -r _i _off _m; do
			# match the LUN by WWID: index order is the same on both ports
			_d=$(cxl_disk $_port "$_i")
			_got=$(blk_md5 "$_d" 4096 "$_off" 32)
			if [ "$_got" != "$_m" ]; then
				echo "LUN $_i block $_off via port $_port ($_d): $_got != $_m"
				_bad=1
			fi
		done <$PMNT/sums
	done
	return $_bad
}

# persist_check_files: the written extents are in the backing files
persist_check_files() {
	_bad=0
	while read -r _i _off _m; do
		_got=$(dd if=$PMNT/lun$_i.img bs=4096 skip="$_off" count=32 2>/dev/null | md5sum | cut -d' ' -f1)
		if [ "$_got" != "$_m" ]; then
			echo "lun$_i.img block $_off: $_got != $_m"
			_bad=1
		fi
	done <$PMNT/sums
	return $_bad
}
