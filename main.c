// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: SCSI low-level driver for the IBM CXL Flash adapter.
 *
 * This file brings an AFU up through its master context(s), runs the
 * legacy SCSI path (queuecommand, completion from the response queue,
 * error handling), handles asynchronous AFU/FC events and publishes the
 * adapter's sysfs attributes.  User contexts (the superpipe) are in
 * superpipe.c, virtual LUNs in vlun.c, LUN bookkeeping in lunmgt.c.
 *
 * The driver binds to AFUs published on the auxiliary bus; backend.h is
 * its only view of how an AFU is reached.
 */

#include <linux/auxiliary_bus.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/unaligned.h>

#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_tcq.h>

#include "main.h"
#include "sislite.h"
#include "common.h"
#include "superpipe.h"

MODULE_DESCRIPTION("IBM CXL Flash adapter SCSI driver");
MODULE_AUTHOR("cxlflash developers");
MODULE_LICENSE("GPL");

static DEFINE_IDA(cxlflash_ida);

static int init_afu(struct cxlflash_cfg *cfg);
static void term_afu(struct cxlflash_cfg *cfg);
static int afu_reset(struct cxlflash_cfg *cfg);

/* ---------------------------------------------------------------------- */
/* Command helpers                                                        */
/* ---------------------------------------------------------------------- */

static struct afu_cmd *sc_to_afuc(struct scsi_cmnd *sc)
{
	return PTR_ALIGN(scsi_cmd_priv(sc), __alignof__(struct afu_cmd));
}

static struct afu_cmd *sc_to_afuci(struct scsi_cmnd *sc)
{
	struct afu_cmd *afuc = sc_to_afuc(sc);

	INIT_LIST_HEAD(&afuc->queue);
	return afuc;
}

static struct afu_cmd *sc_to_afucz(struct scsi_cmnd *sc)
{
	struct afu_cmd *afuc = sc_to_afuc(sc);

	memset(afuc, 0, sizeof(*afuc));
	return sc_to_afuci(sc);
}

static void kick_hwq(struct afu *afu, struct hwq *hwq)
{
	const struct cxlflash_backend_ops *ops = afu->parent->ops;

	if (ops->kick)
		ops->kick(hwq->ctx_cookie);
}

/*
 * Translate the IOASA of a failed SCSI command into a midlayer result.
 * Later rules override earlier ones, so the most specific cause wins.
 */
static void process_cmd_err(struct afu_cmd *cmd, struct scsi_cmnd *scp)
{
	struct sisl_ioarcb *ioarcb = &cmd->rcb;
	struct sisl_ioasa *ioasa = &cmd->sa;
	u32 resid;

	if (ioasa->rc.flags & SISL_RC_FLAGS_UNDERRUN) {
		resid = ioasa->resid;
		scsi_set_resid(scp, resid);
	}

	if (ioasa->rc.flags & SISL_RC_FLAGS_OVERRUN) {
		scsi_set_resid(scp, ioasa->resid);
		set_host_byte(scp, DID_ERROR);
	}

	if (ioasa->rc.scsi_rc) {
		if (ioasa->rc.flags & SISL_RC_FLAGS_SENSE_VALID) {
			memcpy(scp->sense_buffer, ioasa->sense_data,
			       min_t(size_t, SISL_SENSE_DATA_LEN,
				     SCSI_SENSE_BUFFERSIZE));
			scp->result = ioasa->rc.scsi_rc;
		} else {
			scp->result = ioasa->rc.scsi_rc;
			set_host_byte(scp, DID_ERROR);
		}
	}

	if (ioasa->rc.fc_rc) {
		switch (ioasa->rc.fc_rc) {
		case SISL_FC_RC_LINKDOWN:
			set_host_byte(scp, DID_REQUEUE);
			break;
		case SISL_FC_RC_RESID:
			if (!(ioasa->rc.flags & SISL_RC_FLAGS_OVERRUN))
				set_host_byte(scp, DID_ERROR);
			break;
		default:
			set_host_byte(scp, DID_ERROR);
			break;
		}
	}

	if (ioasa->rc.afu_rc) {
		switch (ioasa->rc.afu_rc) {
		case SISL_AFU_RC_NO_CHANNELS:
			set_host_byte(scp, DID_NO_CONNECT);
			break;
		case SISL_AFU_RC_DATA_DMA_ERR:
			if (ioasa->afu_extra == SISL_AFU_EXTRA_PAGE_IN)
				set_host_byte(scp, DID_IMM_RETRY);
			else
				set_host_byte(scp, DID_ERROR);
			break;
		default:
			set_host_byte(scp, DID_ERROR);
			break;
		}
	}

	dev_dbg(&scp->device->sdev_gendev,
		"cmd failed flags=%02x afu_rc=%02x scsi_rc=%02x fc_rc=%02x op=%02x result=%08x\n",
		ioasa->rc.flags, ioasa->rc.afu_rc, ioasa->rc.scsi_rc,
		ioasa->rc.fc_rc, ioarcb->cdb[0], scp->result);
}

/* Complete a command taken off the response queue or flushed. */
static void cmd_complete(struct afu_cmd *cmd)
{
	struct scsi_cmnd *scp;
	struct afu *afu = cmd->parent;
	struct cxlflash_cfg *cfg = afu->parent;
	struct hwq *hwq = get_hwq(afu, cmd->hwq_index);
	unsigned long lock_flags;

	spin_lock_irqsave(&hwq->hsq_slock, lock_flags);
	list_del_init(&cmd->list);
	spin_unlock_irqrestore(&hwq->hsq_slock, lock_flags);

	if (cmd->scp) {
		scp = cmd->scp;
		if (unlikely(cmd->sa.ioasc))
			process_cmd_err(cmd, scp);
		else
			scp->result = (DID_OK << 16);
		scsi_done(scp);
		return;
	}

	if (cmd->cmd_tmf) {
		spin_lock_irqsave(&cfg->tmf_slock, lock_flags);
		cfg->tmf_active = false;
		wake_up_all_locked(&cfg->tmf_waitq);
		spin_unlock_irqrestore(&cfg->tmf_slock, lock_flags);
	} else {
		complete(&cmd->cevent);
	}
}

/*
 * Complete every command still pending on @hwq: SCSI commands are sent
 * back for an immediate retry, internal ones are marked aborted.
 * Called with hsq_slock held, after the AFU dropped the context's commands.
 */
static void flush_pending_cmds(struct hwq *hwq)
{
	struct cxlflash_cfg *cfg = hwq->afu->parent;
	struct afu_cmd *cmd, *tmp;
	struct scsi_cmnd *scp;
	unsigned long lock_flags;

	list_for_each_entry_safe(cmd, tmp, &hwq->pending_cmds, list) {
		/* already harvested from the RRQ, completes on its own */
		if (!list_empty(&cmd->queue))
			continue;

		list_del_init(&cmd->list);
		if (cmd->scp) {
			scp = cmd->scp;
			scp->result = (DID_IMM_RETRY << 16);
			scsi_done(scp);
		} else {
			cmd->cmd_aborted = true;
			if (cmd->cmd_tmf) {
				spin_lock_irqsave(&cfg->tmf_slock, lock_flags);
				cfg->tmf_active = false;
				wake_up_all_locked(&cfg->tmf_waitq);
				spin_unlock_irqrestore(&cfg->tmf_slock,
						       lock_flags);
			} else {
				complete(&cmd->cevent);
			}
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Submission                                                             */
/* ---------------------------------------------------------------------- */

/*
 * IOARRIN mode.  The room register says how many stores the AFU can take;
 * a cached count avoids an MMIO read per command and is refreshed only
 * when it runs out.  Writing without room is a fatal context error, so
 * when the AFU reports none the command goes back to the midlayer.
 */
static int send_cmd_ioarrin(struct afu *afu, struct afu_cmd *cmd)
{
	struct hwq *hwq = get_hwq(afu, cmd->hwq_index);
	unsigned long lock_flags;
	int rc = 0;
	s64 room;

	spin_lock_irqsave(&hwq->hsq_slock, lock_flags);
	if (unlikely(!hwq->hrrq_online)) {
		rc = SCSI_MLQUEUE_HOST_BUSY;
		goto out;
	}
	/*
	 * An AFU that cannot see the store (the emulated one polls) only
	 * lowers cmd_room when it consumes the entry: the mailbox counts as
	 * full while IOARRIN still holds an address.
	 */
	if (cxl_readq(&hwq->host_map->ioarrin)) {
		rc = SCSI_MLQUEUE_HOST_BUSY;
		goto out;
	}
	if (--hwq->room < 0) {
		room = cxl_readq(&hwq->host_map->cmd_room);
		if (room <= 0 || room == -1) {
			hwq->room = 0;
			rc = SCSI_MLQUEUE_HOST_BUSY;
			goto out;
		}
		hwq->room = room - 1;
	}

	list_add(&cmd->list, &hwq->pending_cmds);
	cxl_writeq((u64)(uintptr_t)&cmd->rcb, &hwq->host_map->ioarrin);
out:
	spin_unlock_irqrestore(&hwq->hsq_slock, lock_flags);
	if (!rc)
		kick_hwq(afu, hwq);
	return rc;
}

/*
 * SQ mode: copy the IOARCB into the ring and advance the tail.  Credits
 * (ring entries minus one) keep the ring from overflowing; one is
 * returned per response queue entry consumed.
 */
static int send_cmd_sq(struct afu *afu, struct afu_cmd *cmd)
{
	struct hwq *hwq = get_hwq(afu, cmd->hwq_index);
	unsigned long lock_flags;
	int rc = 0;

	if (atomic_dec_if_positive(&hwq->hsq_credits) < 0)
		return SCSI_MLQUEUE_HOST_BUSY;

	cmd->rcb.ioasa_ea = (u64)(uintptr_t)&cmd->sa;

	spin_lock_irqsave(&hwq->hsq_slock, lock_flags);
	if (unlikely(!hwq->hrrq_online)) {
		spin_unlock_irqrestore(&hwq->hsq_slock, lock_flags);
		atomic_inc(&hwq->hsq_credits);
		return SCSI_MLQUEUE_HOST_BUSY;
	}

	*hwq->hsq_curr = cmd->rcb;
	if (hwq->hsq_curr < hwq->hsq_end)
		hwq->hsq_curr++;
	else
		hwq->hsq_curr = hwq->hsq_start;

	list_add(&cmd->list, &hwq->pending_cmds);
	/* the ring slot must be visible before the tail moves */
	wmb();
	cxl_writeq((u64)(uintptr_t)hwq->hsq_curr, &hwq->host_map->sq_tail);
	spin_unlock_irqrestore(&hwq->hsq_slock, lock_flags);

	kick_hwq(afu, hwq);
	return rc;
}

static u32 cmd_to_target_hwq(struct Scsi_Host *host, struct scsi_cmnd *scp,
			     struct afu *afu)
{
	u32 hwq = 0;

	if (afu->num_hwqs == 1)
		return 0;

	switch (afu->hwq_mode) {
	case HWQ_MODE_RR:
		hwq = (u32)atomic_inc_return(&afu->hwq_rr_count) % afu->num_hwqs;
		break;
	case HWQ_MODE_TAG:
		hwq = blk_mq_unique_tag(scsi_cmd_to_rq(scp)) % afu->num_hwqs;
		break;
	case HWQ_MODE_CPU:
		hwq = raw_smp_processor_id() % afu->num_hwqs;
		break;
	default:
		break;
	}
	return hwq;
}

/*
 * Media access through the block layer while user contexts own the LUN
 * (superpipe with open resource handles) is refused: the block library
 * and the page cache must not both write the same blocks.  Pass-through
 * commands (the driver's own scrubbing, SG_IO from privileged tools) are
 * not fenced.
 */
static bool fenced_cmd(struct scsi_cmnd *scp)
{
	if (blk_rq_is_passthrough(scsi_cmd_to_rq(scp)))
		return false;

	switch (scp->cmnd[0]) {
	case READ_6:
	case READ_10:
	case READ_16:
	case WRITE_6:
	case WRITE_10:
	case WRITE_16:
	case WRITE_SAME:
	case WRITE_SAME_16:
	case UNMAP:
		return true;
	default:
		return false;
	}
}

static int cxlflash_queuecommand(struct Scsi_Host *host, struct scsi_cmnd *scp)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(host);
	struct afu *afu = cfg->afu;
	struct afu_cmd *cmd = sc_to_afucz(scp);
	struct scatterlist *sg = scsi_sglist(scp);
	u16 req_flags = SISL_REQ_FLAGS_SUP_UNDERRUN;
	int rc;

	/*
	 * While a LUN reset is active new commands wait.  A command that
	 * passes this check just before the TMF starts is harmless: the TMF
	 * covers it like any other outstanding command.
	 */
	if (unlikely(READ_ONCE(cfg->tmf_active)))
		return SCSI_MLQUEUE_HOST_BUSY;

	switch (READ_ONCE(cfg->state)) {
	case STATE_PROBING:
	case STATE_RESET:
		return SCSI_MLQUEUE_HOST_BUSY;
	case STATE_FAILTERM:
		scp->result = (DID_NO_CONNECT << 16);
		scsi_done(scp);
		return 0;
	default:
		break;
	}

	if (unlikely(cxlflash_lun_fenced(scp->device)) && fenced_cmd(scp)) {
		scp->result = (DID_NO_CONNECT << 16);
		scsi_done(scp);
		return 0;
	}

	atomic_inc(&afu->cmds_active);
	/* re-check: a reset may have started while we were counted out */
	if (unlikely(READ_ONCE(cfg->state) != STATE_NORMAL)) {
		rc = SCSI_MLQUEUE_HOST_BUSY;
		goto out;
	}

	if (likely(sg)) {
		cmd->rcb.data_len = sg->length;
		cmd->rcb.data_ea = (u64)(uintptr_t)sg_virt(sg);
	}

	cmd->scp = scp;
	cmd->parent = afu;
	cmd->hwq_index = cmd_to_target_hwq(host, scp, afu);

	cmd->rcb.ctx_id = get_hwq(afu, cmd->hwq_index)->ctx_hndl;
	cmd->rcb.msi = SISL_MSI_RRQ_UPDATED;
	cmd->rcb.port_sel = 1U << scp->device->channel;
	cmd->rcb.lun_id = lun_to_lunid(scp->device->lun);

	if (scp->sc_data_direction == DMA_TO_DEVICE)
		req_flags |= SISL_REQ_FLAGS_HOST_WRITE;

	cmd->rcb.req_flags = req_flags;
	memcpy(cmd->rcb.cdb, scp->cmnd, min_t(u16, scp->cmd_len,
					      sizeof(cmd->rcb.cdb)));

	rc = afu->send_cmd(afu, cmd);
out:
	atomic_dec(&afu->cmds_active);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Completion                                                             */
/* ---------------------------------------------------------------------- */

/*
 * Move valid response queue entries onto @doneq, at most @budget of them
 * (no limit when @budget is negative).  Called with hrrq_slock held.
 */
static int process_hrrq(struct hwq *hwq, struct list_head *doneq, int budget)
{
	struct afu *afu = hwq->afu;
	struct afu_cmd *cmd;
	struct sisl_ioasa *ioasa;
	struct sisl_ioarcb *ioarcb;
	bool toggle = hwq->toggle;
	int num_hrrq = 0;
	u64 entry;
	u64 *hrrq_start = hwq->hrrq_start,
	    *hrrq_end = hwq->hrrq_end,
	    *hrrq_curr = hwq->hrrq_curr;

	while (true) {
		entry = READ_ONCE(*hrrq_curr);
		if (!sisl_rrq_entry_valid(entry, toggle))
			break;
		/* the IOASA was written before the entry */
		rmb();

		entry = sisl_rrq_entry_addr(entry);
		if (afu_is_sq_cmd_mode(afu)) {
			ioasa = (struct sisl_ioasa *)(uintptr_t)entry;
			cmd = container_of(ioasa, struct afu_cmd, sa);
		} else {
			ioarcb = (struct sisl_ioarcb *)(uintptr_t)entry;
			cmd = container_of(ioarcb, struct afu_cmd, rcb);
		}

		list_add_tail(&cmd->queue, doneq);

		hrrq_curr = sisl_rrq_next(hrrq_curr, hrrq_start, hrrq_end, &toggle);

		atomic_inc(&hwq->hsq_credits);
		num_hrrq++;

		if (budget > 0 && num_hrrq >= budget)
			break;
	}

	hwq->hrrq_curr = hrrq_curr;
	hwq->toggle = toggle;
	return num_hrrq;
}

static void process_cmd_doneq(struct list_head *doneq)
{
	struct afu_cmd *cmd, *tmp;

	list_for_each_entry_safe(cmd, tmp, doneq, queue) {
		list_del_init(&cmd->queue);
		cmd_complete(cmd);
	}
}

static int cxlflash_irqpoll(struct irq_poll *irqpoll, int budget)
{
	struct hwq *hwq = container_of(irqpoll, struct hwq, irqpoll);
	unsigned long hrrq_flags;
	LIST_HEAD(doneq);
	int num_entries;

	spin_lock_irqsave(&hwq->hrrq_slock, hrrq_flags);
	num_entries = process_hrrq(hwq, &doneq, budget);
	if (num_entries < budget)
		irq_poll_complete(irqpoll);
	spin_unlock_irqrestore(&hwq->hrrq_slock, hrrq_flags);

	process_cmd_doneq(&doneq);
	return num_entries;
}

static irqreturn_t cxlflash_rrq_irq(int irq, void *data)
{
	struct hwq *hwq = data;
	struct afu *afu = hwq->afu;
	unsigned long hrrq_flags;
	LIST_HEAD(doneq);
	int num_entries;

	spin_lock_irqsave(&hwq->hrrq_slock, hrrq_flags);
	if (!hwq->hrrq_online) {
		spin_unlock_irqrestore(&hwq->hrrq_slock, hrrq_flags);
		return IRQ_HANDLED;
	}

	if (afu->irqpoll_weight > 0) {
		irq_poll_sched(&hwq->irqpoll);
		spin_unlock_irqrestore(&hwq->hrrq_slock, hrrq_flags);
		return IRQ_HANDLED;
	}

	num_entries = process_hrrq(hwq, &doneq, -1);
	spin_unlock_irqrestore(&hwq->hrrq_slock, hrrq_flags);

	if (num_entries == 0)
		return IRQ_NONE;

	process_cmd_doneq(&doneq);
	return IRQ_HANDLED;
}

static irqreturn_t cxlflash_sync_err_irq(int irq, void *data)
{
	struct hwq *hwq = data;
	struct cxlflash_cfg *cfg = hwq->afu->parent;
	u64 reg, reg_unmasked;

	reg = cxl_readq(&hwq->host_map->intr_status);
	reg_unmasked = reg & SISL_ISTATUS_UNMASK;
	if (reg_unmasked == 0) {
		dev_err(cfg->dev, "spurious sync error interrupt, status=%016llx\n",
			reg);
		return IRQ_HANDLED;
	}

	dev_err(cfg->dev, "context %d sync error, status=%016llx\n",
		hwq->ctx_hndl, reg);
	cxl_writeq(reg_unmasked, &hwq->host_map->intr_clear);
	return IRQ_HANDLED;
}

static const struct asyc_intr_info ainfo[] = {
	{SISL_ASTATUS_FC0_OTHER, "other error", 0, CLR_FC_ERROR | LINK_RESET},
	{SISL_ASTATUS_FC0_LOGO, "target initiated LOGO", 0, 0},
	{SISL_ASTATUS_FC0_CRC_T, "CRC threshold exceeded", 0, LINK_RESET},
	{SISL_ASTATUS_FC0_LOGI_R, "login timed out, retrying", 0, LINK_RESET},
	{SISL_ASTATUS_FC0_LOGI_F, "login failed", 0, CLR_FC_ERROR},
	{SISL_ASTATUS_FC0_LOGI_S, "login succeeded", 0, SCAN_HOST},
	{SISL_ASTATUS_FC0_LINK_DN, "link down", 0, 0},
	{SISL_ASTATUS_FC0_LINK_UP, "link up", 0, 0},
	{SISL_ASTATUS_FC1_OTHER, "other error", 1, CLR_FC_ERROR | LINK_RESET},
	{SISL_ASTATUS_FC1_LOGO, "target initiated LOGO", 1, 0},
	{SISL_ASTATUS_FC1_CRC_T, "CRC threshold exceeded", 1, LINK_RESET},
	{SISL_ASTATUS_FC1_LOGI_R, "login timed out, retrying", 1, LINK_RESET},
	{SISL_ASTATUS_FC1_LOGI_F, "login failed", 1, CLR_FC_ERROR},
	{SISL_ASTATUS_FC1_LOGI_S, "login succeeded", 1, SCAN_HOST},
	{SISL_ASTATUS_FC1_LINK_DN, "link down", 1, 0},
	{SISL_ASTATUS_FC1_LINK_UP, "link up", 1, 0},
	{SISL_ASTATUS_FC0_OTHER << 16, "other error", 2, CLR_FC_ERROR | LINK_RESET},
	{SISL_ASTATUS_FC0_LOGO << 16, "target initiated LOGO", 2, 0},
	{SISL_ASTATUS_FC0_CRC_T << 16, "CRC threshold exceeded", 2, LINK_RESET},
	{SISL_ASTATUS_FC0_LOGI_R << 16, "login timed out, retrying", 2, LINK_RESET},
	{SISL_ASTATUS_FC0_LOGI_F << 16, "login failed", 2, CLR_FC_ERROR},
	{SISL_ASTATUS_FC0_LOGI_S << 16, "login succeeded", 2, SCAN_HOST},
	{SISL_ASTATUS_FC0_LINK_DN << 16, "link down", 2, 0},
	{SISL_ASTATUS_FC0_LINK_UP << 16, "link up", 2, 0},
	{SISL_ASTATUS_FC1_OTHER << 16, "other error", 3, CLR_FC_ERROR | LINK_RESET},
	{SISL_ASTATUS_FC1_LOGO << 16, "target initiated LOGO", 3, 0},
	{SISL_ASTATUS_FC1_CRC_T << 16, "CRC threshold exceeded", 3, LINK_RESET},
	{SISL_ASTATUS_FC1_LOGI_R << 16, "login timed out, retrying", 3, LINK_RESET},
	{SISL_ASTATUS_FC1_LOGI_F << 16, "login failed", 3, CLR_FC_ERROR},
	{SISL_ASTATUS_FC1_LOGI_S << 16, "login succeeded", 3, SCAN_HOST},
	{SISL_ASTATUS_FC1_LINK_DN << 16, "link down", 3, 0},
	{SISL_ASTATUS_FC1_LINK_UP << 16, "link up", 3, 0},
};

static __be64 __iomem *get_fc_port_regs(struct cxlflash_cfg *cfg, int i)
{
	struct afu *afu = cfg->afu;

	if (CHAN2PORTBANK(i) == 0)
		return afu->afu_map->global.fc_regs0[CHAN2BANKPORT(i)];
	return afu->afu_map->global.fc_regs1[CHAN2BANKPORT(i)];
}

static __be64 __iomem *get_fc_port_luns(struct cxlflash_cfg *cfg, int i)
{
	struct afu *afu = cfg->afu;

	if (CHAN2PORTBANK(i) == 0)
		return afu->afu_map->global.fc_port0[CHAN2BANKPORT(i)];
	return afu->afu_map->global.fc_port1[CHAN2BANKPORT(i)];
}

static irqreturn_t cxlflash_async_err_irq(int irq, void *data)
{
	struct hwq *hwq = data;
	struct afu *afu = hwq->afu;
	struct cxlflash_cfg *cfg = afu->parent;
	struct sisl_global_regs __iomem *global = &afu->afu_map->global.regs;
	const struct asyc_intr_info *info;
	__be64 __iomem *fc_port_regs;
	u64 reg, reg_unmasked;
	bool schedule = false;
	int i;

	reg = cxl_readq(&global->aintr_status);
	reg_unmasked = reg & SISL_ASTATUS_UNMASK;
	if (reg_unmasked == 0) {
		dev_err(cfg->dev, "spurious async interrupt, status=%016llx\n",
			reg);
		return IRQ_HANDLED;
	}

	/* clear first so that a new event is not lost */
	cxl_writeq(reg_unmasked, &global->aintr_clear);

	for (i = 0; i < ARRAY_SIZE(ainfo); i++) {
		info = &ainfo[i];
		if (!(reg_unmasked & info->status))
			continue;
		if (info->port >= cfg->num_fc_ports) {
			dev_dbg(cfg->dev, "event for absent port %d\n",
				info->port);
			continue;
		}

		fc_port_regs = get_fc_port_regs(cfg, info->port);
		dev_info(cfg->dev, "port %d: %s (fc status %016llx)\n",
			 info->port, info->desc,
			 cxl_readq(&fc_port_regs[FC_STATUS / 8]));

		if (info->action & LINK_RESET) {
			set_bit(info->port, &cfg->lr_ports);
			schedule = true;
		}

		if (info->action & CLR_FC_ERROR) {
			reg = cxl_readq(&fc_port_regs[FC_ERROR / 8]);
			cxl_writeq(reg, &fc_port_regs[FC_ERROR / 8]);
			cxl_writeq(0, &fc_port_regs[FC_ERRCAP / 8]);
		}

		if (info->action & SCAN_HOST) {
			atomic_inc(&cfg->scan_host_needed);
			schedule = true;
		}
	}

	if (schedule)
		schedule_work(&cfg->work_q);

	return IRQ_HANDLED;
}

/* ---------------------------------------------------------------------- */
/* Context reset and internal commands                                    */
/* ---------------------------------------------------------------------- */

/*
 * Reset one master context: the AFU drops every command of the context.
 * Responses already queued are harvested first, the rest of the pending
 * list is flushed.  Submissions are fenced (hrrq_online false) meanwhile.
 * May sleep.
 */
static int context_reset(struct hwq *hwq, __be64 __iomem *reset_reg)
{
	struct cxlflash_cfg *cfg = hwq->afu->parent;
	unsigned long deadline, lock_flags, hrrq_flags;
	LIST_HEAD(doneq);
	unsigned int delay_us = 1;
	u64 val;
	int rc = -ETIMEDOUT;

	spin_lock_irqsave(&hwq->hrrq_slock, hrrq_flags);
	spin_lock_irqsave(&hwq->hsq_slock, lock_flags);
	hwq->hrrq_online = false;
	cxl_writeq(1, reset_reg);
	spin_unlock_irqrestore(&hwq->hsq_slock, lock_flags);
	spin_unlock_irqrestore(&hwq->hrrq_slock, hrrq_flags);

	kick_hwq(hwq->afu, hwq);
	deadline = jiffies + msecs_to_jiffies(CXLFLASH_CTX_RESET_TIMEOUT_MS);
	do {
		val = cxl_readq(reset_reg);
		if (val == U64_MAX)
			break;
		if (!(val & 1)) {
			rc = 0;
			break;
		}
		usleep_range(delay_us, delay_us * 2);
		delay_us = min(delay_us * 2, 10000U);
	} while (time_before(jiffies, deadline));

	spin_lock_irqsave(&hwq->hrrq_slock, hrrq_flags);
	if (!rc) {
		/*
		 * Harvest what completed before the reset, then start the
		 * queues over as the AFU did: RRQ zeroed, consumer at the
		 * start with toggle 1, SQ tail back at the first slot.
		 */
		process_hrrq(hwq, &doneq, -1);
		memset(hwq->rrq_entry, 0, sizeof(hwq->rrq_entry));
		hwq->hrrq_curr = hwq->hrrq_start;
		hwq->toggle = 1;
		if (afu_is_sq_cmd_mode(hwq->afu)) {
			spin_lock(&hwq->hsq_slock);
			hwq->hsq_curr = hwq->hsq_start;
			cxl_writeq((u64)(uintptr_t)hwq->hsq_curr,
				   &hwq->host_map->sq_tail);
			spin_unlock(&hwq->hsq_slock);
		} else {
			hwq->room = cxl_readq(&hwq->host_map->cmd_room);
		}
		atomic_set(&hwq->hsq_credits, NUM_SQ_ENTRY - 1);
	}
	spin_unlock_irqrestore(&hwq->hrrq_slock, hrrq_flags);

	/* complete what the AFU finished before the reset */
	process_cmd_doneq(&doneq);

	if (!rc) {
		spin_lock_irqsave(&hwq->hsq_slock, lock_flags);
		flush_pending_cmds(hwq);
		hwq->hrrq_online = true;
		spin_unlock_irqrestore(&hwq->hsq_slock, lock_flags);
	} else {
		dev_err(cfg->dev, "context %d reset timed out\n", hwq->ctx_hndl);
	}
	return rc;
}

static int context_reset_ioarrin(struct hwq *hwq)
{
	return context_reset(hwq, &hwq->host_map->ioarrin);
}

static int context_reset_sq(struct hwq *hwq)
{
	return context_reset(hwq, &hwq->host_map->sq_ctx_reset);
}

/*
 * Send an AFU command on the primary queue and wait for it.  One internal
 * command runs at a time (sync_active).  A command that times out gets
 * its context reset and is retried once; a failed reset schedules an
 * adapter reset.  If @ioasa is given the final IOASA is copied there.
 */
static int send_afu_cmd(struct afu *afu, struct sisl_ioarcb *rcb,
			struct sisl_ioasa *ioasa)
{
	struct cxlflash_cfg *cfg = afu->parent;
	struct hwq *hwq = get_hwq(afu, PRIMARY_HWQ);
	unsigned long to;
	struct afu_cmd *cmd;
	int nretry = 0;
	int rc = 0;

	if (READ_ONCE(cfg->state) != STATE_NORMAL) {
		dev_dbg(cfg->dev, "AFU command skipped, adapter not ready\n");
		return 0;
	}

	mutex_lock(&afu->sync_active);
	atomic_inc(&afu->cmds_active);

	/* preallocated: an AFU sync must not fail for want of memory */
	cmd = afu->sync_cmd;

retry:
	memset(cmd, 0, sizeof(*cmd));
	INIT_LIST_HEAD(&cmd->queue);
	INIT_LIST_HEAD(&cmd->list);
	memcpy(&cmd->rcb, rcb, sizeof(*rcb));
	cmd->rcb.ctx_id = hwq->ctx_hndl;
	cmd->rcb.msi = SISL_MSI_RRQ_UPDATED;
	cmd->parent = afu;
	cmd->hwq_index = hwq->index;
	init_completion(&cmd->cevent);

	rc = afu->send_cmd(afu, cmd);
	if (unlikely(rc)) {
		rc = -ENOBUFS;
		goto out;
	}

	to = msecs_to_jiffies(2 * rcb->timeout * 1000);
	if (!wait_for_completion_timeout(&cmd->cevent, to)) {
		dev_err(cfg->dev, "AFU command %02x timed out\n", rcb->cdb[0]);
		rc = afu->context_reset(hwq);
		if (rc) {
			/* the command may still be listed: unlink it */
			unsigned long lock_flags;

			spin_lock_irqsave(&hwq->hsq_slock, lock_flags);
			list_del_init(&cmd->list);
			spin_unlock_irqrestore(&hwq->hsq_slock, lock_flags);
			cxlflash_schedule_async_reset(cfg);
			rc = -ETIMEDOUT;
			goto out;
		}
		/* the reset flushed it */
		wait_for_completion(&cmd->cevent);
	}

	if (cmd->cmd_aborted) {
		if (nretry++ < 1)
			goto retry;
		rc = -EIO;
		goto out;
	}

	if (ioasa)
		*ioasa = cmd->sa;

	if (cmd->sa.ioasc) {
		dev_err(cfg->dev, "AFU command %02x failed ioasc=%08x\n",
			rcb->cdb[0], cmd->sa.ioasc);
		rc = -EIO;
	}
out:
	atomic_dec(&afu->cmds_active);
	mutex_unlock(&afu->sync_active);
	return rc;
}

/**
 * cxlflash_afu_sync() - make the AFU observe translation changes
 * @afu: AFU.
 * @ctx: context whose tables changed.
 * @res: resource handle (lightweight sync).
 * @mode: SISL_AFU_SYNC_LW, _HW or _GLOBAL.
 *
 * Return: 0 or a negative errno.
 */
int cxlflash_afu_sync(struct afu *afu, ctx_hndl_t ctx, res_hndl_t res, u8 mode)
{
	struct sisl_ioarcb rcb = { 0 };

	rcb.req_flags = SISL_REQ_FLAGS_AFU_CMD;
	rcb.timeout = MC_AFU_SYNC_TIMEOUT;
	rcb.cdb[0] = SISL_AFU_CMD_SYNC;
	rcb.cdb[1] = mode;
	put_unaligned_be16(ctx, &rcb.cdb[2]);
	put_unaligned_be32(res, &rcb.cdb[4]);

	return send_afu_cmd(afu, &rcb, NULL);
}

/**
 * cxlflash_afu_tmf() - send a task management function for a LUN
 * @cfg: adapter.
 * @sdev: target LUN.
 * @code: SISL_TMF_LUN_RESET or SISL_TMF_CLEAR_ACA.
 *
 * Only one TMF is active at a time; new SCSI commands are bounced with
 * host-busy while it is.
 *
 * Return: 0, -ETIMEDOUT, -EAGAIN (aborted), -EIO or -ENOMEM.
 */
int cxlflash_afu_tmf(struct cxlflash_cfg *cfg, struct scsi_device *sdev,
		     u64 code)
{
	struct afu *afu = cfg->afu;
	struct hwq *hwq = get_hwq(afu, PRIMARY_HWQ);
	unsigned long lock_flags;
	struct afu_cmd *cmd;
	long to;
	int rc;

	cmd = kzalloc(sizeof(*cmd), GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	INIT_LIST_HEAD(&cmd->queue);
	INIT_LIST_HEAD(&cmd->list);

	spin_lock_irq(&cfg->tmf_slock);
	rc = wait_event_interruptible_lock_irq(cfg->tmf_waitq, !cfg->tmf_active,
					       cfg->tmf_slock);
	if (rc) {
		spin_unlock_irq(&cfg->tmf_slock);
		kfree(cmd);
		return rc;
	}
	cfg->tmf_active = true;
	spin_unlock_irq(&cfg->tmf_slock);

	atomic_inc(&afu->cmds_active);
	cmd->parent = afu;
	cmd->cmd_tmf = true;
	cmd->hwq_index = hwq->index;
	cmd->rcb.ctx_id = hwq->ctx_hndl;
	cmd->rcb.msi = SISL_MSI_RRQ_UPDATED;
	cmd->rcb.port_sel = 1U << sdev->channel;
	cmd->rcb.lun_id = lun_to_lunid(sdev->lun);
	cmd->rcb.req_flags = SISL_REQ_FLAGS_PORT_LUN_ID |
			     SISL_REQ_FLAGS_SUP_UNDERRUN |
			     SISL_REQ_FLAGS_TMF_CMD;
	/* the TMF code travels as a host-endian u64 in cdb[0..7] */
	memcpy(cmd->rcb.cdb, &code, sizeof(code));

	rc = afu->send_cmd(afu, cmd);
	if (unlikely(rc)) {
		spin_lock_irqsave(&cfg->tmf_slock, lock_flags);
		cfg->tmf_active = false;
		wake_up_all_locked(&cfg->tmf_waitq);
		spin_unlock_irqrestore(&cfg->tmf_slock, lock_flags);
		rc = -EBUSY;
		goto out;
	}

	spin_lock_irq(&cfg->tmf_slock);
	to = msecs_to_jiffies(CXLFLASH_TMF_TIMEOUT_MS);
	to = wait_event_lock_irq_timeout(cfg->tmf_waitq, !cfg->tmf_active,
					 cfg->tmf_slock, to);
	spin_unlock_irq(&cfg->tmf_slock);
	if (!to) {
		dev_err(cfg->dev, "TMF timed out\n");
		/*
		 * Make the AFU drop the TMF before its buffer goes away: a
		 * successful context reset flushes it, a failed one leaves
		 * the response queue offline until the adapter reset.
		 */
		if (afu->context_reset(hwq)) {
			spin_lock_irqsave(&hwq->hsq_slock, lock_flags);
			list_del_init(&cmd->list);
			spin_unlock_irqrestore(&hwq->hsq_slock, lock_flags);
			cxlflash_schedule_async_reset(cfg);
		}
		spin_lock_irq(&cfg->tmf_slock);
		cfg->tmf_active = false;
		wake_up_all_locked(&cfg->tmf_waitq);
		spin_unlock_irq(&cfg->tmf_slock);
		rc = -ETIMEDOUT;
		goto out;
	}

	if (cmd->cmd_aborted)
		rc = -EAGAIN;
	else if (cmd->sa.ioasc)
		rc = -EIO;
out:
	atomic_dec(&afu->cmds_active);
	kfree(cmd);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Error handling                                                         */
/* ---------------------------------------------------------------------- */

static int cxlflash_eh_abort_handler(struct scsi_cmnd *scp)
{
	struct Scsi_Host *host = scp->device->host;
	struct cxlflash_cfg *cfg = shost_to_cfg(host);
	struct afu_cmd *cmd = sc_to_afuc(scp);
	struct afu *afu = cfg->afu;
	struct hwq *hwq;
	int rc = FAILED;

	dev_info(cfg->dev, "abort: op=%02x tag=%d\n", scp->cmnd[0],
		 scsi_cmd_to_rq(scp)->tag);

	if (READ_ONCE(cfg->state) != STATE_NORMAL)
		return FAILED;

	/* no single-command abort: reset the command's context */
	hwq = get_hwq(afu, cmd->hwq_index < afu->num_hwqs ? cmd->hwq_index : 0);
	if (!afu->context_reset(hwq))
		rc = SUCCESS;
	return rc;
}

static int cxlflash_eh_device_reset_handler(struct scsi_cmnd *scp)
{
	struct scsi_device *sdev = scp->device;
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	int rcr;

	dev_info(cfg->dev, "device reset %d:%d:%llu\n", sdev->channel, sdev->id,
		 sdev->lun);
retry:
	switch (READ_ONCE(cfg->state)) {
	case STATE_NORMAL:
		rcr = cxlflash_afu_tmf(cfg, sdev, SISL_TMF_LUN_RESET);
		return rcr ? FAILED : SUCCESS;
	case STATE_RESET:
		wait_event(cfg->reset_waitq, cfg->state != STATE_RESET);
		goto retry;
	default:
		return FAILED;
	}
}

/*
 * Full adapter reset: fence I/O and ioctls, move user contexts to the
 * error list (their mappings read all-ones until they recover), tear the
 * AFU down and bring it back.  Caller has set STATE_RESET.
 */
static int cxlflash_do_reset(struct cxlflash_cfg *cfg)
{
	int rc;

	/* wait for ioctls in progress to drain */
	down_write(&cfg->ioctl_rwsem);
	up_write(&cfg->ioctl_rwsem);

	cxlflash_mark_contexts_error(cfg);
	rc = afu_reset(cfg);
	WRITE_ONCE(cfg->state, rc ? STATE_FAILTERM : STATE_NORMAL);
	wake_up_all(&cfg->reset_waitq);
	return rc;
}

static int cxlflash_eh_host_reset_handler(struct scsi_cmnd *scp)
{
	struct Scsi_Host *host = scp->device->host;
	struct cxlflash_cfg *cfg = shost_to_cfg(host);
	int rc = SUCCESS;

	dev_info(cfg->dev, "host reset\n");

	switch (READ_ONCE(cfg->state)) {
	case STATE_NORMAL:
		WRITE_ONCE(cfg->state, STATE_RESET);
		if (cxlflash_do_reset(cfg))
			rc = FAILED;
		break;
	case STATE_RESET:
		wait_event(cfg->reset_waitq, cfg->state != STATE_RESET);
		if (cfg->state != STATE_NORMAL)
			rc = FAILED;
		break;
	default:
		rc = FAILED;
		break;
	}
	return rc;
}

static void cxlflash_async_reset_host(void *data, async_cookie_t cookie)
{
	struct cxlflash_cfg *cfg = data;

	if (READ_ONCE(cfg->state) != STATE_RESET) {
		dev_dbg(cfg->dev, "async reset no longer needed\n");
		goto out;
	}
	dev_info(cfg->dev, "asynchronous adapter reset\n");
	cxlflash_do_reset(cfg);
out:
	scsi_unblock_requests(cfg->host);
}

/**
 * cxlflash_schedule_async_reset() - reset the adapter in the background
 * @cfg: adapter.
 *
 * Used when an internal command hung and its context could not be reset.
 * Only from STATE_NORMAL; SCSI requests are blocked until it finishes.
 */
void cxlflash_schedule_async_reset(struct cxlflash_cfg *cfg)
{
	if (READ_ONCE(cfg->state) != STATE_NORMAL)
		return;
	WRITE_ONCE(cfg->state, STATE_RESET);
	scsi_block_requests(cfg->host);
	cfg->async_reset_cookie = async_schedule(cxlflash_async_reset_host,
						 cfg);
}

/**
 * cxlflash_wait_for_reset() - wait until the adapter leaves STATE_RESET
 * @cfg: adapter.
 * @interruptible: a signal ends the wait.
 *
 * Return: 0 when NORMAL, -ENODEV when failed, -ERESTARTSYS on a signal.
 */
int cxlflash_wait_for_reset(struct cxlflash_cfg *cfg, bool interruptible)
{
	int rc = 0;

	if (interruptible)
		rc = wait_event_interruptible(cfg->reset_waitq,
					      cfg->state != STATE_RESET);
	else
		wait_event(cfg->reset_waitq, cfg->state != STATE_RESET);
	if (rc)
		return rc;
	return cfg->state == STATE_NORMAL ? 0 : -ENODEV;
}

/* ---------------------------------------------------------------------- */
/* FC ports                                                               */
/* ---------------------------------------------------------------------- */

static bool wait_port_state(struct cxlflash_cfg *cfg, __be64 __iomem *fc_regs,
			    u64 want)
{
	int retry = FC_PORT_STATUS_RETRY_CNT;
	u64 status;

	while (retry-- > 0) {
		status = cxl_readq(&fc_regs[FC_MTIP_STATUS / 8]);
		if (status == U64_MAX)
			retry /= 2;	/* dead MMIO: give up sooner */
		else if ((status & FC_MTIP_STATUS_MASK) == want)
			return true;
		usleep_range(FC_PORT_STATUS_RETRY_INTERVAL_US / 100,
			     FC_PORT_STATUS_RETRY_INTERVAL_US / 50);
	}
	return false;
}

static bool set_port_online(struct cxlflash_cfg *cfg, __be64 __iomem *fc_regs)
{
	u64 cmdcfg;

	cmdcfg = cxl_readq(&fc_regs[FC_MTIP_CMDCONFIG / 8]);
	cmdcfg &= ~FC_MTIP_CMDCONFIG_OFFLINE;
	cmdcfg |= FC_MTIP_CMDCONFIG_ONLINE;
	cxl_writeq(cmdcfg, &fc_regs[FC_MTIP_CMDCONFIG / 8]);
	return wait_port_state(cfg, fc_regs, FC_MTIP_STATUS_ONLINE);
}

static bool set_port_offline(struct cxlflash_cfg *cfg, __be64 __iomem *fc_regs)
{
	u64 cmdcfg;

	cmdcfg = cxl_readq(&fc_regs[FC_MTIP_CMDCONFIG / 8]);
	cmdcfg &= ~FC_MTIP_CMDCONFIG_ONLINE;
	cmdcfg |= FC_MTIP_CMDCONFIG_OFFLINE;
	cxl_writeq(cmdcfg, &fc_regs[FC_MTIP_CMDCONFIG / 8]);
	return wait_port_state(cfg, fc_regs, FC_MTIP_STATUS_OFFLINE);
}

static void afu_link_reset(struct cxlflash_cfg *cfg, int port)
{
	struct afu *afu = cfg->afu;
	struct sisl_global_regs __iomem *global = &afu->afu_map->global.regs;
	__be64 __iomem *fc_regs = get_fc_port_regs(cfg, port);
	u64 port_sel;

	port_sel = cxl_readq(&global->afu_port_sel);
	port_sel &= ~(1ULL << port);
	cxl_writeq(port_sel, &global->afu_port_sel);
	cxlflash_afu_sync(afu, 0, 0, SISL_AFU_SYNC_GLOBAL);

	if (!set_port_offline(cfg, fc_regs))
		dev_err(cfg->dev, "port %d did not go offline\n", port);
	if (!set_port_online(cfg, fc_regs))
		dev_err(cfg->dev, "port %d did not come online\n", port);

	port_sel |= (1ULL << port);
	cxl_writeq(port_sel, &global->afu_port_sel);
	cxlflash_afu_sync(afu, 0, 0, SISL_AFU_SYNC_GLOBAL);
	dev_info(cfg->dev, "port %d link reset done\n", port);
}

static void cxlflash_worker_thread(struct work_struct *work)
{
	struct cxlflash_cfg *cfg = container_of(work, struct cxlflash_cfg,
						work_q);
	int port;

	if (READ_ONCE(cfg->state) != STATE_NORMAL)
		return;

	for (port = 0; port < cfg->num_fc_ports; port++)
		if (test_and_clear_bit(port, &cfg->lr_ports))
			afu_link_reset(cfg, port);

	if (atomic_xchg(&cfg->scan_host_needed, 0))
		scsi_scan_host(cfg->host);
}

/* ---------------------------------------------------------------------- */
/* AFU bring-up and teardown                                              */
/* ---------------------------------------------------------------------- */

static void free_hwq_irqs(struct cxlflash_cfg *cfg, struct hwq *hwq)
{
	const struct cxlflash_backend_ops *ops = cfg->ops;

	if (hwq->num_irqs >= 3)
		ops->unmap_afu_irq(hwq->ctx_cookie, 3, hwq);
	if (hwq->num_irqs >= 2)
		ops->unmap_afu_irq(hwq->ctx_cookie, 2, hwq);
	if (hwq->num_irqs >= 1)
		ops->unmap_afu_irq(hwq->ctx_cookie, 1, hwq);
	if (hwq->num_irqs)
		ops->free_afu_irqs(hwq->ctx_cookie);
	hwq->num_irqs = 0;
}

static void term_mc(struct cxlflash_cfg *cfg, u32 index)
{
	const struct cxlflash_backend_ops *ops = cfg->ops;
	struct hwq *hwq = get_hwq(cfg->afu, index);
	unsigned long lock_flags;

	if (!hwq || !hwq->ctx_cookie)
		return;

	free_hwq_irqs(cfg, hwq);
	ops->stop_context(hwq->ctx_cookie);
	if (index != PRIMARY_HWQ)
		ops->release_context(hwq->ctx_cookie);
	hwq->ctx_cookie = NULL;

	spin_lock_irqsave(&hwq->hrrq_slock, lock_flags);
	hwq->hrrq_online = false;
	spin_unlock_irqrestore(&hwq->hrrq_slock, lock_flags);

	spin_lock_irqsave(&hwq->hsq_slock, lock_flags);
	flush_pending_cmds(hwq);
	spin_unlock_irqrestore(&hwq->hsq_slock, lock_flags);
}

static void stop_afu(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	struct hwq *hwq;
	u32 i;

	while (atomic_read(&afu->cmds_active))
		msleep(20);

	for (i = 0; i < afu->num_hwqs; i++) {
		hwq = get_hwq(afu, i);
		if (hwq && afu->irqpoll_weight > 0)
			irq_poll_disable(&hwq->irqpoll);
	}

	if (afu->afu_map) {
		cfg->ops->psa_unmap(afu->afu_map);
		afu->afu_map = NULL;
	}
}

/*
 * Interrupts go first (no handler may touch the PSA once it is unmapped),
 * then the PSA, then the master contexts.
 */
static void term_afu(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	struct hwq *hwq;
	int i;

	for (i = afu->num_hwqs - 1; i >= 0; i--) {
		hwq = get_hwq(afu, i);
		if (hwq && hwq->ctx_cookie)
			free_hwq_irqs(cfg, hwq);
	}

	stop_afu(cfg);

	for (i = afu->num_hwqs - 1; i >= 0; i--)
		term_mc(cfg, i);
}

static int init_mc(struct cxlflash_cfg *cfg, u32 index)
{
	const struct cxlflash_backend_ops *ops = cfg->ops;
	struct hwq *hwq = get_hwq(cfg->afu, index);
	struct device *dev = cfg->dev;
	int num_irqs = index == PRIMARY_HWQ ? 3 : 2;
	void *ctx;
	int rc;

	hwq->afu = cfg->afu;
	hwq->index = index;
	INIT_LIST_HEAD(&hwq->pending_cmds);

	if (index == PRIMARY_HWQ)
		ctx = ops->get_context(cfg->adev);
	else
		ctx = ops->dev_context_init(cfg->adev);
	if (IS_ERR_OR_NULL(ctx)) {
		rc = ctx ? PTR_ERR(ctx) : -ENOMEM;
		dev_err(dev, "cannot get master context %u: %d\n", index, rc);
		return rc;
	}

	ops->set_master(ctx);

	if (index == PRIMARY_HWQ) {
		rc = ops->afu_reset(ctx);
		if (rc) {
			dev_err(dev, "AFU reset failed: %d\n", rc);
			goto err_release;
		}
	}

	rc = ops->allocate_afu_irqs(ctx, num_irqs);
	if (rc) {
		dev_err(dev, "cannot allocate %d AFU interrupts: %d\n",
			num_irqs, rc);
		goto err_release;
	}

	rc = ops->map_afu_irq(ctx, SISL_MSI_SYNC_ERROR, cxlflash_sync_err_irq,
			      hwq, "SISL_MSI_SYNC_ERROR");
	if (rc)
		goto err_free_irqs;
	rc = ops->map_afu_irq(ctx, SISL_MSI_RRQ_UPDATED, cxlflash_rrq_irq,
			      hwq, "SISL_MSI_RRQ_UPDATED");
	if (rc)
		goto err_unmap1;
	if (num_irqs == 3) {
		rc = ops->map_afu_irq(ctx, SISL_MSI_ASYNC_ERROR,
				      cxlflash_async_err_irq, hwq,
				      "SISL_MSI_ASYNC_ERROR");
		if (rc)
			goto err_unmap2;
	}

	rc = ops->start_context(ctx);
	if (rc) {
		dev_err(dev, "cannot start master context: %d\n", rc);
		goto err_unmap3;
	}

	hwq->ctx_cookie = ctx;
	hwq->num_irqs = num_irqs;
	return 0;

err_unmap3:
	if (num_irqs == 3)
		ops->unmap_afu_irq(ctx, SISL_MSI_ASYNC_ERROR, hwq);
err_unmap2:
	ops->unmap_afu_irq(ctx, SISL_MSI_RRQ_UPDATED, hwq);
err_unmap1:
	ops->unmap_afu_irq(ctx, SISL_MSI_SYNC_ERROR, hwq);
err_free_irqs:
	ops->free_afu_irqs(ctx);
err_release:
	if (index != PRIMARY_HWQ)
		ops->release_context(ctx);
	return rc;
}

static void start_hwq(struct cxlflash_cfg *cfg, struct hwq *hwq)
{
	struct afu *afu = cfg->afu;
	int pe = cfg->ops->process_element(hwq->ctx_cookie);

	hwq->ctx_hndl = (ctx_hndl_t)pe;
	hwq->host_map = &afu->afu_map->hosts[pe].host;
	hwq->ctrl_map = &afu->afu_map->ctrls[pe].ctrl;

	cxl_writeq(SISL_ENDIAN_CTRL, &hwq->host_map->endian_ctrl);

	memset(hwq->rrq_entry, 0, sizeof(hwq->rrq_entry));
	hwq->hrrq_start = &hwq->rrq_entry[0];
	hwq->hrrq_end = &hwq->rrq_entry[NUM_RRQ_ENTRY - 1];
	hwq->hrrq_curr = hwq->hrrq_start;
	hwq->toggle = 1;
	spin_lock_init(&hwq->hrrq_slock);
	spin_lock_init(&hwq->hsq_slock);

	if (afu_is_sq_cmd_mode(afu)) {
		memset(hwq->sq, 0, sizeof(hwq->sq));
		hwq->hsq_start = &hwq->sq[0];
		hwq->hsq_end = &hwq->sq[NUM_SQ_ENTRY - 1];
		hwq->hsq_curr = hwq->hsq_start;
		atomic_set(&hwq->hsq_credits, NUM_SQ_ENTRY - 1);
	}

	if (afu->irqpoll_weight > 0)
		irq_poll_init(&hwq->irqpoll, afu->irqpoll_weight,
			      cxlflash_irqpoll);
}

static int init_global(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	struct sisl_global_regs __iomem *global = &afu->afu_map->global.regs;
	__be64 __iomem *fc_port_regs;
	struct hwq *hwq;
	u64 reg;
	u32 i;

	for (i = 0; i < afu->num_hwqs; i++) {
		hwq = get_hwq(afu, i);

		cxl_writeq((u64)(uintptr_t)hwq->hrrq_start,
			   &hwq->host_map->rrq_start);
		cxl_writeq((u64)(uintptr_t)hwq->hrrq_end,
			   &hwq->host_map->rrq_end);
		if (afu_is_sq_cmd_mode(afu)) {
			cxl_writeq((u64)(uintptr_t)hwq->hsq_start,
				   &hwq->host_map->sq_start);
			cxl_writeq((u64)(uintptr_t)hwq->hsq_end,
				   &hwq->host_map->sq_end);
		}
		hwq->hrrq_online = true;
	}

	reg = cxl_readq(&global->afu_config);
	reg |= SISL_AFUCONF_AR_ALL | SISL_AFUCONF_ENDIAN;
	cxl_writeq(reg, &global->afu_config);

	cxl_writeq(SISL_PORT_MASK(cfg->num_fc_ports), &global->afu_port_sel);

	for (i = 0; i < cfg->num_fc_ports; i++) {
		fc_port_regs = get_fc_port_regs(cfg, i);
		cxl_writeq(0, &fc_port_regs[FC_ERRMSK / 8]);
		(void)cxl_readq(&fc_port_regs[FC_CNT_CRCERR / 8]);
		cxl_writeq(MC_CRC_THRESH, &fc_port_regs[FC_CRC_THRESH / 8]);
	}

	/* master contexts may issue anything */
	for (i = 0; i < afu->num_hwqs; i++) {
		hwq = get_hwq(afu, i);
		(void)cxl_readq(&hwq->ctrl_map->mbox_r);
		cxl_writeq(SISL_CTX_CAP_REAL_MODE | SISL_CTX_CAP_HOST_XLATE |
			   SISL_CTX_CAP_READ_CMD | SISL_CTX_CAP_WRITE_CMD |
			   SISL_CTX_CAP_AFU_CMD | SISL_CTX_CAP_GSCSI_CMD,
			   &hwq->ctrl_map->ctx_cap);
	}

	hwq = get_hwq(afu, PRIMARY_HWQ);
	reg = cxl_readq(&hwq->host_map->ctx_ctrl);
	cfg->ws_unmap = !!(reg & SISL_CTX_CTRL_UNMAP_SECTOR);

	afu->hb = cxl_readq(&global->afu_hb);
	return 0;
}

static void afu_err_intr_init(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	struct sisl_global_regs __iomem *global = &afu->afu_map->global.regs;
	struct hwq *hwq = get_hwq(afu, PRIMARY_HWQ);
	__be64 __iomem *fc_port_regs;
	u64 reg;
	int i;

	cxl_writeq(~0ULL, &global->aintr_mask);
	/* async interrupts go to LISN 3 of the primary master context */
	reg = ((u64)((hwq->ctx_hndl << 8) | SISL_MSI_ASYNC_ERROR)) << 40;
	cxl_writeq(reg, &global->afu_ctrl);
	cxl_writeq(~0ULL, &global->aintr_clear);
	cxl_writeq(SISL_ASTATUS_MASK, &global->aintr_mask);
	cxl_writeq(~0ULL, &global->aintr_clear);

	for (i = 0; i < cfg->num_fc_ports; i++) {
		fc_port_regs = get_fc_port_regs(cfg, i);
		cxl_writeq(0xFFFFFFFFULL, &fc_port_regs[FC_ERROR / 8]);
		cxl_writeq(0, &fc_port_regs[FC_ERRCAP / 8]);
	}

	for (i = 0; i < afu->num_hwqs; i++) {
		hwq = get_hwq(afu, i);
		/* keep the capability bits in the upper part of ctx_ctrl */
		reg = cxl_readq(&hwq->host_map->ctx_ctrl);
		reg &= ~SISL_CTX_CTRL_LISN_MASK;
		reg |= SISL_MSI_SYNC_ERROR;
		cxl_writeq(reg, &hwq->host_map->ctx_ctrl);
		cxl_writeq(SISL_ISTATUS_MASK, &hwq->host_map->intr_mask);
	}
}

static int start_afu(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	struct hwq *hwq;
	u32 i;

	/* no stale user context may survive a master restart */
	for (i = 0; i < MAX_CONTEXT; i++) {
		struct sisl_ctrl_map __iomem *ctrl = &afu->afu_map->ctrls[i].ctrl;

		cxl_writeq(0, &ctrl->rht_start);
		cxl_writeq(0, &ctrl->rht_cnt_id);
		cxl_writeq(0, &ctrl->ctx_cap);
	}

	for (i = 0; i < afu->num_hwqs; i++) {
		hwq = get_hwq(afu, i);
		start_hwq(cfg, hwq);
	}

	init_global(cfg);
	afu_err_intr_init(cfg);

	for (i = 0; i < afu->num_hwqs; i++) {
		hwq = get_hwq(afu, i);
		hwq->room = cxl_readq(&hwq->host_map->cmd_room);
	}
	return 0;
}

static int init_afu(struct cxlflash_cfg *cfg)
{
	const struct cxlflash_backend_ops *ops = cfg->ops;
	struct afu *afu = cfg->afu;
	struct device *dev = cfg->dev;
	struct sisl_global_regs __iomem *global;
	struct hwq *hwq;
	u64 reg;
	int rc;
	int i;

	mutex_init(&afu->sync_active);
	afu->num_hwqs = afu->desired_hwqs;

	for (i = 0; i < afu->num_hwqs; i++) {
		rc = init_mc(cfg, i);
		if (rc)
			goto err_mc;
	}

	hwq = get_hwq(afu, PRIMARY_HWQ);
	afu->afu_map = (struct cxlflash_afu_map __iomem *)ops->psa_map(hwq->ctx_cookie);
	if (!afu->afu_map) {
		dev_err(dev, "cannot map the problem-state area\n");
		rc = -ENOMEM;
		goto err_mc;
	}
	global = &afu->afu_map->global.regs;

	/* eight ASCII bytes, stored without byte swap */
	reg = __raw_readq(&global->afu_version);
	memcpy(afu->version, &reg, 8);
	afu->version[8] = '\0';
	afu->interface_version = cxl_readq(&global->interface_version);
	if (afu->interface_version == U64_MAX) {
		dev_err(dev, "back level AFU, interface version unreadable\n");
		rc = -EINVAL;
		goto err_unmap;
	}

	if (afu_is_sq_cmd_mode(afu)) {
		afu->send_cmd = send_cmd_sq;
		afu->context_reset = context_reset_sq;
	} else if (afu_is_ioarrin_cmd_mode(afu)) {
		afu->send_cmd = send_cmd_ioarrin;
		afu->context_reset = context_reset_ioarrin;
	} else {
		dev_err(dev, "AFU offers no command mode, interface %016llx\n",
			afu->interface_version);
		rc = -EINVAL;
		goto err_unmap;
	}

	reg = cxl_readq(&global->afu_port_sel);
	if (reg)
		cfg->num_fc_ports = min(fls64(reg), CXLFLASH_MAX_FC_PORTS);
	else
		cfg->num_fc_ports = CXLFLASH_NUM_FC_PORTS_PER_BANK;
	cfg->host->max_channel = cfg->num_fc_ports - 1;

	dev_info(dev, "AFU version %s, interface %016llx, %d ports, %s mode, %u hwqs\n",
		 afu->version, afu->interface_version, cfg->num_fc_ports,
		 afu_is_sq_cmd_mode(afu) ? "SQ" : "IOARRIN", afu->num_hwqs);

	rc = start_afu(cfg);
	if (rc)
		goto err_unmap;

	cxlflash_restore_luntable(cfg);
	return 0;

err_unmap:
	ops->psa_unmap(afu->afu_map);
	afu->afu_map = NULL;
err_mc:
	for (i--; i >= 0; i--)
		term_mc(cfg, i);
	/* the failed index cleaned up after itself */
	return rc;
}

static int afu_reset(struct cxlflash_cfg *cfg)
{
	int rc;

	term_afu(cfg);
	rc = init_afu(cfg);
	if (rc)
		dev_err(cfg->dev, "AFU restart failed: %d\n", rc);
	return rc;
}

static int alloc_afu(struct cxlflash_cfg *cfg)
{
	struct afu *afu;
	int i;

	afu = kzalloc(sizeof(*afu), GFP_KERNEL);
	if (!afu)
		return -ENOMEM;

	for (i = 0; i < CXLFLASH_MAX_HWQS; i++) {
		afu->hwqs[i] = kzalloc(sizeof(*afu->hwqs[i]), GFP_KERNEL);
		if (!afu->hwqs[i])
			goto err;
		spin_lock_init(&afu->hwqs[i]->hsq_slock);
		spin_lock_init(&afu->hwqs[i]->hrrq_slock);
		INIT_LIST_HEAD(&afu->hwqs[i]->pending_cmds);
	}
	afu->sync_cmd = kzalloc(sizeof(*afu->sync_cmd), GFP_KERNEL);
	if (!afu->sync_cmd)
		goto err;
	afu->parent = cfg;
	afu->desired_hwqs = CXLFLASH_DEF_HWQS;
	afu->hwq_mode = HWQ_MODE_RR;
	afu->irqpoll_weight = 0;
	cfg->afu = afu;
	return 0;
err:
	while (--i >= 0)
		kfree(afu->hwqs[i]);
	kfree(afu->sync_cmd);
	kfree(afu);
	return -ENOMEM;
}

static void free_afu(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	int i;

	if (!afu)
		return;
	for (i = 0; i < CXLFLASH_MAX_HWQS; i++)
		kfree(afu->hwqs[i]);
	kfree(afu->sync_cmd);
	kfree(afu);
	cfg->afu = NULL;
}

/* ---------------------------------------------------------------------- */
/* sysfs                                                                  */
/* ---------------------------------------------------------------------- */

static ssize_t cxlflash_show_port_status(u32 port, struct cxlflash_cfg *cfg,
					 char *buf)
{
	const char *disp_status;
	__be64 __iomem *fc_port_regs;
	u64 status;

	if (port >= cfg->num_fc_ports)
		return -EINVAL;
	if (READ_ONCE(cfg->state) != STATE_NORMAL || !cfg->afu->afu_map)
		return sysfs_emit(buf, "unknown\n");

	fc_port_regs = get_fc_port_regs(cfg, port);
	status = cxl_readq(&fc_port_regs[FC_MTIP_STATUS / 8]);
	status &= FC_MTIP_STATUS_MASK;

	if (status == FC_MTIP_STATUS_ONLINE)
		disp_status = "online";
	else if (status == FC_MTIP_STATUS_OFFLINE)
		disp_status = "offline";
	else
		disp_status = "unknown";

	return sysfs_emit(buf, "%s\n", disp_status);
}

#define PORT_ATTR(n)							\
static ssize_t port##n##_show(struct device *dev,			\
			      struct device_attribute *attr, char *buf)	\
{									\
	return cxlflash_show_port_status(n, shost_to_cfg(class_to_shost(dev)), \
					 buf);				\
}									\
static DEVICE_ATTR_RO(port##n)

PORT_ATTR(0);
PORT_ATTR(1);
PORT_ATTR(2);
PORT_ATTR(3);

static ssize_t lun_mode_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));

	return sysfs_emit(buf, "%u\n", cfg->afu->internal_lun);
}

/*
 * Internal-LUN modes (1-4) are a feature of some AFU images; the AFUs we
 * bind to present external LUNs only, so only 0 is accepted.  Anything
 * else is refused with an error instead of being silently ignored.
 */
static ssize_t lun_mode_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	u32 lun_mode;
	int rc;

	rc = kstrtouint(buf, 10, &lun_mode);
	if (rc)
		return rc;
	if (lun_mode >= 5)
		return -EINVAL;
	if (lun_mode != 0)
		return -EOPNOTSUPP;
	return count;
}
static DEVICE_ATTR_RW(lun_mode);

static ssize_t ioctl_version_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "disk: %u\n", DK_CXLFLASH_VERSION_0);
}
static DEVICE_ATTR_RO(ioctl_version);

/*
 * LUN tables: only the programmed (non-zero) slots are shown, one
 * "index: lun_id" line each, so the output always fits in a page.
 */
static ssize_t cxlflash_show_port_lun_table(u32 port, struct cxlflash_cfg *cfg,
					    char *buf)
{
	__be64 __iomem *fc_port_luns;
	ssize_t bytes = 0;
	u64 val;
	int i;

	if (port >= cfg->num_fc_ports)
		return -EINVAL;
	if (READ_ONCE(cfg->state) != STATE_NORMAL || !cfg->afu->afu_map)
		return -ENODEV;

	fc_port_luns = get_fc_port_luns(cfg, port);
	for (i = 0; i < CXLFLASH_NUM_VLUNS; i++) {
		val = cxl_readq(&fc_port_luns[i]);
		if (!val)
			continue;
		bytes += sysfs_emit_at(buf, bytes, "%03d: %016llx\n", i, val);
	}
	return bytes;
}

#define PORT_LUN_TABLE_ATTR(n)						\
static ssize_t port##n##_lun_table_show(struct device *dev,		\
					struct device_attribute *attr,	\
					char *buf)			\
{									\
	return cxlflash_show_port_lun_table(n,				\
			shost_to_cfg(class_to_shost(dev)), buf);	\
}									\
static DEVICE_ATTR_RO(port##n##_lun_table)

PORT_LUN_TABLE_ATTR(0);
PORT_LUN_TABLE_ATTR(1);
PORT_LUN_TABLE_ATTR(2);
PORT_LUN_TABLE_ATTR(3);

static ssize_t irqpoll_weight_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));

	return sysfs_emit(buf, "%u\n", cfg->afu->irqpoll_weight);
}

/*
 * Changing the weight requires a quiet adapter: the host is blocked, the
 * response queues drained by a full reset, and the new weight applies when
 * the queues are rebuilt.
 */
static int cxlflash_reset_with(struct cxlflash_cfg *cfg)
{
	int rc;

	if (READ_ONCE(cfg->state) != STATE_NORMAL)
		return -EBUSY;
	scsi_block_requests(cfg->host);
	WRITE_ONCE(cfg->state, STATE_RESET);
	rc = cxlflash_do_reset(cfg);
	scsi_unblock_requests(cfg->host);
	return rc;
}

static ssize_t irqpoll_weight_store(struct device *dev,
				    struct device_attribute *attr,
				    const char *buf, size_t count)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));
	struct afu *afu = cfg->afu;
	u32 weight;
	int rc;

	rc = kstrtouint(buf, 10, &weight);
	if (rc)
		return rc;
	if (weight > 256 || weight == afu->irqpoll_weight)
		return -EINVAL;

	afu->irqpoll_weight = weight;
	rc = cxlflash_reset_with(cfg);
	return rc ? rc : count;
}
static DEVICE_ATTR_RW(irqpoll_weight);

static ssize_t num_hwqs_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));

	return sysfs_emit(buf, "%u\n", cfg->afu->num_hwqs);
}

static ssize_t num_hwqs_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));
	struct afu *afu = cfg->afu;
	int nhwqs, num_hwqs;
	int rc;

	rc = kstrtoint(buf, 10, &nhwqs);
	if (rc)
		return rc;

	if (nhwqs >= 1)
		num_hwqs = nhwqs;
	else if (nhwqs == 0)
		num_hwqs = num_online_cpus();
	else
		num_hwqs = num_online_cpus() / abs(nhwqs);
	num_hwqs = clamp(num_hwqs, 1, CXLFLASH_MAX_HWQS);

	if ((u32)num_hwqs == afu->num_hwqs)
		return count;

	afu->desired_hwqs = num_hwqs;
	rc = cxlflash_reset_with(cfg);
	return rc ? rc : count;
}
static DEVICE_ATTR_RW(num_hwqs);

static const char *hwq_mode_name[MAX_HWQ_MODE] = { "rr", "tag", "cpu" };

static ssize_t hwq_mode_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));

	return sysfs_emit(buf, "%s\n", hwq_mode_name[cfg->afu->hwq_mode]);
}

static ssize_t hwq_mode_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));
	int i;

	for (i = 0; i < MAX_HWQ_MODE; i++) {
		if (sysfs_streq(buf, hwq_mode_name[i])) {
			cfg->afu->hwq_mode = i;
			return count;
		}
	}
	return -EINVAL;
}
static DEVICE_ATTR_RW(hwq_mode);

static ssize_t afu_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));

	return sysfs_emit(buf, "%s\n", cfg->afu->version);
}
static DEVICE_ATTR_RO(afu_version);

static ssize_t adapter_state_show(struct device *dev,
				  struct device_attribute *attr,
			  char *buf)
{
	static const char * const names[] = {
		[STATE_PROBING] = "probing",
		[STATE_NORMAL] = "normal",
		[STATE_RESET] = "reset",
		[STATE_FAILTERM] = "failed",
	};
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));

	return sysfs_emit(buf, "%s\n", names[READ_ONCE(cfg->state)]);
}
static DEVICE_ATTR_RO(adapter_state);

static ssize_t user_contexts_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(class_to_shost(dev));

	return sysfs_emit(buf, "%d\n", atomic_read(&cfg->num_user_contexts));
}
static DEVICE_ATTR_RO(user_contexts);

static struct attribute *cxlflash_host_attrs[] = {
	&dev_attr_port0.attr,
	&dev_attr_port1.attr,
	&dev_attr_port2.attr,
	&dev_attr_port3.attr,
	&dev_attr_lun_mode.attr,
	&dev_attr_ioctl_version.attr,
	&dev_attr_port0_lun_table.attr,
	&dev_attr_port1_lun_table.attr,
	&dev_attr_port2_lun_table.attr,
	&dev_attr_port3_lun_table.attr,
	&dev_attr_irqpoll_weight.attr,
	&dev_attr_num_hwqs.attr,
	&dev_attr_hwq_mode.attr,
	&dev_attr_afu_version.attr,
	&dev_attr_adapter_state.attr,
	&dev_attr_user_contexts.attr,
	NULL
};

ATTRIBUTE_GROUPS(cxlflash_host);

/* ---------------------------------------------------------------------- */
/* SCSI host template                                                     */
/* ---------------------------------------------------------------------- */

static const char *cxlflash_driver_info(struct Scsi_Host *host)
{
	return CXLFLASH_ADAPTER_NAME;
}

static int cxlflash_change_queue_depth(struct scsi_device *sdev, int qdepth)
{
	if (qdepth > CXLFLASH_MAX_CMDS_PER_LUN)
		qdepth = CXLFLASH_MAX_CMDS_PER_LUN;
	return scsi_change_queue_depth(sdev, qdepth);
}

static int cxlflash_host_ioctl(struct scsi_device *sdev, unsigned int cmd,
			       void __user *arg)
{
	return cxlflash_ioctl(sdev, cmd, arg);
}

static struct scsi_host_template driver_template = {
	.module = THIS_MODULE,
	.name = CXLFLASH_ADAPTER_NAME,
	.info = cxlflash_driver_info,
	.ioctl = cxlflash_host_ioctl,
	.proc_name = CXLFLASH_NAME,
	.queuecommand = cxlflash_queuecommand,
	.eh_abort_handler = cxlflash_eh_abort_handler,
	.eh_device_reset_handler = cxlflash_eh_device_reset_handler,
	.eh_host_reset_handler = cxlflash_eh_host_reset_handler,
	.change_queue_depth = cxlflash_change_queue_depth,
	.cmd_per_lun = CXLFLASH_MAX_CMDS_PER_LUN,
	.can_queue = CXLFLASH_MAX_CMDS,
	.cmd_size = sizeof(struct afu_cmd) + __alignof__(struct afu_cmd) - 1,
	.this_id = -1,
	.sg_tablesize = 1,	/* one virtually contiguous buffer per command */
	.max_sectors = CXLFLASH_MAX_SECTORS,
	.shost_groups = cxlflash_host_groups,
	.sdev_groups = cxlflash_sdev_groups,
};

/* ---------------------------------------------------------------------- */
/* Probe and remove                                                       */
/* ---------------------------------------------------------------------- */

static void cxlflash_remove(struct auxiliary_device *auxdev)
{
	struct cxlflash_aux_dev *adev = to_cxlflash_aux_dev(auxdev);
	struct cxlflash_cfg *cfg = dev_get_drvdata(&auxdev->dev);

	if (!cfg)
		return;

	/* let a reset in progress finish, then fence everything */
	wait_event(cfg->reset_waitq,
		   cfg->state != STATE_RESET && cfg->state != STATE_PROBING);
	async_synchronize_cookie(cfg->async_reset_cookie + 1);
	spin_lock_irq(&cfg->tmf_slock);
	wait_event_lock_irq(cfg->tmf_waitq, !cfg->tmf_active, cfg->tmf_slock);
	spin_unlock_irq(&cfg->tmf_slock);

	WRITE_ONCE(cfg->state, STATE_FAILTERM);
	cxlflash_stop_term_user_contexts(cfg);

	switch (cfg->init_state) {
	case INIT_STATE_SCSI:
		scsi_remove_host(cfg->host);
		cxlflash_term_local_luns(cfg);
		fallthrough;
	case INIT_STATE_AFU:
		cancel_work_sync(&cfg->work_q);
		term_afu(cfg);
		fallthrough;
	case INIT_STATE_NONE:
		break;
	}

	debugfs_remove_recursive(cfg->debugfs);
	cancel_work_sync(&cfg->work_q);
	free_afu(cfg);
	ida_destroy(&cfg->lun_slots);
	ida_free(&cxlflash_ida, cfg->index);
	dev_set_drvdata(&auxdev->dev, NULL);
	dev_info(&adev->adev.dev, "removed\n");
	scsi_host_put(cfg->host);
	module_put(adev->ops->module);
}

static int cxlflash_probe(struct auxiliary_device *auxdev,
			  const struct auxiliary_device_id *id)
{
	struct cxlflash_aux_dev *adev = to_cxlflash_aux_dev(auxdev);
	struct device *dev = &auxdev->dev;
	struct Scsi_Host *host;
	struct cxlflash_cfg *cfg;
	int rc;

	if (!adev->ops) {
		dev_err(dev, "AFU provider gave no backend ops\n");
		return -EINVAL;
	}
	/*
	 * The provider stays loaded while we are bound: unloading it under
	 * open disks is refused rather than turned into a surprise removal
	 * (an adapter can still be removed through the provider's own
	 * configuration interface).
	 */
	if (!try_module_get(adev->ops->module))
		return -ENODEV;

	host = scsi_host_alloc(&driver_template, sizeof(struct cxlflash_cfg));
	if (!host) {
		module_put(adev->ops->module);
		return -ENOMEM;
	}

	host->max_id = 1;	/* one target per port */
	host->max_lun = 65536;
	host->max_cmd_len = 16;
	host->max_channel = CXLFLASH_NUM_FC_PORTS_PER_BANK - 1;
	host->unique_id = host->host_no;

	cfg = shost_to_cfg(host);
	memset(cfg, 0, sizeof(*cfg));
	cfg->host = host;
	cfg->adev = adev;
	cfg->ops = adev->ops;
	cfg->dev = dev;
	cfg->state = STATE_PROBING;
	cfg->init_state = INIT_STATE_NONE;

	rc = ida_alloc(&cxlflash_ida, GFP_KERNEL);
	if (rc < 0)
		goto err_host;
	cfg->index = rc;

	rc = alloc_afu(cfg);
	if (rc)
		goto err_ida;

	ida_init(&cfg->lun_slots);
	INIT_WORK(&cfg->work_q, cxlflash_worker_thread);
	init_waitqueue_head(&cfg->tmf_waitq);
	init_waitqueue_head(&cfg->reset_waitq);
	init_waitqueue_head(&cfg->ctx_waitq);
	spin_lock_init(&cfg->tmf_slock);
	mutex_init(&cfg->ctx_tbl_list_mutex);
	mutex_init(&cfg->ctx_recovery_mutex);
	init_rwsem(&cfg->ioctl_rwsem);
	INIT_LIST_HEAD(&cfg->ctx_err_recovery);
	INIT_LIST_HEAD(&cfg->lluns);
	atomic_set(&cfg->num_user_contexts, 0);

	dev_set_drvdata(dev, cfg);

	rc = init_afu(cfg);
	if (rc) {
		dev_err(dev, "AFU initialisation failed: %d\n", rc);
		goto err_afu;
	}
	cfg->init_state = INIT_STATE_AFU;
	WRITE_ONCE(cfg->state, STATE_NORMAL);

	rc = scsi_add_host(host, dev);
	if (rc) {
		dev_err(dev, "scsi_add_host failed: %d\n", rc);
		goto err_term;
	}
	cfg->init_state = INIT_STATE_SCSI;

	cfg->debugfs = cxlflash_debugfs_add(cfg);
	scsi_scan_host(host);
	dev_info(dev, "adapter %d bound, scsi host%u\n", cfg->index,
		 host->host_no);
	return 0;

err_term:
	WRITE_ONCE(cfg->state, STATE_FAILTERM);
	term_afu(cfg);
err_afu:
	dev_set_drvdata(dev, NULL);
	free_afu(cfg);
err_ida:
	ida_free(&cxlflash_ida, cfg->index);
err_host:
	scsi_host_put(host);
	module_put(adev->ops->module);
	return rc;
}

static const struct auxiliary_device_id cxlflash_id_table[] = {
	{ .name = "cxlflash_sim." CXLFLASH_AUX_DEV_NAME },
	{ }
};
MODULE_DEVICE_TABLE(auxiliary, cxlflash_id_table);

static struct auxiliary_driver cxlflash_driver = {
	.probe = cxlflash_probe,
	.remove = cxlflash_remove,
	.shutdown = NULL,
	.id_table = cxlflash_id_table,
};

static int __init cxlflash_init(void)
{
	int rc;

	cxlflash_list_init();
	rc = cxlflash_alloc_errpage();
	if (rc)
		return rc;
	cxlflash_debugfs_init();
	rc = auxiliary_driver_register(&cxlflash_driver);
	if (rc) {
		cxlflash_debugfs_exit();
		cxlflash_free_errpage();
		return rc;
	}
	return 0;
}

static void __exit cxlflash_exit(void)
{
	auxiliary_driver_unregister(&cxlflash_driver);
	cxlflash_term_global_luns();
	cxlflash_free_errpage();
	cxlflash_debugfs_exit();
	ida_destroy(&cxlflash_ida);
}

module_init(cxlflash_init);
module_exit(cxlflash_exit);
