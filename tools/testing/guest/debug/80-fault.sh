# SPDX-License-Identifier: GPL-2.0-only
# Fault injection: failslab and fail_page_alloc armed around module load
# (init + probe), AFU start (configfs power on: probe in the writer's
# task) and every step of the superpipe ioctl sequence.  Every failure
# must unwind: an error comes back, nothing leaks (fds here, kmemleak in
# 99-leaks.sh), no KASAN/lockdep/WARN report, and the modules unload.
#
# Two ways to aim:
#  - fail-nth (/proc/thread-self/fail-nth, set by cxlflash-fi around one
#    syscall): fail exactly the N-th allocation; N swept over the sites
#    the syscall reaches (counted first, all of them or a spread);
#  - the debugfs knobs with task-filter=Y and make-it-fail: probability
#    and interval sweeps.
#
# Knobs: FI_MAX (points per load/probe sweep, default 16), FI_IOCTL_MAX
# (per ioctl step, default 24), FI_REPS (repetitions per probability, 2).
#
# The windows ("cxlflash-fi: window begin/end" in the kernel log) cover the
# injected call and its teardown.  Inside them the echoes of an injected
# failure are expected: warn_alloc's report, and a kernel-core WARN in
# remove_proc_entry when request_irq's /proc/irq entries could not be made
# (register_irq_proc ignores errors; unregister_irq_proc then warns).
. "$GUEST_DIR/debug/lib.sh"

TAP_BAD_RE=$FI_BAD_RE
CFG=/sys/kernel/config/cxlflash_sim
SIMDBG=/sys/kernel/debug/cxlflash_sim
FI_MAX=${FI_MAX:-16}
FI_IOCTL_MAX=${FI_IOCTL_MAX:-24}
FI_REPS=${FI_REPS:-2}

need_fi() {
	have_fi || skip "no fault injection in this kernel or no $FI"
	fi_reset
}

ko_of() {
	modinfo -n "$1" 2>/dev/null
}

user_contexts() {
	cat $SIMDBG/*/contexts 2>/dev/null | grep -ci user
}

# ---- configfs adapter for the probe / AFU-start sweeps ----

FA=$CFG/fi

fa_create() {
	[ -d $CFG ] || fail "no $CFG"
	[ -d $FA ] && fa_destroy
	mkdir $FA || fail "mkdir $FA"
	echo 1 >$FA/nr_ports || fail "nr_ports"
	mkdir $FA/luns/l0 || fail "mkdir lun"
	echo 512M >$FA/luns/l0/size || fail "lun size"
	echo 1 >$FA/luns/l0/enable || fail "lun enable"
}

fa_destroy() {
	[ -d $FA ] || return 0
	[ "$(cat $FA/power 2>/dev/null)" = 0 ] || echo 0 >$FA/power
	[ ! -d $FA/luns/l0 ] || { echo 0 >$FA/luns/l0/enable; rmdir $FA/luns/l0; }
	rmdir $FA
}

# power off whatever the last attempt left on, and check the disks are back
fa_settle() {
	if [ "$(cat $FA/power)" != 0 ]; then
		echo 0 >$FA/power || fail "power off after '$1'"
	fi
	wait_for 60 cxl_have_disks "$BEFORE" || fail "after '$1': $(cxl_ndisks) disks, want $BEFORE"
}

t_fi_probe_nth() {
	need_fi
	cxl_load || fail "load"
	BEFORE=$(cxl_ndisks)
	fa_create
	_out=$($FI -c write $FA/power 1) || fail "clean power on: $_out"
	_s=$(fi_sites "$_out")
	wait_for 60 cxl_have_disks $((BEFORE + 1)) || fail "clean power on: no new disk"
	fa_settle "clean"
	note "power on (probe, AFU start, SCSI host) reaches $_s fault sites; trying $(fi_points "$_s" "$FI_MAX" | wc -l)"
	_fails=0 _leaks=""
	_ref0=$(cat /sys/module/cxlflash_sim/refcnt)
	for _n in $(fi_points "$_s" "$FI_MAX"); do
		fi_begin "probe fail-nth=$_n"
		_out=$($FI -n "$_n" write $FA/power 1 2>&1)
		_rc=$?
		fi_reset
		case $_rc in
		0) # the fault was absorbed or hit the probe, which may fail on its own
		   wait_for 20 cxl_have_disks $((BEFORE + 1)) ;;
		1) _fails=$((_fails + 1)) ;;
		*) fail "fail-nth=$_n: $_out" ;;
		esac
		fa_settle "fail-nth=$_n"
		fi_end
		_ref=$(cat /sys/module/cxlflash_sim/refcnt)
		if [ "$_ref" != "$_ref0" ]; then
			# once more with the failing allocation's stack in the log
			_leaks="$_leaks $_n"
			echo "BAD: fail-nth=$_n: cxlflash_sim refcnt $_ref0 -> $_ref ($_out)"
			echo 2 >$FI_DBG/failslab/verbose
			echo 2 >$FI_DBG/fail_page_alloc/verbose
			kmsg "cxlflash-fi: window begin (stack of fail-nth=$_n)"
			$FI -n "$_n" write $FA/power 1 >/dev/null 2>&1
			fi_reset
			fa_settle "fail-nth=$_n again"
			kmsg "cxlflash-fi: window end"
			dmesg | sed -n "/stack of fail-nth=$_n)/,\$p" | sed -n '/FAULT_INJECTION/,/<\/TASK>/p' |
				grep -E 'FAULT_INJECTION|name |\+0x' | head -n 40
			_ref0=$(cat /sys/module/cxlflash_sim/refcnt)
		fi
	done
	note "$_fails power-on attempts failed with an error, all unwound"
	[ -z "$_leaks" ] || fail "cxlflash_sim module reference leaked by power on with fail-nth:$_leaks"
	fa_destroy || fail "rmdir the adapter"
	leak_check "the probe sweep"
	unload_or_fail "unload after the sweep"
}

# lunload MODULE: unload MODULE, keeping the other one loaded.  The driver
# pins the sim while bound, so unloading the sim goes through the driver.
lunload() {
	if [ "$1" = cxlflash_sim ]; then
		rmmod cxlflash || { mod_diag; return 1; }
		rmmod cxlflash_sim || { mod_diag; return 1; }
		modprobe cxlflash
	else
		rmmod "$1" || { mod_diag; return 1; }
	fi
}

# load_sweep MODULE: fail-nth over finit_module of MODULE (its init, and
# the probe it triggers because the other module is loaded)
load_sweep() {
	_ko=$(ko_of "$1")
	[ -n "$_ko" ] || fail "no $1.ko"
	_out=$($FI -c load "$_ko") || fail "clean load of $1: $_out"
	_s=$(fi_sites "$_out")
	lunload "$1" || fail "unload $1 after the clean load"
	note "$1: finit_module reaches $_s fault sites; trying $(fi_points "$_s" "$FI_MAX" | wc -l)"
	_fails=0
	for _n in $(fi_points "$_s" "$FI_MAX"); do
		fi_begin "load $1 fail-nth=$_n"
		_out=$($FI -n "$_n" load "$_ko" 2>&1)
		_rc=$?
		fi_reset
		case $_rc in
		0) lunload "$1" || fail "$1 loaded with fail-nth=$_n but does not unload" ;;
		1) _fails=$((_fails + 1))
		   [ ! -d /sys/module/"$1" ] || fail "$1 failed to load (fail-nth=$_n) but is present" ;;
		*) fail "fail-nth=$_n: $_out" ;;
		esac
		fi_end
	done
	note "$1: $_fails loads failed with an error, all unwound"
}

t_fi_load_nth() {
	need_fi
	unload_or_fail
	modprobe cxlflash || fail "modprobe cxlflash"
	load_sweep cxlflash_sim
	unload_or_fail "unload before the cxlflash sweep"
	modprobe cxlflash_sim || fail "modprobe cxlflash_sim"
	load_sweep cxlflash
	cxl_load || fail "clean load after the sweeps"
	leak_check "the load sweeps"
	unload_or_fail
}

# A bad unwind leaves the LUN unusable: note it, reload, go on, fail at
# the end, so one run shows every step that misbehaves.
t_fi_ioctl_nth() {
	need_fi
	cxl_load || fail "load"
	_dev=/dev/$(cxl_disk 0 0)
	_out=$($FI ioctl "$_dev" 2>&1) || fail "clean sequence: $_out"
	_total=0 _fails=0 _bad="" _badtxt=""
	for _st in $($FI steps | awk '{print $1}'); do
		_name=$($FI steps | awk -v s="$_st" '$1 == s { $1 = ""; print }')
		_out=$($FI -c -s "$_st" ioctl "$_dev" 2>&1) || fail "counting step $_st: $_out"
		_s=$(fi_sites "$_out")
		[ -n "$_s" ] || _s=0
		_pts=$(fi_points "$_s" "$FI_IOCTL_MAX")
		note "step $_st$_name: $_s sites"
		for _n in $_pts; do
			fi_begin "ioctl step $_st fail-nth=$_n"
			_out=$($FI -n "$_n" -s "$_st" ioctl "$_dev" 2>&1)
			_rc=$?
			fi_end
			_total=$((_total + 1))
			_u=$(user_contexts)
			if [ "$_rc" -gt 1 ] || [ "${_u:-0}" -ne 0 ]; then
				_bad="$_bad $_st/$_n"
				_badtxt="$_badtxt
BAD step $_st$_name fail-nth=$_n: exit $_rc, ${_u:-?} user contexts left; $(printf '%s\n' "$_out" | grep -E 'injected=1|failed|UNWIND' | tr '\n' ';')"
				cxl_load || fail "reload after the bad unwind"
				_dev=/dev/$(cxl_disk 0 0)
				continue
			fi
			[ "$_rc" -eq 0 ] || _fails=$((_fails + 1))
		done
	done
	note "$_total runs, $_fails returned an error and unwound"
	if [ -n "$_bad" ]; then
		( leak_check "the ioctl sweep" )
		printf '%s\n' "$_badtxt"
		fail "bad unwinds (step/fail-nth):$_bad"
	fi
	leak_check "the ioctl sweep"
	_out=$($FI ioctl "$_dev" 2>&1) || fail "clean sequence after the sweep: $_out"
	unload_or_fail
}

# probability sweeps through the debugfs knobs (task-filter + make-it-fail)
t_fi_probability() {
	need_fi
	cxl_load || fail "load"
	BEFORE=$(cxl_ndisks)
	_dev=/dev/$(cxl_disk 0 0)
	fa_create
	_runs=0 _errs=0
	for _attrs in failslab "failslab fail_page_alloc"; do
		for _p in 5 30 100; do
			_r=0
			while [ $_r -lt "$FI_REPS" ]; do
				_r=$((_r + 1))
				fi_begin "probability $_p ($_attrs)"
				fi_arm "$_attrs" "$_p" 1 -1
				_o1=$($FI -m -s -1 ioctl "$_dev" 2>&1)
				_r1=$?
				_o2=$($FI -m write $FA/power 1 2>&1)
				_r2=$?
				fi_reset
				_runs=$((_runs + 2))
				[ $_r1 -le 1 ] || { printf '%s\n' "$_o1"; fail "ioctls, p=$_p ($_attrs): bad unwind"; }
				[ $_r2 -le 1 ] || { printf '%s\n' "$_o2"; fail "power on, p=$_p ($_attrs): $_o2"; }
				[ $_r1 -eq 0 ] || _errs=$((_errs + 1))
				[ $_r2 -eq 0 ] || _errs=$((_errs + 1))
				[ $_r2 -ne 0 ] || wait_for 20 cxl_have_disks $((BEFORE + 1))
				fa_settle "p=$_p ($_attrs)"
				fi_end
				_u=$(user_contexts)
				[ "${_u:-0}" -eq 0 ] || fail "p=$_p: $_u user contexts left"
			done
		done
	done
	note "$_runs runs, $_errs returned an error"
	fa_destroy || fail "rmdir the adapter"
	leak_check "the probability sweep"
	unload_or_fail
}

# interval sweeps: probability 100, every K-th allocation, once
t_fi_interval() {
	need_fi
	cxl_load || fail "load"
	BEFORE=$(cxl_ndisks)
	_dev=/dev/$(cxl_disk 0 0)
	fa_create
	for _k in 1 3 8 21 55; do
		for _attrs in failslab fail_page_alloc; do
			fi_begin "interval $_k ($_attrs)"
			fi_arm "$_attrs" 100 "$_k" 1
			_o1=$($FI -m -s -1 ioctl "$_dev" 2>&1)
			_r1=$?
			fi_arm "$_attrs" 100 "$_k" 1
			_o2=$($FI -m write $FA/power 1 2>&1)
			_r2=$?
			fi_reset
			[ $_r1 -le 1 ] || { printf '%s\n' "$_o1"; fail "ioctls, interval $_k ($_attrs): bad unwind"; }
			[ $_r2 -le 1 ] || fail "power on, interval $_k ($_attrs): $_o2"
			[ $_r2 -ne 0 ] || wait_for 20 cxl_have_disks $((BEFORE + 1))
			fa_settle "interval $_k ($_attrs)"
			fi_end
		done
	done
	fa_destroy || fail "rmdir the adapter"
	leak_check "the interval sweep"
	unload_or_fail
}

t_fi_after() {
	fi_reset
	cxl_load || fail "clean load after fault injection"
	_dev=/dev/$(cxl_disk 0 0)
	if command -v $FI >/dev/null; then
		_out=$($FI ioctl "$_dev" 2>&1) || fail "clean superpipe sequence: $_out"
	fi
	_d=$(cxl_disk 1 1)
	dd if=/dev/urandom of=/tmp/fi.pat bs=4096 count=16 2>/dev/null
	dd if=/tmp/fi.pat of=/dev/$_d bs=4096 count=16 oflag=direct 2>/dev/null || fail "write"
	assert_eq "$(blk_md5 "$_d" 4096 0 16)" "$(md5sum </tmp/fi.pat | cut -d' ' -f1)" "data after fault injection"
	unload_or_fail "the modules do not unload after fault injection"
}

tap_case "fault: AFU start/probe (configfs power on), fail-nth sweep" t_fi_probe_nth 1200
tap_case "fault: module load (init + probe), fail-nth sweep over both modules" t_fi_load_nth 1500
tap_case "fault: superpipe ioctls, fail-nth sweep over every step" t_fi_ioctl_nth 1500
tap_case "fault: probability sweep (failslab, fail_page_alloc; ioctls + power on)" t_fi_probability 1200
tap_case "fault: interval sweep (every K-th allocation once)" t_fi_interval 1200
tap_case "fault: after injection the adapter works and the modules unload" t_fi_after 300
