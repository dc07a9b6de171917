// SPDX-License-Identifier: GPL-2.0-only
/*
 * race: the race tier.  Pairs of operations that can meet on one context
 * or one LUN, each stressed for a bounded time, with the emulator's
 * delay_us widening the windows (every AFU command, so every ioctl that
 * talks to the AFU, lasts that much longer).  Groups:
 *
 *   ioctl_ioctl  threads of one process drive one context (VERIFY,
 *                VLUN_RESIZE, USER_VIRTUAL, RELEASE, VLUN_CLONE) while one
 *                of them detaches, closes fd2 and re-attaches
 *   close_exit   a child has a VLUN_RESIZE / VERIFY in flight when its
 *                main thread closes fd2 and exits, exits at once, or the
 *                parent SIGKILLs it
 *   manage_lun   every ioctl that takes the LUN from the device stopped
 *                in its copy_from_user() (userfaultfd) while MANAGE_LUN
 *                DISABLE runs; then DISABLE/ENABLE in a loop while threads
 *                attach and detach on the LUN (now and then one more ioctl
 *                in between: DISABLE only takes effect on an idle LUN)
 *   reset        the same lifecycle threads (with RECOVER_AFU) while the
 *                adapter is reset (SG_SCSI_RESET host reset, bounded count)
 *   sysfs        the lifecycle threads while hwq_mode, lun_mode,
 *                irqpoll_weight and num_hwqs are written (the last two
 *                reset the adapter: bounded count)
 *   mmap_fork    a context mapped through fd2 while children are forked,
 *                touch the inherited mapping, close fd2 and exit; the
 *                parent re-attaches and re-maps meanwhile
 *
 * Errors of the racing ioctls are expected (EINVAL for a context that is
 * gone, EBUSY, ENODEV during a reset...) and only counted.  After each
 * group: every counter back to zero (sysfs user_contexts, the driver's
 * debugfs contexts / user_files / contexts_count, the emulator's user
 * contexts, LUN users, free chunks == total chunks); the caller checks
 * rmmod and the kernel log.
 *
 * usage: race [-d /dev/sdX] [-g GROUP[,GROUP...]] [-t SECONDS=5 per group]
 *             [-T THREADS=3] [-w DELAY_US=20000] [-r RESETS=2] [-s SEED] [-l]
 *   -l lists the groups.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/userfaultfd.h>
#include <poll.h>
#include <scsi/sg.h>
#include <sys/syscall.h>

#include "sp_common.h"

static struct sp_opts O;
static const char *GROUPS;
static int SECS = 5, NTHR = 3, DELAY = 20000, NRESETS = 2, LIST;
static unsigned long long SEED;
static uint64_t CHUNK4K;		/* one chunk in 4 KiB units */
static char HOSTDIR[128];

static int opt(int c, const char *arg, void *priv)
{
	(void)priv;
	switch (c) {
	case 'g': GROUPS = arg; return 0;
	case 't': SECS = atoi(arg); return SECS >= 1 ? 0 : -1;
	case 'T': NTHR = atoi(arg); return NTHR >= 1 && NTHR <= 32 ? 0 : -1;
	case 'w': DELAY = atoi(arg); return DELAY >= 0 ? 0 : -1;
	case 'r': NRESETS = atoi(arg); return NRESETS >= 0 ? 0 : -1;
	case 's': SEED = strtoull(arg, NULL, 0); return 0;
	case 'l': LIST = 1; return 0;
	}
	return -1;
}

/* ---- per-thread random numbers ---- */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static uint64_t rseed(unsigned int salt)
{
	uint64_t s = SEED ^ (0x9e3779b97f4a7c15ULL * (salt + 1));

	return s ? s : 1;
}

/* ---- operation counts of a group ---- */
struct tally {
	atomic_long ops, ok, err, other;
};

static void count(struct tally *t, int rc)
{
	atomic_fetch_add(&t->ops, 1);
	if (rc)
		atomic_fetch_add(&t->err, 1);
	else
		atomic_fetch_add(&t->ok, 1);
}

/* ---- a context of the calling process ---- */
struct uctx {
	uint64_t id;
	int fd2;
	uint64_t rh[4];
	int nrh;
};

static int ctx_open(int fd, struct uctx *u)
{
	struct dk_cxlflash_attach a;
	int rc = sp_attach(fd, O_RDWR, 0, &a);

	memset(u, 0, sizeof(*u));
	u->fd2 = -1;
	if (rc)
		return rc;
	u->id = a.context_id;
	u->fd2 = (int)(int64_t)a.adap_fd;
	return 0;
}

/*
 * ATTACH, retried for up to 3 s while it answers EBUSY: the context of a
 * process that just exited may still be on its way out (a context that
 * never goes away still fails)
 */
static int ctx_open_retry(int fd, struct uctx *u)
{
	double t0 = sp_now();
	int rc;

	while ((rc = ctx_open(fd, u)) == -EBUSY && sp_now() - t0 < 3)
		sp_msleep(50);
	return rc;
}

static void ctx_close(int fd, struct uctx *u)
{
	if (u->fd2 < 0)
		return;
	for (int i = 0; i < u->nrh; i++)
		sp_release(fd, u->id, u->rh[i]);
	sp_detach(fd, u->id);
	close(u->fd2);
	u->fd2 = -1;
	u->nrh = 0;
}

/* one random ioctl on a context; the context may be gone or in error */
static int ctx_step(int fd, struct uctx *u, uint64_t *rs, struct tally *t)
{
	uint64_t r = rnd(rs);
	uint64_t rh = u->nrh ? u->rh[r % (unsigned int)u->nrh] : 0;
	int rc;

	switch ((r >> 8) % 8) {
	case 0:
	case 1:
		rc = sp_verify(fd, u->id, rh, NULL);
		break;
	case 2:
	case 3:
		rc = sp_resize(fd, u->id, rh, CHUNK4K * ((r >> 16) % 3), NULL);
		break;
	case 4:
		if (u->nrh >= 4) {
			rc = sp_release(fd, u->id, u->rh[--u->nrh]);
			break;
		}
		rc = sp_uvirtual(fd, u->id, CHUNK4K * ((r >> 16) % 2), 0, &rh, NULL);
		if (!rc)
			u->rh[u->nrh++] = rh;
		break;
	case 5:
		if (!u->nrh) {
			rc = sp_verify(fd, u->id, 0, NULL);
			break;
		}
		rc = sp_release(fd, u->id, u->rh[u->nrh - 1]);
		if (!rc)
			u->nrh--;
		break;
	case 6: {
		struct dk_cxlflash_recover_afu ra;

		rc = sp_recover(fd, u->id, &ra);
		if (!rc && (ra.hdr.return_flags & DK_CXLFLASH_RECOVER_AFU_CONTEXT_RESET)) {
			/* new context id and a new fd2; the old one is ours to close */
			if (u->fd2 >= 0)
				close(u->fd2);
			u->id = ra.context_id;
			u->fd2 = (int)(int64_t)ra.adap_fd;
		}
		break;
	}
	default: {
		struct dk_cxlflash_clone cl;

		memset(&cl, 0, sizeof(cl));
		cl.context_id_src = u->id;
		cl.context_id_dst = u->id;
		rc = sp_ioctl(fd, DK_CXLFLASH_VLUN_CLONE, &cl);
		break;
	}
	}
	count(t, rc);
	return rc;
}

/* ---- quiescence after a group ---- */
static bool check_quiet(const char *group)
{
	struct sp_counts c;
	char s[512];
	bool ok;

	ok = sp_wait_quiet(15, &c);
	sp_counts_str(&c, s, sizeof(s));
	tap_ok(ok, "%s: counters back to zero (%s)", group, s);
	if (!ok)
		sp_dump_state();
	return ok;
}

/* ==================================================================== */
/* ioctl x ioctl: one context, several threads                          */
/* ==================================================================== */

struct shared {
	int fd;
	_Atomic uint64_t id;
	atomic_int stop;
	struct tally t;
	atomic_long reattach;
	unsigned int salt;
};

struct thr_arg {
	struct shared *sh;
	unsigned int idx;
};

static void *ii_worker(void *p)
{
	struct thr_arg *a = p;
	struct shared *sh = a->sh;
	uint64_t rs = rseed(a->idx + sh->salt);
	struct uctx u;

	memset(&u, 0, sizeof(u));
	while (!atomic_load(&sh->stop)) {
		uint64_t id = atomic_load(&sh->id);

		if (id != u.id) {	/* handles of the old context are gone */
			u.id = id;
			u.nrh = 0;
		}
		u.fd2 = -1;		/* the detacher owns fd2 */
		ctx_step(sh->fd, &u, &rs, &sh->t);
		if (u.fd2 >= 0)		/* a context reset handed out a new one */
			close(u.fd2);
	}
	/* release what this thread still holds on the current context */
	for (int i = 0; i < u.nrh; i++)
		sp_release(sh->fd, u.id, u.rh[i]);
	return NULL;
}

static void g_ioctl_ioctl(void)
{
	struct shared sh;
	pthread_t th[32];
	struct thr_arg ta[32];
	struct uctx owner;
	double end;
	int rc;

	memset(&sh, 0, sizeof(sh));
	sh.fd = sp_open_dev(O.dev);
	sh.salt = 100;
	rc = ctx_open(sh.fd, &owner);
	if (!tap_ok(rc == 0, "ioctl_ioctl: ATTACH (%s)", strerror(-rc)))
		goto out;
	atomic_store(&sh.id, owner.id);
	sp_sim_set_delay((unsigned int)DELAY / 10);
	for (int i = 0; i < NTHR; i++) {
		ta[i].sh = &sh;
		ta[i].idx = (unsigned int)i;
		pthread_create(&th[i], NULL, ii_worker, &ta[i]);
	}
	end = sp_now() + SECS;
	while (sp_now() < end) {
		sp_msleep(200);
		/* the context goes away under the workers and comes back */
		sp_detach(sh.fd, owner.id);
		close(owner.fd2);
		rc = ctx_open_retry(sh.fd, &owner);
		if (rc) {
			tap_diag("ioctl_ioctl: re-ATTACH failed: %s", strerror(-rc));
			break;
		}
		atomic_store(&sh.id, owner.id);
		atomic_fetch_add(&sh.reattach, 1);
	}
	atomic_store(&sh.stop, 1);
	for (int i = 0; i < NTHR; i++)
		pthread_join(th[i], NULL);
	sp_sim_set_delay(0);
	ctx_close(sh.fd, &owner);
	tap_ok(rc == 0, "ioctl_ioctl: re-ATTACH kept working");
	tap_diag("ioctl_ioctl: %ld ioctls from %d threads on one context (%ld ok, %ld failed) x %ld detach/re-attach",
		 atomic_load(&sh.t.ops), NTHR, atomic_load(&sh.t.ok), atomic_load(&sh.t.err),
		 atomic_load(&sh.reattach));
out:
	close(sh.fd);
	check_quiet("ioctl_ioctl");
}

/* ==================================================================== */
/* ioctl x close(fd2) x exit x SIGKILL                                  */
/* ==================================================================== */

struct ce_arg {
	int fd;
	struct uctx *u;
};

static void *ce_worker(void *p)
{
	struct ce_arg *a = p;
	uint64_t last;

	/* long ioctls: shrinking scrubs, VERIFY reads capacity */
	for (;;) {
		sp_resize(a->fd, a->u->id, a->u->rh[0], 0, &last);
		sp_verify(a->fd, a->u->id, a->u->rh[0], &last);
		sp_resize(a->fd, a->u->id, a->u->rh[0], 2 * CHUNK4K, &last);
	}
	return NULL;
}

/* the child: attach, 2-chunk vLUN, a thread in long ioctls, then go */
static void ce_child(int variant, int ready, uint64_t rs)
{
	struct uctx u;
	struct ce_arg a;
	pthread_t th;
	int fd = sp_open_dev(O.dev);
	char c = 1;

	if (fd < 0 || ctx_open_retry(fd, &u))
		_exit(3);
	if (sp_uvirtual(fd, u.id, 2 * CHUNK4K, 0, &u.rh[0], NULL))
		_exit(4);
	u.nrh = 1;
	a.fd = fd;
	a.u = &u;
	pthread_create(&th, NULL, ce_worker, &a);
	if (write(ready, &c, 1) != 1)
		_exit(5);
	usleep((useconds_t)(rnd(&rs) % ((uint64_t)DELAY * 3 + 1000)));
	switch (variant) {
	case 0:			/* close fd2 while the worker is in an ioctl, exit */
		close(u.fd2);
		_exit(0);
	case 1:			/* close fd2, keep issuing ioctls, then exit */
		close(u.fd2);
		for (int i = 0; i < 3; i++)
			sp_verify(fd, u.id, u.rh[0], NULL);
		_exit(0);
	case 2:			/* exit with everything open */
		_exit(0);
	default:		/* wait for SIGKILL */
		for (;;)
			pause();
	}
}

static void g_close_exit(void)
{
	double end = sp_now() + SECS;
	long iters = 0, by_variant[4] = { 0 }, bad_exit = 0;
	uint64_t rs = rseed(200);

	sp_sim_set_delay((unsigned int)DELAY);
	while (sp_now() < end) {
		int variant = (int)(iters % 4), st, p[2];
		pid_t pid;
		char c;

		if (pipe(p))
			break;
		pid = fork();
		if (pid == 0) {
			close(p[0]);
			ce_child(variant, p[1], rnd(&rs) | 1);
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1) {
			/* the child could not set up: a leaked context blocks ATTACH */
			waitpid(pid, &st, 0);
			close(p[0]);
			bad_exit++;
			if (bad_exit == 1)
				tap_diag("close_exit: child %ld failed to set up (exit %d)", iters,
					 WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
			iters++;
			if (bad_exit > 5)
				break;
			continue;
		}
		close(p[0]);
		if (variant == 3) {
			usleep((useconds_t)(rnd(&rs) % ((uint64_t)DELAY * 3 + 1000)));
			kill(pid, SIGKILL);
		}
		waitpid(pid, &st, 0);
		by_variant[variant]++;
		iters++;
	}
	sp_sim_set_delay(0);
	tap_ok(bad_exit == 0, "close_exit: every child could attach (%ld could not)", bad_exit);
	tap_diag("close_exit: %ld children with an ioctl in flight: %ld close(fd2)+exit, %ld close(fd2)+ioctl+exit, %ld exit, %ld SIGKILL (delay_us %d)",
		 iters, by_variant[0], by_variant[1], by_variant[2], by_variant[3], DELAY);
	check_quiet("close_exit");
}

/* ==================================================================== */
/* lifecycle workers, shared by manage_lun, reset and sysfs             */
/* ==================================================================== */

struct life {
	atomic_int stop;
	struct tally t;
	atomic_long attaches;
	unsigned int salt;
};

struct life_arg {
	struct life *l;
	unsigned int idx;
};

static void *life_worker(void *p)
{
	struct life_arg *a = p;
	struct life *l = a->l;
	uint64_t rs = rseed(a->idx + l->salt);
	int fd = sp_open_dev(O.dev);

	while (!atomic_load(&l->stop)) {
		struct uctx u;
		int rc = ctx_open(fd, &u), n;

		count(&l->t, rc);
		if (rc) {
			sp_msleep(5);
			continue;
		}
		atomic_fetch_add(&l->attaches, 1);
		n = 2 + (int)(rnd(&rs) % 8);
		for (int i = 0; i < n && !atomic_load(&l->stop); i++)
			ctx_step(fd, &u, &rs, &l->t);
		ctx_close(fd, &u);
	}
	close(fd);
	return NULL;
}

static void life_start(struct life *l, pthread_t *th, struct life_arg *ta)
{
	for (int i = 0; i < NTHR; i++) {
		ta[i].l = l;
		ta[i].idx = (unsigned int)i;
		pthread_create(&th[i], NULL, life_worker, &ta[i]);
	}
}

static void life_stop(struct life *l, pthread_t *th)
{
	atomic_store(&l->stop, 1);
	for (int i = 0; i < NTHR; i++)
		pthread_join(th[i], NULL);
}

/* ==================================================================== */
/* ioctl x MANAGE_LUN                                                   */
/* ==================================================================== */

/*
 * DISABLE takes effect only while nobody is attached and the LUN has no
 * open handle: these workers hold a context for a moment only (ATTACH,
 * now and then one more ioctl, DETACH), so the LUN is idle often.
 */
static void *ml_worker(void *p)
{
	struct life_arg *a = p;
	struct life *l = a->l;
	uint64_t rs = rseed(a->idx + l->salt);
	int fd = sp_open_dev(O.dev);

	while (!atomic_load(&l->stop)) {
		struct uctx u;
		int rc = ctx_open(fd, &u);

		count(&l->t, rc);
		if (rc)
			continue;
		atomic_fetch_add(&l->attaches, 1);
		if (rnd(&rs) % 4 == 0)
			ctx_step(fd, &u, &rs, &l->t);
		ctx_close(fd, &u);
	}
	close(fd);
	return NULL;
}

/*
 * The widest window there is: the request of an ioctl sits in a page
 * registered with userfaultfd, so the ioctl stops in its copy_from_user()
 * (after the dispatcher checked that the LUN is enabled, before the
 * handler runs) until the page is supplied; meanwhile MANAGE_LUN DISABLE
 * runs.  0 and the ioctl's result in @ioctl_rc, -errno if userfaultfd is
 * not available, 1 if the ioctl never stopped.
 */
struct stalled {
	int fd;
	unsigned long cmd;
	void *page;
	int rc;
};

static void *stalled_thread(void *p)
{
	struct stalled *st = p;

	st->rc = ioctl(st->fd, st->cmd, st->page) < 0 ? -errno : 0;
	return NULL;
}

static int stall_vs_disable(int fd, unsigned long cmd, void *req, size_t size,
			    int *disable_rc, int *ioctl_rc)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffdio_copy cp;
	struct uffd_msg msg;
	struct pollfd pfd;
	struct stalled st;
	pthread_t th;
	char *src;
	int uffd, mfd, rc = 0;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		return -errno;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		rc = -errno;
		close(uffd);
		return rc;
	}
	st.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = sp_alloc(4096);
	memcpy(src, req, size);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uint64_t)(uintptr_t)st.page;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		rc = -errno;
		goto out;
	}
	st.fd = fd;
	st.cmd = cmd;
	st.rc = 1;
	pthread_create(&th, NULL, stalled_thread, &st);
	pfd.fd = uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		rc = 1;		/* refused before copying the request */
	mfd = sp_open_dev(O.dev);
	*disable_rc = sp_manage_lun(mfd, O.dev, DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE);
	memset(&cp, 0, sizeof(cp));
	cp.dst = (uint64_t)(uintptr_t)st.page;
	cp.src = (uint64_t)(uintptr_t)src;
	cp.len = 4096;
	if (rc == 0)
		ioctl(uffd, UFFDIO_COPY, &cp);
	pthread_join(th, NULL);
	*ioctl_rc = st.rc;
	if (rc == 0)
		memcpy(req, st.page, size);	/* the answer */
	sp_manage_lun(mfd, O.dev, DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE);
	close(mfd);
out:
	munmap(st.page, 4096);
	free(src);
	close(uffd);
	return rc;
}

/* every handler that takes the LUN from the device, stalled against DISABLE */
static void manage_lun_stalled(void)
{
	union cxlflash_ioctls r;
	struct uctx u = { .fd2 = -1 };
	char w1[33], w2[33];
	int fd = sp_open_dev(O.dev), fd2 = -1, rc, drc = 0, irc = 0;
	long ran = 0, took = 0;
	bool other = O.dev2 && !sp_wwid_hex(O.dev, w1) && !sp_wwid_hex(O.dev2, w2) &&
		     strcmp(w1, w2);
	static const struct {
		const char *name;
		unsigned long cmd;
		size_t size;
	} k[] = {
		{ "ATTACH", DK_CXLFLASH_ATTACH, sizeof(r.attach) },
		{ "USER_DIRECT", DK_CXLFLASH_USER_DIRECT, sizeof(r.udirect) },
		{ "USER_VIRTUAL", DK_CXLFLASH_USER_VIRTUAL, sizeof(r.uvirtual) },
		{ "VERIFY", DK_CXLFLASH_VERIFY, sizeof(r.verify) },
		{ "RELEASE", DK_CXLFLASH_RELEASE, sizeof(r.release) },
		{ "DETACH", DK_CXLFLASH_DETACH, sizeof(r.detach) },
		{ "VLUN_RESIZE", DK_CXLFLASH_VLUN_RESIZE, sizeof(r.resize) },
		{ "VLUN_CLONE", DK_CXLFLASH_VLUN_CLONE, sizeof(r.clone) },
		{ "RECOVER_AFU", DK_CXLFLASH_RECOVER_AFU, sizeof(r.recover_afu) },
	};

	/* a context of this process on another LUN names a real context */
	if (other) {
		fd2 = sp_open_dev(O.dev2);
		if (ctx_open(fd2, &u))
			u.fd2 = -1;
	}
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		memset(&r, 0, sizeof(r));
		if (i == 0) {
			r.attach.hdr.flags = O_RDWR;
			r.attach.num_interrupts = 4;
		} else {
			if (u.fd2 < 0)
				continue;
			/* context_id is the first field after the header in all but CLONE */
			r.detach.context_id = u.id;
			r.clone.context_id_dst = u.id;
		}
		rc = stall_vs_disable(fd, k[i].cmd, &r, k[i].size, &drc, &irc);
		if (rc < 0) {
			tap_skip(strerror(-rc), "manage_lun: userfaultfd-stalled ioctls vs DISABLE");
			break;
		}
		ran++;
		took += drc == 0;
		tap_diag("manage_lun: %s stalled in copy_from_user%s, DISABLE %s, %s returned %s",
			 k[i].name, rc ? " (not: refused early)" : "", drc ? strerror(-drc) : "took effect",
			 k[i].name, irc ? strerror(-irc) : "success");
		if (i == 0 && irc == 0) {
			/* an ATTACH that succeeded after all: undo it */
			sp_detach(fd, r.attach.context_id);
			close((int)(int64_t)r.attach.adap_fd);
		}
	}
	if (ran)
		tap_diag("manage_lun: %ld ioctls stalled (userfaultfd) across a DISABLE, %ld DISABLEs took effect meanwhile",
			 ran, took);
	ctx_close(fd2, &u);
	if (fd2 >= 0)
		close(fd2);
	close(fd);
	sp_set_superpipe(O.dev, true);
}

static void g_manage_lun(void)
{
	struct life l;
	pthread_t th[32];
	struct life_arg ta[32];
	double end = sp_now() + SECS;
	long dis = 0, dis_ok = 0, en = 0;
	int fd = sp_open_dev(O.dev), rc;

	memset(&l, 0, sizeof(l));
	l.salt = 300;
	manage_lun_stalled();
	for (int i = 0; i < NTHR; i++) {
		ta[i].l = &l;
		ta[i].idx = (unsigned int)i;
		pthread_create(&th[i], NULL, ml_worker, &ta[i]);
	}
	while (sp_now() < end) {
		rc = sp_manage_lun(fd, O.dev, DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE);
		dis++;
		dis_ok += rc == 0;
		sp_manage_lun(fd, O.dev, DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE);
		en++;
	}
	life_stop(&l, th);
	rc = sp_manage_lun(fd, O.dev, DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE);
	close(fd);
	tap_ok(rc == 0 && sp_lun_mode(O.dev) == 1, "manage_lun: the LUN is in superpipe mode again (%s)",
	       strerror(-rc));
	tap_diag("manage_lun: %ld MANAGE_LUN DISABLE (%ld took effect) + %ld ENABLE x %ld ioctls from %d threads (%ld attaches)",
		 dis, dis_ok, en, atomic_load(&l.t.ops), NTHR, atomic_load(&l.attaches));
	check_quiet("manage_lun");
}

/* ==================================================================== */
/* ioctl x adapter reset                                                */
/* ==================================================================== */

static bool adapter_normal(int timeout_s)
{
	char p[200], buf[32];
	double t0 = sp_now();

	snprintf(p, sizeof(p), "%s/adapter_state", HOSTDIR);
	do {
		if (!sp_read_file(p, buf, sizeof(buf)) && !strcmp(buf, "normal"))
			return true;
		sp_msleep(100);
	} while (sp_now() - t0 < timeout_s);
	return false;
}

static void g_reset(void)
{
	struct life l;
	pthread_t th[32];
	struct life_arg ta[32];
	int fd = sp_open_dev(O.dev), resets = 0, failed = 0;
	double t0 = sp_now();

	memset(&l, 0, sizeof(l));
	l.salt = 400;
	sp_sim_set_delay((unsigned int)DELAY / 20);
	life_start(&l, th, ta);
	for (int i = 0; i < NRESETS; i++) {
		int v = SG_SCSI_RESET_HOST;

		sp_msleep((unsigned int)(SECS * 1000 / (NRESETS + 1)));
		if (ioctl(fd, SG_SCSI_RESET, &v) < 0) {
			if (!failed++)
				tap_diag("reset: SG_SCSI_RESET host: %s", strerror(errno));
		} else {
			resets++;
		}
		adapter_normal(60);
	}
	while (sp_now() - t0 < SECS)
		sp_msleep(100);
	life_stop(&l, th);
	sp_sim_set_delay(0);
	close(fd);
	tap_ok(failed == 0 && adapter_normal(60), "reset: %d host resets done, adapter normal again",
	       resets);
	tap_diag("reset: %d host resets x %ld ioctls from %d threads (%ld attaches, %ld failed ioctls)",
		 resets, atomic_load(&l.t.ops), NTHR, atomic_load(&l.attaches),
		 atomic_load(&l.t.err));
	check_quiet("reset");
}

/* ==================================================================== */
/* ioctl x sysfs writes                                                 */
/* ==================================================================== */

static int host_write(const char *attr, const char *val)
{
	char p[200];

	snprintf(p, sizeof(p), "%s/%s", HOSTDIR, attr);
	return sp_write_file(p, val);
}

static void host_read(const char *attr, char *buf, size_t len)
{
	char p[200];

	snprintf(p, sizeof(p), "%s/%s", HOSTDIR, attr);
	if (sp_read_file(p, buf, len))
		buf[0] = '\0';
}

static void g_sysfs(void)
{
	static const char * const modes[] = { "tag", "cpu", "rr" };
	struct life l;
	pthread_t th[32];
	struct life_arg ta[32];
	char mode0[16], weight0[16], hwqs0[16];
	long cheap = 0, heavy = 0, refused = 0;
	double end = sp_now() + SECS;
	int rc;

	host_read("hwq_mode", mode0, sizeof(mode0));
	host_read("irqpoll_weight", weight0, sizeof(weight0));
	host_read("num_hwqs", hwqs0, sizeof(hwqs0));
	memset(&l, 0, sizeof(l));
	l.salt = 500;
	sp_sim_set_delay((unsigned int)DELAY / 20);
	life_start(&l, th, ta);
	while (sp_now() < end) {
		host_write("hwq_mode", modes[cheap % 3]);
		rc = host_write("lun_mode", "0");
		refused += rc != 0;
		cheap += 2;
		/* the resetting writes, spread over the group */
		if (heavy < 2L * NRESETS && sp_now() > end - SECS + (heavy + 1) * SECS / (2.0 * NRESETS + 1)) {
			if (heavy % 2 == 0)
				rc = host_write("irqpoll_weight", (heavy / 2) % 2 ? weight0 : "4");
			else
				rc = host_write("num_hwqs", (heavy / 2) % 2 ? hwqs0 : "2");
			if (rc)
				tap_diag("sysfs: resetting write %ld refused: %s", heavy, strerror(-rc));
			heavy++;
			adapter_normal(60);
		}
		sp_msleep(20);
	}
	life_stop(&l, th);
	sp_sim_set_delay(0);
	/* put everything back */
	host_write("hwq_mode", mode0[0] ? mode0 : "rr");
	adapter_normal(60);
	{
		char w[16], h[16];

		host_read("irqpoll_weight", w, sizeof(w));
		if (strcmp(w, weight0))
			host_write("irqpoll_weight", weight0);
		adapter_normal(60);
		host_read("num_hwqs", h, sizeof(h));
		if (strcmp(h, hwqs0))
			host_write("num_hwqs", hwqs0);
		adapter_normal(60);
		host_read("irqpoll_weight", w, sizeof(w));
		host_read("num_hwqs", h, sizeof(h));
		tap_ok(!strcmp(w, weight0) && !strcmp(h, hwqs0) && adapter_normal(60),
		       "sysfs: irqpoll_weight %s, num_hwqs %s restored, adapter normal", w, h);
	}
	tap_ok(refused == 0, "sysfs: lun_mode 0 always accepted (%ld refused)", refused);
	tap_diag("sysfs: %ld hwq_mode/lun_mode writes + %ld resetting writes (irqpoll_weight, num_hwqs) x %ld ioctls from %d threads (%ld attaches)",
		 cheap, heavy, atomic_load(&l.t.ops), NTHR, atomic_load(&l.attaches));
	check_quiet("sysfs");
}

/* ==================================================================== */
/* mmap x fork                                                          */
/* ==================================================================== */

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

struct mf {
	int fd;
	struct uctx u;
	pthread_mutex_t lock;
	atomic_int stop;
	struct tally t;
};

static void *mf_worker(void *p)
{
	struct mf *m = p;
	uint64_t rs = rseed(600);

	while (!atomic_load(&m->stop)) {
		pthread_mutex_lock(&m->lock);
		ctx_step(m->fd, &m->u, &rs, &m->t);
		pthread_mutex_unlock(&m->lock);
	}
	return NULL;
}

static void g_mmap_fork(void)
{
	struct mf m;
	struct dk_cxlflash_attach a;
	pthread_t th;
	double end = sp_now() + SECS;
	long forks = 0, readable = 0, faulted = 0, remaps = 0;
	volatile uint64_t *map = MAP_FAILED;
	size_t mlen = 0;
	uint64_t rs = rseed(601);
	int rc;

	memset(&m, 0, sizeof(m));
	pthread_mutex_init(&m.lock, NULL);
	m.fd = sp_open_dev(O.dev);
	rc = sp_attach(m.fd, O_RDWR, 0, &a);
	if (!tap_ok(rc == 0, "mmap_fork: ATTACH (%s)", strerror(-rc)))
		goto out;
	m.u.id = a.context_id;
	m.u.fd2 = (int)(int64_t)a.adap_fd;
	mlen = a.mmio_size;
	map = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED, m.u.fd2, 0);
	if (!tap_ok(map != MAP_FAILED, "mmap_fork: mmap(fd2)"))
		goto out_ctx;
	sp_sim_set_delay((unsigned int)DELAY / 20);
	pthread_create(&th, NULL, mf_worker, &m);
	while (sp_now() < end) {
		pid_t pid;
		int st;

		pid = fork();
		if (pid == 0) {
			struct sigaction sa;
			volatile uint64_t v;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_fault;
			sigaction(SIGSEGV, &sa, NULL);
			sigaction(SIGBUS, &sa, NULL);
			if (sigsetjmp(fault_jmp, 1) == 0) {
				/* read the RRQ/status words of the inherited mapping */
				v = map[(rnd(&rs) % (mlen / 8)) & ~7ULL];
				(void)v;
				if (rnd(&rs) & 1)
					close(m.u.fd2);
				_exit(0);
			}
			_exit(1);	/* the mapping is not the child's */
		}
		if (pid > 0) {
			waitpid(pid, &st, 0);
			forks++;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				readable++;
			else
				faulted++;
		}
		if (forks % 8 == 0) {
			/* the parent re-attaches and re-maps while children come and go */
			pthread_mutex_lock(&m.lock);
			munmap((void *)map, mlen);
			ctx_close(m.fd, &m.u);
			rc = sp_attach(m.fd, O_RDWR, 0, &a);
			if (!rc) {
				m.u.id = a.context_id;
				m.u.fd2 = (int)(int64_t)a.adap_fd;
				map = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED, m.u.fd2, 0);
				remaps++;
			}
			pthread_mutex_unlock(&m.lock);
			if (rc || map == MAP_FAILED) {
				tap_diag("mmap_fork: re-attach/re-map failed: %s", strerror(-rc));
				break;
			}
		}
	}
	atomic_store(&m.stop, 1);
	pthread_join(th, NULL);
	sp_sim_set_delay(0);
	tap_ok(rc == 0 && map != MAP_FAILED, "mmap_fork: re-attach and re-map kept working");
	/* the window belongs to the context's owner: a child must VLUN_CLONE */
	tap_ok(readable == 0, "mmap_fork: no child could read the parent's fd2 mapping (%ld of %ld could)",
	       readable, forks);
	tap_diag("mmap_fork: %ld forks (inherited mapping readable in %ld children, faulted in %ld) x %ld ioctls x %ld re-attach+re-map",
		 forks, readable, faulted, atomic_load(&m.t.ops), remaps);
	if (map != MAP_FAILED)
		munmap((void *)map, mlen);
out_ctx:
	ctx_close(m.fd, &m.u);
out:
	close(m.fd);
	check_quiet("mmap_fork");
}

/* ==================================================================== */

static const struct group {
	const char *name;
	void (*fn)(void);
	const char *what;
} groups[] = {
	{ "ioctl_ioctl", g_ioctl_ioctl, "ioctl x ioctl on one context (threads), with detach/re-attach" },
	{ "mmap_fork", g_mmap_fork, "mmap(fd2) x fork x close(fd2) x re-attach" },
	{ "sysfs", g_sysfs, "ioctl x sysfs writes (hwq_mode, lun_mode, irqpoll_weight, num_hwqs)" },
	{ "reset", g_reset, "ioctl x adapter reset (SG_SCSI_RESET host) x RECOVER_AFU" },
	{ "manage_lun", g_manage_lun, "ioctl x MANAGE_LUN DISABLE/ENABLE on the same LUN" },
	{ "close_exit", g_close_exit, "ioctl in flight x close(fd2) x exit x SIGKILL" },
};

static bool selected(const char *name)
{
	const char *p = GROUPS;
	size_t n = strlen(name);

	if (!p)
		return true;
	while (*p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return false;
}

int main(int argc, char **argv)
{
	struct sp_counts c;
	char s[512];
	int host, was_sp, ran = 0;
	struct dk_cxlflash_attach a;
	int fd, rc;

	sp_parse_common(argc, argv, &O, "g:t:T:w:r:s:l", opt, NULL,
			"[-g GROUP[,..]] [-t SECS] [-T THREADS] [-w DELAY_US] [-r RESETS] [-s SEED] [-l]");
	if (LIST) {
		for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
			printf("%-12s %s\n", groups[i].name, groups[i].what);
		return 0;
	}
	if (GROUPS) {
		for (const char *p = GROUPS; *p; ) {
			size_t n = strcspn(p, ",");
			bool known = false;

			for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
				known |= strlen(groups[i].name) == n && !strncmp(groups[i].name, p, n);
			if (!known) {
				fprintf(stderr, "race: unknown group '%.*s' (-l lists them)\n", (int)n, p);
				return 2;
			}
			p += n + (p[n] == ',');
		}
	}
	if (!SEED)
		SEED = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
	tap_plan_late();
	if (!sp_pick_luns(&O)) {
		printf("1..0 # SKIP no cxlflash LUN\n");
		return 0;
	}
	host = sp_host_no(O.dev);
	snprintf(HOSTDIR, sizeof(HOSTDIR), "/sys/class/scsi_host/host%d", host);
	tap_diag("race tier on %s (host%d): %d s per group, %d threads, delay_us %d, %d resets, seed 0x%llx",
		 O.dev, host, SECS, NTHR, DELAY, NRESETS, SEED);
	tap_diag("replay: race -d %s -g GROUP -t %d -T %d -w %d -r %d -s 0x%llx", O.dev, SECS, NTHR,
		 DELAY, NRESETS, SEED);
	signal(SIGPIPE, SIG_IGN);

	was_sp = sp_lun_mode(O.dev);
	if (sp_set_superpipe(O.dev, true))
		tap_bail("MANAGE_LUN ENABLE on %s failed", O.dev);
	rc = sp_wait_quiet(15, &c);
	sp_counts_str(&c, s, sizeof(s));
	if (!tap_ok(rc, "counters at zero before the tier (%s)", s)) {
		sp_dump_state();
		sp_set_superpipe(O.dev, was_sp == 1);
		return tap_done();
	}
	/* block size and chunk size */
	fd = sp_open_dev(O.dev);
	rc = sp_attach(fd, O_RDWR, 0, &a);
	if (rc)
		tap_bail("ATTACH on %s: %s", O.dev, strerror(-rc));
	CHUNK4K = ((uint64_t)1 << 16) * a.block_size / 4096;
	sp_detach(fd, a.context_id);
	close((int)(int64_t)a.adap_fd);
	close(fd);

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		double t0;

		if (!selected(groups[i].name))
			continue;
		tap_diag("=== group %s: %s", groups[i].name, groups[i].what);
		t0 = sp_now();
		groups[i].fn();
		tap_diag("=== group %s: %.1f s", groups[i].name, sp_now() - t0);
		ran++;
	}
	sp_sim_set_delay(0);
	if (!was_sp)
		sp_set_superpipe(O.dev, false);
	tap_ok(ran > 0, "%d group(s) ran", ran);
	return tap_done();
}
