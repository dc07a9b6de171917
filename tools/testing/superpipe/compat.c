// SPDX-License-Identifier: GPL-2.0-only
/*
 * compat: what clients written for the real adapter (IBM's capiflash block
 * library and its suites) rely on, and virtual LUN isolation across modes.
 *
 *  1. handles: one context holds 4096 resource handles on every page size
 *     (the historical 64 KiB-page limit): 4096 empty virtual LUNs open,
 *     the 4097th is -EMFILE, all release, the LUN's users go back to 0;
 *  2. reuse: ATTACH with REUSE_CONTEXT adds a second LUN to a context whose
 *     first LUN holds a virtual LUN, and onto a LUN that holds another
 *     context's virtual LUN: no new fd2, the existing handles stay valid,
 *     a virtual LUN can be made on the new LUN, DETACH of one LUN leaves
 *     the other; REUSE onto a LUN the context already has is -EINVAL;
 *  3. remanence: tenant A writes blocks 0-15 through USER_DIRECT and, with
 *     the LUN in legacy mode, blocks of the second chunk through /dev/sdX;
 *     then tenant B (another process) creates a 1-chunk virtual LUN, grows
 *     it to 2 chunks, and reads zeros in both (the chunks were never
 *     scrubbed before: the pool was fresh);
 *  4. with -G only: growth time on a thin 256 TiB LUN (configfs): 0 -> 1M
 *     chunks on a fresh pool (every chunk zeroed on the way out) and
 *     again after a shrink (nothing to zero), both well under 2 s.  Not by
 *     default: the emulator gives configfs LUNs WWIDs by their order in
 *     the adapter, so the driver's record of this LUN (capacity) would be
 *     found again by the next program's first configfs LUN.
 *
 * usage: compat [-d /dev/sdX] [-D /dev/sdY (same adapter)] [-v] [-G]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sp_common.h"

#define CHUNK_BLKS	65536ULL
#define NONE		UINT64_MAX
#define MAXH		4096

static struct sp_opts O;
static int GROW_TIME;

static int opt(int c, const char *arg, void *priv)
{
	(void)priv;
	(void)arg;
	if (c == 'G') {
		GROW_TIME = 1;
		return 0;
	}
	return -1;
}

static const char *en(int rc)
{
	return rc ? strerror(-rc) : "ok";
}

struct rctx {
	int fd;
	uint64_t id;
	int fd2;
	uint32_t bs;
};

static int rattach(struct rctx *r, int fd)
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
	r->bs = (uint32_t)a.block_size;
	return 0;
}

static int rdetach(struct rctx *r)
{
	int rc = sp_detach(r->fd, r->id);

	if (r->fd2 >= 0)
		close(r->fd2);
	r->fd2 = -1;
	return rc;
}

/* ------------------------------------------------------------------ */
/* 1. 4096 handles                                                     */
/* ------------------------------------------------------------------ */

static void t_handles(void)
{
	static uint64_t rh[MAXH];
	struct sp_lunrec r;
	struct rctx c;
	char wwid[33];
	int fd, rc, n = 0, bad = 0, first = 0;
	double t0;

	fd = sp_open_dev(O.dev);
	if (!tap_ok(fd >= 0 && sp_set_superpipe(O.dev, true) == 0 &&
		    sp_wwid_hex(O.dev, wwid) == 0, "handles: %s open, superpipe", O.dev))
		return;
	rc = rattach(&c, fd);
	if (!tap_ok(rc == 0, "handles: ATTACH (%s)", en(rc))) {
		close(fd);
		return;
	}
	t0 = sp_now();
	for (n = 0; n < MAXH; n++) {
		rc = sp_uvirtual(fd, c.id, 0, 0, &rh[n], NULL);
		if (rc) {
			first = rc;
			break;
		}
		if (rh[n] >= MAXH)
			bad++;
	}
	tap_ok(n == MAXH && bad == 0,
	       "handles: %d empty virtual LUNs in one context, handles < 4096 (%.2f s, stopped by %s)",
	       n, sp_now() - t0, en(first));
	rc = sp_uvirtual(fd, c.id, 0, 0, NULL, NULL);
	tap_ok(rc == -EMFILE, "handles: the 4097th -> EMFILE (%s)", en(rc));
	tap_ok(sp_lunrec(wwid, &r) && r.users == n && !strcmp(r.mode, "virtual"),
	       "handles: LUN users=%d (want %d), mode %s", r.users, n, r.mode);
	if (n > 0) {
		uint64_t last = 0;

		rc = sp_resize(fd, c.id, rh[n - 1], 1, &last);
		tap_ok(rc == 0 && last == CHUNK_BLKS * c.bs / 4096 - 1,
		       "handles: the last handle (%llu) grows to one chunk (%s)",
		       (unsigned long long)rh[n - 1], en(rc));
	}
	bad = 0;
	for (int i = 0; i < n; i++)
		if (sp_release(fd, c.id, rh[i]))
			bad++;
	tap_ok(bad == 0, "handles: all %d released (%d failed)", n, bad);
	tap_ok(sp_lunrec(wwid, &r) && r.users == 0 && !strcmp(r.mode, "none") &&
	       r.nfree == 0 && r.chunks == 0,
	       "handles: LUN back to users=%d mode=%s", r.users, r.mode);
	tap_ok(rdetach(&c) == 0, "handles: DETACH");
	close(fd);
}

/* ------------------------------------------------------------------ */
/* 2. REUSE_CONTEXT with virtual LUNs                                  */
/* ------------------------------------------------------------------ */

static void t_reuse(void)
{
	struct dk_cxlflash_attach a;
	struct rctx c, d;
	uint64_t vha, vhb, vhd, vhc2, last;
	int fda, fdb, rc;

	if (!O.dev2) {
		tap_skip("no second LUN on the adapter", "reuse");
		return;
	}
	fda = sp_open_dev(O.dev);
	fdb = sp_open_dev(O.dev2);
	if (!tap_ok(fda >= 0 && fdb >= 0 && sp_set_superpipe(O.dev, true) == 0 &&
		    sp_set_superpipe(O.dev2, true) == 0, "reuse: %s and %s open, superpipe",
		    O.dev, O.dev2))
		return;

	/* C on A with a virtual LUN; D on B with a virtual LUN */
	rc = rattach(&c, fda);
	tap_ok(rc == 0, "reuse: ATTACH C on A (%s)", en(rc));
	rc = sp_uvirtual(fda, c.id, 1, 0, &vha, &last);
	tap_ok(rc == 0 && last == CHUNK_BLKS * c.bs / 4096 - 1, "reuse: C: 1-chunk virtual LUN on A (%s)",
	       en(rc));
	rc = rattach(&d, fdb);
	tap_ok(rc == 0, "reuse: ATTACH D on B (%s)", en(rc));
	rc = sp_uvirtual(fdb, d.id, 1, 0, &vhd, NULL);
	tap_ok(rc == 0, "reuse: D: 1-chunk virtual LUN on B (%s)", en(rc));

	/* C reused onto B, which holds D's virtual LUN */
	memset(&a, 0, sizeof(a));
	rc = sp_attach(fdb, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT, c.id, &a);
	tap_ok(rc == 0 && (int64_t)a.adap_fd == -1 &&
	       !(a.hdr.return_flags & DK_CXLFLASH_APP_CLOSE_ADAP_FD),
	       "reuse: ATTACH REUSE of C (holding a virtual LUN on A) onto B (holding D's) -> 0, no fd2 (%s, fd %lld)",
	       en(rc), (long long)(int64_t)a.adap_fd);
	tap_ok(sp_verify(fda, c.id, vha, &last) == 0, "reuse: C's handle on A still valid");
	rc = sp_uvirtual(fdb, c.id, 1, 0, &vhb, NULL);
	tap_ok(rc == 0 && vhb != vha, "reuse: C: virtual LUN on B too, handle %llu (%s)",
	       (unsigned long long)vhb, en(rc));
	rc = sp_attach(fda, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT, c.id, &a);
	tap_ok(rc == -EINVAL, "reuse: REUSE of C onto A again -> EINVAL (%s)", en(rc));
	rc = sp_attach(fdb, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT, d.id, &a);
	tap_ok(rc == -EINVAL, "reuse: REUSE of D onto its own B -> EINVAL (%s)", en(rc));

	/* A's other path (same WWID, another port) is the same LUN */
	{
		static char names[64][64];
		char w0[33], w[33];
		int n = sp_find_luns(names, 64), fdp;

		sp_wwid_hex(O.dev, w0);
		for (int i = 0; i < n; i++) {
			if (!strcmp(names[i], O.dev) || sp_wwid_hex(names[i], w) || strcmp(w, w0))
				continue;
			fdp = sp_open_dev(names[i]);
			rc = sp_set_superpipe(names[i], true);
			if (!rc)
				rc = sp_attach(fdp, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT, c.id, &a);
			tap_ok(rc == -EINVAL, "reuse: REUSE of C onto %s, another path of A -> EINVAL (%s)",
			       names[i], en(rc));
			close(fdp);
			break;
		}
	}

	/* detach C from B: its handle on B goes, the one on A stays */
	rc = sp_detach(fdb, c.id);
	tap_ok(rc == 0, "reuse: DETACH C from B (%s)", en(rc));
	tap_ok(sp_verify(fdb, c.id, vhb, NULL) == -EINVAL, "reuse: C's handle on B gone");
	tap_ok(sp_verify(fda, c.id, vha, NULL) == 0, "reuse: C's handle on A still valid");
	tap_ok(sp_verify(fdb, d.id, vhd, NULL) == 0, "reuse: D's handle on B untouched");

	/* a context reused onto a LUN it made a virtual LUN on before */
	rc = sp_attach(fdb, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT, c.id, &a);
	tap_ok(rc == 0, "reuse: REUSE of C onto B again (%s)", en(rc));
	rc = sp_uvirtual(fdb, c.id, 1, 0, &vhc2, NULL);
	tap_ok(rc == 0, "reuse: C: virtual LUN on B again (%s)", en(rc));

	tap_ok(rdetach(&d) == 0, "reuse: DETACH D");
	rc = sp_detach(fdb, c.id);
	tap_ok(rc == 0 && rdetach(&c) == 0, "reuse: DETACH C from B and A");
	close(fda);
	close(fdb);
}

/* ------------------------------------------------------------------ */
/* 3. remanence across modes                                           */
/* ------------------------------------------------------------------ */

#define NB	16

static void t_remanence(void)
{
	struct cflash_lun *l;
	struct cflash_info in;
	uint64_t bad = 0;
	void *buf;
	int rc, fd, st;
	uint32_t bs;
	pid_t pid;
	ssize_t n;

	if (!tap_ok(sp_set_superpipe(O.dev, true) == 0, "remanence: %s superpipe", O.dev))
		return;
	/* tenant A: USER_DIRECT, blocks 0..15 */
	rc = cflash_open(O.dev, O_RDWR, 0, &l);
	if (!tap_ok(rc == 0, "remanence: tenant A opens the whole LUN (%s)", cflash_strerror(rc)))
		return;
	cflash_info(l, &in);
	bs = in.block_size;
	buf = sp_alloc((size_t)NB * bs);
	sp_fill(buf, 0, NB, bs, 0xA11CE);
	rc = cflash_write(l, buf, 0, NB);
	memset(buf, 0, (size_t)NB * bs);
	if (!rc)
		rc = cflash_read(l, buf, 0, NB);
	tap_ok(rc == 0 && !sp_check(buf, 0, NB, bs, 0xA11CE),
	       "remanence: A wrote and read back blocks 0-15 through USER_DIRECT (%s)",
	       cflash_strerror(rc));
	tap_ok(cflash_close(l) == 0, "remanence: A releases, detaches, closes");

	/* legacy: blocks 0..15 of the second chunk through /dev/sdX */
	rc = sp_set_superpipe(O.dev, false);
	fd = rc ? -1 : open(O.dev, O_RDWR | O_DIRECT);
	sp_fill(buf, CHUNK_BLKS, NB, bs, 0xB0B);
	n = fd >= 0 ? pwrite(fd, buf, (size_t)NB * bs, (off_t)(CHUNK_BLKS * bs)) : -1;
	if (fd >= 0)
		close(fd);
	tap_ok(n == (ssize_t)NB * bs, "remanence: legacy pwrite(O_DIRECT) of the second chunk's blocks 0-15");
	rc = sp_set_superpipe(O.dev, true);
	tap_ok(rc == 0, "remanence: back to superpipe (%s)", en(rc));

	/* tenant B, another process: a fresh virtual LUN must read zeros */
	pid = fork();
	if (pid == 0) {
		struct cflash_lun *v;
		void *b = sp_alloc((size_t)NB * bs);
		uint64_t nz = 0;
		int code = 0;

		if (cflash_open(O.dev, O_RDWR | CFLASH_OPEN_VIRTUAL, 1, &v))
			_exit(100);
		if (cflash_read(v, b, 0, NB))
			code |= 1;
		for (size_t i = 0; i < (size_t)NB * bs; i++)
			nz += ((uint8_t *)b)[i] != 0;
		if (nz)
			code |= 2;
		if (cflash_resize(v, 2 * CHUNK_BLKS * bs / 4096, NULL))
			code |= 4;
		else if (cflash_read(v, b, CHUNK_BLKS, NB))
			code |= 4;
		nz = 0;
		for (size_t i = 0; i < (size_t)NB * bs; i++)
			nz += ((uint8_t *)b)[i] != 0;
		if (nz)
			code |= 8;
		if (cflash_close(v))
			code |= 16;
		_exit(code);
	}
	waitpid(pid, &st, 0);
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	tap_ok(rc != 100, "remanence: tenant B opens a 1-chunk virtual LUN (status %d)", rc);
	tap_ok(rc != 100 && !(rc & 3),
	       "remanence: B reads zeros where A wrote through USER_DIRECT (status 0x%x)", rc);
	tap_ok(rc != 100 && !(rc & 12),
	       "remanence: B grows to 2 chunks and reads zeros where /dev/sdX wrote (status 0x%x)", rc);
	tap_ok(rc != 100 && !(rc & 16), "remanence: B closes");

	/* the physical data itself was scrubbed, not hidden */
	rc = cflash_open(O.dev, O_RDONLY, 0, &l);
	if (!rc) {
		rc = cflash_read(l, buf, 0, NB);
		bad = sp_check(buf, 0, NB, bs, 0xA11CE);
		cflash_close(l);
	}
	tap_ok(rc == 0 && bad == NB, "remanence: A's blocks read back zeroed through USER_DIRECT (%llu of %d changed)",
	       (unsigned long long)bad, NB);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* 4. growth time on a thin 256 TiB LUN                                */
/* ------------------------------------------------------------------ */

static void t_grow_time(void)
{
	struct sp_cfs_lun huge = { .name = "huge", .size = "268435456M", .bs = 4096 };
	uint64_t rh, last, want = 1048576ULL * CHUNK_BLKS;
	struct rctx c;
	double t1, t2, t3;
	int fd, rc;

	if (!GROW_TIME)
		return;
	if (!sp_cfs_create("spcompat", &huge, 1, 90)) {
		tap_skip("configfs adapter not available", "grow time");
		return;
	}
	rc = sp_set_superpipe(huge.dev, true);
	fd = sp_open_dev(huge.dev);
	if (!tap_ok(rc == 0 && fd >= 0 && rattach(&c, fd) == 0, "grow time: %s attached", huge.dev))
		goto out;
	rc = sp_uvirtual(fd, c.id, 0, 0, &rh, NULL);
	t1 = sp_now();
	if (!rc)
		rc = sp_resize(fd, c.id, rh, want, &last);
	t1 = sp_now() - t1;
	tap_ok(rc == 0 && last == want - 1 && t1 < 2.0,
	       "grow time: 0 -> 1M chunks on a fresh pool (all zeroed on the way out): %.1f ms (%s)",
	       t1 * 1e3, en(rc));
	t2 = sp_now();
	rc = sp_resize(fd, c.id, rh, 0, &last);
	t2 = sp_now() - t2;
	tap_ok(rc == 0 && last == NONE, "grow time: 1M -> 0 chunks (zeroed): %.1f ms (%s)", t2 * 1e3,
	       en(rc));
	t3 = sp_now();
	rc = sp_resize(fd, c.id, rh, want, &last);
	t3 = sp_now() - t3;
	tap_ok(rc == 0 && last == want - 1 && t3 < 2.0,
	       "grow time: 0 -> 1M chunks again (all clean): %.1f ms (%s)", t3 * 1e3, en(rc));
	sp_release(fd, c.id, rh);
	rdetach(&c);
	close(fd);
out:
	sp_cfs_destroy("spcompat", &huge, 1);
}

/* a LUN other than O.dev (another WWID) on the same adapter, or NULL */
static const char *other_lun(void)
{
	static char names[64][64];
	char w0[33], w[33], a[512], b[512], *pa, *pb;
	int n = sp_find_luns(names, 64);

	if (sp_wwid_hex(O.dev, w0) || sp_sdev_path(O.dev, a, sizeof(a)))
		return NULL;
	pa = strstr(a, "/host");
	for (int i = 0; i < n; i++) {
		if (sp_wwid_hex(names[i], w) || !strcmp(w, w0) ||
		    sp_sdev_path(names[i], b, sizeof(b)))
			continue;
		pb = strstr(b, "/host");
		if (pa && pb && pa - a == pb - b && !strncmp(a, b, (size_t)(pa - a)))
			return names[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int orig, orig2 = -1;

	sp_parse_common(argc, argv, &O, "G", opt, NULL, "[-G]");
	if (!sp_tap_start(&O))
		return 0;
	if (!O.dev2 || !strcmp(O.dev2, O.dev))
		O.dev2 = other_lun();
	tap_diag("LUN %s, second LUN %s", O.dev, O.dev2 ? O.dev2 : "(none)");
	orig = sp_lun_mode(O.dev);
	if (O.dev2)
		orig2 = sp_lun_mode(O.dev2);

	t_handles();
	t_reuse();
	t_remanence();
	t_grow_time();

	sp_set_superpipe(O.dev, orig == 1);
	if (O.dev2)
		sp_set_superpipe(O.dev2, orig2 == 1);
	return tap_done();
}
