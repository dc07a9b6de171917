// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: SCSI low-level driver for the IBM CXL Flash adapter.
 *
 * The module, binding to AFUs on the auxiliary bus (backend.h is the
 * driver's only view of how an AFU is reached), the SCSI host template
 * and queuecommand.  The rest of the driver core is listed in core.h;
 * user contexts (the superpipe) are superpipe.c's, virtual LUNs vlun.c's,
 * LUN bookkeeping lunmgt.c's.
 */

#include <linux/auxiliary_bus.h>
#include <linux/debugfs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/smp.h>

#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_tcq.h>

#include "core.h"
#include "superpipe.h"

MODULE_DESCRIPTION("IBM CXL Flash adapter SCSI driver");
MODULE_AUTHOR("cxlflash developers");
MODULE_LICENSE("GPL");

/* adapter numbers, for names */
static DEFINE_IDA(cxlflash_ida);

/* ---------------------------------------------------------------------- */
/* queuecommand                                                           */
/* ---------------------------------------------------------------------- */

static struct hwq *steer(struct afu *afu, struct scsi_cmnd *scp)
{
	u32 n = afu->num_hwqs, q;

	if (n == 1)
		return get_hwq(afu, PRIMARY_HWQ);

	switch (afu->steer) {
	case STEER_TAG:
		q = blk_mq_unique_tag(scsi_cmd_to_rq(scp));
		break;
	case STEER_CPU:
		q = raw_smp_processor_id();
		break;
	default:
		q = atomic_inc_return(&afu->steer_rr);
		break;
	}
	return get_hwq(afu, q % n);
}

/* Fill the IOARCB of @cmd from @scp (the queue sets ctx_id and msi). */
static void build_ioarcb(struct cxlflash_cmd *cmd, struct scsi_cmnd *scp)
{
	struct sisl_ioarcb *rcb = &cmd->rcb;
	struct scatterlist *sg = scsi_sglist(scp);

	memset(rcb, 0, sizeof(*rcb));
	cmd->sa.ioasc = 0;
	cmd->scp = scp;

	/* sg_tablesize 1: at most one virtually contiguous buffer */
	if (sg) {
		rcb->data_len = sg->length;
		rcb->data_ea = (u64)(uintptr_t)sg_virt(sg);
	}
	rcb->req_flags = SISL_REQ_FLAGS_SUP_UNDERRUN;
	if (scp->sc_data_direction == DMA_TO_DEVICE)
		rcb->req_flags |= SISL_REQ_FLAGS_HOST_WRITE;
	rcb->port_sel = BIT(scp->device->channel);
	rcb->lun_id = lun_to_lunid(scp->device->lun);
	memcpy(rcb->cdb, scp->cmnd, min_t(u32, scp->cmd_len, sizeof(rcb->cdb)));
}

static int finish_now(struct scsi_cmnd *scp, int host_byte)
{
	scp->result = host_byte << 16;
	scsi_done(scp);
	return 0;
}

static int cxlflash_queuecommand(struct Scsi_Host *host, struct scsi_cmnd *scp)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(host);
	struct afu *afu = cfg->afu;
	struct cxlflash_cmd *cmd = sc_to_cmd(scp);
	int rc = SCSI_MLQUEUE_HOST_BUSY;

	/*
	 * Commands wait while a LUN reset runs.  One that slips past this
	 * check as the TMF starts is covered by the TMF like any other.
	 */
	if (unlikely(READ_ONCE(cfg->tmf_active)))
		return SCSI_MLQUEUE_HOST_BUSY;

	switch (READ_ONCE(cfg->state)) {
	case STATE_NORMAL:
		break;
	case STATE_FAILTERM:
		return finish_now(scp, DID_NO_CONNECT);
	default:
		return SCSI_MLQUEUE_HOST_BUSY;
	}

	/* user contexts own the LUN's data: see fence.c */
	if (unlikely(cxlflash_lun_fenced(scp->device)) &&
	    cxlflash_fence_refuses(scp)) {
		cxlflash_fence_reject(scp);
		return 0;
	}

	/* counted in, so a reset starting now waits for us to post */
	atomic_inc(&afu->posting);
	if (likely(READ_ONCE(cfg->state) == STATE_NORMAL)) {
		build_ioarcb(cmd, scp);
		if (!cxlflash_post(steer(afu, scp), cmd))
			rc = 0;
	}
	atomic_dec(&afu->posting);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* SCSI host template                                                     */
/* ---------------------------------------------------------------------- */

static const char *cxlflash_driver_info(struct Scsi_Host *host)
{
	return CXLFLASH_ADAPTER_NAME;
}

static int cxlflash_change_queue_depth(struct scsi_device *sdev, int qdepth)
{
	return scsi_change_queue_depth(sdev, min(qdepth, CXLFLASH_MAX_CMDS));
}

/*
 * A SCSI device goes (deleted through sysfs or the host device, a lun_mode
 * change, the adapter's removal): an idle superpipe path of it is disabled
 * and a LUN record nothing uses any more is freed.
 */
static void cxlflash_slave_destroy(struct scsi_device *sdev)
{
	cxlflash_lun_forget_path(sdev);
}

static struct scsi_host_template driver_template = {
	.module = THIS_MODULE,
	.name = CXLFLASH_ADAPTER_NAME,
	.proc_name = CXLFLASH_NAME,
	.info = cxlflash_driver_info,
	.ioctl = cxlflash_ioctl,
#ifdef CONFIG_COMPAT
	/*
	 * A 32-bit process's DK_CXLFLASH_* ioctls: the structures and numbers
	 * are the same for both ABIs and the midlayer passes compat_ptr(arg).
	 */
	.compat_ioctl = cxlflash_ioctl,
#endif
	.queuecommand = cxlflash_queuecommand,
	.eh_abort_handler = cxlflash_eh_abort,
	.eh_device_reset_handler = cxlflash_eh_device_reset,
	.eh_host_reset_handler = cxlflash_eh_host_reset,
	.slave_destroy = cxlflash_slave_destroy,
	.change_queue_depth = cxlflash_change_queue_depth,
	.can_queue = CXLFLASH_MAX_CMDS,
	.cmd_per_lun = CXLFLASH_MAX_CMDS,
	.cmd_size = CXLFLASH_CMD_PRIV_SIZE,
	.this_id = -1,
	.sg_tablesize = 1,
	.max_sectors = CXLFLASH_MAX_XFER / SECTOR_SIZE,
	.shost_groups = cxlflash_host_groups,
	.sdev_groups = cxlflash_sdev_groups,
};

/* ---------------------------------------------------------------------- */
/* Binding                                                                */
/* ---------------------------------------------------------------------- */

static void cfg_init(struct cxlflash_cfg *cfg, struct Scsi_Host *host,
		     struct cxlflash_aux_dev *adev)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->host = host;
	cfg->adev = adev;
	cfg->ops = adev->ops;
	cfg->dev = &adev->adev.dev;
	cfg->state = STATE_PROBING;

	INIT_WORK(&cfg->event_work, cxlflash_event_work);
	init_waitqueue_head(&cfg->reset_waitq);
	spin_lock_init(&cfg->tmf_lock);
	init_waitqueue_head(&cfg->tmf_waitq);
	init_waitqueue_head(&cfg->ctx_waitq);

	init_rwsem(&cfg->ioctl_rwsem);
	mutex_init(&cfg->ctx_recovery_mutex);
	mutex_init(&cfg->ctx_tbl_list_mutex);
	mutex_init(&cfg->lun_mode_mutex);
	INIT_LIST_HEAD(&cfg->ctx_err_recovery);
	ida_init(&cfg->lun_slots);
	INIT_LIST_HEAD(&cfg->lluns);
}

/* Undo cfg_init and what probe added to it, except the host itself. */
static void cfg_release(struct cxlflash_cfg *cfg)
{
	cancel_work_sync(&cfg->event_work);
	cxlflash_afu_free(cfg);
	ida_destroy(&cfg->lun_slots);
	ida_free(&cxlflash_ida, cfg->index);
}

static void cxlflash_remove(struct auxiliary_device *auxdev);

static int cxlflash_probe(struct auxiliary_device *auxdev,
			  const struct auxiliary_device_id *id)
{
	struct cxlflash_aux_dev *adev = to_cxlflash_aux_dev(auxdev);
	struct device *dev = &auxdev->dev;
	struct cxlflash_cfg *cfg;
	struct Scsi_Host *host;
	int rc;

	if (!adev->ops) {
		dev_err(dev, "AFU provider gave no backend ops\n");
		return -EINVAL;
	}
	/*
	 * Hold the provider while bound: unloading it under open disks is
	 * refused instead of becoming a surprise removal (its own
	 * configuration interface can still remove an adapter).
	 */
	if (!try_module_get(adev->ops->module))
		return -ENODEV;

	host = scsi_host_alloc(&driver_template, sizeof(*cfg));
	if (!host) {
		rc = -ENOMEM;
		goto err_module;
	}
	host->max_id = 1;		/* one target per port */
	host->max_lun = 65536;
	host->max_cmd_len = 16;
	host->max_channel = CXLFLASH_NUM_FC_PORTS_PER_BANK - 1;
	host->unique_id = host->host_no;
	/*
	 * One blk-mq hardware context per CPU, all served by the AFU's
	 * queues (steer()).  A hardware context with a single software queue
	 * lets blk-mq complete a request right where scsi_done() is called,
	 * instead of raising the BLOCK softirq for it (outside an interrupt,
	 * a wake-up of ksoftirqd and two context switches per command); and
	 * with per-context tags the disks default to no I/O scheduler, so an
	 * unplugged request is issued by its submitter instead of by a
	 * kblockd worker.  More commands than a ring holds come back busy
	 * from cxlflash_post() and the midlayer offers them again.  Each
	 * context preallocates can_queue requests, hence the cap.
	 */
	host->nr_hw_queues = min_t(unsigned int, num_possible_cpus(),
				   CXLFLASH_MAX_BLK_HWQS);

	cfg = shost_to_cfg(host);
	cfg_init(cfg, host, adev);

	rc = ida_alloc(&cxlflash_ida, GFP_KERNEL);
	if (rc < 0)
		goto err_host;
	cfg->index = rc;

	rc = cxlflash_afu_alloc(cfg);
	if (rc)
		goto err_cfg;

	dev_set_drvdata(dev, cfg);
	rc = cxlflash_afu_start(cfg);
	if (rc) {
		dev_err(dev, "AFU initialisation failed: %d\n", rc);
		goto err_drvdata;
	}
	WRITE_ONCE(cfg->state, STATE_NORMAL);

	rc = scsi_add_host(host, dev);
	if (rc) {
		dev_err(dev, "scsi_add_host failed: %d\n", rc);
		WRITE_ONCE(cfg->state, STATE_FAILTERM);
		cxlflash_afu_stop(cfg);
		goto err_drvdata;
	}
	cfg->scsi_added = true;

	cfg->debugfs = cxlflash_debugfs_add(cfg);
	scsi_scan_host(host);

	rc = cxlflash_hostdev_add(cfg);
	if (rc) {
		dev_err(dev, "host device not created: %d\n", rc);
		/* the remove path undoes everything from here */
		cxlflash_remove(auxdev);
		return rc;
	}
	dev_info(dev, "adapter %d bound, scsi host%u\n", cfg->index,
		 host->host_no);
	return 0;

err_drvdata:
	dev_set_drvdata(dev, NULL);
err_cfg:
	cfg_release(cfg);
	goto err_host_only;
err_host:
	ida_destroy(&cfg->lun_slots);
err_host_only:
	scsi_host_put(host);
err_module:
	module_put(adev->ops->module);
	return rc;
}

static void cxlflash_remove(struct auxiliary_device *auxdev)
{
	struct cxlflash_aux_dev *adev = to_cxlflash_aux_dev(auxdev);
	struct cxlflash_cfg *cfg = dev_get_drvdata(&auxdev->dev);

	if (!cfg)
		return;

	/* host ioctls end first: they add and remove SCSI devices */
	cxlflash_hostdev_remove(cfg);
	/* no reset or LUN reset runs or starts from here on */
	cxlflash_retire(cfg);
	cxlflash_stop_term_user_contexts(cfg);

	if (cfg->scsi_added) {
		scsi_remove_host(cfg->host);
		cxlflash_term_local_luns(cfg);
	}
	cancel_work_sync(&cfg->event_work);
	cxlflash_afu_stop(cfg);

	debugfs_remove_recursive(cfg->debugfs);
	cfg_release(cfg);
	dev_set_drvdata(&auxdev->dev, NULL);
	dev_info(&adev->adev.dev, "removed\n");
	scsi_host_put(cfg->host);
	module_put(adev->ops->module);
}

static const struct auxiliary_device_id cxlflash_id_table[] = {
	{ .name = "cxlflash_sim." CXLFLASH_AUX_DEV_NAME },
	{ }
};
MODULE_DEVICE_TABLE(auxiliary, cxlflash_id_table);

static struct auxiliary_driver cxlflash_driver = {
	.probe = cxlflash_probe,
	.remove = cxlflash_remove,
	.id_table = cxlflash_id_table,
};

static int __init cxlflash_init(void)
{
	int rc;

	cxlflash_list_init();
	rc = cxlflash_alloc_errpage();
	if (rc)
		return rc;

	rc = cxlflash_hostdev_init();
	if (rc)
		goto err_errpage;
	cxlflash_debugfs_init();
	rc = auxiliary_driver_register(&cxlflash_driver);
	if (rc)
		goto err_debugfs;
	return 0;

err_debugfs:
	cxlflash_debugfs_exit();
	cxlflash_hostdev_exit();
err_errpage:
	cxlflash_free_errpage();
	return rc;
}

static void __exit cxlflash_exit(void)
{
	auxiliary_driver_unregister(&cxlflash_driver);
	cxlflash_hostdev_exit();
	cxlflash_term_global_luns();
	cxlflash_free_errpage();
	cxlflash_debugfs_exit();
	ida_destroy(&cxlflash_ida);
}

module_init(cxlflash_init);
module_exit(cxlflash_exit);
