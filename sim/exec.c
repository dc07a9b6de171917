// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: command execution.
 *
 * One IOARCB at a time, as the engine (engine.c) or the inline doorbell
 * hands it over: the port is picked from the request's port mask, the
 * resource handle translated through the context's RHT and, for a virtual
 * LUN, its LXT (every command re-reads both), the command run against the
 * fabric (lun.c), and the IOASA and the RRQ entry written back.
 *
 * Because execution is in order and re-reads the RHT and LXT for every
 * command, everything a SYNC command is meant to flush is already visible
 * when the SYNC completes: it needs no work of its own.
 */
#include <linux/delay.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <asm/unaligned.h>
#include <scsi/scsi_proto.h>

#include "sim.h"

static u64 sim_lun_table(struct sim_adapter *a, unsigned int port,
			 unsigned int idx)
{
	struct sisl_global_map *g = &a->map->global;

	if (port < CXLFLASH_NUM_FC_PORTS_PER_BANK)
		return sim_rd(&g->fc_port0[port][idx]);
	return sim_rd(&g->fc_port1[port - CXLFLASH_NUM_FC_PORTS_PER_BANK][idx]);
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
int sim_pick_port(struct sim_adapter *a, u64 mask, struct sisl_ioasa *sa)
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
void sim_exec(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
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

void sim_raise_pending(struct sim_ctx *ctx)
{
	unsigned long pending = ctx->lisn_pending;
	unsigned int lisn;

	ctx->lisn_pending = 0;
	for_each_set_bit(lisn, &pending, BITS_PER_LONG)
		sim_raise(ctx, lisn);
}

