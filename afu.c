// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: bringing the AFU up and down.
 *
 * Start: open a master context per hardware queue (the first one resets
 * the AFU), map the problem-state area through the first, learn what the
 * AFU is (version, command mode, ports), then program it: every context's
 * provisioning cleared, the global configuration, the ports, the routing
 * of asynchronous events, and per queue its rings, capabilities and
 * interrupts.  The queues go live last, and the LUN tables are restored.
 *
 * Stop is the reverse: interrupts first (no handler may touch the PSA
 * once it is unmapped), wait for posts in progress, unmap the PSA, stop
 * the contexts, and finish whatever was still inflight as dropped.
 */

#include <linux/delay.h>
#include <linux/slab.h>

#include "core.h"

/* The interrupts of a master context, in LISN order */
static const struct {
	unsigned int lisn;
	irq_handler_t handler;
	const char *name;
} hwq_irqs[] = {
	{ SISL_MSI_SYNC_ERROR,  cxlflash_sync_err_irq,  "SISL_MSI_SYNC_ERROR" },
	{ SISL_MSI_RRQ_UPDATED, cxlflash_rrq_irq,       "SISL_MSI_RRQ_UPDATED" },
	{ SISL_MSI_ASYNC_ERROR, cxlflash_async_err_irq, "SISL_MSI_ASYNC_ERROR" },
};

/* Only the primary queue takes the AFU's asynchronous events */
static u32 hwq_nr_irqs(struct hwq *hwq)
{
	return hwq->index == PRIMARY_HWQ ? 3 : 2;
}

static void hwq_irqs_unmap(struct cxlflash_cfg *cfg, struct hwq *hwq, void *ctx)
{
	while (hwq->irqs_mapped)
		cfg->ops->unmap_afu_irq(ctx, hwq_irqs[--hwq->irqs_mapped].lisn,
					hwq);
}

static int hwq_irqs_map(struct cxlflash_cfg *cfg, struct hwq *hwq, void *ctx)
{
	u32 n = hwq_nr_irqs(hwq);
	int rc;

	rc = cfg->ops->allocate_afu_irqs(ctx, n);
	if (rc) {
		dev_err(cfg->dev, "cannot allocate %u AFU interrupts: %d\n",
			n, rc);
		return rc;
	}

	for (hwq->irqs_mapped = 0; hwq->irqs_mapped < n; hwq->irqs_mapped++) {
		rc = cfg->ops->map_afu_irq(ctx, hwq_irqs[hwq->irqs_mapped].lisn,
					   hwq_irqs[hwq->irqs_mapped].handler,
					   hwq, hwq_irqs[hwq->irqs_mapped].name);
		if (rc) {
			hwq_irqs_unmap(cfg, hwq, ctx);
			cfg->ops->free_afu_irqs(ctx);
			return rc;
		}
	}
	return 0;
}

static void hwq_irqs_release(struct cxlflash_cfg *cfg, struct hwq *hwq)
{
	if (!hwq->irqs_mapped)
		return;
	hwq_irqs_unmap(cfg, hwq, hwq->ctx_cookie);
	cfg->ops->free_afu_irqs(hwq->ctx_cookie);
}

static void hwq_release_ctx(struct cxlflash_cfg *cfg, struct hwq *hwq,
			    void *ctx)
{
	/* the primary context belongs to the AFU provider */
	if (hwq->index != PRIMARY_HWQ)
		cfg->ops->release_context(ctx);
}

/* Get, claim and start the master context of @hwq, with its interrupts. */
static int hwq_open(struct cxlflash_cfg *cfg, struct hwq *hwq)
{
	const struct cxlflash_backend_ops *ops = cfg->ops;
	bool primary = hwq->index == PRIMARY_HWQ;
	void *ctx;
	int rc;

	ctx = primary ? ops->get_context(cfg->adev) :
			ops->dev_context_init(cfg->adev);
	if (IS_ERR_OR_NULL(ctx)) {
		rc = ctx ? PTR_ERR(ctx) : -ENOMEM;
		dev_err(cfg->dev, "no master context for queue %u: %d\n",
			hwq->index, rc);
		return rc;
	}
	ops->set_master(ctx);

	if (primary) {
		rc = ops->afu_reset(ctx);
		if (rc) {
			dev_err(cfg->dev, "AFU reset failed: %d\n", rc);
			goto err_ctx;
		}
	}

	rc = hwq_irqs_map(cfg, hwq, ctx);
	if (rc)
		goto err_ctx;

	rc = ops->start_context(ctx);
	if (rc) {
		dev_err(cfg->dev, "cannot start master context: %d\n", rc);
		hwq_irqs_unmap(cfg, hwq, ctx);
		ops->free_afu_irqs(ctx);
		goto err_ctx;
	}

	hwq->ctx_cookie = ctx;
	return 0;

err_ctx:
	hwq_release_ctx(cfg, hwq, ctx);
	return rc;
}

/* Stop the context of @hwq (interrupts already gone) and empty it. */
static void hwq_close(struct cxlflash_cfg *cfg, struct hwq *hwq)
{
	if (!hwq->ctx_cookie)
		return;

	hwq_irqs_release(cfg, hwq);
	cfg->ops->stop_context(hwq->ctx_cookie);
	hwq_release_ctx(cfg, hwq, hwq->ctx_cookie);
	hwq->ctx_cookie = NULL;

	cxlflash_hwq_offline(hwq);
}

/* ---------------------------------------------------------------------- */
/* Programming a freshly reset AFU                                        */
/* ---------------------------------------------------------------------- */

static void reg_set(__be64 __iomem *reg, u64 val)
{
	cxl_writeq(val, reg);
}

static u64 reg_ea(const void *p)
{
	return (u64)(uintptr_t)p;
}

/* Where a queue's context lives in the PSA, and its rings */
static void hwq_place(struct afu *afu, struct hwq *hwq)
{
	int pe = afu->parent->ops->process_element(hwq->ctx_cookie);

	hwq->ctx_hndl = (ctx_hndl_t)pe;
	hwq->host_map = &afu->afu_map->hosts[pe].host;
	hwq->ctrl_map = cxlflash_ctrl_map(afu, pe);
	cxlflash_hwq_init_rings(hwq);

	hwq->polled = afu->irqpoll_weight > 0;
	if (hwq->polled)
		irq_poll_init(&hwq->irqpoll, afu->irqpoll_weight,
			      cxlflash_irqpoll);
}

/* Global configuration and the routing of asynchronous events */
static void afu_program_global(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	struct sisl_global_regs __iomem *g = &afu->afu_map->global.regs;
	struct hwq *primary = get_hwq(afu, PRIMARY_HWQ);
	u64 route;
	int pe;

	/* no user context of a previous master survives */
	for (pe = 0; pe < MAX_CONTEXT; pe++) {
		struct sisl_ctrl_map __iomem *c = cxlflash_ctrl_map(afu, pe);

		reg_set(&c->rht_start, 0);
		reg_set(&c->rht_cnt_id, 0);
		reg_set(&c->ctx_cap, 0);
	}

	reg_set(&g->afu_config, cxl_readq(&g->afu_config) |
		SISL_AFUCONF_AR_ALL | SISL_AFUCONF_ENDIAN);
	reg_set(&g->afu_port_sel, afu->internal_lun ? SISL_PORT_MASK(1) :
		SISL_PORT_MASK(cfg->num_fc_ports));
	cxlflash_ports_setup(cfg);

	/*
	 * async events: LISN 3 of the primary context, all sources enabled;
	 * with the internal-LUN bit the AFU serves its own LUNs on port 0
	 */
	route = (u64)((primary->ctx_hndl << 8) | SISL_MSI_ASYNC_ERROR) << 40;
	if (afu->internal_lun)
		route |= SISL_AFU_CTRL_INTERNAL_LUN;
	reg_set(&g->aintr_mask, ~0ULL);
	reg_set(&g->afu_ctrl, route);
	reg_set(&g->aintr_clear, ~0ULL);
	reg_set(&g->aintr_mask, SISL_ASTATUS_MASK);
	reg_set(&g->aintr_clear, ~0ULL);
}

/* One queue's transport: endianness, rings, capabilities, interrupts */
static void hwq_program(struct afu *afu, struct hwq *hwq)
{
	struct sisl_host_map __iomem *h = hwq->host_map;
	struct sisl_ctrl_map __iomem *c = hwq->ctrl_map;
	u64 ctl;

	reg_set(&h->endian_ctrl, SISL_ENDIAN_CTRL);
	reg_set(&h->rrq_start, reg_ea(&hwq->rrq[0]));
	reg_set(&h->rrq_end, reg_ea(&hwq->rrq[CXLFLASH_RING_SLOTS - 1]));
	if (afu->sq_mode) {
		reg_set(&h->sq_start, reg_ea(&hwq->sq[0]));
		reg_set(&h->sq_end, reg_ea(&hwq->sq[CXLFLASH_RING_SLOTS - 1]));
	}

	/* a master may issue anything; reading mbox_r unlocks ctx_cap */
	cxl_readq(&c->mbox_r);
	reg_set(&c->ctx_cap, SISL_CTX_CAP_REAL_MODE | SISL_CTX_CAP_HOST_XLATE |
		SISL_CTX_CAP_READ_CMD | SISL_CTX_CAP_WRITE_CMD |
		SISL_CTX_CAP_AFU_CMD | SISL_CTX_CAP_GSCSI_CMD);

	/* sync errors to LISN 1; the upper bits of ctx_ctrl are capabilities */
	ctl = cxl_readq(&h->ctx_ctrl);
	if (hwq->index == PRIMARY_HWQ)
		afu->parent->ws_unmap = !!(ctl & SISL_CTX_CTRL_UNMAP_SECTOR);
	reg_set(&h->ctx_ctrl, (ctl & ~SISL_CTX_CTRL_LISN_MASK) |
		SISL_MSI_SYNC_ERROR);
	reg_set(&h->intr_mask, SISL_ISTATUS_MASK);

	hwq->room = cxl_readq(&h->cmd_room);
}

static void hwq_go_live(struct hwq *hwq)
{
	unsigned long flags;

	spin_lock_irqsave(&hwq->sq_lock, flags);
	WRITE_ONCE(hwq->online, true);
	spin_unlock_irqrestore(&hwq->sq_lock, flags);
}

/* What the AFU says it is; fails for one we cannot drive. */
static int afu_identify(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	struct sisl_global_regs __iomem *g = &afu->afu_map->global.regs;
	u64 caps, ports, raw;

	/* eight ASCII characters, in memory order */
	raw = __raw_readq(&g->afu_version);
	memcpy(afu->version, &raw, sizeof(raw));
	afu->version[sizeof(raw)] = '\0';

	afu->interface_version = cxl_readq(&g->interface_version);
	if (afu->interface_version == U64_MAX) {
		dev_err(cfg->dev, "back level AFU, interface version unreadable\n");
		return -EINVAL;
	}

	caps = afu->interface_version >> SISL_INTVER_CAP_SHIFT;
	if (caps & SISL_INTVER_CAP_SQ_CMD_MODE) {
		afu->sq_mode = true;
	} else if (caps & SISL_INTVER_CAP_IOARRIN_CMD_MODE) {
		afu->sq_mode = false;
	} else {
		dev_err(cfg->dev, "AFU offers no command mode, interface %016llx\n",
			afu->interface_version);
		return -EINVAL;
	}

	ports = cxl_readq(&g->afu_port_sel);
	cfg->num_fc_ports = ports ? min(fls64(ports), CXLFLASH_MAX_FC_PORTS) :
				    CXLFLASH_NUM_FC_PORTS_PER_BANK;
	/* internal LUNs are all on port 0 */
	cfg->host->max_channel = afu->internal_lun ? 0 : cfg->num_fc_ports - 1;

	dev_info(cfg->dev, "AFU version %s, interface %016llx, %d ports, %s mode, %u hwqs\n",
		 afu->version, afu->interface_version, cfg->num_fc_ports,
		 afu->sq_mode ? "SQ" : "IOARRIN", afu->num_hwqs);
	return 0;
}

static void afu_close_hwqs(struct cxlflash_cfg *cfg, u32 n)
{
	while (n--)
		hwq_close(cfg, get_hwq(cfg->afu, n));
}

/**
 * cxlflash_afu_start() - bring the AFU up with afu->desired_hwqs queues
 * @cfg: adapter.
 *
 * Return: 0 or a negative errno; on failure nothing is left running.
 */
int cxlflash_afu_start(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	u32 i;
	int rc;

	afu->num_hwqs = afu->desired_hwqs;
	for (i = 0; i < afu->num_hwqs; i++) {
		rc = hwq_open(cfg, get_hwq(afu, i));
		if (rc) {
			afu_close_hwqs(cfg, i);
			return rc;
		}
	}

	afu->afu_map = cfg->ops->psa_map(get_hwq(afu, PRIMARY_HWQ)->ctx_cookie);
	if (!afu->afu_map) {
		dev_err(cfg->dev, "cannot map the problem-state area\n");
		rc = -ENOMEM;
		goto err_hwqs;
	}

	rc = afu_identify(cfg);
	if (rc)
		goto err_unmap;

	for (i = 0; i < afu->num_hwqs; i++)
		hwq_place(afu, get_hwq(afu, i));
	afu_program_global(cfg);
	for (i = 0; i < afu->num_hwqs; i++)
		hwq_program(afu, get_hwq(afu, i));
	for (i = 0; i < afu->num_hwqs; i++)
		hwq_go_live(get_hwq(afu, i));

	cxlflash_restore_luntable(cfg);
	return 0;

err_unmap:
	cfg->ops->psa_unmap(afu->afu_map);
	afu->afu_map = NULL;
err_hwqs:
	afu_close_hwqs(cfg, afu->num_hwqs);
	return rc;
}

/**
 * cxlflash_afu_stop() - take the AFU down
 * @cfg: adapter; nothing may post any more (state not NORMAL).
 */
void cxlflash_afu_stop(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	struct hwq *hwq;
	u32 i;

	for (i = afu->num_hwqs; i-- > 0;) {
		hwq = get_hwq(afu, i);
		if (hwq->ctx_cookie)
			hwq_irqs_release(cfg, hwq);
	}

	while (atomic_read(&afu->posting))
		msleep(20);

	for (i = 0; i < afu->num_hwqs; i++) {
		hwq = get_hwq(afu, i);
		if (hwq->polled) {
			irq_poll_disable(&hwq->irqpoll);
			hwq->polled = false;
		}
	}

	if (afu->afu_map) {
		cfg->ops->psa_unmap(afu->afu_map);
		afu->afu_map = NULL;
	}

	afu_close_hwqs(cfg, afu->num_hwqs);
}

/**
 * cxlflash_afu_alloc() - the AFU object and all its possible queues
 * @cfg: adapter.
 *
 * Return: 0 or -ENOMEM.
 */
int cxlflash_afu_alloc(struct cxlflash_cfg *cfg)
{
	struct afu *afu;
	struct hwq *hwq;
	int i;

	afu = kzalloc(sizeof(*afu), GFP_KERNEL);
	if (!afu)
		return -ENOMEM;
	afu->parent = cfg;
	cfg->afu = afu;

	/* preallocated: a translation sync must not fail for memory */
	afu->icmd = kzalloc(sizeof(*afu->icmd), GFP_KERNEL);
	if (!afu->icmd)
		goto err;

	for (i = 0; i < CXLFLASH_MAX_HWQS; i++) {
		hwq = kzalloc(sizeof(*hwq), GFP_KERNEL);
		if (!hwq)
			goto err;
		hwq->afu = afu;
		hwq->index = i;
		spin_lock_init(&hwq->sq_lock);
		spin_lock_init(&hwq->rrq_lock);
		INIT_LIST_HEAD(&hwq->inflight);
		afu->hwqs[i] = hwq;
	}

	mutex_init(&afu->icmd_mutex);
	afu->desired_hwqs = 1;
	afu->steer = STEER_RR;
	return 0;

err:
	cxlflash_afu_free(cfg);
	return -ENOMEM;
}

void cxlflash_afu_free(struct cxlflash_cfg *cfg)
{
	struct afu *afu = cfg->afu;
	int i;

	if (!afu)
		return;
	for (i = 0; i < CXLFLASH_MAX_HWQS; i++)
		kfree(afu->hwqs[i]);
	kfree(afu->icmd);
	kfree(afu);
	cfg->afu = NULL;
}
