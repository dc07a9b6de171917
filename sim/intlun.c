// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: the AFU's internal LUNs.
 *
 * With the internal-LUN bit of afu_ctrl set, the AFU serves LUNs of its
 * own on port 0 instead of the fabric behind its ports; the internal-LUN
 * field of port 0's FC_CONFIG2 (bits 32-33, the driver's lun_mode - 1)
 * picks the layout:
 *
 *   field 0: LUN 0, 65536 blocks of 512 bytes
 *   field 1: LUN 0, 65536 blocks of 4096 bytes
 *   field 2: LUNs 0 and 1, 32768 blocks of 512 bytes each
 *   field 3: LUNs 0 and 1, 32768 blocks of 4096 bytes each
 *
 * Each layout is a one-port fabric of its own with thin RAM LUNs, made
 * with the adapter and kept as long as it lives, so data written in one
 * mode is found again when the AFU comes back to it.  An AFU reset clears
 * afu_ctrl and FC_CONFIG2 (the PSA is reinitialised), which returns the
 * AFU to the external fabric until the driver programs the bit again.
 * afu.c picks the fabric per command (sim_active_fabric()).
 */
#include <linux/err.h>
#include <linux/sizes.h>

#include "sim.h"

static const struct {
	unsigned int nluns;
	u32 block_size;
	u64 nblocks;
} sim_int_layouts[SIM_INT_LAYOUTS] = {
	{ 1, 512, SZ_64K },
	{ 1, 4096, SZ_64K },
	{ 2, 512, SZ_32K },
	{ 2, 4096, SZ_32K },
};

/*
 * WWID base of layout @i: the adapter's external base ((index + 1) << 24)
 * plus the layout number in bits 20-23, which the external base never
 * sets, so every internal LUN has a WWID of its own.
 */
static u64 sim_int_wwid_base(struct sim_adapter *a, unsigned int i)
{
	return (((u64)a->index + 1) << 24) | ((u64)(i + 1) << 20);
}

/**
 * sim_internal_init() - make the internal LUNs of every layout
 * @a: adapter being allocated (no driver bound yet).
 *
 * Return: 0 or a negative errno (then nothing is left).
 */
int sim_internal_init(struct sim_adapter *a)
{
	struct sim_lun_config cfg = { .port_mask = 1 };
	struct sim_lun *lun;
	unsigned int i, l;

	for (i = 0; i < SIM_INT_LAYOUTS; i++)
		sim_fabric_init(&a->ifab[i], 1, sim_int_wwid_base(a, i));

	for (i = 0; i < SIM_INT_LAYOUTS; i++) {
		cfg.block_size = sim_int_layouts[i].block_size;
		cfg.size = sim_int_layouts[i].nblocks * cfg.block_size;
		for (l = 0; l < sim_int_layouts[i].nluns; l++) {
			cfg.lun = l;
			lun = sim_lun_add(&a->ifab[i], &cfg);
			if (IS_ERR(lun)) {
				sim_internal_destroy(a);
				return PTR_ERR(lun);
			}
		}
	}
	return 0;
}

/**
 * sim_internal_destroy() - free the internal LUNs
 * @a: adapter; its engine is stopped.
 */
void sim_internal_destroy(struct sim_adapter *a)
{
	unsigned int i;

	for (i = 0; i < SIM_INT_LAYOUTS; i++)
		sim_fabric_destroy(&a->ifab[i]);
}
