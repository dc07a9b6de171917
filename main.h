/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash: kept for files that include it by its old name.  It carries
 * nothing of main.c: what the rest of the driver may use of the AFU is
 * afu_if.h, which new code should include directly.  The driver core's
 * own declarations (main.c, afu.c, cmd.c, eh.c, fcport.c, sysfs.c) are in
 * core.h.
 */
#ifndef _CXLFLASH_MAIN_H
#define _CXLFLASH_MAIN_H

#include "afu_if.h"

#endif /* _CXLFLASH_MAIN_H */
