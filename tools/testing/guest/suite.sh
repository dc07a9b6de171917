#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The default guest suite: every tests/*.sh in order, TAP on stdout.
#   suite.sh [-k REGEX]   only the cases whose function name matches REGEX
#   suite.sh -f           run against Debian's scsi_debug (checks the tests)
# Exit status 0 when nothing failed.

. "$GUEST_DIR/lib.sh"

while [ $# -gt 0 ]; do
	case "$1" in
	-k) TAP_ONLY=$2; export TAP_ONLY; shift 2 ;;
	-f) CXL_FAKE=scsi_debug; export CXL_FAKE; shift ;;
	*) break ;;
	esac
done

tap_begin
echo "# kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print $2}' /proc/meminfo) KiB"
for f in "$GUEST_DIR"/tests/*.sh; do
	tap_run_file "$f"
	# everything else needs the modules: stop early if they do not load
	if [ "${f##*/}" = 00-load.sh ] && [ -z "${TAP_ONLY:-}" ] && ! cxl_ensure >/dev/null 2>&1; then
		echo "Bail out! cxlflash_sim + cxlflash do not load with defaults"
		tap_end
		exit 1
	fi
done
cxl_unload >/dev/null 2>&1
tap_end
