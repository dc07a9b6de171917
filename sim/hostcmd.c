// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: the AFU's host-service commands, which a trusted master
 * context sends as AFU commands (SISL_REQ_FLAGS_AFU_CMD):
 *
 *   0xD0 LUN_PROVISION  cdb[1] 0: create a thin RAM LUN of cdb[8..15]
 *                       (BE64) 4 KiB blocks on port cdb[2]; its AFU-format
 *                       LUN id comes back in IOASA lunid_hi/lunid_lo, its
 *                       WWID in IOASA wwid.  cdb[1] 1: delete the LUN
 *                       IOARCB lun_id on port cdb[2] (only LUNs made by
 *                       this command can be deleted by it).
 *   0xE0 DEBUG          cdb[4..15]: one of the sub-commands of
 *                       include/uapi/scsi/cxlflash_sim_debug.h, data in
 *                       the IOARCB's buffer.
 *
 * Both run in the engine thread with the adapter lock held, like every
 * command.  Failures are reported in IOASA afu_rc with the codes of
 * sislite.h (SISL_AFU_RC_PROV_*, SISL_AFU_RC_DEBUG_INVALID).
 *
 * The capabilities advertised in interface_version can be withdrawn with
 * the module parameters lun_provision=0 and afu_debug=0 (read at each
 * AFU reset); the commands are then refused as unknown.
 */
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/vmalloc.h>
#include <asm/unaligned.h>

#include "sim.h"
#include "../include/uapi/scsi/cxlflash_sim_debug.h"

static bool lun_provision = true;
module_param(lun_provision, bool, 0644);
MODULE_PARM_DESC(lun_provision, "Advertise and accept the LUN provisioning AFU command (default 1; applies at the next AFU reset)");

static bool afu_debug = true;
module_param(afu_debug, bool, 0644);
MODULE_PARM_DESC(afu_debug, "Advertise and accept the AFU debug command (default 1; applies at the next AFU reset)");

#define SIM_PROV_BLOCK_SHIFT	12	/* sizes in 4 KiB blocks */

static inline u64 hc_rd(const __be64 *reg)
{
	return be64_to_cpu(READ_ONCE(*reg));
}

u64 sim_hostcmd_caps(struct sim_adapter *a)
{
	u64 caps = 0;

	if (READ_ONCE(lun_provision))
		caps |= SISL_INTVER_CAP_LUN_PROVISION;
	if (READ_ONCE(afu_debug))
		caps |= SISL_INTVER_CAP_AFU_DEBUG;
	a->host_caps = caps;
	return caps << SISL_INTVER_CAP_SHIFT;
}

/* The SCSI LUN number @lun in the AFU's format (8-byte SAM LUN, BE u64) */
static u64 sim_lun_to_afu(u64 lun)
{
	u64 afu_lun = 0;
	int i;

	for (i = 0; i < 4; i++)
		afu_lun |= ((lun >> (16 * i)) & 0xffff) << (48 - 16 * i);
	return afu_lun;
}

/* ---------------------------------------------------------------------- */
/* LUN provisioning                                                        */
/* ---------------------------------------------------------------------- */

static void sim_prov_create(struct sim_adapter *a, unsigned int port,
			    u64 size, struct sisl_ioasa *sa)
{
	__be64 *r = sim_fc_regs(a, port);
	struct sim_lun_config cfg = {
		.block_size = 1U << SIM_PROV_BLOCK_SHIFT,
		.port_mask = BIT(port),
		.provisioned = true,
	};
	struct sim_lun *lun;
	u64 nluns, cap, afu_lun;
	int tries;

	if (!size || size > (U64_MAX >> SIM_PROV_BLOCK_SHIFT)) {
		sa->rc.afu_rc = SISL_AFU_RC_PROV_INVALID;
		return;
	}
	sim_fabric_port_stats(&a->fab, port, &nluns, &cap);
	if (nluns >= hc_rd(&r[FC_MAX_NUM_LUNS / 8]) ||
	    cap > hc_rd(&r[FC_MAX_CAP_PORT / 8]) ||
	    size > hc_rd(&r[FC_MAX_CAP_PORT / 8]) - cap) {
		sa->rc.afu_rc = SISL_AFU_RC_PROV_NO_SPACE;
		return;
	}
	cfg.size = size << SIM_PROV_BLOCK_SHIFT;

	/* a LUN number configfs takes meanwhile makes us pick again */
	for (tries = 0; tries < 4; tries++) {
		if (sim_fabric_free_lun(&a->fab, port, &cfg.lun)) {
			sa->rc.afu_rc = SISL_AFU_RC_PROV_NO_SPACE;
			return;
		}
		lun = sim_lun_add(&a->fab, &cfg);
		if (!IS_ERR(lun) || PTR_ERR(lun) != -EEXIST)
			break;
	}
	if (IS_ERR(lun)) {
		sa->rc.afu_rc = PTR_ERR(lun) == -EINVAL ?
				SISL_AFU_RC_PROV_INVALID :
				SISL_AFU_RC_PROV_NO_SPACE;
		return;
	}

	afu_lun = sim_lun_to_afu(cfg.lun);
	sa->port = port;
	sa->lunid_hi = upper_32_bits(afu_lun);
	sa->lunid_lo = lower_32_bits(afu_lun);
	sim_lun_get_wwid(lun, sa->wwid);
	sim_update_port_stats(a);
}

static void sim_prov_delete(struct sim_adapter *a, unsigned int port,
			    u64 afu_lun, struct sisl_ioasa *sa)
{
	if (sim_lun_remove_provisioned(&a->fab, port, sim_lun_from_afu(afu_lun))) {
		sa->rc.afu_rc = SISL_AFU_RC_PROV_NO_LUN;
		return;
	}
	sa->port = port;
	sim_update_port_stats(a);
}

void sim_cmd_provision(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
		       struct sisl_ioasa *sa)
{
	struct sim_adapter *a = ctx->a;
	unsigned int port = rcb->cdb[2];

	if (!(a->host_caps & SISL_INTVER_CAP_LUN_PROVISION)) {
		sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
		return;
	}
	if (port >= a->cfg.nports) {
		sa->rc.afu_rc = SISL_AFU_RC_PROV_INVALID;
		return;
	}
	switch (rcb->cdb[1]) {
	case SISL_AFU_LUN_PROVISION_CREATE:
		sim_prov_create(a, port, get_unaligned_be64(&rcb->cdb[8]), sa);
		return;
	case SISL_AFU_LUN_PROVISION_DELETE:
		sim_prov_delete(a, port, rcb->lun_id, sa);
		return;
	default:
		sa->rc.afu_rc = SISL_AFU_RC_PROV_INVALID;
	}
}

/* ---------------------------------------------------------------------- */
/* Debug                                                                   */
/* ---------------------------------------------------------------------- */

struct sim_dbg {
	struct sim_adapter *a;
	struct sim_ctx *ctx;		/* the issuing (kernel) context */
	const u8 *sub;			/* the 12 sub-command bytes */
	u64 ea;				/* host buffer */
	u32 len;
	bool to_afu;			/* host write */
};

/* Copy the answer to the host buffer; the IOASA reports a shortfall. */
static int sim_dbg_answer(struct sim_dbg *d, const void *src, u32 n,
			  struct sisl_ioasa *sa)
{
	if (sim_host_write(d->ctx, d->ea, src, n)) {
		sa->rc.afu_rc = SISL_AFU_RC_DATA_DMA_ERR;
		sa->afu_extra = SISL_AFU_EXTRA_INVALID_EA;
		return -EFAULT;
	}
	if (n < d->len) {
		sa->rc.flags |= SISL_RC_FLAGS_UNDERRUN;
		sa->resid = d->len - n;
	}
	return 0;
}

static bool sim_dbg_zero(const u8 *sub, unsigned int from, unsigned int to)
{
	return !memchr_inv(sub + from, 0, to - from);
}

static int sim_dbg_scratch(struct sim_dbg *d, struct sisl_ioasa *sa)
{
	struct sim_adapter *a = d->a;
	u32 off = get_unaligned_be32(&d->sub[4]);

	if (!d->len || off > CXLFLASH_SIM_DBG_SCRATCH_SIZE ||
	    d->len > CXLFLASH_SIM_DBG_SCRATCH_SIZE - off ||
	    !sim_dbg_zero(d->sub, 1, 4) || !sim_dbg_zero(d->sub, 8, 12))
		return -EINVAL;
	if (!a->dbg_scratch) {
		a->dbg_scratch = vzalloc(CXLFLASH_SIM_DBG_SCRATCH_SIZE);
		if (!a->dbg_scratch) {
			sa->rc.afu_rc = SISL_AFU_RC_OUT_OF_DATA_BUFS;
			return 0;
		}
	}
	if (d->to_afu) {
		if (sim_host_read(d->ctx, d->ea, a->dbg_scratch + off, d->len)) {
			sa->rc.afu_rc = SISL_AFU_RC_DATA_DMA_ERR;
			sa->afu_extra = SISL_AFU_EXTRA_INVALID_EA;
		}
		return 0;
	}
	sim_dbg_answer(d, a->dbg_scratch + off, d->len, sa);
	return 0;
}

/* The context named in the sub-command and where its RHT lives */
static int sim_dbg_rht(struct sim_dbg *d, struct sim_ctx **space, u64 *rht,
		       u32 *cnt)
{
	struct sim_adapter *a = d->a;
	unsigned int id = get_unaligned_be16(&d->sub[2]);
	struct sisl_ctrl_map *ctrl;
	u64 cnt_id;
	unsigned int owner;

	if (id >= SISL_MAX_CONTEXT || !a->ctxs[id])
		return -EINVAL;
	ctrl = &a->map->ctrls[id].ctrl;
	*rht = hc_rd(&ctrl->rht_start);
	cnt_id = hc_rd(&ctrl->rht_cnt_id);
	*cnt = SISL_RHT_CNT(cnt_id);
	owner = SISL_RHT_CTX(cnt_id);
	/* only tables in kernel memory: a user's is not ours to read here */
	if (!*rht || !*cnt || owner >= SISL_MAX_CONTEXT || !a->ctxs[owner] ||
	    !a->ctxs[owner]->kernel)
		return -EINVAL;
	*space = a->ctxs[owner];
	return 0;
}

static int sim_dbg_read_tables(struct sim_dbg *d, bool lxt,
			       struct sisl_ioasa *sa)
{
	u32 handle = get_unaligned_be32(&d->sub[4]);
	u32 first = get_unaligned_be32(&d->sub[8]);
	u32 esize = lxt ? CXLFLASH_SIM_DBG_LXT_ENTRY_LEN :
			  CXLFLASH_SIM_DBG_RHT_ENTRY_LEN;
	struct sisl_rht_entry e;
	struct sim_ctx *space;
	u64 rht, base;
	u32 cnt, n = d->len / esize;
	void *buf;
	int rc;

	if (d->to_afu || !d->len || d->len % esize || d->sub[1] ||
	    (!lxt && first))
		return -EINVAL;
	rc = sim_dbg_rht(d, &space, &rht, &cnt);
	if (rc)
		return rc;

	if (!lxt) {
		if (handle >= cnt || n > cnt - handle)
			return -EINVAL;
		base = rht + (u64)handle * SISL_RHT_ENTRY_SIZE;
	} else {
		if (handle >= cnt ||
		    sim_host_read(space, rht + (u64)handle * SISL_RHT_ENTRY_SIZE,
				  &e, sizeof(e)))
			return -EINVAL;
		if (!e.nmask || SISL_RHT_FMT(e.fp) != SISL_RHT_FMT0 ||
		    first >= e.lxt_cnt || n > e.lxt_cnt - first)
			return -EINVAL;
		base = e.lxt_start + (u64)first * esize;
	}

	buf = kvmalloc(d->len, GFP_KERNEL);
	if (!buf) {
		sa->rc.afu_rc = SISL_AFU_RC_OUT_OF_DATA_BUFS;
		return 0;
	}
	if (sim_host_read(space, base, buf, d->len)) {
		sa->rc.afu_rc = lxt ? SISL_AFU_RC_LXT_DMA_ERR :
				      SISL_AFU_RC_RHT_DMA_ERR;
	} else {
		sim_dbg_answer(d, buf, d->len, sa);
	}
	kvfree(buf);
	return 0;
}

static int sim_dbg_engine(struct sim_dbg *d, struct sisl_ioasa *sa)
{
	struct sim_adapter *a = d->a;
	struct cxlflash_sim_dbg_engine st = {};
	struct sim_ctx *c;
	u64 n = 0;

	if (d->to_afu || d->len != sizeof(st) || !sim_dbg_zero(d->sub, 1, 12))
		return -EINVAL;
	list_for_each_entry(c, &a->started, node)
		n++;
	st.commands = cpu_to_be64(atomic64_read(&a->st_cmds));
	st.bytes = cpu_to_be64(atomic64_read(&a->st_bytes));
	st.polls = cpu_to_be64(atomic64_read(&a->st_polls));
	st.sleeps = cpu_to_be64(atomic64_read(&a->st_sleeps));
	st.inline_runs = cpu_to_be64(atomic64_read(&a->st_inline));
	st.contexts = cpu_to_be64(n);
	sim_dbg_answer(d, &st, sizeof(st), sa);
	return 0;
}

static int sim_dbg_port(struct sim_dbg *d, struct sisl_ioasa *sa)
{
	struct sim_adapter *a = d->a;
	struct cxlflash_sim_dbg_port st = {};
	unsigned int port = d->sub[1];
	u64 nluns, cap;
	__be64 *r;

	if (d->to_afu || d->len != sizeof(st) || port >= a->cfg.nports ||
	    !sim_dbg_zero(d->sub, 2, 12))
		return -EINVAL;
	r = sim_fc_regs(a, port);
	sim_fabric_port_stats(&a->fab, port, &nluns, &cap);
	st.wwpn = cpu_to_be64(hc_rd(&r[FC_PNAME / 8]));
	st.online = cpu_to_be64(!test_bit(port, &a->link_down));
	st.num_luns = cpu_to_be64(nluns);
	st.cap_4k = cpu_to_be64(cap);
	st.provisioned_luns = cpu_to_be64(sim_fabric_provisioned(&a->fab, port));
	st.max_num_luns = cpu_to_be64(hc_rd(&r[FC_MAX_NUM_LUNS / 8]));
	st.max_cap_4k = cpu_to_be64(hc_rd(&r[FC_MAX_CAP_PORT / 8]));
	sim_dbg_answer(d, &st, sizeof(st), sa);
	return 0;
}

void sim_cmd_debug(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
		   struct sisl_ioasa *sa)
{
	struct sim_dbg d = {
		.a = ctx->a,
		.ctx = ctx,
		.sub = &rcb->cdb[SISL_AFU_DEBUG_SUBCMD_OFF],
		.ea = rcb->data_ea,
		.len = rcb->data_len,
		.to_afu = rcb->req_flags & SISL_REQ_FLAGS_HOST_WRITE,
	};
	int rc;

	if (!(d.a->host_caps & SISL_INTVER_CAP_AFU_DEBUG)) {
		sa->rc.afu_rc = SISL_AFU_RC_CAP_VIOLATION;
		return;
	}
	/* cdb[1..3] are not part of the sub-command: must be zero */
	if (!sim_dbg_zero(rcb->cdb, 1, SISL_AFU_DEBUG_SUBCMD_OFF) ||
	    d.len > CXLFLASH_SIM_DBG_SCRATCH_SIZE) {
		sa->rc.afu_rc = SISL_AFU_RC_DEBUG_INVALID;
		return;
	}

	switch (d.sub[0]) {
	case CXLFLASH_SIM_DBG_SCRATCH_WRITE:
		rc = d.to_afu ? sim_dbg_scratch(&d, sa) : -EINVAL;
		break;
	case CXLFLASH_SIM_DBG_SCRATCH_READ:
		rc = d.to_afu ? -EINVAL : sim_dbg_scratch(&d, sa);
		break;
	case CXLFLASH_SIM_DBG_READ_RHT:
		rc = sim_dbg_read_tables(&d, false, sa);
		break;
	case CXLFLASH_SIM_DBG_READ_LXT:
		rc = sim_dbg_read_tables(&d, true, sa);
		break;
	case CXLFLASH_SIM_DBG_ENGINE_STATS:
		rc = sim_dbg_engine(&d, sa);
		break;
	case CXLFLASH_SIM_DBG_PORT_STATS:
		rc = sim_dbg_port(&d, sa);
		break;
	default:
		rc = -EINVAL;
	}
	if (rc)
		sa->rc.afu_rc = SISL_AFU_RC_DEBUG_INVALID;
}

void sim_hostcmd_free(struct sim_adapter *a)
{
	vfree(a->dbg_scratch);
	a->dbg_scratch = NULL;
}
