// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: the superpipe.
 *
 * User contexts give a process direct access to LUNs through a private
 * AFU context: the process maps the context's 64 KiB register window
 * through the adapter file descriptor (fd2) and queues commands in its own
 * memory; the driver only provisions the context (resource handles in the
 * RHT) and recovers it.  This file holds the ioctl dispatcher, the context
 * table, the adapter-fd operations and the ioctls for whole-LUN access.
 *
 * Ownership: a context and its fd2 belong to the process (tgid) that
 * attached; every ioctl but VLUN_CLONE refuses another process's context.
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pfn_t.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <asm/unaligned.h>
#include <linux/syscalls.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>

#include "main.h"
#include "superpipe.h"

struct cxlflash_global global;

/* adapter file -> struct cxlflash_file (file ops are shared) */
static DEFINE_XARRAY(cxlflash_files);

/* a file whose backend context was released by hand */
static const struct file_operations cxlflash_null_fops = {
	.owner = THIS_MODULE,
};

static struct dentry *cxlflash_debugfs_root;

#define CMD_TIMEOUT	30	/* seconds, internal SCSI commands */
#define CMD_RETRIES	5

/* ---------------------------------------------------------------------- */
/* Contexts                                                               */
/* ---------------------------------------------------------------------- */

static inline bool ctx_owned_by(struct ctx_info *ctxi, pid_t pid)
{
	return ctxi->pid == pid;
}

/* Lookup under ctx_tbl_list_mutex; no context lock taken. */
static struct ctx_info *find_context(struct cxlflash_cfg *cfg, u64 rctxid,
				     struct file *file, enum ctx_ctrl ctx_ctrl)
{
	struct ctx_info *c;
	u32 pe = CTX_ID_PE(rctxid);
	int i;

	lockdep_assert_held(&cfg->ctx_tbl_list_mutex);
	if (!file && pe >= MAX_CONTEXT)
		return NULL;

	if (!(ctx_ctrl & CTX_CTRL_ERR)) {
		if (file) {
			for (i = 0; i < MAX_CONTEXT; i++) {
				c = cfg->ctx_tbl[i];
				if (c && c->file == file)
					return c;
			}
		} else {
			c = cfg->ctx_tbl[pe];
			if (c && c->ctxid == rctxid)
				return c;
		}
	}
	if (ctx_ctrl & (CTX_CTRL_ERR | CTX_CTRL_ERR_FALLBACK)) {
		list_for_each_entry(c, &cfg->ctx_err_recovery, list)
			if ((file && c->file == file) ||
			    (!file && c->ctxid == rctxid))
				return c;
	}
	return NULL;
}

/* With the context's mutex held: may the caller use it? */
static bool context_allowed(struct ctx_info *ctxi, struct llun_info *lli,
			    enum ctx_ctrl ctx_ctrl)
{
	struct lun_access *lun_access;
	pid_t pid = task_tgid_nr(current);

	if (ctx_ctrl & CTX_CTRL_CLONE) {
		rcu_read_lock();
		pid = task_tgid_nr(rcu_dereference(current->real_parent));
		rcu_read_unlock();
	}
	if (ctxi->unavail)
		return false;
	if (!(ctx_ctrl & CTX_CTRL_NOPID) && !ctx_owned_by(ctxi, pid))
		return false;
	if (lli) {
		list_for_each_entry(lun_access, &ctxi->luns, list)
			if (lun_access->lli == lli)
				return true;
		return false;
	}
	return true;
}

/**
 * get_context() - find a context and lock it
 * @cfg: adapter.
 * @rctxid: context id given by the user (unless CTX_CTRL_FILE).
 * @arg: LUN the context must have attached (struct llun_info *), or the
 *	 adapter file with CTX_CTRL_FILE, or NULL.
 * @ctx_ctrl: lookup flags.
 *
 * Lock order: ctx_tbl_list_mutex, then the context's mutex.  A context
 * that is being torn down or has its mutex dropped for a long operation
 * (unavail) is not returned.  Must not be called with a context mutex
 * held (see get_context_pair()).
 *
 * Return: the context with its mutex held, or NULL.
 */
struct ctx_info *get_context(struct cxlflash_cfg *cfg, u64 rctxid, void *arg,
			     enum ctx_ctrl ctx_ctrl)
{
	struct llun_info *lli = (ctx_ctrl & CTX_CTRL_FILE) ? NULL : arg;
	struct file *file = (ctx_ctrl & CTX_CTRL_FILE) ? arg : NULL;
	struct ctx_info *ctxi;

	mutex_lock(&cfg->ctx_tbl_list_mutex);
	ctxi = find_context(cfg, rctxid, file, ctx_ctrl);
	if (!ctxi) {
		mutex_unlock(&cfg->ctx_tbl_list_mutex);
		return NULL;
	}
	mutex_lock(&ctxi->mutex);
	mutex_unlock(&cfg->ctx_tbl_list_mutex);

	if (!context_allowed(ctxi, lli, ctx_ctrl)) {
		mutex_unlock(&ctxi->mutex);
		return NULL;
	}
	return ctxi;
}

/**
 * get_context_pair() - find and lock two contexts (VLUN_CLONE)
 * @cfg: adapter.
 * @src_id: source, owned by the caller's parent.
 * @dst_id: destination, owned by the caller.
 * @lli: LUN both must have attached.
 * @src: returned source.
 * @dst: returned destination.
 *
 * Both mutexes are taken under ctx_tbl_list_mutex, in address order, so
 * the lock order stays table -> context.
 *
 * Return: 0 with both locked, or -EINVAL.
 */
int get_context_pair(struct cxlflash_cfg *cfg, u64 src_id, u64 dst_id,
		     struct llun_info *lli, struct ctx_info **src,
		     struct ctx_info **dst)
{
	struct ctx_info *s, *d, *first, *second;

	mutex_lock(&cfg->ctx_tbl_list_mutex);
	s = find_context(cfg, src_id, NULL, 0);
	d = find_context(cfg, dst_id, NULL, 0);
	if (!s || !d || s == d) {
		mutex_unlock(&cfg->ctx_tbl_list_mutex);
		return -EINVAL;
	}
	first = s < d ? s : d;
	second = s < d ? d : s;
	mutex_lock(&first->mutex);
	mutex_lock_nested(&second->mutex, SINGLE_DEPTH_NESTING);
	mutex_unlock(&cfg->ctx_tbl_list_mutex);

	if (!context_allowed(s, lli, CTX_CTRL_CLONE) ||
	    !context_allowed(d, lli, 0)) {
		mutex_unlock(&second->mutex);
		mutex_unlock(&first->mutex);
		return -EINVAL;
	}
	*src = s;
	*dst = d;
	return 0;
}

/* Somebody may wait for a context to become available again: wake it. */
static void ctx_put_wake(struct cxlflash_cfg *cfg)
{
	atomic_inc(&cfg->ctx_put_seq);
	/* orders the count before the check of the queue (wq_has_sleeper) */
	if (wq_has_sleeper(&cfg->ctx_waitq))
		wake_up_all(&cfg->ctx_waitq);
}

/*
 * Unlock a context found by get_context() (or handed over locked).  An
 * operation that had it unavailable has cleared unavail by now: the fd2
 * release path may be waiting for that.
 */
void put_context(struct ctx_info *ctxi)
{
	struct cxlflash_cfg *cfg = ctxi->cfg;

	mutex_unlock(&ctxi->mutex);
	ctx_put_wake(cfg);
}

/**
 * get_context_of_file() - the context of an adapter file, for its release
 * @cfg: adapter.
 * @file: the adapter file (fd2) being released.
 *
 * Unlike get_context(), finds the context whatever its owner, state (table
 * or error list) or availability: when another operation has it
 * unavailable (mutex dropped in the middle), this waits until that
 * operation puts it back, then looks again.  Called, and returns, with
 * ioctl_rwsem held for read; drops it while waiting, because the operation
 * may need it again and a reset waiting for write access would otherwise
 * block both.
 *
 * Return: the context, locked and available, or NULL when no context
 * uses @file (any more).
 */
static struct ctx_info *get_context_of_file(struct cxlflash_cfg *cfg,
					    struct file *file)
{
	struct ctx_info *ctxi;
	int seq;

	for (;;) {
		/* read before the lookup: a put after it changes the count */
		seq = atomic_read(&cfg->ctx_put_seq);
		mutex_lock(&cfg->ctx_tbl_list_mutex);
		ctxi = find_context(cfg, 0, file, CTX_CTRL_ERR_FALLBACK);
		if (ctxi)
			mutex_lock(&ctxi->mutex);
		mutex_unlock(&cfg->ctx_tbl_list_mutex);
		if (!ctxi || !ctxi->unavail)
			return ctxi;

		/* do not touch ctxi once unlocked: its owner may free it */
		mutex_unlock(&ctxi->mutex);
		up_read(&cfg->ioctl_rwsem);
		wait_event(cfg->ctx_waitq,
			   atomic_read(&cfg->ctx_put_seq) != seq);
		down_read(&cfg->ioctl_rwsem);
	}
}

static struct ctx_info *create_context(struct cxlflash_cfg *cfg)
{
	struct ctx_info *ctxi;

	ctxi = kzalloc(sizeof(*ctxi), GFP_KERNEL);
	if (!ctxi)
		return NULL;
	ctxi->rht_lun = kvcalloc(MAX_RHT_PER_CONTEXT, sizeof(*ctxi->rht_lun),
				 GFP_KERNEL);
	ctxi->rht_needs_ws = kvcalloc(MAX_RHT_PER_CONTEXT,
				      sizeof(*ctxi->rht_needs_ws), GFP_KERNEL);
	ctxi->rht_lxt_cap = kvcalloc(MAX_RHT_PER_CONTEXT,
				     sizeof(*ctxi->rht_lxt_cap), GFP_KERNEL);
	/*
	 * The RHT: 4096 entries of 16 bytes.  The AFU wants rht_start 16-byte
	 * aligned (kmalloc of a power of two is naturally aligned, vmalloc
	 * page aligned) and reads it through the master's address space,
	 * which maps vmalloc memory as well (the LXTs are kvmalloc'ed too).
	 */
	BUILD_BUG_ON(RHT_BYTES != SZ_64K);
	ctxi->rht_start = kvzalloc(RHT_BYTES, GFP_KERNEL);
	if (!ctxi->rht_lun || !ctxi->rht_needs_ws || !ctxi->rht_start ||
	    !ctxi->rht_lxt_cap) {
		kvfree(ctxi->rht_start);
		kvfree(ctxi->rht_lxt_cap);
		kvfree(ctxi->rht_needs_ws);
		kvfree(ctxi->rht_lun);
		kfree(ctxi);
		return NULL;
	}
	ctxi->cfg = cfg;
	mutex_init(&ctxi->mutex);
	kref_init(&ctxi->kref);
	INIT_LIST_HEAD(&ctxi->luns);
	INIT_LIST_HEAD(&ctxi->list);
	return ctxi;
}

/*
 * A new context id for hardware context @pe: the tag counts every id this
 * adapter hands out, skipping 0 (see ENCODE_CTXID), so a stale id of a
 * detached or recovered context never names the context that reuses its
 * hardware id.
 */
static u64 next_ctxid(struct cxlflash_cfg *cfg, int pe)
{
	u32 gen;

	do {
		gen = (u32)atomic_inc_return(&cfg->ctx_gen);
	} while (!gen);
	return ENCODE_CTXID(gen, pe);
}

/* Revoke the context's provisioning in the AFU */
static void clear_ctrl_map(struct cxlflash_cfg *cfg, struct ctx_info *ctxi)
{
	struct sisl_ctrl_map __iomem *ctrl_map = ctxi->ctrl_map;

	if (!ctrl_map || !cfg->afu->afu_map)
		return;
	cxl_writeq(0, &ctrl_map->rht_start);
	cxl_writeq(0, &ctrl_map->rht_cnt_id);
	cxl_writeq(0, &ctrl_map->ctx_cap);
}

static void destroy_context(struct cxlflash_cfg *cfg, struct ctx_info *ctxi)
{
	if (ctxi->initialized)
		clear_ctrl_map(cfg, ctxi);
	kvfree(ctxi->rht_start);
	kvfree(ctxi->rht_lxt_cap);
	kvfree(ctxi->rht_needs_ws);
	kvfree(ctxi->rht_lun);
	mutex_destroy(&ctxi->mutex);
	kfree(ctxi);
}

/*
 * kref release, entered with the context mutex held.  The mutex is dropped
 * (unavail keeps lookups away) to respect the lock order while unlinking;
 * the context is gone when this returns.
 */
static void remove_context(struct kref *kref)
{
	struct ctx_info *ctxi = container_of(kref, struct ctx_info, kref);
	struct cxlflash_cfg *cfg = ctxi->cfg;
	u32 pe = CTX_ID_PE(ctxi->ctxid);

	ctxi->unavail = true;
	mutex_unlock(&ctxi->mutex);
	mutex_lock(&cfg->ctx_tbl_list_mutex);
	mutex_lock(&ctxi->mutex);

	if (!list_empty(&ctxi->list))
		list_del_init(&ctxi->list);
	if (pe < MAX_CONTEXT && cfg->ctx_tbl[pe] == ctxi)
		cfg->ctx_tbl[pe] = NULL;

	mutex_unlock(&ctxi->mutex);
	mutex_unlock(&cfg->ctx_tbl_list_mutex);
	destroy_context(cfg, ctxi);
	/* a release of its file may wait for it to go (unavail above) */
	ctx_put_wake(cfg);
}

/* Drop one attachment reference; true when the context was freed. */
static bool ctx_put_locked(struct ctx_info *ctxi)
{
	return kref_put(&ctxi->kref, remove_context);
}

/*
 * Give a started backend context to the AFU as a user context: read-write
 * capability only, and the RHT (kept in kernel memory, so fetched through
 * the primary master's address space).
 */
static int afu_attach(struct cxlflash_cfg *cfg, struct ctx_info *ctxi)
{
	struct afu *afu = cfg->afu;
	struct sisl_ctrl_map __iomem *ctrl_map = ctxi->ctrl_map;
	u64 val, want = SISL_CTX_CAP_READ_CMD | SISL_CTX_CAP_WRITE_CMD;

	(void)cxl_readq(&ctrl_map->mbox_r);	/* unlocks ctx_cap */
	cxl_writeq(want, &ctrl_map->ctx_cap);
	val = cxl_readq(&ctrl_map->ctx_cap);
	if (val != want)
		return -EAGAIN;

	cxl_writeq((u64)(uintptr_t)ctxi->rht_start, &ctrl_map->rht_start);
	val = SISL_RHT_CNT_ID((u64)MAX_RHT_PER_CONTEXT,
			      (u64)get_hwq(afu, PRIMARY_HWQ)->ctx_hndl);
	cxl_writeq(val, &ctrl_map->rht_cnt_id);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Resource handles                                                       */
/* ---------------------------------------------------------------------- */

/* Open handle @rhndl of @ctxi that belongs to @lli, or NULL. */
struct sisl_rht_entry *get_rhte(struct ctx_info *ctxi, res_hndl_t rhndl,
				struct llun_info *lli)
{
	struct sisl_rht_entry *rhte;

	if (rhndl >= MAX_RHT_PER_CONTEXT)
		return NULL;
	if (ctxi->rht_lun[rhndl] != lli)
		return NULL;
	rhte = &ctxi->rht_start[rhndl];
	if (rhte->nmask == 0)
		return NULL;
	return rhte;
}

struct sisl_rht_entry *rhte_checkout(struct ctx_info *ctxi,
				     struct llun_info *lli)
{
	struct sisl_rht_entry *rhte = NULL;
	int i;

	if (ctxi->rht_out >= MAX_RHT_PER_CONTEXT)
		return NULL;

	for (i = 0; i < MAX_RHT_PER_CONTEXT; i++) {
		if (ctxi->rht_start[i].nmask == 0 && !ctxi->rht_lun[i]) {
			rhte = &ctxi->rht_start[i];
			ctxi->rht_out++;
			ctxi->rht_lun[i] = lli;
			break;
		}
	}
	return rhte;
}

void rhte_checkin(struct ctx_info *ctxi, struct sisl_rht_entry *rhte)
{
	u32 rsrc_handle = rhte - ctxi->rht_start;

	rhte->nmask = 0;
	rhte->fp = 0;
	ctxi->rht_out--;
	ctxi->rht_lun[rsrc_handle] = NULL;
	ctxi->rht_needs_ws[rsrc_handle] = 0;
}

/*
 * Format-1 (physical) entry: the second double-word (valid, permissions,
 * port mask) is stored at once, after the LUN id is visible.
 */
static void rht_format1(struct sisl_rht_entry *rhte, u64 lun_id, u32 perm,
			u32 port_sel)
{
	struct sisl_rht_entry_f1 *rhte_f1 = (struct sisl_rht_entry_f1 *)rhte;
	struct sisl_rht_entry_f1 dummy = { 0 };

	memset(rhte_f1, 0, sizeof(*rhte_f1));
	rhte_f1->fp = SISL_RHT_FP(SISL_RHT_FMT1, 0);
	dma_wmb();

	rhte_f1->lun_id = lun_id;
	dma_wmb();

	dummy.valid = SISL_RHT_VALID;
	dummy.fp = SISL_RHT_FP(SISL_RHT_FMT1, perm);
	dummy.port_sel = port_sel;
	WRITE_ONCE(rhte_f1->dw, dummy.dw);
	dma_wmb();
}

/* ---------------------------------------------------------------------- */
/* LUN access mode                                                        */
/* ---------------------------------------------------------------------- */

/**
 * cxlflash_lun_attach() - account a new handle on a LUN
 * @gli: the LUN.
 * @mode: MODE_VIRTUAL or MODE_PHYSICAL.
 * @locked: @gli->mutex is already held.
 *
 * Return: 0, or -EINVAL when the LUN is in use in the other mode.
 */
int cxlflash_lun_attach(struct glun_info *gli, enum lun_mode mode, bool locked)
{
	int rc = 0;

	if (!locked)
		mutex_lock(&gli->mutex);

	if (gli->mode == MODE_NONE)
		gli->mode = mode;
	else if (gli->mode != mode)
		rc = -EINVAL;

	if (!rc)
		gli->users++;

	if (!locked)
		mutex_unlock(&gli->mutex);
	return rc;
}

/* Drop a handle; the last one returns the LUN to no mode. */
void cxlflash_lun_detach(struct glun_info *gli)
{
	mutex_lock(&gli->mutex);
	WARN_ON(gli->mode == MODE_NONE || gli->users <= 0);
	if (--gli->users == 0) {
		gli->mode = MODE_NONE;
		cxlflash_ba_terminate(&gli->blka);
	}
	mutex_unlock(&gli->mutex);
}

/**
 * cxlflash_lun_fenced() - is the block-layer path of this device fenced?
 * @sdev: SCSI device.
 *
 * While user contexts hold resource handles on a LUN, they own its data;
 * media access through the SCSI midlayer is refused then.
 */
bool cxlflash_lun_fenced(struct scsi_device *sdev)
{
	struct llun_info *lli = READ_ONCE(sdev->hostdata);

	return lli && READ_ONCE(lli->parent->mode) != MODE_NONE;
}

/* ---------------------------------------------------------------------- */
/* Internal SCSI commands (ioctl context)                                 */
/* ---------------------------------------------------------------------- */

/*
 * The ioctl semaphore is dropped around a SCSI command (a reset waiting
 * for write access would otherwise deadlock with it) and the adapter state
 * re-checked afterwards.
 */
int cxlflash_retake_rwsem(struct cxlflash_cfg *cfg)
{
	down_read(&cfg->ioctl_rwsem);
	switch (READ_ONCE(cfg->state)) {
	case STATE_NORMAL:
		return 0;
	case STATE_RESET:
		up_read(&cfg->ioctl_rwsem);
		if (cxlflash_wait_for_reset(cfg, true)) {
			down_read(&cfg->ioctl_rwsem);
			return -ENODEV;
		}
		return cxlflash_retake_rwsem(cfg);
	default:
		return -ENODEV;
	}
}

/**
 * read_cap16() - refresh a LUN's capacity with READ CAPACITY(16)
 * @sdev: device to ask.
 * @lli: its LUN record.
 *
 * Called with ioctl_rwsem held for read; drops it around the command.
 *
 * Return: 0, -ENODEV, -EIO or -ENOMEM.
 */
int read_cap16(struct scsi_device *sdev, struct llun_info *lli)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	struct scsi_sense_hdr sshdr;
	u8 cdb[16] = { 0 };
	int retry_cnt = 0;
	u8 *buf;
	int result;
	int rc;

	buf = kzalloc(CXLFLASH_BLOCK_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
retry:
	cdb[0] = SERVICE_ACTION_IN_16;
	cdb[1] = SAI_READ_CAPACITY_16;
	put_unaligned_be32(CXLFLASH_BLOCK_SIZE, &cdb[10]);

	up_read(&cfg->ioctl_rwsem);
	result = scsi_execute_req(sdev, cdb, DMA_FROM_DEVICE, buf,
				  CXLFLASH_BLOCK_SIZE, &sshdr,
				  CMD_TIMEOUT * HZ, CMD_RETRIES, NULL);
	rc = cxlflash_retake_rwsem(cfg);
	if (rc)
		goto out;

	if (result > 0 && scsi_sense_valid(&sshdr)) {
		switch (sshdr.sense_key) {
		case NO_SENSE:
		case RECOVERED_ERROR:
		case NOT_READY:
			result = 0;
			break;
		case UNIT_ATTENTION:
			if ((sshdr.asc == 0x29 || sshdr.asc == 0x2A ||
			     sshdr.asc == 0x3F) && retry_cnt++ < 1)
				goto retry;
			break;
		default:
			break;
		}
	}
	if (result) {
		dev_err(cfg->dev, "READ CAPACITY(16) failed, result=%08x\n",
			result);
		rc = -EIO;
		goto out;
	}

	mutex_lock(&gli->mutex);
	gli->max_lba = get_unaligned_be64(&buf[0]);
	gli->blk_len = get_unaligned_be32(&buf[8]);
	mutex_unlock(&gli->mutex);
out:
	kfree(buf);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* RELEASE and DETACH                                                     */
/* ---------------------------------------------------------------------- */

int _cxlflash_disk_release(struct scsi_device *sdev, struct llun_info *lli,
			   struct ctx_info *ctxi,
			   struct dk_cxlflash_release *release)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	struct afu *afu = cfg->afu;
	bool put_ctx = false;
	struct dk_cxlflash_resize size;
	res_hndl_t rhndl = release->rsrc_handle;
	struct sisl_rht_entry *rhte;
	struct sisl_rht_entry_f1 *rhte_f1;
	u64 ctxid = release->context_id;
	int rc = 0;

	if (!ctxi) {
		ctxi = get_context(cfg, ctxid, lli, CTX_CTRL_ERR_FALLBACK);
		if (!ctxi)
			return -EINVAL;
		put_ctx = true;
	}

	if (release->rsrc_handle >= MAX_RHT_PER_CONTEXT) {
		rc = -EINVAL;
		goto out;
	}
	rhte = get_rhte(ctxi, rhndl, lli);
	if (!rhte) {
		rc = -EINVAL;
		goto out;
	}

	switch (SISL_RHT_FMT(rhte->fp)) {
	case SISL_RHT_FMT0:
		/* a virtual LUN shrinks to nothing first */
		memset(&size, 0, sizeof(size));
		size.context_id = ctxid;
		size.rsrc_handle = rhndl;
		size.req_size = 0;
		rc = _cxlflash_vlun_resize(sdev, lli, ctxi, &size);
		if (rc)
			goto out;
		break;
	case SISL_RHT_FMT1:
		rhte_f1 = (struct sisl_rht_entry_f1 *)rhte;
		rhte_f1->valid = 0;
		dma_wmb();
		rhte_f1->lun_id = 0;
		dma_wmb();
		WRITE_ONCE(rhte_f1->dw, 0);
		dma_wmb();
		if (!ctxi->err_recovery_active &&
		    cxlflash_afu_sync(afu, CTX_ID_PE(ctxi->ctxid), rhndl,
				      SISL_AFU_SYNC_HW))
			dev_warn(cfg->dev, "sync after release of %u failed\n",
				 rhndl);
		break;
	default:
		rc = -EINVAL;
		goto out;
	}

	rhte_checkin(ctxi, rhte);
	cxlflash_lun_detach(gli);
out:
	if (put_ctx)
		put_context(ctxi);
	return rc;
}

static int cxlflash_disk_release(struct scsi_device *sdev,
				 struct llun_info *lli, void *arg)
{
	return _cxlflash_disk_release(sdev, lli, NULL, arg);
}

/*
 * Detach one LUN from a context: release its handles, drop the reference
 * the attach took.  With @ctxi given the caller holds its mutex, and it
 * must not touch the context again when this returns 1 (freed).
 */
int _cxlflash_disk_detach(struct scsi_device *sdev, struct llun_info *lli,
			  struct ctx_info *ctxi,
			  struct dk_cxlflash_detach *detach)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct lun_access *lun_access, *t;
	struct dk_cxlflash_release rel;
	struct scsi_device *held = NULL;
	bool put_ctx = false;
	bool freed;
	int i;

	if (!ctxi) {
		ctxi = get_context(cfg, detach->context_id, lli,
				   CTX_CTRL_ERR_FALLBACK);
		if (!ctxi)
			return -EINVAL;
		put_ctx = true;
	}

	if (ctxi->rht_out) {
		memset(&rel, 0, sizeof(rel));
		rel.context_id = ctxi->ctxid;
		for (i = 0; i < MAX_RHT_PER_CONTEXT; i++) {
			if (ctxi->rht_lun[i] == lli) {
				rel.rsrc_handle = i;
				if (_cxlflash_disk_release(sdev, lli, ctxi, &rel))
					dev_warn(cfg->dev, "detach: release of handle %d failed\n",
						 i);
			}
			if (ctxi->rht_out == 0)
				break;
		}
	}

	list_for_each_entry_safe(lun_access, t, &ctxi->luns, list)
		if (lun_access->lli == lli) {
			list_del(&lun_access->list);
			held = lun_access->sdev;
			atomic_dec(&lli->attach_cnt);
			kfree(lun_access);
			break;
		}

	freed = ctx_put_locked(ctxi);
	if (freed)
		atomic_dec(&cfg->num_contexts);
	else if (put_ctx)
		put_context(ctxi);

	if (held)
		scsi_device_put(held);
	return freed ? 1 : 0;
}

static int cxlflash_disk_detach(struct scsi_device *sdev,
				struct llun_info *lli, void *arg)
{
	int rc = _cxlflash_disk_detach(sdev, lli, NULL, arg);

	return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------------- */
/* The adapter file (fd2)                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Per adapter file state, found from the file without taking any lock: the
 * fault handler may run while the AFU (which can fault on user memory too)
 * holds its own locks, so it must not wait for ours.  Lives as long as the
 * file.
 */
struct cxlflash_file {
	struct cxlflash_cfg *cfg;
	const struct vm_operations_struct *backend_vmops;
	pid_t pid;			/* tgid of the context's owner */
	bool in_error;			/* window reads all ones */
};

static inline struct cxlflash_file *file_state(struct file *file)
{
	return xa_load(&cxlflash_files, (unsigned long)file);
}

/* The window of @file reads all ones from now on. */
static void file_set_error(struct file *file, bool err)
{
	struct cxlflash_file *cf = file ? file_state(file) : NULL;

	if (cf)
		WRITE_ONCE(cf->in_error, err);
	if (file && err)
		unmap_mapping_range(file->f_mapping, 0, 0, 1);
}

/*
 * Fault on the context window.  A context in error, or a window whose
 * context was recovered onto a new fd2, reads all ones: a read-only page of
 * 0xFF is mapped, which is how clients learn they must recover.  Writes to
 * it fault with SIGBUS (pfn_mkwrite).
 */
static vm_fault_t cxlflash_mmap_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct cxlflash_file *cf = file_state(vma->vm_file);
	struct page *err_page = READ_ONCE(global.err_page);

	if (cf && !READ_ONCE(cf->in_error) && cf->backend_vmops)
		return cf->backend_vmops->fault(vmf);

	if ((vmf->flags & FAULT_FLAG_WRITE) || !err_page)
		return VM_FAULT_SIGBUS;
	return vmf_insert_mixed_prot(vma, vmf->address,
				     page_to_pfn_t(err_page),
				     vm_get_page_prot(vma->vm_flags & ~VM_WRITE));
}

static vm_fault_t cxlflash_mmap_pfn_mkwrite(struct vm_fault *vmf)
{
	/* only the error page is mapped by pfn: it is never writable */
	return VM_FAULT_SIGBUS;
}

static const struct vm_operations_struct cxlflash_mmap_vmops = {
	.fault = cxlflash_mmap_fault,
	.pfn_mkwrite = cxlflash_mmap_pfn_mkwrite,
};

static int cxlflash_cxl_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct cxlflash_file *cf = file_state(file);
	int rc;

	/*
	 * No context lock here: mmap runs under mmap_lock, which the AFU may
	 * need (it faults in user control blocks) while the context's owner
	 * holds the context mutex and waits for the AFU.  The file's own
	 * state says enough.
	 */
	if (!cf)
		return -ENODEV;
	if (READ_ONCE(cf->in_error) || cf->pid != task_tgid_nr(current))
		return -EIO;	/* in error, recovered elsewhere, not ours */

	rc = cf->cfg->ops->fd_mmap(file, vma);
	if (rc)
		return rc;

	/*
	 * The backend's fault handler is called through ours.  The window is
	 * the owner's alone: a forked child gets no copy of the mapping (it
	 * must attach, or clone, a context of its own), or it could queue
	 * commands on the parent's context through it.
	 */
	WRITE_ONCE(cf->backend_vmops, vma->vm_ops);
	vma->vm_ops = &cxlflash_mmap_vmops;
	vma->vm_flags |= VM_MIXEDMAP | VM_DONTCOPY;
	return 0;
}

/*
 * Last reference to an adapter file: whatever its context still holds is
 * detached, whoever drops the reference (the file, including every mapping
 * of it, is the context's lifetime), then the backend context goes.  An
 * ioctl in flight on the context (mutex dropped, unavail) is waited for
 * first: the backend context and the file state are freed only once no
 * context points at the file.
 */
static int cxlflash_cxl_release(struct inode *inode, struct file *file)
{
	struct cxlflash_file *cf = xa_erase(&cxlflash_files, (unsigned long)file);
	struct dk_cxlflash_detach detach = { 0 };
	struct lun_access *lun_access;
	struct cxlflash_cfg *cfg;
	struct ctx_info *ctxi;
	int rc = 0;

	if (WARN_ON_ONCE(!cf))
		return 0;
	cfg = cf->cfg;

	down_read(&cfg->ioctl_rwsem);
	ctxi = get_context_of_file(cfg, file);
	if (ctxi) {
		dev_dbg(cfg->dev, "release of context %016llx with LUNs attached\n",
			ctxi->ctxid);
		detach.context_id = ctxi->ctxid;
		while (!list_empty(&ctxi->luns)) {
			lun_access = list_first_entry(&ctxi->luns,
						      struct lun_access, list);
			rc = _cxlflash_disk_detach(lun_access->sdev,
						   lun_access->lli, ctxi,
						   &detach);
			if (rc == 1)
				break;	/* context freed */
		}
		if (rc != 1) {
			/* no LUN kept it (cannot happen): forget the file */
			WARN_ON_ONCE(1);
			ctxi->file = NULL;
			put_context(ctxi);
		}
	}
	up_read(&cfg->ioctl_rwsem);

	rc = cfg->ops->fd_release(inode, file);
	kfree(cf);
	atomic_dec(&cfg->num_user_contexts);
	wake_up_all(&cfg->reset_waitq);
	return rc;
}

/* read, poll and llseek come from the backend */
static const struct file_operations cxlflash_cxl_fops = {
	.owner = THIS_MODULE,
	.mmap = cxlflash_cxl_mmap,
	.release = cxlflash_cxl_release,
};

/*
 * Create, start and wrap a backend user context.  On success the fd is
 * reserved, not installed.
 */
static int new_backend_context(struct cxlflash_cfg *cfg, u64 irqs,
			       void **ctxp, struct file **filep, int *fdp,
			       int *pep)
{
	const struct cxlflash_backend_ops *ops = cfg->ops;
	struct cxlflash_file *cf;
	struct file *file;
	void *ctx;
	int fd = -1;
	int pe;
	int rc;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf)
		return -ENOMEM;
	cf->cfg = cfg;
	cf->pid = task_tgid_nr(current);

	ctx = ops->dev_context_init(cfg->adev);
	if (IS_ERR_OR_NULL(ctx)) {
		rc = ctx ? PTR_ERR(ctx) : -ENOMEM;
		goto err_free;
	}

	rc = ops->start_work(ctx, irqs);
	if (rc)
		goto err_release;

	pe = ops->process_element(ctx);
	if (pe < 0 || pe >= MAX_CONTEXT) {
		rc = -EPERM;
		goto err_stop;
	}

	file = ops->get_fd(ctx, &cxlflash_cxl_fops, &fd);
	if (IS_ERR_OR_NULL(file)) {
		rc = file ? PTR_ERR(file) : -ENOMEM;
		goto err_stop;
	}

	/*
	 * From here on the file owns the backend context: errors go through
	 * fput() and the release hook, which needs the file's state.
	 */
	rc = xa_err(xa_store(&cxlflash_files, (unsigned long)file, cf,
			     GFP_KERNEL));
	if (rc) {
		/* no state: release the backend context by hand */
		put_unused_fd(fd);
		ops->fd_release(file_inode(file), file);
		file->f_op = &cxlflash_null_fops;
		fput(file);
		kfree(cf);
		return rc;
	}
	atomic_inc(&cfg->num_user_contexts);

	*ctxp = ctx;
	*filep = file;
	*fdp = fd;
	*pep = pe;
	return 0;

err_stop:
	ops->stop_context(ctx);
err_release:
	ops->release_context(ctx);
err_free:
	kfree(cf);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* ATTACH                                                                 */
/* ---------------------------------------------------------------------- */

static int cxlflash_disk_attach(struct scsi_device *sdev,
				struct llun_info *lli, void *arg)
{
	struct dk_cxlflash_attach *attach = arg;
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	struct ctx_info *ctxi = NULL;
	struct lun_access *lun_access = NULL;
	struct file *file = NULL;
	void *ctx = NULL;
	u64 flags = attach->hdr.flags;
	u64 perms;
	int fd = -1;
	int pe;
	int rc = 0;

	if (attach->num_interrupts > MAX_CONTEXT_IRQS)
		return -EINVAL;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	perms = ((flags & O_ACCMODE) + 1) & SISL_RHT_PERM_RW;

	if (gli->max_lba == 0) {
		rc = read_cap16(sdev, lli);
		if (rc)
			return rc == -EIO ? -ENODEV : rc;
	}

	lun_access = kzalloc(sizeof(*lun_access), GFP_KERNEL);
	if (!lun_access)
		return -ENOMEM;
	if (scsi_device_get(sdev)) {
		kfree(lun_access);
		return -ENXIO;
	}
	lun_access->lli = lli;
	lun_access->sdev = sdev;

	if (flags & DK_CXLFLASH_ATTACH_REUSE_CONTEXT) {
		struct lun_access *la;

		ctxi = get_context(cfg, attach->context_id, NULL, 0);
		if (!ctxi) {
			rc = -EINVAL;
			goto err_lun;
		}
		list_for_each_entry(la, &ctxi->luns, list)
			if (la->lli == lli) {
				put_context(ctxi);
				rc = -EINVAL;
				goto err_lun;
			}
		kref_get(&ctxi->kref);
		list_add(&lun_access->list, &ctxi->luns);
		atomic_inc(&lli->attach_cnt);
		attach->hdr.return_flags = 0;
		if (afu_is_sq_cmd_mode(cfg->afu))
			attach->hdr.return_flags |= DK_CXLFLASH_CONTEXT_SQ_CMD_MODE;
		attach->adap_fd = (u64)-1;
		put_context(ctxi);
		goto out;
	}

	ctxi = create_context(cfg);
	if (!ctxi) {
		rc = -ENOMEM;
		goto err_lun;
	}

	rc = new_backend_context(cfg, attach->num_interrupts, &ctx, &file,
				 &fd, &pe);
	if (rc)
		goto err_ctxi;

	ctxi->ctx = ctx;
	ctxi->file = file;
	ctxi->irqs = attach->num_interrupts;
	ctxi->rht_perms = perms;
	ctxi->ctrl_map = &cfg->afu->afu_map->ctrls[pe].ctrl;
	ctxi->ctxid = next_ctxid(cfg, pe);
	ctxi->pid = task_tgid_nr(current);
	ctxi->initialized = true;

	rc = afu_attach(cfg, ctxi);
	if (rc) {
		dev_err(cfg->dev, "cannot provision context %d: %d\n", pe, rc);
		goto err_file;
	}

	list_add(&lun_access->list, &ctxi->luns);

	mutex_lock(&cfg->ctx_tbl_list_mutex);
	if (cfg->ctx_tbl[pe]) {
		/* the backend handed out a context id still in use */
		mutex_unlock(&cfg->ctx_tbl_list_mutex);
		list_del(&lun_access->list);
		rc = -EBUSY;
		goto err_file;
	}
	cfg->ctx_tbl[pe] = ctxi;
	atomic_inc(&cfg->num_contexts);
	atomic_inc(&lli->attach_cnt);
	mutex_unlock(&cfg->ctx_tbl_list_mutex);

	attach->hdr.return_flags = DK_CXLFLASH_APP_CLOSE_ADAP_FD;
	if (afu_is_sq_cmd_mode(cfg->afu))
		attach->hdr.return_flags |= DK_CXLFLASH_CONTEXT_SQ_CMD_MODE;
	attach->context_id = ctxi->ctxid;
	attach->adap_fd = fd;
	/* nothing can fail after the fd becomes visible */
	fd_install(fd, file);
out:
	attach->block_size = gli->blk_len;
	attach->mmio_size = SISL_HOST_MAP_SIZE;
	attach->last_lba = gli->max_lba;
	if (gli->blk_len)
		attach->max_xfer = sdev->host->max_sectors * 512ULL / gli->blk_len;
	return 0;

err_file:
	clear_ctrl_map(cfg, ctxi);
	put_unused_fd(fd);
	fput(file);	/* the release hook finds no context and frees ctx */
err_ctxi:
	destroy_context(cfg, ctxi);
err_lun:
	scsi_device_put(sdev);
	kfree(lun_access);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* USER_DIRECT                                                            */
/* ---------------------------------------------------------------------- */

static int cxlflash_disk_direct_open(struct scsi_device *sdev,
				     struct llun_info *lli, void *arg)
{
	struct dk_cxlflash_udirect *pphys = arg;
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	struct sisl_rht_entry *rhte;
	struct ctx_info *ctxi;
	u32 port = sdev->channel;
	res_hndl_t rsrc_handle;
	int rc;

	ctxi = get_context(cfg, pphys->context_id, lli, 0);
	if (!ctxi)
		return -EINVAL;

	rc = cxlflash_lun_attach(gli, MODE_PHYSICAL, false);
	if (rc)
		goto out;

	rhte = rhte_checkout(ctxi, lli);
	if (!rhte) {
		cxlflash_lun_detach(gli);
		rc = -EMFILE;
		goto out;
	}
	rsrc_handle = rhte - ctxi->rht_start;

	rht_format1(rhte, lli->lun_id[port], ctxi->rht_perms, 1U << port);

	rc = cxlflash_afu_sync(cfg->afu, CTX_ID_PE(ctxi->ctxid), rsrc_handle,
			       SISL_AFU_SYNC_LW);
	if (rc) {
		struct sisl_rht_entry_f1 *f1 = (struct sisl_rht_entry_f1 *)rhte;

		WRITE_ONCE(f1->dw, 0);
		f1->lun_id = 0;
		rhte_checkin(ctxi, rhte);
		cxlflash_lun_detach(gli);
		rc = -EAGAIN;
		goto out;
	}

	pphys->hdr.return_flags = 0;
	pphys->rsrc_handle = rsrc_handle;
	pphys->last_lba = gli->max_lba;
out:
	put_context(ctxi);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* VERIFY                                                                 */
/* ---------------------------------------------------------------------- */

static int process_sense(struct scsi_device *sdev, struct llun_info *lli,
			 struct dk_cxlflash_verify *verify)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct scsi_sense_hdr sshdr;
	int rc;

	if (!scsi_normalize_sense((u8 *)verify->sense_data,
				  DK_CXLFLASH_VERIFY_SENSE_LEN, &sshdr))
		return -EINVAL;

	switch (sshdr.sense_key) {
	case NO_SENSE:
	case RECOVERED_ERROR:
	case NOT_READY:
		return 0;
	case UNIT_ATTENTION:
		switch (sshdr.asc) {
		case 0x29:	/* power on, reset */
		case 0x2A:	/* parameters (capacity) changed */
			rc = read_cap16(sdev, lli);
			return rc ? -ENODEV : 0;
		case 0x3F:	/* reported LUNs changed */
			scsi_scan_host(cfg->host);
			return 0;
		default:
			return -EIO;
		}
	default:
		return -EIO;
	}
}

static int cxlflash_disk_verify(struct scsi_device *sdev,
				struct llun_info *lli, void *arg)
{
	struct dk_cxlflash_verify *verify = arg;
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	struct sisl_rht_entry *rhte;
	struct ctx_info *ctxi;
	u64 ctxid = verify->context_id;
	res_hndl_t rhndl = verify->rsrc_handle;
	int rc = 0;

	/* undefined hint bits are ignored, as historically */
	if (verify->rsrc_handle >= MAX_RHT_PER_CONTEXT)
		return -EINVAL;

	ctxi = get_context(cfg, ctxid, lli, 0);
	if (!ctxi)
		return -EINVAL;

	rhte = get_rhte(ctxi, rhndl, lli);
	if (!rhte) {
		rc = -EINVAL;
		goto out;
	}

	if (verify->hint & DK_CXLFLASH_VERIFY_HINT_SENSE) {
		/* the context stays reserved while its mutex is dropped */
		ctxi->unavail = true;
		mutex_unlock(&ctxi->mutex);
		rc = process_sense(sdev, lli, verify);
		mutex_lock(&ctxi->mutex);
		ctxi->unavail = false;
		if (rc)
			goto out;
		/* the handle may have gone while the mutex was dropped */
		rhte = get_rhte(ctxi, rhndl, lli);
		if (!rhte) {
			rc = -EINVAL;
			goto out;
		}
	}

	switch (gli->mode) {
	case MODE_PHYSICAL:
		verify->last_lba = gli->max_lba;
		break;
	case MODE_VIRTUAL:
		verify->last_lba = vlun_last_lba(gli, rhte->lxt_cnt);
		break;
	default:
		rc = -EINVAL;
		break;
	}
out:
	put_context(ctxi);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Errors and RECOVER_AFU                                                 */
/* ---------------------------------------------------------------------- */

/*
 * An adapter reset is about to happen (or happened): every user context
 * moves to the error list, its provisioning is forgotten and its window
 * reads all ones until the owner recovers or detaches.
 */
void cxlflash_mark_contexts_error(struct cxlflash_cfg *cfg)
{
	struct ctx_info *ctxi;
	int i;

	mutex_lock(&cfg->ctx_tbl_list_mutex);
	for (i = 0; i < MAX_CONTEXT; i++) {
		ctxi = cfg->ctx_tbl[i];
		if (!ctxi)
			continue;
		mutex_lock(&ctxi->mutex);
		cfg->ctx_tbl[i] = NULL;
		list_add(&ctxi->list, &cfg->ctx_err_recovery);
		ctxi->err_recovery_active = true;
		ctxi->ctrl_map = NULL;
		file_set_error(ctxi->file, true);
		mutex_unlock(&ctxi->mutex);
	}
	mutex_unlock(&cfg->ctx_tbl_list_mutex);
}

/*
 * Move a context onto a brand new backend context and fd2.  The RHT and
 * LXTs are kept, so resource handles stay valid.  Called with the context
 * mutex held; the new fd is reserved in @fdp, installed by the caller.
 */
static int recover_context(struct cxlflash_cfg *cfg, struct ctx_info *ctxi,
			   int *fdp)
{
	struct file *old_file = ctxi->file;
	u32 old_pe = CTX_ID_PE(ctxi->ctxid);
	struct file *file;
	void *ctx;
	int fd, pe;
	int rc;

	rc = new_backend_context(cfg, ctxi->irqs, &ctx, &file, &fd, &pe);
	if (rc)
		return rc;

	/* the old context loses its provisioning, its window reads 0xFF */
	if (!ctxi->err_recovery_active)
		clear_ctrl_map(cfg, ctxi);

	ctxi->ctrl_map = &cfg->afu->afu_map->ctrls[pe].ctrl;
	rc = afu_attach(cfg, ctxi);
	if (rc) {
		ctxi->ctrl_map = NULL;
		put_unused_fd(fd);
		fput(file);
		return rc;
	}

	/*
	 * Lock order is table, then context: step out of the context (kept
	 * unavailable) and come back in the right order.
	 */
	ctxi->unavail = true;
	mutex_unlock(&ctxi->mutex);
	mutex_lock(&cfg->ctx_tbl_list_mutex);
	mutex_lock(&ctxi->mutex);
	ctxi->unavail = false;
	if (cfg->ctx_tbl[pe]) {
		mutex_unlock(&cfg->ctx_tbl_list_mutex);
		clear_ctrl_map(cfg, ctxi);
		ctxi->ctrl_map = NULL;
		put_unused_fd(fd);
		fput(file);
		return -EBUSY;
	}
	if (!list_empty(&ctxi->list))
		list_del_init(&ctxi->list);
	if (cfg->ctx_tbl[old_pe] == ctxi)
		cfg->ctx_tbl[old_pe] = NULL;
	ctxi->ctx = ctx;
	ctxi->file = file;
	ctxi->ctxid = next_ctxid(cfg, pe);
	ctxi->err_recovery_active = false;
	cfg->ctx_tbl[pe] = ctxi;
	mutex_unlock(&cfg->ctx_tbl_list_mutex);

	file_set_error(old_file, true);
	*fdp = fd;
	return 0;
}

/* A context the AFU put in error reads all ones from its mailbox. */
static bool context_in_error(struct ctx_info *ctxi)
{
	if (ctxi->err_recovery_active || !ctxi->ctrl_map)
		return true;
	return cxl_readq(&ctxi->ctrl_map->mbox_r) == U64_MAX;
}

static int cxlflash_afu_recover(struct scsi_device *sdev,
				struct llun_info *lli, void *arg)
{
	struct dk_cxlflash_recover_afu *recover = arg;
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct afu *afu = cfg->afu;
	struct ctx_info *ctxi = NULL;
	struct file *file;
	u64 ctxid = recover->context_id;
	u64 mbox;
	int retries = 0;
	int fd = -1;
	int rc;

	atomic_inc(&cfg->recovery_threads);
	up_read(&cfg->ioctl_rwsem);
	rc = mutex_lock_interruptible(&cfg->ctx_recovery_mutex);
	down_read(&cfg->ioctl_rwsem);
	if (rc)
		goto out;
	rc = READ_ONCE(cfg->state) == STATE_FAILTERM ? -ENODEV : 0;
	if (rc)
		goto out_unlock;

retry:
	ctxi = get_context(cfg, ctxid, lli, CTX_CTRL_ERR_FALLBACK);
	if (!ctxi) {
		rc = -EINVAL;
		goto out_unlock;
	}

	if (context_in_error(ctxi)) {
		rc = recover_context(cfg, ctxi, &fd);
		if (rc) {
			dev_err(cfg->dev, "context %016llx recovery failed: %d\n",
				ctxid, rc);
			put_context(ctxi);
			if (rc == -ENODEV && retries++ < 20) {
				msleep(100);
				goto retry;
			}
			goto out_unlock;
		}
		file = ctxi->file;
		recover->hdr.return_flags = DK_CXLFLASH_APP_CLOSE_ADAP_FD |
			DK_CXLFLASH_RECOVER_AFU_CONTEXT_RESET;
		if (afu_is_sq_cmd_mode(afu))
			recover->hdr.return_flags |=
				DK_CXLFLASH_CONTEXT_SQ_CMD_MODE;
		recover->context_id = ctxi->ctxid;
		recover->adap_fd = fd;
		recover->mmio_size = SISL_HOST_MAP_SIZE;
		dev_info(cfg->dev, "context %016llx recovered as %016llx (reason %llx)\n",
			 ctxid, ctxi->ctxid, recover->reason);
		put_context(ctxi);
		fd_install(fd, file);
		goto out_unlock;
	}
	put_context(ctxi);

	/* the context is fine: is the adapter? */
	mbox = cxl_readq(&get_hwq(afu, PRIMARY_HWQ)->ctrl_map->mbox_r);
	if (mbox == U64_MAX && retries++ < 3) {
		cxlflash_schedule_async_reset(cfg);
		up_read(&cfg->ioctl_rwsem);
		ssleep(1);
		rc = cxlflash_wait_for_reset(cfg, true);
		down_read(&cfg->ioctl_rwsem);
		if (rc)
			goto out_unlock;
		goto retry;
	}
	recover->hdr.return_flags = 0;
	rc = 0;
out_unlock:
	mutex_unlock(&cfg->ctx_recovery_mutex);
out:
	atomic_dec(&cfg->recovery_threads);
	return rc;
}

/**
 * cxlflash_stop_term_user_contexts() - end every user context
 * @cfg: adapter being removed.
 *
 * The contexts are put in error, then this waits until their owners have
 * detached and closed their adapter files (removal cannot take memory
 * away from under a mapped window).
 */
void cxlflash_stop_term_user_contexts(struct cxlflash_cfg *cfg)
{
	int secs = 0;

	cxlflash_mark_contexts_error(cfg);
	while (atomic_read(&cfg->num_user_contexts) > 0) {
		if (secs++ % 10 == 0)
			dev_warn(cfg->dev, "waiting for %d user context(s) to close\n",
				 atomic_read(&cfg->num_user_contexts));
		wake_up_all(&cfg->reset_waitq);
		wait_event_timeout(cfg->reset_waitq,
				   !atomic_read(&cfg->num_user_contexts), HZ);
	}
}

int cxlflash_alloc_errpage(void)
{
	struct page *err_page = alloc_page(GFP_KERNEL);

	if (!err_page)
		return -ENOMEM;
	memset(page_address(err_page), 0xFF, PAGE_SIZE);
	global.err_page = err_page;
	return 0;
}

void cxlflash_free_errpage(void)
{
	mutex_lock(&global.mutex);
	if (global.err_page) {
		__free_page(global.err_page);
		global.err_page = NULL;
	}
	mutex_unlock(&global.mutex);
}

/* ---------------------------------------------------------------------- */
/* Dispatcher                                                             */
/* ---------------------------------------------------------------------- */

/*
 * A handler gets the LUN binding the dispatcher took (NULL for
 * MANAGE_LUN) and must use it, never sdev->hostdata: see cxlflash_lun_get().
 */
typedef int (*sioctl)(struct scsi_device *sdev, struct llun_info *lli,
		      void *arg);

struct ioctl_desc {
	unsigned int cmd;
	const char *name;
	size_t size;
	u64 flags_known;		/* hdr.flags bits the handler reads */
	sioctl fn;
	bool allowed_when_failed;	/* cleanup must always be possible */
};

/* every request ends in u64 reserved[8] */
#define RESERVED_LEN	(8 * sizeof(u64))

#define DESC(_cmd, _s, _flags, _fn, _failok) {				\
	.cmd = _cmd, .name = #_cmd, .size = sizeof(struct _s),		\
	.flags_known = _flags, .fn = _fn, .allowed_when_failed = _failok }

/*
 * The low two bits of hdr.flags carry an open mode: ATTACH derives the
 * context's permissions from it; the other ioctls ignore it because
 * clients written for the historical driver pass it along.  Bits no
 * handler defines are ignored too, as the historical dispatcher did (it
 * checked version, reserved header words and return_flags only): clients
 * written for the real adapter set them (ATTACH with 0x999, VERIFY with
 * 0x8 or 0x50, RECOVER_AFU with CONTEXT_RESET on input) and must work
 * unchanged.  flags_known only names the bits for the debug log.
 */
static const struct ioctl_desc ioctl_tbl[] = {
	DESC(DK_CXLFLASH_ATTACH, dk_cxlflash_attach,
	     O_ACCMODE | DK_CXLFLASH_ATTACH_REUSE_CONTEXT,
	     cxlflash_disk_attach, false),
	DESC(DK_CXLFLASH_USER_DIRECT, dk_cxlflash_udirect, O_ACCMODE,
	     cxlflash_disk_direct_open, false),
	DESC(DK_CXLFLASH_RELEASE, dk_cxlflash_release, O_ACCMODE,
	     cxlflash_disk_release, true),
	DESC(DK_CXLFLASH_DETACH, dk_cxlflash_detach, O_ACCMODE,
	     cxlflash_disk_detach, true),
	DESC(DK_CXLFLASH_VERIFY, dk_cxlflash_verify, O_ACCMODE,
	     cxlflash_disk_verify, false),
	DESC(DK_CXLFLASH_RECOVER_AFU, dk_cxlflash_recover_afu, O_ACCMODE,
	     cxlflash_afu_recover, false),
	DESC(DK_CXLFLASH_MANAGE_LUN, dk_cxlflash_manage_lun,
	     DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE |
	     DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE |
	     DK_CXLFLASH_MANAGE_LUN_ALL_PORTS_ACCESSIBLE,
	     cxlflash_manage_lun, false),
	DESC(DK_CXLFLASH_USER_VIRTUAL, dk_cxlflash_uvirtual,
	     O_ACCMODE | DK_CXLFLASH_UVIRTUAL_NEED_WRITE_SAME,
	     cxlflash_disk_virtual_open, false),
	DESC(DK_CXLFLASH_VLUN_RESIZE, dk_cxlflash_resize, O_ACCMODE,
	     cxlflash_vlun_resize, true),
	DESC(DK_CXLFLASH_VLUN_CLONE, dk_cxlflash_clone, O_ACCMODE,
	     cxlflash_disk_clone, false),
};

static bool all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/**
 * cxlflash_ioctl() - superpipe ioctl dispatcher
 * @sdev: device the ioctl was issued on (/dev/sdX or /dev/sgN).
 * @cmd: ioctl.
 * @arg: user pointer to the request.
 *
 * Every request is checked before its handler runs: known command,
 * version 0, reserved header words and return_flags zero, reserved words
 * (and VERIFY's pad) zero.  Undefined hdr.flags bits are ignored.  The request is copied
 * back only on success, so a failed ioctl leaves user memory untouched.
 *
 * Return: 0 or a negative errno.
 */
int cxlflash_ioctl(struct scsi_device *sdev, unsigned int cmd, void __user *arg)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	const struct ioctl_desc *desc = NULL;
	union cxlflash_ioctls buf;
	struct dk_cxlflash_hdr *hdr = (struct dk_cxlflash_hdr *)&buf;
	struct llun_info *lli = NULL;
	int rc;
	int i;

	for (i = 0; i < ARRAY_SIZE(ioctl_tbl); i++)
		if (ioctl_tbl[i].cmd == cmd) {
			desc = &ioctl_tbl[i];
			break;
		}
	if (!desc)
		return -EINVAL;

	down_read(&cfg->ioctl_rwsem);

	/*
	 * Every ioctl but MANAGE_LUN needs a LUN enabled for the superpipe,
	 * bound here once for the whole ioctl (DISABLE waits for no one: it
	 * fails with -EBUSY while the binding is held).
	 */
	if (cmd != DK_CXLFLASH_MANAGE_LUN) {
		lli = cxlflash_lun_get(sdev);
		if (!lli) {
			rc = -EINVAL;
			goto out;
		}
	}

retry:
	switch (READ_ONCE(cfg->state)) {
	case STATE_NORMAL:
		break;
	case STATE_RESET:
		up_read(&cfg->ioctl_rwsem);
		rc = cxlflash_wait_for_reset(cfg, true);
		down_read(&cfg->ioctl_rwsem);
		if (rc == -ERESTARTSYS)
			goto out;
		goto retry;
	default:
		if (!desc->allowed_when_failed) {
			rc = -ENODEV;
			goto out;
		}
		break;
	}

	if (copy_from_user(&buf, arg, desc->size)) {
		rc = -EFAULT;
		goto out;
	}

	if (hdr->version != DK_CXLFLASH_VERSION_0 ||
	    hdr->rsvd[0] || hdr->rsvd[1] || hdr->rsvd[2] ||
	    hdr->return_flags ||
	    !all_zero((u8 *)&buf + desc->size - RESERVED_LEN, RESERVED_LEN)) {
		rc = -EINVAL;
		goto out;
	}
	if (hdr->flags & ~desc->flags_known)
		dev_dbg(&sdev->sdev_gendev, "%s: ignoring flags %llx\n",
			desc->name, hdr->flags & ~desc->flags_known);
	if (cmd == DK_CXLFLASH_VERIFY && !all_zero(buf.verify.pad,
						   sizeof(buf.verify.pad))) {
		rc = -EINVAL;
		goto out;
	}

	rc = desc->fn(sdev, lli, &buf);
	if (!rc && copy_to_user(arg, &buf, desc->size))
		rc = -EFAULT;
out:
	if (lli)
		cxlflash_lun_put(lli);
	up_read(&cfg->ioctl_rwsem);
	if (rc)
		dev_dbg(&sdev->sdev_gendev, "%s failed: %d\n", desc->name, rc);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* debugfs                                                                */
/* ---------------------------------------------------------------------- */

static int contexts_show(struct seq_file *m, void *unused)
{
	struct cxlflash_cfg *cfg = m->private;
	struct lun_access *la;
	struct ctx_info *ctxi;
	int i, nluns;

	mutex_lock(&cfg->ctx_tbl_list_mutex);
	for (i = 0; i < MAX_CONTEXT; i++) {
		ctxi = cfg->ctx_tbl[i];
		if (!ctxi)
			continue;
		mutex_lock(&ctxi->mutex);
		nluns = 0;
		list_for_each_entry(la, &ctxi->luns, list)
			nluns++;
		seq_printf(m, "%016llx pe=%d pid=%d luns=%d handles=%u state=ok\n",
			   ctxi->ctxid, i, ctxi->pid, nluns, ctxi->rht_out);
		mutex_unlock(&ctxi->mutex);
	}
	list_for_each_entry(ctxi, &cfg->ctx_err_recovery, list) {
		mutex_lock(&ctxi->mutex);
		nluns = 0;
		list_for_each_entry(la, &ctxi->luns, list)
			nluns++;
		seq_printf(m, "%016llx pe=%u pid=%d luns=%d handles=%u state=error\n",
			   ctxi->ctxid, CTX_ID_PE(ctxi->ctxid), ctxi->pid,
			   nluns, ctxi->rht_out);
		mutex_unlock(&ctxi->mutex);
	}
	mutex_unlock(&cfg->ctx_tbl_list_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(contexts);

static int luns_show(struct seq_file *m, void *unused)
{
	struct glun_info *gli;

	mutex_lock(&global.mutex);
	list_for_each_entry(gli, &global.gluns, list) {
		mutex_lock(&gli->mutex);
		seq_printf(m, "%*phN mode=%s users=%d max_lba=%llu blk_len=%u chunks=%llu free=%llu\n",
			   CXLFLASH_WWID_LEN, gli->wwid,
			   gli->mode == MODE_NONE ? "none" :
			   gli->mode == MODE_VIRTUAL ? "virtual" : "physical",
			   gli->users, gli->max_lba, gli->blk_len,
			   gli->blka.nchunk, ba_space(&gli->blka));
		mutex_unlock(&gli->mutex);
	}
	mutex_unlock(&global.mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(luns);

struct dentry *cxlflash_debugfs_add(struct cxlflash_cfg *cfg)
{
	struct dentry *dir;
	char name[16];

	snprintf(name, sizeof(name), "host%u", cfg->host->host_no);
	dir = debugfs_create_dir(name, cxlflash_debugfs_root);
	debugfs_create_file("contexts", 0444, dir, cfg, &contexts_fops);
	debugfs_create_atomic_t("user_files", 0444, dir,
				&cfg->num_user_contexts);
	debugfs_create_atomic_t("contexts_count", 0444, dir,
				&cfg->num_contexts);
	return dir;
}

void cxlflash_debugfs_init(void)
{
	cxlflash_debugfs_root = debugfs_create_dir(CXLFLASH_NAME, NULL);
	debugfs_create_file("luns", 0444, cxlflash_debugfs_root, NULL,
			    &luns_fops);
}

void cxlflash_debugfs_exit(void)
{
	debugfs_remove_recursive(cxlflash_debugfs_root);
	cxlflash_debugfs_root = NULL;
}
