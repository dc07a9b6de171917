# SPDX-License-Identifier: GPL-2.0-only
# sysfs attributes of the SCSI host and of its devices.
. "$GUEST_DIR/lib.sh"

t_host_attrs() {
	cxl_ensure || fail "load"
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "not with scsi_debug"
	for _h in $(cxl_hosts); do
		_s=/sys/class/scsi_host/host$_h
		for _a in port0 port1 ioctl_version lun_mode; do
			[ -r "$_s/$_a" ] || fail "host$_h has no $_a attribute"
		done
		assert_match "$(cat $_s/port0)" "online" "host$_h port0"
		assert_match "$(cat $_s/port1)" "online" "host$_h port1"
		assert_nomatch "$(cat $_s/port0)" "offline" "host$_h port0"
		# as in the historical driver: "disk: <DK_CXLFLASH_VERSION_*>"
		# then "host: <HT_CXLFLASH_VERSION_*>", one per line
		assert_eq "$(sed -n 1p $_s/ioctl_version)" "disk: 0" "host$_h ioctl_version line 1"
		assert_eq "$(sed -n 2p $_s/ioctl_version)" "host: 0" "host$_h ioctl_version line 2"
		assert_eq "$(wc -l <$_s/ioctl_version)" 2 "host$_h ioctl_version lines"
		assert_match "$(cat $_s/lun_mode)" "^[0-9]+$" "host$_h lun_mode"
		note "host$_h: port0=$(cat $_s/port0) port1=$(cat $_s/port1) ioctl_version="$(tr "\n" " " <$_s/ioctl_version)" lun_mode=$(cat $_s/lun_mode)"
		# read-only attributes reject writes
		if echo online >"$_s/port0" 2>/dev/null; then
			fail "port0 accepted a write"
		fi
	done
}

t_dev_mode() {
	cxl_ensure || fail "load"
	[ "${CXL_FAKE:-}" != scsi_debug ] || skip "not with scsi_debug"
	for _hctl in $(cxl_disks | awk '{print $1}'); do
		_m=/sys/bus/scsi/devices/$_hctl/mode
		[ -r "$_m" ] || fail "$_hctl has no mode attribute"
		assert_eq "$(cat "$_m")" legacy "$_hctl mode"
	done
}

tap_case "host sysfs: port0/port1 online, ioctl_version, lun_mode" t_host_attrs
tap_case "device sysfs: mode = legacy on every disk" t_dev_mode
