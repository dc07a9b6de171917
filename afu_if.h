/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash: how the superpipe side (superpipe.c, context.c, recover.c,
 * vlun.c, chunk.c, lunmgt.c) reaches the AFU.  Nothing here exposes how
 * the hardware queues or the reset machinery work inside; see afu.c, cmd.c
 * and eh.c for that.
 */
#ifndef _CXLFLASH_AFU_IF_H
#define _CXLFLASH_AFU_IF_H

#include <linux/io.h>
#include <linux/types.h>

#include "common.h"

/*
 * Register access.  SISLite registers are 64-bit big-endian.  readq and
 * writeq give one 64-bit access with the kernel's MMIO ordering but
 * assume a little-endian device, so the value is byte-swapped around
 * them on a little-endian host.
 */
static inline u64 cxl_readq(const __be64 __iomem *reg)
{
	__le64 raw = cpu_to_le64(readq(reg));

	return be64_to_cpu((__force __be64)raw);
}

static inline void cxl_writeq(u64 val, __be64 __iomem *reg)
{
	__be64 wire = cpu_to_be64(val);

	writeq(le64_to_cpu((__force __le64)wire), reg);
}

/* The provisioning map of context @pe (RHT, capabilities, mailbox) */
static inline struct sisl_ctrl_map __iomem *
cxlflash_ctrl_map(struct afu *afu, int pe)
{
	return &afu->afu_map->ctrls[pe].ctrl;
}

/**
 * cxlflash_afu_sync() - make the AFU see changed translation tables
 * @afu:  the AFU.
 * @ctx:  context whose RHT/LXT changed.
 * @res:  resource handle, for a lightweight sync.
 * @mode: SISL_AFU_SYNC_LW, _HW or _GLOBAL.
 *
 * Runs the AFU SYNC command on the primary queue and waits for it.  Does
 * nothing (returns 0) unless the adapter is running.
 *
 * Return: 0, -ETIMEDOUT (an adapter reset has been scheduled), -EIO,
 * -ENOBUFS.
 */
int cxlflash_afu_sync(struct afu *afu, ctx_hndl_t ctx, res_hndl_t res, u8 mode);

/**
 * cxlflash_schedule_async_reset() - reset the adapter in the background
 * @cfg: adapter.
 *
 * For a caller that found the AFU wedged.  Only a running adapter is
 * reset; SCSI requests stay blocked until the reset is over.
 */
void cxlflash_schedule_async_reset(struct cxlflash_cfg *cfg);

/**
 * cxlflash_wait_for_reset() - sleep until the adapter leaves STATE_RESET
 * @cfg: adapter.
 * @interruptible: whether a signal ends the wait.
 *
 * Return: 0 when running, -ENODEV when failed, -ERESTARTSYS on a signal.
 */
int cxlflash_wait_for_reset(struct cxlflash_cfg *cfg, bool interruptible);

#endif /* _CXLFLASH_AFU_IF_H */
