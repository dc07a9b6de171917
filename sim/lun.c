// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: the Fibre Channel fabric behind an emulated AFU's ports.
 *
 * Each adapter owns a struct sim_fabric holding its LUNs.  A LUN is visible
 * on every port of its port mask, under one SCSI LUN number.  This file
 * answers the SCSI commands a disk must (SPC-4/SBC-3 subset), with fixed
 * format sense data, and keeps the data either in thin RAM (a page is
 * allocated on its first write, unallocated pages read as zeros) or in a
 * file or block device.
 *
 * Lifetime: the fabric's list holds one reference on each LUN.  Commands
 * look the LUN up under RCU and take their own reference, so a LUN removed
 * while a command runs is freed when that command finishes.
 */

#include <linux/err.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <asm/unaligned.h>
#include <scsi/scsi_proto.h>

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

/* ---------------------------------------------------------------------- */
/* Sense data and responses                                               */
/* ---------------------------------------------------------------------- */

static void sim_fill_sense(u8 *sense, u8 key, u16 asc)
{
	memset(sense, 0, 18);
	sense[0] = 0x70;		/* current error, fixed format */
	sense[2] = key;
	sense[7] = 10;			/* additional sense length */
	sense[12] = asc >> 8;
	sense[13] = asc & 0xff;
}

static void sim_check(struct sim_cmd *c, u8 key, u16 asc)
{
	struct sim_scsi_result *res = c->res;

	res->status = SAM_STAT_CHECK_CONDITION;
	res->sense_len = sizeof(res->sense);
	sim_fill_sense(res->sense, key, asc);
}

static void sim_bad_cdb(struct sim_cmd *c)
{
	sim_check(c, ILLEGAL_REQUEST, SIM_ASC_INVALID_FIELD_CDB);
}

static void sim_lba_out_of_range(struct sim_cmd *c)
{
	sim_check(c, ILLEGAL_REQUEST, SIM_ASC_LBA_OUT_OF_RANGE);
}

/*
 * Send @n bytes of a response built in @buf, cut to the allocation length
 * and to what the host offered.
 */
static void sim_respond(struct sim_cmd *c, const void *buf, u32 n, u32 alloc)
{
	n = min3(n, alloc, c->x->len);
	if (n && sim_xfer_to_host(c->x, 0, buf, n)) {
		c->res->fault = true;
		return;
	}
	c->res->xfer_len = n;
}

/* ---------------------------------------------------------------------- */
/* LUN lookup, references and unit attentions                             */
/* ---------------------------------------------------------------------- */

static void sim_lun_release(struct kref *kref)
{
	struct sim_lun *lun = container_of(kref, struct sim_lun, kref);
	unsigned long idx;
	struct page *page;

	xa_for_each(&lun->pages, idx, page) {
		put_page(page);
		cond_resched();
	}
	xa_destroy(&lun->pages);
	if (lun->file)
		filp_close(lun->file, NULL);
	kfree(lun);
}

static void sim_lun_put(struct sim_lun *lun)
{
	kref_put(&lun->kref, sim_lun_release);
}

static bool sim_lun_on_port(const struct sim_lun *lun, unsigned int port)
{
	return port < CXLFLASH_MAX_FC_PORTS && (lun->port_mask & BIT(port));
}

/* Returns the LUN @lunid seen on @port with a reference, or NULL. */
static struct sim_lun *sim_lun_find(struct sim_fabric *fab, unsigned int port,
				    u64 lunid)
{
	struct sim_lun *lun, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(lun, &fab->luns, node) {
		if (lun->lun == lunid && sim_lun_on_port(lun, port)) {
			if (kref_get_unless_zero(&lun->kref))
				found = lun;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/* Queue @asc on @port; a pending power-on/reset outranks anything else. */
static void sim_ua_set_port(struct sim_lun *lun, unsigned int port, u16 asc)
{
	u16 old = lun->ua[port];

	if (old && (old >> 8) == (SIM_ASC_POWER_ON_RESET >> 8) &&
	    (asc >> 8) != (SIM_ASC_POWER_ON_RESET >> 8))
		return;
	lun->ua[port] = asc;
}

static void sim_ua_set(struct sim_lun *lun, u8 ports, u16 asc)
{
	unsigned int p;

	spin_lock(&lun->ua_lock);
	for (p = 0; p < CXLFLASH_MAX_FC_PORTS; p++)
		if (ports & lun->port_mask & BIT(p))
			sim_ua_set_port(lun, p, asc);
	spin_unlock(&lun->ua_lock);
}

void sim_lun_set_ua(struct sim_lun *lun, u8 asc, u8 ascq)
{
	sim_ua_set(lun, lun->port_mask, (u16)asc << 8 | ascq);
}

/* Take the pending unit attention of @port; 0 if none. */
static u16 sim_ua_take(struct sim_lun *lun, unsigned int port)
{
	u16 asc;

	spin_lock(&lun->ua_lock);
	asc = lun->ua[port];
	lun->ua[port] = 0;
	spin_unlock(&lun->ua_lock);
	return asc;
}

/* Tell the other LUNs sharing a port with @lun that the inventory changed */
static void sim_ua_luns_changed(struct sim_fabric *fab, struct sim_lun *lun)
{
	struct sim_lun *l;

	lockdep_assert_held(&fab->lock);
	list_for_each_entry(l, &fab->luns, node)
		if (l != lun && (l->port_mask & lun->port_mask))
			sim_ua_set(l, lun->port_mask, SIM_ASC_LUNS_CHANGED);
}

/* ---------------------------------------------------------------------- */
/* Thin RAM store                                                         */
/* ---------------------------------------------------------------------- */

/* Returns the page at @idx with a reference, or NULL if never written. */
static struct page *sim_ram_get(struct sim_lun *lun, unsigned long idx)
{
	struct page *page;

	xa_lock(&lun->pages);
	page = xa_load(&lun->pages, idx);
	if (page)
		get_page(page);
	xa_unlock(&lun->pages);
	return page;
}

/* As sim_ram_get(), allocating a zeroed page if needed; NULL if no memory. */
static struct page *sim_ram_get_alloc(struct sim_lun *lun, unsigned long idx)
{
	struct page *page, *old;

	page = sim_ram_get(lun, idx);
	if (page)
		return page;

	/* GFP_NOIO: this store may sit under the block layer's writeback */
	page = alloc_page(GFP_NOIO | __GFP_ZERO);
	if (!page)
		return NULL;

	xa_lock(&lun->pages);
	old = __xa_cmpxchg(&lun->pages, idx, NULL, page, GFP_NOIO);
	if (xa_is_err(old)) {
		xa_unlock(&lun->pages);
		__free_page(page);
		return NULL;
	}
	if (old) {
		/* Lost a race with another writer: use its page */
		get_page(old);
		xa_unlock(&lun->pages);
		__free_page(page);
		return old;
	}
	get_page(page);			/* the xarray keeps the first one */
	xa_unlock(&lun->pages);
	return page;
}

/* Bytes from @off to the end of its page, at most @n */
static u32 sim_page_chunk(u64 off, u64 n)
{
	return min_t(u64, n, PAGE_SIZE - offset_in_page(off));
}

static int sim_ram_read(struct sim_cmd *c, u64 off, u32 n, u32 xoff)
{
	struct sim_lun *lun = c->lun;
	struct page *page;
	u32 chunk;
	int rc;

	while (n) {
		chunk = sim_page_chunk(off, n);
		page = sim_ram_get(lun, off >> PAGE_SHIFT);
		if (page) {
			rc = sim_xfer_to_host(c->x, xoff,
					      page_address(page) + offset_in_page(off),
					      chunk);
			put_page(page);
		} else {
			rc = sim_xfer_zero_host(c->x, xoff, chunk);
		}
		if (rc) {
			c->res->fault = true;
			return rc;
		}
		off += chunk;
		xoff += chunk;
		n -= chunk;
		c->res->xfer_len = xoff;
		if (!c->x->nowait)
			cond_resched();
	}
	return 0;
}

static int sim_ram_write(struct sim_cmd *c, u64 off, u32 n, u32 xoff)
{
	struct sim_lun *lun = c->lun;
	struct page *page;
	u32 chunk;
	int rc;

	while (n) {
		chunk = sim_page_chunk(off, n);
		page = sim_ram_get_alloc(lun, off >> PAGE_SHIFT);
		if (!page) {
			sim_check(c, DATA_PROTECT, SIM_ASC_SPACE_ALLOC_FAILED);
			return -ENOMEM;
		}
		rc = sim_xfer_from_host(c->x, xoff,
					page_address(page) + offset_in_page(off),
					chunk);
		put_page(page);
		if (rc) {
			c->res->fault = true;
			return rc;
		}
		off += chunk;
		xoff += chunk;
		n -= chunk;
		c->res->xfer_len = xoff;
		if (!c->x->nowait)
			cond_resched();
	}
	return 0;
}

/*
 * Make @len bytes at @off read as zeros: pages entirely inside the range are
 * freed, the edges of partly covered pages are cleared if they exist.
 */
static void sim_ram_discard(struct sim_lun *lun, u64 off, u64 len)
{
	u64 end = off + len;
	unsigned long first, last, idx;
	struct page *page;
	u32 chunk;

	/* Leading partial page */
	if (offset_in_page(off) && len) {
		chunk = sim_page_chunk(off, len);
		page = sim_ram_get(lun, off >> PAGE_SHIFT);
		if (page) {
			memset(page_address(page) + offset_in_page(off), 0, chunk);
			put_page(page);
		}
		off += chunk;
	}
	/* Trailing partial page */
	if (offset_in_page(end) && end > off) {
		page = sim_ram_get(lun, end >> PAGE_SHIFT);
		if (page) {
			memset(page_address(page), 0, offset_in_page(end));
			put_page(page);
		}
		end = round_down(end, PAGE_SIZE);
	}
	if (end <= off)
		return;

	first = off >> PAGE_SHIFT;
	last = (end >> PAGE_SHIFT) - 1;
	xa_for_each_range(&lun->pages, idx, page, first, last) {
		page = xa_erase(&lun->pages, idx);
		if (page)
			put_page(page);
		cond_resched();
	}
}

/* Fill @len bytes at @off from @pat, a page holding the repeated block */
static int sim_ram_fill(struct sim_cmd *c, u64 off, u64 len, const void *pat)
{
	struct page *page;
	u32 chunk;

	while (len) {
		chunk = sim_page_chunk(off, len);
		page = sim_ram_get_alloc(c->lun, off >> PAGE_SHIFT);
		if (!page) {
			sim_check(c, DATA_PROTECT, SIM_ASC_SPACE_ALLOC_FAILED);
			return -ENOMEM;
		}
		/* @off is block aligned, so the pattern starts a block here */
		memcpy(page_address(page) + offset_in_page(off), pat, chunk);
		put_page(page);
		off += chunk;
		len -= chunk;
		cond_resched();
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* File / block device store                                              */
/* ---------------------------------------------------------------------- */

/* Read @n bytes at @pos; the part past the end of the file reads as zeros */
static int sim_file_read(struct sim_lun *lun, void *buf, u32 n, loff_t pos)
{
	ssize_t got;
	u32 done = 0;

	while (done < n) {
		got = kernel_read(lun->file, buf + done, n - done, &pos);
		if (got < 0)
			return got;
		if (!got)
			break;
		done += got;
	}
	memset(buf + done, 0, n - done);
	return 0;
}

static int sim_file_write(struct sim_lun *lun, const void *buf, u32 n,
			  loff_t pos)
{
	ssize_t put;
	u32 done = 0;

	while (done < n) {
		put = kernel_write(lun->file, buf + done, n - done, &pos);
		if (put < 0)
			return put;
		if (!put)
			return -EIO;
		done += put;
	}
	return 0;
}

static int sim_file_rw(struct sim_cmd *c, u64 off, u32 n, bool write)
{
	void *buf;
	u32 chunk, xoff = 0;
	int rc = 0;

	buf = (void *)__get_free_page(GFP_NOIO);
	if (!buf) {
		c->res->status = SAM_STAT_BUSY;
		return -ENOMEM;
	}

	while (xoff < n) {
		chunk = min_t(u32, n - xoff, PAGE_SIZE);
		if (write) {
			rc = sim_xfer_from_host(c->x, xoff, buf, chunk);
			if (rc) {
				c->res->fault = true;
				break;
			}
			rc = sim_file_write(c->lun, buf, chunk, off);
			if (rc) {
				sim_check(c, MEDIUM_ERROR, SIM_ASC_WRITE_ERROR);
				break;
			}
		} else {
			rc = sim_file_read(c->lun, buf, chunk, off);
			if (rc) {
				sim_check(c, MEDIUM_ERROR,
					  SIM_ASC_UNRECOVERED_READ);
				break;
			}
			rc = sim_xfer_to_host(c->x, xoff, buf, chunk);
			if (rc) {
				c->res->fault = true;
				break;
			}
		}
		off += chunk;
		xoff += chunk;
		c->res->xfer_len = xoff;
		cond_resched();
	}
	free_page((unsigned long)buf);
	return rc;
}

/* Write @len bytes at @off from @pat, a page holding the repeated block */
static int sim_file_fill(struct sim_cmd *c, u64 off, u64 len, const void *pat)
{
	u32 chunk;

	while (len) {
		chunk = min_t(u64, len, PAGE_SIZE);
		if (sim_file_write(c->lun, pat, chunk, off)) {
			sim_check(c, MEDIUM_ERROR, SIM_ASC_WRITE_ERROR);
			return -EIO;
		}
		off += chunk;
		len -= chunk;
		cond_resched();
	}
	return 0;
}

/* Make a range read as zeros: punch a hole, or write zeros if we cannot */
static int sim_file_discard(struct sim_cmd *c, u64 off, u64 len, void *zpage)
{
	if (!vfs_fallocate(c->lun->file,
			   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   off, len))
		return 0;
	memset(zpage, 0, PAGE_SIZE);
	return sim_file_fill(c, off, len, zpage);
}

/* ---------------------------------------------------------------------- */
/* Block commands                                                         */
/* ---------------------------------------------------------------------- */

/* Check that [lba, lba + nblk) lies on the medium */
static bool sim_lba_ok(struct sim_cmd *c, u64 lba, u64 nblk)
{
	u64 cap = c->lun->nblocks;

	if (lba > cap || nblk > cap - lba) {
		sim_lba_out_of_range(c);
		return false;
	}
	return true;
}

static void sim_read_write(struct sim_cmd *c, bool write)
{
	const u8 *cdb = c->cdb;
	struct sim_lun *lun = c->lun;
	u64 lba, bytes;
	u32 nblk, n;

	switch (cdb[0]) {
	case READ_6:
	case WRITE_6:
		lba = get_unaligned_be24(&cdb[1]) & 0x1FFFFF;
		nblk = cdb[4] ? cdb[4] : 256;
		break;
	case READ_10:
	case WRITE_10:
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
		break;
	default:			/* READ_16, WRITE_16 */
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
		break;
	}
	/* No protection information: RDPROTECT/WRPROTECT must be zero */
	if (cdb[0] != READ_6 && cdb[0] != WRITE_6 && (cdb[1] & 0xE0)) {
		sim_bad_cdb(c);
		return;
	}
	if (!sim_lba_ok(c, lba, nblk))
		return;

	bytes = (u64)nblk << lun->block_shift;
	c->res->want_len = bytes;
	/*
	 * A data length that disagrees with the CDB: a READ moves what fits
	 * and the AFU reports the residual; a WRITE is refused before any
	 * data moves, as an FC target refuses a write whose FCP_DL differs
	 * from the transfer length.
	 */
	if (write && bytes != c->x->len) {
		sim_bad_cdb(c);
		return;
	}
	n = min_t(u64, bytes, c->x->len);
	if (!n)
		return;

	if (lun->file)
		sim_file_rw(c, lba << lun->block_shift, n, write);
	else if (write)
		sim_ram_write(c, lba << lun->block_shift, n, 0);
	else
		sim_ram_read(c, lba << lun->block_shift, n, 0);
}

static void sim_write_same(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	struct sim_lun *lun = c->lun;
	bool ndob = false, zero;
	u64 lba, off, len;
	u32 nblk, bs = lun->block_size, i;
	void *pat;

	if (cdb[0] == WRITE_SAME) {
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
	} else {
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
		ndob = cdb[1] & 0x01;
	}
	/* WRPROTECT, ANCHOR: unsupported; WSNZ is set, so zero blocks is bad */
	if ((cdb[1] & 0xF0) || !nblk ||
	    ((u64)nblk << lun->block_shift) > SIM_MAX_WS_BYTES) {
		sim_bad_cdb(c);
		return;
	}
	if (!sim_lba_ok(c, lba, nblk))
		return;

	pat = (void *)__get_free_page(GFP_NOIO | __GFP_ZERO);
	if (!pat) {
		c->res->status = SAM_STAT_BUSY;
		return;
	}
	if (!ndob) {
		if (c->x->len < bs) {
			sim_check(c, ILLEGAL_REQUEST,
				  SIM_ASC_INVALID_FIELD_PARAM);
			goto out;
		}
		if (sim_xfer_from_host(c->x, 0, pat, bs)) {
			c->res->fault = true;
			goto out;
		}
		c->res->xfer_len = bs;
	}
	zero = !memchr_inv(pat, 0, bs);
	for (i = bs; i < PAGE_SIZE; i += bs)
		memcpy(pat + i, pat, bs);

	off = lba << lun->block_shift;
	len = (u64)nblk << lun->block_shift;
	/*
	 * Unmapped blocks read as zeros (LBPRZ), so a zero pattern is best
	 * stored as a hole whether or not the UNMAP bit asks for one.
	 */
	if (lun->file && zero)
		sim_file_discard(c, off, len, pat);
	else if (lun->file)
		sim_file_fill(c, off, len, pat);
	else if (zero)
		sim_ram_discard(lun, off, len);
	else
		sim_ram_fill(c, off, len, pat);
out:
	free_page((unsigned long)pat);
}

static void sim_unmap(struct sim_cmd *c)
{
	struct sim_lun *lun = c->lun;
	u32 plen = get_unaligned_be16(&c->cdb[7]);
	u32 ndesc, i, nblk;
	u8 hdr[8], desc[16];
	void *zpage = NULL;
	bool exec;
	u64 lba;

	if (c->cdb[1] & 0x01) {			/* ANCHOR */
		sim_bad_cdb(c);
		return;
	}
	/* Only what the host offered of the parameter list counts */
	plen = min(plen, c->x->len);
	if (!plen)
		return;
	if (plen < 8) {
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_PARAM_LIST_LENGTH);
		return;
	}
	if (sim_xfer_from_host(c->x, 0, hdr, 8)) {
		c->res->fault = true;
		return;
	}
	ndesc = min_t(u32, get_unaligned_be16(&hdr[2]), plen - 8) / 16;
	if (ndesc > SIM_MAX_UNMAP_DESC) {
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_INVALID_FIELD_PARAM);
		return;
	}

	/* Pass 0 validates every descriptor, pass 1 unmaps */
	for (exec = false; ; exec = true) {
		for (i = 0; i < ndesc; i++) {
			if (sim_xfer_from_host(c->x, 8 + i * 16, desc, 16)) {
				c->res->fault = true;
				goto out;
			}
			lba = get_unaligned_be64(&desc[0]);
			nblk = get_unaligned_be32(&desc[8]);
			if (!exec) {
				if (!sim_lba_ok(c, lba, nblk))
					goto out;
				continue;
			}
			if (!nblk)
				continue;
			if (!lun->file) {
				sim_ram_discard(lun, lba << lun->block_shift,
						(u64)nblk << lun->block_shift);
				continue;
			}
			if (!zpage) {
				zpage = (void *)__get_free_page(GFP_NOIO);
				if (!zpage) {
					c->res->status = SAM_STAT_BUSY;
					goto out;
				}
			}
			if (sim_file_discard(c, lba << lun->block_shift,
					     (u64)nblk << lun->block_shift,
					     zpage))
				goto out;
		}
		if (exec)
			break;
	}
	c->res->xfer_len = 8 + ndesc * 16;
out:
	if (zpage)
		free_page((unsigned long)zpage);
}

static void sim_sync_cache(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	u64 lba, nblk;

	if (cdb[0] == SYNCHRONIZE_CACHE) {
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
	} else {
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
	}
	if (!sim_lba_ok(c, lba, nblk))
		return;
	if (c->lun->file && vfs_fsync(c->lun->file, 0))
		sim_check(c, MEDIUM_ERROR, SIM_ASC_WRITE_ERROR);
}

static void sim_verify(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	u64 lba, nblk;

	if (cdb[1] & 0xE6) {		/* VRPROTECT, BYTCHK */
		sim_bad_cdb(c);
		return;
	}
	if (cdb[0] == VERIFY) {
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
	} else {
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
	}
	sim_lba_ok(c, lba, nblk);
}

static void sim_read_capacity10(struct sim_cmd *c)
{
	u64 last = c->lun->nblocks - 1;
	u8 buf[8];

	/* PMI = 0 requires LOGICAL BLOCK ADDRESS = 0 */
	if (!(c->cdb[8] & 0x01) && get_unaligned_be32(&c->cdb[2])) {
		sim_bad_cdb(c);
		return;
	}
	put_unaligned_be32(min_t(u64, last, 0xFFFFFFFF), &buf[0]);
	put_unaligned_be32(c->lun->block_size, &buf[4]);
	sim_respond(c, buf, sizeof(buf), sizeof(buf));
}

static void sim_read_capacity16(struct sim_cmd *c)
{
	u8 buf[32] = { };

	if ((c->cdb[1] & 0x1F) != SAI_READ_CAPACITY_16) {
		sim_bad_cdb(c);
		return;
	}
	put_unaligned_be64(c->lun->nblocks - 1, &buf[0]);
	put_unaligned_be32(c->lun->block_size, &buf[8]);
	buf[14] = 0x80 | 0x40;		/* LBPME, LBPRZ: thin, reads zeros */
	sim_respond(c, buf, sizeof(buf), get_unaligned_be32(&c->cdb[10]));
}

/* ---------------------------------------------------------------------- */
/* MODE SENSE                                                             */
/* ---------------------------------------------------------------------- */

#define SIM_MPAGE_CACHING	0x08
#define SIM_MPAGE_CONTROL	0x0A
#define SIM_MPAGE_ALL		0x3F

/*
 * Write cache: file-backed LUNs write to the page cache and flush on
 * SYNCHRONIZE CACHE, so they report WCE=1; RAM LUNs have no volatile cache.
 */
static u32 sim_mpage_caching(struct sim_lun *lun, u8 *p, bool changeable)
{
	memset(p, 0, 20);
	p[0] = SIM_MPAGE_CACHING;
	p[1] = 18;
	if (!changeable && lun->file)
		p[2] = 0x04;			/* WCE */
	return 20;
}

static u32 sim_mpage_control(u8 *p, bool changeable)
{
	memset(p, 0, 12);
	p[0] = SIM_MPAGE_CONTROL;
	p[1] = 10;
	if (!changeable) {
		p[3] = 0x10;			/* QAM: unrestricted reordering */
		put_unaligned_be16(0xFFFF, &p[8]);	/* busy timeout: unlimited */
	}
	return 12;
}

static void sim_mode_sense(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	struct sim_lun *lun = c->lun;
	bool ten = cdb[0] == MODE_SENSE_10;
	bool dbd = cdb[1] & 0x08;
	bool llbaa = ten && (cdb[1] & 0x10);
	u8 pc = cdb[2] >> 6, page = cdb[2] & 0x3F, subpage = cdb[3];
	u32 hlen = ten ? 8 : 4, n, alloc;
	u8 buf[64] = { };
	u8 *p;

	alloc = ten ? get_unaligned_be16(&cdb[7]) : cdb[4];
	if (pc == 3) {
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_SAVING_NOT_SUPPORTED);
		return;
	}
	if ((page != SIM_MPAGE_CACHING && page != SIM_MPAGE_CONTROL &&
	     page != SIM_MPAGE_ALL) ||
	    (subpage && !(page == SIM_MPAGE_ALL && subpage == 0xFF))) {
		sim_bad_cdb(c);
		return;
	}

	p = buf + hlen;
	if (!dbd) {
		if (llbaa) {
			put_unaligned_be64(lun->nblocks, &p[0]);
			put_unaligned_be32(lun->block_size, &p[12]);
			buf[4] = 0x01;			/* LONGLBA */
			p += 16;
		} else {
			put_unaligned_be24(min_t(u64, lun->nblocks, 0xFFFFFF),
					   &p[1]);
			put_unaligned_be24(lun->block_size, &p[5]);
			p += 8;
		}
	}
	if (ten)
		put_unaligned_be16(p - buf - hlen, &buf[6]);
	else
		buf[3] = p - buf - hlen;

	if (page == SIM_MPAGE_CACHING || page == SIM_MPAGE_ALL)
		p += sim_mpage_caching(lun, p, pc == 1);
	if (page == SIM_MPAGE_CONTROL || page == SIM_MPAGE_ALL)
		p += sim_mpage_control(p, pc == 1);

	n = p - buf;
	/* Mode data length excludes itself; device-specific parameter 0 */
	if (ten)
		put_unaligned_be16(n - 2, &buf[0]);
	else
		buf[0] = n - 1;
	sim_respond(c, buf, n, alloc);
}

/* ---------------------------------------------------------------------- */
/* INQUIRY, REPORT LUNS, REQUEST SENSE                                    */
/* ---------------------------------------------------------------------- */

static const u8 sim_vpd_pages[] = { 0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2 };

static u32 sim_inquiry_std(struct sim_cmd *c, u8 *buf)
{
	struct sim_lun *lun = c->lun;

	memset(buf, 0, 74);
	buf[0] = lun ? TYPE_DISK : 0x7F;	/* PQ 011b, type 1Fh if none */
	buf[2] = 0x06;				/* SPC-4 */
	buf[3] = 0x12;				/* HISUP, response format 2 */
	buf[4] = 74 - 5;
	if (lun && hweight8(lun->port_mask) > 1)
		buf[6] = 0x10;			/* MULTIP */
	buf[7] = 0x02;				/* CMDQUE */
	memcpy(&buf[8], "IBM     ", 8);
	memcpy(&buf[16], "FlashSystem-SIM ", 16);
	memcpy(&buf[32], "0001", 4);
	/* Version descriptors: SAM-5, SPC-4, SBC-3, FCP-4 */
	put_unaligned_be16(0x00A0, &buf[58]);
	put_unaligned_be16(0x0460, &buf[60]);
	put_unaligned_be16(0x04C0, &buf[62]);
	put_unaligned_be16(0x0A40, &buf[64]);
	return 74;
}

/* Device identification: LU NAA-6, target port NAA-5, relative port */
static u32 sim_vpd_devid(struct sim_cmd *c, u8 *buf)
{
	u8 *p = &buf[4];
	u64 wwpn;

	p[0] = 0x01;			/* code set: binary */
	p[1] = 0x03;			/* association: LU, type: NAA */
	p[3] = 16;
	memcpy(&p[4], c->lun->wwid, 16);
	p += 20;

	/* Target port name: NAA-5, OUI, adapter base and port number */
	wwpn = 5ULL << 60 | SIM_IEEE_OUI << 36 |
	       ((c->fab->wwid_base << 4) & 0xFFFFFFFF0ULL) | c->port;
	p[0] = 0x01;
	p[1] = 0x80 | 0x10 | 0x03;	/* PIV, association: port, NAA */
	p[3] = 8;
	put_unaligned_be64(wwpn, &p[4]);
	p += 12;

	p[0] = 0x01;
	p[1] = 0x80 | 0x10 | 0x04;	/* PIV, port, relative target port */
	p[3] = 4;
	put_unaligned_be16(c->port + 1, &p[6]);
	p += 8;

	return p - buf;
}

static u32 sim_vpd_block_limits(struct sim_cmd *c, u8 *buf)
{
	u8 shift = c->lun->block_shift;

	memset(&buf[4], 0, 0x3C);
	buf[4] = 0x01;					/* WSNZ */
	/* optimal transfer length granularity: one 4 KiB page */
	put_unaligned_be16(max_t(u32, PAGE_SIZE >> shift, 1), &buf[6]);
	put_unaligned_be32(SIM_MAX_XFER_BYTES >> shift, &buf[8]);
	put_unaligned_be32(SIM_OPT_XFER_BYTES >> shift, &buf[12]);
	put_unaligned_be32(SIM_MAX_UNMAP_LBAS, &buf[20]);
	put_unaligned_be32(SIM_MAX_UNMAP_DESC, &buf[24]);
	put_unaligned_be32(max_t(u32, PAGE_SIZE >> shift, 1), &buf[28]);
	put_unaligned_be64(SIM_MAX_WS_BYTES >> shift, &buf[36]);
	return 4 + 0x3C;
}

static void sim_inquiry_vpd(struct sim_cmd *c, u8 *buf, u32 alloc)
{
	u8 page = c->cdb[2];
	u32 n;

	buf[0] = TYPE_DISK;
	buf[1] = page;
	switch (page) {
	case 0x00:
		memcpy(&buf[4], sim_vpd_pages, sizeof(sim_vpd_pages));
		n = 4 + sizeof(sim_vpd_pages);
		break;
	case 0x80:
		n = strlen(c->lun->serial);
		memcpy(&buf[4], c->lun->serial, n);
		n += 4;
		break;
	case 0x83:
		n = sim_vpd_devid(c, buf);
		break;
	case 0xB0:
		n = sim_vpd_block_limits(c, buf);
		break;
	case 0xB1:
		memset(&buf[4], 0, 0x3C);
		put_unaligned_be16(1, &buf[4]);		/* non-rotating */
		n = 4 + 0x3C;
		break;
	case 0xB2:
		buf[4] = 0;			/* threshold exponent */
		buf[5] = 0x80 | 0x40 | 0x20 | 0x04; /* LBPU, LBPWS, LBPWS10, LBPRZ */
		buf[6] = 0x02;			/* provisioning type: thin */
		buf[7] = 0;
		n = 8;
		break;
	default:
		sim_bad_cdb(c);
		return;
	}
	put_unaligned_be16(n - 4, &buf[2]);
	sim_respond(c, buf, n, alloc);
}

static void sim_inquiry(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	u32 alloc = get_unaligned_be16(&cdb[3]);
	u8 buf[96];

	if (cdb[1] & 0x02) {				/* CMDDT */
		sim_bad_cdb(c);
		return;
	}
	if (!(cdb[1] & 0x01)) {
		if (cdb[2]) {
			sim_bad_cdb(c);
			return;
		}
		sim_respond(c, buf, sim_inquiry_std(c, buf), alloc);
		return;
	}
	if (!c->lun) {
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_LUN_NOT_SUPPORTED);
		return;
	}
	memset(buf, 0, sizeof(buf));
	sim_inquiry_vpd(c, buf, alloc);
}

/* SAM-5 single level LUN structure, peripheral or flat space addressing */
static void sim_encode_lun(u64 lun, u8 *p)
{
	memset(p, 0, 8);
	if (lun < 256) {
		p[1] = lun;
	} else {
		p[0] = 0x40 | (lun >> 8);
		p[1] = lun & 0xFF;
	}
}

#define SIM_RLUN_CHUNK	32			/* entries per host copy */

/* Copy the @nbuf entries in @buf that end at @pos, cut at @limit */
static int sim_rlun_flush(struct sim_cmd *c, const u8 *buf, u32 nbuf, u32 pos,
			  u32 limit)
{
	u32 start = pos - nbuf * 8;

	if (!nbuf)
		return 0;
	return sim_xfer_to_host(c->x, start, buf, min(nbuf * 8, limit - start));
}

static void sim_report_luns(struct sim_cmd *c)
{
	struct sim_fabric *fab = c->fab;
	u32 alloc = get_unaligned_be32(&c->cdb[6]);
	u8 select = c->cdb[2];
	u8 buf[8 * SIM_RLUN_CHUNK];
	u32 total = 0, limit, pos, nbuf = 0;
	struct sim_lun *lun;
	bool list;

	if (select > 2 || alloc < 4) {
		sim_bad_cdb(c);
		return;
	}
	/* No well known LUNs: select report 1 gets an empty list */
	list = select != 1;
	limit = min(alloc, c->x->len);

	/*
	 * fab->lock keeps the list stable between counting and copying; the
	 * list is kept sorted by LUN number, so the report is too.
	 */
	mutex_lock(&fab->lock);
	if (list)
		list_for_each_entry(lun, &fab->luns, node)
			if (sim_lun_on_port(lun, c->port))
				total++;

	memset(buf, 0, 8);
	put_unaligned_be32(total * 8, &buf[0]);
	if (limit && sim_xfer_to_host(c->x, 0, buf, min(limit, 8U)))
		goto fault;

	pos = 8;
	if (list) {
		list_for_each_entry(lun, &fab->luns, node) {
			if (pos >= limit)
				break;
			if (!sim_lun_on_port(lun, c->port))
				continue;
			sim_encode_lun(lun->lun, &buf[nbuf * 8]);
			nbuf++;
			pos += 8;
			if (nbuf == SIM_RLUN_CHUNK) {
				if (sim_rlun_flush(c, buf, nbuf, pos, limit))
					goto fault;
				nbuf = 0;
			}
		}
		if (sim_rlun_flush(c, buf, nbuf, pos, limit))
			goto fault;

		/* REPORT LUNS clears "reported LUNs data has changed" */
		list_for_each_entry(lun, &fab->luns, node) {
			if (!sim_lun_on_port(lun, c->port))
				continue;
			spin_lock(&lun->ua_lock);
			if (lun->ua[c->port] == SIM_ASC_LUNS_CHANGED)
				lun->ua[c->port] = 0;
			spin_unlock(&lun->ua_lock);
		}
	}
	mutex_unlock(&fab->lock);
	c->res->xfer_len = min(pos, limit);
	return;
fault:
	mutex_unlock(&fab->lock);
	c->res->fault = true;
}

static void sim_request_sense(struct sim_cmd *c)
{
	u8 sense[18];
	u16 asc;

	if (c->cdb[1] & 0x01) {			/* DESC: fixed format only */
		sim_bad_cdb(c);
		return;
	}
	if (!c->lun) {
		sim_fill_sense(sense, ILLEGAL_REQUEST,
			       SIM_ASC_LUN_NOT_SUPPORTED);
	} else {
		asc = sim_ua_take(c->lun, c->port);
		sim_fill_sense(sense, asc ? UNIT_ATTENTION : NO_SENSE, asc);
	}
	sim_respond(c, sense, sizeof(sense), c->cdb[4]);
}

/* ---------------------------------------------------------------------- */
/* Dispatch                                                               */
/* ---------------------------------------------------------------------- */

/* Commands addressed to an existing LUN, after unit attentions */
static void sim_exec_lun(struct sim_cmd *c)
{
	switch (c->cdb[0]) {
	case TEST_UNIT_READY:
	case START_STOP:
		break;
	case READ_6:
	case READ_10:
	case READ_16:
		sim_read_write(c, false);
		break;
	case WRITE_6:
	case WRITE_10:
	case WRITE_16:
		sim_read_write(c, true);
		break;
	case WRITE_SAME:
	case WRITE_SAME_16:
		sim_write_same(c);
		break;
	case UNMAP:
		sim_unmap(c);
		break;
	case SYNCHRONIZE_CACHE:
	case SYNCHRONIZE_CACHE_16:
		sim_sync_cache(c);
		break;
	case VERIFY:
	case VERIFY_16:
		sim_verify(c);
		break;
	case READ_CAPACITY:
		sim_read_capacity10(c);
		break;
	case SERVICE_ACTION_IN_16:
		sim_read_capacity16(c);
		break;
	case MODE_SENSE:
	case MODE_SENSE_10:
		sim_mode_sense(c);
		break;
	default:
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_INVALID_OPCODE);
		break;
	}
}

void sim_fabric_exec(struct sim_fabric *fab, unsigned int port, u64 lun,
		     const u8 *cdb, struct sim_xfer *x,
		     struct sim_scsi_result *res)
{
	struct sim_cmd c = {
		.fab = fab,
		.port = port,
		.lunid = lun,
		.cdb = cdb,
		.x = x,
		.res = res,
	};
	u16 asc;

	memset(res, 0, sizeof(*res));
	if (port < fab->nports)
		c.lun = sim_lun_find(fab, port, lun);

	switch (cdb[0]) {
	case INQUIRY:
		sim_inquiry(&c);
		break;
	case REPORT_LUNS:
		sim_report_luns(&c);
		break;
	case REQUEST_SENSE:
		sim_request_sense(&c);
		break;
	default:
		if (!c.lun) {
			sim_check(&c, ILLEGAL_REQUEST,
				  SIM_ASC_LUN_NOT_SUPPORTED);
			break;
		}
		asc = sim_ua_take(c.lun, port);
		if (asc) {
			sim_check(&c, UNIT_ATTENTION, asc);
			break;
		}
		sim_exec_lun(&c);
		break;
	}

	if (c.lun)
		sim_lun_put(c.lun);
}

bool sim_fabric_nowait_ok(struct sim_fabric *fab, unsigned int port, u64 lun,
			  const u8 *cdb, u32 data_len)
{
	struct sim_lun *l;
	unsigned long idx, last;
	bool write, ok = true;
	u64 lba;
	u32 nblk;

	switch (cdb[0]) {
	case READ_10:
	case WRITE_10:
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
		break;
	case READ_16:
	case WRITE_16:
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
		break;
	default:
		return false;
	}
	write = cdb[0] == WRITE_10 || cdb[0] == WRITE_16;
	if (port >= fab->nports || data_len > SIM_NOWAIT_MAX_BYTES)
		return false;

	l = sim_lun_find(fab, port, lun);
	if (!l)
		return false;
	if (l->file || lba >= l->nblocks || nblk > l->nblocks - lba) {
		/* file I/O sleeps; errors take the ordinary path */
		ok = false;
	} else if (write && nblk) {
		idx = (lba << l->block_shift) >> PAGE_SHIFT;
		last = (((lba + nblk) << l->block_shift) - 1) >> PAGE_SHIFT;
		for (; idx <= last && ok; idx++)
			ok = !!xa_load(&l->pages, idx);
	}
	sim_lun_put(l);
	return ok;
}

/* ---------------------------------------------------------------------- */
/* Configuration                                                          */
/* ---------------------------------------------------------------------- */

void sim_fabric_init(struct sim_fabric *fab, unsigned int nports, u64 wwid_base)
{
	mutex_init(&fab->lock);
	INIT_LIST_HEAD(&fab->luns);
	fab->nports = nports;
	fab->wwid_base = wwid_base;
	fab->next_serial = 1;
}

void sim_fabric_destroy(struct sim_fabric *fab)
{
	struct sim_lun *lun, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&fab->lock);
	/* Waits for a grace period before reusing the nodes */
	list_splice_init_rcu(&fab->luns, &dead, synchronize_rcu);
	mutex_unlock(&fab->lock);

	list_for_each_entry_safe(lun, tmp, &dead, node) {
		list_del(&lun->node);
		sim_lun_put(lun);
	}
	mutex_destroy(&fab->lock);
}

/* Open the backing file or block device; sets lun->file, returns its size */
static int sim_lun_open_backing(struct sim_lun *lun, const char *path,
				loff_t *fsize)
{
	struct file *file;
	umode_t mode;

	file = filp_open(path, O_RDWR | O_LARGEFILE, 0);
	if (IS_ERR(file))
		return PTR_ERR(file);
	mode = file_inode(file)->i_mode;
	if (!S_ISREG(mode) && !S_ISBLK(mode)) {
		filp_close(file, NULL);
		return -EINVAL;
	}
	lun->file = file;
	*fsize = i_size_read(file->f_mapping->host);
	return 0;
}

/*
 * NAA-6 designator: NAA nibble, 24-bit IEEE company id, 36 bits of vendor
 * specific identifier (from the adapter's base) and a 64-bit extension
 * (rest of the base and the LUN's serial within the adapter).
 */
static void sim_lun_make_wwid(struct sim_lun *lun, u64 base, u32 serial)
{
	u64 hi, lo;

	hi = 6ULL << 60 | SIM_IEEE_OUI << 36 | (base & 0xFFFFFFFFFULL);
	lo = (base >> 36) << 32 | serial;
	put_unaligned_be64(hi, &lun->wwid[0]);
	put_unaligned_be64(lo, &lun->wwid[8]);
	snprintf(lun->serial, sizeof(lun->serial), "%09llX%08X",
		 base & 0xFFFFFFFFFULL, serial);
}

struct sim_lun *sim_lun_add(struct sim_fabric *fab,
			    const struct sim_lun_config *cfg)
{
	struct sim_lun *lun, *l;
	loff_t fsize = 0;
	u64 size;
	unsigned int p;
	int rc;

	if ((cfg->block_size != 512 && cfg->block_size != 4096) ||
	    !cfg->port_mask ||
	    (cfg->port_mask & ~SISL_PORT_MASK(fab->nports)) ||
	    cfg->lun >= SIM_MAX_LUN)
		return ERR_PTR(-EINVAL);

	lun = kzalloc(sizeof(*lun), GFP_KERNEL);
	if (!lun)
		return ERR_PTR(-ENOMEM);
	kref_init(&lun->kref);
	spin_lock_init(&lun->ua_lock);
	xa_init(&lun->pages);
	lun->lun = cfg->lun;
	lun->provisioned = cfg->provisioned;
	lun->port_mask = cfg->port_mask;
	lun->block_size = cfg->block_size;
	lun->block_shift = ilog2(cfg->block_size);
	/* A new LUN has just been powered on, as seen from every port */
	for (p = 0; p < CXLFLASH_MAX_FC_PORTS; p++)
		if (lun->port_mask & BIT(p))
			lun->ua[p] = SIM_ASC_POWER_ON_RESET;

	size = cfg->size;
	if (cfg->backing && cfg->backing[0]) {
		rc = sim_lun_open_backing(lun, cfg->backing, &fsize);
		if (rc)
			goto err;
		if (!size)
			size = fsize;
		/* A device cannot grow; a file can */
		rc = -EINVAL;
		if (S_ISBLK(file_inode(lun->file)->i_mode) && size > fsize)
			goto err;
	}
	size = round_down(size, cfg->block_size);
	rc = -EINVAL;
	if (!size || size > MAX_LFS_FILESIZE)
		goto err;
	lun->nblocks = size >> lun->block_shift;

	mutex_lock(&fab->lock);
	list_for_each_entry(l, &fab->luns, node) {
		if (l->lun == cfg->lun && (l->port_mask & cfg->port_mask)) {
			mutex_unlock(&fab->lock);
			rc = -EEXIST;
			goto err;
		}
	}
	sim_lun_make_wwid(lun, fab->wwid_base, fab->next_serial++);

	/* Keep the list sorted by LUN number for REPORT LUNS */
	list_for_each_entry(l, &fab->luns, node)
		if (l->lun > lun->lun)
			break;
	list_add_tail_rcu(&lun->node, &l->node);
	sim_ua_luns_changed(fab, lun);
	mutex_unlock(&fab->lock);
	return lun;

err:
	if (lun->file)
		filp_close(lun->file, NULL);
	kfree(lun);
	return ERR_PTR(rc);
}

void sim_lun_remove(struct sim_fabric *fab, struct sim_lun *lun)
{
	mutex_lock(&fab->lock);
	list_del_rcu(&lun->node);
	sim_ua_luns_changed(fab, lun);
	mutex_unlock(&fab->lock);
	synchronize_rcu();
	sim_lun_put(lun);
}

int sim_fabric_lun_reset(struct sim_fabric *fab, unsigned int port, u64 lun)
{
	struct sim_lun *l;

	if (port >= fab->nports)
		return -ENODEV;
	l = sim_lun_find(fab, port, lun);
	if (!l)
		return -ENODEV;
	/* A logical unit reset is seen by every I_T nexus */
	sim_lun_set_ua(l, SIM_ASC_POWER_ON_RESET >> 8, 0x03);
	sim_lun_put(l);
	return 0;
}

void sim_lun_get_wwid(struct sim_lun *lun, u8 wwid[16])
{
	memcpy(wwid, lun->wwid, 16);
}

void sim_fabric_port_stats(struct sim_fabric *fab, unsigned int port,
			   u64 *nluns, u64 *cap_4k)
{
	struct sim_lun *lun;
	u64 n = 0, cap = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(lun, &fab->luns, node) {
		if (!sim_lun_on_port(lun, port))
			continue;
		n++;
		cap += (lun->nblocks << lun->block_shift) >> 12;
	}
	rcu_read_unlock();
	*nluns = n;
	*cap_4k = cap;
}

/* ---------------------------------------------------------------------- */
/* LUN provisioning (hostcmd.c)                                           */
/* ---------------------------------------------------------------------- */

int sim_fabric_free_lun(struct sim_fabric *fab, unsigned int port, u64 *lunp)
{
	struct sim_lun *lun;
	u64 want = 0;

	/* the list is sorted by LUN number: the first gap on @port */
	mutex_lock(&fab->lock);
	list_for_each_entry(lun, &fab->luns, node) {
		if (!sim_lun_on_port(lun, port) || lun->lun < want)
			continue;
		if (lun->lun > want)
			break;
		want++;
	}
	mutex_unlock(&fab->lock);
	if (want >= SIM_MAX_LUN)
		return -ENOSPC;
	*lunp = want;
	return 0;
}

int sim_lun_remove_provisioned(struct sim_fabric *fab, unsigned int port,
			       u64 lunid)
{
	struct sim_lun *lun, *found = NULL;

	mutex_lock(&fab->lock);
	list_for_each_entry(lun, &fab->luns, node) {
		if (lun->lun == lunid && sim_lun_on_port(lun, port)) {
			if (lun->provisioned)
				found = lun;
			break;
		}
	}
	if (found) {
		list_del_rcu(&found->node);
		sim_ua_luns_changed(fab, found);
	}
	mutex_unlock(&fab->lock);
	if (!found)
		return -ENOENT;
	synchronize_rcu();
	sim_lun_put(found);
	return 0;
}

u64 sim_fabric_provisioned(struct sim_fabric *fab, unsigned int port)
{
	struct sim_lun *lun;
	u64 n = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(lun, &fab->luns, node)
		if (lun->provisioned && sim_lun_on_port(lun, port))
			n++;
	rcu_read_unlock();
	return n;
}
