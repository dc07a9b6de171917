// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: the emulated AFU, its registers and its life cycle.
 *
 * An adapter owns a problem-state area (PSA) laid out as struct
 * cxlflash_afu_map, in ordinary vmalloc memory that the driver accesses as
 * MMIO and user contexts map through their adapter fd.  A store to that
 * memory cannot be trapped, so one engine thread per adapter (engine.c)
 * polls the doorbells of the started contexts: IOARRIN and the SQ tail.
 * It executes each command synchronously, in order (exec.c), against the
 * fabric (lun.c), writes the IOASA and the RRQ entry and raises the
 * requested LISN.
 *
 * This file: the PSA's initial register values and the AFU reset, access
 * to a context's host memory, the interrupt domain and the raising of
 * interrupts, the adapter's life cycle, and the fault knobs of debugfs.
 */
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "sim.h"

/*
 * Identification.  interface_version carries the command-mode capabilities
 * in its upper 32 bits, major 1 in bits 16-31 and minor 0 in bits 0-15.
 */
#define SIM_AFU_VERSION		"SIMAFU01"
#define SIM_INTVER_MAJOR	1ULL
#define SIM_INTVER_MINOR	0ULL
#define SIM_WWPN_BASE		0x5005076000000000ULL
#define SIM_LUNS_PER_PORT	512

static struct device *sim_root;
static DEFINE_IDA(sim_adapter_ida);

/* ---------------------------------------------------------------------- */
/* Registers of the global map                                             */
/* ---------------------------------------------------------------------- */

__be64 *sim_fc_regs(struct sim_adapter *a, unsigned int port)
{
	struct sisl_global_map *g = &a->map->global;

	if (port < CXLFLASH_NUM_FC_PORTS_PER_BANK)
		return g->fc_regs0[port];
	return g->fc_regs1[port - CXLFLASH_NUM_FC_PORTS_PER_BANK];
}

static u64 sim_wwpn(struct sim_adapter *a, unsigned int port)
{
	return SIM_WWPN_BASE | ((u64)a->index << 8) | port;
}

/* Shift of a port's byte in aintr_status: 1, 0, 3, 2 from the bottom. */
static unsigned int sim_astatus_shift(unsigned int port)
{
	return (port ^ 1) * 8;
}

/*
 * AFU-format LUN id (the 8-byte SAM LUN read as a big-endian u64) to the
 * SCSI LUN number: the same level-swapping Linux applies to a struct
 * scsi_lun, so Linux LUN 1 is 0x0001000000000000.
 */
u64 sim_lun_from_afu(u64 afu_lun)
{
	u64 lun = 0;
	int i;

	for (i = 0; i < 4; i++)
		lun |= ((afu_lun >> (48 - 16 * i)) & 0xffff) << (16 * i);
	return lun;
}

/* ---------------------------------------------------------------------- */
/* PSA initialisation                                                      */
/* ---------------------------------------------------------------------- */

/* Reset the host and control maps of one context; adapter lock held. */
void sim_ctx_init_maps(struct sim_adapter *a, unsigned int id)
{
	struct sisl_host_map *h = &a->map->hosts[id].host;

	memset(&a->map->hosts[id], 0, sizeof(a->map->hosts[id]));
	memset(&a->map->ctrls[id], 0, sizeof(a->map->ctrls[id]));
	/* IOARRIN is a one-entry mailbox, see sim_ctx_run() */
	sim_wr(&h->cmd_room, 1);
	sim_wr(&h->ctx_ctrl, SISL_CTX_CTRL_UNMAP_SECTOR);
}

/*
 * The LUNs the AFU serves: the fabric behind the ports, or with the
 * internal-LUN bit of afu_ctrl the layout port 0's FC_CONFIG2 selects
 * (intlun.c).  Read per command: the driver programs both registers
 * after an AFU reset, before its queues go live.
 */
struct sim_fabric *sim_active_fabric(struct sim_adapter *a)
{
	u64 field;

	if (!(sim_rd(&a->map->global.regs.afu_ctrl) &
	      SISL_AFU_CTRL_INTERNAL_LUN))
		return &a->fab;
	field = (sim_rd(&sim_fc_regs(a, 0)[FC_CONFIG2 / 8]) &
		 SISL_FC_INTERNAL_UNMASK) >> SISL_FC_INTERNAL_SHIFT;
	return &a->ifab[field];
}

void sim_update_port_stats(struct sim_adapter *a)
{
	struct sim_fabric *fab = sim_active_fabric(a);
	unsigned int p;
	u64 nluns, cap;

	for (p = 0; p < a->cfg.nports; p++) {
		__be64 *r = sim_fc_regs(a, p);

		sim_fabric_port_stats(fab, p, &nluns, &cap);
		sim_wr(&r[FC_CUR_NUM_LUNS / 8], nluns);
		sim_wr(&r[FC_CUR_CAP_PORT / 8], cap);
	}
}

static void sim_init_regs(struct sim_adapter *a)
{
	struct sisl_global_regs *g = &a->map->global.regs;
	u64 intver = (SIM_INTVER_MAJOR << 16) | SIM_INTVER_MINOR;
	unsigned int i, p;

	memset(a->map, 0, sizeof(*a->map));
	for (i = 0; i < SISL_MAX_CONTEXT; i++)
		sim_ctx_init_maps(a, i);

	/* eight ASCII bytes, stored without a byte swap */
	memcpy(&g->afu_version, SIM_AFU_VERSION, sizeof(g->afu_version));
	if (a->cfg.ioarrin_mode)
		intver |= SISL_INTVER_CAP_IOARRIN_CMD_MODE << SISL_INTVER_CAP_SHIFT;
	if (a->cfg.sq_mode)
		intver |= SISL_INTVER_CAP_SQ_CMD_MODE << SISL_INTVER_CAP_SHIFT;
	intver |= sim_hostcmd_caps(a);
	sim_wr(&g->interface_version, intver);
	sim_wr(&g->afu_port_sel, SISL_PORT_MASK(a->cfg.nports));
	sim_wr(&g->aintr_mask, ~0ULL);

	for (p = 0; p < a->cfg.nports; p++) {
		__be64 *r = sim_fc_regs(a, p);

		sim_wr(&r[FC_MTIP_STATUS / 8], test_bit(p, &a->link_down) ?
		       FC_MTIP_STATUS_OFFLINE : FC_MTIP_STATUS_ONLINE);
		sim_wr(&r[FC_PNAME / 8], sim_wwpn(a, p));
		sim_wr(&r[FC_MAX_NUM_LUNS / 8], SIM_LUNS_PER_PORT);
		sim_wr(&r[FC_MAX_CAP_PORT / 8], ~0ULL >> 16);
	}
	sim_update_port_stats(a);
}

/*
 * AFU reset; adapter lock held.  User contexts are terminated (their fd
 * reads return -EIO), master contexts stay started with fresh registers.
 */
int sim_afu_reset_locked(struct sim_adapter *a)
{
	struct sim_ctx *ctx, *tmp;
	unsigned int i;

	list_for_each_entry_safe(ctx, tmp, &a->started, node) {
		if (!ctx->kernel)
			sim_ctx_stop_locked(ctx);
	}

	for (i = 0; i < SISL_MAX_CONTEXT; i++) {
		ctx = a->ctxs[i];
		if (!ctx)
			continue;
		ctx->error = false;
		ctx->rrq_start = 0;
		ctx->rrq_end = 0;
		ctx->rrq_cur = 0;
		ctx->toggle = SISL_RESP_HANDLE_T_BIT;
		ctx->sq_start = 0;
		ctx->sq_end = 0;
		ctx->sq_head = 0;
	}

	spin_lock(&a->async_lock);
	a->pending_async = 0;
	spin_unlock(&a->async_lock);
	a->afu_error = false;
	sim_init_regs(a);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Host memory                                                             */
/* ---------------------------------------------------------------------- */

/*
 * Kernel contexts pass kernel virtual addresses.  The driver is trusted,
 * but a stray address must not bring the machine down: probe both ends
 * of a range before touching it (this rejects user addresses too).
 */
int sim_kernel_probe(u64 ea, size_t n)
{
	char c;

	if (!n)
		return 0;
	if (ea + n < ea)
		return -EFAULT;
	if (copy_from_kernel_nofault(&c, (const void *)(uintptr_t)ea, 1) ||
	    copy_from_kernel_nofault(&c, (const void *)(uintptr_t)(ea + n - 1), 1))
		return -EFAULT;
	return 0;
}

/* Read @n bytes at @ea in @ctx's address space (its mm is in use). */
int sim_host_read(struct sim_ctx *ctx, u64 ea, void *dst, size_t n)
{
	if (ctx->kernel)
		return copy_from_kernel_nofault(dst, (const void *)(uintptr_t)ea,
						n) ? -EFAULT : 0;
	return copy_from_user(dst, u64_to_user_ptr(ea), n) ? -EFAULT : 0;
}

int sim_host_write(struct sim_ctx *ctx, u64 ea, const void *src, size_t n)
{
	if (ctx->kernel) {
		if (sim_kernel_probe(ea, n))
			return -EFAULT;
		memcpy((void *)(uintptr_t)ea, src, n);
		return 0;
	}
	return copy_to_user(u64_to_user_ptr(ea), src, n) ? -EFAULT : 0;
}

int sim_host_write_u64(struct sim_ctx *ctx, u64 ea, u64 val)
{
	if (ctx->kernel) {
		if (sim_kernel_probe(ea, sizeof(val)))
			return -EFAULT;
		WRITE_ONCE(*(u64 *)(uintptr_t)ea, val);
		return 0;
	}
	return put_user(val, (u64 __user *)u64_to_user_ptr(ea));
}

int sim_xfer_to_host(struct sim_xfer *x, u32 off, const void *src, u32 n)
{
	if (off >= x->len)
		return 0;
	n = min(n, x->len - off);
	if (!n)
		return 0;
	if (x->kbuf)
		memcpy(x->kbuf + off, src, n);
	else if (!x->ubuf || copy_to_user(x->ubuf + off, src, n))
		return -EFAULT;
	x->done = max(x->done, off + n);
	return 0;
}

int sim_xfer_from_host(struct sim_xfer *x, u32 off, void *dst, u32 n)
{
	if (off > x->len || n > x->len - off)
		return -EINVAL;
	if (!n)
		return 0;
	if (x->kbuf)
		memcpy(dst, x->kbuf + off, n);
	else if (!x->ubuf || copy_from_user(dst, x->ubuf + off, n))
		return -EFAULT;
	x->done = max(x->done, off + n);
	return 0;
}

int sim_xfer_zero_host(struct sim_xfer *x, u32 off, u32 n)
{
	if (off >= x->len)
		return 0;
	n = min(n, x->len - off);
	if (!n)
		return 0;
	if (x->kbuf)
		memset(x->kbuf + off, 0, n);
	else if (!x->ubuf || clear_user(x->ubuf + off, n))
		return -EFAULT;
	x->done = max(x->done, off + n);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Interrupts                                                              */
/* ---------------------------------------------------------------------- */

static int sim_irq_map(struct irq_domain *d, unsigned int virq,
		       irq_hw_number_t hw)
{
	irq_set_chip_and_handler(virq, &dummy_irq_chip, handle_simple_irq);
	irq_set_noprobe(virq);
	return 0;
}

static void sim_irq_unmap(struct irq_domain *d, unsigned int virq)
{
	irq_set_chip_and_handler(virq, NULL, NULL);
}

static const struct irq_domain_ops sim_irq_domain_ops = {
	.map	= sim_irq_map,
	.unmap	= sim_irq_unmap,
};

/*
 * Raise LISN @lisn of @ctx: a master context's handler runs right here
 * with interrupts disabled, as from a real interrupt; a user context gets
 * an event on its adapter fd.
 */
void sim_raise(struct sim_ctx *ctx, unsigned int lisn)
{
	if (!lisn)
		return;
	if (ctx->kernel) {
		if (lisn < SIM_LISN_MAX && ctx->virq[lisn])
			generic_handle_domain_irq_safe(ctx->a->domain,
						       ctx->id * SIM_LISN_MAX + lisn);
		return;
	}
	sim_ctx_raise_user(ctx, lisn);
}

/* Synchronous (context) error: set intr_status bits, raise the LISN. */
void sim_sync_error(struct sim_ctx *ctx, u64 bits)
{
	struct sisl_host_map *h = &ctx->a->map->hosts[ctx->id].host;
	u64 status = sim_rd(&h->intr_status) | bits;

	sim_wr(&h->intr_status, status);
	if (bits & ~sim_rd(&h->intr_mask))
		sim_raise(ctx, sim_rd(&h->ctx_ctrl) & SISL_CTX_CTRL_LISN_MASK);
}

/* Raise the async LISN on the context named by afu_ctrl. */
void sim_raise_async(struct sim_adapter *a)
{
	u64 ctrl = sim_rd(&a->map->global.regs.afu_ctrl);
	unsigned int id = ctrl >> 48;
	struct sim_ctx *ctx;

	if (id >= SISL_MAX_CONTEXT)
		return;
	ctx = a->ctxs[id];
	if (ctx && ctx->kernel && ctx->state == SIM_CTX_STARTED)
		sim_raise(ctx, (ctrl >> 40) & 0xff);
}

/* ---------------------------------------------------------------------- */
/* Adapter life cycle                                                      */
/* ---------------------------------------------------------------------- */

static void sim_adapter_free(struct kref *kref)
{
	struct sim_adapter *a = container_of(kref, struct sim_adapter, kref);

	if (a->primary)
		sim_ctx_free_primary(a->primary);
	if (a->engine)
		put_task_struct(a->engine);
	if (a->domain)
		irq_domain_remove(a->domain);
	if (a->fwnode)
		irq_domain_free_fwnode(a->fwnode);
	vfree(a->map);
	sim_hostcmd_free(a);
	ida_destroy(&a->ctx_ida);
	ida_free(&sim_adapter_ida, a->index);
	kfree(a);
}

void sim_adapter_put(struct sim_adapter *a)
{
	kref_put(&a->kref, sim_adapter_free);
}

static void sim_aux_release(struct device *dev)
{
	struct auxiliary_device *adev = to_auxiliary_dev(dev);
	struct sim_adapter *a = container_of(adev, struct sim_adapter, aux.adev);

	sim_adapter_put(a);
}

struct sim_adapter *sim_adapter_alloc(const char *name,
				      const struct sim_adapter_config *cfg)
{
	struct sim_adapter *a;
	int rc;

	if (!cfg->nports || cfg->nports > CXLFLASH_MAX_FC_PORTS)
		return ERR_PTR(-EINVAL);

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return ERR_PTR(-ENOMEM);
	rc = ida_alloc(&sim_adapter_ida, GFP_KERNEL);
	if (rc < 0) {
		kfree(a);
		return ERR_PTR(rc);
	}
	a->index = rc;
	kref_init(&a->kref);
	strscpy(a->name, name, sizeof(a->name));
	a->cfg = *cfg;
	if (!a->cfg.sq_mode && !a->cfg.ioarrin_mode)
		a->cfg.ioarrin_mode = true;
	mutex_init(&a->lock);
	INIT_LIST_HEAD(&a->started);
	ida_init(&a->ctx_ida);
	spin_lock_init(&a->async_lock);
	atomic_set(&a->kicked, 0);
	atomic_set(&a->drop_next, 0);
	atomic64_set(&a->st_cmds, 0);
	atomic64_set(&a->st_inline, 0);
	atomic64_set(&a->st_inline_cmds, 0);
	atomic64_set(&a->st_inline_miss, 0);
	atomic64_set(&a->st_bytes, 0);
	atomic64_set(&a->st_polls, 0);
	atomic64_set(&a->st_sleeps, 0);
	sim_fabric_init(&a->fab, a->cfg.nports, ((u64)a->index + 1) << 24);
	rc = sim_internal_init(a);
	if (rc)
		goto err_fab;

	rc = -ENOMEM;
	a->map = vmalloc_user(sizeof(*a->map));
	if (!a->map)
		goto err;
	a->fwnode = irq_domain_alloc_named_fwnode(a->name);
	if (!a->fwnode)
		goto err;
	a->domain = irq_domain_create_linear(a->fwnode,
					     SISL_MAX_CONTEXT * SIM_LISN_MAX,
					     &sim_irq_domain_ops, a);
	if (!a->domain)
		goto err;

	a->primary = sim_ctx_create(a, true);
	if (IS_ERR(a->primary)) {
		rc = PTR_ERR(a->primary);
		a->primary = NULL;
		goto err;
	}
	mutex_lock(&a->lock);
	sim_afu_reset_locked(a);
	mutex_unlock(&a->lock);

	a->engine = kthread_create(sim_engine, a, "cxlflash_sim/%d", a->index);
	if (IS_ERR(a->engine)) {
		rc = PTR_ERR(a->engine);
		a->engine = NULL;
		goto err;
	}
	get_task_struct(a->engine);
	wake_up_process(a->engine);

	a->aux.ops = &sim_backend_ops;
	a->aux.afu = a;
	sim_debugfs_adapter_add(a);
	return a;

err:
	sim_internal_destroy(a);
err_fab:
	sim_fabric_destroy(&a->fab);
	sim_adapter_put(a);
	return ERR_PTR(rc);
}

int sim_adapter_register(struct sim_adapter *a)
{
	struct auxiliary_device *adev = &a->aux.adev;
	int rc;

	adev->name = CXLFLASH_AUX_DEV_NAME;
	adev->id = a->index;
	adev->dev.parent = sim_root;
	adev->dev.release = sim_aux_release;
	rc = auxiliary_device_init(adev);
	if (rc)
		return rc;
	kref_get(&a->kref);		/* dropped by sim_aux_release() */
	rc = auxiliary_device_add(adev);
	if (rc) {
		auxiliary_device_uninit(adev);
		return rc;
	}
	a->registered = true;
	return 0;
}

struct sim_adapter *sim_adapter_create(const char *name,
				       const struct sim_adapter_config *cfg)
{
	struct sim_adapter *a = sim_adapter_alloc(name, cfg);
	int rc;

	if (IS_ERR(a))
		return a;
	rc = sim_adapter_register(a);
	if (rc) {
		sim_adapter_destroy(a);
		return ERR_PTR(rc);
	}
	return a;
}

void sim_adapter_destroy(struct sim_adapter *a)
{
	struct sim_ctx *ctx, *tmp;

	sim_debugfs_adapter_del(a);
	if (a->registered)
		auxiliary_device_delete(&a->aux.adev);	/* unbinds the driver */
	kthread_stop(a->engine);

	/* whatever user contexts remain (open fds) are dead from now on */
	mutex_lock(&a->lock);
	list_for_each_entry_safe(ctx, tmp, &a->started, node)
		sim_ctx_stop_locked(ctx);
	mutex_unlock(&a->lock);

	sim_fabric_destroy(&a->fab);
	sim_internal_destroy(a);
	if (a->registered)
		auxiliary_device_uninit(&a->aux.adev);
	sim_adapter_put(a);
}

struct sim_fabric *sim_adapter_fabric(struct sim_adapter *a)
{
	return &a->fab;
}

const char *sim_adapter_name(struct sim_adapter *a)
{
	return a->name;
}

void sim_adapter_port_event(struct sim_adapter *a, unsigned int port, u64 bits)
{
	if (port >= a->cfg.nports)
		return;
	spin_lock(&a->async_lock);
	a->pending_async |= (bits & 0xff) << sim_astatus_shift(port);
	spin_unlock(&a->async_lock);
	sim_adapter_kick(a);
}

/*
 * A PCI-VPD-style image: identifier string, then a read-only section with
 * the WWPN of port n as keyword "V5" + n (16 hex characters) and the
 * checksum keyword "RV", then the end tag.
 */
ssize_t sim_adapter_read_vpd(struct cxlflash_aux_dev *adev, void *buf,
			     size_t count)
{
	static const char ident[] = "IBM CXL Flash AFU (emulated)";
	struct sim_adapter *a = adev->afu;
	u8 vpd[160];
	size_t n = 0, ro, i;
	unsigned int p;
	char kw[17];
	u8 sum = 0;

	vpd[n++] = 0x82;
	vpd[n++] = sizeof(ident) - 1;
	vpd[n++] = 0;
	memcpy(&vpd[n], ident, sizeof(ident) - 1);
	n += sizeof(ident) - 1;

	vpd[n++] = 0x90;
	ro = n;
	n += 2;
	for (p = 0; p < a->cfg.nports; p++) {
		vpd[n++] = 'V';
		vpd[n++] = '5' + p;
		vpd[n++] = 16;
		snprintf(kw, sizeof(kw), "%016llX", sim_wwpn(a, p));
		memcpy(&vpd[n], kw, 16);
		n += 16;
	}
	vpd[n++] = 'R';
	vpd[n++] = 'V';
	vpd[n++] = 1;
	vpd[ro] = (n + 1 - (ro + 2)) & 0xff;
	vpd[ro + 1] = (n + 1 - (ro + 2)) >> 8;
	for (i = 0; i < n; i++)
		sum += vpd[i];
	vpd[n++] = -sum;
	vpd[n++] = 0x78;

	n = min(n, count);
	memcpy(buf, vpd, n);
	return n;
}

/* ---------------------------------------------------------------------- */
/* Fault injection and introspection                                       */
/* ---------------------------------------------------------------------- */

int sim_adapter_ctx_error(struct sim_adapter *a, unsigned int id)
{
	struct sim_ctx *ctx;
	int rc = -ENOENT;

	if (id >= SISL_MAX_CONTEXT)
		return -EINVAL;
	mutex_lock(&a->lock);
	ctx = a->ctxs[id];
	if (ctx) {
		ctx->error = true;
		memset(&a->map->hosts[id], 0xff, sizeof(a->map->hosts[id]));
		sim_wr(&a->map->ctrls[id].ctrl.mbox_r, ~0ULL);
		sim_ctx_mark_dead(ctx);
		rc = 0;
	}
	mutex_unlock(&a->lock);
	return rc;
}

void sim_adapter_afu_error(struct sim_adapter *a)
{
	struct sim_ctx *ctx;

	mutex_lock(&a->lock);
	a->afu_error = true;
	memset(a->map, 0xff, sizeof(*a->map));
	list_for_each_entry(ctx, &a->started, node)
		sim_ctx_mark_dead(ctx);
	mutex_unlock(&a->lock);
}

int sim_adapter_set_link(struct sim_adapter *a, unsigned int port, bool up)
{
	bool was_down;

	if (port >= a->cfg.nports)
		return -EINVAL;
	if (up)
		was_down = test_and_clear_bit(port, &a->link_down);
	else
		was_down = test_and_set_bit(port, &a->link_down);
	if (up && was_down)
		sim_adapter_port_event(a, port, SISL_ASTATUS_FC1_LINK_UP |
				       SISL_ASTATUS_FC1_LOGI_S);
	else if (!up && !was_down)
		sim_adapter_port_event(a, port, SISL_ASTATUS_FC1_LINK_DN);
	return 0;
}

atomic_t *sim_adapter_drop_next(struct sim_adapter *a)
{
	return &a->drop_next;
}

u32 *sim_adapter_delay_us(struct sim_adapter *a)
{
	return &a->delay_us;
}

void sim_adapter_show_contexts(struct sim_adapter *a, struct seq_file *m)
{
	struct sim_ctx *ctx;

	mutex_lock(&a->lock);
	list_for_each_entry(ctx, &a->started, node)
		seq_printf(m, "%u %s %d %llu%s\n", ctx->id,
			   ctx->master ? "master" : "user",
			   ctx->kernel ? 0 : ctx->tgid, ctx->completed,
			   ctx->error ? " error" : "");
	mutex_unlock(&a->lock);
}

void sim_adapter_show_stats(struct sim_adapter *a, struct seq_file *m)
{
	seq_printf(m, "commands %lld\nbytes %lld\npolls %lld\nsleeps %lld\ninline %lld\n",
		   atomic64_read(&a->st_cmds), atomic64_read(&a->st_bytes),
		   atomic64_read(&a->st_polls), atomic64_read(&a->st_sleeps),
		   atomic64_read(&a->st_inline));
	seq_printf(m, "inline_cmds %lld\ninline_miss %lld\n",
		   atomic64_read(&a->st_inline_cmds),
		   atomic64_read(&a->st_inline_miss));
}

/* ---------------------------------------------------------------------- */
/* Module-wide                                                             */
/* ---------------------------------------------------------------------- */

int sim_afu_init(void)
{
	sim_root = root_device_register(KBUILD_MODNAME);
	return PTR_ERR_OR_ZERO(sim_root);
}

void sim_afu_exit(void)
{
	root_device_unregister(sim_root);
	sim_ctx_fops_cache_exit();
}
