// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host unit tests for libcflash: pure SISLite logic (IOARCB/CDB encoding,
 * RRQ toggle handling, sense and VPD parsing, status classification) and
 * the command engine driven against an emulated AFU thread that speaks the
 * per-context host map (SQ mode at high queue depth with out-of-order
 * completions, IOARRIN mode at QD1), with fault injection: unit attention,
 * busy, dropped command (timeout -> context reset), a context reset
 * slower than the library's poll and one that never ends, dead context
 * (all-ones MMIO -> recovery), translation errors.  Output is TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cflash_int.h"

static int n_test, n_fail;

#define OK(cond, ...) do {						\
	n_test++;							\
	if (cond) {							\
		printf("ok %d - ", n_test);				\
	} else {							\
		n_fail++;						\
		printf("not ok %d - ", n_test);				\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!(cond))							\
		printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
} while (0)

/* ------------------------------------------------------------------ */
/* pure logic                                                          */
/* ------------------------------------------------------------------ */

static void test_encoding(void)
{
	struct sisl_ioarcb r;
	static const uint8_t want[16] = {
		0x8A, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x00, 0x00, 0x01, 0x00, 0, 0
	};

	cf_build_rw(&r, 0x1234, 7, true, 0x0102030405060708ULL, 256, 4096,
		    0xdead0000ULL, 2, 15);
	OK(r.ctx_id == 0x1234 && r.res_hndl == 7, "IOARCB ctx_id and res_hndl");
	OK(r.req_flags == (SISL_REQ_RES_HNDL | SISL_REQ_HOST_WRITE),
	   "write: req_flags = RES_HNDL|HOST_WRITE (0x%04x)", r.req_flags);
	OK(r.data_len == 256 * 4096 && r.data_ea == 0xdead0000ULL && r.msi == 2 &&
	   r.timeout == 15 && r.ioadl_len == 0 && r.rrq == 0,
	   "data_len, data_ea, msi, timeout");
	OK(memcmp(r.cdb, want, 16) == 0, "WRITE(16) CDB big-endian LBA and length");
	cf_build_rw(&r, 1, 0, false, 5, 1, 512, 0x1000, 0, 1);
	OK(r.cdb[0] == 0x88 && r.cdb[9] == 5 && r.cdb[13] == 1 &&
	   r.req_flags == SISL_REQ_RES_HNDL && r.data_len == 512,
	   "READ(16) CDB and flags");
	{
		uint8_t *b = (uint8_t *)&r;

		OK(b[40] == 0x88, "CDB sits at byte 40 of the IOARCB");
	}
}

static void test_rrq(void)
{
	uint64_t q[4] = { 0 };
	unsigned int cur = 0;
	uint64_t tog = 1, ea = 0;
	int got = 0, rc;

	OK(cf_rrq_pop(q, 4, &cur, &tog, &ea) == 0, "empty zeroed RRQ yields nothing");
	/* first lap: toggle 1 */
	for (int i = 0; i < 4; i++)
		q[i] = (0x1000u + 0x80u * (unsigned)i) | 1;
	for (int i = 0; i < 4; i++) {
		rc = cf_rrq_pop(q, 4, &cur, &tog, &ea);
		got += rc == 1 && ea == 0x1000u + 0x80u * (unsigned)i;
	}
	OK(got == 4 && cur == 0 && tog == 0, "lap 1: 4 entries, wrap flips toggle to 0");
	OK(cf_rrq_pop(q, 4, &cur, &tog, &ea) == 0, "stale lap-1 entries are not taken");
	q[0] = 0x2000;		/* lap 2: toggle 0 */
	rc = cf_rrq_pop(q, 4, &cur, &tog, &ea);
	OK(rc == 1 && ea == 0x2000 && cur == 1, "lap 2 entry with toggle 0");
	OK(cf_rrq_pop(q, 4, &cur, &tog, &ea) == 0, "next lap-1 leftover ignored");
	q[1] = UINT64_MAX;
	OK(cf_rrq_pop(q, 4, &cur, &tog, &ea) == -EIO, "all-ones entry reported");
}

static void test_sense(void)
{
	uint8_t fixed[18] = { 0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x2A, 0x09 };
	uint8_t desc[8] = { 0x72, 0x05, 0x21, 0x00 };
	uint8_t bad[18] = { 0x12 };
	struct cf_sense s;

	OK(cf_parse_sense(fixed, 18, &s) && s.key == 6 && s.asc == 0x2A &&
	   s.ascq == 0x09, "fixed sense: UA 2A/09");
	OK(cf_parse_sense(desc, 8, &s) && s.key == 5 && s.asc == 0x21,
	   "descriptor sense: ILLEGAL REQUEST 21/00");
	OK(!cf_parse_sense(bad, 18, &s) && !cf_parse_sense(fixed, 8, &s) &&
	   !cf_parse_sense(NULL, 18, &s), "bad response code / short / NULL sense rejected");
}

static void test_classify(void)
{
	struct sisl_ioasa sa;
	struct cf_verdict v;

	memset(&sa, 0, sizeof(sa));
	OK(cf_classify(&sa).act == CF_ACT_OK, "ioasc 0 is good");
	sa.rc.scsi_rc = 0x02;
	sa.rc.flags = SISL_SA_SENSE_VALID;
	sa.sense[0] = 0x70; sa.sense[2] = 0x06; sa.sense[12] = 0x29;
	OK(cf_classify(&sa).act == CF_ACT_VERIFY, "check condition + UA -> VERIFY");
	sa.sense[2] = 0x05; sa.sense[12] = 0x21;
	v = cf_classify(&sa);
	OK(v.act == CF_ACT_FAIL && v.err == -ERANGE, "ILLEGAL REQUEST LBA out of range -> -ERANGE");
	sa.sense[2] = 0x01;
	OK(cf_classify(&sa).act == CF_ACT_OK, "RECOVERED ERROR counts as good");
	memset(&sa, 0, sizeof(sa));
	sa.rc.scsi_rc = 0x08;
	OK(cf_classify(&sa).act == CF_ACT_RETRY_DELAY, "BUSY -> delayed retry");
	memset(&sa, 0, sizeof(sa));
	sa.rc.afu_rc = 0x13;
	v = cf_classify(&sa);
	OK(v.act == CF_ACT_FAIL && v.err == -ERANGE, "afu_rc 0x13 (LXT OOB) -> -ERANGE");
	sa.rc.afu_rc = 0x21;
	OK(cf_classify(&sa).act == CF_ACT_RECOVER, "afu_rc 0x21 -> check context");
	sa.rc.afu_rc = 0x30;
	OK(cf_classify(&sa).act == CF_ACT_RETRY_DELAY, "afu_rc 0x30 -> retry");
	sa.rc.afu_rc = 0x05;
	v = cf_classify(&sa);
	OK(v.act == CF_ACT_FAIL && v.err == -EACCES, "afu_rc 0x05 -> -EACCES");
	memset(&sa, 0, sizeof(sa));
	sa.rc.fc_rc = 0x57;
	OK(cf_classify(&sa).act == CF_ACT_RETRY_DELAY, "fc_rc link down -> delayed retry");
	memset(&sa, 0, sizeof(sa));
	sa.rc.flags = SISL_SA_UNDERRUN;
	sa.resid = 512;
	OK(cf_classify(&sa).act == CF_ACT_RETRY, "underrun with residual is not success");
	OK(strcmp(cflash_afu_rc_name(0x13), "unknown") && strcmp(cflash_fc_rc_name(0x57), "unknown") &&
	   !strcmp(cflash_afu_rc_name(0x77), "unknown"), "rc names");
	OK(cflash_strerror(-ESTALE) && strstr(cflash_strerror(-ESTALE), "fork") &&
	   cflash_strerror(12345), "strerror");
}

static void test_vpd(void)
{
	uint8_t pg[64], w[16];
	size_t o = 4;

	memset(pg, 0, sizeof(pg));
	pg[1] = 0x83;
	/* T10 vendor id, ASCII */
	pg[o] = 0x02; pg[o + 1] = 0x01; pg[o + 3] = 8;
	memcpy(&pg[o + 4], "IBM     ", 8);
	o += 12;
	/* NAA-5, 8 bytes */
	pg[o] = 0x01; pg[o + 1] = 0x03; pg[o + 3] = 8; pg[o + 4] = 0x50;
	o += 12;
	/* NAA-6, 16 bytes */
	pg[o] = 0x01; pg[o + 1] = 0x03; pg[o + 3] = 16;
	for (int i = 0; i < 16; i++)
		pg[o + 4 + i] = (uint8_t)(0x60 + i);
	o += 20;
	pg[3] = (uint8_t)(o - 4);
	OK(cf_vpd83_wwid(pg, o, w) == 0 && w[0] == 0x60 && w[15] == 0x6F,
	   "VPD 0x83: NAA-6 16-byte designator picked");
	OK(cf_vpd83_wwid(pg, 28, w) == -ENODATA, "VPD 0x83 truncated before NAA-6: -ENODATA");
	pg[1] = 0x80;
	OK(cf_vpd83_wwid(pg, o, w) == -EINVAL, "wrong page code rejected");
}

/* ------------------------------------------------------------------ */
/* emulated AFU                                                        */
/* ------------------------------------------------------------------ */

#define DISK_BLOCKS	4096
#define BS		4096

struct fake {
	pthread_t thr;
	volatile int stop;
	uint8_t *mmio;
	bool sq;
	uint8_t *disk;
	uint32_t rhndl;
	/* AFU state */
	uint64_t sq_head;
	uint64_t rrq_pos;
	uint64_t toggle;
	uint64_t rrq_start_seen;
	/* fault injection (consumed by the AFU thread) */
	volatile int ua, busy, drop, afu_rc, kill;
	volatile int dead;
	/* a context reset takes reset_ms (from reset_seen) */
	volatile unsigned int reset_ms;
	uint64_t reset_seen;
	/* pending completions (shuffled) */
	uint64_t pend_ea[8];
	struct sisl_ioasa pend_sa[8];
	int npend;
	unsigned int seed;
	uint64_t executed;
	int verifies, recovers;
	pthread_mutex_t lock;
};

static struct fake F;

static uint64_t reg(unsigned int off)
{
	return be64toh(__atomic_load_n((uint64_t *)(F.mmio + off), __ATOMIC_ACQUIRE));
}

static void setreg(unsigned int off, uint64_t v)
{
	__atomic_store_n((uint64_t *)(F.mmio + off), htobe64(v), __ATOMIC_RELEASE);
}

static void post(uint64_t ea)
{
	uint64_t start = reg(SISL_R_RRQ0_START), end = reg(SISL_R_RRQ0_END);

	if (F.rrq_start_seen != start || !F.rrq_pos) {
		F.rrq_start_seen = start;
		F.rrq_pos = start;
		F.toggle = 1;
	}
	__atomic_store_n((uint64_t *)(uintptr_t)F.rrq_pos, ea | F.toggle,
			 __ATOMIC_RELEASE);
	if (F.rrq_pos == end) {
		F.rrq_pos = start;
		F.toggle ^= 1;
	} else {
		F.rrq_pos += 8;
	}
}

static void flush_pending(void)
{
	while (F.npend) {
		int i = (int)(rand_r(&F.seed) % (unsigned)F.npend);
		struct sisl_ioasa *sa;
		uint64_t ea = F.pend_ea[i];

		sa = (struct sisl_ioasa *)(uintptr_t)(F.sq ? ea : ea + 64);
		memcpy(sa, &F.pend_sa[i], sizeof(*sa));
		post(ea);
		F.pend_ea[i] = F.pend_ea[F.npend - 1];
		F.pend_sa[i] = F.pend_sa[F.npend - 1];
		F.npend--;
	}
}

static void execute(const struct sisl_ioarcb *r, uint64_t done_ea)
{
	struct sisl_ioasa sa;
	uint64_t lba = 0;
	uint32_t n = 0;

	memset(&sa, 0, sizeof(sa));
	for (int i = 0; i < 8; i++)
		lba = (lba << 8) | r->cdb[2 + i];
	for (int i = 0; i < 4; i++)
		n = (n << 8) | r->cdb[10 + i];
	F.executed++;
	if (F.drop) {
		F.drop--;
		return;		/* never completes */
	}
	if (F.ua) {
		F.ua--;
		sa.rc.scsi_rc = 0x02;
		sa.rc.flags = SISL_SA_SENSE_VALID;
		sa.sense[0] = 0x70; sa.sense[2] = 0x06; sa.sense[12] = 0x2A; sa.sense[13] = 0x09;
	} else if (F.busy) {
		F.busy--;
		sa.rc.scsi_rc = 0x08;
	} else if (F.afu_rc) {
		sa.rc.afu_rc = (uint8_t)F.afu_rc;
		F.afu_rc = 0;
	} else if (!(r->req_flags & SISL_REQ_RES_HNDL) || r->res_hndl != F.rhndl) {
		sa.rc.afu_rc = 0x01;
	} else if (lba + n > DISK_BLOCKS || r->data_len != n * BS) {
		sa.rc.afu_rc = 0x13;
	} else if (r->cdb[0] == 0x8A && (r->req_flags & SISL_REQ_HOST_WRITE)) {
		memcpy(F.disk + lba * BS, (void *)(uintptr_t)r->data_ea, r->data_len);
	} else if (r->cdb[0] == 0x88 && !(r->req_flags & SISL_REQ_HOST_WRITE)) {
		memcpy((void *)(uintptr_t)r->data_ea, F.disk + lba * BS, r->data_len);
	} else {
		sa.rc.afu_rc = 0x21;
	}
	F.pend_ea[F.npend] = done_ea;
	F.pend_sa[F.npend] = sa;
	F.npend++;
	if (F.npend == 8 || (rand_r(&F.seed) & 3) == 0)
		flush_pending();
}

static void *afu_thread(void *arg)
{
	(void)arg;
	while (!F.stop) {
		bool idle = true;

		pthread_mutex_lock(&F.lock);
		if (F.kill) {
			memset(F.mmio, 0xFF, SISL_HOST_MAP_LEN);
			F.kill = 0;
			F.dead = 1;
			F.npend = 0;
		}
		if (F.dead) {
			pthread_mutex_unlock(&F.lock);
			usleep(100);
			continue;
		}
		if (F.sq) {
			uint64_t start, end, tail;

			if ((reg(SISL_R_SQ_CTX_RESET) & 1) && F.reset_ms) {
				if (!F.reset_seen)
					F.reset_seen = cf_now_ms();
				if (cf_now_ms() - F.reset_seen < F.reset_ms) {
					/* a slow reset: nothing runs meanwhile */
					pthread_mutex_unlock(&F.lock);
					usleep(100);
					continue;
				}
				F.reset_seen = 0;
			}
			if (reg(SISL_R_SQ_CTX_RESET) & 1) {
				/* ring empty until the client rewrites the tail */
				F.npend = 0;
				F.sq_head = 0;
				F.rrq_pos = 0;
				setreg(SISL_R_SQ_TAIL, 0);
				setreg(SISL_R_SQ_CTX_RESET, 0);
			}
			start = reg(SISL_R_SQ_START);
			end = reg(SISL_R_SQ_END);
			tail = reg(SISL_R_SQ_TAIL);
			if (start && !F.sq_head)
				F.sq_head = start;
			if (start && tail && F.sq_head != tail) {
				struct sisl_ioarcb r;

				memcpy(&r, (void *)(uintptr_t)F.sq_head, sizeof(r));
				F.sq_head = F.sq_head == end ? start : F.sq_head + 64;
				execute(&r, r.sq_ioasa_ea);
				idle = false;
			}
		} else {
			uint64_t v = reg(SISL_R_IOARRIN);

			if (v == 1) {
				F.npend = 0;
				setreg(SISL_R_IOARRIN, 0);
				setreg(SISL_R_CMD_ROOM, 1);
			} else if (v) {
				struct sisl_ioarcb r;

				setreg(SISL_R_IOARRIN, 0);
				memcpy(&r, (void *)(uintptr_t)v, sizeof(r));
				execute(&r, v);
				flush_pending();
				setreg(SISL_R_CMD_ROOM, 1);
				idle = false;
			}
		}
		if (idle)
			flush_pending();
		pthread_mutex_unlock(&F.lock);
		if (idle)
			usleep(20);
	}
	return NULL;
}

static int fake_recover(struct cf_ctx *ctx, uint64_t reason)
{
	(void)reason;
	pthread_mutex_lock(&F.lock);
	F.recovers++;
	if (!F.dead) {
		pthread_mutex_unlock(&F.lock);
		return 0;
	}
	if (F.dead == 2) {		/* adapter gone for good */
		pthread_mutex_unlock(&F.lock);
		return -ENODEV;
	}
	memset(F.mmio, 0, SISL_HOST_MAP_LEN);
	setreg(SISL_R_CMD_ROOM, 1);
	F.dead = 0;
	F.sq_head = 0;
	F.rrq_pos = 0;
	F.npend = 0;
	ctx->ctx_id += 0x10000;		/* a new cookie, same window */
	pthread_mutex_unlock(&F.lock);
	return 1;
}

static int fake_verify(struct cflash_lun *lun, const uint8_t *sense)
{
	(void)lun;
	if (sense[0] == 0x70 && (sense[2] & 0xF) == 6)
		F.verifies++;
	return 0;
}

static const struct cf_ctx_ops fake_ops = {
	.recover = fake_recover,
	.verify = fake_verify,
};

static struct cf_ctx *C;
static struct cflash_lun *L;

static void fake_start(bool sq)
{
	memset(&F, 0, sizeof(F));
	pthread_mutex_init(&F.lock, NULL);
	F.mmio = aligned_alloc(65536, SISL_HOST_MAP_LEN);
	memset(F.mmio, 0, SISL_HOST_MAP_LEN);
	F.disk = calloc(DISK_BLOCKS, BS);
	F.sq = sq;
	F.rhndl = 3;
	F.seed = 12345;
	setreg(SISL_R_CMD_ROOM, 1);
	setreg(SISL_R_CTX_CTRL, SISL_CTX_CTRL_UNMAP);

	C = calloc(1, sizeof(*C));
	pthread_mutex_init(&C->lock, NULL);
	C->magic = CF_CTX_MAGIC;
	C->ops = &fake_ops;
	C->mmio = F.mmio;
	C->mmio_size = SISL_HOST_MAP_LEN;
	C->sq_mode = sq;
	C->ctx_id = 0x2a;
	C->hw_ctx_id = 0x2a;
	C->fd2 = -1;
	C->timeout_ms = 30000;
	cf_ctx_alloc_dma(C);
	cf_ctx_reset_slots(C);
	cf_ctx_setup_locked(C);

	L = calloc(1, sizeof(*L));
	L->magic = CF_LUN_MAGIC;
	L->ctx = C;
	L->fd = -1;
	L->flags = O_RDWR | CFLASH_OPEN_POLL_ONLY;
	L->rhndl = 3;
	L->last_lba = DISK_BLOCKS - 1;
	L->block_size = BS;
	L->max_xfer = 64;
	L->dq_head = L->dq_tail = -1;
	C->luns = L;
	C->nluns = 1;
	pthread_create(&F.thr, NULL, afu_thread, NULL);
}

static void fake_stop(void)
{
	F.stop = 1;
	pthread_join(F.thr, NULL);
	cf_ctx_free_dma(C);
	free(F.mmio);
	free(F.disk);
	free(C);
	free(L);
}

static void fill(uint8_t *b, uint64_t lba, uint32_t n, uint32_t salt)
{
	for (uint32_t i = 0; i < n * BS / 8; i++)
		((uint64_t *)b)[i] = ((lba + i / (BS / 8)) << 20) ^ i ^ ((uint64_t)salt << 48);
}

static void test_setup_registers(void)
{
	OK(reg(SISL_R_INTR_MASK) == ~SISL_INTR_CLIENT_BITS, "INTR_MASK = ~0x1F");
	OK((reg(SISL_R_CTX_CTRL) & 0xFF) == 1, "CTX_CTRL LISN 1");
	OK(reg(SISL_R_RRQ0_START) == (uintptr_t)&C->rrq[0] &&
	   reg(SISL_R_RRQ0_END) == (uintptr_t)&C->rrq[CF_NSLOTS - 1],
	   "RRQ0_START/END inclusive");
	if (F.sq)
		OK(reg(SISL_R_SQ_START) == (uintptr_t)&C->sq[0] &&
		   reg(SISL_R_SQ_END) == (uintptr_t)&C->sq[CF_NSQ - 1],
		   "SQ_START/END: %d slots for %d commands", CF_NSQ, CF_NSLOTS);
}

static void test_sync_io(const char *mode, int count)
{
	uint8_t *w = aligned_alloc(4096, 8 * BS), *r = aligned_alloc(4096, 8 * BS);
	unsigned int seed = 7;
	int bad = 0, err = 0;

	for (int i = 0; i < count; i++) {
		uint32_t n = 1 + rand_r(&seed) % 8;
		uint64_t lba = rand_r(&seed) % (DISK_BLOCKS - n);

		fill(w, lba, n, (uint32_t)i);
		err += cflash_write(L, w, lba, n) != 0;
		memset(r, 0, n * BS);
		err += cflash_read(L, r, lba, n) != 0;
		bad += memcmp(w, r, n * BS) != 0;
	}
	OK(err == 0 && bad == 0, "%s: %d sync write+read pairs, %d errors, %d mismatches",
	   mode, count, err, bad);
	free(w);
	free(r);
}

static void test_async(void)
{
	enum { QD = CF_NSLOTS };
	uint8_t *buf = aligned_alloc(4096, (size_t)QD * BS);
	cflash_tag_t tags[QD], t;
	struct cflash_completion c;
	int err = 0, bad = 0, n = 0, rc;

	for (int i = 0; i < QD; i++) {
		fill(buf + (size_t)i * BS, (uint64_t)i, 1, 99);
		err += cflash_awrite(L, buf + (size_t)i * BS, (uint64_t)i, 1, &tags[i]) != 0;
	}
	OK(err == 0, "%d asynchronous writes in flight", QD);
	rc = cflash_awrite(L, buf, 0, 1, &t);
	OK(rc == -EAGAIN, "slot %d refused with -EAGAIN (%d)", QD + 1, rc);
	/* reap half by tag, half by ANY */
	for (int i = 0; i < QD / 2; i++) {
		rc = cflash_aresult(L, tags[i], CFLASH_WAIT, &c);
		err += rc != 1 || c.status || c.tag != tags[i] || c.nblocks != 1;
	}
	while ((rc = cflash_aresult(L, CFLASH_TAG_ANY, CFLASH_WAIT, &c)) == 1) {
		n++;
		err += c.status != 0;
	}
	OK(err == 0 && n == QD / 2 && rc == -ENOENT,
	   "reaped %d by tag and %d by ANY, then -ENOENT (%d)", QD / 2, n, rc);
	OK(cflash_aresult(L, tags[0], 0, &c) == -EINVAL, "reaping a tag twice is -EINVAL");
	OK(cflash_aresult(L, 0xFFFFULL, 0, &c) == -EINVAL &&
	   cflash_aresult(L, 1ULL << 60, 0, &c) == -EINVAL, "bogus tags are -EINVAL");
	OK(cflash_aresult(L, CFLASH_TAG_ANY, 2, &c) == -EINVAL &&
	   cflash_aresult(L, CFLASH_TAG_ANY, 0, NULL) == -EINVAL, "bad flags / NULL completion");

	memset(buf, 0, (size_t)QD * BS);
	for (int i = 0; i < QD; i++)
		err += cflash_aread(L, buf + (size_t)i * BS, (uint64_t)i, 1, &tags[i]) != 0;
	n = 0;
	while ((rc = cflash_aresult(L, CFLASH_TAG_ANY, CFLASH_WAIT, &c)) == 1) {
		n++;
		err += c.status != 0;
	}
	err += n != QD;
	for (int i = 0; i < QD; i++) {
		uint8_t exp[BS];

		fill(exp, (uint64_t)i, 1, 99);
		bad += memcmp(exp, buf + (size_t)i * BS, BS) != 0;
	}
	OK(err == 0 && bad == 0, "QD%d async read-back of async writes (out-of-order completion): %d bad",
	   QD, bad);
	free(buf);
}

struct thr_arg {
	int id, errors;
};

static void *io_thread(void *p)
{
	struct thr_arg *a = p;
	uint8_t *w = aligned_alloc(4096, 4 * BS), *r = aligned_alloc(4096, 4 * BS);
	unsigned int seed = (unsigned int)a->id;

	for (int i = 0; i < 300; i++) {
		uint64_t lba = (uint64_t)a->id * 512 + rand_r(&seed) % 508;

		fill(w, lba, 4, (uint32_t)(i + a->id));
		if (cflash_write(L, w, lba, 4) || cflash_read(L, r, lba, 4) ||
		    memcmp(w, r, 4 * BS))
			a->errors++;
	}
	free(w);
	free(r);
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[6];
	struct thr_arg a[6];
	int errs = 0;

	for (int i = 0; i < 6; i++) {
		a[i].id = i;
		a[i].errors = 0;
		pthread_create(&t[i], NULL, io_thread, &a[i]);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		errs += a[i].errors;
	}
	OK(errs == 0, "6 threads sharing one context: %d errors", errs);
}

static void test_faults(void)
{
	uint8_t *w = aligned_alloc(4096, BS), *r = aligned_alloc(4096, BS);
	struct cflash_stats st0, st;
	char msg[256];
	int rc;

	fill(w, 10, 1, 1);
	cflash_stats(L, &st0);
	F.ua = 1;
	rc = cflash_write(L, w, 10, 1);
	cflash_stats(L, &st);
	OK(rc == 0 && F.verifies == 1 && st.verifies == st0.verifies + 1,
	   "unit attention -> VERIFY with sense -> retry succeeds");

	F.busy = 2;
	rc = cflash_read(L, r, 10, 1);
	cflash_stats(L, &st0);
	OK(rc == 0 && !memcmp(w, r, BS) && st0.retries >= st.retries + 2,
	   "SCSI BUSY twice -> delayed retries succeed");

	F.busy = 50;
	rc = cflash_read(L, r, 10, 1);
	OK(rc == -EBUSY, "persistent BUSY: bounded retries then -EBUSY (%d)", rc);
	F.busy = 0;
	cflash_last_error(L, msg, sizeof(msg));
	OK(strstr(msg, "scsi_rc 0x08") != NULL, "last_error describes it: %s", msg);

	F.afu_rc = 0x13;
	rc = cflash_read(L, r, 10, 1);
	cflash_last_error(L, msg, sizeof(msg));
	OK(rc == -ERANGE && strstr(msg, "LXT out of bounds"), "afu_rc 0x13 -> -ERANGE, %s", msg);

	/* dropped command: timeout -> context reset -> re-issue */
	cflash_set_timeout(L, 150);
	cflash_stats(L, &st0);
	F.drop = 1;
	rc = cflash_read(L, r, 10, 1);
	cflash_stats(L, &st);
	OK(rc == 0 && !memcmp(w, r, BS) && st.timeouts == st0.timeouts + 1,
	   "dropped command: timeout, context reset, re-issue (rc %d, timeouts %llu)",
	   rc, (unsigned long long)(st.timeouts - st0.timeouts));

	/*
	 * a context reset slower than the library's reset poll (2 s):
	 * RECOVER_AFU finds the context fine, so the reset is still running;
	 * the library must wait for it and re-issue once, not go on and time
	 * out again when the reset empties the queues under it
	 */
	{
		int rec0 = F.recovers;

		cflash_stats(L, &st0);
		F.reset_ms = 2600;
		F.drop = 1;
		rc = cflash_read(L, r, 10, 1);
		F.reset_ms = 0;
		cflash_stats(L, &st);
		OK(rc == 0 && !memcmp(w, r, BS) && st.timeouts == st0.timeouts + 1 &&
		   F.recovers == rec0 + 1 && st.ctx_resets == st0.ctx_resets,
		   "slow context reset: waited for, one timeout, one RECOVER_AFU, context kept "
		   "(rc %d, timeouts %llu, recovers %d, resets %llu)", rc,
		   (unsigned long long)(st.timeouts - st0.timeouts), F.recovers - rec0,
		   (unsigned long long)(st.ctx_resets - st0.ctx_resets));
	}
	cflash_set_timeout(L, 30000);

	/* dead context: all-ones MMIO -> RECOVER_AFU -> new context */
	{
		enum { N = 64 };
		uint8_t *b = aligned_alloc(4096, (size_t)N * BS);
		cflash_tag_t tg[N];
		struct cflash_completion c;
		int err = 0, bad = 0;
		uint64_t old = C->ctx_id;

		for (int i = 0; i < N; i++) {
			fill(b + (size_t)i * BS, 100 + (uint64_t)i, 1, 5);
			err += cflash_awrite(L, b + (size_t)i * BS, 100 + (uint64_t)i, 1, &tg[i]) != 0;
			if (i == N / 2)
				F.kill = 1;
		}
		for (int i = 0; i < N; i++)
			err += cflash_aresult(L, tg[i], CFLASH_WAIT, &c) != 1 || c.status;
		memset(b, 0, (size_t)N * BS);
		err += cflash_read(L, b, 100, N) != 0;
		for (int i = 0; i < N; i++) {
			uint8_t e[BS];

			fill(e, 100 + (uint64_t)i, 1, 5);
			bad += memcmp(e, b + (size_t)i * BS, BS) != 0;
		}
		cflash_stats(L, &st);
		OK(err == 0 && bad == 0 && st.ctx_resets == 1 && C->ctx_id != old,
		   "dead context mid-QD%d: recovered (resets %llu), %d errors, %d bad blocks",
		   N, (unsigned long long)st.ctx_resets, err, bad);
		free(b);
	}

	/* recovery failing for good: -ENODEV, then every I/O fails cleanly */
	F.kill = 1;
	usleep(2000);
	F.dead = 2;
	rc = cflash_read(L, r, 10, 1);
	OK(rc == -ENODEV, "unrecoverable adapter -> -ENODEV (%d)", rc);
	OK(cflash_write(L, w, 10, 1) == -ENODEV, "later I/O fails fast with the same error");
	free(w);
	free(r);
}

/* a context reset that never ends: the context is given up, not used */
static void test_reset_never(void)
{
	uint8_t *b = aligned_alloc(4096, BS);
	int rc, rc2;

	cflash_set_timeout(L, 150);
	F.reset_ms = 1000000;
	F.drop = 1;
	rc = cflash_read(L, b, 10, 1);
	rc2 = cflash_write(L, b, 10, 1);
	OK(rc == -ENOTCONN && rc2 == -ENOTCONN && F.recovers == 4,
	   "context reset that never ends: -ENOTCONN after 4 RECOVER_AFU rounds, "
	   "later I/O fails fast (rc %d, %d, recovers %d)", rc, rc2, F.recovers);
	F.reset_ms = 0;
	free(b);
}

static void test_misuse(void)
{
	uint8_t *b = aligned_alloc(4096, 2 * BS);
	struct cflash_lun *out = (void *)1;
	cflash_tag_t t;
	struct cflash_completion c;
	struct cflash_lun fake_dead;

	OK(cflash_read(NULL, b, 0, 1) == -EINVAL, "NULL handle -> -EINVAL");
	memset(&fake_dead, 0, sizeof(fake_dead));
	fake_dead.magic = CF_LUN_DEAD;
	OK(cflash_read(&fake_dead, b, 0, 1) == -EBADF &&
	   cflash_aresult(&fake_dead, CFLASH_TAG_ANY, 0, &c) == -EBADF,
	   "closed handle -> -EBADF");
	OK(cflash_close(&fake_dead) == -EBADF, "close of a handle not open -> -EBADF");
	OK(cflash_read(L, b + 1, 0, 1) == -EINVAL && cflash_read(L, NULL, 0, 1) == -EINVAL,
	   "unaligned / NULL buffer -> -EINVAL");
	OK(cflash_read(L, b, DISK_BLOCKS - 1, 2) == -ERANGE &&
	   cflash_read(L, b, UINT64_MAX, 1) == -ERANGE, "past the end -> -ERANGE");
	OK(cflash_aread(L, b, 0, 65, &t) == -EINVAL && cflash_aread(L, b, 0, 0, &t) == -EINVAL &&
	   cflash_aread(L, b, 0, 1, NULL) == -EINVAL, "async: > max_xfer, 0 blocks, NULL tag");
	OK(cflash_open(NULL, O_RDWR, 0, &out) == -EINVAL && cflash_open("/dev/null", O_RDWR, 0, NULL) == -EINVAL,
	   "open with NULL arguments -> -EINVAL");
	OK(cflash_open("/dev/null", O_RDWR | 0x40000000, 0, &out) == -EINVAL && out == NULL,
	   "open with unknown flags -> -EINVAL");
	OK(cflash_open("/dev/null", O_RDWR, 5, &out) == -EINVAL, "physical open with a size -> -EINVAL");
	OK(cflash_open("/nonexistent/dev", O_RDWR, 0, &out) == -ENOENT, "missing device -> -ENOENT");
	OK(cflash_open("/dev/null", O_RDWR, 0, &out) == -ENOTBLK, "/dev/null (no scsi_device) -> -ENOTBLK");
	OK(cflash_open("/etc/hostname", O_RDWR, 0, &out) == -ENOTBLK, "regular file -> -ENOTBLK");
	L->flags = O_RDONLY | CFLASH_OPEN_POLL_ONLY;
	OK(cflash_write(L, b, 0, 1) == -EACCES, "write on a read-only handle -> -EACCES");
	L->flags = O_RDWR | CFLASH_OPEN_POLL_ONLY;
	{
		uint64_t n;

		L->last_lba = UINT64_MAX;
		OK(cflash_size(L, &n) == 0 && n == 0 && cflash_read(L, b, 0, 1) == -ERANGE,
		   "empty virtual LUN: size 0, I/O -ERANGE");
		L->last_lba = DISK_BLOCKS - 1;
		OK(cflash_resize(L, 10, NULL) == -EINVAL, "resize of a physical handle -> -EINVAL");
		OK(cflash_size(L, NULL) == -EINVAL && cflash_info(L, NULL) == -EINVAL &&
		   cflash_stats(NULL, NULL) == -EINVAL, "NULL out-pointers -> -EINVAL");
	}
	{
		/* forked, not cloned: -ESTALE */
		C->forked = true;
		OK(cflash_read(L, b, 0, 1) == -ESTALE, "I/O on a context inherited by fork -> -ESTALE");
		C->forked = false;
	}
	free(b);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_encoding();
	test_rrq();
	test_sense();
	test_classify();
	test_vpd();

	fake_start(true);
	test_setup_registers();
	test_sync_io("SQ mode", 2000);
	test_async();
	test_threads();
	test_misuse();
	test_faults();
	fake_stop();

	fake_start(true);
	test_reset_never();
	fake_stop();

	fake_start(false);
	test_setup_registers();
	test_sync_io("IOARRIN mode QD1", 1000);
	fake_stop();

	printf("1..%d\n", n_test);
	printf("%d passed, %d failed\n", n_test - n_fail, n_fail);
	return n_fail ? 1 : 0;
}
