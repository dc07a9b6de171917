// SPDX-License-Identifier: GPL-2.0-only
/*
 * recovery: transparent context recovery under a verify workload.
 *
 * A worker thread writes versioned patterns to a 2048-block region in
 * asynchronous batches (QD16) and reads every batch back.  Meanwhile the
 * main thread injects a context error by writing the context's id to
 *   /sys/kernel/debug/cxlflash_sim/<adapter>/ctx_error
 * and waits for the library to recover (RECOVER_AFU with CONTEXT_RESET:
 * new context id, new fd2, remapped, in-flight commands re-issued).
 * Asserts: every injection is followed by a context reset, no I/O error,
 * no corrupted block during the run and in a final full verification.
 * Runs once with polled completions and once with CFLASH_OPEN_IRQ.
 *
 * usage: recovery [-d /dev/sdX] [-a ADAPTER] [-n INJECTIONS=3] [-i MS=700]
 *                 [-F]  (-F: write the full 64-bit context id in hex
 *                        instead of the decimal context index = low 32 bits)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_common.h"

static struct sp_opts O;
static const char *ADAPTER;
static int NINJ = 3, INTERVAL = 700, FULL_ID;

#define REGION	2048
#define BATCH	16

static int opt(int c, const char *arg, void *priv)
{
	(void)priv;
	switch (c) {
	case 'a': ADAPTER = arg; return 0;
	case 'n': NINJ = atoi(arg); return NINJ >= 1 ? 0 : -1;
	case 'i': INTERVAL = atoi(arg); return INTERVAL >= 0 ? 0 : -1;
	case 'F': FULL_ID = 1; return 0;
	}
	return -1;
}

struct work {
	struct cflash_lun *l;
	uint32_t bs;
	volatile int stop;
	long batches, errors;
	uint64_t bad;
	int first_err;
	uint64_t ver[REGION];
	char last_msg[256];
};

static void note_err(struct work *w, int rc)
{
	if (!w->errors) {
		w->first_err = rc;
		cflash_last_error(w->l, w->last_msg, sizeof(w->last_msg));
	}
	w->errors++;
}

static void *worker(void *p)
{
	struct work *w = p;
	void *b = sp_alloc((size_t)BATCH * w->bs);
	cflash_tag_t t[BATCH];
	uint64_t gen = 1;

	while (!w->stop) {
		uint64_t base = (gen * BATCH * 7) % REGION;
		struct cflash_completion c;
		int rr;

		for (int k = 0; k < BATCH; k++) {
			uint64_t lba = (base + (uint64_t)k) % REGION;
			int rc;

			sp_fill((char *)b + (size_t)k * w->bs, lba, 1, w->bs, gen);
			rc = cflash_awrite(w->l, (char *)b + (size_t)k * w->bs, lba, 1, &t[k]);
			if (rc) {
				note_err(w, rc);
				t[k] = CFLASH_TAG_ANY;
			}
		}
		for (int k = 0; k < BATCH; k++) {
			uint64_t lba = (base + (uint64_t)k) % REGION;

			if (t[k] == CFLASH_TAG_ANY)
				continue;
			rr = cflash_aresult(w->l, t[k], CFLASH_WAIT, &c);
			if (rr != 1 || c.status)
				note_err(w, rr != 1 ? (rr ? rr : -EIO) : c.status);
			else
				w->ver[lba] = gen;
		}
		memset(b, 0, (size_t)BATCH * w->bs);
		for (int k = 0; k < BATCH; k++) {
			uint64_t lba = (base + (uint64_t)k) % REGION;
			int rc = cflash_aread(w->l, (char *)b + (size_t)k * w->bs, lba, 1, &t[k]);

			if (rc) {
				note_err(w, rc);
				t[k] = CFLASH_TAG_ANY;
			}
		}
		for (int k = 0; k < BATCH; k++) {
			uint64_t lba = (base + (uint64_t)k) % REGION;

			if (t[k] == CFLASH_TAG_ANY)
				continue;
			rr = cflash_aresult(w->l, t[k], CFLASH_WAIT, &c);
			if (rr != 1 || c.status)
				note_err(w, rr != 1 ? (rr ? rr : -EIO) : c.status);
			else if (w->ver[lba])
				w->bad += sp_check((char *)b + (size_t)k * w->bs, lba, 1, w->bs,
						   w->ver[lba]);
		}
		w->batches++;
		gen++;
	}
	free(b);
	return NULL;
}

static int inject(uint64_t ctx_id, char *path, size_t plen)
{
	char val[64];
	int fd, n;

	snprintf(path, plen, "/sys/kernel/debug/cxlflash_sim/%s/ctx_error", ADAPTER);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (FULL_ID)
		n = snprintf(val, sizeof(val), "0x%llx\n", (unsigned long long)ctx_id);
	else
		n = snprintf(val, sizeof(val), "%llu\n", (unsigned long long)(ctx_id & 0xFFFFFFFF));
	n = (int)write(fd, val, (size_t)n) == n ? 0 : -errno;
	close(fd);
	return n;
}

static void run(int open_flags, const char *label)
{
	struct work *w = calloc(1, sizeof(*w));
	struct cflash_info in;
	struct cflash_stats st0, st;
	pthread_t thr;
	char path[512];
	int rc;

	rc = cflash_open(O.dev, O_RDWR | open_flags, 0, &w->l);
	if (!tap_ok(rc == 0, "%s: library open (%s)", label, cflash_strerror(rc))) {
		free(w);
		return;
	}
	cflash_info(w->l, &in);
	w->bs = in.block_size;
	cflash_set_timeout(w->l, 5000);
	pthread_create(&thr, NULL, worker, w);
	sp_msleep(300);

	for (int i = 0; i < NINJ; i++) {
		uint64_t before;
		double t0;

		cflash_info(w->l, &in);
		cflash_stats(w->l, &st0);
		before = in.context_id;
		rc = inject(in.context_id, path, sizeof(path));
		if (!tap_ok(rc == 0, "%s: injection %d: context error for 0x%llx via %s (%s)", label,
			    i + 1, (unsigned long long)in.context_id, path, rc ? strerror(-rc) : "ok"))
			break;
		t0 = sp_now();
		do {
			sp_msleep(20);
			cflash_stats(w->l, &st);
		} while (st.ctx_resets == st0.ctx_resets && sp_now() - t0 < 30);
		cflash_info(w->l, &in);
		tap_ok(st.ctx_resets == st0.ctx_resets + 1 && in.context_id != before,
		       "%s: recovered in %.0f ms: context 0x%llx -> 0x%llx, recoveries %llu", label,
		       (sp_now() - t0) * 1000, (unsigned long long)before,
		       (unsigned long long)in.context_id, (unsigned long long)st.recoveries);
		sp_msleep((unsigned int)INTERVAL);
	}
	sp_msleep(300);
	w->stop = 1;
	pthread_join(thr, NULL);
	tap_ok(w->errors == 0, "%s: %ld batches of %d writes+reads, %ld I/O errors%s%s", label,
	       w->batches, BATCH, w->errors, w->errors ? ", first: " : "",
	       w->errors ? w->last_msg : "");
	tap_ok(w->bad == 0, "%s: no corrupted block seen by the workload (%llu)", label,
	       (unsigned long long)w->bad);
	{
		void *b = sp_alloc((size_t)REGION * w->bs);
		uint64_t bad = 0;

		rc = cflash_read(w->l, b, 0, REGION);
		for (uint64_t lba = 0; !rc && lba < REGION; lba++)
			if (w->ver[lba])
				bad += sp_check((char *)b + lba * w->bs, lba, 1, w->bs, w->ver[lba]);
		tap_ok(rc == 0 && bad == 0, "%s: final verification of %d blocks: %llu corrupted (%s)",
		       label, REGION, (unsigned long long)bad, cflash_strerror(rc));
		free(b);
	}
	rc = cflash_close(w->l);
	tap_ok(rc == 0, "%s: close after recovery (RELEASE/DETACH on the new context)", label);
	free(w);
}

int main(int argc, char **argv)
{
	static char adap[256];

	sp_parse_common(argc, argv, &O, "a:n:i:F", opt, NULL,
			"[-a ADAPTER] [-n INJECTIONS] [-i MS] [-F]");
	if (!sp_tap_start(&O))
		return 0;
	if (!ADAPTER) {
		if (!sp_sim_adapter(adap, sizeof(adap))) {
			printf("1..0 # SKIP no /sys/kernel/debug/cxlflash_sim/<adapter> (debugfs not mounted?)\n0 passed, 0 failed\n");
			return 0;
		}
		ADAPTER = adap;
	}
	tap_diag("LUN %s, adapter %s", O.dev, ADAPTER);
	run(0, "polled");
	run(CFLASH_OPEN_IRQ, "irq");
	return tap_done();
}
