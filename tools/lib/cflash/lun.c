// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Public API: open/close of LUN handles, the DK_CXLFLASH_* ioctl layer
 * (ATTACH, USER_DIRECT/VIRTUAL, RELEASE, DETACH, RECOVER_AFU, VERIFY,
 * VLUN_RESIZE, VLUN_CLONE, MANAGE_LUN), context sharing, fork handling,
 * and the I/O entry points on top of engine.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <scsi/cxlflash_ioctl.h>

#include "cflash_int.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cf_ctx *g_ctxs;		/* live contexts of this process */
static struct cf_ctx *g_ctx_pool;	/* recycled (never freed) */
static struct cflash_lun *g_luns;	/* live handles */
static struct cflash_lun *g_lun_pool;	/* recycled (never freed) */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static unsigned int g_timeout_ms = CF_DEF_TIMEOUT_MS;

/* ------------------------------------------------------------------ */
/* fork: contexts become the parent's                                  */
/* ------------------------------------------------------------------ */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&g_lock);
	for (struct cf_ctx *c = g_ctxs; c; c = c->next)
		pthread_mutex_lock(&c->lock);
}

static void atfork_parent(void)
{
	for (struct cf_ctx *c = g_ctxs; c; c = c->next)
		pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&g_lock);
}

/*
 * The parent's MMIO windows are not the child's: the driver does not copy
 * them into the child (VM_DONTCOPY; older drivers did).  Unmap them now,
 * while nothing else can be at their address, and forget them, so that no
 * later munmap() hits a window the child maps at the same address.
 */
static void atfork_child(void)
{
	for (struct cf_ctx *c = g_ctxs; c; c = c->next) {
		c->forked = true;
		if (c->mmio)
			munmap((void *)c->mmio, c->mmio_size);
		c->mmio = NULL;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&g_lock);
}

static void lib_init(void)
{
	const char *e = getenv("CFLASH_TIMEOUT_MS");

	if (e && *e) {
		char *end;
		unsigned long v = strtoul(e, &end, 0);

		if (!*end && v >= 10 && v <= 3600000ul)
			g_timeout_ms = (unsigned int)v;
	}
	cf_spin_init();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ------------------------------------------------------------------ */
/* ioctl helpers                                                       */
/* ------------------------------------------------------------------ */

static int xioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do {
		rc = ioctl(fd, req, arg);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

static int do_detach(int fd, uint64_t ctx_id)
{
	struct dk_cxlflash_detach d;

	memset(&d, 0, sizeof(d));
	d.context_id = ctx_id;
	return xioctl(fd, DK_CXLFLASH_DETACH, &d);
}

static int do_release(int fd, uint64_t ctx_id, uint64_t rhndl)
{
	struct dk_cxlflash_release r;

	memset(&r, 0, sizeof(r));
	r.context_id = ctx_id;
	r.rsrc_handle = rhndl;
	return xioctl(fd, DK_CXLFLASH_RELEASE, &r);
}

static int do_udirect(int fd, uint64_t ctx_id, uint64_t *rh, uint64_t *last)
{
	struct dk_cxlflash_udirect u;
	int rc;

	memset(&u, 0, sizeof(u));
	u.context_id = ctx_id;
	rc = xioctl(fd, DK_CXLFLASH_USER_DIRECT, &u);
	if (!rc) {
		*rh = u.rsrc_handle;
		*last = u.last_lba;
	}
	return rc;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	nanosleep(&ts, NULL);
}

void cf_set_last_error(struct cf_ctx *ctx, int err,
		       const struct sisl_ioasa *sa, uint64_t lba)
{
	ctx->last.valid = true;
	ctx->last.err = err;
	ctx->last.lba = lba;
	if (sa)
		ctx->last.sa = *sa;
	else
		memset(&ctx->last.sa, 0, sizeof(ctx->last.sa));
}

/* engine callback: RECOVER_AFU, remap on a context reset */
static int ioctl_recover(struct cf_ctx *ctx, uint64_t reason)
{
	struct dk_cxlflash_recover_afu r;
	volatile uint8_t *map;
	int fd, rc, newfd;

	if (!ctx->luns)
		return -ENOTCONN;
	fd = ctx->luns->fd;
	memset(&r, 0, sizeof(r));
	r.reason = reason;
	r.context_id = ctx->ctx_id;
	rc = xioctl(fd, DK_CXLFLASH_RECOVER_AFU, &r);
	if (rc)
		return rc;
	if (!(r.hdr.return_flags & DK_CXLFLASH_RECOVER_AFU_CONTEXT_RESET))
		return 0;

	newfd = (int)(int64_t)r.adap_fd;
	if (newfd < 0 || r.mmio_size < SISL_R_SQ_CTX_RESET + 8)
		return -EIO;
	map = mmap(NULL, r.mmio_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   newfd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		close(newfd);	/* closing it releases the new context */
		return rc;
	}
	fcntl(newfd, F_SETFL, fcntl(newfd, F_GETFL) | O_NONBLOCK);
	munmap((void *)ctx->mmio, ctx->mmio_size);
	if (ctx->app_close && ctx->fd2 >= 0)
		close(ctx->fd2);
	ctx->mmio = map;
	ctx->mmio_size = r.mmio_size;
	ctx->fd2 = newfd;
	ctx->app_close = !!(r.hdr.return_flags & DK_CXLFLASH_APP_CLOSE_ADAP_FD);
	ctx->sq_mode = !!(r.hdr.return_flags & DK_CXLFLASH_CONTEXT_SQ_CMD_MODE);
	ctx->ctx_id = r.context_id;
	ctx->hw_ctx_id = (uint16_t)(r.context_id & 0xFFFF);
	return 1;
}

/* engine callback: VERIFY after a unit attention */
static int ioctl_verify(struct cflash_lun *lun, const uint8_t *sense)
{
	struct dk_cxlflash_verify v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.context_id = lun->ctx->ctx_id;
	v.rsrc_handle = lun->rhndl;
	v.hint = DK_CXLFLASH_VERIFY_HINT_SENSE;
	memcpy(v.sense_data, sense, DK_CXLFLASH_VERIFY_SENSE_LEN);
	rc = xioctl(lun->fd, DK_CXLFLASH_VERIFY, &v);
	if (!rc)
		__atomic_store_n(&lun->last_lba, v.last_lba, __ATOMIC_RELAXED);
	return rc;
}

const struct cf_ctx_ops cf_ioctl_ops = {
	.recover = ioctl_recover,
	.verify = ioctl_verify,
};

/* ------------------------------------------------------------------ */
/* handles and contexts                                                */
/* ------------------------------------------------------------------ */

static struct cflash_lun *lun_alloc(void)
{
	struct cflash_lun *l = g_lun_pool;

	if (l)
		g_lun_pool = l->pool_next;
	else
		l = malloc(sizeof(*l));
	if (!l)
		return NULL;
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->dq_head = l->dq_tail = -1;
	return l;
}

static void lun_recycle(struct cflash_lun *l)
{
	__atomic_store_n(&l->magic, CF_LUN_DEAD, __ATOMIC_RELEASE);
	l->ctx = NULL;
	l->fd = -1;
	l->pool_next = g_lun_pool;
	g_lun_pool = l;
}

static bool lun_registered(struct cflash_lun *lun)
{
	for (struct cflash_lun *l = g_luns; l; l = l->reg_next)
		if (l == lun)
			return true;
	return false;
}

static void lun_unregister(struct cflash_lun *lun)
{
	for (struct cflash_lun **pp = &g_luns; *pp; pp = &(*pp)->reg_next)
		if (*pp == lun) {
			*pp = lun->reg_next;
			return;
		}
}

static void ctx_unlink_lun(struct cf_ctx *ctx, struct cflash_lun *lun)
{
	for (struct cflash_lun **pp = &ctx->luns; *pp; pp = &(*pp)->ctx_next)
		if (*pp == lun) {
			*pp = lun->ctx_next;
			ctx->nluns--;
			return;
		}
}

/* another handle of @ctx on the same scsi_device (already attached) */
static struct cflash_lun *ctx_find_sdev(struct cf_ctx *ctx, const char *sdev)
{
	for (struct cflash_lun *l = ctx->luns; l; l = l->ctx_next)
		if (strcmp(l->sdev, sdev) == 0)
			return l;
	return NULL;
}

/* I/O-path handle check: no locks, no syscalls */
static int lun_check(struct cflash_lun *lun)
{
	if (!lun)
		return -EINVAL;
	if (__atomic_load_n(&lun->magic, __ATOMIC_ACQUIRE) != CF_LUN_MAGIC ||
	    !lun->ctx)
		return -EBADF;
	return 0;
}

static struct cf_ctx *ctx_alloc(void)
{
	struct cf_ctx *c = g_ctx_pool;

	if (c) {
		g_ctx_pool = c->next;
		pthread_mutex_destroy(&c->lock);
	} else {
		c = malloc(sizeof(*c));
	}
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->fd2 = -1;
	c->ops = &cf_ioctl_ops;
	c->timeout_ms = g_timeout_ms;
	c->magic = CF_CTX_MAGIC;
	c->pid = getpid();
	return c;
}

/* unmap, close fd2 (if ours to close), free memory; g_lock held */
static void ctx_destroy(struct cf_ctx *ctx, bool close_fd2)
{
	for (struct cf_ctx **pp = &g_ctxs; *pp; pp = &(*pp)->next)
		if (*pp == ctx) {
			*pp = ctx->next;
			break;
		}
	pthread_mutex_lock(&ctx->lock);
	/* a forked child never had the parent's mapping (VM_DONTCOPY) */
	if (ctx->mmio && !ctx->forked)
		munmap((void *)ctx->mmio, ctx->mmio_size);
	ctx->mmio = NULL;
	if (close_fd2 && ctx->fd2 >= 0)
		close(ctx->fd2);
	ctx->fd2 = -1;
	cf_ctx_free_dma(ctx);
	ctx->dead = -EBADF;
	ctx->magic = 0;
	pthread_mutex_unlock(&ctx->lock);
	ctx->next = g_ctx_pool;
	g_ctx_pool = ctx;
}

/* map fd2, allocate queues, program the host map */
static int ctx_start(struct cf_ctx *ctx, const struct dk_cxlflash_attach *a)
{
	int rc;

	ctx->ctx_id = a->context_id;
	ctx->hw_ctx_id = (uint16_t)(a->context_id & 0xFFFF);
	ctx->fd2 = (int)(int64_t)a->adap_fd;
	ctx->app_close = !!(a->hdr.return_flags & DK_CXLFLASH_APP_CLOSE_ADAP_FD);
	ctx->sq_mode = !!(a->hdr.return_flags & DK_CXLFLASH_CONTEXT_SQ_CMD_MODE);
	ctx->mmio_size = a->mmio_size;
	if (ctx->fd2 < 0 || ctx->mmio_size < SISL_R_SQ_CTX_RESET + 8)
		return -EIO;
	ctx->mmio = mmap(NULL, ctx->mmio_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, ctx->fd2, 0);
	if (ctx->mmio == MAP_FAILED) {
		ctx->mmio = NULL;
		return -errno;
	}
	fcntl(ctx->fd2, F_SETFL, fcntl(ctx->fd2, F_GETFL) | O_NONBLOCK);
	if (!ctx->dma) {
		rc = cf_ctx_alloc_dma(ctx);
		if (rc)
			return rc;
	}
	cf_ctx_reset_slots(ctx);
	pthread_mutex_lock(&ctx->lock);
	rc = cf_ctx_setup_locked(ctx);
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

static int attach(int fd, int omode, struct cf_ctx *reuse,
		  struct dk_cxlflash_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->hdr.flags = (uint64_t)omode;
	a->num_interrupts = 4;
	if (reuse) {
		a->hdr.flags |= DK_CXLFLASH_ATTACH_REUSE_CONTEXT;
		a->context_id = reuse->ctx_id;
	}
	return xioctl(fd, DK_CXLFLASH_ATTACH, a);
}

static int enable_superpipe(int fd, const struct cf_devinfo *di)
{
	struct dk_cxlflash_manage_lun m;
	uint8_t page[1024];
	ssize_t n;
	int rc;

	n = cf_sysfs_read_bin(di->sdev_path, "vpd_pg83", page, sizeof(page));
	if (n < 0)
		return n == -ENOENT ? -ENODATA : (int)n;
	memset(&m, 0, sizeof(m));
	rc = cf_vpd83_wwid(page, (size_t)n, m.wwid);
	if (rc)
		return rc;
	m.hdr.flags = DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE;
	return xioctl(fd, DK_CXLFLASH_MANAGE_LUN, &m);
}

/* ------------------------------------------------------------------ */
/* open / close                                                        */
/* ------------------------------------------------------------------ */

CF_EXPORT int cflash_open(const char *dev, int flags, uint64_t vlun_blocks,
			  struct cflash_lun **out)
{
	int omode = flags & O_ACCMODE;
	struct dk_cxlflash_attach a;
	struct cf_devinfo di;
	struct cflash_lun *lun = NULL, *sib;
	struct cf_ctx *ctx = NULL;
	bool new_ctx = false, attached = false;
	char mode[32];
	int fd, rc;

	if (!dev || !out)
		return -EINVAL;
	*out = NULL;
	if (flags & ~(O_ACCMODE | CFLASH_OPEN_FLAGS_MASK) || omode == O_ACCMODE)
		return -EINVAL;
	if (!(flags & CFLASH_OPEN_VIRTUAL) &&
	    (vlun_blocks || (flags & CFLASH_OPEN_SCRUB)))
		return -EINVAL;
	pthread_once(&g_once, lib_init);

	rc = cf_sysfs_resolve(dev, &di);
	if (rc)
		return rc;
	fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	rc = cf_sysfs_read(di.sdev_path, "mode", mode, sizeof(mode));
	if (rc < 0) {
		rc = rc == -ENOENT ? -ENODEV : rc;
		goto err_fd;
	}
	if (strcmp(mode, "superpipe") != 0) {
		if (flags & CFLASH_OPEN_NO_ENABLE) {
			rc = -EPERM;
			goto err_fd;
		}
		rc = enable_superpipe(fd, &di);
		if (rc)
			goto err_fd;
		rc = cf_sysfs_read(di.sdev_path, "mode", mode, sizeof(mode));
		if (rc < 0 || strcmp(mode, "superpipe") != 0) {
			rc = -EPERM;
			goto err_fd;
		}
	}

	pthread_mutex_lock(&g_lock);
	lun = lun_alloc();
	if (!lun) {
		rc = -ENOMEM;
		goto err_unlock;
	}
	lun->fd = fd;
	lun->flags = flags;
	lun->virt = !!(flags & CFLASH_OPEN_VIRTUAL);
	snprintf(lun->dev, sizeof(lun->dev), "%s", dev);

	if (!(flags & CFLASH_OPEN_PRIVATE_CTX))
		for (ctx = g_ctxs; ctx; ctx = ctx->next)
			if (!ctx->private_ctx && !ctx->forked && !ctx->dead &&
			    ctx->omode == omode &&
			    strcmp(ctx->adapter, di.adapter) == 0)
				break;

	snprintf(lun->sdev, sizeof(lun->sdev), "%s", di.sdev_path);
	if (ctx && (sib = ctx_find_sdev(ctx, lun->sdev))) {
		/* LUN already attached to this context: share the attach */
		memset(&a, 0, sizeof(a));
		a.block_size = sib->block_size;
		a.max_xfer = sib->max_xfer;
		a.last_lba = sib->last_lba;
	} else if (ctx) {
		pthread_mutex_lock(&ctx->lock);
		rc = attach(fd, omode, ctx, &a);
		pthread_mutex_unlock(&ctx->lock);
		if (rc)
			goto err_lun;
		attached = true;
		/* reuse never hands out an fd; close one if it did */
		if ((int64_t)a.adap_fd >= 0 && (int)a.adap_fd != ctx->fd2 &&
		    (a.hdr.return_flags & DK_CXLFLASH_APP_CLOSE_ADAP_FD))
			close((int)a.adap_fd);
	} else {
		ctx = ctx_alloc();
		if (!ctx) {
			rc = -ENOMEM;
			goto err_lun;
		}
		new_ctx = true;
		snprintf(ctx->adapter, sizeof(ctx->adapter), "%s", di.adapter);
		ctx->omode = omode;
		ctx->private_ctx = !!(flags & CFLASH_OPEN_PRIVATE_CTX);
		rc = attach(fd, omode, NULL, &a);
		if (rc)
			goto err_ctx;
		rc = ctx_start(ctx, &a);
		if (rc) {
			do_detach(fd, a.context_id);
			goto err_ctx;
		}
		attached = true;
	}

	lun->ctx = ctx;
	lun->block_size = (uint32_t)a.block_size;
	lun->last_lba = a.last_lba;
	lun->max_xfer = a.max_xfer;
	if (!lun->block_size || (lun->block_size & (lun->block_size - 1)) ||
	    lun->block_size < 512 || lun->block_size > 65536) {
		rc = -EOPNOTSUPP;
		goto err_detach;
	}
	if (!lun->max_xfer || lun->max_xfer > (16u << 20) / lun->block_size)
		lun->max_xfer = (16u << 20) / lun->block_size;

	if (lun->virt) {
		struct dk_cxlflash_uvirtual v;

		/* virtual sizes are in 4 KiB units: only 4 KiB LUNs */
		if (lun->block_size != 4096) {
			rc = -EOPNOTSUPP;
			goto err_detach;
		}
		memset(&v, 0, sizeof(v));
		v.context_id = ctx->ctx_id;
		v.lun_size = vlun_blocks;
		if (flags & CFLASH_OPEN_SCRUB)
			v.hdr.flags = DK_CXLFLASH_UVIRTUAL_NEED_WRITE_SAME;
		rc = xioctl(fd, DK_CXLFLASH_USER_VIRTUAL, &v);
		if (rc)
			goto err_detach;
		lun->rhndl = v.rsrc_handle;
		lun->last_lba = v.last_lba;
	} else {
		rc = do_udirect(fd, ctx->ctx_id, &lun->rhndl, &lun->last_lba);
		if (rc)
			goto err_detach;
	}

	pthread_mutex_lock(&ctx->lock);
	lun->ctx_next = ctx->luns;
	ctx->luns = lun;
	ctx->nluns++;
	pthread_mutex_unlock(&ctx->lock);
	if (new_ctx) {
		ctx->next = g_ctxs;
		g_ctxs = ctx;
	}
	lun->reg_next = g_luns;
	g_luns = lun;
	__atomic_store_n(&lun->magic, CF_LUN_MAGIC, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&g_lock);
	*out = lun;
	return 0;

err_detach:
	if (attached)
		do_detach(fd, ctx->ctx_id);
err_ctx:
	if (new_ctx)
		ctx_destroy(ctx, ctx->app_close);
err_lun:
	lun_recycle(lun);
err_unlock:
	pthread_mutex_unlock(&g_lock);
err_fd:
	close(fd);
	return rc;
}

CF_EXPORT int cflash_close(struct cflash_lun *lun)
{
	struct cf_ctx *ctx;
	int rc = 0, rc2;

	if (!lun)
		return -EINVAL;
	pthread_mutex_lock(&g_lock);
	if (!lun_registered(lun)) {
		pthread_mutex_unlock(&g_lock);
		return -EBADF;
	}
	lun_unregister(lun);
	__atomic_store_n(&lun->magic, CF_LUN_DEAD, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&g_lock);

	cf_drain_lun(lun);

	pthread_mutex_lock(&g_lock);
	ctx = lun->ctx;
	pthread_mutex_lock(&ctx->lock);
	ctx_unlink_lun(ctx, lun);
	if (!ctx->forked) {
		rc = do_release(lun->fd, ctx->ctx_id, lun->rhndl);
		/* detach when no other handle of this context uses the LUN */
		if (!ctx_find_sdev(ctx, lun->sdev)) {
			rc2 = do_detach(lun->fd, ctx->ctx_id);
			if (!rc)
				rc = rc2;
		}
		if (rc == -EINVAL && ctx->dead)
			rc = 0;	/* the context is already gone */
	}
	pthread_mutex_unlock(&ctx->lock);
	/*
	 * The adapter fd is closed after the last detach when the driver
	 * handed its closing to us; a child that never cloned just drops its
	 * inherited copy (the parent's context is unaffected).
	 */
	if (!ctx->nluns)
		ctx_destroy(ctx, ctx->app_close || ctx->forked);
	close(lun->fd);
	lun_recycle(lun);
	pthread_mutex_unlock(&g_lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* fork                                                                */
/* ------------------------------------------------------------------ */

CF_EXPORT int cflash_clone_after_fork(struct cflash_lun *lun)
{
	struct dk_cxlflash_attach a;
	struct dk_cxlflash_clone cl;
	struct cflash_lun *first, *l;
	struct cf_ctx *ctx;
	uint64_t old_id;
	int old_fd2, rc;
	bool old_app_close;

	if (!lun)
		return -EINVAL;
	pthread_mutex_lock(&g_lock);
	if (!lun_registered(lun)) {
		pthread_mutex_unlock(&g_lock);
		return -EBADF;
	}
	ctx = lun->ctx;
	if (!ctx->forked) {
		pthread_mutex_unlock(&g_lock);
		return 0;
	}
	pthread_mutex_lock(&ctx->lock);

	/* attach through a virtual LUN if there is one: CLONE needs it */
	first = lun;
	for (l = ctx->luns; l; l = l->ctx_next)
		if (l->virt) {
			first = l;
			break;
		}

	old_id = ctx->ctx_id;
	old_fd2 = ctx->fd2;
	old_app_close = ctx->app_close;

	rc = attach(first->fd, ctx->omode, NULL, &a);
	if (rc)
		goto out;
	/* the parent's commands are not ours */
	cf_ctx_reset_slots(ctx);
	for (l = ctx->luns; l; l = l->ctx_next) {
		l->dq_head = l->dq_tail = -1;
		l->async_out = 0;
	}
	ctx->mmio = NULL;
	ctx->forked = false;
	ctx->dead = 0;
	ctx->pid = getpid();
	/*
	 * The parent's host map did not survive fork (the driver maps it
	 * VM_DONTCOPY): its address range is free in the child and may hold
	 * anything by now, the new mapping included.  Never unmap it.
	 */
	pthread_mutex_unlock(&ctx->lock);
	rc = ctx_start(ctx, &a);
	pthread_mutex_lock(&ctx->lock);
	if (rc) {
		do_detach(first->fd, a.context_id);
		if (ctx->fd2 >= 0 && ctx->fd2 != old_fd2)
			close(ctx->fd2);
		ctx->fd2 = old_fd2;
		ctx->dead = rc;
		goto out;
	}

	if (first->virt) {
		memset(&cl, 0, sizeof(cl));
		cl.hdr.flags = (uint64_t)ctx->omode;
		cl.context_id_src = old_id;
		cl.context_id_dst = ctx->ctx_id;
		cl.adap_fd_src = (uint64_t)(int64_t)old_fd2;
		rc = xioctl(first->fd, DK_CXLFLASH_VLUN_CLONE, &cl);
		if (rc) {
			ctx->dead = rc;
			goto out_close_old;
		}
	}

	/* every other LUN: keep a cloned handle, or attach + USER_DIRECT */
	for (l = ctx->luns; l; l = l->ctx_next) {
		struct dk_cxlflash_verify v;

		if (l->virt && first->virt) {
			if (l == first)
				continue;
			memset(&v, 0, sizeof(v));
			v.context_id = ctx->ctx_id;
			v.rsrc_handle = l->rhndl;
			if (xioctl(l->fd, DK_CXLFLASH_VERIFY, &v) == 0)
				continue;
			rc = -ENXIO;	/* clone did not cover this LUN */
			ctx->dead = rc;
			goto out_close_old;
		}
		if (l != first) {
			memset(&v, 0, sizeof(v));
			v.context_id = ctx->ctx_id;
			v.rsrc_handle = l->rhndl;
			if (first->virt &&
			    xioctl(l->fd, DK_CXLFLASH_VERIFY, &v) == 0)
				continue;	/* cloned with its handle */
			rc = attach(l->fd, ctx->omode, ctx, &a);
			if (rc && rc != -EINVAL) {
				ctx->dead = rc;
				goto out_close_old;
			}
		}
		rc = do_udirect(l->fd, ctx->ctx_id, &l->rhndl, &l->last_lba);
		if (rc) {
			ctx->dead = rc;
			goto out_close_old;
		}
	}
	rc = 0;
out_close_old:
	/* app-close model: the inherited fd2 is ours to close after clone */
	if (old_app_close && old_fd2 >= 0 && old_fd2 != ctx->fd2)
		close(old_fd2);
out:
	pthread_mutex_unlock(&ctx->lock);
	pthread_mutex_unlock(&g_lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* I/O                                                                 */
/* ------------------------------------------------------------------ */

static int check_range(struct cflash_lun *lun, uint64_t lba, uint64_t n)
{
	uint64_t last = __atomic_load_n(&lun->last_lba, __ATOMIC_RELAXED);

	if (last == UINT64_MAX || lba > last || n - 1 > last - lba)
		return -ERANGE;
	return 0;
}

static int check_io(struct cflash_lun *lun, const void *buf, bool write)
{
	int rc = lun_check(lun);
	int om;

	if (rc)
		return rc;
	if (!buf || ((uintptr_t)buf & 15))
		return -EINVAL;
	om = lun->flags & O_ACCMODE;
	if ((write && om == O_RDONLY) || (!write && om == O_WRONLY))
		return -EACCES;
	return 0;
}

static int sync_io(struct cflash_lun *lun, void *buf, uint64_t lba,
		   uint64_t nblocks, bool write)
{
	uint8_t *p = buf;
	int rc = check_io(lun, buf, write);

	if (rc)
		return rc;
	if (!nblocks)
		return 0;
	rc = check_range(lun, lba, nblocks);
	if (rc)
		return rc;
	while (nblocks) {
		uint32_t n = (uint32_t)(nblocks < lun->max_xfer ?
					nblocks : lun->max_xfer);
		unsigned int slot;
		uint32_t gen;
		int status = 0;

		rc = cf_submit(lun, write, (uintptr_t)p, lba, n, false, true,
			       &slot, &gen);
		if (rc)
			return rc;
		rc = cf_wait_slot(lun, slot, gen, true, &status);
		if (rc < 0)
			return rc;
		if (status)
			return status;
		p += (size_t)n * lun->block_size;
		lba += n;
		nblocks -= n;
	}
	return 0;
}

CF_EXPORT int cflash_read(struct cflash_lun *lun, void *buf, uint64_t lba,
			  uint64_t nblocks)
{
	return sync_io(lun, buf, lba, nblocks, false);
}

CF_EXPORT int cflash_write(struct cflash_lun *lun, const void *buf,
			   uint64_t lba, uint64_t nblocks)
{
	return sync_io(lun, (void *)(uintptr_t)buf, lba, nblocks, true);
}

static int async_io(struct cflash_lun *lun, void *buf, uint64_t lba,
		    uint32_t nblocks, cflash_tag_t *tag, bool write)
{
	unsigned int slot;
	uint32_t gen;
	int rc = check_io(lun, buf, write);

	if (rc)
		return rc;
	if (!tag || !nblocks || nblocks > lun->max_xfer)
		return -EINVAL;
	rc = check_range(lun, lba, nblocks);
	if (rc)
		return rc;
	rc = cf_submit(lun, write, (uintptr_t)buf, lba, nblocks, true, false,
		       &slot, &gen);
	if (rc)
		return rc;
	*tag = cf_tag_make(slot, gen);
	return 0;
}

CF_EXPORT int cflash_aread(struct cflash_lun *lun, void *buf, uint64_t lba,
			   uint32_t nblocks, cflash_tag_t *tag)
{
	return async_io(lun, buf, lba, nblocks, tag, false);
}

CF_EXPORT int cflash_awrite(struct cflash_lun *lun, const void *buf,
			    uint64_t lba, uint32_t nblocks, cflash_tag_t *tag)
{
	return async_io(lun, (void *)(uintptr_t)buf, lba, nblocks, tag, true);
}

CF_EXPORT int cflash_aresult(struct cflash_lun *lun, cflash_tag_t tag,
			     int flags, struct cflash_completion *c)
{
	int rc = lun_check(lun);

	if (rc)
		return rc;
	if (!c || (flags & ~CFLASH_WAIT))
		return -EINVAL;
	if (tag == CFLASH_TAG_ANY)
		return cf_reap_any(lun, flags & CFLASH_WAIT, c);
	return cf_reap_tag(lun, tag, flags & CFLASH_WAIT, c);
}

/* ------------------------------------------------------------------ */
/* size, resize, info                                                  */
/* ------------------------------------------------------------------ */

CF_EXPORT int cflash_size(struct cflash_lun *lun, uint64_t *nblocks)
{
	uint64_t last;
	int rc = lun_check(lun);

	if (rc)
		return rc;
	if (!nblocks)
		return -EINVAL;
	last = __atomic_load_n(&lun->last_lba, __ATOMIC_RELAXED);
	*nblocks = last == UINT64_MAX ? 0 : last + 1;
	return 0;
}

CF_EXPORT int cflash_resize(struct cflash_lun *lun, uint64_t nblocks,
			    uint64_t *new_nblocks)
{
	struct dk_cxlflash_resize r;
	struct cf_ctx *ctx;
	int rc = lun_check(lun);

	if (rc)
		return rc;
	if (!lun->virt)
		return -EINVAL;
	ctx = lun->ctx;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->forked || ctx->dead) {
		rc = ctx->forked ? -ESTALE : ctx->dead;
		goto out;
	}
	for (int attempt = 0; attempt < 5; attempt++) {
		memset(&r, 0, sizeof(r));
		r.context_id = ctx->ctx_id;
		r.rsrc_handle = lun->rhndl;
		r.req_size = nblocks;
		rc = xioctl(lun->fd, DK_CXLFLASH_VLUN_RESIZE, &r);
		if (rc != -EAGAIN)
			break;
		sleep_ms(100u * (unsigned int)(attempt + 1));
	}
	if (!rc) {
		__atomic_store_n(&lun->last_lba, r.last_lba, __ATOMIC_RELAXED);
		if (new_nblocks)
			*new_nblocks = r.last_lba == UINT64_MAX ? 0 : r.last_lba + 1;
	}
out:
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}

CF_EXPORT int cflash_info(struct cflash_lun *lun, struct cflash_info *info)
{
	struct cf_ctx *ctx;
	int rc = lun_check(lun);

	if (rc)
		return rc;
	if (!info)
		return -EINVAL;
	ctx = lun->ctx;
	memset(info, 0, sizeof(*info));
	pthread_mutex_lock(&ctx->lock);
	info->context_id = ctx->ctx_id;
	info->rsrc_handle = lun->rhndl;
	info->last_lba = lun->last_lba;
	info->max_xfer = lun->max_xfer;
	info->block_size = lun->block_size;
	info->fd = lun->fd;
	info->adap_fd = ctx->fd2;
	info->virtual_lun = lun->virt;
	info->sq_mode = ctx->sq_mode;
	info->unmap_supported = ctx->unmap_ok;
	info->open_flags = lun->flags;
	snprintf(info->adapter, sizeof(info->adapter), "%s", ctx->adapter);
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}

CF_EXPORT int cflash_stats(struct cflash_lun *lun, struct cflash_stats *st)
{
	int rc = lun_check(lun);

	if (rc)
		return rc;
	if (!st)
		return -EINVAL;
	pthread_mutex_lock(&lun->ctx->lock);
	*st = lun->ctx->st;
	pthread_mutex_unlock(&lun->ctx->lock);
	return 0;
}

CF_EXPORT int cflash_set_timeout(struct cflash_lun *lun, unsigned int ms)
{
	int rc = lun_check(lun);

	if (rc)
		return rc;
	if (ms < 10)
		return -EINVAL;
	pthread_mutex_lock(&lun->ctx->lock);
	lun->ctx->timeout_ms = ms;
	pthread_mutex_unlock(&lun->ctx->lock);
	return 0;
}

CF_EXPORT int cflash_last_error(struct cflash_lun *lun, char *buf, size_t len)
{
	struct cf_last_err e;
	struct cf_sense s;
	char sense[64];
	int rc = lun_check(lun);

	if (rc)
		return rc;
	if (!buf || !len)
		return -EINVAL;
	pthread_mutex_lock(&lun->ctx->lock);
	e = lun->ctx->last;
	pthread_mutex_unlock(&lun->ctx->lock);
	if (!e.valid) {
		buf[0] = '\0';
		return 0;
	}
	sense[0] = '\0';
	if (cf_parse_sense(e.sa.sense, sizeof(e.sa.sense), &s))
		snprintf(sense, sizeof(sense), ", sense key 0x%x asc 0x%02x ascq 0x%02x",
			 s.key, s.asc, s.ascq);
	return snprintf(buf, len,
			"%s (errno %d) at lba %llu: afu_rc 0x%02x (%s), scsi_rc 0x%02x, "
			"fc_rc 0x%02x (%s), flags 0x%02x, afu_extra 0x%02x%s",
			cflash_strerror(e.err), -e.err,
			(unsigned long long)e.lba, e.sa.rc.afu_rc,
			cflash_afu_rc_name(e.sa.rc.afu_rc), e.sa.rc.scsi_rc,
			e.sa.rc.fc_rc, cflash_fc_rc_name(e.sa.rc.fc_rc),
			e.sa.rc.flags, e.sa.afu_extra, sense);
}
