#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# abi-check.sh [OURS [REF]]
#
# Compare the user ABI of OURS (default include/uapi/scsi/cxlflash_ioctl.h)
# with the historical header REF (default: Debian's linux-headers-*-common).
# A C program listing every struct/union size, every member's offset and
# size, and the value of every object-like macro (ioctl numbers, flags,
# lengths) of either header is generated, compiled against each header and
# run; the two outputs must be identical.  Exit 1 on any difference.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ours=${1:-$top/include/uapi/scsi/cxlflash_ioctl.h}
find_ref() {
	ls -1 /usr/src/linux-headers-*-common/include/uapi/scsi/cxlflash_ioctl.h 2>/dev/null | sort -V | tail -n1
}
ref=${2:-${REF:-$(find_ref)}}
if [ -z "$ref" ] && [ -z "${2:-}${REF:-}" ] && command -v apt-get >/dev/null; then
	# the stage installs what it needs itself (Debian's headers carry the
	# historical uapi header), whether or not "vm.sh deps" ran before
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "abi: installing linux-headers-amd64 (for the historical header)" >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		linux-headers-amd64 gcc libc6-dev >&2
	ref=$(find_ref)
fi
out=${ABI_OUT:-$top/tools/testing/build/abi}
CC=${CC:-cc}

[ -f "$ours" ] || { echo "abi: no header $ours" >&2; exit 1; }
[ -n "$ref" ] && [ -f "$ref" ] || {
	echo "abi: no historical header (install linux-headers-amd64, or REF=path)" >&2
	exit 1
}
mkdir -p "$out"

# Names of one header: "S name" for struct/union, "M tag member" for
# members, "C NAME" for object-like macros (include guards excluded).
names() {
	$CC -fpreprocessed -dD -E -P "$1" 2>/dev/null | awk '
	/^(struct|union) [A-Za-z_0-9]+ *\{/ { tag = $1 " " $2; print "S " tag; next }
	tag != "" && /^\};/ { tag = ""; next }
	tag != "" && /;/ {
		line = $0
		sub(/;.*/, "", line)
		sub(/\[.*/, "", line)
		n = split(line, w, /[ \t*]+/)
		print "M " tag " " w[n]
		next
	}
	/^#define [A-Za-z_0-9]+[ \t]+[^ \t]/ {
		if ($2 ~ /_H$/) next
		print "C " $2
	}'
}

{ names "$ref"; names "$ours"; } | awk '!seen[$0]++' >"$out/names"

gen() {
	echo '#include <stdio.h>'
	echo '#include <stddef.h>'
	echo '#include <sys/ioctl.h>'
	echo '#include <linux/types.h>'
	echo '#include HEADER'
	echo 'int main(void) {'
	while read -r kind a b c; do
		case "$kind" in
		S) printf '\tprintf("%s %s: size %%zu align %%zu\\n", sizeof(%s %s), _Alignof(%s %s));\n' \
			"$a" "$b" "$a" "$b" "$a" "$b" ;;
		M) printf '\tprintf("%s %s.%s: offset %%zu size %%zu\\n", offsetof(%s %s, %s), sizeof(((%s %s *)0)->%s));\n' \
			"$a" "$b" "$c" "$a" "$b" "$c" "$a" "$b" "$c" ;;
		C) printf '#ifdef %s\n\tprintf("%s = 0x%%llx\\n", (unsigned long long)(%s));\n#else\n\tprintf("%s: MISSING\\n");\n#endif\n' "$a" "$a" "$a" "$a" ;;
		esac
	done <"$out/names"
	echo '	return 0;'
	echo '}'
}
gen >"$out/abi-dump.c"

build() {
	# $1 tag, $2 header
	if ! $CC -std=gnu11 -Wall -Werror -DHEADER="\"$2\"" -o "$out/abi-$1" "$out/abi-dump.c" 2>"$out/cc-$1.log"; then
		echo "abi: the ABI program does not compile against $2 (missing struct or member?):" >&2
		grep -E 'error' "$out/cc-$1.log" | head -n 20 >&2
		return 1
	fi
	"$out/abi-$1" >"$out/$1.txt"
}

rc=0
build ref "$ref" || rc=1
build ours "$ours" || rc=1
[ $rc -eq 0 ] || exit 1

if ! diff -u "$out/ref.txt" "$out/ours.txt" >"$out/diff"; then
	echo "abi: $ours differs from $ref:" >&2
	cat "$out/diff" >&2
	exit 1
fi
echo "abi: $(grep -c ': size' "$out/ours.txt") types, $(grep -c ': offset' "$out/ours.txt") members, $(grep -c ' = ' "$out/ours.txt") constants identical to $ref"
