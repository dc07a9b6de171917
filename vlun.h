/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash: virtual LUN chunk allocator and translation tables.
 */
#ifndef _CXLFLASH_VLUN_H
#define _CXLFLASH_VLUN_H

#include <linux/mutex.h>
#include <linux/types.h>

#define MAX_AUN_CLONE_CNT	0xFF
#define LXT_LUNIDX_SHIFT	SISL_LXT_LUNIDX_SHIFT
#define LXT_PERM_SHIFT		SISL_LXT_PERM_SHIFT

/*
 * Chunk allocator of one physical LUN.  Free chunks sit on a stack, so
 * both allocation and release cost O(1) whatever the size of the LUN; a
 * bitmap (bit set = allocated) catches double frees, and a byte per chunk
 * counts the extra references VLUN_CLONE adds.  @mutex protects it all.
 */
struct blka {
	struct mutex mutex;		/* everything below */
	u64 nchunk;			/* chunks in the LUN, 0: not set up */
	u64 nfree;			/* entries on the free stack */
	u32 *free_stack;
	unsigned long *alloc_map;
	u8 *clone_cnt;
};

int ba_init(struct blka *blka, u64 nchunk);
void ba_terminate(struct blka *blka);
s64 ba_alloc(struct blka *blka);
int ba_free(struct blka *blka, u64 chunk);
int ba_clone(struct blka *blka, u64 chunk);
u64 ba_space(struct blka *blka);

#endif /* _CXLFLASH_VLUN_H */
