// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: the command path of a hardware queue.
 *
 * A hardware queue (struct hwq) is one master context.  Commands are
 * posted either into its submission ring (SQ mode: the IOARCB is copied
 * into the next slot and SQ_TAIL moves) or through its IOARRIN mailbox
 * (the IOARCB's address is stored there).  Every posted command sits on
 * hwq->inflight until the AFU answers through the response ring (RRQ) or
 * a context reset drops it.
 *
 * Reaping works in batches: under rrq_lock the valid RRQ entries are
 * turned into commands and, with sq_lock nested, unlinked from inflight
 * (which also returns their SQ credits); the commands are finished after
 * both locks are dropped.  A command is therefore finished exactly once:
 * either the reaper unlinked it, or a flush found it still listed.
 */

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_host.h>

#include "core.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* RRQ entries turned into commands per pass under rrq_lock */
#define REAP_BATCH	32

static void hwq_kick(struct hwq *hwq)
{
	const struct cxlflash_backend_ops *ops = hwq->afu->parent->ops;

	if (ops->kick)
		ops->kick(hwq->ctx_cookie);
}

/* ---------------------------------------------------------------------- */
/* Status of a finished SCSI command                                      */
/* ---------------------------------------------------------------------- */

static int fc_rc_host_byte(const struct sisl_ioasa *sa, int host)
{
	switch (sa->rc.fc_rc) {
	case 0:
		return host;
	case SISL_FC_RC_LINKDOWN:
		return DID_REQUEUE;
	case SISL_FC_RC_RESID:
		/* an overrun already said what went wrong */
		return (sa->rc.flags & SISL_RC_FLAGS_OVERRUN) ? host : DID_ERROR;
	default:
		return DID_ERROR;
	}
}

static int afu_rc_host_byte(const struct sisl_ioasa *sa, int host)
{
	switch (sa->rc.afu_rc) {
	case 0:
		return host;
	case SISL_AFU_RC_NO_CHANNELS:
		return DID_NO_CONNECT;
	case SISL_AFU_RC_DATA_DMA_ERR:
		if (sa->afu_extra == SISL_AFU_EXTRA_PAGE_IN)
			return DID_IMM_RETRY;
		return DID_ERROR;
	default:
		return DID_ERROR;
	}
}

/*
 * An IOASA with a non-zero IOASC, as a midlayer result.  The causes are
 * weighed from the general to the specific: residual, then the target's
 * status, then the fabric's, then the AFU's, each overriding the host
 * byte chosen before it.
 */
static void scsi_status_from_ioasa(struct scsi_cmnd *scp,
				   const struct sisl_ioasa *sa)
{
	u8 flags = sa->rc.flags;
	int host = DID_OK;

	if (flags & (SISL_RC_FLAGS_UNDERRUN | SISL_RC_FLAGS_OVERRUN))
		scsi_set_resid(scp, sa->resid);
	if (flags & SISL_RC_FLAGS_OVERRUN)
		host = DID_ERROR;

	scp->result = sa->rc.scsi_rc;
	if (sa->rc.scsi_rc) {
		if (flags & SISL_RC_FLAGS_SENSE_VALID) {
			memcpy(scp->sense_buffer, sa->sense_data,
			       min_t(size_t, sizeof(sa->sense_data),
				     SCSI_SENSE_BUFFERSIZE));
			host = DID_OK;
		} else {
			host = DID_ERROR;
		}
	}

	host = fc_rc_host_byte(sa, host);
	host = afu_rc_host_byte(sa, host);
	set_host_byte(scp, host);

	dev_dbg(&scp->device->sdev_gendev,
		"op %02x: ioasc %08x (flags %02x) -> result %08x\n",
		scp->cmnd[0], sa->ioasc, flags, scp->result);
}

/* What the tracepoints say of a command: tag, opcode, LBA, blocks. */
struct cmd_desc {
	int tag;
	u8 opcode;
	u64 lba;
	u32 blocks;
};

static void cmd_describe(const struct cxlflash_cmd *cmd, struct cmd_desc *d)
{
	struct scsi_cmnd *scp = cmd->scp;
	struct request *rq;

	d->lba = 0;
	d->blocks = 0;
	if (!scp) {
		d->tag = -1;
		d->opcode = cmd->rcb.cdb[0];
		return;
	}
	rq = scsi_cmd_to_rq(scp);
	/* tags are per blk-mq hardware context: hctx << 16 | tag */
	d->tag = blk_mq_unique_tag(rq);
	d->opcode = scp->cmnd[0];
	if (!blk_rq_is_passthrough(rq)) {
		d->lba = scsi_get_lba(scp);
		d->blocks = scsi_logical_block_count(scp);
	}
}

static void trace_post(struct hwq *hwq, struct cxlflash_cmd *cmd)
{
	struct cmd_desc d;

	cmd_describe(cmd, &d);
	trace_cxlflash_cmd_submit(hwq->afu->parent->host->host_no, hwq->index,
				  d.tag, d.opcode, d.lba, d.blocks);
}

static void trace_finish(struct cxlflash_cmd *cmd)
{
	struct cmd_desc d;
	u64 lat = 0;

	if (cmd->t_post_ns)
		lat = ktime_get_ns() - cmd->t_post_ns;
	cmd_describe(cmd, &d);
	trace_cxlflash_cmd_complete(cmd->hwq->afu->parent->host->host_no,
				    cmd->hwq->index, d.tag, d.opcode, d.lba,
				    d.blocks, cmd->sa.ioasc, cmd->flushed, lat);
}

/* The AFU is done with @cmd, or has dropped it (@cmd->flushed). */
static void cmd_finish(struct cxlflash_cmd *cmd)
{
	struct scsi_cmnd *scp = cmd->scp;

	if (trace_cxlflash_cmd_complete_enabled())
		trace_finish(cmd);

	if (!scp) {
		complete(&cmd->done);
		return;
	}

	if (unlikely(cmd->flushed))
		scp->result = DID_IMM_RETRY << 16;
	else if (unlikely(cmd->sa.ioasc))
		scsi_status_from_ioasa(scp, &cmd->sa);
	else
		scp->result = DID_OK << 16;
	scsi_done(scp);
}

/* ---------------------------------------------------------------------- */
/* Posting                                                                */
/* ---------------------------------------------------------------------- */

/*
 * IOARRIN mode, sq_lock held.  cmd_room tells how many stores the AFU can
 * take; it is read only when the cached count runs out, and a store
 * without room would be a fatal context error, so then we say busy.  An
 * AFU that polls the mailbox (the emulated one) frees room only when it
 * takes the address, so a still non-zero IOARRIN also means busy.
 */
static int post_ioarrin(struct hwq *hwq, struct cxlflash_cmd *cmd)
{
	struct sisl_host_map __iomem *hmap = hwq->host_map;

	if (cxl_readq(&hmap->ioarrin))
		return -EBUSY;

	if (hwq->room <= 0) {
		hwq->room = cxl_readq(&hmap->cmd_room);
		if (hwq->room <= 0) {
			hwq->room = 0;
			return -EBUSY;
		}
	}
	hwq->room--;

	cxl_writeq((u64)(uintptr_t)&cmd->rcb, &hmap->ioarrin);
	return 0;
}

/*
 * SQ mode, sq_lock held.  One slot always stays empty so that a full ring
 * is not mistaken for an empty one; credits come back as RRQ entries are
 * reaped.  SQ_TAIL takes the address of the slot after the new one.
 */
static int post_sq(struct hwq *hwq, struct cxlflash_cmd *cmd)
{
	u32 slot = hwq->sq_next;

	if (!hwq->sq_credits)
		return -EBUSY;
	hwq->sq_credits--;

	cmd->rcb.ioasa_ea = (u64)(uintptr_t)&cmd->sa;
	hwq->sq[slot] = cmd->rcb;
	hwq->sq_next = (slot + 1) % CXLFLASH_RING_SLOTS;

	/* the slot's contents before the tail that publishes them */
	wmb();
	cxl_writeq((u64)(uintptr_t)&hwq->sq[hwq->sq_next],
		   &hwq->host_map->sq_tail);
	return 0;
}

/**
 * cxlflash_post() - hand a built command to a hardware queue
 * @hwq: queue; @cmd->rcb must be complete but for ctx_id and the IOASA.
 * @cmd: command.
 *
 * Return: 0 when the AFU owns @cmd (it will be finished exactly once),
 * -EBUSY when the queue is full or offline (nothing happened).
 */
int cxlflash_post(struct hwq *hwq, struct cxlflash_cmd *cmd)
{
	unsigned long flags;
	int rc = -EBUSY;

	cmd->hwq = hwq;
	cmd->flushed = false;
	cmd->rcb.ctx_id = hwq->ctx_hndl;
	cmd->rcb.msi = SISL_MSI_RRQ_UPDATED;

	/*
	 * Traced before the AFU can see the command: once posted it may be
	 * answered, finished and reused at once.  A full queue (-EBUSY)
	 * sends it back to the midlayer, which offers it again: a second
	 * submit event with the same tag.
	 */
	cmd->t_post_ns = trace_cxlflash_cmd_complete_enabled() ?
			 ktime_get_ns() : 0;
	if (trace_cxlflash_cmd_submit_enabled())
		trace_post(hwq, cmd);

	spin_lock_irqsave(&hwq->sq_lock, flags);
	if (likely(hwq->online)) {
		rc = hwq->afu->sq_mode ? post_sq(hwq, cmd) :
					 post_ioarrin(hwq, cmd);
		if (!rc)
			list_add_tail(&cmd->node, &hwq->inflight);
	}
	spin_unlock_irqrestore(&hwq->sq_lock, flags);

	if (!rc)
		hwq_kick(hwq);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Reaping                                                                */
/* ---------------------------------------------------------------------- */

static struct cxlflash_cmd *rrq_entry_cmd(struct hwq *hwq, u64 entry)
{
	void *ea = (void *)(uintptr_t)sisl_rrq_entry_addr(entry);

	/* SQ mode answers with the IOASA, IOARRIN mode with the IOARCB */
	if (hwq->afu->sq_mode)
		return container_of((struct sisl_ioasa *)ea,
				    struct cxlflash_cmd, sa);
	return container_of((struct sisl_ioarcb *)ea, struct cxlflash_cmd, rcb);
}

/*
 * Take up to @n valid entries off the RRQ into @batch and unlink their
 * commands.  rrq_lock held.
 */
static u32 rrq_take(struct hwq *hwq, struct cxlflash_cmd **batch, u32 n)
{
	u32 got = 0, i;
	u64 entry;

	while (got < n) {
		entry = READ_ONCE(hwq->rrq[hwq->rrq_head]);
		if (!sisl_rrq_entry_valid(entry, hwq->rrq_phase))
			break;
		/* the AFU wrote the IOASA before the entry */
		rmb();
		batch[got++] = rrq_entry_cmd(hwq, entry);

		if (++hwq->rrq_head == CXLFLASH_RING_SLOTS) {
			hwq->rrq_head = 0;
			hwq->rrq_phase = !hwq->rrq_phase;
		}
	}

	if (got) {
		spin_lock(&hwq->sq_lock);
		for (i = 0; i < got; i++)
			list_del_init(&batch[i]->node);
		if (hwq->afu->sq_mode)
			hwq->sq_credits += got;
		spin_unlock(&hwq->sq_lock);
	}
	return got;
}

/* Finish at most @limit answered commands; returns how many. */
static u32 hwq_reap(struct hwq *hwq, u32 limit)
{
	struct cxlflash_cmd *batch[REAP_BATCH];
	unsigned long flags;
	u32 total = 0, got, i;

	do {
		spin_lock_irqsave(&hwq->rrq_lock, flags);
		got = rrq_take(hwq, batch, min_t(u32, REAP_BATCH,
						 limit - total));
		spin_unlock_irqrestore(&hwq->rrq_lock, flags);

		for (i = 0; i < got; i++)
			cmd_finish(batch[i]);
		total += got;
	} while (got == REAP_BATCH && total < limit);

	return total;
}

int cxlflash_irqpoll(struct irq_poll *iop, int budget)
{
	struct hwq *hwq = container_of(iop, struct hwq, irqpoll);
	u32 done = hwq_reap(hwq, budget);

	if (done < budget)
		irq_poll_complete(iop);
	return done;
}

irqreturn_t cxlflash_rrq_irq(int irq, void *data)
{
	struct hwq *hwq = data;

	/* a queue being reset is drained by the reset itself */
	if (!READ_ONCE(hwq->online))
		return IRQ_HANDLED;

	if (hwq->polled) {
		irq_poll_sched(&hwq->irqpoll);
		return IRQ_HANDLED;
	}
	return hwq_reap(hwq, U32_MAX) ? IRQ_HANDLED : IRQ_NONE;
}

irqreturn_t cxlflash_sync_err_irq(int irq, void *data)
{
	struct hwq *hwq = data;
	struct device *dev = hwq->afu->parent->dev;
	u64 status = cxl_readq(&hwq->host_map->intr_status);
	u64 pending = status & SISL_ISTATUS_UNMASK;

	if (pending) {
		dev_err(dev, "context %d: synchronous error %016llx\n",
			hwq->ctx_hndl, status);
		cxl_writeq(pending, &hwq->host_map->intr_clear);
	} else {
		dev_err(dev, "context %d: spurious synchronous error %016llx\n",
			hwq->ctx_hndl, status);
	}
	return IRQ_HANDLED;
}

/* ---------------------------------------------------------------------- */
/* Queue state: rings, flush, context reset                               */
/* ---------------------------------------------------------------------- */

/*
 * Rings as after an AFU or context reset: RRQ zeroed and consumed from
 * slot 0 with phase 1, SQ empty from slot 0.  rrq_lock and sq_lock held,
 * or the queue not yet live.
 */
static void rings_rewind(struct hwq *hwq)
{
	memset(hwq->rrq, 0, sizeof(hwq->rrq));
	hwq->rrq_head = 0;
	hwq->rrq_phase = true;
	hwq->sq_next = 0;
	hwq->sq_credits = CXLFLASH_RING_SLOTS - 1;
}

/**
 * cxlflash_hwq_init_rings() - set up the rings of a queue not yet live
 * @hwq: queue.
 */
void cxlflash_hwq_init_rings(struct hwq *hwq)
{
	memset(hwq->sq, 0, sizeof(hwq->sq));
	rings_rewind(hwq);
	hwq->room = 0;
	hwq->online = false;
}

/*
 * Finish, as dropped, every command still inflight.  The AFU must no
 * longer own any of them (context reset done, or context stopped).
 */
static void hwq_flush(struct hwq *hwq)
{
	struct cxlflash_cmd *cmd, *next;
	unsigned long flags;
	LIST_HEAD(dropped);

	spin_lock_irqsave(&hwq->sq_lock, flags);
	list_splice_init(&hwq->inflight, &dropped);
	spin_unlock_irqrestore(&hwq->sq_lock, flags);

	list_for_each_entry_safe(cmd, next, &dropped, node) {
		list_del_init(&cmd->node);
		cmd->flushed = true;
		cmd_finish(cmd);
	}
}

/**
 * cxlflash_hwq_offline() - stop a queue for teardown
 * @hwq: queue whose context has been stopped.
 *
 * New posts are refused, commands still listed are finished as dropped.
 */
void cxlflash_hwq_offline(struct hwq *hwq)
{
	unsigned long flags;

	spin_lock_irqsave(&hwq->sq_lock, flags);
	WRITE_ONCE(hwq->online, false);
	spin_unlock_irqrestore(&hwq->sq_lock, flags);
	hwq_flush(hwq);
}

static __be64 __iomem *hwq_reset_reg(struct hwq *hwq)
{
	if (hwq->afu->sq_mode)
		return &hwq->host_map->sq_ctx_reset;
	return &hwq->host_map->ioarrin;
}

/* Poll the reset bit until the AFU clears it; false on timeout/dead MMIO. */
static bool reset_bit_clears(__be64 __iomem *reg)
{
	unsigned long deadline = jiffies +
		msecs_to_jiffies(CXLFLASH_CTX_RESET_TIMEOUT_MS);
	unsigned int us = 1;
	u64 val;

	for (;;) {
		val = cxl_readq(reg);
		if (val == U64_MAX)
			return false;
		if (!(val & 1))
			return true;
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(us, 2 * us);
		us = min(2 * us, 10000U);
	}
}

/**
 * cxlflash_hwq_reset() - reset one master context
 * @hwq: queue.
 *
 * The AFU drops every command of the context.  The queue refuses posts
 * meanwhile; answers that arrived before the reset are finished normally,
 * the rest as dropped, and the queue goes live again with empty rings.
 * If the AFU does not complete the reset the queue stays offline until an
 * adapter reset rebuilds it.  Sleeps.
 *
 * Return: 0 or -ETIMEDOUT.
 */
int cxlflash_hwq_reset(struct hwq *hwq)
{
	__be64 __iomem *reg = hwq_reset_reg(hwq);
	unsigned long flags;

	spin_lock_irqsave(&hwq->sq_lock, flags);
	WRITE_ONCE(hwq->online, false);
	cxl_writeq(1, reg);
	spin_unlock_irqrestore(&hwq->sq_lock, flags);
	hwq_kick(hwq);

	if (!reset_bit_clears(reg)) {
		dev_err(hwq->afu->parent->dev, "context %d: reset timed out\n",
			hwq->ctx_hndl);
		trace_cxlflash_reset(hwq->afu->parent->host->host_no,
				     hwq->ctx_hndl, -ETIMEDOUT);
		return -ETIMEDOUT;
	}
	trace_cxlflash_reset(hwq->afu->parent->host->host_no, hwq->ctx_hndl, 0);

	/* what the AFU answered before the reset */
	hwq_reap(hwq, U32_MAX);

	spin_lock_irqsave(&hwq->rrq_lock, flags);
	spin_lock(&hwq->sq_lock);
	rings_rewind(hwq);
	if (hwq->afu->sq_mode)
		cxl_writeq((u64)(uintptr_t)&hwq->sq[0], &hwq->host_map->sq_tail);
	else
		hwq->room = cxl_readq(&hwq->host_map->cmd_room);
	spin_unlock(&hwq->sq_lock);
	spin_unlock_irqrestore(&hwq->rrq_lock, flags);

	/* everything still listed was dropped by the AFU */
	hwq_flush(hwq);

	spin_lock_irqsave(&hwq->sq_lock, flags);
	WRITE_ONCE(hwq->online, true);
	spin_unlock_irqrestore(&hwq->sq_lock, flags);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Internal AFU commands                                                  */
/* ---------------------------------------------------------------------- */

/*
 * One attempt at an internal command on the primary queue, icmd_mutex
 * held.  On timeout the context is reset, which either drops the command
 * (-ECANCELED, as if flushed) or fails: then the command is forgotten,
 * an adapter reset is scheduled and -ETIMEDOUT returned.
 */
static int icmd_once(struct afu *afu, const struct sisl_ioarcb *tmpl,
		     unsigned long timeout, struct sisl_ioasa *sa_out)
{
	struct hwq *hwq = get_hwq(afu, PRIMARY_HWQ);
	struct cxlflash_cmd *cmd = afu->icmd;
	unsigned long flags;

	memset(cmd, 0, sizeof(*cmd));
	INIT_LIST_HEAD(&cmd->node);
	init_completion(&cmd->done);
	cmd->rcb = *tmpl;

	if (cxlflash_post(hwq, cmd))
		return -ENOBUFS;

	if (!wait_for_completion_timeout(&cmd->done, timeout)) {
		dev_err(afu->parent->dev, "AFU command %02x timed out\n",
			tmpl->cdb[0]);
		if (cxlflash_hwq_reset(hwq)) {
			spin_lock_irqsave(&hwq->sq_lock, flags);
			list_del_init(&cmd->node);
			spin_unlock_irqrestore(&hwq->sq_lock, flags);
			cxlflash_schedule_async_reset(afu->parent);
			return -ETIMEDOUT;
		}
		/* the reset dropped it */
		wait_for_completion(&cmd->done);
	}

	if (cmd->flushed)
		return -ECANCELED;
	if (sa_out)
		*sa_out = cmd->sa;
	if (cmd->sa.ioasc) {
		/* a caller that takes the IOASA reports for itself */
		if (sa_out)
			return -EIO;
		dev_err(afu->parent->dev, "AFU command %02x: ioasc %08x\n",
			tmpl->cdb[0], cmd->sa.ioasc);
		return -EIO;
	}
	return 0;
}

/**
 * cxlflash_icmd_run() - run an internal command and wait for its answer
 * @afu:     the AFU.
 * @tmpl:    the IOARCB to send.
 * @timeout: jiffies to wait before resetting the primary context.
 *
 * One internal command runs at a time.  Sleeps.
 *
 * Return: 0, -ENOBUFS (queue full or offline), -ECANCELED (dropped by a
 * context reset), -ETIMEDOUT (context reset failed too; an adapter reset
 * is scheduled) or -EIO (the AFU reported an error).
 */
int cxlflash_icmd_run(struct afu *afu, const struct sisl_ioarcb *tmpl,
		      unsigned long timeout)
{
	return cxlflash_icmd_run_sa(afu, tmpl, timeout, NULL);
}

/**
 * cxlflash_icmd_run_sa() - cxlflash_icmd_run(), keeping the IOASA
 * @afu:     the AFU.
 * @tmpl:    the IOARCB to send.
 * @timeout: jiffies to wait before resetting the primary context.
 * @sa:      where the IOASA of an answered command is copied, or NULL.
 *
 * For AFU commands whose answer is in the IOASA (LUN provisioning) or
 * whose failure the caller maps to an errno of its own.  @sa is written
 * when the AFU answered, with or without an error (return 0 or -EIO).
 *
 * Return: as cxlflash_icmd_run().
 */
int cxlflash_icmd_run_sa(struct afu *afu, const struct sisl_ioarcb *tmpl,
			 unsigned long timeout, struct sisl_ioasa *sa)
{
	int rc;

	mutex_lock(&afu->icmd_mutex);
	atomic_inc(&afu->posting);
	rc = icmd_once(afu, tmpl, timeout, sa);
	atomic_dec(&afu->posting);
	mutex_unlock(&afu->icmd_mutex);
	return rc;
}

int cxlflash_afu_sync(struct afu *afu, ctx_hndl_t ctx, res_hndl_t res, u8 mode)
{
	struct sisl_ioarcb rcb = {
		.req_flags = SISL_REQ_FLAGS_AFU_CMD,
		.timeout = CXLFLASH_SYNC_TIMEOUT_S,
		.cdb = { SISL_AFU_CMD_SYNC, mode },
	};
	unsigned long timeout = 2 * CXLFLASH_SYNC_TIMEOUT_S * HZ;
	int rc;

	/* translation changes only matter to a running AFU */
	if (READ_ONCE(afu->parent->state) != STATE_NORMAL)
		return 0;

	put_unaligned_be16(ctx, &rcb.cdb[2]);
	put_unaligned_be32(res, &rcb.cdb[4]);

	/* a sync dropped by a context reset is worth one more try */
	rc = cxlflash_icmd_run(afu, &rcb, timeout);
	if (rc == -ECANCELED)
		rc = cxlflash_icmd_run(afu, &rcb, timeout);
	return rc == -ECANCELED ? -EIO : rc;
}
