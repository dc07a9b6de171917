# SPDX-License-Identifier: GPL-2.0-only
# The superpipe C tests (tools/testing/superpipe) on the debug kernel,
# with a short stress: contexts, mmap of fd2, virtual LUNs, clone,
# recovery, all under KASAN/lockdep/kmemleak.
. "$GUEST_DIR/debug/lib.sh"

sp_dir() {
	for _d in /usr/libexec/cxlflash-tests /usr/local/libexec/cxlflash-tests /usr/local/bin; do
		[ -x "$_d/ioctl_errors" ] && { echo "$_d"; return 0; }
	done
	return 1
}

# sp_prog NAME [ARGS]: one program, TAP lines kept as comments
sp_prog() {
	_d=$(sp_dir) || skip "superpipe tests not built"
	[ -x "$_d/$1" ] || skip "no $1"
	cxl_ensure || fail "load"
	_p=$1
	shift
	_out=$("$_d/$_p" "$@" 2>&1)
	_rc=$?
	printf '%s\n' "$_out" | grep -E '^(not ok|# |[0-9]+ passed)' | head -n 40 | sed 's/^# /#   /; s/^\([^#]\)/# \1/'
	[ $_rc -eq 0 ] || { printf '%s\n' "$_out" | tail -n 30; fail "$_p $* exited $_rc"; }
}

t_sp_ioctl_errors() { sp_prog ioctl_errors; }
t_sp_appclose() { sp_prog appclose; }
t_sp_data() { sp_prog data; }
t_sp_nosyscall() { sp_prog nosyscall -n 500 -q 8; }
t_sp_recovery() { sp_prog recovery -n 1; }
t_sp_stress() { sp_prog stress -n 4 -t 5; }

tap_case "superpipe: ioctl_errors" t_sp_ioctl_errors 600
tap_case "superpipe: appclose (fd2 application-close model)" t_sp_appclose 600
tap_case "superpipe: data (direct and virtual LUN I/O)" t_sp_data 600
tap_case "superpipe: nosyscall -n 500 -q 8" t_sp_nosyscall 600
tap_case "superpipe: recovery -n 1" t_sp_recovery 600
tap_case "superpipe: stress -n 4 -t 5" t_sp_stress 600
