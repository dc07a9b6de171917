#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# debug-kernel.sh - the debug-kernel test tier (KASAN, UBSAN, lockdep,
# kmemleak, hung-task, list debugging, fault injection, KUnit).
#
#   debug-kernel.sh build     build the debug kernel into the cache (once)
#   debug-kernel.sh env       print KDIR=, VM_KERNEL=, VM_MODROOT= of the
#                             cached kernel (builds it when absent)
#   debug-kernel.sh test [-k REGEX]
#                             build kernel (if needed), modules (with KUnit)
#                             and tools; run the reduced suite
#                             (guest/debug-suite.sh) on it; TAP, last line
#                             "N passed, N failed"; any kernel report is
#                             printed in full
#   debug-kernel.sh run ARGS  vm.sh run ARGS on the debug kernel
#   debug-kernel.sh shell     vm.sh shell on the debug kernel
#   debug-kernel.sh key       print the cache key
#
# The kernel is Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz)
# configured as x86_64_defconfig + kernel/configs/kvm_guest.config +
# tools/testing/debug-kernel.config.  It is built once into
#   ${CXLFLASH_DEBUG_KERNEL_CACHE:-/var/cache/cxlflash/debug-kernel}/<key>/
# where <key> = linux-source package version + hash of the fragment and of
# the build recipe below, so fresh clones on one machine share it.  The
# stamp file <key>/.complete is written last; a directory without it is a
# failed or interrupted build and is removed and rebuilt (under a lock).
#
# Environment: CXLFLASH_DEBUG_KERNEL_CACHE (cache base), DEBUG_KERNEL_JOBS
# (make -j, default nproc), DEBUG_KERNEL_NICE (default 10), LINUX_SOURCE
# (tarball), VM_DEBUG_BUILD_DIR (private tree copy, initramfs and logs;
# default tools/testing/build/debug), VM_DEBUG_TIMEOUT (guest run, default
# 3000 s), plus what vm.sh accepts (VM_MEM defaults to 2048 here).

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TT=$TOP/tools/testing
PROG=debug-kernel.sh
FRAG=$TT/debug-kernel.config
CACHE=${CXLFLASH_DEBUG_KERNEL_CACHE:-/var/cache/cxlflash/debug-kernel}
SRC_TAR=${LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
JOBS=${DEBUG_KERNEL_JOBS:-$(nproc)}
NICE=${DEBUG_KERNEL_NICE:-10}
# Bump when the recipe (not the fragment) changes in a way that needs a rebuild.
RECIPE=1

die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }

src_version() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$(basename "$SRC_TAR" .tar.xz)" 2>/dev/null || true)
	if [ -z "$v" ]; then
		v=$(stat -c '%s-%Y' "$SRC_TAR")
	fi
	echo "$v"
}

cache_key() {
	local h
	# only the option lines count: comment edits do not force a rebuild
	h=$( { echo "recipe=$RECIPE"
	       grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$FRAG"; } | sha256sum | cut -c1-12)
	echo "$(basename "$SRC_TAR" .tar.xz)_$(src_version)_$h"
}

# What building the kernel needs, whatever else is installed: checked one
# by one with dpkg and installed when missing (the lint stage installs
# linux-source too, so the tarball being present says nothing about flex).
KBUILD_PKGS=(linux-source-6.1 bc bison flex libelf-dev libssl-dev xz-utils make
	     gcc libc6-dev kmod cpio perl python3 rsync)

ensure_build_deps() {
	local p missing=()
	for p in "${KBUILD_PKGS[@]}"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing kernel build dependencies: ${missing[*]}"
		local sudo=
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}"
	fi
	[ -f "$SRC_TAR" ] || die "no $SRC_TAR after installing linux-source-6.1"
}

# A step of the build, its output appended to the build log; on failure the
# log's tail and path are printed and the build stops (the EXIT trap of
# do_build_kernel then removes the unfinished cache entry).
BLOG=
step() {
	local what=$1
	shift
	"$@" >>"$BLOG" 2>&1 || step_failed "$what"
}

step_failed() {
	log "FAILED: $1; last 30 lines of $BLOG:"
	tail -n 30 "$BLOG" | sed 's/^/    /' >&2
	die "$1 failed (log $BLOG)"
}

# The long make, with a progress line a minute (objects compiled so far)
# instead of twenty minutes of silence.
step_with_progress() {
	local what=$1 tree=$2 pid rc=0 t0 n
	shift 2
	t0=$(date +%s)
	"$@" >>"$BLOG" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for _ in $(seq 60); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		kill -0 "$pid" 2>/dev/null || break
		n=$(find "$tree" -name '*.o' -newer "$BLOG.start" 2>/dev/null | wc -l)
		log "  $what: $(( ($(date +%s) - t0) / 60 )) min, $n objects compiled"
	done
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] || step_failed "$what (exit $rc)"
}

# Compare the fragment against the resulting .config: every "CONFIG_X=v"
# must be present verbatim, every "# CONFIG_X is not set" must be unset.
check_config() {
	local cfg=$1 line sym want got bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			sym=${line%%=*}
			want=${line#*=}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			want=n
			;;
		*) continue ;;
		esac
		got=$(grep -E "^$sym=" "$cfg" | cut -d= -f2- || true)
		[ -n "$got" ] || got=n
		if [ "$got" != "$want" ]; then
			printf '  %-44s wanted %-20s got %s\n' "$sym" "$want" "$got" >&2
			bad=1
		fi
	done <"$FRAG"
	return $bad
}

do_build_kernel() {
	local key dir
	key=$(cache_key)
	dir=$CACHE/$key
	if [ -f "$dir/.complete" ]; then
		return 0
	fi
	if [ -e "$dir" ]; then
		log "removing incomplete build $dir"
		rm -rf "$dir"
	fi
	mkdir -p "$dir"
	# Until the stamp is written, any exit (failure, signal) removes the
	# entry, so that no later run finds a half-built tree; the log is kept
	# beside the cache for the post mortem.
	trap 'rc=$?; if [ ! -f "'"$dir"'/.complete" ]; then
		[ -f "'"$dir"'/build.log" ] && cp "'"$dir"'/build.log" "'"$CACHE"'/failed-build.log";
		rm -rf "'"$dir"'"; log "removed unfinished $dir (log kept as '"$CACHE"'/failed-build.log)"; fi; exit $rc' EXIT
	local t0 t1
	BLOG=$dir/build.log
	t0=$(date +%s)
	log "building debug kernel into $dir (log $BLOG); 12-20 min with -j$JOBS"
	{
		echo "# key $key"
		echo "# fragment $FRAG"
		date -u
	} >"$BLOG"
	log "extracting $SRC_TAR"
	step "extracting $SRC_TAR" tar -C "$dir" -xf "$SRC_TAR"
	local src
	src=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -n1)
	[ -n "$src" ] || die "no linux-source-* directory in $SRC_TAR"
	mv "$src" "$dir/linux"
	src=$dir/linux
	cp "$FRAG" "$dir/debug-kernel.config"

	local mk=(nice -n "$NICE" make -C "$src" -j"$JOBS")
	log "configuring"
	step "make x86_64_defconfig" "${mk[@]}" x86_64_defconfig
	step "merge_config.sh" sh -c 'cd "$1" && scripts/kconfig/merge_config.sh -m .config \
		kernel/configs/kvm_guest.config "$2"' sh "$src" "$dir/debug-kernel.config"
	step "make olddefconfig" "${mk[@]}" olddefconfig
	if ! check_config "$src/.config"; then
		die "the fragment did not survive olddefconfig (see above; $src/.config)"
	fi
	log "config OK: all $(grep -cE '^(CONFIG_|# CONFIG_.* is not set)' "$FRAG") fragment lines honoured"
	log "make -j$JOBS bzImage modules"
	touch "$BLOG.start"
	step_with_progress "make bzImage modules" "$src" "${mk[@]}" bzImage modules
	rm -f "$BLOG.start"
	step "modules_install" "${mk[@]}" modules_install INSTALL_MOD_PATH="$dir/mods" INSTALL_MOD_STRIP=1
	local kver
	kver=$(cat "$src/include/config/kernel.release")
	# the build/source links point into the cache; the guest does not need them
	rm -f "$dir/mods/lib/modules/$kver/build" "$dir/mods/lib/modules/$kver/source"
	t1=$(date +%s)
	echo "$((t1 - t0))" >"$dir/build-seconds"
	echo "$kver" >"$dir/kernel.release"
	log "debug kernel $kver built in $((t1 - t0)) s"
	# stamp last: everything above succeeded
	date -u >"$dir/.complete"
	trap - EXIT
}

build_kernel() {
	# before the key: the key names the installed linux-source version,
	# and on a fresh machine this installs it (a key computed without it
	# would differ from the one computed after the build)
	ensure_build_deps
	[ -f "$SRC_TAR" ] || die "no $SRC_TAR after installing linux-source-6.1"
	mkdir -p "$CACHE"
	local lockf
	lockf=$CACHE/.lock-$(cache_key)
	(
		flock 8
		do_build_kernel
	) 8>"$lockf"
	local dir
	dir=$CACHE/$(cache_key)
	[ -f "$dir/.complete" ] || die "debug kernel build did not complete"
	DK_DIR=$dir
	DK_KDIR=$dir/linux
	DK_KERNEL=$dir/linux/arch/x86/boot/bzImage
	DK_MODROOT=$dir/mods
	DK_KVER=$(cat "$dir/kernel.release")
}

# The debug tier builds and boots from a private copy of the tree, so its
# modules (built against the debug kernel, with KUnit) never replace the
# stock ones that a concurrent "vm.sh test" in the checkout is using.
DBG=${VM_DEBUG_BUILD_DIR:-$TT/build/debug}

sync_tree() {
	local dst=$DBG/tree
	mkdir -p "$dst"
	# scripts are not build products: drop deleted ones
	rm -rf "$dst/tools/testing/guest"
	(
		cd "$TOP"
		if git rev-parse --git-dir >/dev/null 2>&1; then
			# tracked and untracked files, minus those deleted meanwhile
			git ls-files -z -co --exclude-standard |
				xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh
		else
			find . -path ./tools/testing/build -prune -o -path ./.git -prune -o \
				-type f -print0
		fi
	) | (cd "$TOP" && cpio -0 -pdmu --quiet "$dst")
}

export_env() {
	export KDIR=$DK_KDIR VM_KERNEL=$DK_KERNEL VM_MODROOT=$DK_MODROOT
	export VM_BUILD_DIR=$DBG/build
	# KUnit suite compiled into cxlflash.ko (Kconfig: CXLFLASH_KUNIT_TEST)
	export EXTRA="${EXTRA:+$EXTRA }CONFIG_CXLFLASH_KUNIT_TEST=y"
	# the debug kernel is 3-20x slower and KASAN/kmemleak need memory; a
	# big log buffer keeps every report and the KUnit KTAP in dmesg
	export VM_MEM=${VM_MEM:-2048}
	export VM_APPEND="${VM_APPEND:+$VM_APPEND }log_buf_len=16M"
	sync_tree
	VM=$DBG/tree/tools/testing/vm.sh
}

# Kernel lines of the log (console and dmesg dump), each once.
klines() {
	grep -E '^\[ *[0-9]+\.[0-9]+\]' "$1" | awk '!seen[$0]++'
}

# Print every checker report in log $1 in full: from its headline to the
# end-of-report line (or 80 lines), each report once.
print_reports() {
	klines "$1" | awk '
		function flush() { if (n) { print "----"; for (i = 1; i <= n; i++) print buf[i] } n = 0; on = 0 }
		/BUG: KASAN|UBSAN:|WARNING: possible circular locking|WARNING: possible recursive locking|WARNING: inconsistent lock state|BUG: sleeping function|BUG: scheduling while atomic|WARNING: CPU:|WARNING: at |------------\[ cut here \]|blocked for more than|list_add corruption|list_del corruption|kmemleak: [0-9]+ new suspected|general protection fault|BUG: unable to handle|Kernel panic|refcount_t:/ {
			if (!on) { on = 1; n = 0 }
		}
		on { buf[++n] = $0
		     if ($0 ~ /end trace|^\[ *[0-9.]+\] =====+$/ && n > 3 || n >= 80) flush() }
		END { flush() }'
}

# KTAP of the KUnit case (between the markers of guest/debug/10-kunit.sh):
# prints "passed failed" counts of cxlflash suites; fails on "not ok".
check_ktap() {
	local k
	# the guest's dmesg dump has every level (the console only < 5)
	k=$(sed -n '/^@@VM-DMESG-BEGIN@@/,/^@@VM-DMESG-END@@/p' "$1" |
		sed -n '/cxlflash-kunit: load/,/cxlflash-kunit: end/p' |
		sed 's/^\[[^]]*\] //')
	local ok bad
	ok=$(printf '%s\n' "$k" | grep -Ec '^ *ok [0-9]+ (- )?cxlflash_' || true)
	bad=$(printf '%s\n' "$k" | grep -E '^ *not ok [0-9]+' || true)
	if [ -n "$bad" ]; then
		echo "# KUnit failures:"
		printf '%s\n' "$k" | grep -E 'not ok|FAILED|Expected|which is|but ' | sed 's/^/#   /'
		return 1
	fi
	[ "$ok" -ge 2 ] || { echo "# KUnit: $ok of 2 cxlflash suites reported ok"; return 1; }
	echo "# KUnit: $(printf '%s\n' "$k" | grep -Ec '^ +ok [0-9]+ ') cases ok in $ok suites"
}

cmd_test() {
	build_kernel
	export_env
	echo "# debug kernel $DK_KVER ($DK_DIR, built in $(cat "$DK_DIR/build-seconds") s)"
	local logf rc=0 t0 t1
	mkdir -p "$VM_BUILD_DIR/logs"
	logf=$VM_BUILD_DIR/logs/debug-suite-$(date +%Y%m%d-%H%M%S).log
	t0=$(date +%s)
	"$VM" build >&2 || die "vm.sh build failed for the debug kernel"
	VM_NOBUILD=1 "$VM" run -t "${VM_DEBUG_TIMEOUT:-3000}" -l "$logf" \
		"$DBG/tree/tools/testing/guest/debug-suite.sh" "$@" || rc=$?
	t1=$(date +%s)
	local pass fail
	read -r pass fail < <(awk '/^ok [0-9]+/ { p++ }
		/^not ok [0-9]+/ { if ($0 ~ /# *TODO/) p++; else f++ }
		END { printf "%d %d\n", p, f }' "$logf")
	if [ "$rc" = 0 ]; then
		echo "ok - debug kernel: clean exit, no KASAN/UBSAN/lockdep/kmemleak/hung-task/WARN report"
		pass=$((pass + 1))
	else
		echo "not ok - debug kernel: guest exit $rc or kernel reports (see $logf)"
		fail=$((fail + 1))
	fi
	if [ $# -eq 0 ]; then
		if check_ktap "$logf"; then
			echo "ok - debug kernel: KUnit KTAP of cxlflash.ko"
			pass=$((pass + 1))
		else
			echo "not ok - debug kernel: KUnit KTAP of cxlflash.ko"
			fail=$((fail + 1))
		fi
	fi
	local rep
	rep=$(print_reports "$logf")
	if [ -n "$rep" ]; then
		echo "# kernel reports (full text; log $logf):"
		printf '%s\n' "$rep" | sed 's/^/#   /'
	fi
	echo "# debug suite took $((t1 - t0)) s"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}

cmd=${1:-}
[ $# -eq 0 ] || shift
case "$cmd" in
build)
	build_kernel
	log "kernel $DK_KERNEL, modules $DK_MODROOT/lib/modules/$DK_KVER, KDIR $DK_KDIR"
	;;
env)
	build_kernel
	echo "KDIR=$DK_KDIR"
	echo "VM_KERNEL=$DK_KERNEL"
	echo "VM_MODROOT=$DK_MODROOT"
	;;
key) cache_key ;;
test) cmd_test "$@" ;;
run)
	build_kernel
	export_env
	exec "$VM" run "$@"
	;;
shell)
	build_kernel
	export_env
	exec "$VM" shell "$@"
	;;
*)
	sed -n '3,/^$/s/^# \{0,1\}//p' "$0"
	[ "$cmd" = -h ] || [ "$cmd" = --help ] || exit 1
	;;
esac
