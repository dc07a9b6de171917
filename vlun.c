// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: virtual LUNs.
 *
 * A physical LUN in virtual mode is cut into chunks of MC_CHUNK_SIZE
 * blocks.  A virtual LUN is a resource handle in Format 0 whose LBA
 * translation table (LXT) lists its chunks; the AFU translates every
 * command through it and refuses LBAs past its end.  Chunks are zeroed
 * before they return to the free pool, and a chunk not known to be zero is
 * zeroed before it is first handed out, so no tenant ever reads another's
 * data, nor what was written through /dev/sdX or USER_DIRECT before the
 * LUN went virtual.  Zeroing is an UNMAP when the LUN says unmapped blocks
 * read zeros, a WRITE SAME (with UNMAP when the AFU supports it) else.
 *
 * Growing is best effort, as in the historical driver: a virtual LUN
 * grows by what is free when less than asked for is, and only fails with
 * -ENOSPC when not one chunk is.  Chunks that may hold data written before
 * the LUN went virtual (through /dev/sdX or USER_DIRECT) are zeroed when
 * they are first handed out (see struct blka).  The chunk allocator and
 * the zeroing are in chunk.c; this file builds LXTs from chunks.
 */

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/unaligned.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/blkdev.h>

#include <scsi/scsi_device.h>
#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>

#include "afu_if.h"
#include "superpipe.h"
#include "vlun.h"
#include "trace.h"

#define LXT_MIN_ENTRIES		8

/**
 * vlun_last_lba() - last LBA of a virtual LUN, in 4 KiB units
 * @gli: the physical LUN.
 * @lxt_cnt: chunks of the virtual LUN.
 *
 * Return: the last LBA, all ones for an empty virtual LUN.
 */
u64 vlun_last_lba(struct glun_info *gli, u32 lxt_cnt)
{
	if (!lxt_cnt || !gli->blk_len)
		return U64_MAX;
	return (u64)lxt_cnt * MC_CHUNK_SIZE * gli->blk_len /
	       CXLFLASH_BLOCK_SIZE - 1;
}

/* ---------------------------------------------------------------------- */
/* LUN table                                                              */
/* ---------------------------------------------------------------------- */

static __be64 __iomem *port_luns(struct cxlflash_cfg *cfg, int port)
{
	struct sisl_global_map __iomem *g = &cfg->afu->afu_map->global;
	int idx = port % CXLFLASH_NUM_FC_PORTS_PER_BANK;

	if (port / CXLFLASH_NUM_FC_PORTS_PER_BANK == 0)
		return g->fc_port0[idx];
	return g->fc_port1[idx];
}

static void write_luntable(struct cxlflash_cfg *cfg, struct llun_info *lli)
{
	int port;

	for (port = 0; port < cfg->num_fc_ports; port++)
		if (lli->port_sel & (1U << port))
			cxl_writeq(lli->lun_id[port],
				   &port_luns(cfg, port)[lli->lun_index]);
}

/*
 * Give a LUN a slot in the AFU's per-port LUN tables (the LXT names LUNs
 * by slot).  Slots come from a per-adapter IDA and go back when the LUN
 * leaves superpipe mode on every port.  Called with global.mutex held.
 */
static int init_luntable(struct cxlflash_cfg *cfg, struct llun_info *lli)
{
	int slot;

	if (lli->in_table) {
		/* a port may have been enabled since */
		write_luntable(cfg, lli);
		return 0;
	}
	if (!lli->port_sel || lli->port_sel >= (1U << cfg->num_fc_ports))
		return -EIO;

	slot = ida_alloc_max(&cfg->lun_slots, CXLFLASH_LUN_SLOTS - 1,
			     GFP_KERNEL);
	if (slot < 0)
		return slot == -ENOSPC ? -ENOSPC : slot;
	lli->lun_index = slot;
	write_luntable(cfg, lli);
	lli->in_table = true;
	return 0;
}

/**
 * cxlflash_release_luntable() - give a LUN's slot back
 * @cfg: adapter.
 * @lli: LUN leaving superpipe mode on its last port.
 *
 * Called with global.mutex held.
 */
void cxlflash_release_luntable(struct cxlflash_cfg *cfg, struct llun_info *lli)
{
	int port;

	if (!lli->in_table)
		return;
	if (cfg->afu->afu_map && READ_ONCE(cfg->state) == STATE_NORMAL)
		for (port = 0; port < cfg->num_fc_ports; port++)
			cxl_writeq(0, &port_luns(cfg, port)[lli->lun_index]);
	ida_free(&cfg->lun_slots, lli->lun_index);
	lli->in_table = false;
}

/* After an AFU reset: program the LUN tables again. */
void cxlflash_restore_luntable(struct cxlflash_cfg *cfg)
{
	struct llun_info *lli;

	mutex_lock(&global.mutex);
	list_for_each_entry(lli, &cfg->lluns, list)
		if (lli->in_table)
			write_luntable(cfg, lli);
	mutex_unlock(&global.mutex);
}

/* ---------------------------------------------------------------------- */
/* Resize                                                                 */
/* ---------------------------------------------------------------------- */

static u32 lxt_capacity(u32 cnt)
{
	if (!cnt)
		return 0;
	return max_t(u32, LXT_MIN_ENTRIES, roundup_pow_of_two(cnt));
}

/* A run of consecutive dirty chunks a growth hands out */
struct dirty_run {
	u32 start;
	u32 n;
};

/*
 * Zero the dirty chunks a growth is about to hand out, with the context
 * kept (unavail) and its mutex and the ioctl semaphore dropped, as shrink
 * does.  On success they are marked clean.
 */
static int scrub_for_grow(struct cxlflash_cfg *cfg, struct scsi_device *sdev,
			  struct ctx_info *ctxi, struct blka *blka,
			  const struct dirty_run *runs, u32 nrun)
{
	int rc = 0, frc;
	u32 i;

	ctxi->unavail = true;
	mutex_unlock(&ctxi->mutex);
	up_read(&cfg->ioctl_rwsem);
	for (i = 0; i < nrun && !rc; i++)
		rc = cxlflash_zero_blocks(sdev,
					  (u64)runs[i].start << MC_CHUNK_SHIFT,
					  (u64)runs[i].n << MC_CHUNK_SHIFT);
	frc = cxlflash_retake_rwsem(cfg);
	mutex_lock(&ctxi->mutex);
	ctxi->unavail = false;
	if (rc || frc) {
		dev_err(cfg->dev, "chunks could not be zeroed for a grow: %d\n",
			rc ? rc : frc);
		return rc ? rc : frc;
	}
	mutex_lock(&blka->mutex);
	for (i = 0; i < nrun; i++)
		ba_set_clean_range(blka, runs[i].start, runs[i].n);
	mutex_unlock(&blka->mutex);
	return 0;
}

/*
 * Grow: best effort, as the historical driver did.  When fewer chunks are
 * free than asked for, the virtual LUN grows by what there is (the caller
 * reports the size reached in last_lba); -ENOSPC only when not one chunk
 * can be added.  Chunks that may hold earlier data (see struct blka) are
 * zeroed before the AFU can reach them.
 */
static int grow_lxt(struct cxlflash_cfg *cfg, struct scsi_device *sdev,
		    struct llun_info *lli, struct ctx_info *ctxi,
		    res_hndl_t rhndl, struct sisl_rht_entry *rhte, u32 want_cnt)
{
	struct glun_info *gli = lli->parent;
	struct blka *blka = &gli->blka;
	u64 *lxt_old = (u64 *)(uintptr_t)rhte->lxt_start;
	u32 cur = rhte->lxt_cnt, cap = ctxi->rht_lxt_cap[rhndl];
	u32 delta, new_cnt, i, newcap = cap, nrun = 0;
	struct dirty_run *runs = NULL;
	u64 ndirty;
	u64 *lxt = lxt_old;
	u64 tail;
	s64 chunk;
	int rc;

	/*
	 * Size the tables for what can be had (the pool is only peeked at).
	 * ndirty never grows while the pool lives (we hold a user of it).
	 */
	mutex_lock(&blka->mutex);
	delta = (u32)min_t(u64, want_cnt - cur, ba_space(blka));
	ndirty = blka->ndirty;
	mutex_unlock(&blka->mutex);
	if (!delta)
		return -ENOSPC;
	new_cnt = cur + delta;

	if (ndirty) {
		runs = kvmalloc_array(min_t(u64, delta, ndirty), sizeof(*runs),
				      GFP_KERNEL);
		if (!runs)
			return -ENOMEM;
	}

	if (new_cnt > cap) {
		newcap = lxt_capacity(new_cnt);
		lxt = kvcalloc(newcap, sizeof(u64), GFP_KERNEL);
		if (!lxt) {
			kvfree(runs);
			return -ENOMEM;
		}
		if (cur)
			memcpy(lxt, lxt_old, cur * sizeof(u64));
	}

	tail = ((u64)lli->lun_index << LXT_LUNIDX_SHIFT) |
	       ((u64)SISL_RHT_PERM_RW << LXT_PERM_SHIFT) | lli->port_sel;

	mutex_lock(&blka->mutex);
	/* others may have taken chunks since: still best effort */
	delta = (u32)min_t(u64, delta, ba_space(blka));
	if (!delta) {
		mutex_unlock(&blka->mutex);
		new_cnt = cur;
		rc = -ENOSPC;
		goto err_free;
	}
	new_cnt = cur + delta;
	for (i = cur; i < new_cnt; i++) {
		chunk = ba_alloc(blka);
		lxt[i] = ((u64)chunk << MC_CHUNK_SHIFT) | tail;
		if (!runs || !ba_dirty(blka, chunk))
			continue;
		if (nrun && runs[nrun - 1].start + runs[nrun - 1].n == chunk)
			runs[nrun - 1].n++;
		else
			runs[nrun++] = (struct dirty_run){ (u32)chunk, 1 };
	}
	mutex_unlock(&blka->mutex);

	if (nrun) {
		/* the new entries are past lxt_cnt: the AFU does not see them */
		rc = scrub_for_grow(cfg, sdev, ctxi, blka, runs, nrun);
		if (rc) {
			/* back to the pool, still dirty */
			mutex_lock(&blka->mutex);
			for (i = cur; i < new_cnt; i++)
				ba_free(blka, lxt[i] >> MC_CHUNK_SHIFT);
			mutex_unlock(&blka->mutex);
			goto err_free;
		}
	}
	kvfree(runs);

	/* entries, then the table, then the count */
	dma_wmb();
	WRITE_ONCE(rhte->lxt_start, (u64)(uintptr_t)lxt);
	dma_wmb();
	WRITE_ONCE(rhte->lxt_cnt, new_cnt);
	dma_wmb();
	ctxi->rht_lxt_cap[rhndl] = newcap;

	/* a context in error (maybe since the scrub) is unknown to the AFU */
	rc = ctxi->err_recovery_active ? 0 :
	     cxlflash_afu_sync(cfg->afu, CTX_ID_PE(ctxi->ctxid), rhndl,
			       SISL_AFU_SYNC_LW);
	if (rc) {
		/* the AFU may still look at the old table: keep it */
		dev_err(cfg->dev, "sync after grow failed: %d\n", rc);
		cxlflash_schedule_async_reset(cfg);
		return -EAGAIN;
	}
	if (lxt != lxt_old)
		kvfree(lxt_old);
	return 0;

err_free:
	kvfree(runs);
	if (lxt != lxt_old)
		kvfree(lxt);
	else if (new_cnt > cur)
		memset(&lxt[cur], 0, (new_cnt - cur) * sizeof(u64));
	return rc;
}

/*
 * Shrink: the AFU must stop using the removed entries (count first, then
 * table, then a heavyweight sync) before their chunks are zeroed and
 * freed.  The context is kept (unavail) with its mutex and the ioctl
 * semaphore dropped while zeroing.
 */
static int shrink_lxt(struct cxlflash_cfg *cfg, struct scsi_device *sdev,
		      struct llun_info *lli, struct ctx_info *ctxi,
		      res_hndl_t rhndl, struct sisl_rht_entry *rhte,
		      u32 new_cnt)
{
	struct glun_info *gli = lli->parent;
	struct blka *blka = &gli->blka;
	u64 *lxt_old = (u64 *)(uintptr_t)rhte->lxt_start;
	u32 cur = rhte->lxt_cnt, cap = ctxi->rht_lxt_cap[rhndl];
	u32 delta = cur - new_cnt, i, newcap = cap, nzero = 0;
	u64 *lxt = lxt_old;
	u32 *freed;
	int rc = 0, frc;

	if (new_cnt == 0) {
		lxt = NULL;
		newcap = 0;
	} else if (new_cnt * 4 < cap) {
		newcap = lxt_capacity(new_cnt);
		lxt = kvcalloc(newcap, sizeof(u64), GFP_KERNEL);
		if (!lxt) {
			lxt = lxt_old;	/* keep the big table */
			newcap = cap;
		} else {
			memcpy(lxt, lxt_old, new_cnt * sizeof(u64));
		}
	}

	WRITE_ONCE(rhte->lxt_cnt, new_cnt);
	dma_wmb();
	WRITE_ONCE(rhte->lxt_start, (u64)(uintptr_t)lxt);
	dma_wmb();
	ctxi->rht_lxt_cap[rhndl] = newcap;

	if (!ctxi->err_recovery_active) {
		rc = cxlflash_afu_sync(cfg->afu, CTX_ID_PE(ctxi->ctxid), rhndl,
				       SISL_AFU_SYNC_HW);
		if (rc) {
			dev_err(cfg->dev, "sync after shrink failed: %d\n", rc);
			cxlflash_schedule_async_reset(cfg);
			/* chunks stay allocated: the AFU may use them */
			return -EAGAIN;
		}
	}

	/*
	 * The removed entries are the AFU's no more: their chunk numbers are
	 * packed in place over them (a u32 never reaches an entry not read
	 * yet), so that tearing down needs no memory.
	 */
	freed = (u32 *)&lxt_old[new_cnt];
	for (i = 0; i < delta; i++)
		freed[i] = (u32)(lxt_old[new_cnt + i] >> MC_CHUNK_SHIFT);

	/* zero what goes back to the pool (not chunks clones still use) */
	mutex_lock(&blka->mutex);
	for (i = 0; i < delta; i++)
		if (blka->clone_cnt[freed[i]] == 0)
			freed[nzero++] = freed[i];
		else
			ba_free(blka, freed[i]);
	mutex_unlock(&blka->mutex);

	if (nzero) {
		ctxi->unavail = true;
		mutex_unlock(&ctxi->mutex);
		up_read(&cfg->ioctl_rwsem);
		rc = cxlflash_zero_chunks(sdev, freed, nzero);
		frc = cxlflash_retake_rwsem(cfg);
		mutex_lock(&ctxi->mutex);
		ctxi->unavail = false;
		if (rc || frc) {
			/*
			 * Chunks that could not be scrubbed are never handed
			 * out again (they stay allocated, owned by nobody).
			 */
			dev_err(cfg->dev, "%u chunks could not be zeroed, withheld\n",
				nzero);
			goto out;
		}
		mutex_lock(&blka->mutex);
		for (i = 0; i < nzero; i++) {
			ba_set_clean(blka, freed[i]);
			ba_free(blka, freed[i]);
		}
		mutex_unlock(&blka->mutex);
	}
out:
	if (lxt != lxt_old)
		kvfree(lxt_old);
	return 0;
}

/**
 * _cxlflash_vlun_resize() - change the size of a virtual LUN
 * @sdev: device the request came through.
 * @lli: LUN record.
 * @ctxi: context, locked, or NULL to look it up from @resize.
 * @resize: request; req_size in 4 KiB units, last_lba returned.
 *
 * Growing is best effort: the size reached is in resize->last_lba.
 *
 * Return: 0, -EINVAL, -ENOSPC (not one chunk free), -ENOMEM, -EIO or
 * -ENODEV (zeroing for a growth failed, size unchanged) or -EAGAIN (sync
 * failed; the new size is in effect and a retry is expected to succeed).
 */
int _cxlflash_vlun_resize(struct scsi_device *sdev, struct llun_info *lli,
			  struct ctx_info *ctxi,
			  struct dk_cxlflash_resize *resize)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	res_hndl_t rhndl = resize->rsrc_handle;
	struct sisl_rht_entry *rhte;
	bool put_ctx = false;
	u64 nsectors, new_cnt;
	u32 before;
	int rc = 0;

	if (!gli->blk_len)
		return -EINVAL;
	/* more than a LUN can hold asks for all there is (best effort) */
	if (resize->req_size > U64_MAX / CXLFLASH_BLOCK_SIZE) {
		new_cnt = U32_MAX;
	} else {
		nsectors = resize->req_size * CXLFLASH_BLOCK_SIZE /
			   gli->blk_len;
		new_cnt = min_t(u64, DIV_ROUND_UP(nsectors, MC_CHUNK_SIZE),
				U32_MAX);
	}

	if (!ctxi) {
		ctxi = get_context(cfg, resize->context_id, lli,
				   CTX_CTRL_ERR_FALLBACK);
		if (!ctxi)
			return -EINVAL;
		put_ctx = true;
	}

	if (gli->mode != MODE_VIRTUAL || rhndl >= MAX_RHT_PER_CONTEXT) {
		rc = -EINVAL;
		goto out;
	}
	rhte = ctx_rhte(ctxi, rhndl, lli);
	if (!rhte || SISL_RHT_FMT(rhte->fp) != SISL_RHT_FMT0) {
		rc = -EINVAL;
		goto out;
	}

	before = rhte->lxt_cnt;
	if (new_cnt > rhte->lxt_cnt) {
		rc = grow_lxt(cfg, sdev, lli, ctxi, rhndl, rhte, (u32)new_cnt);
	} else if (new_cnt < rhte->lxt_cnt) {
		rc = shrink_lxt(cfg, sdev, lli, ctxi, rhndl, rhte, (u32)new_cnt);
	} else if (!ctxi->err_recovery_active) {
		/* same size: a sync repairs an earlier failed one */
		rc = cxlflash_afu_sync(cfg->afu, CTX_ID_PE(ctxi->ctxid), rhndl,
				       SISL_AFU_SYNC_HW) ? -EAGAIN : 0;
	}
	trace_cxlflash_vlun_resize(sdev->host->host_no, ctxi->ctxid, rhndl,
				   before, rhte->lxt_cnt, rc);
	if (rc && rc != -EAGAIN)
		goto out;

	resize->hdr.return_flags = 0;
	resize->last_lba = vlun_last_lba(gli, rhte->lxt_cnt);
out:
	if (put_ctx)
		put_context(ctxi);
	return rc;
}

int cxlflash_vlun_resize(struct scsi_device *sdev, struct llun_info *lli,
			 void *arg)
{
	return _cxlflash_vlun_resize(sdev, lli, NULL, arg);
}

/* ---------------------------------------------------------------------- */
/* USER_VIRTUAL                                                           */
/* ---------------------------------------------------------------------- */

/* First virtual user of a LUN: size its chunk allocator. */
static int init_vlun(struct glun_info *gli)
{
	struct blka *blka = &gli->blka;
	int rc = 0;

	mutex_lock(&blka->mutex);
	if (!blka->nchunk)
		rc = ba_init(blka, (gli->max_lba + 1) >> MC_CHUNK_SHIFT);
	mutex_unlock(&blka->mutex);
	return rc == -EINVAL ? -ENOSPC : rc;
}

int cxlflash_disk_virtual_open(struct scsi_device *sdev, struct llun_info *lli,
			       void *arg)
{
	struct dk_cxlflash_uvirtual *virt = arg;
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	struct dk_cxlflash_resize resize;
	struct sisl_rht_entry *rhte;
	struct ctx_info *ctxi;
	res_hndl_t rhndl;
	int rc;

	if (gli->max_lba == 0) {
		rc = read_cap16(sdev, lli);
		if (rc)
			return rc;
	}

	ctxi = get_context(cfg, virt->context_id, lli, 0);
	if (!ctxi)
		return -EINVAL;

	mutex_lock(&gli->mutex);
	if (gli->mode == MODE_NONE) {
		rc = init_vlun(gli);
		if (rc) {
			mutex_unlock(&gli->mutex);
			goto out;
		}
	}
	rc = cxlflash_lun_attach(gli, MODE_VIRTUAL, true);
	mutex_unlock(&gli->mutex);
	if (rc)
		goto out;

	mutex_lock(&global.mutex);
	rc = init_luntable(cfg, lli);
	mutex_unlock(&global.mutex);
	if (rc)
		goto err_detach;

	rhte = ctx_rhte_claim(ctxi, lli);
	if (!rhte) {
		rc = -EMFILE;
		goto err_detach;
	}
	rhndl = rhte - ctxi->rht_start;

	rhte->lxt_start = 0;
	rhte->lxt_cnt = 0;
	rhte->fp = SISL_RHT_FP(SISL_RHT_FMT0, ctxi->rht_perms);
	dma_wmb();
	rhte->nmask = MC_RHT_NMASK;
	ctxi->rht_lxt_cap[rhndl] = 0;
	ctxi->rht_needs_ws[rhndl] =
		!!(virt->hdr.flags & DK_CXLFLASH_UVIRTUAL_NEED_WRITE_SAME);

	memset(&resize, 0, sizeof(resize));
	resize.context_id = ctxi->ctxid;
	resize.rsrc_handle = rhndl;
	resize.req_size = virt->lun_size;
	if (virt->lun_size) {
		rc = _cxlflash_vlun_resize(sdev, lli, ctxi, &resize);
		if (rc && rc != -EAGAIN) {
			rhte->nmask = 0;
			ctx_rhte_free(ctxi, rhte);
			goto err_detach;
		}
	} else {
		resize.last_lba = U64_MAX;
	}

	virt->hdr.return_flags = hweight32(lli->port_sel) > 1 ?
				 DK_CXLFLASH_ALL_PORTS_ACTIVE : 0;
	virt->rsrc_handle = rhndl;
	virt->last_lba = resize.last_lba;
	put_context(ctxi);
	return rc;

err_detach:
	cxlflash_lun_detach(gli);
out:
	put_context(ctxi);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* VLUN_CLONE                                                             */
/* ---------------------------------------------------------------------- */

/* Undo a cloned handle: drop its chunk references and the entry. */
static void unclone_handle(struct ctx_info *ctxi, struct glun_info *gli,
			   res_hndl_t i)
{
	struct sisl_rht_entry *rhte = &ctxi->rht_start[i];
	u64 *lxt = (u64 *)(uintptr_t)rhte->lxt_start;
	u32 j, cnt = rhte->lxt_cnt;

	WRITE_ONCE(rhte->lxt_cnt, 0);
	WRITE_ONCE(rhte->lxt_start, 0);
	dma_wmb();
	mutex_lock(&gli->blka.mutex);
	for (j = 0; j < cnt; j++)
		ba_free(&gli->blka, lxt[j] >> MC_CHUNK_SHIFT);
	mutex_unlock(&gli->blka.mutex);
	kvfree(lxt);
	ctxi->rht_lxt_cap[i] = 0;
	ctx_rhte_free(ctxi, rhte);
	cxlflash_lun_detach(gli);
}

/**
 * cxlflash_disk_clone() - DK_CXLFLASH_VLUN_CLONE
 * @sdev: device the request came through.
 * @lli: the LUN binding of the ioctl.
 * @arg: struct dk_cxlflash_clone.
 *
 * Called by a forked child: every virtual LUN handle of the parent's
 * context on this LUN is recreated at the same index in the child's
 * context, sharing the parent's chunks (clone references), with the
 * permissions both contexts have.  The destination must have this LUN
 * attached and the slots free.
 *
 * Return: 0, -EINVAL, -ENOMEM, -EIO (a chunk has too many clones) or
 * -EAGAIN (sync failure); on failure the destination is unchanged.
 */
int cxlflash_disk_clone(struct scsi_device *sdev, struct llun_info *lli,
			void *arg)
{
	struct dk_cxlflash_clone *clone = arg;
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	struct ctx_info *src, *dst;
	struct sisl_rht_entry *s, *d;
	u32 perms, i, j, n = 0;
	u32 *done;
	u64 *lxt;
	int rc = 0;

	if (clone->context_id_src == clone->context_id_dst)
		return -EINVAL;
	if (gli->mode != MODE_VIRTUAL)
		return -EINVAL;

	if (get_context_pair(cfg, clone->context_id_src, clone->context_id_dst,
			     lli, &src, &dst))
		return -EINVAL;
	/* every slot the clone fills must be free in the destination */
	for (i = 0; i < MAX_RHT_PER_CONTEXT; i++) {
		if (!ctx_rhte(src, i, lli))
			continue;
		if (dst->rht_start[i].nmask || dst->rht_lun[i]) {
			rc = -EINVAL;
			goto out;
		}
	}

	done = kcalloc(MAX_RHT_PER_CONTEXT, sizeof(*done), GFP_KERNEL);
	if (!done) {
		rc = -ENOMEM;
		goto out;
	}

	perms = src->rht_perms & dst->rht_perms;
	for (i = 0; i < MAX_RHT_PER_CONTEXT; i++) {
		s = ctx_rhte(src, i, lli);
		if (!s || SISL_RHT_FMT(s->fp) != SISL_RHT_FMT0)
			continue;

		lxt = NULL;
		if (s->lxt_cnt) {
			lxt = kvcalloc(lxt_capacity(s->lxt_cnt), sizeof(u64),
				       GFP_KERNEL);
			if (!lxt) {
				rc = -ENOMEM;
				goto unwind;
			}
			memcpy(lxt, (u64 *)(uintptr_t)s->lxt_start,
			       s->lxt_cnt * sizeof(u64));
		}

		mutex_lock(&gli->blka.mutex);
		for (j = 0; j < s->lxt_cnt; j++) {
			rc = ba_clone(&gli->blka, lxt[j] >> MC_CHUNK_SHIFT);
			if (rc)
				break;
		}
		if (rc) {
			while (j-- > 0)
				ba_free(&gli->blka, lxt[j] >> MC_CHUNK_SHIFT);
			mutex_unlock(&gli->blka.mutex);
			kvfree(lxt);
			goto unwind;
		}
		mutex_unlock(&gli->blka.mutex);

		rc = cxlflash_lun_attach(gli, MODE_VIRTUAL, false);
		if (rc) {
			mutex_lock(&gli->blka.mutex);
			for (j = 0; j < s->lxt_cnt; j++)
				ba_free(&gli->blka, lxt[j] >> MC_CHUNK_SHIFT);
			mutex_unlock(&gli->blka.mutex);
			kvfree(lxt);
			goto unwind;
		}

		d = &dst->rht_start[i];
		dst->rht_lun[i] = lli;
		dst->rht_out++;
		dst->rht_lxt_cap[i] = s->lxt_cnt ? lxt_capacity(s->lxt_cnt) : 0;
		d->fp = SISL_RHT_FP_CLONE(s->fp, perms);
		WRITE_ONCE(d->lxt_start, (u64)(uintptr_t)lxt);
		dma_wmb();
		WRITE_ONCE(d->lxt_cnt, s->lxt_cnt);
		dma_wmb();
		d->nmask = s->nmask;
		done[n++] = i;

		rc = cxlflash_afu_sync(cfg->afu, CTX_ID_PE(dst->ctxid), i,
				       SISL_AFU_SYNC_LW);
		if (rc) {
			rc = -EAGAIN;
			goto unwind;
		}
	}
	kfree(done);
	clone->hdr.return_flags = 0;
	goto out;

unwind:
	while (n-- > 0)
		unclone_handle(dst, gli, done[n]);
	if (!dst->err_recovery_active)
		cxlflash_afu_sync(cfg->afu, CTX_ID_PE(dst->ctxid), 0,
				  SISL_AFU_SYNC_HW);
	kfree(done);
out:
	put_context(dst);
	put_context(src);
	return rc;
}

