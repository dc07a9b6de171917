/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cxlflashctl: what its files share.
 *   cxlflashctl.c  list, superpipe, contexts, iocheck, help, main
 *   status.c       status [--json]
 *   hostcmd.c      provision, afu-debug (the host device)
 */
#ifndef CXLFLASHCTL_H
#define CXLFLASHCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* WWID of the SCSI device sysfs directory @sdev from vpd_pg83; 0 or -errno */
int wwid_of_sdev(const char *sdev, uint8_t w[16]);
/* a sysfs attribute, trailing blanks cut: its length, or -errno */
int read_attr(const char *path, char *buf, size_t len);
/* is SCSI host @host driven by cxlflash? */
bool is_cxlflash_host(int host);
/* the first entry of directory @dir ("" if none) */
void first_entry(const char *dir, char *out, size_t len);

int cmd_status(int argc, char **argv);
extern const char status_usage[];

int cmd_provision(int argc, char **argv);
int cmd_afu_debug(int argc, char **argv);
extern const char *provision_help;
extern const char *afu_debug_help;

#endif
