# SPDX-License-Identifier: GPL-2.0-only
# A filesystem on a cxlflash disk.
. "$GUEST_DIR/lib.sh"

MNT=/mnt/cxl

t_ext4() {
	cxl_ensure || fail "load"
	_d=$(cxl_disk 0 1)
	mkdir -p $MNT
	must mkfs.ext4 -F -q -b 4096 "/dev/$_d" >/dev/null
	must mount -t ext4 "/dev/$_d" $MNT
	mkdir -p $MNT/dir/sub
	dd if=/dev/urandom of=$MNT/big bs=1M count=8 2>/dev/null || fail "write big"
	dd if=/dev/urandom of=$MNT/dir/small bs=1000 count=3 2>/dev/null || fail "write small"
	_i=0
	while [ $_i -lt 50 ]; do
		echo "file $_i" >$MNT/dir/sub/f$_i
		_i=$((_i + 1))
	done
	(cd $MNT && find . -type f | sort | xargs md5sum) >/tmp/sums
	sync
	must umount $MNT
	must fsck.ext4 -f -n "/dev/$_d" >/dev/null
	must mount -t ext4 "/dev/$_d" $MNT
	_c=$(cd $MNT && md5sum -c /tmp/sums 2>&1) || fail "checksums after remount: $_c"
	assert_eq "$(find $MNT/dir/sub -type f | wc -l)" 50 "files after remount"
	must umount $MNT
	# and through the other port's path to the same LUN
	_w=$(lu_wwid "$_d")
	for _x in $(cxl_disks | awk '$2 == 1 {print $4}'); do
		[ "$(lu_wwid "$_x")" = "$_w" ] || continue
		must mount -t ext4 -o ro "/dev/$_x" $MNT
		_c=$(cd $MNT && md5sum -c /tmp/sums 2>&1) || fail "checksums via $_x: $_c"
		must umount $MNT
		note "verified via port 1 path $_x"
	done
}

tap_case "ext4: mkfs, write, umount, fsck -n clean, remount, checksums match" t_ext4 300
