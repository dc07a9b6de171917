// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: error handling and the adapter state machine.
 *
 *              probe ok                 reset_claim()
 *   PROBING ------------> NORMAL <----------------------> RESET
 *      |                    |        reset_run() ok          |
 *      | probe fails        | cxlflash_retire()              | reset_run() fails
 *      v                    v                                v
 *                         FAILTERM  <------------------------'
 *
 * cfg->state is read locklessly everywhere.  Entering RESET is a single
 * compare-and-exchange from NORMAL (reset_claim), so exactly one party
 * owns a reset: the SCSI host reset handler, a sysfs reconfiguration or
 * the background job of cxlflash_schedule_async_reset().  The owner runs
 * reset_run(), which leaves RESET for NORMAL or FAILTERM and wakes
 * reset_waitq; everybody else waits there.  Remove retires the adapter
 * (NORMAL -> FAILTERM) only once no reset is in progress or pending.
 *
 * Also here: the LUN reset TMF and the asynchronous (LISN 3) interrupt,
 * whose per-port work is fcport.c's, and the worker that does what may
 * sleep of it (link resets, rescans).
 */

#include <linux/async.h>
#include <linux/wait.h>

#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>

#include "core.h"
#include "trace.h"

/* ---------------------------------------------------------------------- */
/* Resets                                                                 */
/* ---------------------------------------------------------------------- */

static bool reset_claim(struct cxlflash_cfg *cfg)
{
	return cmpxchg(&cfg->state, STATE_NORMAL, STATE_RESET) == STATE_NORMAL;
}

/*
 * The reset proper, by the owner of STATE_RESET: let ioctls in progress
 * finish (new ones wait for the state), put user contexts into error
 * (their mappings read all-ones until they recover) and restart the AFU.
 */
static int reset_run(struct cxlflash_cfg *cfg)
{
	int rc;

	down_write(&cfg->ioctl_rwsem);
	up_write(&cfg->ioctl_rwsem);

	cxlflash_mark_contexts_error(cfg);
	cxlflash_afu_stop(cfg);
	rc = cxlflash_afu_start(cfg);
	if (rc)
		dev_err(cfg->dev, "AFU restart failed: %d\n", rc);

	WRITE_ONCE(cfg->state, rc ? STATE_FAILTERM : STATE_NORMAL);
	wake_up_all(&cfg->reset_waitq);
	trace_cxlflash_reset(cfg->host->host_no, -1, rc);
	return rc;
}

int cxlflash_wait_for_reset(struct cxlflash_cfg *cfg, bool interruptible)
{
	if (interruptible) {
		if (wait_event_interruptible(cfg->reset_waitq,
					     READ_ONCE(cfg->state) != STATE_RESET))
			return -ERESTARTSYS;
	} else {
		wait_event(cfg->reset_waitq,
			   READ_ONCE(cfg->state) != STATE_RESET);
	}
	return READ_ONCE(cfg->state) == STATE_NORMAL ? 0 : -ENODEV;
}

static void async_reset_job(void *data, async_cookie_t cookie)
{
	struct cxlflash_cfg *cfg = data;

	dev_info(cfg->dev, "asynchronous adapter reset\n");
	reset_run(cfg);
	scsi_unblock_requests(cfg->host);
}

void cxlflash_schedule_async_reset(struct cxlflash_cfg *cfg)
{
	if (!reset_claim(cfg))
		return;
	scsi_block_requests(cfg->host);
	cfg->reset_cookie = async_schedule(async_reset_job, cfg);
}

/**
 * cxlflash_reset_quiet() - reset a running adapter with the host blocked
 * @cfg: adapter.
 *
 * For reconfigurations that apply when the queues are rebuilt.
 *
 * Return: 0, -EBUSY when the adapter is not running, or the restart's error.
 */
int cxlflash_reset_quiet(struct cxlflash_cfg *cfg)
{
	int rc;

	if (!reset_claim(cfg))
		return -EBUSY;
	scsi_block_requests(cfg->host);
	rc = reset_run(cfg);
	scsi_unblock_requests(cfg->host);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* lun_mode: external or internal LUNs                                    */
/* ---------------------------------------------------------------------- */

/*
 * User contexts would lose their LUNs: they make a lun_mode change fail.
 * Counted are the contexts (in the table or in error) and the adapter
 * files still open (sysfs user_contexts).
 */
static bool user_contexts_exist(struct cxlflash_cfg *cfg)
{
	return atomic_read(&cfg->num_contexts) ||
	       atomic_read(&cfg->num_user_contexts);
}

/* Every SCSI device of the host goes (sd flushes its cache first). */
static void remove_all_devices(struct Scsi_Host *host)
{
	struct scsi_device *sdev;

	shost_for_each_device(sdev, host)
		scsi_remove_device(sdev);
}

/*
 * The reset of a lun_mode change: the regular one (state RESET, host
 * blocked, ioctls drained), with the user-context check made again once
 * no ioctl can create one, and the mode stored only then.
 */
static int reset_lun_mode(struct cxlflash_cfg *cfg, u32 mode)
{
	int rc;

	if (!reset_claim(cfg))
		return -EBUSY;
	scsi_block_requests(cfg->host);

	down_write(&cfg->ioctl_rwsem);
	if (user_contexts_exist(cfg)) {
		up_write(&cfg->ioctl_rwsem);
		WRITE_ONCE(cfg->state, STATE_NORMAL);
		wake_up_all(&cfg->reset_waitq);
		scsi_unblock_requests(cfg->host);
		return -EBUSY;
	}
	WRITE_ONCE(cfg->afu->internal_lun, mode);
	up_write(&cfg->ioctl_rwsem);

	rc = reset_run(cfg);
	scsi_unblock_requests(cfg->host);
	return rc;
}

/**
 * cxlflash_set_lun_mode() - switch between external and internal LUNs
 * @cfg: adapter.
 * @mode: 0 (the LUNs behind the FC ports) or 1-4 (internal LUNs).
 *
 * The SCSI devices of the old configuration are removed while I/O still
 * flows, the AFU is restarted in @mode through the regular reset, and the
 * channels of the new configuration (only channel 0 with internal LUNs)
 * are scanned before returning.  Refused while user contexts exist: the
 * historical driver reset the AFU under them without draining ioctls or
 * putting the contexts in error.  Sleeps; lun_mode_mutex held.
 *
 * Return: 0; -EBUSY when the adapter is not running or user contexts
 * exist (nothing changed, the devices are scanned again); the restart's
 * error (the adapter has failed).
 */
int cxlflash_set_lun_mode(struct cxlflash_cfg *cfg, u32 mode)
{
	struct Scsi_Host *host = cfg->host;
	unsigned int ch;
	int rc;

	lockdep_assert_held(&cfg->lun_mode_mutex);
	if (READ_ONCE(cfg->state) != STATE_NORMAL || user_contexts_exist(cfg))
		return -EBUSY;

	dev_info(cfg->dev, "lun_mode %u -> %u\n", cfg->afu->internal_lun, mode);
	remove_all_devices(host);
	rc = reset_lun_mode(cfg, mode);
	if (READ_ONCE(cfg->state) != STATE_NORMAL)
		return rc;

	/* a scan that raced with the removal found the old LUNs */
	remove_all_devices(host);
	for (ch = 0; ch <= host->max_channel; ch++)
		scsi_scan_target(&host->shost_gendev, ch, 0, SCAN_WILD_CARD,
				 SCSI_SCAN_RESCAN);
	return rc;
}

/**
 * cxlflash_retire() - take the adapter out of service for removal
 * @cfg: adapter.
 *
 * Waits for resets (running or scheduled) and LUN resets to finish, then
 * enters STATE_FAILTERM, so that nothing starts a reset afterwards.
 */
void cxlflash_retire(struct cxlflash_cfg *cfg)
{
	enum cxlflash_state was;

	do {
		wait_event(cfg->reset_waitq,
			   READ_ONCE(cfg->state) != STATE_RESET);
		async_synchronize_cookie(cfg->reset_cookie + 1);
		was = cmpxchg(&cfg->state, STATE_NORMAL, STATE_FAILTERM);
	} while (was == STATE_RESET);
	wake_up_all(&cfg->reset_waitq);

	wait_event(cfg->tmf_waitq, !READ_ONCE(cfg->tmf_active));
}

/* ---------------------------------------------------------------------- */
/* LUN reset                                                              */
/* ---------------------------------------------------------------------- */

/* Count a TMF in (@start) or out; the last one out wakes the waiters. */
static void tmf_mark(struct cxlflash_cfg *cfg, bool start)
{
	unsigned long flags;
	unsigned int left;

	spin_lock_irqsave(&cfg->tmf_lock, flags);
	left = cfg->tmf_active + (start ? 1 : -1);
	WRITE_ONCE(cfg->tmf_active, left);
	spin_unlock_irqrestore(&cfg->tmf_lock, flags);
	if (!left)
		wake_up_all(&cfg->tmf_waitq);
}

/*
 * A TMF for @sdev on the primary queue.  New SCSI commands are bounced
 * while it runs; internal commands are serialised, so at most one TMF is
 * with the AFU at a time.
 *
 * Return: 0, -ETIMEDOUT, -EAGAIN (dropped by a context reset), -EIO,
 * -EBUSY (could not be posted).
 */
static int lun_tmf(struct cxlflash_cfg *cfg, struct scsi_device *sdev,
		   u64 code)
{
	struct sisl_ioarcb rcb = {
		.req_flags = SISL_REQ_FLAGS_PORT_LUN_ID |
			     SISL_REQ_FLAGS_SUP_UNDERRUN |
			     SISL_REQ_FLAGS_TMF_CMD,
		.port_sel = BIT(sdev->channel),
		.lun_id = lun_to_lunid(sdev->lun),
	};
	int rc;

	/* the TMF code is a host-endian u64 in cdb[0..7] */
	memcpy(rcb.cdb, &code, sizeof(code));

	tmf_mark(cfg, true);
	rc = cxlflash_icmd_run(cfg->afu, &rcb,
			       msecs_to_jiffies(CXLFLASH_TMF_TIMEOUT_MS));
	tmf_mark(cfg, false);

	switch (rc) {
	case -ECANCELED:
		return -EAGAIN;
	case -ENOBUFS:
		return -EBUSY;
	default:
		return rc;
	}
}

/* ---------------------------------------------------------------------- */
/* SCSI error handlers                                                    */
/* ---------------------------------------------------------------------- */

/* There is no single-command abort: the command's context is reset. */
int cxlflash_eh_abort(struct scsi_cmnd *scp)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(scp->device->host);
	struct afu *afu = cfg->afu;
	struct hwq *hwq = sc_to_cmd(scp)->hwq;

	dev_info(cfg->dev, "abort: op=%02x tag=%d\n", scp->cmnd[0],
		 scsi_cmd_to_rq(scp)->tag);

	if (READ_ONCE(cfg->state) != STATE_NORMAL)
		return FAILED;
	if (!hwq || hwq->index >= afu->num_hwqs)
		hwq = get_hwq(afu, PRIMARY_HWQ);
	return cxlflash_hwq_reset(hwq) ? FAILED : SUCCESS;
}

int cxlflash_eh_device_reset(struct scsi_cmnd *scp)
{
	struct scsi_device *sdev = scp->device;
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);

	dev_info(cfg->dev, "device reset %d:%d:%llu\n", sdev->channel,
		 sdev->id, sdev->lun);

	/* a LUN reset needs a running adapter; one being reset will be */
	if (cxlflash_wait_for_reset(cfg, false))
		return FAILED;
	return lun_tmf(cfg, sdev, SISL_TMF_LUN_RESET) ? FAILED : SUCCESS;
}

int cxlflash_eh_host_reset(struct scsi_cmnd *scp)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(scp->device->host);

	dev_info(cfg->dev, "host reset\n");

	if (reset_claim(cfg))
		return reset_run(cfg) ? FAILED : SUCCESS;
	/* somebody else is resetting it, or it is out of service */
	return cxlflash_wait_for_reset(cfg, false) ? FAILED : SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* Asynchronous AFU events                                                */
/* ---------------------------------------------------------------------- */

/*
 * aintr_status gives each port one byte lane: ports 0 and 1 are bytes 1
 * and 0 (bank 0), ports 2 and 3 bytes 3 and 2 (bank 1).
 */
static u8 port_lane(u64 status, int port)
{
	int shift = 16 * (port / CXLFLASH_NUM_FC_PORTS_PER_BANK) +
		    ((port % CXLFLASH_NUM_FC_PORTS_PER_BANK) ? 0 : 8);

	return (status >> shift) & 0xff;
}

irqreturn_t cxlflash_async_err_irq(int irq, void *data)
{
	struct hwq *hwq = data;
	struct cxlflash_cfg *cfg = hwq->afu->parent;
	struct sisl_global_regs __iomem *g = &hwq->afu->afu_map->global.regs;
	u64 status = cxl_readq(&g->aintr_status);
	u64 events = status & SISL_ASTATUS_UNMASK;
	bool work = false;
	u8 lane;
	int port;

	if (!events) {
		dev_err(cfg->dev, "spurious asynchronous interrupt %016llx\n",
			status);
		return IRQ_HANDLED;
	}

	/* acknowledge first: an event arriving from now on is not lost */
	cxl_writeq(events, &g->aintr_clear);

	for (port = 0; port < CXLFLASH_MAX_FC_PORTS; port++) {
		lane = port_lane(events, port);
		if (!lane)
			continue;
		if (port >= cfg->num_fc_ports) {
			dev_dbg(cfg->dev, "events %02x for absent port %d\n",
				lane, port);
			continue;
		}
		work |= cxlflash_port_event(cfg, port, lane);
	}

	if (work)
		schedule_work(&cfg->event_work);
	return IRQ_HANDLED;
}

/* What the interrupt could not do: link resets owed, then one rescan. */
void cxlflash_event_work(struct work_struct *work)
{
	struct cxlflash_cfg *cfg = container_of(work, struct cxlflash_cfg,
						event_work);
	int port;

	if (READ_ONCE(cfg->state) != STATE_NORMAL)
		return;

	for (port = 0; port < cfg->num_fc_ports; port++) {
		if (test_and_clear_bit(port, &cfg->lr_ports))
			cxlflash_port_bounce(cfg, port);
	}

	if (atomic_xchg(&cfg->scan_needed, 0))
		scsi_scan_host(cfg->host);
}
