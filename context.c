// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: the user context table.
 *
 * A user context is born by ATTACH (superpipe.c) and lives as long as its
 * adapter file (fd2): this file holds the table of contexts and its
 * lookups, a context's creation, provisioning in the AFU and destruction,
 * its resource-handle slots, and the adapter file's operations (mmap, the
 * fault handler that shows the error page, and release, which detaches
 * whatever the context still holds).
 *
 * Ownership: a context and its fd2 belong to the process (tgid) that
 * attached; every lookup but VLUN_CLONE's refuses another process's context.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pfn_t.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "afu_if.h"
#include "superpipe.h"
#include "trace.h"

/* adapter file -> struct cxlflash_file (file ops are shared) */
static DEFINE_XARRAY(cxlflash_files);

/* a file whose backend context was released by hand */
static const struct file_operations cxlflash_null_fops = {
	.owner = THIS_MODULE,
};

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

struct ctx_info *ctx_create(struct cxlflash_cfg *cfg)
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
u64 ctx_next_id(struct cxlflash_cfg *cfg, int pe)
{
	u32 gen;

	do {
		gen = (u32)atomic_inc_return(&cfg->ctx_gen);
	} while (!gen);
	return ENCODE_CTXID(gen, pe);
}

/* Revoke the context's provisioning in the AFU */
void ctx_unprovision(struct cxlflash_cfg *cfg, struct ctx_info *ctxi)
{
	struct sisl_ctrl_map __iomem *ctrl_map = ctxi->ctrl_map;

	if (!ctrl_map || !cfg->afu->afu_map)
		return;
	cxl_writeq(0, &ctrl_map->rht_start);
	cxl_writeq(0, &ctrl_map->rht_cnt_id);
	cxl_writeq(0, &ctrl_map->ctx_cap);
}

void ctx_destroy(struct cxlflash_cfg *cfg, struct ctx_info *ctxi)
{
	if (ctxi->initialized)
		ctx_unprovision(cfg, ctxi);
	kvfree(ctxi->rht_start);
	kvfree(ctxi->rht_lxt_cap);
	kvfree(ctxi->rht_needs_ws);
	kvfree(ctxi->rht_lun);
	mutex_destroy(&ctxi->mutex);
	kfree(ctxi);
}

/*
 * Entered with @ctxi's mutex held, left with ctx_tbl_list_mutex and then
 * the context's mutex held, as the lock order wants.  In between neither
 * is held: the context is marked unavailable so no lookup hands it out;
 * the caller clears unavail when it keeps the context.
 */
void ctx_lock_table_first(struct ctx_info *ctxi)
{
	struct mutex *table = &ctxi->cfg->ctx_tbl_list_mutex;

	ctxi->unavail = true;
	mutex_unlock(&ctxi->mutex);
	mutex_lock(table);
	mutex_lock(&ctxi->mutex);
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

	ctx_lock_table_first(ctxi);

	if (!list_empty(&ctxi->list))
		list_del_init(&ctxi->list);
	if (pe < MAX_CONTEXT && cfg->ctx_tbl[pe] == ctxi)
		cfg->ctx_tbl[pe] = NULL;

	mutex_unlock(&ctxi->mutex);
	mutex_unlock(&cfg->ctx_tbl_list_mutex);
	trace_cxlflash_ctx_detach(cfg->host->host_no, ctxi->ctxid, ctxi->pid, 0);
	ctx_destroy(cfg, ctxi);
	/* a release of its file may wait for it to go (unavail above) */
	ctx_put_wake(cfg);
}

/* Drop one attachment reference; true when the context was freed. */
bool ctx_put_locked(struct ctx_info *ctxi)
{
	return kref_put(&ctxi->kref, remove_context);
}

/*
 * Give a started backend context to the AFU as a user context: read-write
 * capability only, and the RHT (kept in kernel memory, so fetched through
 * the primary master's address space).
 */
int ctx_provision(struct cxlflash_cfg *cfg, struct ctx_info *ctxi)
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

/*
 * A slot of the RHT is free when no LUN owns it and its entry is clear
 * (a Format-0 entry with nmask 0 lets the AFU translate nothing).  All
 * three run with the context mutex held.
 */
static bool rht_slot_free(const struct ctx_info *ctxi, u32 slot)
{
	return !ctxi->rht_lun[slot] && !ctxi->rht_start[slot].nmask;
}

/* Claim the lowest free slot for @lli; NULL when all are taken. */
struct sisl_rht_entry *ctx_rhte_claim(struct ctx_info *ctxi,
				      struct llun_info *lli)
{
	u32 slot = 0;

	if (ctxi->rht_out >= MAX_RHT_PER_CONTEXT)
		return NULL;
	while (slot < MAX_RHT_PER_CONTEXT && !rht_slot_free(ctxi, slot))
		slot++;
	if (slot == MAX_RHT_PER_CONTEXT)
		return NULL;

	ctxi->rht_lun[slot] = lli;
	ctxi->rht_out++;
	return &ctxi->rht_start[slot];
}

/* The entry of open handle @handle when @owner holds it, else NULL. */
struct sisl_rht_entry *ctx_rhte(struct ctx_info *ctxi, res_hndl_t handle,
				struct llun_info *owner)
{
	struct sisl_rht_entry *entry;

	if (handle >= MAX_RHT_PER_CONTEXT || ctxi->rht_lun[handle] != owner)
		return NULL;
	entry = &ctxi->rht_start[handle];
	return entry->nmask ? entry : NULL;
}

/* Give a claimed slot back: clear entry, owner and WRITE SAME wish. */
void ctx_rhte_free(struct ctx_info *ctxi, struct sisl_rht_entry *entry)
{
	u32 slot = entry - ctxi->rht_start;

	ctxi->rht_needs_ws[slot] = 0;
	ctxi->rht_lun[slot] = NULL;
	entry->fp = 0;
	entry->nmask = 0;
	ctxi->rht_out--;
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
void ctx_file_set_error(struct file *file, bool err)
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
int ctx_new_backend(struct cxlflash_cfg *cfg, u64 irqs, void **ctxp,
		    struct file **filep, int *fdp, int *pep)
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

int cxlflash_alloc_errpage(void)
{
	struct page *ones = alloc_page(GFP_KERNEL);

	if (!ones)
		return -ENOMEM;
	/* every byte set: what a client reads from a window in error */
	memset(page_address(ones), 0xFF, PAGE_SIZE);
	global.err_page = ones;
	return 0;
}

void cxlflash_free_errpage(void)
{
	struct page *ones;

	mutex_lock(&global.mutex);
	ones = global.err_page;
	global.err_page = NULL;
	if (ones)
		__free_page(ones);
	mutex_unlock(&global.mutex);
}
