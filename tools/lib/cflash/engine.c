// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The command engine of one AFU context: set-up of the per-context host
 * map, submission (IOARRIN with CMD_ROOM accounting, or the SQ ring),
 * completion by polling the RRQ, status handling with bounded retries,
 * timeouts (context reset) and recovery (RECOVER_AFU through ctx->ops).
 *
 * Everything here runs with ctx->lock held except the waiting helpers.
 * The fast path (submit, harvest, complete) makes no system calls:
 * the clock is CLOCK_MONOTONIC_COARSE, served by the vDSO.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cflash_int.h"

#define CF_HEALTH_EVERY		64	/* poll rounds between INTR_STATUS reads */
#define CF_TIMEOUT_EVERY	1024	/* poll rounds between timeout scans */
#define CF_RESET_POLL_MS	2000
#define CF_RECOVER_TRIES	4

uint64_t cf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static unsigned int spin_ms_val = CF_DEF_SPIN_MS;

/*
 * Read CFLASH_SPIN_MS.  Called once from the library's init (cflash_open),
 * never from the I/O path: a lazy pthread_once() there would run its
 * first time inside a waiting loop, and glibc's pthread_once() always ends
 * its slow path with futex(FUTEX_WAKE) -- a system call in the middle of
 * the I/O loop.
 */
void cf_spin_init(void)
{
	const char *e = getenv("CFLASH_SPIN_MS");

	if (e && *e) {
		char *end;
		unsigned long v = strtoul(e, &end, 0);

		if (!*end && v <= 3600000ul)
			spin_ms_val = (unsigned int)v;
	}
}

unsigned int cf_spin_ms(void)
{
	return spin_ms_val;
}

/* ------------------------------------------------------------------ */
/* memory and set-up                                                   */
/* ------------------------------------------------------------------ */

int cf_ctx_alloc_dma(struct cf_ctx *ctx)
{
	size_t cmds = sizeof(struct cf_cmd) * CF_NSLOTS;
	size_t rrq = sizeof(uint64_t) * CF_NSLOTS;
	size_t sq = sizeof(struct sisl_ioarcb) * CF_NSQ;
	size_t len = cmds + rrq + sq;
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *p;

	if (pg <= 0)
		pg = 4096;
	len = (len + (size_t)pg - 1) & ~((size_t)pg - 1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	memset(p, 0, len);		/* fault everything in now */
	ctx->dma = p;
	ctx->dma_len = len;
	ctx->cmds = (struct cf_cmd *)p;
	ctx->rrq = (volatile uint64_t *)(p + cmds);
	ctx->sq = (struct sisl_ioarcb *)(p + cmds + rrq);
	return 0;
}

void cf_ctx_free_dma(struct cf_ctx *ctx)
{
	if (ctx->dma)
		munmap(ctx->dma, ctx->dma_len);
	ctx->dma = NULL;
	ctx->cmds = NULL;
	ctx->rrq = NULL;
	ctx->sq = NULL;
}

void cf_ctx_reset_slots(struct cf_ctx *ctx)
{
	for (unsigned int i = 0; i < CF_NSLOTS; i++) {
		uint32_t gen = ctx->slots[i].gen;

		memset(&ctx->slots[i], 0, sizeof(ctx->slots[i]));
		ctx->slots[i].gen = gen;
		ctx->slots[i].dq_prev = ctx->slots[i].dq_next = -1;
		ctx->freelist[i] = (uint16_t)(CF_NSLOTS - 1 - i);
	}
	ctx->nfree = CF_NSLOTS;
	ctx->inflight = 0;
	ctx->nretry = 0;
}

int cf_ctx_setup_locked(struct cf_ctx *ctx)
{
	uint64_t v;

	cf_mmio_write(ctx, SISL_R_INTR_MASK, ~SISL_INTR_CLIENT_BITS);
	cf_mmio_write(ctx, SISL_R_CTX_CTRL, SISL_LISN_SYNC_ERR);
	v = cf_mmio_read(ctx, SISL_R_CTX_CTRL);
	if (v == SISL_ALL_ONES)
		return -EIO;
	ctx->unmap_ok = !!(v & SISL_CTX_CTRL_UNMAP);

	memset((void *)ctx->rrq, 0, sizeof(uint64_t) * CF_NSLOTS);
	ctx->rrq_cur = 0;
	ctx->toggle = SISL_RRQ_TOGGLE;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	cf_mmio_write(ctx, SISL_R_RRQ0_START, (uintptr_t)&ctx->rrq[0]);
	cf_mmio_write(ctx, SISL_R_RRQ0_END, (uintptr_t)&ctx->rrq[CF_NSLOTS - 1]);

	if (ctx->sq_mode) {
		memset(ctx->sq, 0, sizeof(struct sisl_ioarcb) * CF_NSQ);
		ctx->sq_tail = 0;
		cf_mmio_write(ctx, SISL_R_SQ_START, (uintptr_t)&ctx->sq[0]);
		cf_mmio_write(ctx, SISL_R_SQ_END, (uintptr_t)&ctx->sq[CF_NSQ - 1]);
		/* tail = start: the ring is empty (also after a reset) */
		cf_mmio_write(ctx, SISL_R_SQ_TAIL, (uintptr_t)&ctx->sq[0]);
	}
	ctx->room = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* async completion list of a LUN                                      */
/* ------------------------------------------------------------------ */

static void dq_push(struct cf_ctx *ctx, struct cflash_lun *lun, int idx)
{
	struct cf_slot *s = &ctx->slots[idx];

	s->dq_next = -1;
	s->dq_prev = (int16_t)lun->dq_tail;
	if (lun->dq_tail >= 0)
		ctx->slots[lun->dq_tail].dq_next = (int16_t)idx;
	else
		lun->dq_head = idx;
	lun->dq_tail = idx;
}

static void dq_remove(struct cf_ctx *ctx, struct cflash_lun *lun, int idx)
{
	struct cf_slot *s = &ctx->slots[idx];

	if (s->dq_prev >= 0)
		ctx->slots[s->dq_prev].dq_next = s->dq_next;
	else if (lun->dq_head == idx)
		lun->dq_head = s->dq_next;
	if (s->dq_next >= 0)
		ctx->slots[s->dq_next].dq_prev = s->dq_prev;
	else if (lun->dq_tail == idx)
		lun->dq_tail = s->dq_prev;
	s->dq_prev = s->dq_next = -1;
}

static void slot_free(struct cf_ctx *ctx, int idx)
{
	struct cf_slot *s = &ctx->slots[idx];

	if (s->state == CF_SLOT_DONE && s->async && s->owner) {
		dq_remove(ctx, s->owner, idx);
		if (s->owner->async_out)
			s->owner->async_out--;
	}
	s->state = CF_SLOT_FREE;
	s->owner = NULL;
	ctx->freelist[ctx->nfree++] = (uint16_t)idx;
}

static void slot_finish(struct cf_ctx *ctx, int idx, int status)
{
	struct cf_slot *s = &ctx->slots[idx];

	if (s->state == CF_SLOT_RETRY_WAIT && ctx->nretry)
		ctx->nretry--;
	if (s->state == CF_SLOT_INFLIGHT && ctx->inflight)
		ctx->inflight--;
	s->state = CF_SLOT_DONE;
	s->status = status;
	if (status) {
		ctx->st.errors++;
		if (!ctx->last.valid || ctx->last.err != status) {
			/* keep the IOASA of AFU-reported failures */
			struct sisl_ioasa none;

			memset(&none, 0, sizeof(none));
			cf_set_last_error(ctx, status, ctx->cmds ?
					  &ctx->cmds[idx].sa : &none, s->lba);
		}
	}
	if (s->async && s->owner)
		dq_push(ctx, s->owner, idx);
}

static void slot_retry(struct cf_ctx *ctx, int idx, uint64_t delay_ms)
{
	struct cf_slot *s = &ctx->slots[idx];

	if (s->state == CF_SLOT_INFLIGHT && ctx->inflight)
		ctx->inflight--;
	if (s->state != CF_SLOT_RETRY_WAIT)
		ctx->nretry++;
	s->state = CF_SLOT_RETRY_WAIT;
	s->t_retry = delay_ms ? cf_now_ms() + delay_ms : 0;
}

/* ------------------------------------------------------------------ */
/* submission                                                          */
/* ------------------------------------------------------------------ */

/* 0, -EAGAIN (no room: stays RETRY_WAIT), -ENOTCONN (context gone) */
static int submit_locked(struct cf_ctx *ctx, int idx)
{
	struct cf_slot *s = &ctx->slots[idx];
	struct cf_cmd *c = &ctx->cmds[idx];
	struct cflash_lun *lun = s->owner;
	unsigned int tmo = ctx->timeout_ms / 2000u;

	if (!ctx->sq_mode && ctx->room <= 0) {
		uint64_t r = cf_mmio_read(ctx, SISL_R_CMD_ROOM);

		if (r == SISL_ALL_ONES)
			return -ENOTCONN;
		ctx->room = (int64_t)(r > CF_NSLOTS ? CF_NSLOTS : r);
		if (ctx->room <= 0)
			return -EAGAIN;
	}

	cf_build_rw(&c->rcb, ctx->hw_ctx_id, (uint32_t)lun->rhndl, s->write,
		    s->lba, s->nblocks, lun->block_size, s->data_ea,
		    (lun->flags & CFLASH_OPEN_IRQ) ? SISL_LISN_RRQ : 0,
		    (uint16_t)(tmo ? (tmo > 0xFFFF ? 0xFFFF : tmo) : 1));
	memset(&c->sa, 0, sizeof(c->sa));

	if (s->state == CF_SLOT_RETRY_WAIT && ctx->nretry)
		ctx->nretry--;
	s->state = CF_SLOT_INFLIGHT;
	s->t_submit = cf_now_ms();
	ctx->inflight++;

	if (ctx->sq_mode) {
		c->rcb.sq_ioasa_ea = (uintptr_t)&c->sa;
		memcpy(&ctx->sq[ctx->sq_tail], &c->rcb, sizeof(c->rcb));
		ctx->sq_tail = (ctx->sq_tail + 1) % CF_NSQ;
		cf_mmio_write(ctx, SISL_R_SQ_TAIL,
			      (uintptr_t)&ctx->sq[ctx->sq_tail]);
	} else {
		ctx->room--;
		cf_mmio_write(ctx, SISL_R_IOARRIN, (uintptr_t)&c->rcb);
	}
	return 0;
}

static int recover_locked(struct cf_ctx *ctx, uint64_t reason);

/* push RETRY_WAIT slots whose time has come */
static void push_pending_locked(struct cf_ctx *ctx)
{
	uint64_t now;

	if (!ctx->nretry || ctx->dead || ctx->forked)
		return;
	now = cf_now_ms();
	for (int i = 0; i < CF_NSLOTS && ctx->nretry; i++) {
		struct cf_slot *s = &ctx->slots[i];
		int rc;

		if (s->state != CF_SLOT_RETRY_WAIT || s->t_retry > now)
			continue;
		rc = submit_locked(ctx, i);
		if (rc == -EAGAIN)
			return;
		if (rc == -ENOTCONN) {
			recover_locked(ctx, 1);
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* completion                                                          */
/* ------------------------------------------------------------------ */

static int ea_to_slot(struct cf_ctx *ctx, uint64_t ea)
{
	uint64_t base = (uintptr_t)ctx->cmds + (ctx->sq_mode ?
				offsetof(struct cf_cmd, sa) : 0);
	uint64_t off;

	if (ea < base)
		return -1;
	off = ea - base;
	if (off % sizeof(struct cf_cmd) || off / sizeof(struct cf_cmd) >= CF_NSLOTS)
		return -1;
	return (int)(off / sizeof(struct cf_cmd));
}

static void complete_locked(struct cf_ctx *ctx, int idx)
{
	struct cf_slot *s = &ctx->slots[idx];
	struct sisl_ioasa sa = ctx->cmds[idx].sa;	/* snapshot */
	struct cf_verdict v = cf_classify(&sa);
	uint64_t delay = 0;

	ctx->st.commands++;
	switch (v.act) {
	case CF_ACT_OK:
		slot_finish(ctx, idx, 0);
		return;
	case CF_ACT_FAIL:
		cf_set_last_error(ctx, v.err, &sa, s->lba);
		slot_finish(ctx, idx, v.err);
		return;
	case CF_ACT_RECOVER:
		if (cf_mmio_read(ctx, SISL_R_INTR_STATUS) != SISL_ALL_ONES) {
			cf_set_last_error(ctx, v.err, &sa, s->lba);
			slot_finish(ctx, idx, v.err);
			return;
		}
		ctx->st.retries++;
		slot_retry(ctx, idx, 0);
		ctx->need_recover = true;
		return;
	case CF_ACT_VERIFY:
		ctx->st.verifies++;
		if (ctx->ops && ctx->ops->verify && s->owner) {
			int rc = ctx->ops->verify(s->owner, sa.sense);

			if (rc) {
				cf_set_last_error(ctx, rc, &sa, s->lba);
				slot_finish(ctx, idx, rc);
				return;
			}
		}
		break;
	case CF_ACT_RETRY_DELAY:
		delay = 10u * (1u << (s->retries < 6 ? s->retries : 6));
		break;
	case CF_ACT_RETRY:
		break;
	}
	if (++s->retries > CF_MAX_RETRIES) {
		cf_set_last_error(ctx, v.err, &sa, s->lba);
		slot_finish(ctx, idx, v.err);
		return;
	}
	ctx->st.retries++;
	slot_retry(ctx, idx, delay);
}

/* move harvested RRQ entries to COMPLETED, then process them */
static void harvest_locked(struct cf_ctx *ctx)
{
	int done[CF_NSLOTS];
	int n = 0;

	while (n < CF_NSLOTS) {
		uint64_t ea;
		int idx, rc;

		rc = cf_rrq_pop(ctx->rrq, CF_NSLOTS, &ctx->rrq_cur,
				&ctx->toggle, &ea);
		if (rc == 0)
			break;
		if (rc < 0) {
			ctx->need_recover = true;
			break;
		}
		idx = ea_to_slot(ctx, ea);
		if (idx < 0 || ctx->slots[idx].state != CF_SLOT_INFLIGHT) {
			ctx->spurious++;
			continue;
		}
		ctx->slots[idx].state = CF_SLOT_COMPLETED;
		if (ctx->inflight)
			ctx->inflight--;
		done[n++] = idx;
	}
	for (int i = 0; i < n; i++)
		if (ctx->slots[done[i]].state == CF_SLOT_COMPLETED)
			complete_locked(ctx, done[i]);
}

/* re-queue every command the AFU may have lost */
static void requeue_inflight_locked(struct cf_ctx *ctx, bool count_retry)
{
	for (int i = 0; i < CF_NSLOTS; i++) {
		struct cf_slot *s = &ctx->slots[i];

		if (s->state != CF_SLOT_INFLIGHT)
			continue;
		if (count_retry && ++s->retries > CF_MAX_RETRIES) {
			slot_finish(ctx, i, -ETIMEDOUT);
			continue;
		}
		slot_retry(ctx, i, 0);
	}
	ctx->inflight = 0;
}

static void fail_all_locked(struct cf_ctx *ctx, int err)
{
	for (int i = 0; i < CF_NSLOTS; i++) {
		uint8_t st = ctx->slots[i].state;

		if (st == CF_SLOT_INFLIGHT || st == CF_SLOT_RETRY_WAIT ||
		    st == CF_SLOT_COMPLETED)
			slot_finish(ctx, i, err);
	}
	ctx->inflight = 0;
	ctx->nretry = 0;
}

static void short_sleep_us(unsigned int us)
{
	struct timespec ts = { 0, (long)us * 1000L };

	nanosleep(&ts, NULL);
}

static int recover_locked(struct cf_ctx *ctx, uint64_t reason)
{
	int rc = -ENOTCONN;

	if (ctx->in_recovery || ctx->dead || ctx->forked)
		return ctx->dead ? ctx->dead : -EBUSY;
	ctx->in_recovery = true;
	ctx->need_recover = false;

	for (int attempt = 0; attempt < CF_RECOVER_TRIES; attempt++) {
		ctx->st.recoveries++;
		rc = ctx->ops && ctx->ops->recover ?
			ctx->ops->recover(ctx, reason) : -ENOTCONN;
		if (rc == 1) {
			ctx->st.ctx_resets++;
			/* the RRQ lives in our memory: take what completed */
			harvest_locked(ctx);
			requeue_inflight_locked(ctx, false);
			rc = cf_ctx_setup_locked(ctx);
			if (rc == 0)
				break;
			continue;
		}
		if (rc == 0) {
			/* the driver says the context is fine: is it? */
			if (cf_mmio_read(ctx, SISL_R_INTR_STATUS) != SISL_ALL_ONES)
				break;
			rc = -ENOTCONN;
		}
		if (rc != -ENOTCONN && rc != -EAGAIN && rc != -EINTR &&
		    rc != -EIO && rc != -ENODEV)
			break;
		short_sleep_us(100000u * (unsigned int)(attempt + 1));
	}

	if (rc < 0) {
		ctx->dead = rc == -EINVAL ? -ENOTCONN : rc;
		fail_all_locked(ctx, ctx->dead);
	}
	ctx->in_recovery = false;
	if (rc == 0)
		push_pending_locked(ctx);
	return rc;
}

/*
 * Context reset after a timeout or a synchronous error.  A reset slower
 * than CF_RESET_POLL_MS asks the driver (RECOVER_AFU): a context it
 * replaced is set up anew there; one it finds fine is still resetting, and
 * going on would let the reset empty the queues under the re-issued
 * commands, so the poll goes on, CF_RECOVER_TRIES rounds at the most,
 * after which the context is given up (-ENOTCONN).
 */
static int ctx_reset_locked(struct cf_ctx *ctx)
{
	unsigned int reg = ctx->sq_mode ? SISL_R_SQ_CTX_RESET : SISL_R_IOARRIN;
	uint64_t t0 = cf_now_ms(), v;
	unsigned int spins = 0, rounds = 0;
	int rc;

	cf_mmio_write(ctx, reg, 1);
	for (;;) {
		v = cf_mmio_read(ctx, reg);
		if (v == SISL_ALL_ONES)
			return recover_locked(ctx, 2);
		if (!(v & 1))
			break;
		if (cf_now_ms() - t0 > CF_RESET_POLL_MS) {
			rc = recover_locked(ctx, 3);
			if (rc)
				return rc;
			if (++rounds == CF_RECOVER_TRIES) {
				ctx->dead = -ENOTCONN;
				fail_all_locked(ctx, ctx->dead);
				return ctx->dead;
			}
			t0 = cf_now_ms();
			spins = 0;
			continue;
		}
		if (++spins > 1000)
			short_sleep_us(50);
		else
			cf_cpu_relax();
	}
	/* completions written before the reset are genuine */
	harvest_locked(ctx);
	requeue_inflight_locked(ctx, true);
	if (cf_ctx_setup_locked(ctx))
		return recover_locked(ctx, 4);
	push_pending_locked(ctx);
	return 0;
}

static void check_health_locked(struct cf_ctx *ctx, bool timeouts)
{
	uint64_t st = cf_mmio_read(ctx, SISL_R_INTR_STATUS);

	if (st == SISL_ALL_ONES) {
		recover_locked(ctx, 5);
		return;
	}
	if (st & SISL_INTR_ALL_BITS) {
		/* synchronous error: some command was lost */
		cf_mmio_write(ctx, SISL_R_INTR_CLEAR, st & SISL_INTR_ALL_BITS);
		ctx_reset_locked(ctx);
		return;
	}
	if (timeouts && ctx->inflight) {
		uint64_t now = cf_now_ms();

		for (int i = 0; i < CF_NSLOTS; i++) {
			struct cf_slot *s = &ctx->slots[i];

			if (s->state == CF_SLOT_INFLIGHT &&
			    now - s->t_submit > ctx->timeout_ms) {
				ctx->st.timeouts++;
				ctx_reset_locked(ctx);
				return;
			}
		}
	}
}

int cf_poll_once(struct cf_ctx *ctx)
{
	if (ctx->forked)
		return -ESTALE;
	if (ctx->dead)
		return ctx->dead;
	harvest_locked(ctx);
	if (ctx->need_recover)
		recover_locked(ctx, 6);
	if (++ctx->health_tick % CF_HEALTH_EVERY == 0 ||
	    (ctx->inflight == 0 && ctx->nretry))
		check_health_locked(ctx,
				    ctx->health_tick % CF_TIMEOUT_EVERY == 0);
	push_pending_locked(ctx);
	return ctx->dead;
}

/* ------------------------------------------------------------------ */
/* waiting                                                             */
/* ------------------------------------------------------------------ */

struct cf_waiter {
	unsigned long spins;
	uint64_t t0;
	bool slow;
};

static void wait_step(struct cflash_lun *lun, struct cf_waiter *w)
{
	struct cf_ctx *ctx = lun->ctx;

	w->spins++;
	if (!w->slow && (w->spins & 255) == 0 &&
	    !(lun->flags & CFLASH_OPEN_POLL_ONLY)) {
		uint64_t now = cf_now_ms();

		if (!w->t0)
			w->t0 = now;
		else if (now - w->t0 >= cf_spin_ms())
			w->slow = true;
	}
	if (!w->slow) {
		cf_cpu_relax();
		return;
	}
	if ((lun->flags & CFLASH_OPEN_IRQ) && ctx->fd2 >= 0) {
		struct pollfd pfd = { .fd = ctx->fd2, .events = POLLIN };

		if (poll(&pfd, 1, 2) > 0) {
			if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
				ctx->need_recover = true;
			} else if (pfd.revents & POLLIN) {
				uint64_t buf[CF_EVENT_READ_MIN / 8];
				ssize_t n = read(ctx->fd2, buf, sizeof(buf));

				if (n < 0 && errno == EIO)
					ctx->need_recover = true;
			}
		}
		return;
	}
	sched_yield();
}

static bool slot_matches(struct cf_ctx *ctx, struct cflash_lun *lun,
			 unsigned int idx, uint32_t gen)
{
	struct cf_slot *s;

	if (idx >= CF_NSLOTS)
		return false;
	s = &ctx->slots[idx];
	return s->state != CF_SLOT_FREE && s->owner == lun && s->gen == gen;
}

int cf_submit(struct cflash_lun *lun, bool write, uint64_t data_ea,
	      uint64_t lba, uint32_t nblocks, bool async, bool wait_slot,
	      unsigned int *slot_out, uint32_t *gen_out)
{
	struct cf_ctx *ctx = lun->ctx;
	struct cf_waiter w = { 0 };
	struct cf_slot *s;
	int idx, rc;

	pthread_mutex_lock(&ctx->lock);
	for (;;) {
		if (ctx->forked) {
			rc = -ESTALE;
			goto out;
		}
		if (ctx->dead) {
			rc = ctx->dead;
			goto out;
		}
		if (ctx->nfree)
			break;
		if (!wait_slot) {
			cf_poll_once(ctx);
			if (ctx->nfree)
				continue;
			rc = -EAGAIN;
			goto out;
		}
		cf_poll_once(ctx);
		if (ctx->nfree)
			continue;
		pthread_mutex_unlock(&ctx->lock);
		wait_step(lun, &w);
		pthread_mutex_lock(&ctx->lock);
	}

	idx = ctx->freelist[--ctx->nfree];
	s = &ctx->slots[idx];
	s->gen++;
	s->owner = lun;
	s->async = async;
	s->write = write;
	s->lba = lba;
	s->nblocks = nblocks;
	s->data_ea = data_ea;
	s->retries = 0;
	s->status = 0;
	s->dq_prev = s->dq_next = -1;
	s->state = CF_SLOT_RETRY_WAIT;
	s->t_retry = 0;
	ctx->nretry++;
	if (async)
		lun->async_out++;

	rc = submit_locked(ctx, idx);
	if (rc == -ENOTCONN)
		recover_locked(ctx, 1);
	/* -EAGAIN: no room yet, the poll loop submits it */
	*slot_out = (unsigned int)idx;
	*gen_out = s->gen;
	rc = 0;
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

int cf_wait_slot(struct cflash_lun *lun, unsigned int idx, uint32_t gen,
		 bool wait, int *status)
{
	struct cf_ctx *ctx = lun->ctx;
	struct cf_waiter w = { 0 };

	for (;;) {
		pthread_mutex_lock(&ctx->lock);
		if (!slot_matches(ctx, lun, idx, gen)) {
			pthread_mutex_unlock(&ctx->lock);
			return -EINVAL;
		}
		if (ctx->slots[idx].state != CF_SLOT_DONE)
			cf_poll_once(ctx);
		if (ctx->forked) {
			pthread_mutex_unlock(&ctx->lock);
			return -ESTALE;
		}
		if (ctx->slots[idx].state == CF_SLOT_DONE) {
			*status = ctx->slots[idx].status;
			slot_free(ctx, (int)idx);
			pthread_mutex_unlock(&ctx->lock);
			return 1;
		}
		pthread_mutex_unlock(&ctx->lock);
		if (!wait)
			return 0;
		wait_step(lun, &w);
	}
}

int cf_reap_tag(struct cflash_lun *lun, cflash_tag_t tag, bool wait,
		struct cflash_completion *c)
{
	unsigned int idx = (unsigned int)(tag & 0xFFFF);
	uint32_t gen = (uint32_t)(tag >> 16);
	struct cf_ctx *ctx = lun->ctx;
	uint32_t nblocks;
	int rc, status = 0;

	if (tag >> 48)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	if (!slot_matches(ctx, lun, idx, gen) || !ctx->slots[idx].async) {
		pthread_mutex_unlock(&ctx->lock);
		return -EINVAL;
	}
	nblocks = ctx->slots[idx].nblocks;
	pthread_mutex_unlock(&ctx->lock);

	rc = cf_wait_slot(lun, idx, gen, wait, &status);
	if (rc == 1) {
		c->tag = tag;
		c->status = status;
		c->nblocks = nblocks;
	}
	return rc;
}

int cf_reap_any(struct cflash_lun *lun, bool wait, struct cflash_completion *c)
{
	struct cf_ctx *ctx = lun->ctx;
	struct cf_waiter w = { 0 };

	for (;;) {
		pthread_mutex_lock(&ctx->lock);
		if (lun->dq_head < 0)
			cf_poll_once(ctx);
		if (ctx->forked) {
			pthread_mutex_unlock(&ctx->lock);
			return -ESTALE;
		}
		if (lun->dq_head >= 0) {
			int idx = lun->dq_head;
			struct cf_slot *s = &ctx->slots[idx];

			c->tag = cf_tag_make((unsigned int)idx, s->gen);
			c->status = s->status;
			c->nblocks = s->nblocks;
			slot_free(ctx, idx);
			pthread_mutex_unlock(&ctx->lock);
			return 1;
		}
		if (!lun->async_out) {
			pthread_mutex_unlock(&ctx->lock);
			return -ENOENT;
		}
		pthread_mutex_unlock(&ctx->lock);
		if (!wait)
			return 0;
		wait_step(lun, &w);
	}
}

void cf_drain_lun(struct cflash_lun *lun)
{
	struct cf_ctx *ctx = lun->ctx;
	struct cf_waiter w = { 0 };

	for (;;) {
		bool busy = false;

		pthread_mutex_lock(&ctx->lock);
		if (!ctx->forked && !ctx->dead)
			cf_poll_once(ctx);
		for (int i = 0; i < CF_NSLOTS; i++) {
			struct cf_slot *s = &ctx->slots[i];

			if (s->owner != lun || s->state == CF_SLOT_FREE)
				continue;
			if (s->state == CF_SLOT_DONE || ctx->forked || ctx->dead) {
				if (s->state != CF_SLOT_DONE)
					slot_finish(ctx, i, -ECANCELED);
				slot_free(ctx, i);
			} else {
				busy = true;
			}
		}
		pthread_mutex_unlock(&ctx->lock);
		if (!busy)
			return;
		wait_step(lun, &w);
	}
}
