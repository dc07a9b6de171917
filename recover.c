// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: recovery of user contexts.
 *
 * VERIFY (a client's check of a LUN after it saw sense data), the marking
 * of every context in error when the adapter is reset, RECOVER_AFU (moving
 * a context onto a new backend context and fd2, keeping its resource
 * handles), and the ending of all user contexts when the adapter goes.
 */

#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>

#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>

#include "afu_if.h"
#include "superpipe.h"
#include "trace.h"

/* ---------------------------------------------------------------------- */
/* VERIFY                                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Act on the sense data a client saw: harmless conditions need nothing,
 * a reset or capacity change re-reads the capacity, a changed LUN
 * inventory rescans the host; anything else is an I/O error.
 */
static int process_sense(struct scsi_device *sdev, struct llun_info *lli,
			 struct dk_cxlflash_verify *verify)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct scsi_sense_hdr sshdr;
	u8 key;

	if (!scsi_normalize_sense((u8 *)verify->sense_data,
				  DK_CXLFLASH_VERIFY_SENSE_LEN, &sshdr))
		return -EINVAL;

	key = sshdr.sense_key;
	if (key == NO_SENSE || key == RECOVERED_ERROR || key == NOT_READY)
		return 0;
	if (key != UNIT_ATTENTION)
		return -EIO;

	if (sshdr.asc == 0x3F) {		/* reported LUNs changed */
		scsi_scan_host(cfg->host);
		return 0;
	}
	if (sshdr.asc == 0x29 || sshdr.asc == 0x2A)	/* reset, capacity */
		return read_cap16(sdev, lli) ? -ENODEV : 0;
	return -EIO;
}

/*
 * process_sense() may sleep long (READ CAPACITY, a host scan): it runs
 * with the context mutex dropped, the context reserved (unavail) meanwhile.
 */
static int process_sense_unlocked(struct ctx_info *ctxi,
				  struct scsi_device *sdev,
				  struct llun_info *lli,
				  struct dk_cxlflash_verify *verify)
{
	int rc;

	ctxi->unavail = true;
	mutex_unlock(&ctxi->mutex);
	rc = process_sense(sdev, lli, verify);
	mutex_lock(&ctxi->mutex);
	ctxi->unavail = false;
	return rc;
}

int cxlflash_disk_verify(struct scsi_device *sdev, struct llun_info *lli,
			 void *arg)
{
	struct dk_cxlflash_verify *verify = arg;
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct glun_info *gli = lli->parent;
	struct sisl_rht_entry *rhte;
	struct ctx_info *ctxi;
	int rc = 0;

	/* undefined hint bits are ignored, as historically */
	if (verify->rsrc_handle >= MAX_RHT_PER_CONTEXT)
		return -EINVAL;

	ctxi = get_context(cfg, verify->context_id, lli, 0);
	if (!ctxi)
		return -EINVAL;

	rhte = ctx_rhte(ctxi, verify->rsrc_handle, lli);
	if (rhte && (verify->hint & DK_CXLFLASH_VERIFY_HINT_SENSE)) {
		rc = process_sense_unlocked(ctxi, sdev, lli, verify);
		/* the handle may have gone while the mutex was dropped */
		rhte = rc ? NULL : ctx_rhte(ctxi, verify->rsrc_handle, lli);
	}
	if (!rhte) {
		if (!rc)
			rc = -EINVAL;
		goto out;
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
 * With ctx_tbl_list_mutex held: table slot @pe gives up @ctxi to the
 * error list; its provisioning is forgotten and its window reads 0xFF.
 */
static void ctx_move_to_error(struct cxlflash_cfg *cfg, struct ctx_info *ctxi,
			      u32 pe)
{
	mutex_lock(&ctxi->mutex);
	ctxi->err_recovery_active = true;
	ctxi->ctrl_map = NULL;
	cfg->ctx_tbl[pe] = NULL;
	list_add(&ctxi->list, &cfg->ctx_err_recovery);
	ctx_file_set_error(ctxi->file, true);
	mutex_unlock(&ctxi->mutex);
}

/*
 * An adapter reset is about to happen (or happened): every user context
 * moves to the error list, its provisioning is forgotten and its window
 * reads all ones until the owner recovers or detaches.
 */
void cxlflash_mark_contexts_error(struct cxlflash_cfg *cfg)
{
	struct ctx_info *ctxi;
	u32 pe;

	mutex_lock(&cfg->ctx_tbl_list_mutex);
	for (pe = 0; pe < MAX_CONTEXT; pe++) {
		ctxi = cfg->ctx_tbl[pe];
		if (ctxi)
			ctx_move_to_error(cfg, ctxi, pe);
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

	rc = ctx_new_backend(cfg, ctxi->irqs, &ctx, &file, &fd, &pe);
	if (rc)
		return rc;

	/* the old context loses its provisioning, its window reads 0xFF */
	if (!ctxi->err_recovery_active)
		ctx_unprovision(cfg, ctxi);

	ctxi->ctrl_map = &cfg->afu->afu_map->ctrls[pe].ctrl;
	rc = ctx_provision(cfg, ctxi);
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
	ctx_lock_table_first(ctxi);
	ctxi->unavail = false;
	if (cfg->ctx_tbl[pe]) {
		mutex_unlock(&cfg->ctx_tbl_list_mutex);
		ctx_unprovision(cfg, ctxi);
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
	trace_cxlflash_ctx_recover(cfg->host->host_no, ctxi->ctxid, ctxi->pid, 0);
	ctxi->ctxid = ctx_next_id(cfg, pe);
	ctxi->err_recovery_active = false;
	cfg->ctx_tbl[pe] = ctxi;
	mutex_unlock(&cfg->ctx_tbl_list_mutex);

	ctx_file_set_error(old_file, true);
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

int cxlflash_afu_recover(struct scsi_device *sdev, struct llun_info *lli,
			 void *arg)
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
