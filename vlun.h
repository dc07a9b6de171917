/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash: the chunk allocator and chunk zeroing of virtual LUNs (chunk.c).
 */
#ifndef _CXLFLASH_VLUN_H
#define _CXLFLASH_VLUN_H

#include <linux/mutex.h>
#include <linux/types.h>

struct scsi_device;

#define MAX_AUN_CLONE_CNT	0xFF
#define LXT_LUNIDX_SHIFT	SISL_LXT_LUNIDX_SHIFT
#define LXT_PERM_SHIFT		SISL_LXT_PERM_SHIFT

/*
 * Chunk allocator of one physical LUN.  Free chunks sit on a stack, so
 * both allocation and release cost O(1) whatever the size of the LUN; a
 * bitmap (bit set = allocated) catches double frees, and a byte per chunk
 * counts the extra references VLUN_CLONE adds.  @mutex protects it all.
 *
 * Remanence: @dirty_map has a bit set for every chunk that may hold data
 * some tenant could read, i.e. that was not zeroed since the allocator was
 * made.  The allocator lives while the LUN is in virtual mode; before that
 * the LUN was written through /dev/sdX (legacy) or USER_DIRECT, so a new
 * allocator starts with every chunk dirty.  Growing zeroes the dirty
 * chunks it hands out (and only those), shrinking zeroes every chunk that
 * goes back to the pool and marks it clean.  The first growth of a pool
 * therefore pays for what it hands out, later growths into scrubbed
 * chunks cost nothing.
 */
struct blka {
	struct mutex mutex;		/* everything below */
	u64 nchunk;			/* chunks in the LUN, 0: not set up */
	u64 nfree;			/* entries on the free stack */
	u64 ndirty;			/* bits set in dirty_map */
	u32 *free_stack;
	unsigned long *alloc_map;
	unsigned long *dirty_map;
	u8 *clone_cnt;
};

int ba_init(struct blka *blka, u64 nchunk);
void ba_terminate(struct blka *blka);
s64 ba_alloc(struct blka *blka);
int ba_free(struct blka *blka, u64 chunk);
int ba_clone(struct blka *blka, u64 chunk);
u64 ba_space(struct blka *blka);
bool ba_dirty(struct blka *blka, u64 chunk);
void ba_set_clean(struct blka *blka, u64 chunk);
void ba_set_clean_range(struct blka *blka, u32 start, u32 n);
void cxlflash_ba_terminate(struct blka *blka);
int cxlflash_zero_blocks(struct scsi_device *sdev, u64 lba, u64 nblks);
int cxlflash_zero_chunks(struct scsi_device *sdev, u32 *chunks, u64 n);

#endif /* _CXLFLASH_VLUN_H */
