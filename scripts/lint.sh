#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/lint.sh - the style and static-analysis gate of the kernel code.
#
#   1. checkpatch.pl --no-tree --strict -f over every *.c/*.h of the driver
#      (repo root), the sim (sim/) and include/uapi/, from Debian's
#      linux-source tarball (extracted once to tools/testing/build/ks);
#   2. the module build with sparse and extra warnings (make check: C=2 W=1);
#   3. every reStructuredText file (Documentation/, tools/) through docutils,
#      failing on any warning (a title, table or markup that does not render).
#
# Fails on any checkpatch error/warning/check, any sparse warning and any
# compiler warning.  KDIR=<kernel build dir> as for make.
#   scripts/lint.sh [checkpatch|build|docs]   run only one part

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KS=${KS:-$TOP/tools/testing/build/ks}
what=${1:-all}
rc=0

install_missing() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "lint: installing ${missing[*]}" >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

get_checkpatch() {
	[ -x "$KS/scripts/checkpatch.pl" ] && return 0
	install_missing linux-source perl xz-utils
	local tarball
	tarball=$(ls -1 /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n1)
	[ -n "$tarball" ] || { echo "lint: no /usr/src/linux-source-*.tar.xz" >&2; exit 1; }
	local dir
	dir=$(basename "$tarball" .tar.xz)
	mkdir -p "$KS.tmp"
	tar -xJf "$tarball" -C "$KS.tmp" --strip-components=1 \
		"$dir/scripts/checkpatch.pl" "$dir/scripts/spelling.txt" \
		"$dir/scripts/const_structs.checkpatch"
	rm -rf "$KS"
	mv "$KS.tmp" "$KS"
}

# With --no-tree checkpatch cannot see the kernel's own CamelCase names
# (struct Scsi_Host, ...), which it learns from include/ in a tree: drop the
# CAMELCASE findings for identifiers that the kernel headers define.
drop_kernel_camelcase() {
	local hdrs line id
	hdrs=$(ls -d /usr/src/linux-headers-*-common/include 2>/dev/null | sort -V | tail -n1)
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		id=$(printf '%s\n' "$line" | sed -n 's/.*CHECK:CAMELCASE: Avoid CamelCase: <\([A-Za-z0-9_]*\)>.*/\1/p')
		if [ -n "$id" ] && [ -n "$hdrs" ] && grep -rqw -- "$id" "$hdrs"; then
			continue
		fi
		printf '%s\n' "$line"
	done <<<"$1"
}

# trace.h is TRACE_EVENT() macro calls, laid out the way include/trace/
# events/ does it (argument lists opened at line end, TP_* blocks indented
# one tab); checkpatch reads them as C and flags that layout, and the
# TRACE_INCLUDE_FILE define names the file by necessity.  Only those three
# types are dropped, and only for trace.h.
drop_trace_header_layout() {
	printf '%s\n' "$1" | grep -Ev '^trace\.h:[0-9]+: [A-Z]+:(OPEN_ENDED_LINE|PARENTHESIS_ALIGNMENT|EMBEDDED_FILENAME):' || true
}

run_checkpatch() {
	get_checkpatch
	local files=()
	mapfile -t files < <(cd "$TOP" && ls -1 ./*.[ch] sim/*.[ch] include/uapi/scsi/*.h 2>/dev/null |
		sed 's|^\./||' | grep -v '\.mod\.c$')
	if [ ${#files[@]} -eq 0 ]; then
		echo "lint: no kernel sources to check"
		return 0
	fi
	local out
	out=$(cd "$TOP" && perl "$KS/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types --no-summary -f "${files[@]}" 2>&1) || true
	out=$(drop_kernel_camelcase "$out")
	out=$(drop_trace_header_layout "$out")
	if [ -n "$out" ]; then
		echo "$out"
		echo "lint: checkpatch: $(echo "$out" | grep -cE ': (ERROR|WARNING|CHECK):') problem(s) in ${#files[@]} files"
		return 1
	fi
	echo "lint: checkpatch --strict clean (${#files[@]} files)"
}

run_build() {
	if ! ls "$TOP"/*.c "$TOP"/sim/*.c >/dev/null 2>&1; then
		echo "lint: no module sources to build"
		return 0
	fi
	install_missing sparse make gcc libc6-dev kmod
	if [ -z "${KDIR:-}" ] && ! compgen -G '/lib/modules/*/build/Makefile' >/dev/null; then
		# the build needs a kernel to build against (vm.sh deps would
		# install the same; this stage must not depend on it)
		install_missing linux-headers-amd64
	fi
	local log=$TOP/tools/testing/build/lint-build.log
	mkdir -p "$(dirname "$log")"
	# W=1 changes the compiler flags, so Kbuild recompiles every object;
	# C=2 runs sparse on every file whether rebuilt or not.
	local brc=0
	make -C "$TOP" -j"$(nproc)" check ${KDIR:+KDIR="$KDIR"} >"$log" 2>&1 || brc=$?
	local warn
	warn=$(grep -E 'warning:|error:|sparse:' "$log" || true)
	if [ $brc -ne 0 ] || [ -n "$warn" ]; then
		[ -n "$warn" ] && echo "$warn"
		[ $brc -eq 0 ] || tail -n 30 "$log"
		echo "lint: make check (C=2 W=1): build exit $brc, $(echo -n "$warn" | grep -c . || true) warning line(s); full log $log"
		return 1
	fi
	echo "lint: make check (sparse C=2, W=1) clean"
}

run_docs() {
	install_missing python3-docutils
	local files=() f bad=0 out
	mapfile -t files < <(cd "$TOP" && find Documentation tools -name '*.rst' \
		-not -path 'tools/testing/build/*' 2>/dev/null | LC_ALL=C sort)
	for f in "${files[@]}"; do
		# level 2 (WARNING) and up: malformed tables, short title
		# adornments, broken inline markup, unknown targets
		if ! out=$(cd "$TOP" && rst2pseudoxml --halt=warning --report=warning \
				--no-file-insertion --no-raw "$f" 2>&1 >/dev/null); then
			echo "$out"
			bad=$((bad + 1))
		fi
	done
	if [ $bad -ne 0 ]; then
		echo "lint: docutils: $bad of ${#files[@]} rst file(s) do not render cleanly"
		return 1
	fi
	echo "lint: docutils clean (${#files[@]} rst files)"
}

case "$what" in
checkpatch) run_checkpatch || rc=1 ;;
build) run_build || rc=1 ;;
docs) run_docs || rc=1 ;;
all)
	run_checkpatch || rc=1
	run_build || rc=1
	run_docs || rc=1
	;;
*) echo "usage: $0 [checkpatch|build|docs]" >&2; exit 2 ;;
esac
exit $rc
