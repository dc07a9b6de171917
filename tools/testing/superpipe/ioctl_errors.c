// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioctl_errors: every DK_CXLFLASH_* ioctl's success path and documented
 * errors, and after every failure a check that nothing changed: the
 * library's context still reads back its pattern and VERIFY still reports
 * the same size.
 *
 * usage: ioctl_errors [-d /dev/sdX] [-v]
 * The LUN is written (blocks 0..63 of the physical LUN; a virtual LUN
 * carved from it).  The LUN's mode is restored at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sp_common.h"

static struct sp_opts O;
static struct cflash_lun *LIB;		/* library handle under test */
static struct cflash_info LI;		/* its info */
static void *PBUF;			/* pattern buffer */
static uint64_t SEED = 0x10;
#define NPAT 8

#define E(x) (-(x))
#define NONE_LBA UINT64_MAX

static const char *en(int rc)
{
	static char b[8][32];
	static int i;

	i = (i + 1) % 8;
	if (rc >= 0)
		snprintf(b[i], sizeof(b[i]), "%d", rc);
	else
		snprintf(b[i], sizeof(b[i]), "-%s", strerrorname_np(-rc) ?
			 strerrorname_np(-rc) : "?");
	return b[i];
}

/* the library context is intact: data readable, size unchanged */
static bool alive(void)
{
	uint64_t last = 0;
	int rc;

	memset(PBUF, 0, (size_t)NPAT * LI.block_size);
	rc = cflash_read(LIB, PBUF, 0, NPAT);
	if (rc) {
		tap_diag("alive: read failed: %s", cflash_strerror(rc));
		return false;
	}
	if (sp_check(PBUF, 0, NPAT, LI.block_size, SEED)) {
		tap_diag("alive: pattern mismatch");
		return false;
	}
	rc = sp_verify(LI.fd, LI.context_id, LI.rsrc_handle, &last);
	if (rc || last != LI.last_lba) {
		tap_diag("alive: VERIFY rc %s last_lba %llu (want %llu)", en(rc),
			 (unsigned long long)last, (unsigned long long)LI.last_lba);
		return false;
	}
	return true;
}

static void expect(int rc, int want, const char *what)
{
	tap_ok(rc == want, "%s -> %s (got %s)", what, en(want), en(rc));
}

static void expect_alive(int rc, int want, const char *what)
{
	bool a = alive();

	tap_ok(rc == want && a, "%s -> %s (got %s), context intact: %s", what,
	       en(want), en(rc), a ? "yes" : "NO");
}

/* ------------------------------------------------------------------ */
/* generic header checks                                               */
/* ------------------------------------------------------------------ */

struct req {
	const char *name;
	unsigned long cmd;
	size_t size;
	void (*build)(void *buf);	/* a request that would be valid */
	void (*undo)(void *buf);	/* clean up an unexpected success */
};

static uint64_t B_CTX;			/* a raw second context */
static int B_FD2 = -1;
static uint64_t B_VH = UINT64_MAX;	/* B's virtual handle (phase 2) */

static void b_attach(void)
{
	struct dk_cxlflash_attach a;
	int rc = sp_attach(LI.fd, O_RDWR, 0, &a);

	if (rc)
		tap_bail("raw ATTACH failed: %s", en(rc));
	B_CTX = a.context_id;
	B_FD2 = (int)a.adap_fd;
}

static void b_detach(void)
{
	sp_detach(LI.fd, B_CTX);
	if (B_FD2 >= 0)
		close(B_FD2);
	B_FD2 = -1;
}

static void bld_attach(void *p)
{
	struct dk_cxlflash_attach *a = p;

	a->hdr.flags = O_RDWR;
	a->num_interrupts = 4;
}

static void undo_attach(void *p)
{
	struct dk_cxlflash_attach *a = p;

	sp_detach(LI.fd, a->context_id);
	if ((int64_t)a->adap_fd >= 0)
		close((int)a->adap_fd);
}

static void bld_udirect(void *p)
{
	((struct dk_cxlflash_udirect *)p)->context_id = LI.context_id;
}

static void undo_udirect(void *p)
{
	sp_release(LI.fd, LI.context_id, ((struct dk_cxlflash_udirect *)p)->rsrc_handle);
}

static void bld_release(void *p)
{
	struct dk_cxlflash_release *r = p;

	r->context_id = LI.context_id;
	r->rsrc_handle = LI.rsrc_handle;
}

static void bld_detach(void *p)
{
	((struct dk_cxlflash_detach *)p)->context_id = LI.context_id;
}

static void bld_verify(void *p)
{
	struct dk_cxlflash_verify *v = p;

	v->context_id = LI.context_id;
	v->rsrc_handle = LI.rsrc_handle;
}

static void bld_recover(void *p)
{
	((struct dk_cxlflash_recover_afu *)p)->context_id = LI.context_id;
}

static void bld_manage(void *p)
{
	struct dk_cxlflash_manage_lun *m = p;
	m->hdr.flags = DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE;
	{
		char path[4096 + 16];
		uint8_t pg[512];
		int fd;
		ssize_t n;

		if (sp_sdev_path(O.dev, path, sizeof(path) - 16))
			return;
		strcat(path, "/vpd_pg83");
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return;
		n = read(fd, pg, sizeof(pg));
		close(fd);
		for (ssize_t o = 4; o + 20 <= n; o += 4 + pg[o + 3])
			if ((pg[o + 1] & 0xF) == 3 && pg[o + 3] == 16 && (pg[o + 4] >> 4) == 6) {
				memcpy(m->wwid, &pg[o + 4], 16);
				break;
			}
	}
}

static void bld_uvirtual(void *p)
{
	struct dk_cxlflash_uvirtual *u = p;

	u->context_id = B_CTX;
	u->lun_size = 1;
}

static void undo_uvirtual(void *p)
{
	sp_release(LI.fd, B_CTX, ((struct dk_cxlflash_uvirtual *)p)->rsrc_handle);
}

static void bld_resize(void *p)
{
	struct dk_cxlflash_resize *r = p;

	r->context_id = B_CTX;
	r->rsrc_handle = B_VH;
	r->req_size = 2;
}

static void bld_clone(void *p)
{
	struct dk_cxlflash_clone *c = p;

	c->hdr.flags = O_RDWR;
	c->context_id_src = LI.context_id;
	c->context_id_dst = B_CTX;
}

static void header_checks(const struct req *r)
{
	/* undefined hdr.flags bits are not errors: see ignored_flags() */
	static const char *what[] = {
		"version=1", "rsvd[0]!=0", "rsvd[1]!=0", "rsvd[2]!=0",
		"return_flags!=0", "size-8 (_IOC)", "size+8 (_IOC)",
	};
	char msg[160];

	for (unsigned int v = 0; v < sizeof(what) / sizeof(what[0]); v++) {
		uint8_t buf[512];
		struct dk_cxlflash_hdr *h = (void *)buf;
		unsigned long cmd = r->cmd;
		int rc;

		memset(buf, 0, sizeof(buf));
		r->build(buf);
		switch (v) {
		case 0: h->version = 1; break;
		case 1: h->rsvd[0] = 1; break;
		case 2: h->rsvd[1] = 1; break;
		case 3: h->rsvd[2] = 1; break;
		case 4: h->return_flags = 1; break;
		case 5: cmd = _IOC(_IOC_READ | _IOC_WRITE, CXL_MAGIC, _IOC_NR(r->cmd), r->size - 8); break;
		case 6: cmd = _IOC(_IOC_READ | _IOC_WRITE, CXL_MAGIC, _IOC_NR(r->cmd), r->size + 8); break;
		}
		rc = sp_ioctl(LI.fd, cmd, buf);
		if (rc == 0 && r->undo)
			r->undo(buf);
		snprintf(msg, sizeof(msg), "%s %s", r->name, what[v]);
		expect_alive(rc, E(EINVAL), msg);
	}
}

/* ------------------------------------------------------------------ */
/* undefined flag bits are ignored (historical dispatcher)             */
/* ------------------------------------------------------------------ */

#define BIT40	(1ULL << 40)

/*
 * Clients written for the real adapter set flag bits no ioctl defines: the
 * historical dispatcher checked version, reserved words and return_flags
 * only, so these requests succeed and do exactly what they would without
 * the bits.
 */
static void ignored_flags_physical(void)
{
	struct dk_cxlflash_attach a;
	struct dk_cxlflash_udirect u;
	struct dk_cxlflash_release rel;
	struct dk_cxlflash_detach d;
	struct dk_cxlflash_verify v;
	struct dk_cxlflash_recover_afu r;
	struct dk_cxlflash_manage_lun m;
	static const uint64_t vflags[] = { 0x8, 0x50, BIT40 };
	int rc;

	memset(&a, 0, sizeof(a));
	a.hdr.flags = 0x999;		/* O_WRONLY + undefined bits */
	a.num_interrupts = 4;
	rc = sp_ioctl(LI.fd, DK_CXLFLASH_ATTACH, &a);
	tap_ok(rc == 0 && (int64_t)a.adap_fd >= 0 &&
	       (a.hdr.return_flags & DK_CXLFLASH_APP_CLOSE_ADAP_FD),
	       "ATTACH flags 0x999 -> 0, a new context and fd2 (%s)", en(rc));
	if (!rc)
		undo_attach(&a);
	tap_ok(alive(), "...library context intact");

	memset(&u, 0, sizeof(u));
	bld_udirect(&u);
	u.hdr.flags = O_RDWR | BIT40;
	rc = sp_ioctl(LI.fd, DK_CXLFLASH_USER_DIRECT, &u);
	tap_ok(rc == 0 && u.last_lba == LI.last_lba && u.rsrc_handle != LI.rsrc_handle,
	       "USER_DIRECT flags bit 40 -> 0, handle %llu (%s)",
	       (unsigned long long)u.rsrc_handle, en(rc));
	if (!rc) {
		memset(&rel, 0, sizeof(rel));
		rel.hdr.flags = BIT40 | 0x999;
		rel.context_id = LI.context_id;
		rel.rsrc_handle = u.rsrc_handle;
		rc = sp_ioctl(LI.fd, DK_CXLFLASH_RELEASE, &rel);
		expect_alive(rc, 0, "RELEASE flags 0x999|bit 40 of that handle");
		expect(sp_verify(LI.fd, LI.context_id, u.rsrc_handle, NULL), E(EINVAL),
		       "...and the released handle is gone");
	}

	for (size_t i = 0; i < sizeof(vflags) / sizeof(vflags[0]); i++) {
		char msg[96];

		memset(&v, 0, sizeof(v));
		bld_verify(&v);
		v.hdr.flags = vflags[i];
		rc = sp_ioctl(LI.fd, DK_CXLFLASH_VERIFY, &v);
		snprintf(msg, sizeof(msg), "VERIFY flags 0x%llx (last_lba %llu)",
			 (unsigned long long)vflags[i], (unsigned long long)v.last_lba);
		expect_alive(rc == 0 && v.last_lba != LI.last_lba ? -EIO : rc, 0, msg);
	}
	memset(&v, 0, sizeof(v));
	bld_verify(&v);
	v.hint = 0x50;			/* no HINT_SENSE: the sense is not looked at */
	rc = sp_ioctl(LI.fd, DK_CXLFLASH_VERIFY, &v);
	expect_alive(rc, 0, "VERIFY hint 0x50 (undefined hint bits)");

	memset(&r, 0, sizeof(r));
	bld_recover(&r);
	r.hdr.flags = DK_CXLFLASH_RECOVER_AFU_CONTEXT_RESET;
	rc = sp_ioctl(LI.fd, DK_CXLFLASH_RECOVER_AFU, &r);
	tap_ok(rc == 0 && !(r.hdr.return_flags & DK_CXLFLASH_RECOVER_AFU_CONTEXT_RESET) &&
	       r.context_id == LI.context_id,
	       "RECOVER_AFU with CONTEXT_RESET on input -> 0, healthy context not reset (%s, flags 0x%llx)",
	       en(rc), (unsigned long long)r.hdr.return_flags);
	tap_ok(alive(), "...library context intact");

	memset(&m, 0, sizeof(m));
	bld_manage(&m);
	m.hdr.flags |= BIT40;
	rc = sp_ioctl(LI.fd, DK_CXLFLASH_MANAGE_LUN, &m);
	expect_alive(rc, 0, "MANAGE_LUN ENABLE | bit 40 of an enabled LUN");
	tap_ok(sp_lun_mode(O.dev) == 1, "...mode still superpipe");

	/* DETACH last: a context of its own */
	b_attach();
	memset(&d, 0, sizeof(d));
	d.hdr.flags = O_RDWR | BIT40;
	d.context_id = B_CTX;
	rc = sp_ioctl(LI.fd, DK_CXLFLASH_DETACH, &d);
	expect_alive(rc, 0, "DETACH flags bit 40");
	expect(sp_detach(LI.fd, B_CTX), E(EINVAL), "...the context is gone");
	close(B_FD2);
	B_FD2 = -1;
}

/* ------------------------------------------------------------------ */
/* another process's context                                           */
/* ------------------------------------------------------------------ */

static void foreign_process(void)
{
	static const char *names[] = {
		"USER_DIRECT", "RELEASE", "DETACH", "RECOVER_AFU", "ATTACH REUSE", "VERIFY",
	};
	int p[2], st;
	int res[6];
	pid_t pid;

	if (pipe(p))
		tap_bail("pipe");
	pid = fork();
	if (pid == 0) {
		struct dk_cxlflash_attach a;
		struct dk_cxlflash_recover_afu r;
		int out[6];

		close(p[0]);
		out[0] = sp_udirect(LI.fd, LI.context_id, NULL, NULL);
		out[1] = sp_release(LI.fd, LI.context_id, LI.rsrc_handle);
		out[2] = sp_detach(LI.fd, LI.context_id);
		out[3] = sp_recover(LI.fd, LI.context_id, &r);
		out[4] = sp_attach(LI.fd, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT,
				   LI.context_id, &a);
		out[5] = sp_verify(LI.fd, LI.context_id, LI.rsrc_handle, NULL);
		if (write(p[1], out, sizeof(out)) != sizeof(out))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], res, sizeof(res)) != sizeof(res))
		memset(res, 0, sizeof(res));
	close(p[0]);
	waitpid(pid, &st, 0);
	for (int i = 0; i < 6; i++) {
		bool ok = res[i] == E(EINVAL) || res[i] == E(EPERM);

		tap_ok(ok, "child process using the parent's context id: %s -> EINVAL/EPERM (got %s)",
		       names[i], en(res[i]));
	}
	tap_ok(alive(), "parent's context intact after the child's attempts");
}

/* ------------------------------------------------------------------ */

static void phase_physical(void)
{
	struct dk_cxlflash_attach a;
	struct dk_cxlflash_recover_afu r;
	uint64_t hb[2] = { 0, 0 }, last, other;
	int rc;
	const struct req reqs[] = {
		{ "ATTACH", DK_CXLFLASH_ATTACH, sizeof(struct dk_cxlflash_attach), bld_attach, undo_attach },
		{ "USER_DIRECT", DK_CXLFLASH_USER_DIRECT, sizeof(struct dk_cxlflash_udirect), bld_udirect, undo_udirect },
		{ "RELEASE", DK_CXLFLASH_RELEASE, sizeof(struct dk_cxlflash_release), bld_release, NULL },
		{ "DETACH", DK_CXLFLASH_DETACH, sizeof(struct dk_cxlflash_detach), bld_detach, NULL },
		{ "VERIFY", DK_CXLFLASH_VERIFY, sizeof(struct dk_cxlflash_verify), bld_verify, NULL },
		{ "RECOVER_AFU", DK_CXLFLASH_RECOVER_AFU, sizeof(struct dk_cxlflash_recover_afu), bld_recover, NULL },
		{ "MANAGE_LUN", DK_CXLFLASH_MANAGE_LUN, sizeof(struct dk_cxlflash_manage_lun), bld_manage, NULL },
	};

	rc = cflash_open(O.dev, O_RDWR, 0, &LIB);
	if (!tap_ok(rc == 0, "library opens %s physically (%s)", O.dev, cflash_strerror(rc)))
		tap_bail("cannot continue without a context");
	cflash_info(LIB, &LI);
	tap_diag("context 0x%llx handle %llu last_lba %llu block %u max_xfer %llu %s",
		 (unsigned long long)LI.context_id, (unsigned long long)LI.rsrc_handle,
		 (unsigned long long)LI.last_lba, LI.block_size,
		 (unsigned long long)LI.max_xfer, LI.sq_mode ? "SQ" : "IOARRIN");
	tap_ok(sp_lun_mode(O.dev) == 1, "sysfs mode reads superpipe");
	PBUF = sp_alloc((size_t)NPAT * LI.block_size);
	sp_fill(PBUF, 0, NPAT, LI.block_size, SEED);
	rc = cflash_write(LIB, PBUF, 0, NPAT);
	tap_ok(rc == 0 && alive(), "pattern written and read back through the library");

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		header_checks(&reqs[i]);
	ignored_flags_physical();
	{
		uint8_t junk[256];

		memset(junk, 0, sizeof(junk));
		rc = sp_ioctl(LI.fd, _IOC(_IOC_READ | _IOC_WRITE, CXL_MAGIC, 0x8A, 144), junk);
	}
	expect_alive(rc, E(EINVAL), "unknown ioctl nr 0x8A");

	/* ATTACH */
	rc = sp_attach(LI.fd, O_RDWR, 0, &a);
	tap_ok(rc == 0 && (int64_t)a.adap_fd >= 0 &&
	       (a.hdr.return_flags & DK_CXLFLASH_APP_CLOSE_ADAP_FD) &&
	       a.mmio_size == 0x10000 && a.block_size == LI.block_size &&
	       a.last_lba == LI.last_lba && a.max_xfer >= 1,
	       "ATTACH success: fd2 %d, flags 0x%llx, mmio 0x%llx, block %llu, max_xfer %llu (%s)",
	       (int)a.adap_fd, (unsigned long long)a.hdr.return_flags,
	       (unsigned long long)a.mmio_size, (unsigned long long)a.block_size,
	       (unsigned long long)a.max_xfer, en(rc));
	if (!rc) {
		tap_ok((fcntl((int)a.adap_fd, F_GETFD) & FD_CLOEXEC) != 0, "fd2 is close-on-exec");
		tap_ok((a.context_id & 0xFFFFFFFF) < 512, "context id low bits are a context index (%llu)",
		       (unsigned long long)(a.context_id & 0xFFFFFFFF));
		expect(sp_detach(LI.fd, a.context_id), 0, "DETACH of that context");
		close((int)a.adap_fd);
	}
	memset(&a, 0, sizeof(a));
	a.hdr.flags = O_RDWR;
	a.num_interrupts = 5;
	rc = sp_ioctl(LI.fd, DK_CXLFLASH_ATTACH, &a);
	if (!rc)
		undo_attach(&a);
	expect_alive(rc, E(EINVAL), "ATTACH num_interrupts=5");
	a.num_interrupts = 0x99;
	a.hdr.return_flags = 0;
	rc = sp_ioctl(LI.fd, DK_CXLFLASH_ATTACH, &a);
	if (!rc)
		undo_attach(&a);
	expect_alive(rc, E(EINVAL), "ATTACH num_interrupts=0x99");
	rc = sp_attach(LI.fd, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT,
		       LI.context_id ^ 0x00dead0000000000ULL, &a);
	expect_alive(rc, E(EINVAL), "ATTACH REUSE of a bogus context id");
	rc = sp_attach(LI.fd, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT, LI.context_id, &a);
	expect_alive(rc, E(EINVAL), "ATTACH REUSE of a context that already has this LUN");

	/* USER_DIRECT */
	expect_alive(sp_udirect(LI.fd, LI.context_id ^ 0x00dead0000000000ULL, NULL, NULL),
		     E(EINVAL), "USER_DIRECT with a bogus context id");
	expect_alive(sp_udirect(LI.fd, 511, NULL, NULL), E(EINVAL),
		     "USER_DIRECT with an unused context index");
	b_attach();
	rc = sp_udirect(LI.fd, B_CTX, &hb[0], &last);
	tap_ok(rc == 0 && last == LI.last_lba, "USER_DIRECT on a second context: handle %llu, last_lba ok (%s)",
	       (unsigned long long)hb[0], en(rc));
	rc = sp_udirect(LI.fd, B_CTX, &hb[1], NULL);
	tap_ok(rc == 0 && hb[1] != hb[0], "second USER_DIRECT gives another handle %llu (%s)",
	       (unsigned long long)hb[1], en(rc));

	/* RELEASE */
	expect_alive(sp_release(LI.fd, LI.context_id, 4095), E(EINVAL), "RELEASE handle 4095");
	expect_alive(sp_release(LI.fd, LI.context_id, 0xFFFFFFFFULL), E(EINVAL), "RELEASE handle 0xffffffff");
	other = hb[0] != LI.rsrc_handle ? hb[0] : hb[1];
	expect_alive(sp_release(LI.fd, LI.context_id, other), E(EINVAL),
		     "RELEASE of a handle that belongs to another context");
	tap_ok(sp_verify(LI.fd, B_CTX, other, NULL) == 0, "...and that handle is still valid in its context");

	/* VERIFY */
	expect_alive(sp_verify(LI.fd, LI.context_id, 4000, NULL), E(EINVAL), "VERIFY of a bad handle");
	expect_alive(sp_verify(LI.fd, 0x00dead0000000001ULL, LI.rsrc_handle, NULL), E(EINVAL),
		     "VERIFY with a bogus context id");

	/* RECOVER_AFU */
	rc = sp_recover(LI.fd, B_CTX, &r);
	tap_ok(rc == 0 && !(r.hdr.return_flags & DK_CXLFLASH_RECOVER_AFU_CONTEXT_RESET) &&
	       r.context_id == B_CTX, "RECOVER_AFU on a healthy context: 0, no CONTEXT_RESET (%s, flags 0x%llx)",
	       en(rc), (unsigned long long)r.hdr.return_flags);
	expect_alive(sp_recover(LI.fd, 0x00dead0000000001ULL, &r), E(EINVAL), "RECOVER_AFU of a bogus context");

	/* mode conflicts */
	expect_alive(sp_uvirtual(LI.fd, B_CTX, 1, 0, NULL, NULL), E(EINVAL),
		     "USER_VIRTUAL on a LUN in physical mode");
	expect_alive(sp_resize(LI.fd, LI.context_id, LI.rsrc_handle, 1, NULL), E(EINVAL),
		     "VLUN_RESIZE of a physical handle");

	/* RELEASE/DETACH success and DETACH twice */
	expect(sp_release(LI.fd, B_CTX, hb[1]), 0, "RELEASE of the second context's handle");
	expect(sp_release(LI.fd, B_CTX, hb[1]), E(EINVAL), "RELEASE of the same handle again");
	expect(sp_detach(LI.fd, B_CTX), 0, "DETACH (releases the remaining handle)");
	expect_alive(sp_detach(LI.fd, B_CTX), E(EINVAL), "DETACH twice");
	close(B_FD2);
	B_FD2 = -1;

	/* MANAGE_LUN */
	{
		int fd = sp_open_dev(O.dev);

		rc = sp_manage_lun(fd, O.dev, DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE);
		expect_alive(rc, E(EBUSY), "MANAGE_LUN DISABLE while the LUN has users");
		tap_ok(sp_lun_mode(O.dev) == 1, "mode still superpipe");
		expect(sp_manage_lun(fd, O.dev, DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE), 0,
		       "MANAGE_LUN ENABLE of an enabled LUN");
		close(fd);
	}

	foreign_process();

	rc = cflash_close(LIB);
	tap_ok(rc == 0, "library close (RELEASE + DETACH + close fd2): %s", cflash_strerror(rc));
	tap_ok(cflash_close(LIB) == -EBADF, "second close -> -EBADF");
	tap_ok(sp_detach(LI.fd, LI.context_id) < 0, "the closed context id is gone");
}

static void phase_virtual(void)
{
	uint64_t vh, last, sz;
	int rc;
	const struct req vreqs[] = {
		{ "USER_VIRTUAL", DK_CXLFLASH_USER_VIRTUAL, sizeof(struct dk_cxlflash_uvirtual), bld_uvirtual, undo_uvirtual },
		{ "VLUN_RESIZE", DK_CXLFLASH_VLUN_RESIZE, sizeof(struct dk_cxlflash_resize), bld_resize, NULL },
		{ "VLUN_CLONE", DK_CXLFLASH_VLUN_CLONE, sizeof(struct dk_cxlflash_clone), bld_clone, NULL },
	};

	rc = cflash_open(O.dev, O_RDWR | CFLASH_OPEN_VIRTUAL, 65536, &LIB);
	if (!tap_ok(rc == 0, "library opens a 65536-block virtual LUN (%s)", cflash_strerror(rc)))
		return;
	cflash_info(LIB, &LI);
	cflash_size(LIB, &sz);
	tap_ok(sz == 65536 && LI.last_lba == 65535, "virtual size 65536 blocks (last_lba %llu)",
	       (unsigned long long)LI.last_lba);
	sp_fill(PBUF, 0, NPAT, LI.block_size, SEED);
	rc = cflash_write(LIB, PBUF, 0, NPAT);
	tap_ok(rc == 0 && alive(), "virtual LUN: pattern written and read back");
	{
		void *b = sp_alloc(LI.block_size);

		tap_ok(cflash_read(LIB, b, 65536, 1) == -ERANGE, "read past the virtual size -> -ERANGE");
		free(b);
	}

	b_attach();
	expect_alive(sp_udirect(LI.fd, B_CTX, NULL, NULL), E(EINVAL), "USER_DIRECT on a LUN in virtual mode");
	rc = sp_uvirtual(LI.fd, B_CTX, 0, 0, &vh, &last);
	tap_ok(rc == 0 && last == UINT64_MAX, "USER_VIRTUAL size 0: last_lba all ones (%s)", en(rc));
	B_VH = vh;
	rc = sp_resize(LI.fd, B_CTX, vh, 1, &last);
	tap_ok(rc == 0 && last == 65535, "VLUN_RESIZE to 1 block rounds up to a chunk (last %llu, %s)",
	       (unsigned long long)last, en(rc));
	rc = sp_resize(LI.fd, B_CTX, vh, 0, &last);
	tap_ok(rc == 0 && last == UINT64_MAX, "VLUN_RESIZE to 0: last_lba all ones (%s)", en(rc));
	expect_alive(sp_resize(LI.fd, B_CTX, 4000, 1, NULL), E(EINVAL), "VLUN_RESIZE of a bad handle");
	expect_alive(sp_resize(LI.fd, B_CTX, LI.rsrc_handle == vh ? vh + 1 : LI.rsrc_handle, 1, NULL),
		     E(EINVAL), "VLUN_RESIZE of a handle not open in this context");
	last = 0;
	rc = sp_resize(LI.fd, B_CTX, vh, UINT64_MAX / 8192, &last);
	expect_alive(rc == 0 && (last == NONE_LBA || last < 65536) ? -EIO : rc, 0,
		     "VLUN_RESIZE beyond capacity: best effort, capped at what is free");
	tap_diag("capped at last_lba %llu", (unsigned long long)last);
	rc = sp_resize(LI.fd, B_CTX, vh, UINT64_MAX, &last);
	expect_alive(rc, E(ENOSPC), "VLUN_RESIZE up again with nothing free");
	sp_resize(LI.fd, B_CTX, vh, 0, NULL);

	/* undefined flag bits on the virtual ioctls are ignored too */
	{
		struct dk_cxlflash_uvirtual u;
		struct dk_cxlflash_resize z;

		memset(&u, 0, sizeof(u));
		bld_uvirtual(&u);
		u.hdr.flags = O_RDWR | BIT40 | DK_CXLFLASH_UVIRTUAL_NEED_WRITE_SAME;
		rc = sp_ioctl(LI.fd, DK_CXLFLASH_USER_VIRTUAL, &u);
		expect_alive(rc == 0 && u.last_lba != 65535 ? -EIO : rc, 0,
			     "USER_VIRTUAL flags bit 40 (1 block: one chunk)");
		if (!rc)
			sp_release(LI.fd, B_CTX, u.rsrc_handle);
		memset(&z, 0, sizeof(z));
		bld_resize(&z);
		z.hdr.flags = 0x999 | BIT40;
		rc = sp_ioctl(LI.fd, DK_CXLFLASH_VLUN_RESIZE, &z);
		expect_alive(rc == 0 && z.last_lba != 65535 ? -EIO : rc, 0,
			     "VLUN_RESIZE flags 0x999|bit 40 (2 blocks: one chunk)");
		sp_resize(LI.fd, B_CTX, vh, 0, NULL);
	}

	for (size_t i = 0; i < sizeof(vreqs) / sizeof(vreqs[0]); i++)
		header_checks(&vreqs[i]);

	{
		struct dk_cxlflash_clone c;

		memset(&c, 0, sizeof(c));
		c.hdr.flags = O_RDWR;
		c.context_id_src = B_CTX;
		c.context_id_dst = B_CTX;
		expect_alive(sp_ioctl(LI.fd, DK_CXLFLASH_VLUN_CLONE, &c), E(EINVAL), "VLUN_CLONE src == dst");
		c.context_id_src = LI.context_id;
		expect_alive(sp_ioctl(LI.fd, DK_CXLFLASH_VLUN_CLONE, &c), E(EINVAL),
			     "VLUN_CLONE from a context not owned by the parent");
	}
	{
		int fd = sp_open_dev(O.dev);

		expect_alive(sp_manage_lun(fd, O.dev, DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE),
			     E(EBUSY), "MANAGE_LUN DISABLE with virtual users");
		close(fd);
	}
	expect(sp_release(LI.fd, B_CTX, vh), 0, "RELEASE of the virtual handle");
	expect(sp_release(LI.fd, B_CTX, vh), E(EINVAL), "RELEASE of it again");
	b_detach();

	/* fork + clone through the library */
	{
		int st;
		pid_t pid = fork();

		if (pid == 0) {
			void *b = sp_alloc((size_t)NPAT * LI.block_size);
			int code = 0;

			if (cflash_read(LIB, b, 0, 1) != -ESTALE)
				code |= 1;
			if (cflash_clone_after_fork(LIB))
				code |= 2;
			else if (cflash_read(LIB, b, 0, NPAT) ||
				 sp_check(b, 0, NPAT, LI.block_size, SEED))
				code |= 4;
			sp_fill(b, 100, 1, LI.block_size, 77);
			if (!(code & 2) && cflash_write(LIB, b, 100, 1))
				code |= 8;
			if (!(code & 2) && cflash_close(LIB))
				code |= 16;
			_exit(code);
		}
		waitpid(pid, &st, 0);
		tap_ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 1),
		       "child: I/O before clone -> -ESTALE");
		tap_ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 2), "child: cflash_clone_after_fork (ATTACH + VLUN_CLONE)");
		tap_ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 4), "child reads the parent's data through the clone");
		tap_ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 24), "child writes and closes its clone (status 0x%x)",
		       WIFEXITED(st) ? WEXITSTATUS(st) : 0xff);
		tap_ok(alive(), "parent's virtual LUN intact after the child's clone and exit");
	}

	rc = cflash_close(LIB);
	tap_ok(rc == 0, "library close of the virtual LUN");
}

int main(int argc, char **argv)
{
	int orig, rc;

	sp_parse_common(argc, argv, &O, NULL, NULL, NULL, "");
	if (!sp_tap_start(&O))
		return 0;
	tap_diag("LUN %s", O.dev);
	orig = sp_lun_mode(O.dev);
	if (orig < 0)
		tap_bail("%s: no 'mode' attribute (%s): not a cxlflash LUN?", O.dev, en(orig));

	phase_physical();
	phase_virtual();

	rc = sp_set_superpipe(O.dev, false);
	tap_ok(rc == 0 && sp_lun_mode(O.dev) == 0, "MANAGE_LUN DISABLE without users -> 0, mode legacy (%s)",
	       en(rc));
	if (orig == 1)
		sp_set_superpipe(O.dev, true);
	free(PBUF);
	return tap_done();
}
