/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SISLite: the programming interface of the CXL Flash AFU.
 *
 * Two kinds of objects are described here:
 *
 *  - MMIO registers (global, per-port, per-context provisioning and
 *    per-context host transport maps).  Every register is 64 bits wide,
 *    big-endian, and must be accessed with 64-bit loads and stores only.
 *    They are typed __be64 so that sparse catches a missing conversion.
 *    The one exception is afu_version, which holds eight ASCII bytes and is
 *    read without a byte swap.
 *
 *  - Control blocks in host memory (IOARCB, IOASA, RRQ entries, SQ slots,
 *    RHT and LXT entries).  The AFU is told the host byte order at start-up
 *    (SISL_AFUCONF_ENDIAN), so these are host-endian; only the SCSI CDB
 *    inside an IOARCB is big-endian, as SCSI defines it.
 */
#ifndef _SISLITE_H
#define _SISLITE_H

#include <linux/bits.h>
#include <linux/types.h>

typedef u16 ctx_hndl_t;
typedef u32 res_hndl_t;

#define SIZE_4K		4096
#define SIZE_64K	65536

/* ---------------------------------------------------------------------- */
/* IOARCB: 64-byte request control block                                  */
/* ---------------------------------------------------------------------- */

#define SISL_REQ_FLAGS_RES_HNDL		0x8000U	/* address by resource handle */
#define SISL_REQ_FLAGS_PORT_LUN_ID	0x0000U	/* address by port mask + LUN id */
#define SISL_REQ_FLAGS_SUP_UNDERRUN	0x4000U	/* underrun is not an error */
#define SISL_REQ_FLAGS_TIMEOUT_SECS	0x0000U
#define SISL_REQ_FLAGS_TIMEOUT_MSECS	0x0040U
#define SISL_REQ_FLAGS_TIMEOUT_USECS	0x0080U
#define SISL_REQ_FLAGS_TIMEOUT_CYCLES	0x00C0U
#define SISL_REQ_FLAGS_TIMEOUT_MASK	0x00C0U
#define SISL_REQ_FLAGS_TMF_CMD		0x0004U	/* task management function */
#define SISL_REQ_FLAGS_AFU_CMD		0x0002U	/* AFU-internal command */
#define SISL_REQ_FLAGS_HOST_WRITE	0x0001U	/* data moves host -> device */
#define SISL_REQ_FLAGS_HOST_READ	0x0000U

struct sisl_ioarcb {
	u16 ctx_id;			/* context issuing the command */
	u16 req_flags;
	union {
		u32 res_hndl;		/* with SISL_REQ_FLAGS_RES_HNDL */
		u32 port_sel;		/* otherwise: port mask, bit n = port n */
	};
	u64 lun_id;			/* SAM LUN, read as big-endian u64 */
	u32 data_len;			/* bytes */
	u32 ioadl_len;
	union {
		u64 data_ea;		/* effective address of the data */
		u64 ioadl_ea;
	};
	u8 msi;				/* LISN raised on completion, 0: none */
#define SISL_MSI_CXL_PFAULT	0
#define SISL_MSI_SYNC_ERROR	1
#define SISL_MSI_RRQ_UPDATED	2
#define SISL_MSI_ASYNC_ERROR	3
	u8 rrq;				/* response queue number */
	u16 timeout;			/* units chosen by req_flags, 0: none */
	u32 rsvd1;
	u8 cdb[16];			/* SCSI CDB (big-endian) or AFU command */
	union {
		u64 reserved;		/* IOARRIN mode */
		u64 ioasa_ea;		/* SQ mode: where this command's IOASA is */
	};
} __packed __aligned(16);

/* AFU-internal commands (SISL_REQ_FLAGS_AFU_CMD), opcode in cdb[0] */
#define SISL_AFU_CMD_SYNC		0xC0
#define SISL_AFU_SYNC_LW		0	/* lightweight: one handle */
#define SISL_AFU_SYNC_HW		1	/* heavyweight: whole context */
#define SISL_AFU_SYNC_GLOBAL		2	/* all contexts */
#define SISL_AFU_CMD_LUN_PROVISION	0xD0
#define SISL_AFU_LUN_PROVISION_CREATE	0
#define SISL_AFU_LUN_PROVISION_DELETE	1
#define SISL_AFU_CMD_DEBUG		0xE0	/* cdb[4..15]: the subcommand */
#define SISL_AFU_DEBUG_SUBCMD_OFF	4

/* Task management codes, stored as a host-endian u64 in cdb[0..7] */
#define SISL_TMF_LUN_RESET		1
#define SISL_TMF_CLEAR_ACA		2

/* ---------------------------------------------------------------------- */
/* IOASA: 64-byte status area, follows its IOARCB                          */
/* ---------------------------------------------------------------------- */

#define SISL_SENSE_DATA_LEN	20
#define SISL_WWID_DATA_LEN	16

struct sisl_rc {
	u8 flags;
#define SISL_RC_FLAGS_SENSE_VALID		0x80U
#define SISL_RC_FLAGS_FCP_RSP_CODE_VALID	0x40U
#define SISL_RC_FLAGS_OVERRUN			0x20U
#define SISL_RC_FLAGS_UNDERRUN			0x10U
	u8 afu_rc;
#define SISL_AFU_RC_RHT_INVALID		0x01U	/* handle not open */
#define SISL_AFU_RC_RHT_UNALIGNED	0x02U
#define SISL_AFU_RC_RHT_OUT_OF_BOUNDS	0x03U	/* handle >= RHT count */
#define SISL_AFU_RC_RHT_DMA_ERR		0x04U
#define SISL_AFU_RC_RHT_RW_PERM		0x05U
#define SISL_AFU_RC_LXT_UNALIGNED	0x12U
#define SISL_AFU_RC_LXT_OUT_OF_BOUNDS	0x13U	/* LBA past the vLUN end */
#define SISL_AFU_RC_LXT_DMA_ERR		0x14U
#define SISL_AFU_RC_LXT_RW_PERM		0x15U
#define SISL_AFU_RC_NOT_XLATE_HOST	0x1AU
#define SISL_AFU_RC_NO_CHANNELS		0x20U	/* no usable port */
#define SISL_AFU_RC_CAP_VIOLATION	0x21U
#define SISL_AFU_RC_OUT_OF_DATA_BUFS	0x30U
#define SISL_AFU_RC_DATA_DMA_ERR	0x31U
#define SISL_AFU_RC_TIMED_OUT_PRE_FC	0x50U
#define SISL_AFU_RC_TIMED_OUT		0x51U
/*
 * Results of the host-service AFU commands (LUN_PROVISION, DEBUG) as the
 * emulated AFU reports them; the driver maps them to errnos (hostdev.c).
 */
#define SISL_AFU_RC_PROV_INVALID	0x60U	/* bad type, port or size */
#define SISL_AFU_RC_PROV_NO_SPACE	0x61U	/* capacity or LUN count */
#define SISL_AFU_RC_PROV_NO_LUN		0x62U	/* delete: no such LUN */
#define SISL_AFU_RC_DEBUG_INVALID	0x68U	/* unknown/malformed subcmd */
	u8 scsi_rc;				/* SCSI status byte */
#define SISL_SCSI_RC_CHECK		0x02U
#define SISL_SCSI_RC_BUSY		0x08U
	u8 fc_rc;
#define SISL_FC_RC_ABORTPEND		0x52U
#define SISL_FC_RC_WRABORTPEND		0x53U
#define SISL_FC_RC_NOLOGI		0x54U
#define SISL_FC_RC_NOEXP		0x55U
#define SISL_FC_RC_INUSE		0x56U
#define SISL_FC_RC_LINKDOWN		0x57U
#define SISL_FC_RC_ABORTOK		0x58U
#define SISL_FC_RC_ABORTFAIL		0x59U
#define SISL_FC_RC_RESID		0x5AU
#define SISL_FC_RC_RESIDERR		0x5BU
#define SISL_FC_RC_TGTABORT		0x5CU
} __packed;

/* PSL response codes reported in afu_extra for the *_DMA_ERR codes */
#define SISL_AFU_EXTRA_PAGE_IN		0x0AU
#define SISL_AFU_EXTRA_INVALID_EA	0x0BU

struct sisl_ioasa {
	union {
		struct sisl_rc rc;
		u32 ioasc;		/* 0: good completion */
#define SISL_IOASC_GOOD_COMPLETION	0
	};
	union {
		u32 resid;
		u32 lunid_hi;
	};
	u8 port;
	u8 afu_extra;
	u8 scsi_extra;
	u8 fc_extra;
	union {
		u8 sense_data[SISL_SENSE_DATA_LEN];
		struct {
			u32 lunid_lo;
			u8 wwid[SISL_WWID_DATA_LEN];
		};
	};
	u8 host_use[32];		/* reserved for host software */
} __packed __aligned(16);

#define SISL_RESP_HANDLE_T_BIT	0x1ULL	/* RRQ entry toggle bit */

/*
 * RRQ entries: the AFU writes "address | toggle" into the next entry and
 * flips its toggle each time it wraps from the last entry back to the
 * first.  The host consumes the entries whose toggle bit equals its own
 * phase (starting at 1 over a zeroed ring) and flips its phase on the same
 * wrap.  Pure helpers, shared by the completion path and its KUnit test.
 */
static inline bool sisl_rrq_entry_valid(u64 entry, bool toggle)
{
	return (entry & SISL_RESP_HANDLE_T_BIT) == (u64)toggle;
}

static inline u64 sisl_rrq_entry_addr(u64 entry)
{
	return entry & ~SISL_RESP_HANDLE_T_BIT;
}

/* The entry after @curr in the ring [@start, @end]; flips @toggle on a wrap. */
static inline u64 *sisl_rrq_next(u64 *curr, u64 *start, u64 *end, bool *toggle)
{
	if (curr < end)
		return curr + 1;
	*toggle = !*toggle;
	return start;
}

/* ---------------------------------------------------------------------- */
/* Per-context host transport map: 64 KiB window, user visible             */
/* ---------------------------------------------------------------------- */

struct sisl_host_map {
	__be64 endian_ctrl;		/* 0x00 */
	__be64 intr_status;		/* 0x08: sync error status */
#define SISL_ISTATUS_PERM_ERR_LISN_3_EA		0x0400ULL
#define SISL_ISTATUS_PERM_ERR_LISN_2_EA		0x0200ULL
#define SISL_ISTATUS_PERM_ERR_LISN_1_EA		0x0100ULL
#define SISL_ISTATUS_PERM_ERR_LISN_3_PASID	0x0080ULL
#define SISL_ISTATUS_PERM_ERR_LISN_2_PASID	0x0040ULL
#define SISL_ISTATUS_PERM_ERR_LISN_1_PASID	0x0020ULL
#define SISL_ISTATUS_PERM_ERR_CMDROOM		0x0010ULL
#define SISL_ISTATUS_PERM_ERR_RCB_READ		0x0008ULL
#define SISL_ISTATUS_PERM_ERR_SA_WRITE		0x0004ULL
#define SISL_ISTATUS_PERM_ERR_RRQ_WRITE		0x0002ULL
#define SISL_ISTATUS_TEMP_ERR_PAGEIN		0x0001ULL
#define SISL_ISTATUS_UNMASK			0x07FFULL
#define SISL_ISTATUS_MASK			(~SISL_ISTATUS_UNMASK)
	__be64 intr_clear;		/* 0x10 */
	__be64 intr_mask;		/* 0x18 */
	__be64 ioarrin;			/* 0x20: IOARCB address, or 1 = reset */
#define SISL_IOARRIN_CTX_RST	0x1ULL
	__be64 rrq_start;		/* 0x28: first RRQ entry (inclusive) */
	__be64 rrq_end;			/* 0x30: last RRQ entry (inclusive) */
	__be64 cmd_room;		/* 0x38 */
	__be64 ctx_ctrl;		/* 0x40: LISN for sync errors in low byte */
#define SISL_CTX_CTRL_UNMAP_SECTOR	0x8000000000000000ULL
#define SISL_CTX_CTRL_LISN_MASK		0xFFULL
	__be64 mbox_w;			/* 0x48 */
	__be64 sq_start;		/* 0x50 */
	__be64 sq_end;			/* 0x58 */
	__be64 sq_head;			/* 0x60: read only */
	__be64 sq_tail;			/* 0x68: next free slot */
	__be64 sq_ctx_reset;		/* 0x70: 1 = reset, poll bit 0 */
#define SISL_SQ_CTX_RST		0x1ULL
};

/* endian_ctrl values */
#define SISL_ENDIAN_CTRL_BE	0x8000000000000080ULL
#define SISL_ENDIAN_CTRL_LE	0x0000000000000000ULL
#ifdef __BIG_ENDIAN
#define SISL_ENDIAN_CTRL	SISL_ENDIAN_CTRL_BE
#else
#define SISL_ENDIAN_CTRL	SISL_ENDIAN_CTRL_LE
#endif

/* ---------------------------------------------------------------------- */
/* Per-context provisioning and control map: 128 bytes, trusted only       */
/* ---------------------------------------------------------------------- */

struct sisl_ctrl_map {
	__be64 rht_start;		/* 0x00: RHT address */
	__be64 rht_cnt_id;		/* 0x08 */
#define SISL_RHT_CNT_ID(cnt, ctx)	(((u64)(cnt) << 48) | ((u64)(ctx) << 32))
#define SISL_RHT_CNT(v)			((u16)((v) >> 48))
#define SISL_RHT_CTX(v)			((u16)((v) >> 32))
	__be64 ctx_cap;			/* 0x10 */
#define SISL_CTX_CAP_PROXY_ISSUE	0x8000000000000000ULL
#define SISL_CTX_CAP_REAL_MODE		0x4000000000000000ULL
#define SISL_CTX_CAP_HOST_XLATE		0x2000000000000000ULL
#define SISL_CTX_CAP_PROXY_TARGET	0x1000000000000000ULL
#define SISL_CTX_CAP_AFU_CMD		0x0000000000000008ULL
#define SISL_CTX_CAP_GSCSI_CMD		0x0000000000000004ULL
#define SISL_CTX_CAP_WRITE_CMD		0x0000000000000002ULL
#define SISL_CTX_CAP_READ_CMD		0x0000000000000001ULL
	__be64 mbox_r;			/* 0x18: read to unlock ctx_cap */
	__be64 lisn_pasid[2];		/* 0x20, 0x28 */
	__be64 lisn_ea[3];		/* 0x30..0x40 */
	__be64 rsvd[7];
};

/* ---------------------------------------------------------------------- */
/* Global area: 64 KiB, trusted only                                       */
/* ---------------------------------------------------------------------- */

struct sisl_global_regs {
	__be64 aintr_status;		/* 0x000 */
	/*
	 * One byte per port: port 1 in bits 0-7, port 0 in 8-15, port 3 in
	 * 16-23, port 2 in 24-31.  The event bits within a byte:
	 */
#define SISL_ASTATUS_FC1_OTHER		0x0080ULL
#define SISL_ASTATUS_FC1_LOGO		0x0040ULL
#define SISL_ASTATUS_FC1_CRC_T		0x0020ULL
#define SISL_ASTATUS_FC1_LOGI_R		0x0010ULL
#define SISL_ASTATUS_FC1_LOGI_F		0x0008ULL
#define SISL_ASTATUS_FC1_LOGI_S		0x0004ULL
#define SISL_ASTATUS_FC1_LINK_DN	0x0002ULL
#define SISL_ASTATUS_FC1_LINK_UP	0x0001ULL
#define SISL_ASTATUS_FC0_OTHER		0x8000ULL
#define SISL_ASTATUS_FC0_LOGO		0x4000ULL
#define SISL_ASTATUS_FC0_CRC_T		0x2000ULL
#define SISL_ASTATUS_FC0_LOGI_R		0x1000ULL
#define SISL_ASTATUS_FC0_LOGI_F		0x0800ULL
#define SISL_ASTATUS_FC0_LOGI_S		0x0400ULL
#define SISL_ASTATUS_FC0_LINK_DN	0x0200ULL
#define SISL_ASTATUS_FC0_LINK_UP	0x0100ULL
#define SISL_ASTATUS_UNMASK		0xFFFFFFFFULL
#define SISL_ASTATUS_MASK		(~SISL_ASTATUS_UNMASK)
	__be64 aintr_clear;		/* 0x008 */
	__be64 aintr_mask;		/* 0x010 */
	__be64 afu_ctrl;		/* 0x018 */
#define SISL_AFU_CTRL_INTERNAL_LUN	0x1ULL
	__be64 afu_hb;			/* 0x020: heartbeat */
	__be64 afu_scratch_pad;		/* 0x028 */
	__be64 afu_port_sel;		/* 0x030 */
	__be64 afu_config;		/* 0x038 */
#define SISL_AFUCONF_AR_IOARCB		0x4000ULL
#define SISL_AFUCONF_AR_LXT		0x2000ULL
#define SISL_AFUCONF_AR_RHT		0x1000ULL
#define SISL_AFUCONF_AR_DATA		0x0800ULL
#define SISL_AFUCONF_AR_RSRC		0x0400ULL
#define SISL_AFUCONF_AR_IOASA		0x0200ULL
#define SISL_AFUCONF_AR_RRQ		0x0100ULL
#define SISL_AFUCONF_AR_ALL		0x7F00ULL
#define SISL_AFUCONF_MBOX_CLR_READ	0x0010ULL
#ifdef __BIG_ENDIAN
#define SISL_AFUCONF_ENDIAN		0x0000ULL
#else
#define SISL_AFUCONF_ENDIAN		0x0020ULL
#endif
	__be64 rsrvd[0xf8];		/* 0x040 .. 0x7ff */
	u64 afu_version;		/* 0x800: ASCII, not byte swapped */
	__be64 interface_version;	/* 0x808 */
#define SISL_INTVER_CAP_SHIFT			16
#define SISL_INTVER_MAJ_SHIFT			8
#define SISL_INTVER_CAP_MASK			0xFFFFFFFF00000000ULL
#define SISL_INTVER_MAJ_MASK			0x00000000FFFF0000ULL
#define SISL_INTVER_MIN_MASK			0x000000000000FFFFULL
/* capabilities, pre-shifted: test with (intver >> 16) & CAP */
#define SISL_INTVER_CAP_IOARRIN_CMD_MODE	0x800000000000ULL
#define SISL_INTVER_CAP_SQ_CMD_MODE		0x400000000000ULL
#define SISL_INTVER_CAP_RESERVED_CMD_MODE_A	0x200000000000ULL
#define SISL_INTVER_CAP_RESERVED_CMD_MODE_B	0x100000000000ULL
#define SISL_INTVER_CAP_LUN_PROVISION		0x080000000000ULL
#define SISL_INTVER_CAP_AFU_DEBUG		0x040000000000ULL
#define SISL_INTVER_CAP_OCXL_LISN		0x020000000000ULL
};

/* Port-mask helpers */
#define SISL_PORT_MASK(n)	((1ULL << (n)) - 1)

#define CXLFLASH_NUM_FC_PORTS_PER_BANK	2
#define CXLFLASH_MAX_FC_BANKS		2
#define CXLFLASH_MAX_FC_PORTS		4
#define CXLFLASH_NUM_VLUNS		512
#define SISL_NUM_REGS			512

/* Per-port FC register offsets, in bytes within a port's register block */
#define FC_MTIP_CMDCONFIG	0x010
#define FC_MTIP_CMDCONFIG_ONLINE	0x20ULL
#define FC_MTIP_CMDCONFIG_OFFLINE	0x40ULL
#define FC_MTIP_STATUS		0x018
#define FC_MTIP_STATUS_MASK		0x30ULL
#define FC_MTIP_STATUS_ONLINE		0x20ULL
#define FC_MTIP_STATUS_OFFLINE		0x10ULL
#define FC_MAX_NUM_LUNS		0x080
#define FC_CUR_NUM_LUNS		0x088
#define FC_MAX_CAP_PORT		0x090
#define FC_CUR_CAP_PORT		0x098
#define FC_PNAME		0x300
#define FC_CONFIG		0x320
#define FC_CONFIG2		0x328
#define FC_STATUS		0x330
#define FC_ERROR		0x380
#define FC_ERRCAP		0x388
#define FC_ERRMSK		0x390
#define FC_CNT_CRCERR		0x538
#define FC_CRC_THRESH		0x580

#define SISL_FC_INTERNAL_UNMASK		0x0000000300000000ULL
#define SISL_FC_INTERNAL_SHIFT		32
#define SISL_FC_SHUTDOWN_NORMAL		0x10ULL
#define SISL_FC_SHUTDOWN_ABRUPT		0x20ULL
#define SISL_STATUS_SHUTDOWN_ACTIVE	0x10ULL
#define SISL_STATUS_SHUTDOWN_COMPLETE	0x20ULL

struct sisl_global_map {
	union {
		struct sisl_global_regs regs;
		u8 page0[SIZE_4K];
	};
	u8 page1[SIZE_4K];			/* 0x1000 */
	/* bank 0: ports 0 and 1 */
	__be64 fc_regs0[CXLFLASH_NUM_FC_PORTS_PER_BANK][SISL_NUM_REGS];	/* 0x2000 */
	__be64 fc_port0[CXLFLASH_NUM_FC_PORTS_PER_BANK][CXLFLASH_NUM_VLUNS];	/* 0x4000 */
	/* bank 1: ports 2 and 3 */
	__be64 fc_regs1[CXLFLASH_NUM_FC_PORTS_PER_BANK][SISL_NUM_REGS];	/* 0x6000 */
	__be64 fc_port1[CXLFLASH_NUM_FC_PORTS_PER_BANK][CXLFLASH_NUM_VLUNS];	/* 0x8000 */
	u8 page_rsvd[6][SIZE_4K];		/* 0xA000 .. 0xFFFF */
};

/*
 * The whole problem-state area as the master context sees it:
 * 512 host maps, then 512 provisioning maps, then the global area.
 */
#define SISL_MAX_CONTEXT	512
#define SISL_HOST_MAP_SIZE	SIZE_64K
#define SISL_CTRL_MAP_SIZE	128

struct cxlflash_afu_map {
	union {
		struct sisl_host_map host;
		u8 harea[SISL_HOST_MAP_SIZE];
	} hosts[SISL_MAX_CONTEXT];
	union {
		struct sisl_ctrl_map ctrl;
		u8 carea[SISL_CTRL_MAP_SIZE];
	} ctrls[SISL_MAX_CONTEXT];
	struct sisl_global_map global;
};

#define SISL_CTRLS_OFFSET	(SISL_MAX_CONTEXT * SISL_HOST_MAP_SIZE)
#define SISL_GLOBAL_OFFSET	(SISL_CTRLS_OFFSET + SISL_MAX_CONTEXT * SISL_CTRL_MAP_SIZE)
#define SISL_PSA_SIZE		(SISL_GLOBAL_OFFSET + SIZE_64K)

/* ---------------------------------------------------------------------- */
/* Resource handle table (16 bytes an entry) and LBA translation table     */
/* ---------------------------------------------------------------------- */

#define SISL_RHT_FMT0		0x0	/* virtual: through an LXT */
#define SISL_RHT_FMT1		0x1	/* physical: one LUN */
#define SISL_RHT_PERM_READ	0x1U
#define SISL_RHT_PERM_WRITE	0x2U
#define SISL_RHT_PERM_RW	(SISL_RHT_PERM_READ | SISL_RHT_PERM_WRITE)
#define SISL_RHT_FP(fmt, perm)	(((fmt) << 4) | (perm))
#define SISL_RHT_FP_CLONE(src_fp, perm)	((src_fp) & (0xFC | (perm)))
#define SISL_RHT_PERM(fp)	((fp) & 0x3)
#define SISL_RHT_FMT(fp)	(((fp) >> 4) & 0xF)

struct sisl_rht_entry {
	u64 lxt_start;			/* LXT address */
	u32 lxt_cnt;			/* LXT entries */
	u16 rsvd;
	u8 fp;				/* format (high nibble) | permissions */
	u8 nmask;			/* LBA bits inside a chunk; 0 = free slot */
} __packed __aligned(16);

struct sisl_rht_entry_f1 {
	u64 lun_id;
	union {
		struct {
			u8 valid;
#define SISL_RHT_VALID		0x80U
			u8 rsvd[5];
			u8 fp;
			u8 port_sel;
		};
		u64 dw;			/* second double-word, stored at once */
	};
} __packed __aligned(16);

#define SISL_RHT_ENTRY_SIZE	16

/* LXT entry: one u64 per chunk */
#define SISL_LXT_BASE_SHIFT	16		/* chunk start LBA in bits 63..16 */
#define SISL_LXT_LUNIDX_SHIFT	8		/* LUN table index, bits 15..8 */
#define SISL_LXT_LUNIDX_MASK	0xFF00ULL
#define SISL_LXT_PERM_SHIFT	4		/* permissions, bits 5..4 */
#define SISL_LXT_PERM_MASK	0x30ULL
#define SISL_LXT_PORT_MASK	0x0FULL		/* port selection, bits 3..0 */
#define SISL_LXT_BASE_MASK	(~0xFFFFULL)

/* Chunk geometry used for virtual LUNs */
#define MC_RHT_NMASK		16
#define MC_CHUNK_SHIFT		MC_RHT_NMASK
#define MC_CHUNK_SIZE		BIT_ULL(MC_CHUNK_SHIFT)

#endif /* _SISLITE_H */
