/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * The AFU debug sub-commands of the emulated cxlflash AFU (cxlflash_sim).
 *
 * HT_CXLFLASH_AFU_DEBUG passes ht_cxlflash_afu_debug.afu_subcmd[12] to the
 * AFU untouched (AFU command 0xE0, CDB bytes 4..15); what the bytes mean
 * is the AFU's business.  The emulated AFU understands the set below,
 * documented in Documentation/scsi/cxlflash_sim.rst.  Multi-byte fields
 * of the sub-command are big-endian; the data returned is described with
 * each operation.  Anything else (unknown operation, wrong direction, a
 * length the operation does not allow, non-zero unused bytes) is refused
 * and the ioctl fails with EINVAL.
 *
 *   afu_subcmd[0]      operation (CXLFLASH_SIM_DBG_*)
 *   afu_subcmd[1]      port (PORT_STATS), else 0
 *   afu_subcmd[2..3]   context id (READ_RHT, READ_LXT), else 0
 *   afu_subcmd[4..7]   first resource handle (READ_RHT), the handle
 *                      (READ_LXT), byte offset (SCRATCH_*), else 0
 *   afu_subcmd[8..11]  first LXT index (READ_LXT), else 0
 */
#ifndef _UAPI_CXLFLASH_SIM_DEBUG_H
#define _UAPI_CXLFLASH_SIM_DEBUG_H

#include <linux/types.h>

/*
 * SCRATCH_WRITE (host write): data_len bytes into the AFU's scratch
 * buffer at the offset.  SCRATCH_READ (host read): data_len bytes of it
 * back.  offset + data_len must not exceed the buffer; it reads as zeros
 * until written, and keeps its contents until the adapter goes.
 */
#define CXLFLASH_SIM_DBG_SCRATCH_WRITE	0x01
#define CXLFLASH_SIM_DBG_SCRATCH_READ	0x02
#define CXLFLASH_SIM_DBG_SCRATCH_SIZE	262144

/*
 * READ_RHT (host read): the resource handle table entries of a context,
 * from the first handle on, 16 bytes each exactly as the AFU reads them
 * from host memory (struct sisl_rht_entry: host byte order); data_len a
 * non-zero multiple of 16; entries past the table's count are refused.
 */
#define CXLFLASH_SIM_DBG_READ_RHT	0x10
#define CXLFLASH_SIM_DBG_RHT_ENTRY_LEN	16

/*
 * READ_LXT (host read): the LUN translation table of a format-0 (virtual)
 * handle, from the first index on, 8 bytes each as the AFU reads them;
 * data_len a non-zero multiple of 8, not beyond the handle's lxt_cnt.
 */
#define CXLFLASH_SIM_DBG_READ_LXT	0x11
#define CXLFLASH_SIM_DBG_LXT_ENTRY_LEN	8

/* ENGINE_STATS (host read): struct cxlflash_sim_dbg_engine, data_len == its size */
#define CXLFLASH_SIM_DBG_ENGINE_STATS	0x20
struct cxlflash_sim_dbg_engine {
	__be64 commands;		/* commands executed */
	__be64 bytes;			/* data bytes moved */
	__be64 polls;			/* engine passes */
	__be64 sleeps;			/* times the engine slept */
	__be64 inline_runs;		/* queues drained at the doorbell */
	__be64 contexts;		/* contexts started now */
};

/* PORT_STATS (host read): struct cxlflash_sim_dbg_port, data_len == its size */
#define CXLFLASH_SIM_DBG_PORT_STATS	0x21
struct cxlflash_sim_dbg_port {
	__be64 wwpn;
	__be64 online;			/* 1: link up */
	__be64 num_luns;		/* LUNs visible on the port */
	__be64 cap_4k;			/* their capacity, 4 KiB blocks */
	__be64 provisioned_luns;	/* of them made by LUN_PROVISION */
	__be64 max_num_luns;		/* FC_MAX_NUM_LUNS */
	__be64 max_cap_4k;		/* FC_MAX_CAP_PORT */
	__be64 rsvd;
};

#endif /* _UAPI_CXLFLASH_SIM_DEBUG_H */
