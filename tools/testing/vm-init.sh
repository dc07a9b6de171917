#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the vm.sh guest (busybox sh, PID 1).  Runs /vm/script with the
# arguments in /vm/args (one per line), dumps dmesg, prints the sentinel
# "@@VM-EXIT rc=N@@" and powers off.  /vm/mode "shell" gives a console shell.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux} LD_LIBRARY_PATH=/usr/local/lib
export GUEST_DIR=/vm/guest
. /etc/vm-env.sh

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
modprobe -q configfs 2>/dev/null
mount -t configfs configfs /sys/kernel/config 2>/dev/null
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname vm
modprobe -qa sd_mod sg 2>/dev/null

read -r up _ </proc/uptime
echo "@@VM-BOOTED uptime=${up}s kernel=$(uname -r)@@"

mode=$(cat /vm/mode 2>/dev/null)
set --
if [ -f /vm/args ]; then
	while IFS= read -r a; do set -- "$@" "$a"; done </vm/args
fi

cd /vm || exit 1
if [ "$mode" = shell ]; then
	echo "vm: busybox shell; tests in $GUEST_DIR; 'exit' powers off"
	setsid cttyhack sh -l
	rc=$?
else
	sh -c '. /etc/vm-env.sh; . /vm/script' /vm/script "$@" </dev/null
	rc=$?
fi

if [ "$mode" != shell ]; then
	echo "@@VM-DMESG-BEGIN@@"
	dmesg
	echo "@@VM-DMESG-END@@"
fi
sync
echo "@@VM-EXIT rc=$rc@@"
poweroff -f
