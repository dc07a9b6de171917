// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz: structured fuzzer of the DK_CXLFLASH_* ioctls.
 *
 * P processes, each with its own random stream derived from the seed, keep
 * a model of what they own (contexts with their fd2, resource handles) and
 * issue, on every cxlflash disk, requests that are
 *   - valid for that state (about half of them then get one mutation: a
 *     bit flip, a random byte, or an "interesting" 64-bit value such as 0,
 *     ~0, 1 << 63, another process's context id, the id with its
 *     generation changed; mostly in the meaningful fields, sometimes in the
 *     header or the reserved words),
 *   - random (random bytes; half of them with a clean header and zeroed
 *     reserved words so the handlers see them),
 *   - or bad pointers (NULL, unmapped, straddling a PROT_NONE page).
 * Mixed in: close(fd2) without DETACH, mmap/munmap of fd2, forks (the
 * child fuzzes with the inherited state for a while: contexts it does not
 * own, VLUN_CLONE from the parent), MANAGE_LUN DISABLE/ENABLE, reopening
 * the disk, and now and then a context error injected through the
 * emulator's debugfs (ctx_error) so that RECOVER_AFU resets a context.
 * RECOVER_AFU is fuzzed like the others, but a healthy context never
 * resets the adapter and nothing here injects AFU-wide errors, so the run
 * always finishes.
 *
 * Asserts: no process dies of a signal or reports an inconsistent answer
 * (a successful ATTACH with an unusable fd2 or nonsense sizes, an errno
 * outside the set the driver may return); no ioctl hangs (a watchdog in
 * the parent: no progress of a process for -W seconds prints its kernel
 * stack and fails); at the end every counter is back to zero (see
 * sp_counts_read()) and every LUN still attaches and opens a vLUN.
 * Errnos are only counted (printed per ioctl), not expected per mutation:
 * which flag bits are refused or ignored and whether growth is
 * best-effort are ABI choices this fuzzer does not pin down.
 *
 * The seed is printed; the same seed replays the same per-process request
 * streams (the interleaving of processes is up to the scheduler).
 *
 * usage: fuzz [-d /dev/sdX] [-n IOCTLS=100000] [-p PROCS=4] [-s SEED]
 *             [-M MANAGE_EVERY=4000] [-F FORK_EVERY=2500] [-W WATCHDOG_S=120]
 *             [-S MAX_SIZE] [-E CTXERR_EVERY=20000]
 *   -M 0 / -F 0 / -E 0: no MANAGE_LUN DISABLE / no forks / no context
 *   errors injected (the emulator's ctx_error: a context reset, which the
 *   next RECOVER_AFU on that context repairs; never an adapter reset).  -S caps the sizes of
 *   USER_VIRTUAL and VLUN_RESIZE (4 KiB units; default: any 64-bit value),
 *   e.g. to get past a known defect with huge sizes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sp_common.h"

static struct sp_opts O;
static long NIOCTL = 100000;
static int NPROC = 4, MANAGE_EVERY = 4000, FORK_EVERY = 2500, WATCHDOG = 120;
static uint64_t MAXSIZE;		/* -S: cap of lun_size / req_size, 0: none */
static int CTXERR_EVERY = 20000;	/* -E: inject a context error, 0: never */
static char ADAPTER[64];
static unsigned long long SEED;

static int opt(int c, const char *arg, void *priv)
{
	(void)priv;
	switch (c) {
	case 'n': NIOCTL = atol(arg); return NIOCTL >= 1 ? 0 : -1;
	case 'p': NPROC = atoi(arg); return NPROC >= 1 && NPROC <= 32 ? 0 : -1;
	case 's': SEED = strtoull(arg, NULL, 0); return 0;
	case 'M': MANAGE_EVERY = atoi(arg); return MANAGE_EVERY >= 0 ? 0 : -1;
	case 'F': FORK_EVERY = atoi(arg); return FORK_EVERY >= 0 ? 0 : -1;
	case 'W': WATCHDOG = atoi(arg); return WATCHDOG >= 5 ? 0 : -1;
	case 'S': MAXSIZE = strtoull(arg, NULL, 0); return 0;
	case 'E': CTXERR_EVERY = atoi(arg); return CTXERR_EVERY >= 0 ? 0 : -1;
	}
	return -1;
}

enum { K_ATTACH, K_UDIRECT, K_RELEASE, K_DETACH, K_VERIFY, K_RECOVER, K_MANAGE,
       K_UVIRTUAL, K_RESIZE, K_CLONE, NK };

static const struct kind {
	const char *name;
	unsigned long cmd;
	size_t size;
} K[NK] = {
	[K_ATTACH] = { "ATTACH", DK_CXLFLASH_ATTACH, sizeof(struct dk_cxlflash_attach) },
	[K_UDIRECT] = { "USER_DIRECT", DK_CXLFLASH_USER_DIRECT, sizeof(struct dk_cxlflash_udirect) },
	[K_RELEASE] = { "RELEASE", DK_CXLFLASH_RELEASE, sizeof(struct dk_cxlflash_release) },
	[K_DETACH] = { "DETACH", DK_CXLFLASH_DETACH, sizeof(struct dk_cxlflash_detach) },
	[K_VERIFY] = { "VERIFY", DK_CXLFLASH_VERIFY, sizeof(struct dk_cxlflash_verify) },
	[K_RECOVER] = { "RECOVER_AFU", DK_CXLFLASH_RECOVER_AFU,
			sizeof(struct dk_cxlflash_recover_afu) },
	[K_MANAGE] = { "MANAGE_LUN", DK_CXLFLASH_MANAGE_LUN, sizeof(struct dk_cxlflash_manage_lun) },
	[K_UVIRTUAL] = { "USER_VIRTUAL", DK_CXLFLASH_USER_VIRTUAL,
			 sizeof(struct dk_cxlflash_uvirtual) },
	[K_RESIZE] = { "VLUN_RESIZE", DK_CXLFLASH_VLUN_RESIZE, sizeof(struct dk_cxlflash_resize) },
	[K_CLONE] = { "VLUN_CLONE", DK_CXLFLASH_VLUN_CLONE, sizeof(struct dk_cxlflash_clone) },
};

/* errnos the driver (or the block layer in front of it) may answer with */
static bool errno_allowed(int e)
{
	switch (e) {
	case 0: case EINVAL: case EFAULT: case ENOSPC: case EBUSY: case ENODEV:
	case EPERM: case EACCES: case ENOMEM: case ENXIO: case EIO: case EAGAIN:
	case ENOENT: case EEXIST: case ERANGE: case EOVERFLOW: case E2BIG:
	case EMFILE: case ENFILE: case EBADF: case ENOTTY: case EOPNOTSUPP:
	case ETIMEDOUT: case ECANCELED: case ENOLINK: case EUCLEAN:
		return true;
	}
	return false;
}

#define NERR	160
#define MAXDEV	8
#define MAXC	6
#define MAXRH	8

/* shared between the parent (watchdog, report) and every fuzzing process */
struct shm {
	atomic_long ops[32];		/* ioctls issued, per process slot */
	atomic_long hist[NK][NERR];	/* [ioctl][errno], NERR-1: larger ones */
	atomic_long mutated, random, badptr, valid;
	atomic_long forks, closes, maps, manages, reopens, ctxerrs;
	atomic_long problems;
	char problem[4][200];
};

static struct shm *S;
static int NDEV;
static char DEVS[MAXDEV][64];
static uint8_t WWID[MAXDEV][16];
static uint64_t CHUNK4K = 65536;

struct fctx {
	uint64_t id;
	int fd2, dev;
	bool inherited;			/* the parent's, seen by a forked child */
	void *map;
	size_t mlen;
	uint64_t rh[MAXRH];
	int nrh;
};

struct proc {
	int slot;
	uint64_t rs;
	int fd[MAXDEV];
	struct fctx c[MAXC];
	int nc;
	long budget, done;
	pid_t child;			/* a forked child still fuzzing */
	uint8_t *guard;			/* two pages, the second PROT_NONE */
};

static uint64_t rnd(struct proc *p)
{
	uint64_t x = p->rs;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	p->rs = x;
	return x;
}

static uint64_t below(struct proc *p, uint64_t n)
{
	return n ? rnd(p) % n : 0;
}

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
	long n = atomic_fetch_add(&S->problems, 1);
	va_list ap;

	if (n >= 4)
		return;
	va_start(ap, fmt);
	vsnprintf(S->problem[n], sizeof(S->problem[n]), fmt, ap);
	va_end(ap);
}

static void hex_to_wwid(const char *h, uint8_t *w)
{
	for (int i = 0; i < 16; i++) {
		unsigned int b;

		sscanf(h + 2 * i, "%2x", &b);
		w[i] = (uint8_t)b;
	}
}

/* ---- the process's model ---- */

static struct fctx *ctx_find(struct proc *p, uint64_t id)
{
	for (int i = 0; i < p->nc; i++)
		if (p->c[i].id == id)
			return &p->c[i];
	return NULL;
}

static void ctx_drop(struct proc *p, struct fctx *c, bool detach)
{
	if (c->map)
		munmap(c->map, c->mlen);
	if (detach && !c->inherited)
		sp_detach(p->fd[c->dev], c->id);
	if (c->fd2 >= 0)
		close(c->fd2);
	*c = p->c[--p->nc];
}

static struct fctx *pick_ctx(struct proc *p)
{
	return p->nc ? &p->c[below(p, (uint64_t)p->nc)] : NULL;
}

static uint64_t pick_size(struct proc *p)
{
	switch (below(p, 6)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return CHUNK4K;
	case 3: return 2 * CHUNK4K;
	case 4: return below(p, 4 * CHUNK4K);
	default: return CHUNK4K - 1;
	}
}

/* a request that is valid for the current state; returns the disk index */
static int gen_valid(struct proc *p, int k, void *req)
{
	struct fctx *c = pick_ctx(p);
	uint64_t id = c ? c->id : rnd(p);
	uint64_t rh = c && c->nrh ? c->rh[below(p, (uint64_t)c->nrh)] : below(p, 4);
	int dev = c ? c->dev : (int)below(p, (uint64_t)NDEV);

	memset(req, 0, K[k].size);
	switch (k) {
	case K_ATTACH: {
		struct dk_cxlflash_attach *a = req;

		a->hdr.flags = below(p, 8) ? O_RDWR : below(p, 2) ? O_RDONLY : O_WRONLY;
		a->num_interrupts = below(p, 5);
		if (c && below(p, 4) == 0) {	/* add another LUN to a context */
			a->hdr.flags |= DK_CXLFLASH_ATTACH_REUSE_CONTEXT;
			a->context_id = c->id;
			dev = (int)below(p, (uint64_t)NDEV);
		} else {
			dev = (int)below(p, (uint64_t)NDEV);
		}
		break;
	}
	case K_UDIRECT:
		((struct dk_cxlflash_udirect *)req)->context_id = id;
		break;
	case K_RELEASE:
		((struct dk_cxlflash_release *)req)->context_id = id;
		((struct dk_cxlflash_release *)req)->rsrc_handle = rh;
		break;
	case K_DETACH:
		((struct dk_cxlflash_detach *)req)->context_id = id;
		break;
	case K_VERIFY: {
		struct dk_cxlflash_verify *v = req;

		v->context_id = id;
		v->rsrc_handle = rh;
		v->hint = below(p, 2) ? DK_CXLFLASH_VERIFY_HINT_SENSE : 0;
		break;
	}
	case K_RECOVER:
		((struct dk_cxlflash_recover_afu *)req)->context_id = id;
		((struct dk_cxlflash_recover_afu *)req)->reason = rnd(p);
		break;
	case K_MANAGE: {
		struct dk_cxlflash_manage_lun *m = req;

		dev = (int)below(p, (uint64_t)NDEV);
		memcpy(m->wwid, WWID[dev], 16);
		m->hdr.flags = DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE;
		break;
	}
	case K_UVIRTUAL: {
		struct dk_cxlflash_uvirtual *u = req;

		u->context_id = id;
		u->lun_size = pick_size(p);
		if (below(p, 4) == 0)
			u->hdr.flags = DK_CXLFLASH_UVIRTUAL_NEED_WRITE_SAME;
		break;
	}
	case K_RESIZE: {
		struct dk_cxlflash_resize *r = req;

		r->context_id = id;
		r->rsrc_handle = rh;
		r->req_size = pick_size(p);
		break;
	}
	case K_CLONE: {
		struct dk_cxlflash_clone *cl = req;
		struct fctx *src = NULL;

		for (int i = 0; i < p->nc; i++)
			if (p->c[i].inherited)
				src = &p->c[i];
		cl->context_id_src = src ? src->id : id;
		cl->context_id_dst = id;
		break;
	}
	}
	return dev;
}

static uint64_t interesting(struct proc *p, uint64_t cur)
{
	struct fctx *c = pick_ctx(p);

	switch (below(p, 10)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return ~0ULL;
	case 3: return 1ULL << 63;
	case 4: return 0x7fffffffULL;
	case 5: return c ? c->id : cur + 1;
	case 6: return cur ^ (1ULL << (32 + below(p, 32)));	/* another generation */
	case 7: return cur + 1;
	case 8: return cur - 1;
	default: return rnd(p);
	}
}

/* one mutation, mostly in the fields before the reserved words */
static void mutate(struct proc *p, int k, void *req)
{
	uint8_t *b = req;
	size_t n = K[k].size, span = below(p, 10) < 8 ? n - 64 : n;
	size_t off = (size_t)below(p, span);
	uint64_t w;

	switch (below(p, 3)) {
	case 0:
		b[off] ^= (uint8_t)(1u << below(p, 8));
		break;
	case 1:
		b[off] = (uint8_t)rnd(p);
		break;
	default:
		off &= ~(size_t)7;
		memcpy(&w, b + off, 8);
		w = interesting(p, w);
		memcpy(b + off, &w, 8);
		break;
	}
}

static void gen_random(struct proc *p, int k, void *req)
{
	uint8_t *b = req;

	for (size_t i = 0; i < K[k].size; i++)
		b[i] = (uint8_t)rnd(p);
	if (below(p, 2)) {		/* get past the dispatcher's checks */
		struct dk_cxlflash_hdr *h = req;
		uint64_t f = rnd(p);

		memset(h, 0, sizeof(h->version) + sizeof(h->rsvd));
		h->return_flags = 0;
		h->flags = below(p, 2) ? f & (0xFULL << 60 | 3) : f;
		memset(b + K[k].size - 64, 0, 64);
		if (k == K_VERIFY)
			memset(((struct dk_cxlflash_verify *)req)->pad, 0, 6);
	}
}

static void record(int k, int rc)
{
	int e = -rc;

	atomic_fetch_add(&S->hist[k][e < NERR - 1 ? e : NERR - 1], 1);
	if (!errno_allowed(e))
		problem("%s returned errno %d (%s)", K[k].name, e, strerror(e));
}

/* learn from a successful request (what a real client would keep) */
static void learn(struct proc *p, int k, int dev, void *req, uint64_t in_id)
{
	switch (k) {
	case K_ATTACH: {
		struct dk_cxlflash_attach *a = req;
		int fd2 = (int)(int64_t)a->adap_fd;

		if (a->hdr.flags & DK_CXLFLASH_ATTACH_REUSE_CONTEXT) {
			if (a->adap_fd != UINT64_MAX)
				problem("ATTACH(REUSE) returned adap_fd %lld, not -1",
					(long long)a->adap_fd);
			break;
		}
		if (fd2 < 0 || fcntl(fd2, F_GETFD) < 0 ||
		    (a->block_size != 512 && a->block_size != 4096) || !a->mmio_size ||
		    !a->last_lba) {
			problem("ATTACH ok but adap_fd %lld block_size %llu mmio_size %llu last_lba %llu",
				(long long)a->adap_fd, (unsigned long long)a->block_size,
				(unsigned long long)a->mmio_size, (unsigned long long)a->last_lba);
			break;
		}
		if (p->nc == MAXC) {	/* table full: drop the oldest one */
			ctx_drop(p, &p->c[0], true);
		}
		p->c[p->nc] = (struct fctx){ .id = a->context_id, .fd2 = fd2, .dev = dev,
					     .mlen = a->mmio_size };
		p->nc++;
		break;
	}
	case K_UDIRECT:
	case K_UVIRTUAL: {
		uint64_t id = k == K_UDIRECT ? ((struct dk_cxlflash_udirect *)req)->context_id :
			      ((struct dk_cxlflash_uvirtual *)req)->context_id;
		uint64_t rh = k == K_UDIRECT ? ((struct dk_cxlflash_udirect *)req)->rsrc_handle :
			      ((struct dk_cxlflash_uvirtual *)req)->rsrc_handle;
		struct fctx *c = ctx_find(p, id);

		if (c && c->nrh < MAXRH)
			c->rh[c->nrh++] = rh;
		break;
	}
	case K_RELEASE: {
		struct dk_cxlflash_release *r = req;
		struct fctx *c = ctx_find(p, r->context_id);

		for (int i = 0; c && i < c->nrh; i++)
			if (c->rh[i] == r->rsrc_handle) {
				c->rh[i] = c->rh[--c->nrh];
				break;
			}
		break;
	}
	case K_DETACH: {
		struct fctx *c = ctx_find(p, ((struct dk_cxlflash_detach *)req)->context_id);

		if (c && !c->inherited)
			ctx_drop(p, c, false);
		break;
	}
	case K_RECOVER: {
		struct dk_cxlflash_recover_afu *r = req;

		if (r->hdr.return_flags & DK_CXLFLASH_RECOVER_AFU_CONTEXT_RESET) {
			/* a new id and fd2 replace the old ones, ours to close */
			struct fctx *c = ctx_find(p, in_id);

			if (c && !c->inherited) {
				if (c->map)
					munmap(c->map, c->mlen);
				c->map = NULL;
				if (c->fd2 >= 0)
					close(c->fd2);
				c->fd2 = (int)(int64_t)r->adap_fd;
				c->id = r->context_id;
			} else {
				close((int)(int64_t)r->adap_fd);
			}
		}
		break;
	}
	default:
		break;
	}
}

static void do_ioctl(struct proc *p)
{
	union cxlflash_ioctls u;
	int k = (int)below(p, NK), dev, rc, how = (int)below(p, 100);
	void *arg = &u;
	uint64_t in_id;

	if (k == K_MANAGE && below(p, 4))	/* fewer MANAGE_LUNs: they are slow */
		k = K_VERIFY;
	if (how < 45) {
		dev = gen_valid(p, k, &u);
		atomic_fetch_add(&S->valid, 1);
	} else if (how < 88) {
		dev = gen_valid(p, k, &u);
		mutate(p, k, &u);
		atomic_fetch_add(&S->mutated, 1);
	} else if (how < 97) {
		dev = (int)below(p, (uint64_t)NDEV);
		gen_random(p, k, &u);
		atomic_fetch_add(&S->random, 1);
	} else {
		dev = gen_valid(p, k, &u);
		atomic_fetch_add(&S->badptr, 1);
		switch (below(p, 3)) {
		case 0: arg = NULL; break;
		case 1: arg = p->guard + 4096; break;
		default:
			arg = p->guard + 4096 - K[k].size / 2;
			memcpy(arg, &u, K[k].size / 2);
			break;
		}
	}
	if (k == K_MANAGE && arg == &u) {
		/* never DISABLE here unless asked to (the mixed-in step does it) */
		u.manage_lun.hdr.flags &= ~DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE;
	}
	if (MAXSIZE && arg == &u) {
		if (k == K_UVIRTUAL && u.uvirtual.lun_size > MAXSIZE)
			u.uvirtual.lun_size %= MAXSIZE + 1;
		if (k == K_RESIZE && u.resize.req_size > MAXSIZE)
			u.resize.req_size %= MAXSIZE + 1;
	}
	in_id = u.recover_afu.context_id;
	rc = sp_ioctl(p->fd[dev], K[k].cmd, arg);
	atomic_fetch_add(&S->ops[p->slot], 1);
	p->done++;
	record(k, rc);
	if (!rc && arg == &u)
		learn(p, k, dev, &u, in_id);
	if (!rc && k == K_ATTACH && arg != &u) {
		/* a bad pointer cannot succeed: nothing to learn */
		problem("ATTACH with a bad pointer succeeded");
	}
}

/* ---- the mixed-in process operations ---- */

static void fuzz_loop(struct proc *p);

static void reap(struct proc *p)
{
	int st;

	if (!p->child)
		return;
	while (waitpid(p->child, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		problem("forked child of slot %d ended with status 0x%x", p->slot, st);
	p->child = 0;
}

static void do_fork(struct proc *p)
{
	pid_t pid;

	reap(p);
	atomic_fetch_add(&S->forks, 1);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		/* the child: the parent's contexts are not its own */
		for (int i = 0; i < p->nc; i++) {
			p->c[i].inherited = true;
			p->c[i].nrh = 0;
		}
		p->child = 0;
		p->rs ^= 0x5bd1e995ULL * (uint64_t)(p->done + 1);
		p->budget = p->done + 100 + (long)below(p, 400);
		fuzz_loop(p);
		reap(p);
		if (below(p, 2)) {	/* leave the rest to the release path */
			for (int i = p->nc - 1; i >= 0; i--)
				ctx_drop(p, &p->c[i], true);
		}
		_exit(0);
	}
	/* the parent goes on meanwhile: reaped at the next fork or the end */
	p->child = pid;
}

static void do_misc(struct proc *p)
{
	struct fctx *c = pick_ctx(p);

	switch (below(p, 4)) {
	case 0:			/* the application closes fd2 without DETACH */
		if (c) {
			atomic_fetch_add(&S->closes, 1);
			ctx_drop(p, c, false);
		}
		break;
	case 1:			/* map or unmap fd2 */
		if (c && c->fd2 >= 0) {
			atomic_fetch_add(&S->maps, 1);
			if (c->map) {
				munmap(c->map, c->mlen);
				c->map = NULL;
			} else {
				c->map = mmap(NULL, c->mlen, PROT_READ | PROT_WRITE, MAP_SHARED,
					      c->fd2, 0);
				if (c->map == MAP_FAILED)
					c->map = NULL;
			}
		}
		break;
	case 2: {		/* reopen a disk */
		int d = (int)below(p, (uint64_t)NDEV), fd = sp_open_dev(DEVS[d]);

		if (fd >= 0) {
			atomic_fetch_add(&S->reopens, 1);
			close(p->fd[d]);
			p->fd[d] = fd;
		}
		break;
	}
	default:		/* a context too many: detach one */
		if (c && p->nc > 2)
			ctx_drop(p, c, true);
		break;
	}
}

static void do_manage(struct proc *p)
{
	int d = (int)below(p, (uint64_t)NDEV);

	atomic_fetch_add(&S->manages, 1);
	sp_manage_lun(p->fd[d], DEVS[d], DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE);
	usleep((useconds_t)below(p, 2000));
	sp_manage_lun(p->fd[d], DEVS[d], DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE);
}

/*
 * The emulator puts one of our contexts in error (a context reset, not an
 * adapter reset): the next RECOVER_AFU on it has the real work to do.
 */
static void do_ctx_error(struct proc *p)
{
	struct fctx *c = pick_ctx(p);
	char path[160], v[24];

	if (!c || c->inherited || !ADAPTER[0])
		return;
	snprintf(path, sizeof(path), "/sys/kernel/debug/cxlflash_sim/%s/ctx_error", ADAPTER);
	snprintf(v, sizeof(v), "%u", (unsigned int)c->id);
	if (!sp_write_file(path, v))
		atomic_fetch_add(&S->ctxerrs, 1);
}

static void fuzz_loop(struct proc *p)
{
	while (p->done < p->budget) {
		uint64_t r = rnd(p);

		if (FORK_EVERY && r % (uint64_t)FORK_EVERY == 0)
			do_fork(p);
		else if (MANAGE_EVERY && (r >> 20) % (uint64_t)MANAGE_EVERY == 0)
			do_manage(p);
		else if ((r >> 40) % 150 == 0)
			do_misc(p);
		else if (CTXERR_EVERY && (r >> 30) % (uint64_t)CTXERR_EVERY == 0)
			do_ctx_error(p);
		else
			do_ioctl(p);
	}
}

static void fuzz_proc(int slot, long budget)
{
	struct proc p;

	memset(&p, 0, sizeof(p));
	p.slot = slot;
	p.rs = SEED ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(slot + 1));
	if (!p.rs)
		p.rs = 1;
	p.budget = budget;
	p.guard = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p.guard == MAP_FAILED || mprotect(p.guard + 4096, 4096, PROT_NONE))
		_exit(3);
	for (int d = 0; d < NDEV; d++) {
		p.fd[d] = sp_open_dev(DEVS[d]);
		if (p.fd[d] < 0)
			_exit(4);
	}
	fuzz_loop(&p);
	reap(&p);
	for (int i = p.nc - 1; i >= 0; i--)
		ctx_drop(&p, &p.c[i], true);
	_exit(0);
}

static void kernel_stack(pid_t pid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stack", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		tap_diag("  pid %d: %s", (int)pid, line);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	static char names[64][64];
	pid_t pids[32];
	bool alive[32], hang = false, sig = false;
	long last[32];
	double lastt[32], t0;
	int was_sp[MAXDEV], n, bad_exit = 0;
	struct sp_counts c;
	char s[512];
	long total = 0;

	sp_parse_common(argc, argv, &O, "n:p:s:M:F:W:S:E:", opt, NULL,
			"[-n IOCTLS] [-p PROCS] [-s SEED] [-M MANAGE_EVERY] [-F FORK_EVERY] [-W WATCHDOG_S] [-S MAX_SIZE_4K] [-E CTXERR_EVERY]");
	if (!SEED)
		SEED = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
	tap_plan_late();
	if (!sp_sim_adapter(ADAPTER, sizeof(ADAPTER)))
		ADAPTER[0] = '\0';
	n = sp_find_luns(names, 64);
	if (O.dev) {
		snprintf(DEVS[0], sizeof(DEVS[0]), "%.63s", O.dev);
		NDEV = 1;
	}
	for (int i = 0; i < n && NDEV < MAXDEV; i++)
		if (!O.dev || strcmp(names[i], O.dev))
			snprintf(DEVS[NDEV++], sizeof(DEVS[0]), "%.63s", names[i]);
	if (!NDEV) {
		printf("1..0 # SKIP no cxlflash LUN\n");
		return 0;
	}
	tap_diag("fuzz: seed 0x%llx, %ld ioctls over %d processes, %d disks, MANAGE_LUN DISABLE every ~%d steps, fork every ~%d",
		 SEED, NIOCTL, NPROC, NDEV, MANAGE_EVERY, FORK_EVERY);
	tap_diag("replay: fuzz -s 0x%llx -n %ld -p %d -M %d -F %d -E %d -S %llu", SEED, NIOCTL, NPROC,
		 MANAGE_EVERY, FORK_EVERY, CTXERR_EVERY, (unsigned long long)MAXSIZE);
	for (int d = 0; d < NDEV; d++) {
		char h[33];

		if (sp_wwid_hex(DEVS[d], h))
			tap_bail("no WWID for %s", DEVS[d]);
		hex_to_wwid(h, WWID[d]);
		was_sp[d] = sp_lun_mode(DEVS[d]);
		if (sp_set_superpipe(DEVS[d], true))
			tap_bail("MANAGE_LUN ENABLE on %s failed", DEVS[d]);
	}
	{
		struct dk_cxlflash_attach a;
		int fd = sp_open_dev(DEVS[0]);

		if (fd < 0 || sp_attach(fd, O_RDWR, 0, &a))
			tap_bail("ATTACH on %s failed", DEVS[0]);
		CHUNK4K = ((uint64_t)1 << 16) * a.block_size / 4096;
		sp_detach(fd, a.context_id);
		close((int)(int64_t)a.adap_fd);
		close(fd);
	}
	if (!tap_ok(sp_wait_quiet(15, &c), "counters at zero before fuzzing")) {
		sp_dump_state();
		return tap_done();
	}

	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED)
		tap_bail("mmap: %s", strerror(errno));
	memset(S, 0, sizeof(*S));
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	t0 = sp_now();
	for (int i = 0; i < NPROC; i++) {
		long share = NIOCTL / NPROC + (i < NIOCTL % NPROC);

		pids[i] = fork();
		if (pids[i] == 0)
			fuzz_proc(i, share);
		alive[i] = pids[i] > 0;
		last[i] = 0;
		lastt[i] = t0;
	}

	/* watchdog: every process must make progress */
	for (;;) {
		bool any = false;
		double now;

		sp_msleep(250);
		now = sp_now();
		for (int i = 0; i < NPROC; i++) {
			int st;
			long o;

			if (!alive[i])
				continue;
			if (waitpid(pids[i], &st, WNOHANG) == pids[i]) {
				alive[i] = false;
				if (WIFSIGNALED(st)) {
					sig = true;
					tap_diag("process %d killed by signal %d", i, WTERMSIG(st));
				} else if (WEXITSTATUS(st)) {
					bad_exit++;
					tap_diag("process %d exited %d", i, WEXITSTATUS(st));
				}
				continue;
			}
			any = true;
			o = atomic_load(&S->ops[i]);
			if (o != last[i]) {
				last[i] = o;
				lastt[i] = now;
			} else if (now - lastt[i] > WATCHDOG && !hang) {
				hang = true;
				tap_diag("watchdog: process %d (pid %d) made no progress for %d s after %ld ioctls; kernel stacks:",
					 i, (int)pids[i], WATCHDOG, o);
				kernel_stack(pids[i]);
				for (int j = 0; j < NPROC; j++)
					if (alive[j] && j != i)
						kernel_stack(pids[j]);
			}
		}
		if (hang) {
			for (int i = 0; i < NPROC; i++)
				if (alive[i])
					kill(pids[i], SIGKILL);
		}
		if (!any)
			break;
	}
	for (int i = 0; i < NPROC; i++)
		total += atomic_load(&S->ops[i]);
	{
		double secs = sp_now() - t0;

		tap_diag("fuzz: %ld ioctls in %.1f s (%.0f/s): %ld valid, %ld mutated, %ld random, %ld bad pointers",
			 total, secs, total / (secs > 0 ? secs : 1), atomic_load(&S->valid),
			 atomic_load(&S->mutated), atomic_load(&S->random), atomic_load(&S->badptr));
		tap_diag("fuzz: mixed in %ld forks, %ld close(fd2), %ld mmap/munmap, %ld MANAGE_LUN DISABLE+ENABLE, %ld reopens, %ld context errors",
			 atomic_load(&S->forks), atomic_load(&S->closes), atomic_load(&S->maps),
			 atomic_load(&S->manages), atomic_load(&S->reopens), atomic_load(&S->ctxerrs));
	}
	for (int k = 0; k < NK; k++) {
		char line[400];
		size_t o = 0;

		for (int e = 0; e < NERR && o < sizeof(line) - 40; e++) {
			long v = atomic_load(&S->hist[k][e]);

			if (v)
				o += (size_t)snprintf(line + o, sizeof(line) - o, " %s=%ld",
						      e ? (e == NERR - 1 ? "other" : strerrorname_np(e)) : "ok", v);
		}
		tap_diag("  %-12s%s", K[k].name, line);
	}
	tap_ok(!hang, "no ioctl hung (watchdog %d s)", WATCHDOG);
	tap_ok(!sig && !bad_exit, "no fuzzing process died (%s)", sig ? "signal" : bad_exit ? "bad exit" : "ok");
	for (long i = 0; i < atomic_load(&S->problems) && i < 4; i++)
		tap_diag("problem: %s", S->problem[i]);
	tap_ok(atomic_load(&S->problems) == 0, "every answer consistent (%ld problems)",
	       atomic_load(&S->problems));
	tap_ok(total >= NIOCTL || hang, "%ld of %ld ioctls issued", total, NIOCTL);

	for (int d = 0; d < NDEV; d++)
		sp_set_superpipe(DEVS[d], true);
	{
		bool q = sp_wait_quiet(20, &c);

		sp_counts_str(&c, s, sizeof(s));
		if (!tap_ok(q, "counters back to zero (%s)", s))
			sp_dump_state();
	}
	/* the adapter still serves a fresh tenant on every LUN */
	for (int d = 0; d < NDEV; d++) {
		struct dk_cxlflash_attach a;
		uint64_t rh = 0;
		int fd = sp_open_dev(DEVS[d]), rc, rc2 = -1;

		rc = fd < 0 ? fd : sp_attach(fd, O_RDWR, 0, &a);
		if (!rc) {
			rc2 = sp_uvirtual(fd, a.context_id, CHUNK4K, 0, &rh, NULL);
			if (!rc2)
				rc2 = sp_release(fd, a.context_id, rh);
			sp_detach(fd, a.context_id);
			close((int)(int64_t)a.adap_fd);
		}
		if (fd >= 0)
			close(fd);
		tap_ok(!rc && !rc2, "%s: ATTACH + 1-chunk vLUN after fuzzing (%s / %s)", DEVS[d],
		       strerror(-rc), strerror(-rc2));
	}
	for (int d = 0; d < NDEV; d++)
		if (was_sp[d] == 0)
			sp_set_superpipe(DEVS[d], false);
	tap_diag("replay: fuzz -s 0x%llx -n %ld -p %d -M %d -F %d -E %d -S %llu", SEED, NIOCTL, NPROC,
		 MANAGE_EVERY, FORK_EVERY, CTXERR_EVERY, (unsigned long long)MAXSIZE);
	return tap_done();
}
