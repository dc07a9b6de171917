/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cxlflashctl: what its files share.
 *   cxlflashctl.c  list, status, superpipe, contexts, iocheck, main
 *   hostcmd.c      provision, afu-debug (the host device)
 */
#ifndef CXLFLASHCTL_H
#define CXLFLASHCTL_H

#include <stdint.h>

/* WWID of the SCSI device sysfs directory @sdev from vpd_pg83; 0 or -errno */
int wwid_of_sdev(const char *sdev, uint8_t w[16]);

int cmd_provision(int argc, char **argv);
int cmd_afu_debug(int argc, char **argv);
extern const char *provision_help;
extern const char *afu_debug_help;

#endif
