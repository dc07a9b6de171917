#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vm.sh - build and boot a throw-away QEMU guest for cxlflash.
#
#   vm.sh deps                  install what the harness needs (Debian, apt)
#   vm.sh build                 modules + tools + base initramfs
#   vm.sh run [opts] SCRIPT [ARGS...]
#                               boot, run SCRIPT in the guest, exit with its code
#   vm.sh run [opts] -c 'CMD'   same with an inline shell command
#   vm.sh test                  build, ABI check, default guest suite (TAP),
#                               last line "N passed, N failed"
#   vm.sh demo                  build, boot, show the driver at work: a legacy
#                               disk, then superpipe I/O through libcflash
#                               (0 system calls) and a thin vLUN resized
#   vm.sh shell [opts]          interactive guest (busybox sh); "exit" powers off
#
# run/shell options:
#   -d DISK      attach DISK (raw image, created 256 MiB if missing) as /dev/vda
#   -t SECONDS   timeout (default 600, VM_TIMEOUT)
#   -m MIB       guest memory (default 1024, VM_MEM)
#   -a 'ARGS'    extra kernel command line
#   -l LOG       console log file (default build/logs/<script>-<time>.log)
#
# The guest is Debian's own kernel (newest /boot/vmlinuz-*, or VM_KERNEL) with
# an initramfs assembled here: busybox, Debian's modules (resolved with
# modprobe --show-depends), our two modules, fio/sg3_utils/lsscsi/e2fsprogs/
# strace and whatever tools/ builds.  The script under test travels in a
# small cpio appended to the base initramfs (with tools/testing/guest/ and
# the freshly built modules); its output comes back on the serial console,
# which is streamed to stdout and to a log.  /init prints the guest dmesg and
# a sentinel line "@@VM-EXIT rc=N@@" before powering off; the host exits with
# N, or non-zero when the kernel log shows a splat (BUG, WARNING, lockdep,
# KASAN, ...), when the guest crashed, or on timeout.
#
# Environment: KDIR (kernel build dir for the modules), VM_KERNEL (bzImage),
# VM_TIMEOUT, VM_MEM, VM_SMP, VM_APPEND, VM_NOBUILD=1 (run: do not rebuild),
# VM_SKIP_MODULES=1 (never make the modules; use whatever .ko exist),
# VM_MODULES_DIR=DIR (boot with the cxlflash*.ko found under DIR, e.g. the
# ones DKMS built in /lib/modules/<release>/updates/dkms; implies
# VM_SKIP_MODULES=1),
# VM_VERBOSE=1 (also echo the guest dmesg dump), VM_ACCEL (default tcg),
# VM_MODROOT (debug-kernel tier: the kernel's modules live under
# $VM_MODROOT/lib/modules/<release> instead of /lib/modules/<release>).

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TT=$TOP/tools/testing
B=${VM_BUILD_DIR:-$TT/build}
PROG=vm.sh

APT_PKGS=(qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
	  fio sg3-utils lsscsi e2fsprogs sparse cpio kmod strace xz-utils make
	  gcc libc6-dev gcc-multilib util-linux perl)

# Debian modules the guest may load (plus their dependencies).
GUEST_MODS=(sd_mod sg scsi_debug null_blk ext4 crc32c_generic crc32c_intel
	    configfs loop virtio_pci virtio_blk 9pnet_virtio 9p)

# Real binaries (not busybox) in the guest, with their libraries.
GUEST_BINS=(fio sg_inq sg_readcap sg_vpd sg_raw sg_dd sg_reset sg_turs sg_luns
	    sg_unmap sg_write_same sg_sync sg_requests sg_modes sg_map26 sg_senddiag
	    lsscsi mke2fs e2fsck dumpe2fs debugfs tune2fs fsck strace kmod
	    blkdiscard losetup blockdev)

die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*" >&2; }

# ---------------------------------------------------------------------------
# kernel selection

USER_KDIR=${KDIR:-}
# [debug-kernel tier] root of the module tree of the kernel under test;
# empty for Debian's kernel (/lib/modules).  See debug-kernel.sh.
MODROOT=${VM_MODROOT:-}
MODPROBE_D=()
[ -z "$MODROOT" ] || MODPROBE_D=(-d "$MODROOT")

pick_kver() {
	KDIR=$USER_KDIR
	if [ -n "$KDIR" ]; then
		[ -f "$KDIR/include/config/kernel.release" ] ||
			die "KDIR=$KDIR has no include/config/kernel.release"
		KVER=$(cat "$KDIR/include/config/kernel.release")
	else
		local k
		k=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)
		[ -n "$k" ] || return 1
		KVER=${k#/boot/vmlinuz-}
		KDIR=/lib/modules/$KVER/build
	fi
	KERNEL=${VM_KERNEL:-/boot/vmlinuz-$KVER}
	if [ -z "${VM_KERNEL:-}" ] && [ ! -e "$KERNEL" ] && [ -f "$KDIR/arch/x86/boot/bzImage" ]; then
		KERNEL=$KDIR/arch/x86/boot/bzImage
	fi
	return 0
}

# ---------------------------------------------------------------------------
# deps

pkg_missing() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed ||
			missing+=("$p")
	done
	echo "${missing[@]:-}"
}

apt_install() {
	local missing
	missing=$(pkg_missing "$@")
	[ -n "$missing" ] || return 0
	log "installing: $missing"
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

cmd_deps() {
	apt_install "${APT_PKGS[@]}"
	pick_kver || die "no kernel in /boot after installing linux-image-amd64"
	if [ ! -d "$KDIR" ]; then
		apt_install "linux-headers-$KVER"
		[ -d "$KDIR" ] || die "no headers for $KVER ($KDIR)"
	fi
	[ -r "$KERNEL" ] || die "kernel $KERNEL missing or unreadable"
}

# Fast check used by build/run: install only when something is missing.
ensure_deps() {
	local missing
	missing=$(pkg_missing "${APT_PKGS[@]}")
	if [ -n "$missing" ] || ! pick_kver || [ ! -d "$KDIR" ]; then
		cmd_deps
	fi
	pick_kver
}

# ---------------------------------------------------------------------------
# build

have_module_sources() {
	compgen -G "$TOP/*.c" >/dev/null || compgen -G "$TOP/sim/*.c" >/dev/null
}

build_modules() {
	have_module_sources || { log "no module sources yet, skipping module build"; return 0; }
	[ "${VM_SKIP_MODULES:-0}" != 1 ] || { log "VM_SKIP_MODULES=1: not building the modules"; return 0; }
	[ -z "${VM_MODULES_DIR:-}" ] || { log "VM_MODULES_DIR=$VM_MODULES_DIR: not building the modules"; return 0; }
	log "building cxlflash.ko and cxlflash_sim.ko against $KDIR (log $B/make-modules.log)"
	make -C "$TOP" -j"$(nproc)" KVER="$KVER" KDIR="$KDIR" modules >"$B/make-modules.log" 2>&1 || {
		tail -n 30 "$B/make-modules.log" >&2
		die "module build failed (log $B/make-modules.log)"
	}
	# a warning in our code is a failure, loudly (modpost's own notes for
	# the debug kernel's build are not ours)
	local warn
	warn=$(grep -E '^[^ ]*\.[ch]:[0-9]+:[0-9]+: (warning|error):' "$B/make-modules.log" || true)
	if [ -n "$warn" ]; then
		echo "$warn" >&2
		die "module build has compiler warnings (log $B/make-modules.log)"
	fi
	log "modules built: $(cd "$TOP" && ls -1 ./*.ko sim/*.ko 2>/dev/null | sed 's|^\./||' | tr '\n' ' ')"

}

# User-space trees under tools/ with a Makefile (the library, CLI, tests):
# the topmost Makefiles below tools/, libraries (tools/lib/) first.
tool_dirs() {
	local mk d p skip
	# (only this tree's build dir: the debug tier builds from a copy under it)
	find "$TOP/tools" -name Makefile -not -path "$TOP/tools/testing/build/*" | LC_ALL=C sort |
	while read -r mk; do
		d=$(dirname "$mk")
		case "$d" in
		"$TOP"/tools/abi|"$TOP"/tools/bench|"$TOP"/tools/testing/guest) continue ;;
		esac
		skip=0
		p=$(dirname "$d")
		while [ "$p" != "$TOP/tools" ] && [ "$p" != / ]; do
			if [ -f "$p/Makefile" ]; then skip=1; break; fi
			p=$(dirname "$p")
		done
		[ $skip = 1 ] || echo "$d"
	done | awk '{ print (index($0, "/tools/lib/") || $0 ~ /\/tools\/lib$/ ? 0 : 1) " " $0 }' |
		LC_ALL=C sort -k1,1n -k2 | cut -d' ' -f2-
}

# Build the tools and install them into $B/tools-root (DESTDIR, prefix
# /usr/local); trees without an install target contribute their ELF files.
build_tools() {
	local d root=$B/tools-root
	rm -rf "$root" "$B/tools-failed"
	mkdir -p "$root/usr/local/bin" "$root/usr/local/lib"
	for d in $(tool_dirs); do
		log "building ${d#"$TOP"/}"
		if ! make -C "$d" -j"$(nproc)" >"$B/make-$(basename "$d").log" 2>&1; then
			tail -n 20 "$B/make-$(basename "$d").log" >&2
			log "WARNING: build of ${d#"$TOP"/} failed; the guest will not have it"
			echo "${d#"$TOP"/}" >>"$B/tools-failed"
			continue
		fi
		if make -C "$d" -n install >/dev/null 2>&1 &&
		   make -C "$d" install DESTDIR="$root" PREFIX=/usr/local prefix=/usr/local \
			>>"$B/make-$(basename "$d").log" 2>&1; then
			# the guest needs programs and shared objects only
			rm -rf "$root/usr/local/include" "$root/usr/local/share" \
				"$root/usr/local/lib/pkgconfig"
			rm -f "$root"/usr/local/lib/*.a
			continue
		fi
		if make -C "$d" -n install >/dev/null 2>&1; then
			log "WARNING: 'make install' of ${d#"$TOP"/} failed (see $B/make-$(basename "$d").log);" \
			    "copying its ELF files instead"
		fi
		local f
		while IFS= read -r f; do
			case "$(head -c4 "$f" | od -An -c | tr -d ' ')" in
			177ELF) ;;
			*) continue ;;
			esac
			case "$f" in
			*.so|*.so.*) cp -a "$f" "$root/usr/local/lib/" ;;
			*.o|*.a) ;;
			*) if [ -x "$f" ]; then cp -a "$f" "$root/usr/local/bin/"; fi ;;
			esac
		done < <(find "$d" -type f \( -perm -u+x -o -name '*.so*' \) -not -path '*/.git/*')
	done
}

# Copy a host file into the tree at the same path, keeping symlinks
# (so that the merged-/usr links of the tree are honoured).
copy_path() {
	local root=$1 src=$2 real dst
	real=$(readlink -f "$src")
	dst=$root$src
	[ -e "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	if [ "$real" != "$src" ] && [ -L "$src" ]; then
		copy_path "$root" "$real"
		ln -sf "$real" "$dst" 2>/dev/null || true
	else
		cp -a "$src" "$dst"
	fi
}

copy_libs() {
	local root=$1 f lib
	shift
	for f in "$@"; do
		while read -r lib; do
			if [ -n "$lib" ] && [ -e "$lib" ]; then
				copy_path "$root" "$lib"
			fi
		done < <(ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }')
	done
}

build_base() {
	local root=$B/root tmp=$B/root.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,usr/local/lib,proc,sys,dev,tmp,run,mnt,root,etc,vm}
	ln -s usr/bin "$tmp/bin"
	ln -s usr/sbin "$tmp/sbin"
	ln -s usr/lib "$tmp/lib"
	ln -s usr/lib64 "$tmp/lib64"
	chmod 1777 "$tmp/tmp"

	# busybox and its applets (real binaries below override them)
	local bb
	bb=$(command -v busybox) || die "busybox not found"
	cp "$bb" "$tmp/usr/bin/busybox"
	local a
	for a in $("$tmp/usr/bin/busybox" --list-full); do
		[ -e "$tmp/$a" ] || [ -L "$tmp/$a" ] || ln -s /usr/bin/busybox "$tmp/$a"
	done

	# real binaries and their libraries
	local b p bins=()
	for b in "${GUEST_BINS[@]}"; do
		p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$b") || die "$b not found (vm.sh deps)"
		rm -f "$tmp/usr/bin/$b" "$tmp/usr/sbin/$b" "$tmp$p"
		cp -L "$p" "$tmp$p"
		bins+=("$p")
	done
	copy_libs "$tmp" "${bins[@]}"
	# e2fsprogs/kmod/util-linux names that point at the binaries above
	for a in mkfs.ext4 mkfs.ext2 mke2fs.ext4; do ln -sf mke2fs "$tmp/usr/sbin/$a"; done
	for a in fsck.ext4 fsck.ext2; do ln -sf e2fsck "$tmp/usr/sbin/$a"; done
	for a in modprobe insmod rmmod lsmod modinfo depmod; do
		rm -f "$tmp/usr/sbin/$a" "$tmp/usr/bin/$a"
		ln -s /usr/bin/kmod "$tmp/usr/sbin/$a"
	done
	if [ -f /etc/mke2fs.conf ]; then cp /etc/mke2fs.conf "$tmp/etc/"; fi
	# Debian's static busybox runs its own applet even when PATH has a real
	# binary of that name (FEATURE_SH_STANDALONE): shell functions in
	# /etc/vm-env.sh, sourced by every guest script, restore the real ones.
	{
		echo "# generated by vm.sh: prefer real binaries over busybox applets"
		local applets
		applets=" $("$tmp/usr/bin/busybox" --list | tr '\n' ' ') "
		for a in "${GUEST_BINS[@]}" modprobe insmod rmmod lsmod modinfo depmod; do
			case "$applets" in *" $a "*) ;; *) continue ;; esac
			for p in "$tmp"/usr/sbin/"$a" "$tmp"/usr/bin/"$a"; do
				if [ -e "$p" ] && [ ! "$p" -ef "$tmp/usr/bin/busybox" ]; then
					echo "$a() { ${p#"$tmp"} \"\$@\"; }"
					break
				fi
			done
		done
	} >"$tmp/etc/vm-env.sh"
	echo '. /etc/vm-env.sh' >"$tmp/etc/profile"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tmp/etc/passwd"
	printf 'root:x:0:\n' >"$tmp/etc/group"
	ln -s /proc/mounts "$tmp/etc/mtab"

	# Debian's modules
	local mdir=$tmp/lib/modules/$KVER m line f
	mkdir -p "$mdir"
	if [ -d "$MODROOT/lib/modules/$KVER/kernel" ]; then
		for m in "${GUEST_MODS[@]}"; do
			# a module the kernel lacks (e.g. crc32c_intel in the debug
			# kernel) must not end the pipeline under set -e/pipefail
			modprobe "${MODPROBE_D[@]}" -S "$KVER" --show-depends "$m" 2>/dev/null || true
		done | while read -r line; do
			case "$line" in insmod\ *) ;; *) continue ;; esac
			f=$(echo "$line" | awk '{print $2}')
			stage_module "$tmp" "$f"
		done
		cp "$MODROOT"/lib/modules/"$KVER"/modules.{order,builtin,builtin.modinfo} "$mdir/" 2>/dev/null || true
	else
		log "no /lib/modules/$KVER/kernel: assuming a kernel with the drivers built in"
	fi

	install -m 0755 "$TT/vm-init.sh" "$tmp/init"

	rm -rf "$root"
	mv "$tmp" "$root"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$B/base.cpio.tmp"
	mv "$B/base.cpio.tmp" "$B/base.cpio"
	echo "$KVER" >"$B/base.kver"
}

# Put module file $2 (host path, maybe .ko.xz/.ko.zst) into tree $1 uncompressed.
stage_module() {
	local root=$1 f=$2 dst
	dst=$root${f#"$MODROOT"}
	dst=${dst%.xz}
	dst=${dst%.zst}
	[ -e "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	case "$f" in
	*.xz) xz -dc "$f" >"$dst" ;;
	*.zst) zstd -qdc "$f" >"$dst" ;;
	*) cp "$f" "$dst" ;;
	esac
}

base_stale() {
	[ -f "$B/base.cpio" ] || return 0
	[ "$(cat "$B/base.kver" 2>/dev/null)" = "$KVER" ] || return 0
	[ "$B/base.cpio" -nt "$TT/vm.sh" ] || return 0
	[ "$B/base.cpio" -nt "$TT/vm-init.sh" ] || return 0
	return 1
}

with_lock() {
	mkdir -p "$B"
	exec 9>"$B/.lock"
	flock 9
	"$@"
	flock -u 9
}

do_build() {
	ensure_deps
	mkdir -p "$B/logs"
	build_modules
	build_tools
	if [ "${1:-}" = force ] || base_stale; then
		log "assembling base initramfs for $KVER"
		build_base
	fi
}

cmd_build() {
	with_lock do_build force
	log "built: $(du -h "$B/base.cpio" | cut -f1) base initramfs, kernel $KERNEL"
	local k
	for k in "$TOP"/*.ko "$TOP"/sim/*.ko; do [ -f "$k" ] && log "module: ${k#"$TOP"/}"; done
	return 0
}

# ---------------------------------------------------------------------------
# run

# Our modules' dependencies that the base initramfs may not have.
stage_our_modules() {
	local root=$1 k dep f
	local mdir=$root/lib/modules/$KVER
	mkdir -p "$mdir/extra"
	if [ -n "${VM_MODULES_DIR:-}" ]; then
		local n=0
		while IFS= read -r k; do
			case "$k" in
			*.ko.xz) xz -dc "$k" >"$mdir/extra/$(basename "$k" .xz)" ;;
			*.ko.zst) zstd -qdc "$k" >"$mdir/extra/$(basename "$k" .zst)" ;;
			*) cp "$k" "$mdir/extra/" ;;
			esac
			n=$((n + 1))
		done < <(find "$VM_MODULES_DIR" -name 'cxlflash*.ko*' -type f)
		[ "$n" -ge 2 ] || die "VM_MODULES_DIR=$VM_MODULES_DIR: found $n cxlflash modules, want 2"
		log "modules from $VM_MODULES_DIR: $(ls "$mdir/extra" | tr '\n' ' ')"
	else
		for k in "$TOP"/*.ko "$TOP"/sim/*.ko; do
			[ -f "$k" ] || continue
			cp "$k" "$mdir/extra/"
		done
	fi
	# hard-link the base module tree so depmod sees everything
	cp -al "$B/root/lib/modules/$KVER/." "$mdir/"
	if compgen -G "$mdir/extra/*.ko" >/dev/null && [ -d "$MODROOT/lib/modules/$KVER/kernel" ]; then
		for k in "$mdir"/extra/*.ko; do
			for dep in $(modinfo -F depends "$k" | tr , ' '); do
				case "$dep" in cxlflash*) continue ;; esac
				modprobe "${MODPROBE_D[@]}" -S "$KVER" --show-depends "$dep" 2>/dev/null |
				while read -r _ f _; do
					if [ -e "$f" ]; then
						stage_module "$root" "$f"
					fi
				done
			done
		done
	fi
	depmod -b "$root" "$KVER" 2>"$B/depmod.err" || { cat "$B/depmod.err" >&2; die "depmod failed"; }
}

# Patterns in the kernel log that fail a run.
# Lines that match BAD_RE but are no problem: debug-kernel boot banners.
BENIGN_RE='kmemleak: Kernel memory leak detector initialized|kmemleak: Automatic memory scanning thread started|RCU lockdep checking is enabled'
# Kernel console lines that are expected and say nothing about the driver:
# the log keeps them, the terminal does not (VM_VERBOSE=1 shows them).
NOISE_RE='ACPI|PCI: MMCONFIG|MMCONFIG|clocksource|[Tt][Ss][Cc]|timekeeping watchdog|Marking .* unstable|watchdog.*skew|cs_watchdog|cs_nsec|Power-on or device reset occurred|Unit Attention|unstable|tsc-early|Spectre|MDS|MMIO Stale|RETBleed|x86/fpu|i8042|input: |platform regulatory|Warning: unable to open an initial console|random: crng|Freeing unused|Write protecting|Run /init|Loaded X.509|Key type|NET: Registered|Initializing XFRM|Btrfs|intel_pstate|cpuidle|PM: |workingset|zbud|fb0|amd_pstate'

BAD_RE='BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|possible circular locking|lockdep|kmemleak|hung_task:|blocked for more than|list_add corruption|list_del corruption|general protection fault|Kernel panic|RCU stall|rcu_sched self-detected stall|soft lockup|hard LOCKUP|refcount_t:|BAD page|page allocation failure'

# [debug-kernel tier] Fault-injection tests (guest/debug/80-fault.sh)
# bracket their work with kernel log lines "cxlflash-fi: window begin/end";
# inside those windows the expected echoes of an injected allocation
# failure (warn_alloc's "page allocation failure" and its stack dump) are
# not problems, nor is the kmemleak scan that forgets the boot's own leaks
# before our modules load (guest/debug/00-checkers.sh).  Every other report
# (KASAN, WARNING, lockdep, ...) still is, inside the windows too.
# So are the stack frames of those dumps (they name lockdep_* functions),
# kmemleak's own "Cannot allocate a scan area", and a kernel-core WARN:
# remove_proc_entry of /proc/irq/N entries that register_irq_proc could not
# create (it ignores errors).
FI_EXPECTED_RE='page allocation failure|Call Trace|\] +(\? )?[A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+|FAULT_INJECTION|vmalloc error|kmemleak: [0-9]+ new suspected memory leaks|kmemleak: Cannot allocate a scan area|WARNING: CPU: [0-9]+ PID: [0-9]+ at fs/proc/generic.c:[0-9]+ remove_proc_entry'
drop_fi_expected() {
	awk -v re="$FI_EXPECTED_RE" '
		function ts(l) { sub(/^\[ */, "", l); sub(/\].*/, "", l); return l + 0 }
		NR == FNR {
			if ($0 ~ /cxlflash-fi: window begin/) { b[++n] = ts($0); e[n] = 1e12 }
			else if ($0 ~ /cxlflash-fi: window end/ && n) e[n] = ts($0)
			next
		}
		$0 ~ re { t = ts($0); for (i = 1; i <= n; i++) if (t >= b[i] && t <= e[i]) next }
		{ print }' "$1" -
}

cmd_run() {
	local disk='' timeout=${VM_TIMEOUT:-600} mem=${VM_MEM:-1024} append=${VM_APPEND:-}
	local logf='' inline='' mode=script opt
	OPTIND=1
	while getopts "d:t:m:a:l:c:s" opt; do
		case "$opt" in
		d) disk=$OPTARG ;;
		t) timeout=$OPTARG ;;
		m) mem=$OPTARG ;;
		a) append="$append $OPTARG" ;;
		l) logf=$OPTARG ;;
		c) inline=$OPTARG ;;
		s) mode=shell ;;
		*) die "bad option" ;;
		esac
	done
	shift $((OPTIND - 1))
	local script='' name
	if [ "$mode" = shell ]; then
		name=shell
	elif [ -n "$inline" ]; then
		name=cmd
	else
		[ $# -ge 1 ] || die "usage: vm.sh run [-d DISK] [-t SEC] SCRIPT [ARGS...] | -c CMD"
		script=$1
		shift
		[ -f "$script" ] || die "no such script: $script"
		name=$(basename "$script" .sh)
	fi

	ensure_deps
	mkdir -p "$B/logs"
	if [ "${VM_NOBUILD:-0}" != 1 ]; then
		with_lock do_build
	elif [ ! -f "$B/base.cpio" ]; then
		with_lock do_build
	fi

	# leftovers of runs killed hard (no run lasts two hours)
	find "$B" -maxdepth 1 -name 'run.*' -mmin +120 -exec rm -rf {} + 2>/dev/null || true
	local rd
	rd=$(mktemp -d "$B/run.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$rd'" EXIT
	local ovl=$rd/ovl
	mkdir -p "$ovl/vm"
	cp -a "$TT/guest" "$ovl/vm/guest" 2>/dev/null || mkdir -p "$ovl/vm/guest"
	if [ -d "$TOP/tools/bench" ]; then cp -a "$TOP/tools/bench" "$ovl/vm/bench"; fi
	if [ -d "$B/tools-root" ]; then
		cp -a "$B/tools-root/." "$ovl/"
		local bins=()
		mapfile -t bins < <(find "$B/tools-root" -type f \( -perm -u+x -o -name '*.so*' \))
		[ ${#bins[@]} -eq 0 ] || copy_libs "$ovl" "${bins[@]}"
	fi
	stage_our_modules "$ovl"
	echo "$mode" >"$ovl/vm/mode"
	if [ -n "$inline" ]; then
		printf '%s\n' "$inline" >"$ovl/vm/script"
	elif [ -n "$script" ]; then
		cp "$script" "$ovl/vm/script"
	fi
	: >"$ovl/vm/args"
	local a
	for a in "$@"; do printf '%s\n' "$a" >>"$ovl/vm/args"; done
	(cd "$ovl" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$rd/ovl.cpio"
	cat "$B/base.cpio" "$rd/ovl.cpio" >"$rd/initrd"

	local bios=${VM_BIOS-}
	# qboot (when QEMU ships it) boots ~0.5 s faster than SeaBIOS
	if [ -z "${VM_BIOS+x}" ] && [ -f /usr/share/qemu/qboot.rom ]; then
		bios=qboot.rom
	fi
	# a soft lockup, an RCU stall (what a CPU spinning with preemption off
	# shows first here) or a task hung for 120 s panics the guest (panic=-1 with
	# -no-reboot ends QEMU), so the boot fails at once with the backtraces
	# of every CPU in its log instead of running on to the boot's timeout
	local watchdog="softlockup_panic=1 softlockup_all_cpu_backtrace=1 hung_task_panic=1 sysctl.kernel.panic_on_rcu_stall=1"
	local qemu=(qemu-system-x86_64 -accel "${VM_ACCEL:-tcg}" -cpu max,la57=off -m "$mem"
		    -smp "${VM_SMP:-2}" -nographic -no-reboot -nic none ${bios:+-bios "$bios"}
		    -kernel "$KERNEL" -initrd "$rd/initrd"
		    -append "console=ttyS0 panic=-1 oops=panic $watchdog quiet loglevel=5 $append")
	if [ -n "$disk" ]; then
		if [ ! -e "$disk" ]; then
			truncate -s 256M "$disk"
		fi
		qemu+=(-drive "file=$disk,if=virtio,format=raw,cache=writeback")
	fi

	if [ "$mode" = shell ]; then
		"${qemu[@]}" || true
		rm -rf "$rd"
		trap - EXIT
		return 0
	fi

	[ -n "$logf" ] || logf=$B/logs/$name-$(date +%Y%m%d-%H%M%S)-$$.log
	mkdir -p "$(dirname "$logf")"
	ln -sfn "$logf" "$B/logs/last.log"
	local t0 t1 qrc
	t0=$(date +%s.%N)
	set +e
	timeout -k 5 "$timeout" "${qemu[@]}" </dev/null 2>&1 |
		tr -d '\r' | tee "$logf" |
		awk -v v="${VM_VERBOSE:-0}" -v bad="$BAD_RE" -v noise="$NOISE_RE" '
			/^@@VM-DMESG-BEGIN@@/ { if (!v) { skip = 1; print "[guest dmesg: see log]" ; next } }
			/^@@VM-DMESG-END@@/ { if (skip) { skip = 0; next } }
			# boot chatter and expected device resets stay in the log only
			!v && /^\[ *[0-9]+\.[0-9]+\]/ && $0 ~ noise && $0 !~ bad { quiet++; next }
			!skip { print; fflush() }
			END { if (quiet) print "[" quiet " lines of kernel boot/reset chatter: see log]" }'
	qrc=${PIPESTATUS[0]}
	set -e
	t1=$(date +%s.%N)
	local secs
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

	local rc
	rc=$(sed -n 's/^@@VM-EXIT rc=\([0-9]*\)@@.*/\1/p' "$logf" | tail -n1)
	# kernel lines only (console and the dmesg dump), each splat once, with
	# the three lines before it (the headline of a WARN or dump_stack)
	local bad
	bad=$(grep -E '^\[ *[0-9]+\.[0-9]+\]' "$logf" | awk '!seen[$0]++' |
		drop_fi_expected "$logf" | grep -Ev "$BENIGN_RE" |
		grep -E -B3 "$BAD_RE" | head -n 30 || true)
	if [ -z "$rc" ]; then
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			log "TIMEOUT after ${timeout}s ($logf)"
			rc=124
		else
			log "guest died without an exit status (crash?) ($logf)"
			rc=125
		fi
	fi
	if [ -n "$bad" ]; then
		log "kernel log shows problems:"
		echo "$bad" | sed 's/^/    /' >&2
		[ "$rc" != 0 ] || rc=126
	fi
	log "guest exit $rc after ${secs}s, log $logf"
	rm -rf "$rd"
	trap - EXIT
	return "$rc"
}

# ---------------------------------------------------------------------------
# test / demo

count_tap() {
	# prints "passed failed skipped" for the TAP lines in log $1
	awk '/^ok [0-9]+/ { p++; if ($0 ~ /# *SKIP/) s++ }
	     /^not ok [0-9]+/ { if ($0 ~ /# *TODO/) p++; else f++ }
	     END { printf "%d %d %d\n", p, f, s }' "$1"
}

cmd_test() {
	local pass=0 fail=0 skip=0 p f s rc
	ensure_deps
	with_lock do_build
	have_module_sources || log "WARNING: no module sources; the guest suite will fail"

	echo "# host: ABI check (make -C tools/abi check)"
	if make -s -C "$TOP/tools/abi" check; then
		echo "ok - host: uapi ABI matches the historical header"
		pass=$((pass + 1))
	else
		echo "not ok - host: uapi ABI matches the historical header"
		fail=$((fail + 1))
	fi

	local d
	if [ -f "$B/tools-failed" ]; then
		while read -r d; do
			echo "not ok - host: build of $d"
			fail=$((fail + 1))
		done <"$B/tools-failed"
	fi
	for d in $(tool_dirs); do
		make -s -C "$d" -n test >/dev/null 2>&1 || continue
		echo "# host: make -C ${d#"$TOP"/} test"
		if make -s -C "$d" test >"$B/host-test-$(basename "$d").log" 2>&1; then
			echo "ok - host: ${d#"$TOP"/} unit tests"
			pass=$((pass + 1))
		else
			tail -n 20 "$B/host-test-$(basename "$d").log" | sed 's/^/#   /'
			echo "not ok - host: ${d#"$TOP"/} unit tests"
			fail=$((fail + 1))
		fi
	done

	# persistent disk of the two boots, private to this run
	local disk=$B/persist-$$.img
	rm -f "$disk"
	truncate -s 256M "$disk"
	local boot args
	for boot in 1 2; do
		local logf
		logf=$B/logs/test-boot$boot-$(date +%Y%m%d-%H%M%S).log
		args=()
		[ $boot = 1 ] && args=("$TT/guest/suite.sh") || args=("$TT/guest/persist-boot2.sh")
		rc=0
		# shellcheck disable=SC2086 # VM_TEST_ARGS: extra suite arguments, e.g. "-k fio"
		VM_NOBUILD=1 cmd_run -d "$disk" -t "${VM_TEST_TIMEOUT:-1800}" -l "$logf" "${args[@]}" ${VM_TEST_ARGS:-} || rc=$?
		read -r p f s < <(count_tap "$logf")
		pass=$((pass + p))
		fail=$((fail + f))
		skip=$((skip + s))
		if [ "$rc" = 0 ]; then
			echo "ok - boot $boot: clean exit and kernel log"
			pass=$((pass + 1))
		else
			echo "not ok - boot $boot: guest exit $rc or kernel log problems (see $logf)"
			fail=$((fail + 1))
		fi
	done
	rm -f "$disk"
	[ "$skip" = 0 ] || echo "# $skip skipped (counted as passed)"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}

cmd_demo() {
	local t0 rc=0 f
	t0=$(date +%s)
	with_lock do_build
	# the demo runs the CLI and the libcflash examples (make install of
	# tools/cxlflashctl and tools/lib/cflash)
	for f in sbin/cxlflashctl libexec/libcflash/examples/pattern libexec/libcflash/examples/thin; do
		[ -x "$B/tools-root/usr/local/$f" ] || die "demo needs /usr/local/$f in the guest: not built (see $B/make-*.log)"
	done
	VM_NOBUILD=1 cmd_run -t "${VM_TIMEOUT:-300}" "$TT/guest/demo.sh" || rc=$?
	log "demo: exit $rc after $(($(date +%s) - t0)) s (build included)"
	return "$rc"
}

usage() {
	sed -n '3,/^$/s/^# \{0,1\}//p' "$0" | sed -n '1,40p'
	exit "${1:-0}"
}

main() {
	local cmd=${1:-}
	[ -n "$cmd" ] || usage 1
	shift
	case "$cmd" in
	deps) cmd_deps ;;
	build) cmd_build ;;
	run) cmd_run "$@" ;;
	shell) cmd_run -s "$@" ;;
	test) cmd_test "$@" ;;
	demo) cmd_demo "$@" ;;
	-h|--help|help) usage 0 ;;
	*) usage 1 ;;
	esac
}

# Everything above is definitions: bash has read it all before main runs,
# and "exit" on the same line keeps it from reading on, so editing this file
# while a long run is in progress cannot derail that run.
main "$@"; exit $?
