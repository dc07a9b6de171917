// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: KUnit tests of the driver's pure logic.
 *
 * Built into cxlflash.ko when CONFIG_CXLFLASH_KUNIT_TEST=y; the suites run
 * when the module loads and report KTAP in the kernel log.
 *
 *  - SISLite formats: sizes and field offsets of the IOARCB, IOASA, RHT
 *    entries and host map as the client protocol fixes them, the IOASC
 *    encoding, the RHT format/permission and LXT entry encodings;
 *  - the RRQ toggle protocol (sislite.h helpers used by the completion
 *    path), driven through several wraps of a ring;
 *  - the virtual-LUN chunk allocator of vlun.c (ba_init/ba_alloc/ba_free/
 *    ba_clone/ba_space/ba_terminate, ba_dirty/ba_set_clean) and
 *    vlun_last_lba().
 */

#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <scsi/scsi_host.h>

#include "afu_if.h"
#include "superpipe.h"
#include "vlun.h"

/* ---------------------------------------------------------------------- */
/* SISLite layouts                                                        */
/* ---------------------------------------------------------------------- */

#define EXPECT_OFF(test, type, field, off) \
	KUNIT_EXPECT_EQ_MSG(test, offsetof(type, field), (size_t)(off), \
			    #type "." #field)

static void sisl_ioarcb_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct sisl_ioarcb), (size_t)64);
	KUNIT_EXPECT_EQ(test, __alignof__(struct sisl_ioarcb), (size_t)16);
	EXPECT_OFF(test, struct sisl_ioarcb, ctx_id, 0);
	EXPECT_OFF(test, struct sisl_ioarcb, req_flags, 2);
	EXPECT_OFF(test, struct sisl_ioarcb, res_hndl, 4);
	EXPECT_OFF(test, struct sisl_ioarcb, port_sel, 4);
	EXPECT_OFF(test, struct sisl_ioarcb, lun_id, 8);
	EXPECT_OFF(test, struct sisl_ioarcb, data_len, 16);
	EXPECT_OFF(test, struct sisl_ioarcb, ioadl_len, 20);
	EXPECT_OFF(test, struct sisl_ioarcb, data_ea, 24);
	EXPECT_OFF(test, struct sisl_ioarcb, msi, 32);
	EXPECT_OFF(test, struct sisl_ioarcb, rrq, 33);
	EXPECT_OFF(test, struct sisl_ioarcb, timeout, 34);
	EXPECT_OFF(test, struct sisl_ioarcb, rsvd1, 36);
	EXPECT_OFF(test, struct sisl_ioarcb, cdb, 40);
	EXPECT_OFF(test, struct sisl_ioarcb, ioasa_ea, 56);
	KUNIT_EXPECT_EQ(test, sizeof(((struct sisl_ioarcb *)0)->cdb), (size_t)16);
}

static void sisl_req_flags(struct kunit *test)
{
	/* values clients put on the wire (client protocol, "Commands") */
	KUNIT_EXPECT_EQ(test, SISL_REQ_FLAGS_RES_HNDL, 0x8000U);
	KUNIT_EXPECT_EQ(test, SISL_REQ_FLAGS_HOST_WRITE, 0x0001U);
	KUNIT_EXPECT_EQ(test, SISL_REQ_FLAGS_TIMEOUT_MSECS, 0x0040U);
	KUNIT_EXPECT_EQ(test, SISL_REQ_FLAGS_TIMEOUT_USECS, 0x0080U);
	/* every timeout unit lies inside the mask, and no other flag does */
	KUNIT_EXPECT_EQ(test, SISL_REQ_FLAGS_TIMEOUT_CYCLES & ~SISL_REQ_FLAGS_TIMEOUT_MASK, 0U);
	KUNIT_EXPECT_EQ(test, (SISL_REQ_FLAGS_RES_HNDL | SISL_REQ_FLAGS_SUP_UNDERRUN |
			       SISL_REQ_FLAGS_TMF_CMD | SISL_REQ_FLAGS_AFU_CMD |
			       SISL_REQ_FLAGS_HOST_WRITE) & SISL_REQ_FLAGS_TIMEOUT_MASK, 0U);
	KUNIT_EXPECT_EQ(test, SISL_MSI_RRQ_UPDATED, 2);
}

static void sisl_ioasa_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct sisl_rc), (size_t)4);
	KUNIT_EXPECT_EQ(test, sizeof(struct sisl_ioasa), (size_t)64);
	KUNIT_EXPECT_EQ(test, __alignof__(struct sisl_ioasa), (size_t)16);
	EXPECT_OFF(test, struct sisl_ioasa, rc.flags, 0);
	EXPECT_OFF(test, struct sisl_ioasa, rc.afu_rc, 1);
	EXPECT_OFF(test, struct sisl_ioasa, rc.scsi_rc, 2);
	EXPECT_OFF(test, struct sisl_ioasa, rc.fc_rc, 3);
	EXPECT_OFF(test, struct sisl_ioasa, ioasc, 0);
	EXPECT_OFF(test, struct sisl_ioasa, resid, 4);
	EXPECT_OFF(test, struct sisl_ioasa, port, 8);
	EXPECT_OFF(test, struct sisl_ioasa, afu_extra, 9);
	EXPECT_OFF(test, struct sisl_ioasa, scsi_extra, 10);
	EXPECT_OFF(test, struct sisl_ioasa, fc_extra, 11);
	EXPECT_OFF(test, struct sisl_ioasa, sense_data, 12);
	EXPECT_OFF(test, struct sisl_ioasa, host_use, 32);
	KUNIT_EXPECT_EQ(test, sizeof(((struct sisl_ioasa *)0)->sense_data),
			(size_t)SISL_SENSE_DATA_LEN);
	KUNIT_EXPECT_EQ(test, SISL_SENSE_DATA_LEN, 20);
	/* an IOARCB and its IOASA make the 128-byte command of the protocol */
	KUNIT_EXPECT_EQ(test, sizeof(struct sisl_ioarcb) + sizeof(struct sisl_ioasa),
			(size_t)128);
}

/* The u32 IOASC overlays the four status bytes: 0 is good completion. */
static void sisl_ioasc_encoding(struct kunit *test)
{
	struct sisl_ioasa sa;
	u8 *raw = (u8 *)&sa;

	memset(&sa, 0, sizeof(sa));
	KUNIT_EXPECT_EQ(test, sa.ioasc, (u32)SISL_IOASC_GOOD_COMPLETION);

	sa.rc.flags = SISL_RC_FLAGS_SENSE_VALID;
	KUNIT_EXPECT_NE(test, sa.ioasc, 0U);
	KUNIT_EXPECT_EQ(test, raw[0], (u8)0x80);
	sa.rc.flags = 0;

	sa.rc.afu_rc = SISL_AFU_RC_LXT_OUT_OF_BOUNDS;
	KUNIT_EXPECT_EQ(test, raw[1], (u8)0x13);
	KUNIT_EXPECT_NE(test, sa.ioasc, 0U);
	sa.rc.afu_rc = 0;

	sa.rc.scsi_rc = SISL_SCSI_RC_CHECK;
	KUNIT_EXPECT_EQ(test, raw[2], (u8)0x02);
	sa.rc.scsi_rc = 0;

	sa.rc.fc_rc = SISL_FC_RC_LINKDOWN;
	KUNIT_EXPECT_EQ(test, raw[3], (u8)0x57);
	sa.rc.fc_rc = 0;
	KUNIT_EXPECT_EQ(test, sa.ioasc, 0U);

	/* resid does not leak into the status word */
	sa.resid = 0xffffffff;
	KUNIT_EXPECT_EQ(test, sa.ioasc, 0U);

	/* architected AFU return codes (client protocol) */
	KUNIT_EXPECT_EQ(test, SISL_AFU_RC_RHT_INVALID, 0x01U);
	KUNIT_EXPECT_EQ(test, SISL_AFU_RC_RHT_OUT_OF_BOUNDS, 0x03U);
	KUNIT_EXPECT_EQ(test, SISL_AFU_RC_NO_CHANNELS, 0x20U);
	KUNIT_EXPECT_EQ(test, SISL_AFU_RC_CAP_VIOLATION, 0x21U);
	KUNIT_EXPECT_EQ(test, SISL_AFU_RC_DATA_DMA_ERR, 0x31U);
	KUNIT_EXPECT_EQ(test, SISL_FC_RC_ABORTPEND, 0x52U);
	KUNIT_EXPECT_EQ(test, SISL_FC_RC_TGTABORT, 0x5CU);
}

static void sisl_host_map_layout(struct kunit *test)
{
	EXPECT_OFF(test, struct sisl_host_map, endian_ctrl, 0x00);
	EXPECT_OFF(test, struct sisl_host_map, intr_status, 0x08);
	EXPECT_OFF(test, struct sisl_host_map, intr_clear, 0x10);
	EXPECT_OFF(test, struct sisl_host_map, intr_mask, 0x18);
	EXPECT_OFF(test, struct sisl_host_map, ioarrin, 0x20);
	EXPECT_OFF(test, struct sisl_host_map, rrq_start, 0x28);
	EXPECT_OFF(test, struct sisl_host_map, rrq_end, 0x30);
	EXPECT_OFF(test, struct sisl_host_map, cmd_room, 0x38);
	EXPECT_OFF(test, struct sisl_host_map, ctx_ctrl, 0x40);
	EXPECT_OFF(test, struct sisl_host_map, mbox_w, 0x48);
	EXPECT_OFF(test, struct sisl_host_map, sq_start, 0x50);
	EXPECT_OFF(test, struct sisl_host_map, sq_end, 0x58);
	EXPECT_OFF(test, struct sisl_host_map, sq_head, 0x60);
	EXPECT_OFF(test, struct sisl_host_map, sq_tail, 0x68);
	EXPECT_OFF(test, struct sisl_host_map, sq_ctx_reset, 0x70);
	EXPECT_OFF(test, struct sisl_ctrl_map, rht_start, 0x00);
	EXPECT_OFF(test, struct sisl_ctrl_map, rht_cnt_id, 0x08);
	EXPECT_OFF(test, struct sisl_ctrl_map, ctx_cap, 0x10);
}

/* ---------------------------------------------------------------------- */
/* RHT and LXT formats                                                    */
/* ---------------------------------------------------------------------- */

static void sisl_rht_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct sisl_rht_entry), (size_t)SISL_RHT_ENTRY_SIZE);
	KUNIT_EXPECT_EQ(test, sizeof(struct sisl_rht_entry_f1), (size_t)SISL_RHT_ENTRY_SIZE);
	KUNIT_EXPECT_EQ(test, SISL_RHT_ENTRY_SIZE, 16);
	EXPECT_OFF(test, struct sisl_rht_entry, lxt_start, 0);
	EXPECT_OFF(test, struct sisl_rht_entry, lxt_cnt, 8);
	EXPECT_OFF(test, struct sisl_rht_entry, rsvd, 12);
	EXPECT_OFF(test, struct sisl_rht_entry, fp, 14);
	EXPECT_OFF(test, struct sisl_rht_entry, nmask, 15);
	EXPECT_OFF(test, struct sisl_rht_entry_f1, lun_id, 0);
	EXPECT_OFF(test, struct sisl_rht_entry_f1, valid, 8);
	EXPECT_OFF(test, struct sisl_rht_entry_f1, fp, 14);
	EXPECT_OFF(test, struct sisl_rht_entry_f1, port_sel, 15);
	EXPECT_OFF(test, struct sisl_rht_entry_f1, dw, 8);
	/* both formats keep fp in the same byte: the AFU reads it first */
	KUNIT_EXPECT_EQ(test, offsetof(struct sisl_rht_entry, fp),
			offsetof(struct sisl_rht_entry_f1, fp));
}

static void sisl_rht_fp(struct kunit *test)
{
	u64 cnt_id;
	u8 fp;

	KUNIT_EXPECT_EQ(test, SISL_RHT_FP(SISL_RHT_FMT1, SISL_RHT_PERM_RW), 0x13);
	KUNIT_EXPECT_EQ(test, SISL_RHT_FP(SISL_RHT_FMT0, SISL_RHT_PERM_READ), 0x01);
	fp = SISL_RHT_FP(SISL_RHT_FMT1, SISL_RHT_PERM_WRITE);
	KUNIT_EXPECT_EQ(test, SISL_RHT_FMT(fp), SISL_RHT_FMT1);
	KUNIT_EXPECT_EQ(test, SISL_RHT_PERM(fp), SISL_RHT_PERM_WRITE);
	/* a clone keeps the format and can only drop permissions */
	KUNIT_EXPECT_EQ(test, SISL_RHT_FP_CLONE(0x13, SISL_RHT_PERM_READ), 0x11);
	KUNIT_EXPECT_EQ(test, SISL_RHT_FP_CLONE(0x13, SISL_RHT_PERM_RW), 0x13);
	KUNIT_EXPECT_EQ(test, SISL_RHT_FP_CLONE(0x11, SISL_RHT_PERM_WRITE), 0x10);
	KUNIT_EXPECT_EQ(test, SISL_RHT_FP_CLONE(0x03, SISL_RHT_PERM_RW), 0x03);
	KUNIT_EXPECT_EQ(test, SISL_RHT_FMT(SISL_RHT_FP_CLONE(0x12, SISL_RHT_PERM_READ)),
			SISL_RHT_FMT1);
	/* RHT count and context id share the control-map register */
	cnt_id = SISL_RHT_CNT_ID(16, 511);
	KUNIT_EXPECT_EQ(test, SISL_RHT_CNT(cnt_id), 16);
	KUNIT_EXPECT_EQ(test, SISL_RHT_CTX(cnt_id), 511);
	KUNIT_EXPECT_EQ(test, SISL_RHT_CNT_ID(0xffff, 0xffff) & 0xffffffffULL, 0ULL);
}

static void sisl_lxt_entry(struct kunit *test)
{
	u64 chunk = 0x123456, lunidx = 0xA5, port_sel = 0x3, e;

	/* the masks are disjoint and the shifts match them */
	KUNIT_EXPECT_EQ(test, SISL_LXT_BASE_MASK & SISL_LXT_LUNIDX_MASK, 0ULL);
	KUNIT_EXPECT_EQ(test, SISL_LXT_BASE_MASK & SISL_LXT_PERM_MASK, 0ULL);
	KUNIT_EXPECT_EQ(test, SISL_LXT_BASE_MASK & SISL_LXT_PORT_MASK, 0ULL);
	KUNIT_EXPECT_EQ(test, SISL_LXT_LUNIDX_MASK & SISL_LXT_PERM_MASK, 0ULL);
	KUNIT_EXPECT_EQ(test, SISL_LXT_PERM_MASK & SISL_LXT_PORT_MASK, 0ULL);
	KUNIT_EXPECT_EQ(test, SISL_LXT_LUNIDX_MASK >> SISL_LXT_LUNIDX_SHIFT, 0xFFULL);
	KUNIT_EXPECT_EQ(test, SISL_LXT_PERM_MASK >> SISL_LXT_PERM_SHIFT, 0x3ULL);
	KUNIT_EXPECT_EQ(test, (u64)LXT_LUNIDX_SHIFT, (u64)SISL_LXT_LUNIDX_SHIFT);
	KUNIT_EXPECT_EQ(test, (u64)LXT_PERM_SHIFT, (u64)SISL_LXT_PERM_SHIFT);
	/* a chunk's base LBA is aligned to the chunk, so it fits bits 63..16 */
	KUNIT_EXPECT_EQ(test, MC_CHUNK_SHIFT, SISL_LXT_BASE_SHIFT);
	KUNIT_EXPECT_EQ(test, MC_CHUNK_SIZE, 1ULL << 16);

	/* encode as vlun.c does, decode as the AFU does */
	e = (chunk << MC_CHUNK_SHIFT) | (lunidx << LXT_LUNIDX_SHIFT) |
	    ((u64)SISL_RHT_PERM_RW << LXT_PERM_SHIFT) | port_sel;
	KUNIT_EXPECT_EQ(test, (e & SISL_LXT_BASE_MASK) >> MC_CHUNK_SHIFT, chunk);
	KUNIT_EXPECT_EQ(test, (e & SISL_LXT_LUNIDX_MASK) >> SISL_LXT_LUNIDX_SHIFT, lunidx);
	KUNIT_EXPECT_EQ(test, (e & SISL_LXT_PERM_MASK) >> SISL_LXT_PERM_SHIFT,
			(u64)SISL_RHT_PERM_RW);
	KUNIT_EXPECT_EQ(test, e & SISL_LXT_PORT_MASK, port_sel);
	/* virtual LBA v of the chunk maps to base | (v & (chunk size - 1)) */
	KUNIT_EXPECT_EQ(test, (e & SISL_LXT_BASE_MASK) | (0x1234567ULL & (MC_CHUNK_SIZE - 1)),
			(chunk << MC_CHUNK_SHIFT) | 0x4567);
}

/* ---------------------------------------------------------------------- */
/* RRQ toggle protocol                                                    */
/* ---------------------------------------------------------------------- */

#define RRQ_N	4

/* AFU side of the protocol, as the spec describes it */
struct rrq_producer {
	u64 *start, *end, *cur;
	u64 toggle;
};

static void rrq_post(struct rrq_producer *p, u64 addr)
{
	*p->cur = addr | p->toggle;
	if (p->cur < p->end) {
		p->cur++;
	} else {
		p->cur = p->start;
		p->toggle ^= SISL_RESP_HANDLE_T_BIT;
	}
}

/* host side: the loop of process_hrrq() with the sislite.h helpers */
static int rrq_consume(u64 **curr, u64 *start, u64 *end, bool *toggle,
		       u64 *out, int max)
{
	int n = 0;

	while (n < max && sisl_rrq_entry_valid(**curr, *toggle)) {
		out[n++] = sisl_rrq_entry_addr(**curr);
		*curr = sisl_rrq_next(*curr, start, end, toggle);
	}
	return n;
}

static void rrq_helpers(struct kunit *test)
{
	u64 ring[2] = { 0, 0 };
	bool t = true;
	u64 *p;

	KUNIT_EXPECT_TRUE(test, sisl_rrq_entry_valid(0x1000 | 1, true));
	KUNIT_EXPECT_FALSE(test, sisl_rrq_entry_valid(0x1000, true));
	KUNIT_EXPECT_TRUE(test, sisl_rrq_entry_valid(0x1000, false));
	KUNIT_EXPECT_FALSE(test, sisl_rrq_entry_valid(0x1000 | 1, false));
	/* a zeroed ring holds nothing for the initial phase 1 */
	KUNIT_EXPECT_FALSE(test, sisl_rrq_entry_valid(0, true));
	KUNIT_EXPECT_EQ(test, sisl_rrq_entry_addr(0xffff0081ULL), 0xffff0080ULL);
	KUNIT_EXPECT_EQ(test, sisl_rrq_entry_addr(0xffff0080ULL), 0xffff0080ULL);

	p = sisl_rrq_next(&ring[0], &ring[0], &ring[1], &t);
	KUNIT_EXPECT_PTR_EQ(test, p, &ring[1]);
	KUNIT_EXPECT_TRUE(test, t);
	p = sisl_rrq_next(p, &ring[0], &ring[1], &t);
	KUNIT_EXPECT_PTR_EQ(test, p, &ring[0]);
	KUNIT_EXPECT_FALSE(test, t);
	p = sisl_rrq_next(&ring[1], &ring[0], &ring[1], &t);
	KUNIT_EXPECT_TRUE(test, t);
}

/* Producer and consumer through many wraps, in bursts of every size. */
static void rrq_wraps(struct kunit *test)
{
	u64 ring[RRQ_N] = { 0 };
	struct rrq_producer prod = { ring, &ring[RRQ_N - 1], ring, SISL_RESP_HANDLE_T_BIT };
	u64 *curr = ring, out[RRQ_N + 1];
	bool toggle = true;
	u64 next_addr = 0x10000, want = 0x10000;
	int round, burst, i, n;

	/* nothing before the AFU writes */
	KUNIT_EXPECT_EQ(test, rrq_consume(&curr, ring, &ring[RRQ_N - 1], &toggle,
					  out, RRQ_N + 1), 0);

	for (round = 0; round < 8 * RRQ_N; round++) {
		burst = 1 + round % RRQ_N;	/* at most RRQ_N in flight */
		for (i = 0; i < burst; i++) {
			rrq_post(&prod, next_addr);
			next_addr += 0x80;	/* 128-byte aligned commands */
		}
		n = rrq_consume(&curr, ring, &ring[RRQ_N - 1], &toggle, out, RRQ_N + 1);
		KUNIT_ASSERT_EQ_MSG(test, n, burst, "round %d", round);
		for (i = 0; i < n; i++, want += 0x80)
			KUNIT_EXPECT_EQ_MSG(test, out[i], want, "round %d entry %d", round, i);
		/* host and AFU agree on position and phase */
		KUNIT_EXPECT_PTR_EQ(test, curr, prod.cur);
		KUNIT_EXPECT_EQ(test, (u64)toggle, prod.toggle);
		/* and the stale entries left behind are not taken again */
		KUNIT_EXPECT_EQ(test, rrq_consume(&curr, ring, &ring[RRQ_N - 1], &toggle,
						  out, RRQ_N + 1), 0);
	}
}

/* ---------------------------------------------------------------------- */
/* Chunk allocator                                                        */
/* ---------------------------------------------------------------------- */

/* One allocator per case, in test->priv, torn down by the suite's exit. */
static struct blka *new_blka(struct kunit *test, u64 nchunk)
{
	struct blka *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	mutex_init(&b->mutex);
	KUNIT_ASSERT_EQ(test, ba_init(b, nchunk), 0);
	test->priv = b;
	return b;
}

static void ba_case_exit(struct kunit *test)
{
	struct blka *b = test->priv;

	if (b) {
		ba_terminate(b);
		mutex_destroy(&b->mutex);
		test->priv = NULL;
	}
}

static void ba_init_limits(struct kunit *test)
{
	struct blka b;

	memset(&b, 0, sizeof(b));
	KUNIT_EXPECT_EQ(test, ba_init(&b, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ba_init(&b, (u64)U32_MAX + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, b.nchunk, 0ULL);
	KUNIT_EXPECT_EQ(test, ba_init(&b, 1), 0);
	KUNIT_EXPECT_EQ(test, ba_space(&b), 1ULL);
	ba_terminate(&b);
	KUNIT_EXPECT_EQ(test, b.nchunk, 0ULL);
	KUNIT_EXPECT_EQ(test, ba_space(&b), 0ULL);
	KUNIT_EXPECT_NULL(test, b.free_stack);
	/* a terminated allocator hands out nothing and frees nothing */
	KUNIT_EXPECT_EQ(test, ba_alloc(&b), (s64)-ENOSPC);
	KUNIT_EXPECT_EQ(test, ba_free(&b, 0), -EINVAL);
	/* terminate twice is harmless */
	ba_terminate(&b);
}

static void ba_alloc_order_and_exhaustion(struct kunit *test)
{
	const u64 n = 37;
	struct blka *b = new_blka(test, n);
	u64 i;

	KUNIT_EXPECT_EQ(test, ba_space(b), n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, ba_alloc(b), (s64)i);	/* ascending */
		KUNIT_EXPECT_EQ(test, ba_space(b), n - i - 1);
	}
	KUNIT_EXPECT_EQ(test, ba_alloc(b), (s64)-ENOSPC);
	KUNIT_EXPECT_EQ(test, ba_space(b), 0ULL);

	/* frees come back LIFO */
	KUNIT_EXPECT_EQ(test, ba_free(b, 5), 1);
	KUNIT_EXPECT_EQ(test, ba_free(b, 30), 1);
	KUNIT_EXPECT_EQ(test, ba_space(b), 2ULL);
	KUNIT_EXPECT_EQ(test, ba_alloc(b), 30LL);
	KUNIT_EXPECT_EQ(test, ba_alloc(b), 5LL);
	KUNIT_EXPECT_EQ(test, ba_alloc(b), (s64)-ENOSPC);

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, ba_free(b, i), 1);
	KUNIT_EXPECT_EQ(test, ba_space(b), n);
}

static void ba_free_errors(struct kunit *test)
{
	struct blka *b = new_blka(test, 8);
	s64 c;

	/* never allocated, out of range, double free */
	KUNIT_EXPECT_EQ(test, ba_free(b, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ba_free(b, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, ba_free(b, U64_MAX), -EINVAL);
	c = ba_alloc(b);
	KUNIT_ASSERT_EQ(test, c, 0LL);
	KUNIT_EXPECT_EQ(test, ba_free(b, c), 1);
	KUNIT_EXPECT_EQ(test, ba_free(b, c), -EINVAL);
	/* the pool did not grow from the bad frees */
	KUNIT_EXPECT_EQ(test, ba_space(b), 8ULL);
}

static void ba_clone_refcount(struct kunit *test)
{
	struct blka *b = new_blka(test, 4);
	s64 c;
	int i;

	KUNIT_EXPECT_EQ(test, ba_clone(b, 0), -EINVAL);	/* not allocated */
	KUNIT_EXPECT_EQ(test, ba_clone(b, 4), -EINVAL);	/* out of range */
	c = ba_alloc(b);
	KUNIT_ASSERT_EQ(test, c, 0LL);

	KUNIT_EXPECT_EQ(test, ba_clone(b, c), 0);
	KUNIT_EXPECT_EQ(test, ba_clone(b, c), 0);
	/* two clones: two frees keep it, the third returns it */
	KUNIT_EXPECT_EQ(test, ba_free(b, c), 0);
	KUNIT_EXPECT_EQ(test, ba_free(b, c), 0);
	KUNIT_EXPECT_EQ(test, ba_space(b), 3ULL);
	KUNIT_EXPECT_EQ(test, ba_free(b, c), 1);
	KUNIT_EXPECT_EQ(test, ba_space(b), 4ULL);
	KUNIT_EXPECT_EQ(test, ba_free(b, c), -EINVAL);

	/* the clone count saturates at MAX_AUN_CLONE_CNT */
	c = ba_alloc(b);
	KUNIT_ASSERT_GE(test, c, 0LL);
	for (i = 0; i < MAX_AUN_CLONE_CNT; i++)
		KUNIT_ASSERT_EQ_MSG(test, ba_clone(b, c), 0, "clone %d", i);
	KUNIT_EXPECT_EQ(test, ba_clone(b, c), -EIO);
	for (i = 0; i < MAX_AUN_CLONE_CNT; i++)
		KUNIT_ASSERT_EQ_MSG(test, ba_free(b, c), 0, "free %d", i);
	KUNIT_EXPECT_EQ(test, ba_free(b, c), 1);
	KUNIT_EXPECT_EQ(test, ba_space(b), 4ULL);
}

/* 2^20 chunks (a 256 TiB LUN): the arrays come from vmalloc. */
static void ba_large(struct kunit *test)
{
	const u64 n = 1ULL << 20;
	struct blka *b = new_blka(test, n);
	u64 i;

	KUNIT_EXPECT_EQ(test, ba_space(b), n);
	for (i = 0; i < 1000; i++)
		KUNIT_ASSERT_EQ(test, ba_alloc(b), (s64)i);
	KUNIT_EXPECT_EQ(test, ba_free(b, 999), 1);
	KUNIT_EXPECT_EQ(test, ba_free(b, n - 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, ba_space(b), n - 999);
}

/* A new pool is all dirty; only ba_set_clean() makes a chunk clean. */
static void ba_dirty_tracking(struct kunit *test)
{
	const u64 n = 70;	/* not a multiple of BITS_PER_LONG */
	struct blka *b = new_blka(test, n);
	s64 c;
	u64 i;

	KUNIT_EXPECT_EQ(test, b->ndirty, n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE(test, ba_dirty(b, i));
	KUNIT_EXPECT_FALSE(test, ba_dirty(b, n));
	c = ba_alloc(b);
	KUNIT_ASSERT_EQ(test, c, 0LL);
	KUNIT_EXPECT_TRUE(test, ba_dirty(b, c));
	/* freeing without zeroing keeps it dirty */
	KUNIT_EXPECT_EQ(test, ba_free(b, c), 1);
	KUNIT_EXPECT_TRUE(test, ba_dirty(b, c));
	ba_set_clean(b, c);
	ba_set_clean(b, c);
	ba_set_clean(b, n);
	KUNIT_EXPECT_FALSE(test, ba_dirty(b, c));
	KUNIT_EXPECT_EQ(test, b->ndirty, n - 1);
	ba_set_clean(b, n - 1);
	KUNIT_EXPECT_FALSE(test, ba_dirty(b, n - 1));
	KUNIT_EXPECT_TRUE(test, ba_dirty(b, n - 2));
	KUNIT_EXPECT_EQ(test, b->ndirty, n - 2);
}

/* Random alloc/free/clone against a reference model. */
static void ba_model(struct kunit *test)
{
	const u64 n = 64;
	struct blka *b = new_blka(test, n);
	int *refs = kunit_kcalloc(test, n, sizeof(*refs), GFP_KERNEL);
	u32 rnd = 12345;
	u64 used = 0, c;
	int step, rc;
	s64 a;

	KUNIT_ASSERT_NOT_NULL(test, refs);
	for (step = 0; step < 5000; step++) {
		rnd = rnd * 1103515245 + 12345;
		c = (rnd >> 8) % n;
		switch ((rnd >> 20) % 3) {
		case 0:
			a = ba_alloc(b);
			if (used == n) {
				KUNIT_ASSERT_EQ(test, a, (s64)-ENOSPC);
				break;
			}
			KUNIT_ASSERT_GE(test, a, 0LL);
			KUNIT_ASSERT_LT(test, a, (s64)n);
			KUNIT_ASSERT_EQ_MSG(test, refs[a], 0, "chunk %lld handed out twice", a);
			refs[a] = 1;
			used++;
			break;
		case 1:
			rc = ba_free(b, c);
			if (!refs[c]) {
				KUNIT_ASSERT_EQ(test, rc, -EINVAL);
			} else {
				KUNIT_ASSERT_EQ(test, rc, refs[c] == 1 ? 1 : 0);
				if (--refs[c] == 0)
					used--;
			}
			break;
		default:
			rc = ba_clone(b, c);
			if (!refs[c]) {
				KUNIT_ASSERT_EQ(test, rc, -EINVAL);
			} else if (refs[c] == MAX_AUN_CLONE_CNT + 1) {
				KUNIT_ASSERT_EQ(test, rc, -EIO);
			} else {
				KUNIT_ASSERT_EQ(test, rc, 0);
				refs[c]++;
			}
			break;
		}
		KUNIT_ASSERT_EQ(test, ba_space(b), n - used);
	}
}

static void vlun_last_lba_test(struct kunit *test)
{
	struct glun_info gli;

	memset(&gli, 0, sizeof(gli));
	gli.blk_len = 4096;
	KUNIT_EXPECT_EQ(test, vlun_last_lba(&gli, 0), U64_MAX);
	KUNIT_EXPECT_EQ(test, vlun_last_lba(&gli, 1), MC_CHUNK_SIZE - 1);
	KUNIT_EXPECT_EQ(test, vlun_last_lba(&gli, 3), 3 * MC_CHUNK_SIZE - 1);
	/* 512-byte blocks: a chunk is 2^16 blocks = 2^13 4-KiB units */
	gli.blk_len = 512;
	KUNIT_EXPECT_EQ(test, vlun_last_lba(&gli, 1), (MC_CHUNK_SIZE / 8) - 1);
	gli.blk_len = 0;
	KUNIT_EXPECT_EQ(test, vlun_last_lba(&gli, 1), U64_MAX);
}

static struct kunit_case cxlflash_sislite_cases[] = {
	KUNIT_CASE(sisl_ioarcb_layout),
	KUNIT_CASE(sisl_req_flags),
	KUNIT_CASE(sisl_ioasa_layout),
	KUNIT_CASE(sisl_ioasc_encoding),
	KUNIT_CASE(sisl_host_map_layout),
	KUNIT_CASE(sisl_rht_layout),
	KUNIT_CASE(sisl_rht_fp),
	KUNIT_CASE(sisl_lxt_entry),
	KUNIT_CASE(rrq_helpers),
	KUNIT_CASE(rrq_wraps),
	{}
};

static struct kunit_suite cxlflash_sislite_suite = {
	.name = "cxlflash_sislite",
	.test_cases = cxlflash_sislite_cases,
};

static struct kunit_case cxlflash_vlun_cases[] = {
	KUNIT_CASE(ba_init_limits),
	KUNIT_CASE(ba_alloc_order_and_exhaustion),
	KUNIT_CASE(ba_free_errors),
	KUNIT_CASE(ba_clone_refcount),
	KUNIT_CASE(ba_large),
	KUNIT_CASE(ba_dirty_tracking),
	KUNIT_CASE(ba_model),
	KUNIT_CASE(vlun_last_lba_test),
	{}
};

static struct kunit_suite cxlflash_vlun_suite = {
	.name = "cxlflash_vlun",
	.exit = ba_case_exit,
	.test_cases = cxlflash_vlun_cases,
};

kunit_test_suites(&cxlflash_sislite_suite, &cxlflash_vlun_suite);
