# SPDX-License-Identifier: GPL-2.0-only
# Loading the sim with its defaults and the driver gives the expected disks.
. "$GUEST_DIR/lib.sh"

t_load_default() {
	cxl_load || fail "load with defaults"
	cxl_disks | sed 's/^/# /'
	_h=$(cxl_hosts | wc -l)
	assert_eq "$_h" "$(sim_param nr_adapters 1)" "SCSI hosts of the driver"
}

t_count() {
	cxl_ensure || fail "load"
	_want=$(cxl_expected_disks)
	assert_eq "$_want" 4 "sim defaults (1 adapter x 2 ports x 2 LUNs)"
	_hosts=$(cxl_hosts | tr '\n' '|' | sed 's/|$//')
	# lsscsi: "[H:C:T:L]  disk  VENDOR  PRODUCT  REV  /dev/sdX"
	_ls=$(lsscsi | grep -E "^\[($_hosts):" | grep -c ' disk ')
	assert_eq "$_ls" 4 "disks in lsscsi"
	_sd=$(ls /sys/class/scsi_disk | grep -Ec "^($_hosts):")
	assert_eq "$_sd" 4 "entries in /sys/class/scsi_disk"
	lsscsi | grep -E "^\[($_hosts):" | grep -q '/dev/sd' || fail "lsscsi shows no /dev/sd nodes"
}

t_channels() {
	cxl_ensure || fail "load"
	_p0=$(cxl_disks | awk '$2 == 0' | wc -l)
	_p1=$(cxl_disks | awk '$2 == 1' | wc -l)
	assert_eq "$_p0" 2 "disks on channel (port) 0"
	assert_eq "$_p1" 2 "disks on channel (port) 1"
}

tap_case "load cxlflash_sim (defaults) and cxlflash: one SCSI host" t_load_default 120
tap_case "4 disks in lsscsi and /sys/class/scsi_disk" t_count
tap_case "2 disks on each of channels 0 and 1 (FC ports)" t_channels
