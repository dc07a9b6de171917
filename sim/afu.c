// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: the emulated AFU.
 *
 * An adapter owns a problem-state area (PSA) laid out as struct
 * cxlflash_afu_map, in ordinary vmalloc memory that the driver accesses as
 * MMIO and user contexts map through their adapter fd.  A store to that
 * memory cannot be trapped, so one engine thread per adapter polls the
 * doorbells of the started contexts: IOARRIN and the SQ tail.  It executes
 * each command synchronously, in order, against the fabric (lun.c), writes
 * the IOASA and the RRQ entry and raises the requested LISN.
 *
 * Because the engine is in order and re-reads the RHT and LXT for every
 * command, everything a SYNC command is meant to flush is already visible
 * when the SYNC completes: it needs no work of its own.
 */
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/stat.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/unaligned.h>
#include <scsi/scsi_proto.h>

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

/* Engine pacing */
#define SIM_CMD_BUDGET		64	/* commands per context per pass */
#define SIM_SPIN_NS		(2 * NSEC_PER_MSEC)
#define SIM_SLEEP_MIN_US	50
#define SIM_SLEEP_MAX_US	20000
#define SIM_NAP_US		5	/* step aside while spinning */

#define SIM_IOARCB_SIZE		64
#define SIM_RRQ_ENTRY_SIZE	8

static struct device *sim_root;
static DEFINE_IDA(sim_adapter_ida);

/* ---------------------------------------------------------------------- */
/* Register access: the PSA is memory, big-endian by architecture          */
/* ---------------------------------------------------------------------- */

static inline u64 sim_rd(const __be64 *reg)
{
	return be64_to_cpu(READ_ONCE(*reg));
}

static inline void sim_wr(__be64 *reg, u64 val)
{
	WRITE_ONCE(*reg, cpu_to_be64(val));
}

/* Atomically take a register's value and replace it (host-written regs). */
static inline u64 sim_xchg(__be64 *reg, u64 val)
{
	u64 old = xchg((__force u64 *)reg, (__force u64)cpu_to_be64(val));

	return be64_to_cpu((__force __be64)old);
}

static inline bool sim_cmpxchg(__be64 *reg, u64 old, u64 val)
{
	u64 o = (__force u64)cpu_to_be64(old);

	return cmpxchg((__force u64 *)reg, o,
		       (__force u64)cpu_to_be64(val)) == o;
}

__be64 *sim_fc_regs(struct sim_adapter *a, unsigned int port)
{
	struct sisl_global_map *g = &a->map->global;

	if (port < CXLFLASH_NUM_FC_PORTS_PER_BANK)
		return g->fc_regs0[port];
	return g->fc_regs1[port - CXLFLASH_NUM_FC_PORTS_PER_BANK];
}

static u64 sim_lun_table(struct sim_adapter *a, unsigned int port,
			 unsigned int idx)
{
	struct sisl_global_map *g = &a->map->global;

	if (port < CXLFLASH_NUM_FC_PORTS_PER_BANK)
		return sim_rd(&g->fc_port0[port][idx]);
	return sim_rd(&g->fc_port1[port - CXLFLASH_NUM_FC_PORTS_PER_BANK][idx]);
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
static struct sim_fabric *sim_active_fabric(struct sim_adapter *a)
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
static int sim_kernel_probe(u64 ea, size_t n)
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

static int sim_host_write_u64(struct sim_ctx *ctx, u64 ea, u64 val)
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
static void sim_raise(struct sim_ctx *ctx, unsigned int lisn)
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
static void sim_sync_error(struct sim_ctx *ctx, u64 bits)
{
	struct sisl_host_map *h = &ctx->a->map->hosts[ctx->id].host;
	u64 status = sim_rd(&h->intr_status) | bits;

	sim_wr(&h->intr_status, status);
	if (bits & ~sim_rd(&h->intr_mask))
		sim_raise(ctx, sim_rd(&h->ctx_ctrl) & SISL_CTX_CTRL_LISN_MASK);
}

/* Raise the async LISN on the context named by afu_ctrl. */
static void sim_raise_async(struct sim_adapter *a)
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
/* Command execution                                                       */
/* ---------------------------------------------------------------------- */

static bool sim_port_online(struct sim_adapter *a, unsigned int port)
{
	return port < a->cfg.nports && !test_bit(port, &a->link_down) &&
	       (sim_rd(&sim_fc_regs(a, port)[FC_MTIP_STATUS / 8]) &
		FC_MTIP_STATUS_MASK) == FC_MTIP_STATUS_ONLINE;
}

/* First usable port of @mask, or -1 with NO_CHANNELS in the IOASA. */
static int sim_pick_port(struct sim_adapter *a, u64 mask, struct sisl_ioasa *sa)
{
	u64 avail = 0;
	unsigned int p;

	mask &= SISL_PORT_MASK(a->cfg.nports) &
		sim_rd(&a->map->global.regs.afu_port_sel);
	for (p = 0; p < a->cfg.nports; p++) {
		if (!sim_port_online(a, p))
			continue;
		avail |= BIT_ULL(p);
		if (mask & BIT_ULL(p))
			return p;
	}
	if (sa) {
		sa->rc.afu_rc = SISL_AFU_RC_NO_CHANNELS;
		sa->afu_extra = ((avail & 0x3) << 2) | (mask & 0x3);
	}
	return -1;
}

/* Run one CDB on (@port, @lun) with the buffer at @ea of @len bytes. */
static void sim_exec_scsi(struct sim_ctx *ctx, unsigned int port, u64 lun,
			  const u8 *cdb, u64 ea, u32 len,
			  struct sim_scsi_result *res, u32 *moved)
{
	struct sim_xfer x = { .len = len, .nowait = ctx->inline_exec };

	memset(res, 0, sizeof(*res));
	*moved = 0;
	if (len) {
		if (ctx->kernel) {
			if (sim_kernel_probe(ea, len)) {
				res->fault = true;
				return;
			}
			x.kbuf = (void *)(uintptr_t)ea;
		} else {
			x.ubuf = u64_to_user_ptr(ea);
			if (!access_ok(x.ubuf, len)) {
				res->fault = true;
				return;
			}
		}
	}
	sim_fabric_exec(sim_active_fabric(ctx->a), port, lun, cdb, &x, res);
	*moved = min(max(res->xfer_len, x.done), len);
}

static void sim_fill_ioasa(struct sim_ctx *ctx, struct sisl_ioasa *sa,
			   unsigned int port, const struct sim_scsi_result *res,
			   u32 moved, u32 data_len)
{
	sa->port = port;
	if (res->fault) {
		sa->rc.afu_rc = SISL_AFU_RC_DATA_DMA_ERR;
		sa->afu_extra = SISL_AFU_EXTRA_INVALID_EA;
		return;
	}
	sa->rc.scsi_rc = res->status;
	if (res->status == SAM_STAT_CHECK_CONDITION && res->sense_len) {
		sa->rc.flags |= SISL_RC_FLAGS_SENSE_VALID;
		memcpy(sa->sense_data, res->sense,
		       min_t(size_t, res->sense_len, sizeof(res->sense)));
	}
	if (res->want_len > data_len) {
		/* the command had more to move than the host offered */
		sa->rc.flags |= SISL_RC_FLAGS_OVERRUN;
		sa->resid = min_t(u64, res->want_len - data_len, U32_MAX);
	} else if (moved < data_len) {
		sa->rc.flags |= SISL_RC_FLAGS_UNDERRUN;
		sa->resid = data_len - moved;
	}
	if (!sim_port_online(ctx->a, port))
		sa->rc.fc_rc = SISL_FC_RC_LINKDOWN;
	atomic64_add(moved, &ctx->a->st_bytes);
}

static void sim_cmd_portlun(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
			    struct sisl_ioasa *sa)
{
	struct sim_scsi_result res;
	int port = sim_pick_port(ctx->a, rcb->port_sel, sa);
	u32 moved;

	if (port < 0)
		return;
	sim_exec_scsi(ctx, port, sim_lun_from_afu(rcb->lun_id), rcb->cdb,
		      rcb->data_ea, rcb->data_len, &res, &moved);
	sim_fill_ioasa(ctx, sa, port, &res, moved, rcb->data_len);
}

enum { SIM_CDB_DENY, SIM_CDB_READ, SIM_CDB_WRITE };

/*
 * What a resource handle must allow for @cdb.  Classified by opcode, not
 * by the IOARCB's direction flag, which the issuer controls.
 */
static int sim_cdb_access(const u8 *cdb)
{
	switch (cdb[0]) {
	case TEST_UNIT_READY:
	case REQUEST_SENSE:
	case INQUIRY:
	case MODE_SENSE:
	case MODE_SENSE_10:
	case READ_CAPACITY:
	case SERVICE_ACTION_IN_16:
	case REPORT_LUNS:
	case READ_6:
	case READ_10:
	case READ_12:
	case READ_16:
	case VERIFY:
	case VERIFY_16:
	case SYNCHRONIZE_CACHE:
	case SYNCHRONIZE_CACHE_16:
		return SIM_CDB_READ;
	case WRITE_6:
	case WRITE_10:
	case WRITE_12:
	case WRITE_16:
	case WRITE_VERIFY:
	case WRITE_SAME:
	case WRITE_SAME_16:
	case UNMAP:
		return SIM_CDB_WRITE;
	default:
		return SIM_CDB_DENY;
	}
}

/* An LBA-addressed command a virtual LUN can translate */
struct sim_lba_cmd {
	u8 op16;			/* 16-byte equivalent opcode */
	bool ws;			/* WRITE SAME: one block of data */
	u64 lba;
	u32 nblk;
};

static bool sim_parse_lba_cmd(const u8 *cdb, struct sim_lba_cmd *c)
{
	switch (cdb[0]) {
	case READ_10:
	case WRITE_10:
	case WRITE_SAME:
		c->op16 = cdb[0] == READ_10 ? READ_16 :
			  cdb[0] == WRITE_10 ? WRITE_16 : WRITE_SAME_16;
		c->lba = get_unaligned_be32(&cdb[2]);
		c->nblk = get_unaligned_be16(&cdb[7]);
		break;
	case READ_16:
	case WRITE_16:
	case WRITE_SAME_16:
		c->op16 = cdb[0];
		c->lba = get_unaligned_be64(&cdb[2]);
		c->nblk = get_unaligned_be32(&cdb[10]);
		break;
	default:
		return false;
	}
	c->ws = c->op16 == WRITE_SAME_16;
	return true;
}

/* The 16-byte form of @cdb addressing @n blocks at @lba */
static void sim_cdb16(u8 *out, const u8 *cdb, const struct sim_lba_cmd *c,
		      u64 lba, u32 n)
{
	memset(out, 0, 16);
	if (cdb[0] == c->op16) {
		memcpy(out, cdb, 16);
	} else {
		out[0] = c->op16;
		out[1] = cdb[1];		/* protect/DPO/FUA, UNMAP */
		out[14] = cdb[6] & 0x3f;	/* group number */
		out[15] = cdb[9];		/* control */
	}
	put_unaligned_be64(lba, &out[2]);
	put_unaligned_be32(n, &out[10]);
}

/* Where the RHT/LXT of a context live: a kernel context or the issuer. */
static struct sim_ctx *sim_table_space(struct sim_ctx *ctx, u64 cnt_id)
{
	unsigned int id = SISL_RHT_CTX(cnt_id);
	struct sim_ctx *owner;

	if (id >= SISL_MAX_CONTEXT)
		return NULL;
	owner = ctx->a->ctxs[id];
	if (owner && (owner->kernel || owner == ctx))
		return owner;
	return NULL;
}

struct sim_vxlate {
	u64 plba;
	unsigned int port;
	u64 lun;
};

/*
 * Translate the chunk holding @vlba; fills @sa and returns false on
 * failure.
 */
static bool sim_lxt_lookup(struct sim_ctx *ctx, struct sim_ctx *space,
			   const struct sisl_rht_entry *rhte, u64 vlba,
			   unsigned int perm, struct sim_vxlate *t,
			   struct sisl_ioasa *sa)
{
	u64 lowmask = (1ULL << rhte->nmask) - 1;
	u64 idx = vlba >> rhte->nmask;
	unsigned int lperm;
	unsigned int lunidx;
	u64 ent;
	int port;

	if (idx >= rhte->lxt_cnt) {
		sa->rc.afu_rc = SISL_AFU_RC_LXT_OUT_OF_BOUNDS;
		return false;
	}
	if (sim_host_read(space, rhte->lxt_start + idx * sizeof(ent), &ent,
			  sizeof(ent))) {
		sa->rc.afu_rc = SISL_AFU_RC_LXT_DMA_ERR;
		sa->afu_extra = SISL_AFU_EXTRA_INVALID_EA;
		return false;
	}
	lperm = (ent & SISL_LXT_PERM_MASK) >> SISL_LXT_PERM_SHIFT;
	if ((lperm & perm) != perm) {
		sa->rc.afu_rc = SISL_AFU_RC_LXT_RW_PERM;
		return false;
	}
	port = sim_pick_port(ctx->a, ent & SISL_LXT_PORT_MASK, sa);
	if (port < 0)
		return false;
	t->port = port;
	t->plba = (ent & SISL_LXT_BASE_MASK) | (vlba & lowmask);
	lunidx = (ent & SISL_LXT_LUNIDX_MASK) >> SISL_LXT_LUNIDX_SHIFT;
	t->lun = sim_lun_from_afu(sim_lun_table(ctx->a, port, lunidx));
	return true;
}

/*
 * A command on a virtual LUN.  A transfer may not cross a chunk on the
 * media, so it is cut into one piece per chunk.  Every chunk is validated
 * before the first piece runs, so a bad range moves no data.
 */
static void sim_cmd_virtual(struct sim_ctx *ctx, struct sim_ctx *space,
			    const struct sisl_ioarcb *rcb,
			    const struct sisl_rht_entry *rhte,
			    unsigned int perm, struct sisl_ioasa *sa)
{
	struct sim_scsi_result res = {};
	struct sim_lba_cmd c;
	struct sim_vxlate t = {};
	u64 chunk, vlba, last, want = 0;
	u32 left, off = 0, bpb, moved = 0, got;
	u8 cdb[16];

	if (!sim_parse_lba_cmd(rcb->cdb, &c)) {
		sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
		return;
	}
	if (rhte->nmask > 48) {
		sa->rc.afu_rc = SISL_AFU_RC_RHT_INVALID;
		return;
	}
	if (rhte->lxt_start & (sizeof(u64) - 1)) {
		sa->rc.afu_rc = SISL_AFU_RC_LXT_UNALIGNED;
		return;
	}
	/* WRITE SAME of 0 blocks means "to the end of the medium": not here */
	last = c.lba + (c.nblk ? c.nblk - 1 : 0);
	if ((c.ws && !c.nblk) || last < c.lba) {
		sa->rc.afu_rc = SISL_AFU_RC_LXT_OUT_OF_BOUNDS;
		return;
	}

	chunk = 1ULL << rhte->nmask;
	for (vlba = c.lba; ; vlba = (vlba | (chunk - 1)) + 1) {
		if (!sim_lxt_lookup(ctx, space, rhte, vlba, perm, &t, sa))
			return;
		if ((vlba | (chunk - 1)) >= last)
			break;
	}

	bpb = c.nblk ? rcb->data_len / c.nblk : 0;
	vlba = c.lba;
	left = c.nblk;
	do {
		u32 n = min_t(u64, left, chunk - (vlba & (chunk - 1)));
		u32 len;

		if (!sim_lxt_lookup(ctx, space, rhte, vlba, perm, &t, sa))
			return;
		if (c.ws)
			len = rcb->data_len;
		else if (n == left)
			len = rcb->data_len - off;
		else
			len = min(bpb * n, rcb->data_len - off);
		sim_cdb16(cdb, rcb->cdb, &c, t.plba, n);
		sim_exec_scsi(ctx, t.port, t.lun, cdb,
			      rcb->data_ea + (c.ws ? 0 : off), len, &res, &got);
		moved = c.ws ? got : moved + got;
		want = c.ws ? res.want_len : want + res.want_len;
		if (res.fault || res.status != SAM_STAT_GOOD)
			break;
		if (!c.ws)
			off += len;
		vlba += n;
		left -= n;
	} while (left);
	res.want_len = want;
	sim_fill_ioasa(ctx, sa, t.port, &res, moved, rcb->data_len);
}

static void sim_cmd_rhndl(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
			  u64 cap, struct sisl_ioasa *sa)
{
	struct sisl_ctrl_map *ctrl = &ctx->a->map->ctrls[ctx->id].ctrl;
	union {
		struct sisl_rht_entry f0;
		struct sisl_rht_entry_f1 f1;
	} e;
	int access = sim_cdb_access(rcb->cdb);
	unsigned int perm;
	u64 rht, cnt_id, needcap;
	struct sim_ctx *space;
	struct sim_scsi_result res;
	int port;
	u32 moved;

	if (access == SIM_CDB_WRITE) {
		perm = SISL_RHT_PERM_WRITE;
		needcap = SISL_CTX_CAP_WRITE_CMD;
	} else {
		perm = SISL_RHT_PERM_READ;
		needcap = SISL_CTX_CAP_READ_CMD;
	}
	if (access == SIM_CDB_DENY || !(cap & needcap)) {
		sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
		return;
	}

	rht = sim_rd(&ctrl->rht_start);
	cnt_id = sim_rd(&ctrl->rht_cnt_id);
	if (rcb->res_hndl >= SISL_RHT_CNT(cnt_id)) {
		sa->rc.afu_rc = SISL_AFU_RC_RHT_OUT_OF_BOUNDS;
		return;
	}
	if (rht & (SISL_RHT_ENTRY_SIZE - 1)) {
		sa->rc.afu_rc = SISL_AFU_RC_RHT_UNALIGNED;
		return;
	}
	space = sim_table_space(ctx, cnt_id);
	if (!space || sim_host_read(space, rht + (u64)rcb->res_hndl *
				    SISL_RHT_ENTRY_SIZE, &e, sizeof(e))) {
		sa->rc.afu_rc = SISL_AFU_RC_RHT_DMA_ERR;
		sa->afu_extra = SISL_AFU_EXTRA_INVALID_EA;
		return;
	}
	/*
	 * Permissions are checked before validity: an empty slot (all
	 * zero, as a released handle is left) grants nothing, so I/O on
	 * it fails with RHT_RW_PERM, which is what clients expect.
	 */
	if ((SISL_RHT_PERM(e.f0.fp) & perm) != perm) {
		sa->rc.afu_rc = SISL_AFU_RC_RHT_RW_PERM;
		return;
	}
	if (!e.f0.nmask) {
		sa->rc.afu_rc = SISL_AFU_RC_RHT_INVALID;
		return;
	}

	switch (SISL_RHT_FMT(e.f0.fp)) {
	case SISL_RHT_FMT0:
		sim_cmd_virtual(ctx, space, rcb, &e.f0, perm, sa);
		return;
	case SISL_RHT_FMT1:
		if (!(e.f1.valid & SISL_RHT_VALID)) {
			sa->rc.afu_rc = SISL_AFU_RC_RHT_INVALID;
			return;
		}
		port = sim_pick_port(ctx->a, e.f1.port_sel, sa);
		if (port < 0)
			return;
		sim_exec_scsi(ctx, port, sim_lun_from_afu(e.f1.lun_id), rcb->cdb,
			      rcb->data_ea, rcb->data_len, &res, &moved);
		sim_fill_ioasa(ctx, sa, port, &res, moved, rcb->data_len);
		return;
	default:
		sa->rc.afu_rc = SISL_AFU_RC_RHT_INVALID;
	}
}

static void sim_cmd_afu(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
			struct sisl_ioasa *sa)
{
	switch (rcb->cdb[0]) {
	case SISL_AFU_CMD_SYNC:
		/* in-order engine, tables re-read per command: nothing to do */
		if (rcb->cdb[1] > SISL_AFU_SYNC_GLOBAL)
			sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
		return;
	case SISL_AFU_CMD_LUN_PROVISION:
		sim_cmd_provision(ctx, rcb, sa);
		return;
	case SISL_AFU_CMD_DEBUG:
		sim_cmd_debug(ctx, rcb, sa);
		return;
	default:
		sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
	}
}

static void sim_cmd_tmf(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
			struct sisl_ioasa *sa)
{
	u64 code;
	int port;

	memcpy(&code, rcb->cdb, sizeof(code));	/* host-endian by definition */
	port = sim_pick_port(ctx->a, rcb->port_sel, sa);
	if (port < 0)
		return;
	sa->port = port;
	switch (code) {
	case SISL_TMF_LUN_RESET:
		sim_fabric_lun_reset(sim_active_fabric(ctx->a), port,
				     sim_lun_from_afu(rcb->lun_id));
		return;
	case SISL_TMF_CLEAR_ACA:
		return;
	default:
		sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
	}
}

static void sim_cmd(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
		    struct sisl_ioasa *sa)
{
	u64 cap = sim_rd(&ctx->a->map->ctrls[ctx->id].ctrl.ctx_cap);
	bool trusted = ctx->master && ctx->kernel;

	if (rcb->ctx_id != ctx->id) {
		sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
		return;
	}
	if (rcb->req_flags & SISL_REQ_FLAGS_AFU_CMD) {
		if (trusted && (cap & SISL_CTX_CAP_AFU_CMD))
			sim_cmd_afu(ctx, rcb, sa);
		else
			sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
		return;
	}
	if (rcb->req_flags & SISL_REQ_FLAGS_RES_HNDL) {
		sim_cmd_rhndl(ctx, rcb, cap, sa);
		return;
	}
	if (!trusted || !(cap & SISL_CTX_CAP_GSCSI_CMD)) {
		sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
		return;
	}
	if (rcb->req_flags & SISL_REQ_FLAGS_TMF_CMD)
		sim_cmd_tmf(ctx, rcb, sa);
	else
		sim_cmd_portlun(ctx, rcb, sa);
}

static bool sim_rrq_valid(struct sim_ctx *ctx)
{
	return ctx->rrq_start && ctx->rrq_end >= ctx->rrq_start &&
	       !(ctx->rrq_start & (SIM_RRQ_ENTRY_SIZE - 1)) &&
	       !((ctx->rrq_end - ctx->rrq_start) & (SIM_RRQ_ENTRY_SIZE - 1));
}

static int sim_post_rrq(struct sim_ctx *ctx, u64 val)
{
	if (!sim_rrq_valid(ctx) ||
	    sim_host_write_u64(ctx, ctx->rrq_cur, val | ctx->toggle))
		return -EFAULT;
	if (ctx->rrq_cur == ctx->rrq_end) {
		ctx->rrq_cur = ctx->rrq_start;
		ctx->toggle ^= SISL_RESP_HANDLE_T_BIT;
	} else {
		ctx->rrq_cur += SIM_RRQ_ENTRY_SIZE;
	}
	return 0;
}

/*
 * Execute one fetched IOARCB and complete it: IOASA at @ioasa_ea, then
 * the RRQ entry @rrq_val, then the interrupt.
 */
static void sim_exec(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
		     u64 ioasa_ea, u64 rrq_val)
{
	struct sim_adapter *a = ctx->a;
	struct sisl_ioasa sa;
	u32 delay;

	if (atomic_dec_if_positive(&a->drop_next) >= 0)
		return;		/* injected loss: never completes */
	delay = READ_ONCE(a->delay_us);
	if (delay)
		fsleep(delay);

	memset(&sa, 0, sizeof(sa));
	sim_cmd(ctx, rcb, &sa);

	/* host_use[] belongs to the host: write only what precedes it */
	if (sim_host_write(ctx, ioasa_ea, &sa,
			   offsetof(struct sisl_ioasa, host_use))) {
		sim_sync_error(ctx, SISL_ISTATUS_PERM_ERR_SA_WRITE);
		return;
	}
	smp_wmb();	/* IOASA before the RRQ entry announcing it */
	if (sim_post_rrq(ctx, rrq_val)) {
		sim_sync_error(ctx, SISL_ISTATUS_PERM_ERR_RRQ_WRITE);
		return;
	}
	ctx->completed++;
	atomic64_inc(&a->st_cmds);
	/*
	 * Completion interrupts are coalesced: one per LISN at the end of
	 * the context's pass (sim_ctx_service()), after every entry of the
	 * batch is in the RRQ.
	 */
	if (rcb->msi < BITS_PER_LONG)
		__set_bit(rcb->msi, &ctx->lisn_pending);
	else
		sim_raise(ctx, rcb->msi);
}

static void sim_raise_pending(struct sim_ctx *ctx)
{
	unsigned long pending = ctx->lisn_pending;
	unsigned int lisn;

	ctx->lisn_pending = 0;
	for_each_set_bit(lisn, &pending, BITS_PER_LONG)
		sim_raise(ctx, lisn);
}

/* ---------------------------------------------------------------------- */
/* The engine                                                              */
/* ---------------------------------------------------------------------- */

/* Re-arm the RRQ and SQ when the host (re)programs their bounds. */
static void sim_ctx_track_queues(struct sim_ctx *ctx, struct sisl_host_map *h)
{
	u64 s = sim_rd(&h->rrq_start), e = sim_rd(&h->rrq_end);

	if (s != ctx->rrq_start || e != ctx->rrq_end) {
		ctx->rrq_start = s;
		ctx->rrq_end = e;
		ctx->rrq_cur = s;
		ctx->toggle = SISL_RESP_HANDLE_T_BIT;
	}
	s = sim_rd(&h->sq_start);
	e = sim_rd(&h->sq_end);
	if (s != ctx->sq_start || e != ctx->sq_end) {
		ctx->sq_start = s;
		ctx->sq_end = e;
		ctx->sq_head = s;
		sim_wr(&h->sq_head, s);
	}
}

static bool sim_sq_valid(struct sim_ctx *ctx)
{
	return ctx->sq_start && ctx->sq_end >= ctx->sq_start &&
	       !(ctx->sq_start & 0xf) &&
	       !((ctx->sq_end - ctx->sq_start) % SIM_IOARCB_SIZE);
}

static bool sim_sq_slot_ok(struct sim_ctx *ctx, u64 slot)
{
	return slot >= ctx->sq_start && slot <= ctx->sq_end &&
	       !((slot - ctx->sq_start) % SIM_IOARCB_SIZE);
}

static bool sim_ctx_has_work(struct sim_ctx *ctx, struct sisl_host_map *h)
{
	return sim_rd(&h->ioarrin) || READ_ONCE(ctx->fifo_count) ||
	       READ_ONCE(ctx->fifo_overflow) ||
	       (sim_rd(&h->sq_ctx_reset) & SISL_SQ_CTX_RST) ||
	       (sim_sq_valid(ctx) && sim_rd(&h->sq_tail) != ctx->sq_head);
}

/*
 * Context reset: nothing is ever in flight in this engine (commands run
 * to completion or, when dropped by fault injection, are forgotten), so
 * aborting means discarding what was queued and not yet fetched.  The
 * context's queues return to their initial state, as after programming
 * them: the RRQ producer to RRQ_START with toggle 1 (the host zeroes the
 * RRQ and restarts its consumer there), the SQ head to SQ_START (the host
 * writes SQ_TAIL = SQ_START).
 */
static void sim_ctx_reset(struct sim_ctx *ctx, struct sisl_host_map *h)
{
	if (sim_sq_valid(ctx)) {
		ctx->sq_head = ctx->sq_start;
		sim_wr(&h->sq_head, ctx->sq_start);
		sim_wr(&h->sq_tail, ctx->sq_start);
	}
	ctx->rrq_cur = ctx->rrq_start;
	ctx->toggle = SISL_RESP_HANDLE_T_BIT;
	sim_ctx_fifo_flush(ctx);
}

/* Fetch and execute the IOARCB at @ea submitted through IOARRIN. */
static void sim_ioarrin_exec(struct sim_ctx *ctx, u64 ea)
{
	struct sisl_ioarcb rcb;

	if (sim_host_read(ctx, ea, &rcb, sizeof(rcb)))
		sim_sync_error(ctx, SISL_ISTATUS_PERM_ERR_RCB_READ);
	else
		sim_exec(ctx, &rcb, ea + SIM_IOARCB_SIZE, ea);
}

/*
 * Serve one context; its address space is in use.
 *
 * IOARRIN: a user context whose stores to IOARRIN are trapped (ctx.c)
 * has a FIFO of SIM_IOARRIN_DEPTH addresses, and cmd_room reads its free
 * space, updated at each store, as on a hardware AFU.  Otherwise (kernel
 * contexts, stores the traps cannot see) IOARRIN is a one-entry mailbox:
 * the engine consumes an address by writing the register back to 0, and
 * cmd_room reads 1.  A polling emulator cannot see that store, so a writer
 * must treat the mailbox as full until IOARRIN reads 0 again (the driver
 * does).  SQ mode has no such caveat and is the throughput path.
 */
static bool sim_ctx_run(struct sim_adapter *a, struct sim_ctx *ctx,
			struct sisl_host_map *h)
{
	struct sisl_ioarcb rcb;
	int budget = SIM_CMD_BUDGET;
	bool busy = false;
	u64 v, tail;

	v = sim_rd(&h->ioarrin);
	if (v == SISL_IOARRIN_CTX_RST) {
		sim_ctx_reset(ctx, h);
		sim_wr(&h->ioarrin, 0);
		busy = true;
	} else {
		if (sim_ctx_fifo_take_overflow(ctx)) {
			sim_sync_error(ctx, SISL_ISTATUS_PERM_ERR_CMDROOM);
			busy = true;
		}
		while (budget > 0 && sim_ctx_fifo_pop(ctx, &v)) {
			budget--;
			busy = true;
			sim_ioarrin_exec(ctx, v);
		}
		v = sim_rd(&h->ioarrin);
		if (v > SISL_IOARRIN_CTX_RST && sim_cmpxchg(&h->ioarrin, v, 0)) {
			sim_ctx_mailbox_taken(ctx);
			busy = true;
			sim_ioarrin_exec(ctx, v);
		}
	}

	if (sim_rd(&h->sq_ctx_reset) & SISL_SQ_CTX_RST) {
		sim_ctx_reset(ctx, h);
		sim_wr(&h->sq_ctx_reset, 0);
		busy = true;
	}

	if (!sim_sq_valid(ctx))
		return busy;
	tail = sim_rd(&h->sq_tail);
	if (!sim_sq_slot_ok(ctx, tail))
		return busy;
	smp_rmb();	/* the tail before the slots it publishes */
	while (ctx->sq_head != tail && budget--) {
		u64 slot = ctx->sq_head;
		int rc = sim_host_read(ctx, slot, &rcb, sizeof(rcb));

		ctx->sq_head = slot == ctx->sq_end ? ctx->sq_start :
			       slot + SIM_IOARCB_SIZE;
		sim_wr(&h->sq_head, ctx->sq_head);
		busy = true;
		if (rc)
			sim_sync_error(ctx, SISL_ISTATUS_PERM_ERR_RCB_READ);
		else
			sim_exec(ctx, &rcb, rcb.ioasa_ea, rcb.ioasa_ea);
	}
	return busy;
}

static bool sim_ctx_service(struct sim_adapter *a, struct sim_ctx *ctx)
{
	struct sisl_host_map *h = &a->map->hosts[ctx->id].host;
	struct mm_struct *mm = NULL;
	bool busy;
	u64 v;

	if (sim_rd(&h->intr_clear)) {
		v = sim_xchg(&h->intr_clear, 0);
		sim_wr(&h->intr_status, sim_rd(&h->intr_status) & ~v);
	}
	/* the UNMAP capability survives a host store of the LISN */
	v = sim_rd(&h->ctx_ctrl);
	if (!(v & SISL_CTX_CTRL_UNMAP_SECTOR))
		sim_cmpxchg(&h->ctx_ctrl, v, v | SISL_CTX_CTRL_UNMAP_SECTOR);

	sim_ctx_track_queues(ctx, h);
	if (!sim_ctx_has_work(ctx, h))
		return false;

	if (!ctx->kernel) {
		if (!ctx->mm || !mmget_not_zero(ctx->mm))
			return false;
		mm = ctx->mm;
		kthread_use_mm(mm);
	}
	busy = sim_ctx_run(a, ctx, h);
	if (mm) {
		kthread_unuse_mm(mm);
		mmput_async(mm);
	}
	sim_raise_pending(ctx);
	return busy;
}

/* Global-register side effects the host asks for with stores */
static void sim_engine_globals(struct sim_adapter *a)
{
	struct sisl_global_regs *g = &a->map->global.regs;
	unsigned int p;
	u64 v, pend;

	if (sim_rd(&g->aintr_clear)) {
		v = sim_xchg(&g->aintr_clear, 0);
		sim_wr(&g->aintr_status, sim_rd(&g->aintr_status) & ~v);
	}

	for (p = 0; p < a->cfg.nports; p++) {
		__be64 *r = sim_fc_regs(a, p);
		u64 cmd = sim_rd(&r[FC_MTIP_CMDCONFIG / 8]);
		u64 st = sim_rd(&r[FC_MTIP_STATUS / 8]);
		u64 want = st & ~FC_MTIP_STATUS_MASK;
		bool up = !test_bit(p, &a->link_down) &&
			  !(cmd & FC_MTIP_CMDCONFIG_OFFLINE);

		want |= up ? FC_MTIP_STATUS_ONLINE : FC_MTIP_STATUS_OFFLINE;
		if (want != st)
			sim_wr(&r[FC_MTIP_STATUS / 8], want);

		/* no FC errors are ever latched: a write-back clears at once */
		if (sim_rd(&r[FC_ERROR / 8]))
			sim_wr(&r[FC_ERROR / 8], 0);
		if (sim_rd(&r[FC_ERRCAP / 8]))
			sim_wr(&r[FC_ERRCAP / 8], 0);
		if (sim_rd(&r[FC_CNT_CRCERR / 8]))
			sim_wr(&r[FC_CNT_CRCERR / 8], 0);

		/* shutdown requests complete immediately */
		v = sim_rd(&r[FC_CONFIG2 / 8]) &
		    (SISL_FC_SHUTDOWN_NORMAL | SISL_FC_SHUTDOWN_ABRUPT);
		st = sim_rd(&r[FC_STATUS / 8]);
		want = st & ~(SISL_STATUS_SHUTDOWN_ACTIVE |
			      SISL_STATUS_SHUTDOWN_COMPLETE);
		if (v)
			want |= SISL_STATUS_SHUTDOWN_COMPLETE;
		if (want != st)
			sim_wr(&r[FC_STATUS / 8], want);
	}

	spin_lock(&a->async_lock);
	pend = a->pending_async;
	a->pending_async = 0;
	spin_unlock(&a->async_lock);
	if (pend) {
		sim_update_port_stats(a);
		sim_wr(&g->aintr_status, sim_rd(&g->aintr_status) | pend);
		if (pend & ~sim_rd(&g->aintr_mask))
			sim_raise_async(a);
	}
	sim_wr(&g->afu_hb, sim_rd(&g->afu_hb) + 1);
}

/*
 * One pass over the adapter; adapter lock held.  True if work was done;
 * *@polled is set when some of it came from a user context, whose stores
 * the engine only learns of by looking (the driver's kernel contexts kick).
 */
static bool sim_engine_pass(struct sim_adapter *a, bool *polled)
{
	struct sim_ctx *ctx;
	bool busy = false;

	*polled = false;
	if (a->afu_error)
		return false;
	sim_engine_globals(a);
	list_for_each_entry(ctx, &a->started, node) {
		if (ctx->error || !sim_ctx_service(a, ctx))
			continue;
		busy = true;
		if (!ctx->kernel)
			*polled = true;
	}
	return busy;
}

/* Sleep for about @us microseconds unless kicked or told to stop. */
static void sim_engine_sleep(struct sim_adapter *a, unsigned int us)
{
	ktime_t t = ns_to_ktime((u64)us * NSEC_PER_USEC);

	set_current_state(TASK_IDLE);
	if (atomic_read(&a->kicked) || kthread_should_stop()) {
		__set_current_state(TASK_RUNNING);
		return;
	}
	schedule_hrtimeout_range(&t, (u64)us * NSEC_PER_USEC / 4,
				 HRTIMER_MODE_REL);
}

/*
 * Adaptive polling: spin while user contexts' commands were seen in the
 * last SIM_SPIN_NS, then sleep with an exponentially growing timeout up to
 * SIM_SLEEP_MAX_US.  A kick ends the sleep at once.
 *
 * Work of kernel contexts, and a kick, only earn one more pass: the driver
 * kicks after every post, and most of its commands never reach this
 * thread (sim_ctx_run_inline()).  Spinning on their behalf would hold the
 * adapter lock in pass after pass, so that the next doorbell's inline
 * attempt fails, the command comes here, and the spin goes on: a busy
 * CPU for commands the submitter would have run faster itself.
 *
 * While spinning, the engine steps aside for a short nap whenever another
 * task is runnable on its CPU (as KVM's halt polling does): typically the
 * thread it has just woken by completing its command, which would
 * otherwise wait for the next tick, a short sleeper earning no wake-up
 * preemption against a busy poller.
 */
static int sim_engine(void *arg)
{
	struct sim_adapter *a = arg;
	unsigned int sleep_us = 0;
	u64 last_busy = 0;

	while (!kthread_should_stop()) {
		bool busy, polled;

		mutex_lock(&a->lock);
		busy = sim_engine_pass(a, &polled);
		mutex_unlock(&a->lock);
		atomic64_inc(&a->st_polls);

		if (polled)
			last_busy = ktime_get_ns();
		if (busy || atomic_xchg(&a->kicked, 0)) {
			sleep_us = 0;
		} else if (ktime_get_ns() - last_busy >= SIM_SPIN_NS) {
			sleep_us = clamp_t(unsigned int, sleep_us * 2,
					   SIM_SLEEP_MIN_US, SIM_SLEEP_MAX_US);
			sim_engine_sleep(a, sleep_us);
			atomic64_inc(&a->st_sleeps);
			continue;
		}
		if (single_task_running())
			cond_resched();
		else
			sim_engine_sleep(a, SIM_NAP_US);
	}
	return 0;
}

/*
 * The doorbell, executed by the CPU that rang it.
 *
 * A real AFU sees the store to SQ_TAIL at once; a polling engine only sees
 * it when it next looks, and handing each command over to the engine
 * thread costs two context switches.  When a master context kicks us after
 * queueing, the commands at the head of its SQ that can run without
 * sleeping (reads and writes of RAM-backed LUNs whose pages exist) are
 * executed right here, completions and interrupt included; the first one
 * that cannot, and anything else, is left to the engine.  The caller may
 * be in atomic context (queuecommand): nothing below sleeps, and the
 * adapter lock is only tried.
 *
 * Return: true when the context's queue was drained here.
 */
bool sim_ctx_run_inline(struct sim_ctx *ctx)
{
	struct sim_adapter *a = ctx->a;
	struct sisl_host_map *h = &a->map->hosts[ctx->id].host;
	struct sisl_ioarcb rcb;
	int budget = SIM_CMD_BUDGET;
	bool drained = false;
	u64 tail, slot;
	u32 ran = 0;
	int port;

	if (!ctx->kernel || READ_ONCE(a->delay_us) ||
	    atomic_read(&a->drop_next))
		return false;
	if (!mutex_trylock(&a->lock)) {
		atomic64_inc(&a->st_inline_miss);
		return false;
	}
	if (ctx->state != SIM_CTX_STARTED || ctx->error || a->afu_error)
		goto out;

	sim_ctx_track_queues(ctx, h);
	if (sim_rd(&h->ioarrin) || (sim_rd(&h->sq_ctx_reset) & SISL_SQ_CTX_RST) ||
	    !sim_sq_valid(ctx))
		goto out;
	tail = sim_rd(&h->sq_tail);
	if (!sim_sq_slot_ok(ctx, tail))
		goto out;
	smp_rmb();	/* the tail before the slots it publishes */

	ctx->inline_exec = true;
	while (ctx->sq_head != tail && budget--) {
		slot = ctx->sq_head;
		if (sim_host_read(ctx, slot, &rcb, sizeof(rcb)))
			break;
		if (rcb.req_flags & (SISL_REQ_FLAGS_RES_HNDL |
				     SISL_REQ_FLAGS_AFU_CMD |
				     SISL_REQ_FLAGS_TMF_CMD))
			break;
		port = sim_pick_port(a, rcb.port_sel, NULL);
		if (port < 0 ||
		    !sim_fabric_nowait_ok(sim_active_fabric(a), port,
					  sim_lun_from_afu(rcb.lun_id),
					  rcb.cdb, rcb.data_len))
			break;
		ctx->sq_head = slot == ctx->sq_end ? ctx->sq_start :
			       slot + SIM_IOARCB_SIZE;
		sim_wr(&h->sq_head, ctx->sq_head);
		sim_exec(ctx, &rcb, rcb.ioasa_ea, rcb.ioasa_ea);
		ran++;
	}
	ctx->inline_exec = false;
	drained = ctx->sq_head == tail;
	sim_raise_pending(ctx);
	atomic64_inc(&a->st_inline);
	atomic64_add(ran, &a->st_inline_cmds);
out:
	mutex_unlock(&a->lock);
	return drained;
}

void sim_adapter_kick(struct sim_adapter *a)
{
	atomic_set(&a->kicked, 1);
	wake_up_process(a->engine);
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
