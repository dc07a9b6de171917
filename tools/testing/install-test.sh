#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# install-test.sh - host-side checks of the install targets and packages.
#
#   tools/testing/install-test.sh [--no-deb] [--no-lintian] [--dkms]
#
#   1. make install INSTALL_MOD_PATH=$tmp and DESTDIR=$tmp: both modules
#      land under lib/modules/<release>/extra with the right vermagic;
#      make uninstall removes them
#   2. make dkms-src DESTDIR=$tmp: the staged DKMS source tree builds both
#      modules on its own (so the source list, which comes from Kbuild, is
#      complete); dkms.conf, debian/changelog and VERSION agree
#   3. make -C tools install DESTDIR=$tmp PREFIX=/usr: library, header,
#      pkg-config file, man pages, examples, cxlflashctl; an example builds
#      with "pkg-config --cflags --libs libcflash" alone and runs;
#      make -C tools uninstall leaves no file behind
#   4. dpkg-buildpackage -us -uc -b in a copy of the tree (outputs under
#      $tmp only): the four packages exist with the expected file lists
#      (dpkg -c); lintian (unless --no-lintian) reports no error
#   --dkms: also dkms add/build/install on this machine for the newest
#      kernel with headers, check "dkms status" says installed, then
#      dkms remove (changes the system; needs root and dkms)
#   --dkms-vm: --dkms, and (5.) dpkg -i the four packages built in 4.:
#      cxlflash-dkms's postinst has DKMS build the modules, "dkms status"
#      says installed, the VM harness boots those modules (VM_MODULES_DIR)
#      and the legacy guest cases pass, an example builds with pkg-config
#      against the installed libcflash-dev; then all four are purged
#      (with --no-deb the VM boot uses the dkms add/build/install modules)
#
# KDIR selects the kernel build dir (default: newest /lib/modules/*/build).
# TAP-like output; last line "N passed, N failed"; exit 1 on a failure.
# Keeps nothing: $tmp is removed at exit (INSTALL_TEST_KEEP=1 keeps it).

set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# What this stage needs, whatever else is installed (checked one by one).
PKGS=(make gcc libc6-dev kmod pkg-config linux-headers-amd64 debhelper dh-dkms
      dkms lintian dpkg-dev fakeroot)
need_pkgs() {
	local p missing=()
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "# installing ${missing[*]}"
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}
# fd 3 stays the terminal while check() sends a step's output to the log
exec 3>&1

need_pkgs || { echo "install-test.sh: cannot install ${PKGS[*]}" >&2; exit 1; }

DEB=1 LINTIAN=1 DKMS=0 DKMS_VM=0
for a in "$@"; do
	case "$a" in
	--no-deb) DEB=0 ;;
	--no-lintian) LINTIAN=0 ;;
	--dkms) DKMS=1 ;;
	--dkms-vm) DKMS=1 DKMS_VM=1 ;;
	-h|--help) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "install-test.sh: unknown option $a" >&2; exit 2 ;;
	esac
done

tmp=$(mktemp -d /tmp/cxlflash-install-test.XXXXXX)
[ "${INSTALL_TEST_KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() {	# check DESCRIPTION CMD...
	local d=$1
	shift
	if "$@" >>"$tmp/log" 2>&1; then ok "$d"; else nok "$d"; tail -n 15 "$tmp/log" | sed 's/^/#   /'; fi
}
# files_are DESC EXPECTED_FILE ACTUAL_FILE: sorted lists equal
files_are() {
	if diff -u "$2" "$3" >"$tmp/diff"; then ok "$1"; else nok "$1"; sed 's/^/#   /' "$tmp/diff"; fi
}

KVER=${KVER:-$(ls -1 /lib/modules 2>/dev/null | sort -V | tail -n1)}
KDIR=${KDIR:-/lib/modules/$KVER/build}
KREL=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$KDIR/include/generated/utsrelease.h" 2>/dev/null)
VERSION=$(cat "$TOP/VERSION")
echo "# kernel $KREL ($KDIR), version $VERSION, scratch $tmp"
: >"$tmp/log"

# ---- 1. modules ---------------------------------------------------------
mods_ok() {	# mods_ok ROOT: both modules, right vermagic, nothing else
	local r=$1/lib/modules/$KREL/extra m
	for m in cxlflash.ko sim/cxlflash_sim.ko; do
		[ -f "$r/$m" ] || { echo "missing $r/$m"; return 1; }
		modinfo -F vermagic "$r/$m" | grep -q "^$KREL " ||
			{ echo "$m: vermagic $(modinfo -F vermagic "$r/$m")"; return 1; }
	done
}
no_mods() { [ -z "$(find "$1/lib/modules/$KREL" -name '*.ko*' 2>/dev/null)" ]; }
check "make install INSTALL_MOD_PATH=" make -C "$TOP" KDIR="$KDIR" install INSTALL_MOD_PATH="$tmp/m1"
check "modules under INSTALL_MOD_PATH/lib/modules/$KREL/extra" mods_ok "$tmp/m1"
check "make install DESTDIR=" make -C "$TOP" KDIR="$KDIR" install DESTDIR="$tmp/m2"
check "modules under DESTDIR/lib/modules/$KREL/extra" mods_ok "$tmp/m2"
check "make uninstall DESTDIR=" make -C "$TOP" KDIR="$KDIR" uninstall DESTDIR="$tmp/m2"
check "make uninstall removed both modules" no_mods "$tmp/m2"

# ---- 2. DKMS sources ----------------------------------------------------
src=$tmp/dkms/usr/src/cxlflash-$VERSION
versions_agree() {
	local d c
	d=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
	c=$(sed -n '1s/^[^ ]* (\([^)-]*\).*/\1/p' "$TOP/debian/changelog")
	echo "VERSION $VERSION dkms.conf $d debian/changelog $c"
	[ "$d" = "$VERSION" ] && [ "$c" = "$VERSION" ]
}
check "VERSION = dkms.conf PACKAGE_VERSION = debian/changelog" versions_agree
check "make dkms-src DESTDIR=" make -C "$TOP" dkms-src DESTDIR="$tmp/dkms"
staged_builds() {
	make -C "$src" KDIR="$KDIR" modules &&
		[ -f "$src/cxlflash.ko" ] && [ -f "$src/sim/cxlflash_sim.ko" ]
}
check "the staged DKMS source tree builds both modules (Kbuild's list is complete)" staged_builds
grep -q '^AUTOINSTALL="yes"' "$TOP/dkms.conf" && ok "dkms.conf: AUTOINSTALL=yes" || nok "dkms.conf: AUTOINSTALL=yes"

if [ "$DKMS" = 1 ]; then
	dkms_cycle() {
		local s=/usr/src/cxlflash-$VERSION
		[ ! -e "$s" ] || { echo "$s exists: not touching it"; return 1; }
		make -C "$TOP" dkms-src >/dev/null &&
		dkms add "cxlflash/$VERSION" &&
		dkms build "cxlflash/$VERSION" -k "$KREL" &&
		dkms install "cxlflash/$VERSION" -k "$KREL" &&
		dkms status "cxlflash/$VERSION" -k "$KREL" | tee "$tmp/dkms-status" &&
		grep -q ': installed' "$tmp/dkms-status" &&
		modinfo -k "$KREL" -F filename cxlflash cxlflash_sim | grep -c updates/dkms | grep -qx 2
		local rc=$?
		# (with the packages built, step 5 boots the package's modules)
		if [ $rc = 0 ] && [ "$DKMS_VM" = 1 ] && [ "$DEB" = 0 ]; then
			# the legacy cases of the guest suite on the modules DKMS built
			mkdir -p "$tmp/dkms-mods"
			cp "$(modinfo -k "$KREL" -F filename cxlflash)" \
			   "$(modinfo -k "$KREL" -F filename cxlflash_sim)" "$tmp/dkms-mods/"
			VM_MODULES_DIR=$tmp/dkms-mods VM_BUILD_DIR=$tmp/vm-build \
				"$TOP/tools/testing/vm.sh" run -l "$tmp/dkms-vm.log" \
				"$TOP/tools/testing/guest/suite.sh" -k "$LEGACY_CASES" >"$tmp/dkms-vm.out" 2>&1
			rc=$?
			# (fd 3: the terminal; check() logs stdout)
			grep -E '^(ok|not ok) |passed, ' "$tmp/dkms-vm.out" | sed 's/^/#   dkms-vm: /' >&3
			grep -q 'modules from' "$tmp/dkms-vm.out" || rc=1
			if [ $rc != 0 ]; then
				tail -n 30 "$tmp/dkms-vm.out" | sed 's/^/#   dkms-vm: /' >&3
				cp "$tmp/dkms-vm.log" "${TMPDIR:-/tmp}/install-test-dkms-vm.log" 2>/dev/null
				echo "#   dkms-vm: guest log kept as ${TMPDIR:-/tmp}/install-test-dkms-vm.log" >&3
			fi
		fi
		dkms remove "cxlflash/$VERSION" --all >/dev/null 2>&1
		rm -rf "$s"
		return $rc
	}
	# the legacy cases: load, disks, INQUIRY/VPD/capacity, sense, sysfs,
	# data, ext4, fio
	LEGACY_CASES='^t_(load_default|count|channels|inquiry|wwid|capacity|read_beyond|write_beyond|bad_opcode|beyond_block|host_attrs|dev_mode|rw_offsets|cross_port|isolation|unwritten_zero|ext4|libaio_4k_1|uring_4k_32)$'
	if [ "$DKMS_VM" = 1 ] && [ "$DEB" = 0 ]; then
		check "dkms install for $KREL, dkms status installed, VM boots the DKMS-built modules and the legacy cases pass (then removed)" dkms_cycle
	else
		check "dkms add/build/install for $KREL: dkms status says installed (then removed)" dkms_cycle
	fi
fi

# ---- 3. user space ------------------------------------------------------
T=$tmp/tools
check "make -C tools install DESTDIR= PREFIX=/usr" make -C "$TOP/tools" install DESTDIR="$T" PREFIX=/usr
cat >"$tmp/tools.want" <<EOW
usr/include/cflash.h
usr/lib/libcflash.a
usr/lib/libcflash.so
usr/lib/libcflash.so.1
usr/lib/pkgconfig/libcflash.pc
usr/libexec/libcflash/examples/pattern
usr/libexec/libcflash/examples/thin
usr/sbin/cxlflashctl
usr/share/man/man8/cxlflashctl.8
$(cd "$TOP/tools/lib/cflash/man" && ls -1 ./*.3 | sed 's|^\./|usr/share/man/man3/|')
EOW
LC_ALL=C sort -o "$tmp/tools.want" "$tmp/tools.want"
(cd "$T" && find . \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort) >"$tmp/tools.have"
files_are "tools install: file list" "$tmp/tools.want" "$tmp/tools.have"
pc_ok() {
	grep -qx "Version: $VERSION" "$T/usr/lib/pkgconfig/libcflash.pc" &&
	grep -qx 'libdir=/usr/lib' "$T/usr/lib/pkgconfig/libcflash.pc" &&
	[ "$(readlink "$T/usr/lib/libcflash.so")" = libcflash.so.1 ] &&
	objdump -p "$T/usr/lib/libcflash.so.1" | grep -q 'SONAME *libcflash.so.1'
}
check "libcflash.pc version $VERSION, libdir, soname, .so link" pc_ok
pkgconfig_example() {
	local b=$tmp/ex
	mkdir -p "$b" && cp "$TOP"/tools/lib/cflash/examples/*.c "$TOP/tools/lib/cflash/examples/Makefile" "$b/" &&
	PKG_CONFIG_PATH=$T/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$T make -C "$b" PKGCONFIG=1 &&
	LD_LIBRARY_PATH=$T/usr/lib "$b/pattern" -h | grep -q usage &&
	LD_LIBRARY_PATH=$T/usr/lib ldd "$b/pattern" | grep -q "$T/usr/lib/libcflash.so.1"
}
check "examples build with pkg-config --cflags --libs libcflash alone, link the installed .so" pkgconfig_example
check "installed cxlflashctl status --help" sh -c "'$T/usr/sbin/cxlflashctl' status --help | grep -q 'usage: cxlflashctl status'"
check "make -C tools uninstall" make -C "$TOP/tools" uninstall DESTDIR="$T" PREFIX=/usr
left=$(find "$T" \( -type f -o -type l \) | sed "s|^$T/||")
[ -z "$left" ] && ok "tools uninstall leaves no file" || { nok "tools uninstall leaves no file"; echo "$left" | sed 's/^/#   /'; }

# ---- 4. Debian packages -------------------------------------------------
if [ "$DEB" = 1 ]; then
	b=$tmp/deb
	mkdir -p "$b/src"
	(cd "$TOP" && git ls-files -co --exclude-standard | tar -cf - -T -) | tar -xf - -C "$b/src"
	check "dpkg-buildpackage -us -uc -b" sh -c "cd '$b/src' && dpkg-buildpackage -us -uc -b"
	debfiles() { dpkg -c "$1" | awk '{ print $6 }' | grep -v '/$' | sed 's|^\./||' | LC_ALL=C sort; }
	A=$(dpkg-architecture -qDEB_HOST_ARCH)
	MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
	for p in cxlflash-dkms:all libcflash1:$A libcflash-dev:$A cxlflash-tools:$A; do
		f=$b/${p%%:*}_${VERSION}_${p##*:}.deb
		[ -f "$f" ] && ok "package ${f##*/} built" || nok "package ${f##*/} built"
	done
	if [ -f "$b/libcflash1_${VERSION}_$A.deb" ]; then
		printf '%s\n' "usr/lib/$MA/libcflash.so.1" usr/share/doc/libcflash1/changelog.gz \
			usr/share/doc/libcflash1/copyright | LC_ALL=C sort >"$tmp/w1"
		debfiles "$b/libcflash1_${VERSION}_$A.deb" >"$tmp/h1"
		files_are "libcflash1 file list" "$tmp/w1" "$tmp/h1"
	fi
	if [ -f "$b/libcflash-dev_${VERSION}_$A.deb" ]; then
		{ printf '%s\n' usr/include/cflash.h "usr/lib/$MA/libcflash.a" "usr/lib/$MA/libcflash.so" \
			"usr/lib/$MA/pkgconfig/libcflash.pc" usr/share/doc/libcflash-dev/changelog.gz \
			usr/share/doc/libcflash-dev/copyright usr/share/doc/libcflash-dev/examples/Makefile \
			usr/share/doc/libcflash-dev/examples/pattern.c usr/share/doc/libcflash-dev/examples/thin.c
		  (cd "$TOP/tools/lib/cflash/man" && ls -1 ./*.3 | sed 's|^\./\(.*\)|usr/share/man/man3/\1.gz|')
		} | LC_ALL=C sort >"$tmp/w2"
		debfiles "$b/libcflash-dev_${VERSION}_$A.deb" >"$tmp/h2"
		files_are "libcflash-dev file list" "$tmp/w2" "$tmp/h2"
		dep=$(dpkg-deb -f "$b/libcflash-dev_${VERSION}_$A.deb" Depends)
		case ", $dep," in *", libcflash1 (= $VERSION),"*) true ;; *) false ;; esac &&
			ok "libcflash-dev depends on libcflash1 (= $VERSION)" || nok "libcflash-dev depends on libcflash1 (= $VERSION)"
	fi
	if [ -f "$b/cxlflash-tools_${VERSION}_$A.deb" ]; then
		printf '%s\n' usr/sbin/cxlflashctl usr/share/man/man8/cxlflashctl.8.gz \
			usr/share/doc/cxlflash-tools/changelog.gz usr/share/doc/cxlflash-tools/copyright |
			LC_ALL=C sort >"$tmp/w3"
		debfiles "$b/cxlflash-tools_${VERSION}_$A.deb" >"$tmp/h3"
		files_are "cxlflash-tools file list" "$tmp/w3" "$tmp/h3"
		dep=$(dpkg-deb -f "$b/cxlflash-tools_${VERSION}_$A.deb" Depends)
		case "$dep" in *libcflash1*) true ;; *) false ;; esac &&
			ok "cxlflash-tools depends on libcflash1" || nok "cxlflash-tools depends on libcflash1"
	fi
	if [ -f "$b/cxlflash-dkms_${VERSION}_all.deb" ]; then
		# the module sources are whatever the tree has (Kbuild decides
		# which are built): every .c/.h of the driver and of sim/
		{ printf '%s\n' usr/share/doc/cxlflash-dkms/changelog.gz usr/share/doc/cxlflash-dkms/copyright
		  (cd "$TOP" && git ls-files -co --exclude-standard -- '*.c' '*.h' Kbuild Kconfig Makefile VERSION \
			dkms.conf 'sim/*' 'include/*' | grep -v -e '^tools/' -e '^Documentation/' -e '^scripts/' \
			-e '\.mod\.c$' | sed "s|^|usr/src/cxlflash-$VERSION/|")
		} | LC_ALL=C sort -u >"$tmp/w4"
		debfiles "$b/cxlflash-dkms_${VERSION}_all.deb" >"$tmp/h4"
		files_are "cxlflash-dkms file list (module sources)" "$tmp/w4" "$tmp/h4"
		dep=$(dpkg-deb -f "$b/cxlflash-dkms_${VERSION}_all.deb" Depends)
		case "$dep" in *dkms*) true ;; *) false ;; esac &&
			ok "cxlflash-dkms depends on dkms" || nok "cxlflash-dkms depends on dkms"
		post=$(dpkg-deb -I "$b/cxlflash-dkms_${VERSION}_all.deb" postinst)
		case "$post" in *dkms*) true ;; *) false ;; esac &&
			ok "cxlflash-dkms postinst runs dkms" || nok "cxlflash-dkms postinst runs dkms"
	fi
	if [ "$LINTIAN" = 1 ] && command -v lintian >/dev/null; then
		lintian --pedantic --info "$b"/cxlflash_"${VERSION}"_*.changes >"$tmp/lintian" 2>&1
		sed -n '/^[EWIPX]:/p' "$tmp/lintian" | sed 's/^/# lintian: /'
		if grep -q '^E:' "$tmp/lintian"; then nok "lintian: no errors"; else ok "lintian: no errors"; fi
	fi
	# ---- 5. the packages installed on this machine ------------------
	# dpkg -i cxlflash-dkms: its postinst has DKMS build and install the
	# modules for the installed kernel; the VM boots them (legacy cases);
	# libcflash-dev lets an example build with pkg-config alone; then
	# everything is purged again.
	if [ "$DKMS_VM" = 1 ] && [ -f "$b/cxlflash-dkms_${VERSION}_all.deb" ]; then
		pkg_cycle() {
			local rc=0 k
			if dpkg-query -W -f='${db:Status-Status}' cxlflash-dkms 2>/dev/null | grep -qx installed; then
				echo "cxlflash-dkms is already installed: not touching it"
				return 1
			fi
			dpkg -i "$b/cxlflash-dkms_${VERSION}_all.deb" "$b/libcflash1_${VERSION}_$A.deb" \
				"$b/libcflash-dev_${VERSION}_$A.deb" "$b/cxlflash-tools_${VERSION}_$A.deb" || rc=1
			dkms status "cxlflash/$VERSION" -k "$KREL" | tee "$tmp/pkg-dkms-status" >&3
			[ $rc = 0 ] && grep -q ': installed' "$tmp/pkg-dkms-status" || rc=1
			if [ $rc = 0 ]; then
				mkdir -p "$tmp/pkg-mods"
				for k in cxlflash cxlflash_sim; do
					cp "$(modinfo -k "$KREL" -F filename $k)" "$tmp/pkg-mods/" || rc=1
				done
				modinfo -k "$KREL" -F filename cxlflash | grep -q updates/dkms || rc=1
			fi
			if [ $rc = 0 ]; then
				VM_MODULES_DIR=$tmp/pkg-mods VM_BUILD_DIR=$tmp/vm-build \
					"$TOP/tools/testing/vm.sh" run -l "$tmp/pkg-vm.log" \
					"$TOP/tools/testing/guest/suite.sh" -k "$LEGACY_CASES" >"$tmp/pkg-vm.out" 2>&1 || rc=1
				grep -E '^(ok|not ok) |passed, ' "$tmp/pkg-vm.out" | sed 's/^/#   package-vm: /' >&3
				grep -q 'modules from' "$tmp/pkg-vm.out" || rc=1
				[ $rc = 0 ] || tail -n 30 "$tmp/pkg-vm.out" | sed 's/^/#   package-vm: /' >&3
			fi
			if [ $rc = 0 ]; then
				# the installed -dev package alone builds an example
				cc -o "$tmp/pkg-pattern" "$TOP/tools/lib/cflash/examples/pattern.c" \
					$(pkg-config --cflags --libs libcflash) || rc=1
				cxlflashctl --help >/dev/null || rc=1
			fi
			dpkg --purge cxlflash-tools libcflash-dev libcflash1 cxlflash-dkms >/dev/null 2>&1
			if dkms status "cxlflash/$VERSION" 2>/dev/null | grep -q .; then
				echo "dkms still lists cxlflash/$VERSION after the purge"
				rc=1
			fi
			return $rc
		}
		check "dpkg -i the four packages: DKMS builds the modules (dkms status installed), the VM boots them and the legacy cases pass, an example builds with pkg-config; then purged" pkg_cycle
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
