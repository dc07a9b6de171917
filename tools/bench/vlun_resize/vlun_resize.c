// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlun_resize: how long DK_CXLFLASH_VLUN_RESIZE takes against the number of
 * chunks it changes (a benchmark, not a test).
 *
 * Creates, through the emulator's configfs, one adapter "spbench" with two
 * thin LUNs: "small" of SMALL chunks (default 1024) and "huge" of HUGE
 * chunks (default 1048576: 256 TiB with 4 KiB blocks, 32 TiB with -b 512).
 * On each, one virtual LUN (raw ioctls) is grown from 0 by N chunks and
 * shrunk back to 0, R times (R/9, at least 1, for the 1M-chunk row); the
 * table shows the median grow and shrink times and the cost per chunk.
 * The last rows change one chunk of a
 * virtual LUN that already holds half the huge LUN.  Growing is the chunk
 * allocator (O(1) per chunk) plus the LXT and one AFU sync; shrinking also
 * scrubs the released chunks (WRITE SAME with UNMAP, coalesced).  Neither
 * should depend on the size of the LUN.
 *
 * usage: vlun_resize [-b 4096|512] [-s SMALL] [-H HUGE] [-r REPEATS=9] [-k]
 *   -k  keep the configfs adapter afterwards
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_common.h"

#define CHUNK_BLKS	65536ULL

static unsigned int BS = 4096;
static unsigned long long SMALL = 1024, HUGE = 1048576;
static int REPS = 9, KEEP;
static struct sp_opts O;

static int opt(int c, const char *arg, void *priv)
{
	(void)priv;
	switch (c) {
	case 'b': BS = (unsigned int)atoi(arg); return BS == 512 || BS == 4096 ? 0 : -1;
	case 's': SMALL = strtoull(arg, NULL, 0); return SMALL >= 1000 ? 0 : -1;
	case 'H': HUGE = strtoull(arg, NULL, 0); return HUGE >= 2000 ? 0 : -1;
	case 'r': REPS = atoi(arg); return REPS >= 1 && REPS <= 1000 ? 0 : -1;
	case 'k': KEEP = 1; return 0;
	}
	return -1;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct target {
	struct sp_cfs_lun *lun;
	int fd, fd2;
	uint64_t ctx, rh;
	uint64_t cb;		/* chunk in 4 KiB units */
};

static int target_open(struct target *t, struct sp_cfs_lun *l)
{
	struct dk_cxlflash_attach a;
	int rc;

	memset(t, 0, sizeof(*t));
	t->lun = l;
	t->fd2 = -1;
	rc = sp_set_superpipe(l->dev, true);
	if (rc)
		return rc;
	t->fd = sp_open_dev(l->dev);
	if (t->fd < 0)
		return t->fd;
	rc = sp_attach(t->fd, O_RDWR, 0, &a);
	if (rc)
		return rc;
	t->ctx = a.context_id;
	t->fd2 = (int)(int64_t)a.adap_fd;
	t->cb = CHUNK_BLKS * a.block_size / 4096;
	return sp_uvirtual(t->fd, t->ctx, 0, 0, &t->rh, NULL);
}

static void target_close(struct target *t)
{
	sp_release(t->fd, t->ctx, t->rh);
	sp_detach(t->fd, t->ctx);
	if (t->fd2 >= 0)
		close(t->fd2);
	if (t->fd >= 0)
		close(t->fd);
}

/* resize to @chunks; elapsed ms, or -1 */
static double resize_ms(struct target *t, uint64_t chunks)
{
	uint64_t last = 0;
	double t0 = sp_now();
	int rc = sp_resize(t->fd, t->ctx, t->rh, chunks * t->cb, &last);

	if (rc || last != (chunks ? chunks * t->cb - 1 : UINT64_MAX)) {
		printf("# RESIZE to %llu chunks on %s: %s (last_lba %llu)\n",
		       (unsigned long long)chunks, t->lun->name, rc ? strerror(-rc) : "wrong size",
		       (unsigned long long)last);
		return -1;
	}
	return (sp_now() - t0) * 1e3;
}

static int row(struct target *t, uint64_t base, uint64_t n, int reps)
{
	double *g = calloc((size_t)reps, sizeof(double)), *s = calloc((size_t)reps, sizeof(double));
	double gm, sm;
	char what[64];
	int rc = 0;

	if (base && resize_ms(t, base) < 0)
		rc = -1;
	for (int i = 0; i < reps && !rc; i++) {
		g[i] = resize_ms(t, base + n);
		s[i] = g[i] < 0 ? -1 : resize_ms(t, base);
		if (g[i] < 0 || s[i] < 0)
			rc = -1;
	}
	if (base)
		resize_ms(t, 0);
	if (rc) {
		free(g);
		free(s);
		return rc;
	}
	gm = median(g, reps);
	sm = median(s, reps);
	if (base)
		snprintf(what, sizeof(what), "%s, +/-%llu on %llu", t->lun->name,
			 (unsigned long long)n, (unsigned long long)base);
	else
		snprintf(what, sizeof(what), "%s, 0 <-> %llu", t->lun->name, (unsigned long long)n);
	printf("%-26s %10llu %14llu %5d %11.3f %11.3f %10.3f %10.3f\n", what, (unsigned long long)n,
	       (unsigned long long)strtoull(t->lun->size, NULL, 0), reps, gm,
	       sm, gm * 1e3 / (double)n, sm * 1e3 / (double)n);
	free(g);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	static char small_sz[32], huge_sz[32];
	struct sp_cfs_lun luns[2] = {
		{ "small", small_sz, 0, "", "" },
		{ "huge", huge_sz, 0, "", "" },
	};
	struct target ts, th;
	struct sp_lunrec r;
	int rc, bad = 0;

	sp_parse_common(argc, argv, &O, "b:s:H:r:k", opt, NULL,
			"[-b 4096|512] [-s SMALL chunks] [-H HUGE chunks] [-r REPEATS] [-k]");
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* sizes in MiB: chunk = 65536 blocks */
	snprintf(small_sz, sizeof(small_sz), "%lluM", SMALL * CHUNK_BLKS * BS >> 20);
	snprintf(huge_sz, sizeof(huge_sz), "%lluM", HUGE * CHUNK_BLKS * BS >> 20);
	luns[0].bs = luns[1].bs = BS;
	if (!sp_cfs_create("spbench", luns, 2, 120)) {
		printf("# vlun_resize: cannot create the configfs LUNs\n");
		return 1;
	}
	rc = target_open(&ts, &luns[0]);
	if (!rc)
		rc = target_open(&th, &luns[1]);
	if (rc) {
		printf("# vlun_resize: set-up failed: %s\n", strerror(-rc));
		sp_cfs_destroy("spbench", luns, 2);
		return 1;
	}
	sp_lunrec(luns[0].wwid, &r);
	printf("# vlun_resize: %u-byte blocks, chunk = %llu MiB; small LUN %llu chunks (%s), huge LUN %llu chunks (%s)\n",
	       BS, CHUNK_BLKS * BS >> 20, r.chunks, small_sz, HUGE, huge_sz);
	sp_lunrec(luns[1].wwid, &r);
	if (r.chunks != HUGE)
		printf("# huge LUN has %llu chunks, not %llu\n", r.chunks, HUGE);
	{
		char p[128], v[64] = "?";
		const char *b = strrchr(luns[1].dev, '/');
		FILE *f;

		snprintf(p, sizeof(p), "/sys/block/%s/queue/write_zeroes_max_bytes", b ? b + 1 : "");
		f = fopen(p, "r");
		if (f) {
			if (!fgets(v, sizeof(v), f))
				snprintf(v, sizeof(v), "?");
			v[strcspn(v, "\n")] = '\0';
			fclose(f);
		}
		printf("# scrubbing on shrink: one WRITE SAME (UNMAP) per run of free chunks, at most %s bytes each\n",
		       v);
	}
	printf("# times: median of R grow (0 -> N chunks) and shrink (N -> 0, incl. scrubbing) VLUN_RESIZE calls\n\n");
	printf("%-26s %10s %14s %5s %11s %11s %10s %10s\n", "LUN, resize", "chunks", "LUN MiB", "R",
	       "grow ms", "shrink ms", "grow us/ch", "shrk us/ch");
	bad |= row(&ts, 0, 1, REPS);
	bad |= row(&ts, 0, 1000, REPS);
	bad |= row(&th, 0, 1, REPS);
	bad |= row(&th, 0, 1000, REPS);
	bad |= row(&th, 0, HUGE, REPS / 9 > 0 ? REPS / 9 : 1);
	bad |= row(&th, HUGE / 2, 1, REPS);
	bad |= row(&th, HUGE / 2, 1000, REPS);
	printf("\n# us/ch: cost per chunk changed; the rows of 1 and 1000 chunks are alike on both LUNs\n");
	target_close(&ts);
	target_close(&th);
	if (!KEEP)
		sp_cfs_destroy("spbench", luns, 2);
	return bad ? 1 : 0;
}
