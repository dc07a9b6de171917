// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: the superpipe.
 *
 * User contexts give a process direct access to LUNs through a private
 * AFU context: the process maps the context's 64 KiB register window
 * through the adapter file descriptor (fd2) and queues commands in its own
 * memory; the driver only provisions the context (resource handles in the
 * RHT) and recovers it.  This file holds the ioctl dispatcher, the LUN
 * access mode and the ioctls for whole-LUN access (ATTACH, USER_DIRECT,
 * RELEASE, DETACH).  The context table and fd2 are in context.c, VERIFY
 * and RECOVER_AFU in recover.c, virtual LUNs in vlun.c.
 */

#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/unaligned.h>

#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>

#include "afu_if.h"
#include "superpipe.h"
#include "trace.h"

struct cxlflash_global global;

static struct dentry *cxlflash_debugfs_root;

#define CMD_TIMEOUT	30	/* seconds, internal SCSI commands */
#define CMD_RETRIES	5

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

/*
 * With gli->mutex held: one more handle in @mode.  A LUN serves one mode
 * at a time; the first handle picks it.
 */
static int lun_mode_take(struct glun_info *gli, enum lun_mode mode)
{
	if (gli->mode != MODE_NONE && gli->mode != mode)
		return -EINVAL;
	gli->mode = mode;
	gli->users++;
	return 0;
}

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
	int rc;

	if (locked)
		return lun_mode_take(gli, mode);

	mutex_lock(&gli->mutex);
	rc = lun_mode_take(gli, mode);
	mutex_unlock(&gli->mutex);
	return rc;
}

/* Drop a handle; the last one returns the LUN to no mode. */
void cxlflash_lun_detach(struct glun_info *gli)
{
	bool last;

	mutex_lock(&gli->mutex);
	WARN_ON(gli->users < 1 || gli->mode == MODE_NONE);
	gli->users--;
	last = gli->users == 0;
	if (last) {
		/* no handle left: its chunks (virtual mode) and mode go */
		cxlflash_ba_terminate(&gli->blka);
		gli->mode = MODE_NONE;
	}
	mutex_unlock(&gli->mutex);
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

/*
 * What the sense data of a failed READ CAPACITY(16) means: CAP16_OK when
 * the failure is harmless (no sense, recovered, not ready), CAP16_RETRY
 * for a unit attention that says the LUN changed under us (power on or
 * reset, capacity changed, LUN inventory changed), CAP16_FAIL else.
 */
enum cap16_verdict { CAP16_OK, CAP16_RETRY, CAP16_FAIL };

static enum cap16_verdict cap16_judge(const struct scsi_sense_hdr *sshdr)
{
	u8 key = sshdr->sense_key;

	if (key == UNIT_ATTENTION)
		return sshdr->asc == 0x29 || sshdr->asc == 0x2A ||
		       sshdr->asc == 0x3F ? CAP16_RETRY : CAP16_FAIL;
	if (key == NO_SENSE || key == RECOVERED_ERROR || key == NOT_READY)
		return CAP16_OK;
	return CAP16_FAIL;
}

/**
 * read_cap16() - refresh a LUN's capacity with READ CAPACITY(16)
 * @sdev: device to ask.
 * @lli: its LUN record.
 *
 * Called with ioctl_rwsem held for read; drops it around the command.  A
 * unit attention saying the LUN changed gets one more try.
 *
 * Return: 0, -ENODEV, -EIO or -ENOMEM.
 */
int read_cap16(struct scsi_device *sdev, struct llun_info *lli)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	const u8 cdb[16] = {
		[0] = SERVICE_ACTION_IN_16,
		[1] = SAI_READ_CAPACITY_16,
		[10] = (CXLFLASH_BLOCK_SIZE >> 24) & 0xFF,
		[11] = (CXLFLASH_BLOCK_SIZE >> 16) & 0xFF,
		[12] = (CXLFLASH_BLOCK_SIZE >> 8) & 0xFF,
		[13] = CXLFLASH_BLOCK_SIZE & 0xFF,
	};
	struct scsi_sense_hdr sshdr;
	enum cap16_verdict verdict;
	bool retried = false;
	int status;
	u8 *data;
	int rc;

	data = kzalloc(CXLFLASH_BLOCK_SIZE, GFP_KERNEL);
	if (!data)
		return -ENOMEM;

	for (;;) {
		up_read(&cfg->ioctl_rwsem);
		status = cxlflash_own_exec(sdev, cdb, DMA_FROM_DEVICE, data,
					   CXLFLASH_BLOCK_SIZE, &sshdr,
					   CMD_TIMEOUT * HZ, CMD_RETRIES);
		rc = cxlflash_retake_rwsem(cfg);
		if (rc)
			goto out;
		if (status <= 0 || !scsi_sense_valid(&sshdr))
			break;
		verdict = cap16_judge(&sshdr);
		if (verdict == CAP16_RETRY && !retried) {
			retried = true;
			continue;
		}
		if (verdict == CAP16_OK)
			status = 0;
		break;
	}
	if (status) {
		dev_err(cfg->dev, "READ CAPACITY(16) failed, result=%08x\n",
			status);
		rc = -EIO;
		goto out;
	}

	mutex_lock(&gli->mutex);
	gli->max_lba = get_unaligned_be64(&data[0]);
	gli->blk_len = get_unaligned_be32(&data[8]);
	mutex_unlock(&gli->mutex);
out:
	kfree(data);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* RELEASE and DETACH                                                     */
/* ---------------------------------------------------------------------- */

/*
 * Take a Format-1 entry out of the AFU's view: the valid bit goes first,
 * then the LUN id, then the whole word; a context in error has no AFU
 * context to tell.
 */
static void rhte_f1_retire(struct cxlflash_cfg *cfg, struct ctx_info *ctxi,
			   res_hndl_t rhndl)
{
	struct sisl_rht_entry_f1 *f1 =
		(struct sisl_rht_entry_f1 *)&ctxi->rht_start[rhndl];
	int rc;

	f1->valid = 0;
	dma_wmb();
	f1->lun_id = 0;
	dma_wmb();
	WRITE_ONCE(f1->dw, 0);
	dma_wmb();

	if (ctxi->err_recovery_active)
		return;
	rc = cxlflash_afu_sync(cfg->afu, CTX_ID_PE(ctxi->ctxid), rhndl,
			       SISL_AFU_SYNC_HW);
	if (rc)
		dev_warn(cfg->dev, "sync after release of %u failed\n", rhndl);
}

/*
 * Give back handle @handle of a context whose mutex the caller holds: a
 * virtual LUN is emptied first (its chunks are zeroed and freed), a
 * physical one is retired from the AFU; then the slot is free and the LUN
 * has one user less.
 */
static int release_handle(struct scsi_device *sdev, struct llun_info *lli,
			  struct ctx_info *ctxi, u64 ctxid, u64 handle)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct dk_cxlflash_resize empty = {
		.context_id = ctxid,
		.rsrc_handle = handle,
		.req_size = 0,
	};
	struct sisl_rht_entry *rhte;
	int rc;

	if (handle >= MAX_RHT_PER_CONTEXT)
		return -EINVAL;
	rhte = ctx_rhte(ctxi, handle, lli);
	if (!rhte)
		return -EINVAL;

	if (SISL_RHT_FMT(rhte->fp) == SISL_RHT_FMT0) {
		rc = _cxlflash_vlun_resize(sdev, lli, ctxi, &empty);
		if (rc)
			return rc;
	} else if (SISL_RHT_FMT(rhte->fp) == SISL_RHT_FMT1) {
		rhte_f1_retire(cfg, ctxi, handle);
	} else {
		return -EINVAL;
	}

	ctx_rhte_free(ctxi, rhte);
	cxlflash_lun_detach(lli->parent);
	return 0;
}

/*
 * RELEASE of one handle.  With @ctxi given the caller holds its mutex;
 * else the context is looked up (in error too: cleanup must work) and
 * unlocked again.
 */
int _cxlflash_disk_release(struct scsi_device *sdev, struct llun_info *lli,
			   struct ctx_info *ctxi,
			   struct dk_cxlflash_release *release)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	int rc;

	if (ctxi)
		return release_handle(sdev, lli, ctxi, release->context_id,
				      release->rsrc_handle);

	ctxi = get_context(cfg, release->context_id, lli,
			   CTX_CTRL_ERR_FALLBACK);
	if (!ctxi)
		return -EINVAL;
	rc = release_handle(sdev, lli, ctxi, release->context_id,
			    release->rsrc_handle);
	put_context(ctxi);
	return rc;
}

static int cxlflash_disk_release(struct scsi_device *sdev,
				 struct llun_info *lli, void *arg)
{
	return _cxlflash_disk_release(sdev, lli, NULL, arg);
}

/* The attachment of @lli to @ctxi, or NULL; context mutex held. */
static struct lun_access *find_lun_access(struct ctx_info *ctxi,
					  struct llun_info *lli)
{
	struct lun_access *la;

	list_for_each_entry(la, &ctxi->luns, list) {
		if (la->lli == lli)
			return la;
	}
	return NULL;
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
	bool unlock = !ctxi;
	struct scsi_device *held = NULL;
	struct lun_access *la;
	u32 h;

	if (!ctxi) {
		ctxi = get_context(cfg, detach->context_id, lli,
				   CTX_CTRL_ERR_FALLBACK);
		if (!ctxi)
			return -EINVAL;
	}

	/* every handle this LUN has in the context goes first */
	for (h = 0; ctxi->rht_out && h < MAX_RHT_PER_CONTEXT; h++) {
		if (ctxi->rht_lun[h] != lli)
			continue;
		if (release_handle(sdev, lli, ctxi, ctxi->ctxid, h))
			dev_warn(cfg->dev, "detach: release of handle %u failed\n",
				 h);
	}

	la = find_lun_access(ctxi, lli);
	if (la) {
		list_del(&la->list);
		atomic_dec(&lli->attach_cnt);
		held = la->sdev;
		kfree(la);
	}

	if (ctx_put_locked(ctxi)) {
		atomic_dec(&cfg->num_contexts);
		if (held)
			scsi_device_put(held);
		return 1;
	}
	if (unlock)
		put_context(ctxi);
	if (held)
		scsi_device_put(held);
	return 0;
}

static int cxlflash_disk_detach(struct scsi_device *sdev,
				struct llun_info *lli, void *arg)
{
	int rc = _cxlflash_disk_detach(sdev, lli, NULL, arg);

	return rc < 0 ? rc : 0;
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
		ctxi = get_context(cfg, attach->context_id, NULL, 0);
		if (!ctxi) {
			rc = -EINVAL;
			goto err_lun;
		}
		if (find_lun_access(ctxi, lli)) {
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

	ctxi = ctx_create(cfg);
	if (!ctxi) {
		rc = -ENOMEM;
		goto err_lun;
	}

	rc = ctx_new_backend(cfg, attach->num_interrupts, &ctx, &file, &fd,
			     &pe);
	if (rc)
		goto err_ctxi;

	ctxi->ctx = ctx;
	ctxi->file = file;
	ctxi->irqs = attach->num_interrupts;
	ctxi->rht_perms = perms;
	ctxi->ctrl_map = &cfg->afu->afu_map->ctrls[pe].ctrl;
	ctxi->ctxid = ctx_next_id(cfg, pe);
	ctxi->pid = task_tgid_nr(current);
	ctxi->initialized = true;

	rc = ctx_provision(cfg, ctxi);
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
	trace_cxlflash_ctx_attach(sdev->host->host_no, attach->context_id,
				  current->tgid, 0);
	attach->block_size = gli->blk_len;
	attach->mmio_size = SISL_HOST_MAP_SIZE;
	attach->last_lba = gli->max_lba;
	if (gli->blk_len)
		attach->max_xfer = sdev->host->max_sectors * 512ULL / gli->blk_len;
	return 0;

err_file:
	ctx_unprovision(cfg, ctxi);
	put_unused_fd(fd);
	fput(file);	/* the release hook finds no context and frees ctx */
err_ctxi:
	ctx_destroy(cfg, ctxi);
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

	rhte = ctx_rhte_claim(ctxi, lli);
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
		ctx_rhte_free(ctxi, rhte);
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

/*
 * The ioctls an adapter in internal-LUN mode (lun_mode 1-4) refuses with
 * EINVAL: internal LUNs are used whole (USER_DIRECT) and have no LUN
 * table for virtual LUNs.  RELEASE is not among them: the historical
 * driver refused it too, so that a physical handle could only be dropped
 * by DETACH (a shipped bug this driver does not repeat).
 */
static bool internal_lun_refuses(unsigned int cmd)
{
	switch (cmd) {
	case DK_CXLFLASH_USER_VIRTUAL:
	case DK_CXLFLASH_VLUN_RESIZE:
	case DK_CXLFLASH_VLUN_CLONE:
		return true;
	default:
		return false;
	}
}

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

	/* internal LUNs: whole-LUN access only */
	if (READ_ONCE(cfg->afu->internal_lun) && internal_lun_refuses(cmd)) {
		rc = -EINVAL;
		goto out;
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
