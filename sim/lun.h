/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash_sim: the fabric's LUNs, shared by lun.c (LUN objects, unit
 * attentions, configuration, provisioning), store.c (their data) and
 * scsi.c (the SCSI commands they answer).  Private to those three files;
 * the rest of the emulator uses sim.h.
 */
#ifndef _CXLFLASH_SIM_LUN_H
#define _CXLFLASH_SIM_LUN_H

#include <linux/kref.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "sim.h"

/* IEEE company id in the NAA designators (IBM) */
#define SIM_IEEE_OUI		0x005076ULL

#define SIM_MAX_LUN		16384U		/* single-level LUN addressing */
#define SIM_MAX_XFER_BYTES	SZ_16M	/* per READ/WRITE command */
#define SIM_OPT_XFER_BYTES	SZ_1M
#define SIM_MAX_WS_BYTES	(32ULL * SZ_1G)	/* per WRITE SAME command */
#define SIM_NOWAIT_MAX_BYTES	(256 * 1024)	/* inline doorbell commands */
#define SIM_MAX_UNMAP_LBAS	0xFFFFFFFFU
/* 8-byte header + descriptors fit one page */
#define SIM_MAX_UNMAP_DESC	255U

/* Additional sense codes, as (asc << 8 | ascq) */
#define SIM_ASC_NONE			0x0000
#define SIM_ASC_WRITE_ERROR		0x0C00
#define SIM_ASC_UNRECOVERED_READ	0x1100
#define SIM_ASC_PARAM_LIST_LENGTH	0x1A00
#define SIM_ASC_INVALID_OPCODE		0x2000
#define SIM_ASC_LBA_OUT_OF_RANGE	0x2100
#define SIM_ASC_INVALID_FIELD_CDB	0x2400
#define SIM_ASC_LUN_NOT_SUPPORTED	0x2500
#define SIM_ASC_INVALID_FIELD_PARAM	0x2600
#define SIM_ASC_SPACE_ALLOC_FAILED	0x2707
#define SIM_ASC_POWER_ON_RESET		0x2900
#define SIM_ASC_SAVING_NOT_SUPPORTED	0x3900
#define SIM_ASC_LUNS_CHANGED		0x3F0E

struct sim_lun {
	struct kref kref;
	struct list_head node;		/* in fab->luns: RCU, writers hold fab->lock */

	/* Immutable once the LUN is on the list */
	u64 lun;			/* SCSI LUN number */
	u64 nblocks;			/* capacity in logical blocks */
	u32 block_size;
	u8 block_shift;
	u8 port_mask;
	u8 wwid[16];			/* NAA-6 designator */
	char serial[24];		/* unit serial number, NUL terminated */
	struct file *file;		/* backing file, or NULL: thin RAM */
	bool provisioned;		/* LUN_PROVISION made it (hostcmd.c) */

	/*
	 * Pending unit attention per port (asc << 8 | ascq, 0: none).
	 * Protected by @ua_lock, a leaf lock.
	 */
	spinlock_t ua_lock;
	u16 ua[CXLFLASH_MAX_FC_PORTS];

	/*
	 * Thin RAM store: struct page pointers indexed by page number of the
	 * LUN.  The xarray's own spinlock (xa_lock) is the LUN's store lock:
	 * it serialises insertion and removal of pages, and a reader takes a
	 * page reference under it (see sim_ram_get()) so a page freed by
	 * UNMAP or WRITE SAME stays valid until the copy that uses it ends.
	 * Page contents are not locked: concurrent overlapping reads and
	 * writes see some interleaving, as on real media.
	 */
	struct xarray pages;
};

/* The state of one command while it executes */
struct sim_cmd {
	struct sim_fabric *fab;
	struct sim_lun *lun;		/* referenced, or NULL: no such LUN */
	unsigned int port;
	u64 lunid;
	const u8 *cdb;
	struct sim_xfer *x;
	struct sim_scsi_result *res;
};

/* scsi.c: sense data and responses */
void sim_fill_sense(u8 *sense, u8 key, u16 asc);
void sim_check(struct sim_cmd *c, u8 key, u16 asc);
void sim_bad_cdb(struct sim_cmd *c);
void sim_lba_out_of_range(struct sim_cmd *c);
void sim_respond(struct sim_cmd *c, const void *buf, u32 n, u32 alloc);

/* lun.c: LUN lookup, references and unit attentions */
void sim_lun_put(struct sim_lun *lun);
bool sim_lun_on_port(const struct sim_lun *lun, unsigned int port);
struct sim_lun *sim_lun_find(struct sim_fabric *fab, unsigned int port,
			     u64 lunid);
u16 sim_ua_take(struct sim_lun *lun, unsigned int port);
void sim_ua_luns_changed(struct sim_fabric *fab, struct sim_lun *lun);

/* store.c: the data, in thin RAM or in a backing file */
int sim_ram_read(struct sim_cmd *c, u64 off, u32 n, u32 xoff);
int sim_ram_write(struct sim_cmd *c, u64 off, u32 n, u32 xoff);
void sim_ram_discard(struct sim_lun *lun, u64 off, u64 len);
int sim_ram_fill(struct sim_cmd *c, u64 off, u64 len, const void *pat);
int sim_file_rw(struct sim_cmd *c, u64 off, u32 n, bool write);
int sim_file_fill(struct sim_cmd *c, u64 off, u64 len, const void *pat);
int sim_file_discard(struct sim_cmd *c, u64 off, u64 len, void *zpage);

#endif /* _CXLFLASH_SIM_LUN_H */
