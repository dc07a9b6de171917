// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlun: virtual LUNs (USER_VIRTUAL, VLUN_RESIZE, RELEASE, VLUN_CLONE).
 *
 *  1. sizes: create/resize/release cycles on the default LUN (4 KiB
 *     blocks) and on a 512-byte-block LUN; every last_lba exact (4 KiB
 *     units: chunks * 65536 * block_size / 4096 - 1, all ones for 0),
 *     sizes rounded up to chunks of 65536 device blocks, growth past the
 *     capacity capped at what is free (best effort, reported in
 *     last_lba; -ENOSPC only when nothing is free), the chunk counts of
 *     /sys/kernel/debug/cxlflash/luns following every step;
 *  2. capacity: a LUN of exactly 1000 chunks (250 GiB, thin) filled by
 *     1000 one-chunk virtual LUNs in one context (a context holds 4096
 *     handles, see compat), one more chunk -ENOSPC, all
 *     freed -> 1000 free chunks again; then one virtual LUN of all 1000;
 *  3. isolation: two processes with virtual LUNs on the same LUN write
 *     their own patterns and never see the other's, LBAs past the end fail
 *     in the AFU (afu_rc 0x13, seen through cflash_last_error after the
 *     handle was shrunk behind the library's back), data shrunk away and
 *     regrown reads zeros, chunks one process released reach the other
 *     zeroed;
 *  4. fork + clone: the child reads the parent's data through its own
 *     context (cflash_clone_after_fork) while the parent keeps doing I/O;
 *     after both close, the driver's and the emulator's context counts and
 *     the LUN's users are back at their baselines;
 *  5. a virtual LUN grown to 1 TiB on a thin 1 TiB LUN, 64 spread LBAs
 *     written and verified, unwritten ones read zeros;
 *  6. mixed modes: a LUN in virtual mode refuses USER_DIRECT, a LUN in
 *     physical mode refuses USER_VIRTUAL (EINVAL) while handles exist.
 *
 * Sections 1 (512-byte part), 2, 3 and 5 need LUNs this program creates
 * through configfs (/sys/kernel/config/cxlflash_sim/spvlun, one port:
 * "fill" 250G, "tib" 1T, "b512" 1G with 512-byte blocks) and removes at
 * the end; without configfs they are skipped.
 *
 * usage: vlun [-d /dev/sdX] [-v] [-C (no configfs sections)]
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sp_common.h"

#define CHUNK_BLKS	65536ULL	/* device blocks per chunk */
#define NONE		UINT64_MAX

static struct sp_opts O;
static int NO_CFS;

static int opt(int c, const char *arg, void *priv)
{
	(void)priv;
	(void)arg;
	switch (c) {
	case 'C': NO_CFS = 1; return 0;
	}
	return -1;
}

static const char *en(int rc)
{
	return rc ? strerror(-rc) : "ok";
}

/* chunk size in 4 KiB units, for a LUN of @bs-byte blocks */
static uint64_t chunk4k(uint32_t bs)
{
	return CHUNK_BLKS * bs / 4096;
}

/* chunks a request of @req 4 KiB blocks takes */
static uint64_t chunks_for(uint64_t req, uint32_t bs)
{
	uint64_t sectors = req * 4096 / bs;

	return (sectors + CHUNK_BLKS - 1) / CHUNK_BLKS;
}

static uint64_t last_for(uint64_t chunks, uint32_t bs)
{
	return chunks ? chunks * CHUNK_BLKS * bs / 4096 - 1 : NONE;
}

static const char *lba_str(uint64_t v)
{
	static char b[4][32];
	static int i;

	i = (i + 1) % 4;
	if (v == NONE)
		snprintf(b[i], sizeof(b[i]), "all-ones");
	else
		snprintf(b[i], sizeof(b[i]), "%llu", (unsigned long long)v);
	return b[i];
}

/* ------------------------------------------------------------------ */
/* debugfs                                                             */
/* ------------------------------------------------------------------ */

/* sum of contexts_count over the driver's hosts; -1 without debugfs */
static int drv_contexts(void)
{
	glob_t g;
	int total = -1;

	if (glob("/sys/kernel/debug/cxlflash/host*/contexts_count", 0, NULL, &g))
		return -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		int n;

		if (!f)
			continue;
		if (fscanf(f, "%d", &n) == 1)
			total = (total < 0 ? 0 : total) + n;
		fclose(f);
	}
	globfree(&g);
	return total;
}

/* ------------------------------------------------------------------ */
/* raw contexts                                                        */
/* ------------------------------------------------------------------ */

struct rctx {
	int fd;
	uint64_t id;
	int fd2;
	uint32_t bs;
	uint64_t last_lba;	/* of the physical LUN, device blocks */
	int handles;
};

static int rctx_attach(struct rctx *r, int fd)
{
	struct dk_cxlflash_attach a;
	int rc = sp_attach(fd, O_RDWR, 0, &a);

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->fd2 = -1;
	if (rc)
		return rc;
	r->id = a.context_id;
	r->fd2 = (int)(int64_t)a.adap_fd;
	r->bs = a.block_size;
	r->last_lba = a.last_lba;
	return 0;
}

/* DETACH, then close fd2 (application-close model) */
static int rctx_detach(struct rctx *r)
{
	int rc = sp_detach(r->fd, r->id);

	if (r->fd2 >= 0)
		close(r->fd2);
	r->fd2 = -1;
	return rc;
}

/* ------------------------------------------------------------------ */
/* configfs LUNs                                                       */
/* ------------------------------------------------------------------ */

#define ADP	"spvlun"

static struct sp_cfs_lun CL[] = {
	{ "fill", "250G", 4096, "", "" },	/* 1000 chunks */
	{ "tib", "1T", 4096, "", "" },		/* 4096 chunks */
	{ "b512", "1G", 512, "", "" },		/* 32 chunks of 32 MiB */
};
#define NCL	(sizeof(CL) / sizeof(CL[0]))
static struct sp_cfs_lun *FILL = &CL[0], *TIB = &CL[1], *B512 = &CL[2];
static bool CFS_UP;

/* ------------------------------------------------------------------ */
/* results of child processes, reported by the parent                  */
/* ------------------------------------------------------------------ */

struct shchk {
	volatile long pios;		/* fork test: the parent's I/O count */
	int n;
	struct {
		int ok;
		char msg[240];
	} c[40];
};

static struct shchk *sh_new(void)
{
	void *p = mmap(NULL, sizeof(struct shchk), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		tap_bail("mmap: %s", strerror(errno));
	memset(p, 0, sizeof(struct shchk));
	return p;
}

static int cchk(struct shchk *s, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int cchk(struct shchk *s, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (s->n >= 40)
		return ok;
	s->c[s->n].ok = ok;
	va_start(ap, fmt);
	vsnprintf(s->c[s->n].msg, sizeof(s->c[s->n].msg), fmt, ap);
	va_end(ap);
	s->n++;
	return ok;
}

static void sh_report(struct shchk *s, const char *who, int st)
{
	for (int i = 0; i < s->n; i++)
		tap_ok(s->c[i].ok, "%s: %s", who, s->c[i].msg);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s exited cleanly (status 0x%x)", who, st);
	munmap(s, sizeof(*s));
}

/* a one-byte step barrier between the parent and a child */
struct chan {
	int down[2], up[2];
};

static void ch_open(struct chan *c)
{
	if (pipe(c->down) || pipe(c->up))
		tap_bail("pipe: %s", strerror(errno));
}

static void ch_child(struct chan *c)
{
	close(c->down[1]);
	close(c->up[0]);
}

static void ch_parent(struct chan *c)
{
	close(c->down[0]);
	close(c->up[1]);
}

static bool ch_wait(int fd)
{
	char b;

	return read(fd, &b, 1) == 1;
}

static void ch_send(int fd)
{
	if (write(fd, "x", 1) != 1)
		return;
}

/* ------------------------------------------------------------------ */
/* 1. sizes                                                            */
/* ------------------------------------------------------------------ */

static void t_sizes(const char *dev, const char *tag)
{
	struct rctx c;
	struct sp_lunrec r;
	char wwid[33];
	uint64_t anchor, vh, last, nchunk, cb, want, full;
	int fd, rc, bad;
	bool ok;

	rc = sp_set_superpipe(dev, true);
	fd = sp_open_dev(dev);
	if (!tap_ok(rc == 0 && fd >= 0, "%s: superpipe on, open %s (%s)", tag, dev,
		    en(rc ? rc : fd < 0 ? fd : 0)))
		return;
	rc = rctx_attach(&c, fd);
	if (!tap_ok(rc == 0, "%s: ATTACH (%s)", tag, en(rc))) {
		close(fd);
		return;
	}
	nchunk = (c.last_lba + 1) / CHUNK_BLKS;
	cb = chunk4k(c.bs);
	full = nchunk * cb;
	sp_wwid_hex(dev, wwid);
	tap_diag("%s: %s, %u-byte blocks, last_lba %llu -> %llu chunks of %llu 4-KiB blocks",
		 tag, dev, c.bs, (unsigned long long)c.last_lba, (unsigned long long)nchunk,
		 (unsigned long long)cb);

	/* an empty anchor keeps the LUN in virtual mode (its allocator alive) */
	rc = sp_uvirtual(fd, c.id, 0, 0, &anchor, &last);
	tap_ok(rc == 0 && last == NONE, "%s: USER_VIRTUAL size 0 -> last_lba all ones (%s, %s)",
	       tag, en(rc), lba_str(last));
	/* (arguments are evaluated in no set order: read the record first) */
	ok = sp_lunrec(wwid, &r);
	tap_ok(ok && !strcmp(r.mode, "virtual") && r.chunks == nchunk &&
	       r.nfree == nchunk && r.blk_len == c.bs,
	       "%s: debugfs luns: mode=virtual chunks=%llu free=%llu blk_len=%u (want %llu/%llu/%u)",
	       tag, r.chunks, r.nfree, r.blk_len, (unsigned long long)nchunk,
	       (unsigned long long)nchunk, c.bs);

	/* create at sizes around chunk boundaries, release */
	{
		uint64_t sizes[] = { 0, 1, cb - 1, cb, cb + 1, 2 * cb, 2 * cb + 1, 3 * cb, full };

		bad = 0;
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint64_t ch = chunks_for(sizes[i], c.bs);
			int rrc;

			want = last_for(ch, c.bs);
			rc = sp_uvirtual(fd, c.id, sizes[i], 0, &vh, &last);
			sp_lunrec(wwid, &r);
			if (rc || last != want || r.nfree != nchunk - ch) {
				tap_diag("%s: USER_VIRTUAL %llu: %s last %s (want %s) free %llu (want %llu)",
					 tag, (unsigned long long)sizes[i], en(rc), lba_str(last),
					 lba_str(want), r.nfree, (unsigned long long)(nchunk - ch));
				bad++;
			}
			if (rc)
				continue;
			rrc = sp_release(fd, c.id, vh);
			sp_lunrec(wwid, &r);
			if (rrc || r.nfree != nchunk) {
				tap_diag("%s: RELEASE after %llu: %s free %llu", tag,
					 (unsigned long long)sizes[i], en(rrc), r.nfree);
				bad++;
			}
		}
		tap_ok(bad == 0, "%s: USER_VIRTUAL at 0, 1, chunk-1, chunk, chunk+1, 2 chunks, 2 chunks+1, 3 chunks, all: last_lba exact, free chunks follow, RELEASE returns them",
		       tag);
	}

	/* one handle resized through a sequence */
	rc = sp_uvirtual(fd, c.id, 1, 0, &vh, &last);
	tap_ok(rc == 0 && last == last_for(1, c.bs), "%s: USER_VIRTUAL 1 block -> one chunk, last_lba %s (%s)",
	       tag, lba_str(last), en(rc));
	if (!rc) {
		uint64_t seq[] = { cb, cb + 1, 1, 3 * cb, 0, full, 2 * cb - 1 };

		bad = 0;
		for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
			uint64_t ch = chunks_for(seq[i], c.bs);

			want = last_for(ch, c.bs);
			rc = sp_resize(fd, c.id, vh, seq[i], &last);
			sp_lunrec(wwid, &r);
			if (rc || last != want || r.nfree != nchunk - ch) {
				tap_diag("%s: RESIZE %llu: %s last %s (want %s) free %llu (want %llu)",
					 tag, (unsigned long long)seq[i], en(rc), lba_str(last),
					 lba_str(want), r.nfree, (unsigned long long)(nchunk - ch));
				bad++;
			}
		}
		tap_ok(bad == 0, "%s: VLUN_RESIZE chunk, chunk+1, 1, 3 chunks, 0, all, 2 chunks-1: last_lba exact, free chunks follow",
		       tag);

		/*
		 * growing past the capacity: best effort (the historical rule),
		 * the size reached is in last_lba
		 */
		rc = sp_resize(fd, c.id, vh, full + 1, &last);
		{
			uint64_t v = 0;
			int vrc = sp_verify(fd, c.id, vh, &v);

			sp_lunrec(wwid, &r);
			tap_ok(rc == 0 && last == last_for(nchunk, c.bs) && vrc == 0 &&
			       v == last && r.nfree == 0,
			       "%s: RESIZE to capacity + 1 block -> 0 (%s), capped at the capacity: last_lba %s (VERIFY %s), free %llu",
			       tag, en(rc), lba_str(last), lba_str(v), r.nfree);
		}
		rc = sp_resize(fd, c.id, vh, full + 1, &last);
		tap_ok(rc == -ENOSPC && last == last_for(nchunk, c.bs),
		       "%s: RESIZE up again with nothing free -> ENOSPC (%s)", tag, en(rc));
		rc = sp_resize(fd, c.id, vh, 2 * cb - 1, &last);
		sp_lunrec(wwid, &r);
		tap_ok(rc == 0 && last == last_for(2, c.bs) && r.nfree == nchunk - 2,
		       "%s: shrunk back to 2 chunks (%s), free %llu", tag, en(rc), r.nfree);
		{
			uint64_t vh2 = NONE;

			last = 0;
			rc = sp_uvirtual(fd, c.id, full - cb + 1, 0, &vh2, &last);
			sp_lunrec(wwid, &r);
			tap_ok(rc == 0 && last == last_for(nchunk - 2, c.bs) && r.nfree == 0,
			       "%s: USER_VIRTUAL of %llu chunks with %llu free -> 0 (%s), capped: last_lba %s, free %llu",
			       tag, (unsigned long long)nchunk, (unsigned long long)(nchunk - 2), en(rc),
			       lba_str(last), r.nfree);
			if (!rc)
				sp_release(fd, c.id, vh2);
		}
		rc = sp_release(fd, c.id, vh);
		sp_lunrec(wwid, &r);
		tap_ok(rc == 0 && r.nfree == nchunk, "%s: RELEASE -> all %llu chunks free (%s)", tag,
		       r.nfree, en(rc));
	}

	/* create/resize/release cycles */
	bad = 0;
	for (int i = 0; i < 20; i++) {
		uint64_t l1 = 0, l2 = 0, l3 = 0;
		int r1, r2 = -1, r3 = -1, r4 = -1;

		r1 = sp_uvirtual(fd, c.id, 2 * cb, 0, &vh, &l1);
		if (!r1) {
			r2 = sp_resize(fd, c.id, vh, cb, &l2);
			r3 = sp_resize(fd, c.id, vh, 3 * cb - 1, &l3);
			r4 = sp_release(fd, c.id, vh);
		}
		if (r1 || r2 || r3 || r4 || l1 != last_for(2, c.bs) || l2 != last_for(1, c.bs) ||
		    l3 != last_for(3, c.bs))
			bad++;
	}
	sp_lunrec(wwid, &r);
	tap_ok(bad == 0 && r.nfree == nchunk && r.chunks == nchunk,
	       "%s: 20 create(2 chunks)/shrink(1)/grow(3)/release cycles exact, free %llu of %llu",
	       tag, r.nfree, r.chunks);

	rc = sp_release(fd, c.id, anchor);
	sp_lunrec(wwid, &r);
	tap_ok(rc == 0 && !strcmp(r.mode, "none") && r.users == 0,
	       "%s: last handle released -> LUN mode=%s users=%d (%s)", tag, r.mode, r.users, en(rc));
	rc = rctx_detach(&c);
	tap_ok(rc == 0, "%s: DETACH (%s)", tag, en(rc));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* 2. capacity                                                         */
/* ------------------------------------------------------------------ */

#define NVL	1000
#define MAXCTX	8

static void t_capacity(const char *dev, const char *wwid)
{
	struct rctx c[MAXCTX];
	struct vl {
		int ctx;
		uint64_t rh;
	} *v = calloc(NVL, sizeof(*v));
	struct sp_lunrec r;
	uint64_t anchor, last = 0, cb;
	int fd, rc, nctx = 0, made = 0, bad = 0, first_rc = 0;
	double t0;

	rc = sp_set_superpipe(dev, true);
	fd = sp_open_dev(dev);
	if (!tap_ok(rc == 0 && fd >= 0 && v, "capacity: superpipe on, open %s", dev))
		return;
	rc = rctx_attach(&c[0], fd);
	if (!tap_ok(rc == 0, "capacity: ATTACH (%s)", en(rc))) {
		close(fd);
		free(v);
		return;
	}
	nctx = 1;
	cb = chunk4k(c[0].bs);
	tap_ok((c[0].last_lba + 1) / CHUNK_BLKS == NVL && (c[0].last_lba + 1) % CHUNK_BLKS == 0,
	       "capacity: LUN of %llu blocks = exactly %d chunks", (unsigned long long)c[0].last_lba + 1,
	       NVL);
	rc = sp_uvirtual(fd, c[0].id, 0, 0, &anchor, NULL);
	c[0].handles = 1;
	sp_lunrec(wwid, &r);
	tap_ok(rc == 0 && r.chunks == NVL && r.nfree == NVL,
	       "capacity: baseline chunks=%llu free=%llu (%s)", r.chunks, r.nfree, en(rc));

	t0 = sp_now();
	for (int i = 0; i < NVL; i++) {
		if (c[nctx - 1].handles == 4096) {
			if (nctx == MAXCTX)
				break;
			rc = rctx_attach(&c[nctx], fd);
			if (rc) {
				first_rc = first_rc ? first_rc : rc;
				break;
			}
			nctx++;
		}
		rc = sp_uvirtual(fd, c[nctx - 1].id, cb, 0, &v[i].rh, &last);
		if (rc || last != cb - 1) {
			first_rc = first_rc ? first_rc : (rc ? rc : -EIO);
			break;
		}
		v[i].ctx = nctx - 1;
		c[nctx - 1].handles++;
		made++;
	}
	tap_ok(made == NVL, "capacity: %d one-chunk virtual LUNs created in %d contexts (%.1f s; %s)",
	       made, nctx, sp_now() - t0, en(first_rc));
	sp_lunrec(wwid, &r);
	tap_ok(r.nfree == 0 && r.users == NVL + 1, "capacity: LUN full: free=%llu users=%d", r.nfree,
	       r.users);
	rc = sp_uvirtual(fd, c[nctx - 1].id, 1, 0, NULL, NULL);
	tap_ok(rc == -ENOSPC, "capacity: one more chunk -> ENOSPC (%s)", en(rc));
	{
		uint64_t vl = 0;
		int vrc;

		rc = sp_resize(fd, c[0].id, anchor, 1, NULL);
		vrc = sp_verify(fd, c[0].id, anchor, &vl);
		tap_ok(rc == -ENOSPC && vrc == 0 && vl == NONE,
		       "capacity: growing the empty handle by one block -> ENOSPC (%s), still empty (%s)",
		       en(rc), lba_str(vl));
	}
	tap_ok(nctx == 1 && c[0].handles == NVL + 1,
	       "capacity: all %d handles in one context (%d contexts)", c[0].handles, nctx);
	sp_lunrec(wwid, &r);
	tap_ok(r.nfree == 0 && r.users == NVL + 1, "capacity: failed requests changed nothing (free=%llu users=%d)",
	       r.nfree, r.users);

	t0 = sp_now();
	for (int i = 0; i < made; i++) {
		rc = sp_release(fd, c[v[i].ctx].id, v[i].rh);
		if (rc) {
			bad++;
			if (bad < 4)
				tap_diag("RELEASE %d: %s", i, en(rc));
		}
	}
	tap_ok(bad == 0, "capacity: %d virtual LUNs released (%.1f s)", made, sp_now() - t0);
	sp_lunrec(wwid, &r);
	tap_ok(r.chunks == NVL && r.nfree == NVL && r.users == 1,
	       "capacity: all freed -> chunks=%llu free=%llu (as at the start), users=%d", r.chunks,
	       r.nfree, r.users);

	/* the whole LUN as one virtual LUN */
	t0 = sp_now();
	rc = sp_resize(fd, c[0].id, anchor, NVL * cb, &last);
	sp_lunrec(wwid, &r);
	tap_ok(rc == 0 && last == NVL * cb - 1 && r.nfree == 0,
	       "capacity: one virtual LUN of all %d chunks, last_lba %s, free %llu (%s, %.2f s)", NVL,
	       lba_str(last), r.nfree, en(rc), sp_now() - t0);
	rc = sp_resize(fd, c[0].id, anchor, NVL * cb + 1, &last);
	tap_ok(rc == -ENOSPC, "capacity: one block more -> ENOSPC (%s)", en(rc));
	t0 = sp_now();
	rc = sp_resize(fd, c[0].id, anchor, 0, &last);
	sp_lunrec(wwid, &r);
	tap_ok(rc == 0 && last == NONE && r.nfree == NVL,
	       "capacity: shrunk to 0 -> free %llu (%s, %.2f s)", r.nfree, en(rc), sp_now() - t0);

	rc = sp_release(fd, c[0].id, anchor);
	bad = 0;
	for (int i = 0; i < nctx; i++)
		bad += rctx_detach(&c[i]) != 0;
	sp_lunrec(wwid, &r);
	tap_ok(rc == 0 && bad == 0 && r.users == 0 && !strcmp(r.mode, "none"),
	       "capacity: %d contexts detached, LUN users=%d mode=%s", nctx, r.users, r.mode);
	close(fd);
	free(v);
}

/* ------------------------------------------------------------------ */
/* 3. isolation                                                        */
/* ------------------------------------------------------------------ */

#define ISO_CHUNKS	8

/* first, middle and last block of every chunk in [c0, c1) */
static int chunk_lbas(uint64_t cb, uint64_t c0, uint64_t c1, uint64_t *out)
{
	int n = 0;

	for (uint64_t ch = c0; ch < c1; ch++) {
		out[n++] = ch * cb;
		out[n++] = ch * cb + cb / 2;
		out[n++] = ch * cb + cb - 1;
	}
	return n;
}

struct scan {
	int errors;
	uint64_t own_bad, foreign, zero, nonzero;
};

static bool is_zero(const void *b, uint32_t bs)
{
	const uint64_t *p = b;

	for (uint32_t i = 0; i < bs / 8; i++)
		if (p[i])
			return false;
	return true;
}

static void scan_blocks(struct cflash_lun *l, void *buf, uint32_t bs, const uint64_t *lbas, int n,
			uint64_t seed, uint64_t foreign_seed, struct scan *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < n; i++) {
		memset(buf, 0xA5, bs);
		if (cflash_read(l, buf, lbas[i], 1)) {
			s->errors++;
			continue;
		}
		if (is_zero(buf, bs))
			s->zero++;
		else
			s->nonzero++;
		if (((uint64_t *)buf)[1] == foreign_seed)
			s->foreign++;
		if (seed && sp_check(buf, lbas[i], 1, bs, seed))
			s->own_bad++;
	}
}

static int write_blocks(struct cflash_lun *l, void *buf, uint32_t bs, const uint64_t *lbas, int n,
			uint64_t seed)
{
	int err = 0;

	for (int i = 0; i < n; i++) {
		sp_fill(buf, lbas[i], 1, bs, seed);
		err += cflash_write(l, buf, lbas[i], 1) != 0;
	}
	return err;
}

static void iso_child(int who, const char *dev, struct chan *ch, struct shchk *sh)
{
	uint64_t seed = who ? 0xB0B : 0xA11CE, other = who ? 0xA11CE : 0xB0B;
	uint64_t lbas[3 * 2 * ISO_CHUNKS], cb = 65536, n64 = 0;
	struct cflash_lun *l = NULL;
	struct cflash_info in;
	struct scan s;
	void *buf = sp_alloc(4096);
	int n, rc, code = 0;

	ch_child(ch);
	rc = cflash_open(dev, O_RDWR | CFLASH_OPEN_VIRTUAL, ISO_CHUNKS * cb, &l);
	cflash_size(l, &n64);
	if (!cchk(sh, rc == 0 && n64 == ISO_CHUNKS * cb, "virtual LUN of %d chunks (%s, %llu blocks)",
		  ISO_CHUNKS, cflash_strerror(rc), (unsigned long long)n64)) {
		ch_send(ch->up[1]);
		_exit(1);
	}
	cflash_info(l, &in);
	n = chunk_lbas(cb, 0, ISO_CHUNKS, lbas);
	rc = write_blocks(l, buf, in.block_size, lbas, n, seed);
	code |= !cchk(sh, rc == 0, "own pattern written at first/middle/last block of every chunk (%d errors)", rc);
	ch_send(ch->up[1]);
	if (!ch_wait(ch->down[0]))
		_exit(2);

	/* both wrote: each sees its own data only */
	scan_blocks(l, buf, in.block_size, lbas, n, seed, other, &s);
	code |= !cchk(sh, s.errors == 0 && s.own_bad == 0 && s.foreign == 0,
		      "reads back its own %d blocks, none foreign (errors %d, bad %llu, foreign %llu)", n,
		      s.errors, (unsigned long long)s.own_bad, (unsigned long long)s.foreign);
	rc = cflash_read(l, buf, ISO_CHUNKS * cb, 1);
	code |= !cchk(sh, rc == -ERANGE, "library: read at the first LBA past the end -> ERANGE (%s)",
		      cflash_strerror(rc));

	if (who == 0) {
		char err[512] = "";
		uint64_t last = 0, sz = 0;
		int lrc;

		/* shrink behind the library's back: the AFU checks the LBA */
		rc = sp_resize(in.fd, in.context_id, in.rsrc_handle, (ISO_CHUNKS - 1) * cb, &last);
		code |= !cchk(sh, rc == 0 && last == (ISO_CHUNKS - 1) * cb - 1,
			      "raw VLUN_RESIZE to %d chunks (%s, last_lba %s)", ISO_CHUNKS - 1, en(rc),
			      lba_str(last));
		rc = cflash_read(l, buf, (ISO_CHUNKS - 1) * cb, 1);
		lrc = cflash_last_error(l, err, sizeof(err));
		code |= !cchk(sh, rc == -ERANGE && lrc > 0 && strstr(err, "afu_rc 0x13"),
			      "read past the AFU's end of the handle -> %s; last error: %s",
			      cflash_strerror(rc), err);
		rc = cflash_write(l, buf, (ISO_CHUNKS - 1) * cb + cb - 1, 1);
		code |= !cchk(sh, rc == -ERANGE, "write past the AFU's end -> %s", cflash_strerror(rc));
		rc = cflash_resize(l, ISO_CHUNKS * cb, &sz);
		scan_blocks(l, buf, in.block_size, lbas + 3 * (ISO_CHUNKS - 1), 3, 0, seed, &s);
		code |= !cchk(sh, rc == 0 && sz == ISO_CHUNKS * cb && s.errors == 0 && s.zero == 3,
			      "regrown: the chunk shrunk away reads zeros (%s, %llu zero of 3, errors %d)",
			      cflash_strerror(rc), (unsigned long long)s.zero, s.errors);

		/* through the library: shrink to one chunk, regrow */
		rc = cflash_resize(l, cb, &sz);
		lrc = cflash_resize(l, ISO_CHUNKS * cb, &sz);
		scan_blocks(l, buf, in.block_size, lbas + 3, n - 3, 0, seed, &s);
		code |= !cchk(sh, rc == 0 && lrc == 0 && s.errors == 0 && s.zero == (uint64_t)(n - 3),
			      "shrunk to 1 chunk and regrown: %d blocks of the dropped chunks read zeros (%llu, errors %d)",
			      n - 3, (unsigned long long)s.zero, s.errors);
		scan_blocks(l, buf, in.block_size, lbas, 3, seed, other, &s);
		code |= !cchk(sh, s.errors == 0 && s.own_bad == 0, "the kept chunk keeps its data");

		/* fill every chunk again, then give them all back */
		rc = write_blocks(l, buf, in.block_size, lbas, n, seed);
		lrc = cflash_close(l);
		code |= !cchk(sh, rc == 0 && lrc == 0, "pattern rewritten, virtual LUN closed (released)");
		ch_send(ch->up[1]);
		free(buf);
		_exit(code);
	}

	ch_send(ch->up[1]);
	if (!ch_wait(ch->down[0]))
		_exit(2);
	/* A released its chunks: the allocator is LIFO, so the grow gets them */
	rc = cflash_resize(l, 2 * ISO_CHUNKS * cb, &n64);
	code |= !cchk(sh, rc == 0 && n64 == 2 * ISO_CHUNKS * cb, "grown to %d chunks (%s)",
		      2 * ISO_CHUNKS, cflash_strerror(rc));
	n = chunk_lbas(cb, ISO_CHUNKS, 2 * ISO_CHUNKS, lbas);
	scan_blocks(l, buf, in.block_size, lbas, n, 0, other, &s);
	code |= !cchk(sh, s.errors == 0 && s.zero == (uint64_t)n && s.foreign == 0,
		      "the chunks the other process released read zeros (%llu of %d zero, %llu foreign, errors %d)",
		      (unsigned long long)s.zero, n, (unsigned long long)s.foreign, s.errors);
	n = chunk_lbas(cb, 0, ISO_CHUNKS, lbas);
	scan_blocks(l, buf, in.block_size, lbas, n, seed, other, &s);
	code |= !cchk(sh, s.errors == 0 && s.own_bad == 0 && s.foreign == 0,
		      "its own data is intact after the grow");
	rc = cflash_close(l);
	code |= !cchk(sh, rc == 0, "closed (%s)", cflash_strerror(rc));
	ch_send(ch->up[1]);
	free(buf);
	_exit(code);
}

static void t_isolation(const char *dev, const char *wwid)
{
	struct chan ch[2];
	struct shchk *sh[2];
	struct sp_lunrec r;
	pid_t pid[2];
	int st[2];
	bool ok = true;

	for (int i = 0; i < 2; i++) {
		sh[i] = sh_new();
		ch_open(&ch[i]);
		pid[i] = fork();
		if (pid[i] == 0)
			iso_child(i, dev, &ch[i], sh[i]);
		ch_parent(&ch[i]);
	}
	/* step 1: both wrote; step 2: both checked (A released) */
	for (int step = 0; step < 2; step++) {
		for (int i = 0; i < 2; i++)
			ok &= ch_wait(ch[i].up[0]);
		if (step == 0)
			for (int i = 0; i < 2; i++)
				ch_send(ch[i].down[1]);
	}
	/* step 3: B grows into what A released */
	ch_send(ch[1].down[1]);
	ok &= ch_wait(ch[1].up[0]);
	for (int i = 0; i < 2; i++) {
		waitpid(pid[i], &st[i], 0);
		close(ch[i].down[1]);
		close(ch[i].up[0]);
	}
	tap_ok(ok, "isolation: both processes went through every step");
	sh_report(sh[0], "isolation A", st[0]);
	sh_report(sh[1], "isolation B", st[1]);
	sp_lunrec(wwid, &r);
	tap_ok(r.users == 0 && !strcmp(r.mode, "none"), "isolation: afterwards LUN users=%d mode=%s",
	       r.users, r.mode);
}

/* ------------------------------------------------------------------ */
/* 4. fork + clone                                                     */
/* ------------------------------------------------------------------ */

static int wait_counts(int drv, int sim, int ms)
{
	for (int t = 0; t < ms; t += 50) {
		if (drv_contexts() == drv && sp_sim_user_contexts() == sim)
			return 1;
		sp_msleep(50);
	}
	return 0;
}

static void t_fork_clone(const char *dev)
{
	const uint64_t cb = 65536, NB = 256, PB = 64;
	int drv0 = drv_contexts(), sim0 = sp_sim_user_contexts();
	struct shchk *sh = sh_new();
	struct cflash_lun *l;
	struct cflash_info in;
	struct sp_lunrec r0, r;
	char wwid[33] = "";
	void *buf, *pbuf;
	long ios = 0, perr = 0;
	uint64_t pbad = 0, sz = 0;
	pid_t pid;
	int rc, st = 0;

	sp_wwid_hex(dev, wwid);
	sp_lunrec(wwid, &r0);
	tap_diag("fork: baseline: driver contexts %d, emulator user contexts %d, LUN users %d", drv0,
		 sim0, r0.users);
	rc = cflash_open(dev, O_RDWR | CFLASH_OPEN_VIRTUAL, 2 * cb, &l);
	if (!tap_ok(rc == 0, "fork: parent opens a 2-chunk virtual LUN (%s)", cflash_strerror(rc)))
		return;
	cflash_info(l, &in);
	buf = sp_alloc(NB * in.block_size);
	pbuf = sp_alloc(2 * PB * in.block_size);
	sp_fill(buf, 0, NB, in.block_size, 11);
	rc = cflash_write(l, buf, 0, NB);
	tap_ok(rc == 0, "fork: parent writes %llu blocks at 0 (%s)", (unsigned long long)NB,
	       cflash_strerror(rc));

	pid = fork();
	if (pid == 0) {
		int code = 0, bad = 0;

		rc = cflash_read(l, buf, 0, 1);
		code |= !cchk(sh, rc == -ESTALE, "I/O before the clone -> ESTALE (%s)", cflash_strerror(rc));
		rc = cflash_clone_after_fork(l);
		if (!cchk(sh, rc == 0, "cflash_clone_after_fork (%s)", cflash_strerror(rc)))
			_exit(1);
		double t0 = sp_now();
		long p0, passes = 0;

		/* read while the parent is doing I/O (at least 20 passes) */
		while (!sh->pios && sp_now() - t0 < 5)
			sp_msleep(1);
		p0 = sh->pios;
		while (passes < 20 || (sh->pios == p0 && sp_now() - t0 < 5)) {
			memset(buf, 0, NB * in.block_size);
			rc = cflash_read(l, buf, 0, NB);
			if (rc || sp_check(buf, 0, NB, in.block_size, 11))
				bad++;
			passes++;
		}
		code |= !cchk(sh, bad == 0, "%ld passes over the parent's %llu blocks through its own context: %d bad",
			      passes, (unsigned long long)NB, bad);
		code |= !cchk(sh, sh->pios > p0, "the parent did %ld I/Os while the child read",
			      sh->pios - p0);
		sp_fill(buf, cb, PB, in.block_size, 22);
		rc = cflash_write(l, buf, cb, PB);
		code |= !cchk(sh, rc == 0, "writes %llu blocks into the shared second chunk (%s)",
			      (unsigned long long)PB, cflash_strerror(rc));
		rc = cflash_close(l);
		code |= !cchk(sh, rc == 0, "closes its clone (%s)", cflash_strerror(rc));
		free(buf);
		_exit(code);
	}
	/* the parent keeps going while the child works */
	for (uint64_t seed = 100; ; seed++) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		sp_fill(pbuf, 1024, PB, in.block_size, seed);
		perr += cflash_write(l, pbuf, 1024, PB) != 0;
		memset((char *)pbuf + PB * in.block_size, 0, PB * in.block_size);
		perr += cflash_read(l, (char *)pbuf + PB * in.block_size, 1024, PB) != 0;
		pbad += sp_check((char *)pbuf + PB * in.block_size, 1024, PB, in.block_size, seed);
		ios += 2;
		sh->pios = ios;
		if (w == pid || w < 0)
			break;
	}
	sh_report(sh, "fork child", st);
	tap_ok(ios > 0 && perr == 0 && pbad == 0,
	       "fork: parent did %ld I/Os (of %llu blocks) meanwhile, %ld errors, %llu bad", ios,
	       (unsigned long long)PB, perr, (unsigned long long)pbad);
	memset(buf, 0, NB * in.block_size);
	rc = cflash_read(l, buf, cb, PB);
	tap_ok(rc == 0 && sp_check(buf, cb, PB, in.block_size, 22) == 0,
	       "fork: the child's writes are visible to the parent (shared chunks)");
	rc = cflash_read(l, buf, 0, NB);
	tap_ok(rc == 0 && sp_check(buf, 0, NB, in.block_size, 11) == 0,
	       "fork: the parent's own data is intact");
	rc = cflash_size(l, &sz);
	tap_ok(rc == 0 && sz == 2 * cb, "fork: parent's size unchanged (%llu)", (unsigned long long)sz);
	rc = cflash_close(l);
	tap_ok(rc == 0, "fork: parent closes (%s)", cflash_strerror(rc));
	if (drv0 < 0 || sim0 < 0) {
		tap_skip("no debugfs", "fork: context counts back to the baseline");
	} else {
		int ok = wait_counts(drv0, sim0, 3000);

		tap_ok(ok, "fork: driver contexts %d (baseline %d), emulator user contexts %d (baseline %d)",
		       drv_contexts(), drv0, sp_sim_user_contexts(), sim0);
	}
	sp_lunrec(wwid, &r);
	tap_ok(r.users == r0.users, "fork: LUN users %d (baseline %d)", r.users, r0.users);
	free(buf);
	free(pbuf);
}

/* ------------------------------------------------------------------ */
/* 5. 1 TiB                                                            */
/* ------------------------------------------------------------------ */

static void t_tib(const char *dev, const char *wwid)
{
	const uint64_t TIB_BLKS = 1ULL << 28;	/* 4 KiB blocks */
	struct cflash_lun *l;
	struct cflash_info in;
	struct sp_lunrec r;
	uint64_t lbas[64], sz = 0;
	struct scan s;
	void *buf;
	double t0;
	int rc, err;

	rc = cflash_open(dev, O_RDWR | CFLASH_OPEN_VIRTUAL, 0, &l);
	if (!tap_ok(rc == 0, "1 TiB: empty virtual LUN on the thin 1 TiB LUN (%s)", cflash_strerror(rc)))
		return;
	cflash_info(l, &in);
	t0 = sp_now();
	rc = cflash_resize(l, TIB_BLKS, &sz);
	cflash_info(l, &in);
	sp_lunrec(wwid, &r);
	tap_ok(rc == 0 && sz == TIB_BLKS && in.last_lba == TIB_BLKS - 1 && r.nfree == 0 && r.chunks == 4096,
	       "1 TiB: grown to %llu blocks, last_lba %s, LUN chunks=%llu free=%llu (%s, %.2f s)",
	       (unsigned long long)sz, lba_str(in.last_lba), r.chunks, r.nfree, cflash_strerror(rc),
	       sp_now() - t0);
	buf = sp_alloc(in.block_size);
	for (int i = 0; i < 64; i++)
		lbas[i] = i == 63 ? TIB_BLKS - 1 : (uint64_t)i * (TIB_BLKS / 64) + ((uint64_t)i * 7919) % 65536;
	err = write_blocks(l, buf, in.block_size, lbas, 64, 0x7EB);
	scan_blocks(l, buf, in.block_size, lbas, 64, 0x7EB, 0, &s);
	tap_ok(err == 0 && s.errors == 0 && s.own_bad == 0,
	       "1 TiB: 64 spread LBAs (0 .. %llu) written and verified (%d/%d errors, %llu bad)",
	       (unsigned long long)(TIB_BLKS - 1), err, s.errors, (unsigned long long)s.own_bad);
	for (int i = 0; i < 63; i++)
		lbas[i] += 1;
	lbas[63] = TIB_BLKS - 2;
	scan_blocks(l, buf, in.block_size, lbas, 64, 0, 0, &s);
	tap_ok(s.errors == 0 && s.zero == 64, "1 TiB: their unwritten neighbours read zeros (%llu of 64)",
	       (unsigned long long)s.zero);
	rc = cflash_read(l, buf, TIB_BLKS, 1);
	tap_ok(rc == -ERANGE, "1 TiB: LBA 2^28 is out of range (%s)", cflash_strerror(rc));
	t0 = sp_now();
	rc = cflash_close(l);
	sp_lunrec(wwid, &r);
	tap_ok(rc == 0 && r.users == 0, "1 TiB: closed (released and scrubbed in %.2f s; %s), users %d",
	       sp_now() - t0, cflash_strerror(rc), r.users);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* 6. mixed modes                                                      */
/* ------------------------------------------------------------------ */

static void t_mixed(const char *dev)
{
	struct rctx a, b;
	uint64_t vh = 0, ph = 0, last;
	int fd, rc, rc2;

	rc = sp_set_superpipe(dev, true);
	fd = sp_open_dev(dev);
	if (!tap_ok(rc == 0 && fd >= 0, "mixed: superpipe on, open %s", dev))
		return;
	rc = rctx_attach(&a, fd);
	rc2 = rctx_attach(&b, fd);
	if (!tap_ok(rc == 0 && rc2 == 0, "mixed: two contexts (%s, %s)", en(rc), en(rc2))) {
		close(fd);
		return;
	}
	rc = sp_uvirtual(fd, a.id, 1, 0, &vh, &last);
	tap_ok(rc == 0, "mixed: USER_VIRTUAL puts the LUN in virtual mode (%s)", en(rc));
	rc = sp_udirect(fd, b.id, NULL, NULL);
	rc2 = sp_udirect(fd, a.id, NULL, NULL);
	tap_ok(rc == -EINVAL && rc2 == -EINVAL,
	       "mixed: USER_DIRECT while a virtual handle exists -> EINVAL (other context %s, same context %s)",
	       en(rc), en(rc2));
	rc = sp_release(fd, a.id, vh);
	rc2 = sp_udirect(fd, b.id, &ph, &last);
	tap_ok(rc == 0 && rc2 == 0, "mixed: after RELEASE, USER_DIRECT works (%s, %s)", en(rc), en(rc2));
	rc = sp_uvirtual(fd, a.id, 0, 0, NULL, NULL);
	rc2 = sp_uvirtual(fd, b.id, 65536, 0, NULL, NULL);
	tap_ok(rc == -EINVAL && rc2 == -EINVAL,
	       "mixed: USER_VIRTUAL while a physical handle exists -> EINVAL (size 0 %s, 1 chunk %s)",
	       en(rc), en(rc2));
	rc = sp_release(fd, b.id, ph);
	rc2 = sp_uvirtual(fd, a.id, 0, 0, &vh, NULL);
	tap_ok(rc == 0 && rc2 == 0, "mixed: after RELEASE, USER_VIRTUAL works again (%s, %s)", en(rc),
	       en(rc2));
	if (!rc2)
		sp_release(fd, a.id, vh);
	rc = rctx_detach(&a);
	rc2 = rctx_detach(&b);
	tap_ok(rc == 0 && rc2 == 0, "mixed: both contexts detached (%s, %s)", en(rc), en(rc2));
	close(fd);
}

int main(int argc, char **argv)
{
	double t0 = sp_now(), t;
	int orig;

	sp_parse_common(argc, argv, &O, "C", opt, NULL, "[-C no configfs sections]");
	signal(SIGPIPE, SIG_IGN);	/* a child that died early */
	if (!sp_tap_start(&O))
		return 0;
	tap_diag("LUN %s", O.dev);
	orig = sp_lun_mode(O.dev);
	if (orig < 0)
		tap_bail("%s has no mode attribute", O.dev);
	if (!NO_CFS)
		CFS_UP = sp_cfs_create(ADP, CL, NCL, 60);

	t = sp_now();
	t_sizes(O.dev, "sizes 4k");
	if (CFS_UP)
		t_sizes(B512->dev, "sizes 512");
	else
		tap_skip("no configfs LUNs", "sizes on a 512-byte-block LUN");
	tap_diag("sizes: %.1f s", sp_now() - t);

	t = sp_now();
	if (CFS_UP)
		t_capacity(FILL->dev, FILL->wwid);
	else
		tap_skip("no configfs LUNs", "capacity: 1000 virtual LUNs on a 1000-chunk LUN");
	tap_diag("capacity: %.1f s", sp_now() - t);

	t = sp_now();
	if (CFS_UP)
		t_isolation(FILL->dev, FILL->wwid);
	else
		tap_skip("no configfs LUNs", "isolation of two processes' virtual LUNs");
	tap_diag("isolation: %.1f s", sp_now() - t);

	t = sp_now();
	t_fork_clone(O.dev);
	tap_diag("fork: %.1f s", sp_now() - t);

	t = sp_now();
	if (CFS_UP)
		t_tib(TIB->dev, TIB->wwid);
	else
		tap_skip("no configfs LUNs", "a 1 TiB virtual LUN");
	tap_diag("1 TiB: %.1f s", sp_now() - t);

	t_mixed(O.dev);

	if (CFS_UP)
		sp_cfs_destroy(ADP, CL, NCL);
	sp_set_superpipe(O.dev, orig == 1);
	tap_diag("total %.1f s", sp_now() - t0);
	return tap_done();
}
