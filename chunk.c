// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: the chunks of a LUN in virtual mode.
 *
 * A physical LUN in virtual mode is cut into chunks of MC_CHUNK_SIZE
 * blocks.  This file holds their allocator (struct blka: free stack,
 * allocation bitmap, clone counts and the dirty bitmap that says which
 * chunks may still hold someone's data) and their zeroing: an UNMAP when
 * the LUN says unmapped blocks read zeros, a WRITE SAME (with UNMAP when
 * the AFU supports it) else.  The translation tables built from chunks
 * are in vlun.c.
 */

#include <linux/blkdev.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <asm/unaligned.h>

#include <scsi/scsi_device.h>
#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>

#include "afu_if.h"
#include "superpipe.h"
#include "vlun.h"

#define WS_TIMEOUT		(30 * HZ)
#define WS_RETRIES		5
/* one WRITE SAME covers at most this many blocks */
#define WS_MAX_BLOCKS		0x7FFFFFU	/* what sd allows for WRITE SAME(16) */
/* block descriptors in one UNMAP parameter list (at most) */
#define UNMAP_MAX_DESC		64U

/* ---------------------------------------------------------------------- */
/* Chunk allocator                                                        */
/* ---------------------------------------------------------------------- */

/**
 * ba_init() - set up the allocator of a LUN
 * @blka: allocator (its mutex initialised by the caller).
 * @nchunk: chunks in the LUN.
 *
 * Return: 0, -EINVAL for an empty LUN, -ENOMEM.
 */
int ba_init(struct blka *blka, u64 nchunk)
{
	u64 i;

	if (nchunk == 0 || nchunk > U32_MAX)
		return -EINVAL;

	blka->free_stack = kvmalloc_array(nchunk, sizeof(u32), GFP_KERNEL);
	blka->alloc_map = kvcalloc(BITS_TO_LONGS(nchunk), sizeof(long),
				   GFP_KERNEL);
	blka->dirty_map = kvmalloc_array(BITS_TO_LONGS(nchunk), sizeof(long),
					 GFP_KERNEL);
	blka->clone_cnt = kvzalloc(nchunk, GFP_KERNEL);
	if (!blka->free_stack || !blka->alloc_map || !blka->dirty_map ||
	    !blka->clone_cnt) {
		ba_terminate(blka);
		return -ENOMEM;
	}
	/* nothing is known about the data the LUN holds: all dirty */
	bitmap_fill(blka->dirty_map, nchunk);
	blka->ndirty = nchunk;

	/* popped in ascending order: chunk 0 first */
	for (i = 0; i < nchunk; i++)
		blka->free_stack[i] = (u32)(nchunk - 1 - i);
	blka->nfree = nchunk;
	blka->nchunk = nchunk;
	return 0;
}

void ba_terminate(struct blka *blka)
{
	kvfree(blka->free_stack);
	kvfree(blka->alloc_map);
	kvfree(blka->dirty_map);
	kvfree(blka->clone_cnt);
	blka->free_stack = NULL;
	blka->alloc_map = NULL;
	blka->dirty_map = NULL;
	blka->clone_cnt = NULL;
	blka->nchunk = 0;
	blka->nfree = 0;
	blka->ndirty = 0;
}

/* Allocate one chunk; blka->mutex held.  -ENOSPC when none is free. */
s64 ba_alloc(struct blka *blka)
{
	u32 chunk;

	if (!blka->nfree)
		return -ENOSPC;
	chunk = blka->free_stack[--blka->nfree];
	__set_bit(chunk, blka->alloc_map);
	return chunk;
}

/*
 * Drop a reference to a chunk; blka->mutex held.
 * Return: 1 when the chunk went back to the pool, 0 when clones still
 * hold it, -EINVAL for a chunk that is not allocated.
 */
int ba_free(struct blka *blka, u64 chunk)
{
	if (chunk >= blka->nchunk || !test_bit(chunk, blka->alloc_map))
		return -EINVAL;
	if (blka->clone_cnt[chunk]) {
		blka->clone_cnt[chunk]--;
		return 0;
	}
	__clear_bit(chunk, blka->alloc_map);
	blka->free_stack[blka->nfree++] = (u32)chunk;
	return 1;
}

/* One more reference to an allocated chunk; blka->mutex held. */
int ba_clone(struct blka *blka, u64 chunk)
{
	if (chunk >= blka->nchunk || !test_bit(chunk, blka->alloc_map))
		return -EINVAL;
	if (blka->clone_cnt[chunk] == MAX_AUN_CLONE_CNT)
		return -EIO;
	blka->clone_cnt[chunk]++;
	return 0;
}

u64 ba_space(struct blka *blka)
{
	return blka->nfree;
}

/* May the chunk hold someone's data?  blka->mutex held. */
bool ba_dirty(struct blka *blka, u64 chunk)
{
	return chunk < blka->nchunk && test_bit(chunk, blka->dirty_map);
}

/* The chunk was zeroed; blka->mutex held. */
void ba_set_clean(struct blka *blka, u64 chunk)
{
	if (chunk < blka->nchunk && __test_and_clear_bit(chunk, blka->dirty_map))
		blka->ndirty--;
}

/*
 * [start, start + n), all dirty (a run a growth collected under the mutex
 * and owns since), were zeroed; blka->mutex held.
 */
void ba_set_clean_range(struct blka *blka, u32 start, u32 n)
{
	if ((u64)start + n > blka->nchunk)
		return;
	bitmap_clear(blka->dirty_map, start, n);
	blka->ndirty -= min_t(u64, n, blka->ndirty);
}

void cxlflash_ba_terminate(struct blka *blka)
{
	mutex_lock(&blka->mutex);
	ba_terminate(blka);
	mutex_unlock(&blka->mutex);
}

/* ---------------------------------------------------------------------- */
/* Zeroing                                                                */
/* ---------------------------------------------------------------------- */

/*
 * WRITE SAME(16) of zeros (with UNMAP when the AFU supports it) over
 * [lba, lba + nblks) through the midlayer and the master context.  Called
 * with the ioctl semaphore dropped.
 */
static int write_same16(struct scsi_device *sdev, u64 lba, u64 nblks)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	u32 blk_len = sdev->sector_size ? sdev->sector_size : 512;
	u64 ws_max, n;
	u8 cdb[16];
	u8 *zero;
	int result;
	int rc = 0;

	/* the block layer's limit, never zero (0 would mean "to the end") */
	ws_max = (u64)sdev->request_queue->limits.max_write_zeroes_sectors *
		 512 / blk_len;
	if (ws_max == 0 || ws_max > WS_MAX_BLOCKS)
		ws_max = ws_max ? WS_MAX_BLOCKS : MC_CHUNK_SIZE;

	zero = kzalloc(blk_len, GFP_KERNEL);
	if (!zero)
		return -ENOMEM;

	while (nblks) {
		n = min(nblks, ws_max);
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = WRITE_SAME_16;
		cdb[1] = cfg->ws_unmap ? 0x08 : 0;
		put_unaligned_be64(lba, &cdb[2]);
		put_unaligned_be32((u32)n, &cdb[10]);

		result = cxlflash_own_exec(sdev, cdb, DMA_TO_DEVICE, zero,
					   blk_len, NULL, WS_TIMEOUT,
					   WS_RETRIES);
		if (result) {
			dev_err(cfg->dev, "WRITE SAME(16) at %llu failed, result=%08x\n",
				lba, result);
			rc = -EIO;
			break;
		}
		lba += n;
		nblks -= n;
	}
	kfree(zero);
	return rc;
}

/*
 * Can an UNMAP zero blocks?  Only when the AFU passes unmapping on, the LUN
 * says it supports UNMAP (LBPU) and that unmapped blocks read as zeros
 * (LBPRZ), from the VPD pages the midlayer caches.  Then one UNMAP covers
 * up to max_desc ranges of max_lbas blocks, where WRITE SAME is bounded by
 * the LUN's far smaller maximum write-same length: what keeps scrubbing
 * the chunks of a thin 256 TiB LUN in the milliseconds.
 */
static bool unmap_zeroes(struct scsi_device *sdev, u32 *max_lbas,
			 u32 *max_desc)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct scsi_vpd *b0, *b2;
	bool ok = false;

	if (!cfg->ws_unmap)
		return false;
	rcu_read_lock();
	b0 = rcu_dereference(sdev->vpd_pgb0);
	b2 = rcu_dereference(sdev->vpd_pgb2);
	if (b0 && b2 && b0->len >= 28 && b2->len >= 6 &&
	    (b2->data[5] & 0x80) && ((b2->data[5] >> 2) & 0x7)) {
		*max_lbas = get_unaligned_be32(&b0->data[20]);
		*max_desc = min_t(u32, get_unaligned_be32(&b0->data[24]),
				  UNMAP_MAX_DESC);
		ok = *max_lbas && *max_desc;
	}
	rcu_read_unlock();
	return ok;
}

/* UNMAP [lba, lba + nblks); called with the ioctl semaphore dropped. */
static int unmap_blocks(struct scsi_device *sdev, u64 lba, u64 nblks,
			u32 max_lbas, u32 max_desc)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	u32 ndesc, len, n;
	u8 cdb[10];
	u8 *buf;
	int result;
	int rc = 0;

	buf = kmalloc(8 + 16 * UNMAP_MAX_DESC, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (nblks) {
		memset(buf, 0, 8 + 16 * UNMAP_MAX_DESC);
		for (ndesc = 0; nblks && ndesc < max_desc; ndesc++) {
			n = (u32)min_t(u64, nblks, max_lbas);
			put_unaligned_be64(lba, &buf[8 + 16 * ndesc]);
			put_unaligned_be32(n, &buf[8 + 16 * ndesc + 8]);
			lba += n;
			nblks -= n;
		}
		len = 8 + 16 * ndesc;
		put_unaligned_be16(len - 2, &buf[0]);
		put_unaligned_be16(len - 8, &buf[2]);
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = UNMAP;
		put_unaligned_be16(len, &cdb[7]);

		result = cxlflash_own_exec(sdev, cdb, DMA_TO_DEVICE, buf, len,
					   NULL, WS_TIMEOUT, WS_RETRIES);
		if (result) {
			dev_err(cfg->dev, "UNMAP before %llu failed, result=%08x\n",
				lba, result);
			rc = -EIO;
			break;
		}
	}
	kfree(buf);
	return rc;
}

/* Zero [lba, lba + nblks): UNMAP where it zeroes, else WRITE SAME. */
int cxlflash_zero_blocks(struct scsi_device *sdev, u64 lba, u64 nblks)
{
	u32 max_lbas, max_desc;

	if (unmap_zeroes(sdev, &max_lbas, &max_desc) &&
	    !unmap_blocks(sdev, lba, nblks, max_lbas, max_desc))
		return 0;
	return write_same16(sdev, lba, nblks);
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Zero a list of chunks, coalescing neighbours that follow each other in
 * the list into one command (any order is correct, ascending is fastest).
 */
static int zero_runs(struct scsi_device *sdev, const u32 *chunks, u64 n)
{
	u64 i = 0, j;
	int rc;

	while (i < n) {
		j = i + 1;
		while (j < n && chunks[j] == chunks[j - 1] + 1)
			j++;
		rc = cxlflash_zero_blocks(sdev,
					  (u64)chunks[i] << MC_CHUNK_SHIFT,
					  (j - i) << MC_CHUNK_SHIFT);
		if (rc)
			return rc;
		i = j;
	}
	return 0;
}

/* Zero a set of chunks in any order (often ascending already). */
int cxlflash_zero_chunks(struct scsi_device *sdev, u32 *chunks, u64 n)
{
	u64 i;

	for (i = 1; i < n; i++)
		if (chunks[i] < chunks[i - 1]) {
			sort(chunks, n, sizeof(u32), cmp_u32, NULL);
			break;
		}
	return zero_runs(sdev, chunks, n);
}
