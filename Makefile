# SPDX-License-Identifier: GPL-2.0-only
#
# In a kernel tree this directory is drivers/scsi/cxlflash and Kbuild is
# read directly.  Out of tree, "make" builds both modules against the
# newest installed kernel's headers, or against KDIR=<kernel build dir>.
#
#   make install     modules_install of cxlflash.ko and cxlflash_sim.ko, then
#                    depmod; honours KDIR, INSTALL_MOD_PATH (or DESTDIR) and
#                    INSTALL_MOD_DIR (default "extra")
#   make uninstall   removes what "make install" put there, then depmod
#   make -C tools install   library, header, pkg-config file, man pages, CLI
#
# The module source list lives in Kbuild only (dkms.conf builds through
# this Makefile too).

# kbuild sets src (KERNELRELEASE alone would not do: dkms exports it)
ifneq ($(src),)
include $(src)/Kbuild
else

KVER ?= $(shell ls -1 /lib/modules 2>/dev/null | sort -V | tail -n1)
KDIR ?= /lib/modules/$(KVER)/build
PWD  := $(shell pwd)
EXTRA ?=

export CONFIG_SCSI_CXLFLASH := m
export CONFIG_CXLFLASH_SIM := m

# release of the kernel KDIR was built for (install, uninstall): the one
# in utsrelease.h, as Debian's headers carry the upstream version in
# include/config/kernel.release
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	 $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
DESTDIR ?=
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= extra
DEPMOD ?= /sbin/depmod
MODDIR = $(INSTALL_MOD_PATH)/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) CONFIG_SCSI_CXLFLASH=m CONFIG_CXLFLASH_SIM=m $(EXTRA) modules

# sparse (C=2) and W=1 over every file
check:
	$(MAKE) -C $(KDIR) M=$(PWD) CONFIG_SCSI_CXLFLASH=m CONFIG_CXLFLASH_SIM=m C=2 W=1 modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean

# depmod for the target tree; a staging directory without the kernel's own
# module tree (a DESTDIR for packaging) is left alone
define run-depmod
	@if [ -z "$(INSTALL_MOD_PATH)" ] || \
	    [ -f "$(INSTALL_MOD_PATH)/lib/modules/$(KREL)/modules.order" ]; then \
		echo "$(DEPMOD) $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KREL)"; \
		$(DEPMOD) $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KREL); \
	else \
		echo "$(INSTALL_MOD_PATH) has no kernel module tree: depmod not run"; \
	fi
endef

# depmod of the kbuild (scripts/depmod.sh) skips itself without a
# System.map, which distribution headers do not have: run it here.
install: modules
	@test -n "$(KREL)" || { echo "no kernel release in $(KDIR)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) CONFIG_SCSI_CXLFLASH=m CONFIG_CXLFLASH_SIM=m \
		KERNELRELEASE=$(KREL) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	$(run-depmod)

uninstall:
	@test -n "$(KREL)" || { echo "no kernel release in $(KDIR)"; exit 1; }
	rm -f $(foreach m,cxlflash.ko sim/cxlflash_sim.ko,$(addprefix $(MODDIR)/$(m),"" .gz .xz .zst))
	-rmdir $(MODDIR)/sim $(MODDIR) 2>/dev/null
	$(run-depmod)

# Module sources for DKMS: the driver's and the emulator's sources with
# their build files, whatever files Kbuild lists (no list here).
VERSION := $(shell cat $(PWD)/VERSION)
DKMS_VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(PWD)/dkms.conf)
DKMS_SRC = $(DESTDIR)/usr/src/cxlflash-$(VERSION)

dkms-src:
	@test "$(DKMS_VERSION)" = "$(VERSION)" || \
		{ echo "dkms.conf PACKAGE_VERSION $(DKMS_VERSION) != VERSION $(VERSION)"; exit 1; }
	install -d $(DKMS_SRC)/sim $(DKMS_SRC)/include
	install -m 0644 Makefile Kbuild Kconfig dkms.conf VERSION $(filter-out %.mod.c,$(wildcard *.c *.h)) \
		$(DKMS_SRC)/
	install -m 0644 $(filter-out %.mod.c,$(wildcard sim/*.c sim/*.h sim/Kbuild sim/Makefile)) $(DKMS_SRC)/sim/
	cp -r include/. $(DKMS_SRC)/include/
	find $(DKMS_SRC) -type f -exec chmod 0644 {} +

.PHONY: all modules check clean install uninstall dkms-src
endif
