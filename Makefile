# SPDX-License-Identifier: GPL-2.0-only
#
# In a kernel tree this directory is drivers/scsi/cxlflash and Kbuild is
# read directly.  Out of tree, "make" builds both modules against the
# running kernel's headers, or against KDIR=<kernel build dir>.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

KVER ?= $(shell ls -1 /lib/modules 2>/dev/null | sort -V | tail -n1)
KDIR ?= /lib/modules/$(KVER)/build
PWD  := $(shell pwd)
EXTRA ?=

export CONFIG_SCSI_CXLFLASH := m
export CONFIG_CXLFLASH_SIM := m

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) CONFIG_SCSI_CXLFLASH=m CONFIG_CXLFLASH_SIM=m $(EXTRA) modules

# sparse (C=2) and W=1 over every file
check:
	$(MAKE) -C $(KDIR) M=$(PWD) CONFIG_SCSI_CXLFLASH=m CONFIG_CXLFLASH_SIM=m C=2 W=1 modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean

.PHONY: all modules check clean
endif
