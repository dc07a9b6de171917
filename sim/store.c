// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: a LUN's data.
 *
 * Thin RAM (a page is allocated on its first write, unallocated pages
 * read as zeros; UNMAP and WRITE SAME of zeros free pages) or a backing
 * file or block device, read and written with kernel_read()/kernel_write()
 * and punched with fallocate() where the file supports it.
 */

#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/xarray.h>
#include <scsi/scsi_proto.h>

#include "lun.h"

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

int sim_ram_read(struct sim_cmd *c, u64 off, u32 n, u32 xoff)
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

int sim_ram_write(struct sim_cmd *c, u64 off, u32 n, u32 xoff)
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
void sim_ram_discard(struct sim_lun *lun, u64 off, u64 len)
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
int sim_ram_fill(struct sim_cmd *c, u64 off, u64 len, const void *pat)
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

int sim_file_rw(struct sim_cmd *c, u64 off, u32 n, bool write)
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
int sim_file_fill(struct sim_cmd *c, u64 off, u64 len, const void *pat)
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
int sim_file_discard(struct sim_cmd *c, u64 off, u64 len, void *zpage)
{
	if (!vfs_fallocate(c->lun->file,
			   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   off, len))
		return 0;
	memset(zpage, 0, PAGE_SIZE);
	return sim_file_fill(c, off, len, zpage);
}

