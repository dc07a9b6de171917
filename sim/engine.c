// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: the engine.
 *
 * One kernel thread per adapter polls the doorbells of the started
 * contexts (IOARRIN, the SQ tail, the context resets) and the global
 * registers, spinning while there is work (SIM_SPIN_NS) and sleeping,
 * longer and longer up to SIM_SLEEP_MAX_US, when there is none.  A master
 * context's doorbell can also run its queue on the submitting CPU
 * (sim_ctx_run_inline()), which saves the engine's wake-up on the legacy
 * path.
 */
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/sched/stat.h>
#include <linux/sched/stat.h>

#include "sim.h"

/* Engine pacing */
#define SIM_CMD_BUDGET		64	/* commands per context per pass */
#define SIM_SPIN_NS		(2 * NSEC_PER_MSEC)
#define SIM_SLEEP_MIN_US	50
#define SIM_SLEEP_MAX_US	20000
#define SIM_NAP_US		5	/* step aside while spinning */

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
int sim_engine(void *arg)
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

