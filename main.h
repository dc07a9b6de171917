/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash: adapter-level definitions private to main.c.
 */
#ifndef _CXLFLASH_MAIN_H
#define _CXLFLASH_MAIN_H

#include <linux/io.h>
#include <linux/types.h>

#include "common.h"

#define CXLFLASH_TMF_TIMEOUT_MS		5000
#define CXLFLASH_RESET_SETTLE_MS	100
#define CXLFLASH_CTX_RESET_TIMEOUT_MS	2000

/* Port n lives in bank n / 2, at index n % 2 */
#define CHAN2PORTBANK(c)	((c) / CXLFLASH_NUM_FC_PORTS_PER_BANK)
#define CHAN2BANKPORT(c)	((c) % CXLFLASH_NUM_FC_PORTS_PER_BANK)

/* Async interrupt actions */
#define SCAN_HOST	0x04
#define LINK_RESET	0x02
#define CLR_FC_ERROR	0x08

struct asyc_intr_info {
	u64 status;
	const char *desc;
	u8 port;
	u8 action;
};

/*
 * MMIO accessors.  SISLite registers are big-endian and 64 bits wide:
 * one 64-bit access (readq/writeq, with their ordering guarantees), and
 * the byte order of the register restored around the little-endian
 * convention of readq/writeq.
 */
static inline u64 cxl_readq(const __be64 __iomem *addr)
{
	return be64_to_cpu((__force __be64)cpu_to_le64(readq(addr)));
}

static inline void cxl_writeq(u64 val, __be64 __iomem *addr)
{
	writeq(le64_to_cpu((__force __le64)cpu_to_be64(val)), addr);
}

#endif /* _CXLFLASH_MAIN_H */
