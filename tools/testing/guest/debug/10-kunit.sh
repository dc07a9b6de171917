# SPDX-License-Identifier: GPL-2.0-only
# The KUnit suites built into cxlflash.ko (CONFIG_CXLFLASH_KUNIT_TEST=y)
# run when it loads; their KTAP in the kernel log must say ok.
. "$GUEST_DIR/debug/lib.sh"

MARK="cxlflash-kunit: load"

t_kunit() {
	cxl_unload || fail "unload"
	kmsg "$MARK"
	modprobe cxlflash || fail "modprobe cxlflash"
	_k=$(ktap_after "$MARK")
	kmsg "cxlflash-kunit: end"
	printf '%s\n' "$_k" | sed 's/^/# /'
	for _s in cxlflash_sislite cxlflash_vlun; do
		printf '%s\n' "$_k" | grep -q "# Subtest: $_s" ||
			fail "suite $_s did not run (cxlflash.ko built without CONFIG_CXLFLASH_KUNIT_TEST=y?)"
		printf '%s\n' "$_k" | grep -Eq "^ *ok [0-9]+ (- )?$_s\$" || fail "suite $_s: not ok"
	done
	if printf '%s\n' "$_k" | grep -q 'not ok'; then
		fail "KUnit: $(printf '%s\n' "$_k" | grep 'not ok' | tr '\n' ';')"
	fi
	cxl_unload || fail "unload"
}

tap_case "KUnit: cxlflash_sislite and cxlflash_vlun suites pass (KTAP)" t_kunit 300
