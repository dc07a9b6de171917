// SPDX-License-Identifier: GPL-2.0-only
/*
 * afu_proto: the AFU side of the user-context protocol, driven the way an
 * existing SISLite client drives it (raw IOARCBs through the 64 KiB host
 * map of fd2, no library), from ../shared/spec/client-protocol.md.
 *
 *  1. CTX_CTRL: written with the sync-error LISN and read back at once,
 *     bit 63 (UNMAP supported) must already be set;
 *  2. SQ mode (when ATTACH says so): waves of 64 IOARCBs, good ones and
 *     every kind of bad one mixed, copied back to back into the ring with
 *     SQ_TAIL written after each; half the waves polled (msi 0), half
 *     through the completion interrupt (msi 2, read() of fd2).  The RRQ
 *     (96 entries) wraps several times.  Every command completes exactly
 *     once, with its IOASA filled in: good 0; invalid opcode 0x21; data
 *     address 0x1234 0x31; empty resource slot 0x05; handle past the RHT
 *     (4096, 65536) 0x03; wrong ctx_id 0x21; LBA past the virtual LUN
 *     0x13; READ of 8 blocks into 4 KiB: OVERRUN, resid 28672; READ of 1
 *     block into 8 KiB: UNDERRUN, resid 4096; WRITE of 2 blocks from 4 KiB:
 *     check condition, OVERRUN, resid 4096;
 *  3. an IOARRIN-format IOARCB put on the SQ (IOASA address 0, as some
 *     clients' negative tests do) is a synchronous error: no RRQ entry,
 *     INTR_STATUS PERM_ERR_SA_WRITE, irq 1 on fd2; cleared, the context
 *     goes on;
 *  4. IOARRIN: CMD_ROOM reads the FIFO depth (64 when idle), the same mix
 *     written back to back as the client does (cached room, re-read only
 *     when it runs out), RRQ entries carrying the IOARCB address; all
 *     complete exactly once with the right codes; CMD_ROOM back to 64;
 *  5. the fd2 mapping does not survive fork(): the child faults on it.
 *
 * usage: afu_proto [-d /dev/sdX] [-v]
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sp_common.h"
#include "cflash_int.h"

/* host map registers (byte offsets) */
#define R_INTR_STATUS	0x08
#define R_INTR_CLEAR	0x10
#define R_INTR_MASK	0x18
#define R_IOARRIN	0x20
#define R_RRQ_START	0x28
#define R_RRQ_END	0x30
#define R_CMD_ROOM	0x38
#define R_CTX_CTRL	0x40
#define R_SQ_START	0x50
#define R_SQ_END	0x58
#define R_SQ_TAIL	0x68

#define UNMAP_CAP	0x8000000000000000ULL
#define ST_SA_WRITE	0x4ULL
#define LISN_SYNC	1
#define LISN_RRQ	2

#define NRRQ		96		/* RRQ entries */
#define WAVE		64		/* commands in flight per wave */
#define NWAVES		6		/* per mode: 384 commands, 4 RRQ wraps */
#define IOARRIN_DEPTH	64		/* the emulated AFU's cmd_room */
#define BS		4096
#define BUFSZ		(8 * BS)

static struct sp_opts O;

struct proto {
	int fd, afd;
	uint16_t ctx_hndl;
	uint64_t ctx_id;
	uint64_t rh;
	bool sq;
	volatile uint64_t *map;
	volatile uint64_t *rrq;		/* NRRQ entries */
	unsigned int rrq_cur;
	uint64_t toggle;
	struct sisl_ioarcb *sqr;	/* NRRQ + 1 slots */
	unsigned int sq_tail;
	struct cf_cmd *cmd;		/* WAVE commands */
	uint8_t *buf;			/* WAVE * BUFSZ */
	int count[WAVE];
	int stray;			/* RRQ entries naming no command */
	int irqs[4];			/* events read per irq number */
};

static uint64_t rd(struct proto *p, unsigned int off)
{
	return be64toh(p->map[off / 8]);
}

static void wr(struct proto *p, unsigned int off, uint64_t v)
{
	p->map[off / 8] = htobe64(v);
}

/* ---- the command mix ---- */
enum kind {
	K_WRITE, K_READ, K_BADOP, K_BADEA, K_EMPTY, K_OOB4K, K_OOB64K,
	K_CTXID, K_PAST, K_ROVER, K_RUNDER, K_WOVER, NKINDS
};

static const char *const kname[NKINDS] = {
	"good write", "good read", "invalid opcode", "data address 0x1234",
	"empty resource slot", "handle 4096", "handle 65536", "wrong ctx_id",
	"LBA past the vLUN", "READ 8 blocks into 4 KiB", "READ 1 block into 8 KiB",
	"WRITE 2 blocks from 4 KiB",
};

struct expect {
	uint8_t flags, afu_rc, scsi_rc;
	uint32_t resid;
};

static const struct expect kexp[NKINDS] = {
	[K_WRITE]	= { 0, 0, 0, 0 },
	[K_READ]	= { 0, 0, 0, 0 },
	[K_BADOP]	= { 0, 0x21, 0, 0 },
	[K_BADEA]	= { 0, 0x31, 0, 0 },
	[K_EMPTY]	= { 0, 0x05, 0, 0 },
	[K_OOB4K]	= { 0, 0x03, 0, 0 },
	[K_OOB64K]	= { 0, 0x03, 0, 0 },
	[K_CTXID]	= { 0, 0x21, 0, 0 },
	[K_PAST]	= { 0, 0x13, 0, 0 },
	[K_ROVER]	= { SISL_SA_OVERRUN, 0, 0, 7 * BS },
	[K_RUNDER]	= { SISL_SA_UNDERRUN, 0, 0, BS },
	[K_WOVER]	= { SISL_SA_OVERRUN | SISL_SA_SENSE_VALID, 0, 2, BS },
};

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* Build command @i of kind @k; @msi 0 (polled) or LISN_RRQ. */
static void build(struct proto *p, int i, enum kind k, uint8_t msi)
{
	struct cf_cmd *c = &p->cmd[i];
	struct sisl_ioarcb *r = &c->rcb;
	uint8_t *b = p->buf + (size_t)i * BUFSZ;
	uint64_t lba = (uint64_t)i;
	uint32_t nblk = 1, len = BS;
	bool write = false;

	memset(c, 0, sizeof(*c));
	c->sa.ioasc = 0xdeadbeef;	/* must be overwritten */
	r->ctx_id = p->ctx_hndl;
	r->req_flags = SISL_REQ_RES_HNDL;
	r->res_hndl = (uint32_t)p->rh;
	r->msi = msi;
	r->timeout = 10;
	r->data_ea = (uint64_t)(uintptr_t)b;
	switch (k) {
	case K_WRITE:
		write = true;
		break;
	case K_READ:
		break;
	case K_BADOP:
		write = true;
		break;
	case K_BADEA:
		r->data_ea = 0x1234;
		break;
	case K_EMPTY:
		r->res_hndl = (uint32_t)p->rh + 1;
		break;
	case K_OOB4K:
		r->res_hndl = 4096;
		break;
	case K_OOB64K:
		r->res_hndl = 65536;
		break;
	case K_CTXID:
		r->ctx_id = p->ctx_hndl ^ 0x100;
		break;
	case K_PAST:
		lba = 0x10000;		/* one chunk: LBAs 0..0xFFFF */
		break;
	case K_ROVER:
		nblk = 8;
		break;
	case K_RUNDER:
		len = 2 * BS;
		break;
	case K_WOVER:
		write = true;
		nblk = 2;
		break;
	default:
		break;
	}
	r->data_len = len;
	if (write) {
		r->req_flags |= SISL_REQ_HOST_WRITE;
		memset(b, 0xA0 + (i & 0xF), len);
	}
	r->cdb[0] = k == K_BADOP ? 0xFA : write ? SCSI_WRITE16 : SCSI_READ16;
	put_be64(&r->cdb[2], lba);
	put_be32(&r->cdb[10], nblk);
	if (p->sq)
		r->sq_ioasa_ea = (uint64_t)(uintptr_t)&c->sa;
}

/* ---- completions ---- */
static void record(struct proto *p, uint64_t addr, bool via_sq)
{
	uintptr_t base = (uintptr_t)(via_sq ? (void *)&p->cmd[0].sa : (void *)&p->cmd[0].rcb);
	uintptr_t a = (uintptr_t)addr;

	if (a < base || (a - base) % sizeof(struct cf_cmd) ||
	    (a - base) / sizeof(struct cf_cmd) >= WAVE) {
		p->stray++;
		return;
	}
	p->count[(a - base) / sizeof(struct cf_cmd)]++;
}

static int drain(struct proto *p, bool via_sq)
{
	int n = 0;

	for (;;) {
		uint64_t e = p->rrq[p->rrq_cur];

		if ((e & 1) != p->toggle)
			return n;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		record(p, e & ~1ULL, via_sq);
		n++;
		if (++p->rrq_cur == NRRQ) {
			p->rrq_cur = 0;
			p->toggle ^= 1;
		}
	}
}

static void read_events(struct proto *p, int timeout_ms)
{
	struct pollfd pf = { .fd = p->afd, .events = POLLIN };
	uint8_t ev[4096];

	while (poll(&pf, 1, timeout_ms) == 1 && (pf.revents & POLLIN)) {
		ssize_t n = read(p->afd, ev, sizeof(ev));
		struct cxl_event_header { uint16_t type, size, pe, rsvd; } h;
		uint16_t irq;

		if (n < 16)
			return;
		memcpy(&h, ev, sizeof(h));
		memcpy(&irq, ev + 10, sizeof(irq));	/* cxl_event_afu_interrupt.irq */
		if (h.type == 1 && irq < 4)
			p->irqs[irq]++;
		timeout_ms = 0;
	}
}

/* Wait until @n completions were seen (or 5 s); returns how many. */
static int wait_done(struct proto *p, int n, bool via_sq, bool irq)
{
	double end = sp_now() + 5.0;
	int got = 0;

	while (got < n && sp_now() < end) {
		got += drain(p, via_sq);
		if (got >= n)
			break;
		if (irq)
			read_events(p, 100);
		else
			usleep(20);
	}
	return got;
}

static bool check_ioasa(struct proto *p, int i, enum kind k, char *why, size_t len)
{
	const struct sisl_ioasa *sa = &p->cmd[i].sa;
	const struct expect *x = &kexp[k];

	if (p->count[i] != 1) {
		snprintf(why, len, "%s completed %d times", kname[k], p->count[i]);
		return false;
	}
	if (sa->rc.flags != x->flags || sa->rc.afu_rc != x->afu_rc ||
	    sa->rc.scsi_rc != x->scsi_rc || sa->resid != x->resid) {
		snprintf(why, len,
			 "%s: flags 0x%02x afu_rc 0x%02x scsi_rc 0x%02x fc_rc 0x%02x resid %u, want flags 0x%02x afu_rc 0x%02x scsi_rc 0x%02x resid %u",
			 kname[k], sa->rc.flags, sa->rc.afu_rc, sa->rc.scsi_rc,
			 sa->rc.fc_rc, sa->resid, x->flags, x->afu_rc,
			 x->scsi_rc, x->resid);
		return false;
	}
	return true;
}

/* Check one wave; counts failures per kind into @bad, first reason kept. */
static void check_wave(struct proto *p, int wave, int bad[NKINDS],
		       char first[NKINDS][256])
{
	for (int i = 0; i < WAVE; i++) {
		enum kind k = (enum kind)((i + wave) % NKINDS);
		char why[256];

		if (!check_ioasa(p, i, k, why, sizeof(why)) && !bad[k]++)
			snprintf(first[k], 256, "%s", why);
	}
}

static void report(const char *mode, int bad[NKINDS], char first[NKINDS][256])
{
	for (int k = 0; k < NKINDS; k++) {
		if (!tap_ok(!bad[k], "%s: %s completes once with its IOASA",
			    mode, kname[k]))
			tap_diag("%d failed, first: %s", bad[k], first[k]);
	}
}

/* ---- set-up ---- */
static bool setup(struct proto *p)
{
	struct dk_cxlflash_attach a;
	uint64_t last;
	int rc;

	memset(p, 0, sizeof(*p));
	p->fd = sp_open_dev(O.dev);
	if (p->fd < 0)
		return tap_ok(false, "open %s: %s", O.dev, strerror(errno));
	rc = sp_attach(p->fd, O_RDWR, 0, &a);
	if (rc)
		return tap_ok(false, "ATTACH: %s", strerror(-rc));
	p->afd = (int)a.adap_fd;
	p->ctx_id = a.context_id;
	p->ctx_hndl = (uint16_t)a.context_id;
	p->sq = a.hdr.return_flags & DK_CXLFLASH_CONTEXT_SQ_CMD_MODE;
	p->map = mmap(NULL, a.mmio_size, PROT_READ | PROT_WRITE, MAP_SHARED, p->afd, 0);
	if (p->map == MAP_FAILED)
		return tap_ok(false, "mmap fd2: %s", strerror(errno));
	rc = sp_uvirtual(p->fd, p->ctx_id, 1, 0, &p->rh, &last);
	if (rc)
		return tap_ok(false, "USER_VIRTUAL: %s", strerror(-rc));
	tap_diag("context %u, handle %llu, last_lba 0x%llx, %s mode", p->ctx_hndl,
		 (unsigned long long)p->rh, (unsigned long long)last,
		 p->sq ? "SQ" : "IOARRIN");

	p->rrq = sp_alloc(NRRQ * sizeof(uint64_t));
	p->sqr = sp_alloc((NRRQ + 1) * sizeof(struct sisl_ioarcb));
	p->cmd = sp_alloc(WAVE * sizeof(struct cf_cmd));
	p->buf = sp_alloc((size_t)WAVE * BUFSZ);
	if (!p->rrq || !p->sqr || !p->cmd || !p->buf)
		return tap_ok(false, "memory");
	p->toggle = 1;
	wr(p, R_RRQ_START, (uintptr_t)&p->rrq[0]);
	wr(p, R_RRQ_END, (uintptr_t)&p->rrq[NRRQ - 1]);
	if (p->sq) {
		wr(p, R_SQ_START, (uintptr_t)&p->sqr[0]);
		wr(p, R_SQ_END, (uintptr_t)&p->sqr[NRRQ]);
	}
	wr(p, R_INTR_MASK, ~0x1FULL);
	return true;
}

static void teardown(struct proto *p)
{
	if (p->map && p->map != MAP_FAILED)
		munmap((void *)p->map, 0x10000);
	if (p->rh)
		sp_release(p->fd, p->ctx_id, p->rh);
	if (p->ctx_id)
		sp_detach(p->fd, p->ctx_id);
	if (p->afd > 0)
		close(p->afd);
	if (p->fd >= 0)
		close(p->fd);
}

/* ---- 1. CTX_CTRL read-back ---- */
static void t_ctx_ctrl(struct proto *p)
{
	uint64_t v;

	wr(p, R_CTX_CTRL, LISN_SYNC);
	v = rd(p, R_CTX_CTRL);
	tap_ok((v & UNMAP_CAP) && (v & 0xFF) == LISN_SYNC,
	       "CTX_CTRL read back at once after the LISN store: 0x%016llx (bit 63 = UNMAP)",
	       (unsigned long long)v);
}

/* ---- 2. SQ ---- */
static void sq_submit(struct proto *p, int i)
{
	p->sqr[p->sq_tail] = p->cmd[i].rcb;
	p->sq_tail = (p->sq_tail + 1) % (NRRQ + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	wr(p, R_SQ_TAIL, (uintptr_t)&p->sqr[p->sq_tail]);
}

static void t_sq(struct proto *p)
{
	int bad[NKINDS] = { 0 }, lost = 0, irq_waves = 0, irq_before;
	static char first[NKINDS][256];

	if (!p->sq) {
		tap_skip("context in IOARRIN mode", "SQ: mixed good and bad IOARCBs");
		return;
	}
	irq_before = p->irqs[LISN_RRQ];
	for (int w = 0; w < NWAVES; w++) {
		bool irq = w & 1;
		int got, ev0 = p->irqs[LISN_RRQ];

		memset(p->count, 0, sizeof(p->count));
		for (int i = 0; i < WAVE; i++)
			build(p, i, (enum kind)((i + w) % NKINDS), irq ? LISN_RRQ : 0);
		for (int i = 0; i < WAVE; i++)
			sq_submit(p, i);
		got = wait_done(p, WAVE, true, irq);
		if (got < WAVE)
			lost += WAVE - got;
		/*
		 * The wave may have completed before its interrupt was read: read
		 * it now (up to 2 s), since a pending interrupt and the next
		 * wave's are one event on fd2 (the AFU coalesces them).
		 */
		for (double end = sp_now() + 2.0; irq && p->irqs[LISN_RRQ] == ev0 &&
		     sp_now() < end;)
			read_events(p, 100);
		irq_waves += irq;
		check_wave(p, w, bad, first);
	}
	usleep(20000);
	drain(p, true);
	tap_ok(!lost && !p->stray, "SQ: %d commands in %d waves of %d back to back, RRQ of %d wrapped %d times: %d never completed, %d stray RRQ entries",
	       NWAVES * WAVE, NWAVES, WAVE, NRRQ, NWAVES * WAVE / NRRQ, lost, p->stray);
	tap_ok(p->irqs[LISN_RRQ] - irq_before >= irq_waves,
	       "SQ: completion interrupts (irq 2) read from fd2 in interrupt-driven waves (%d events, %d waves)",
	       p->irqs[LISN_RRQ] - irq_before, irq_waves);
	report("SQ", bad, first);
}

/* ---- 3. IOARRIN-format IOARCB on the SQ ---- */
static void t_sq_no_ioasa(struct proto *p)
{
	uint64_t st;
	int got, sync_before = p->irqs[LISN_SYNC];

	if (!p->sq) {
		tap_skip("context in IOARRIN mode", "SQ: IOARCB with no IOASA address");
		return;
	}
	memset(p->count, 0, sizeof(p->count));
	build(p, 0, K_WRITE, 0);
	p->cmd[0].rcb.sq_ioasa_ea = 0;
	sq_submit(p, 0);
	got = wait_done(p, 1, true, false);
	read_events(p, 1000);
	st = rd(p, R_INTR_STATUS);
	tap_ok(!got && (st & ST_SA_WRITE) && p->irqs[LISN_SYNC] > sync_before,
	       "SQ: IOARCB with IOASA address 0: no RRQ entry (%d), INTR_STATUS 0x%llx has PERM_ERR_SA_WRITE, sync-error irq on fd2 (%d)",
	       got, (unsigned long long)st, p->irqs[LISN_SYNC] - sync_before);
	wr(p, R_INTR_CLEAR, st & 0x1F);
	for (int i = 0; i < 1000 && rd(p, R_INTR_STATUS); i++)
		usleep(1000);
	memset(p->count, 0, sizeof(p->count));
	build(p, 0, K_WRITE, 0);
	sq_submit(p, 0);
	got = wait_done(p, 1, true, false);
	tap_ok(!rd(p, R_INTR_STATUS) && got == 1 && p->cmd[0].sa.ioasc == 0,
	       "SQ: after INTR_CLEAR the context goes on (status 0x%llx, completed %d, ioasc 0x%x)",
	       (unsigned long long)rd(p, R_INTR_STATUS), got, p->cmd[0].sa.ioasc);
}

/* ---- 4. IOARRIN ---- */
static void t_ioarrin(struct proto *p)
{
	int bad[NKINDS] = { 0 }, lost = 0, retries = 0;
	static char first[NKINDS][256];
	uint64_t room0, room1;

	p->stray = 0;
	room0 = rd(p, R_CMD_ROOM);
	tap_ok(room0 == IOARRIN_DEPTH, "IOARRIN: CMD_ROOM reads %llu when idle (want %d)",
	       (unsigned long long)room0, IOARRIN_DEPTH);
	for (int w = 0; w < NWAVES; w++) {
		bool irq = w & 1;
		int64_t room = 0;
		int got;

		memset(p->count, 0, sizeof(p->count));
		for (int i = 0; i < WAVE; i++)
			build(p, i, (enum kind)((i + w) % NKINDS), irq ? LISN_RRQ : 0);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		/* the client's loop: cached room, re-read only when it runs out */
		for (int i = 0; i < WAVE; i++) {
			while (room <= 0) {
				room = (int64_t)rd(p, R_CMD_ROOM);
				if (room <= 0) {
					retries++;
					usleep(100);
				}
			}
			wr(p, R_IOARRIN, (uintptr_t)&p->cmd[i].rcb);
			room--;
		}
		got = wait_done(p, WAVE, false, irq);
		if (got < WAVE)
			lost += WAVE - got;
		check_wave(p, w, bad, first);
	}
	usleep(20000);
	drain(p, false);
	room1 = rd(p, R_CMD_ROOM);
	tap_ok(!lost && !p->stray && !(rd(p, R_INTR_STATUS) & 0x10),
	       "IOARRIN: %d commands written back to back as CMD_ROOM allows: %d never completed, %d stray RRQ entries, no cmd_room violation",
	       NWAVES * WAVE, lost, p->stray);
	tap_diag("IOARRIN: %d CMD_ROOM re-reads found no room", retries);
	tap_ok(room1 == IOARRIN_DEPTH, "IOARRIN: CMD_ROOM back to %llu after the commands were fetched",
	       (unsigned long long)room1);
	report("IOARRIN", bad, first);
}

/* ---- 5. fork ---- */
static void segv_exit(int sig)
{
	(void)sig;
	_exit(0);
}

static void t_fork(struct proto *p)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGSEGV, segv_exit);
		signal(SIGBUS, segv_exit);
		(void)*(volatile uint64_t *)&p->map[R_CMD_ROOM / 8];
		p->map[R_CTX_CTRL / 8] = htobe64(LISN_SYNC);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "fork: the child cannot touch the parent's fd2 mapping (status 0x%x)", status);
}

static int opt(int c, const char *arg, void *priv)
{
	(void)c;
	(void)arg;
	(void)priv;
	return -1;
}

int main(int argc, char **argv)
{
	struct proto p;
	int orig;

	sp_parse_common(argc, argv, &O, "", opt, NULL, "");
	if (!sp_tap_start(&O))
		return 0;
	tap_diag("LUN %s", O.dev);
	orig = sp_lun_mode(O.dev);
	if (orig < 0)
		tap_bail("%s has no mode attribute", O.dev);
	if (orig != 1 && sp_set_superpipe(O.dev, true))
		tap_bail("cannot put %s in superpipe mode", O.dev);

	if (setup(&p)) {
		t_ctx_ctrl(&p);
		t_sq(&p);
		t_sq_no_ioasa(&p);
		t_ioarrin(&p);
		t_fork(&p);
	}
	teardown(&p);
	if (orig != 1)
		sp_set_superpipe(O.dev, false);
	return tap_done();
}
