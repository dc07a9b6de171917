// SPDX-License-Identifier: GPL-2.0-only
/*
 * lifetime: context and LUN lifetimes under a hostile client (issue 11).
 *
 *  ids      ATTACH, DETACH, ATTACH returns a new context id every time,
 *           although the AFU reuses the hardware context at once; the
 *           stale id is EINVAL on VERIFY, VLUN_RESIZE and DETACH and does
 *           not touch the new context's virtual LUN (defect 5).
 *  fork     the fd2 mapping is not inherited: a forked child touching the
 *           parent's window (a load; a WRITE queued by a store to IOARRIN)
 *           gets SIGSEGV, and the parent's data is unchanged (defect 3).
 *  close    fd2 closed, and the process gone, while a VLUN_RESIZE to 0
 *           (scrubbing) or a VERIFY with sense data (READ CAPACITY) is in
 *           flight on the context: the emulated AFU's delay_us widens the
 *           window.  Afterwards nothing is left: no context, no adapter
 *           file, the LUN has no users and all its chunks, and a new
 *           ATTACH works (defect 2).
 *  disable  MANAGE_LUN DISABLE/ENABLE in a loop against ATTACH/DETACH
 *           and other ioctls on the same LUN for a few seconds: no oops
 *           (the harness fails on any kernel splat), every errno from the
 *           documented set (defect 1).
 *  delete   the administrator deletes the idle, superpipe-enabled path
 *           (sysfs delete), the LUN's only enabled one (other paths are
 *           made legacy meanwhile): the driver's record goes with it;
 *           after a rescan the path is back, legacy, and can be enabled
 *           and attached again with the LUN's full capacity.
 *
 * usage: lifetime [-d /dev/sdX] [-t SECONDS (disable race, default 5)]
 *                 [-s ids,fork,close,disable,delete (the parts to run; default all)] [-v]
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
#include <unistd.h>

#include "sp_common.h"
#include "cflash_int.h"	/* cf_build_rw(), SISL_R_IOARRIN */

static struct sp_opts O;
static int race_secs = 5;
static char wwid[33];
static int host_no = -1;
static char sim_adap[256];
static const char *parts = "ids,fork,close,disable,delete";

static bool part(const char *name)
{
	size_t n = strlen(name);

	for (const char *p = parts; (p = strstr(p, name)); p += n)
		if ((p == parts || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* 4 KiB units per 256 MiB chunk (65536 device blocks) */
static uint64_t chunk_units(uint32_t bs)
{
	return 65536ULL * bs / 4096;
}

static int read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int drv_counter(const char *name)
{
	char p[256];

	if (!strcmp(name, "user_contexts"))
		snprintf(p, sizeof(p), "/sys/class/scsi_host/host%d/user_contexts", host_no);
	else
		snprintf(p, sizeof(p), "/sys/kernel/debug/cxlflash/host%d/%s", host_no, name);
	return read_int(p);
}

/* contexts listed in the driver's debugfs for our host */
static int drv_contexts_listed(void)
{
	char p[256], line[512];
	FILE *f;
	int n = 0;

	snprintf(p, sizeof(p), "/sys/kernel/debug/cxlflash/host%d/contexts", host_no);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static int sim_write(const char *knob, unsigned long val)
{
	char p[512];
	FILE *f;
	int rc;

	snprintf(p, sizeof(p), "/sys/kernel/debug/cxlflash_sim/%s/%s", sim_adap, knob);
	f = fopen(p, "w");
	if (!f)
		return -errno;
	rc = fprintf(f, "%lu\n", val) < 0 ? -EIO : 0;
	if (fclose(f))
		rc = -errno;
	return rc;
}

struct snapshot {
	int user_contexts, user_files, contexts_count, listed, sim_user;
	struct sp_lunrec lun;
	bool have_lun;
};

static void snap(struct snapshot *s)
{
	s->user_contexts = drv_counter("user_contexts");
	s->user_files = drv_counter("user_files");
	s->contexts_count = drv_counter("contexts_count");
	s->listed = drv_contexts_listed();
	s->sim_user = sp_sim_user_contexts();
	s->have_lun = sp_lunrec(wwid, &s->lun);
}

static bool clean(const struct snapshot *s)
{
	return s->user_contexts == 0 && s->user_files == 0 && s->contexts_count == 0 &&
	       s->listed == 0 && (s->sim_user <= 0) &&
	       (!s->have_lun || (s->lun.users == 0 && !strcmp(s->lun.mode, "none") &&
				 s->lun.nfree == s->lun.chunks));
}

static void snap_diag(const struct snapshot *s)
{
	tap_diag("user_contexts=%d user_files=%d contexts_count=%d listed=%d sim_user=%d",
		 s->user_contexts, s->user_files, s->contexts_count, s->listed, s->sim_user);
	if (s->have_lun)
		tap_diag("LUN mode=%s users=%d chunks=%llu free=%llu", s->lun.mode,
			 s->lun.users, s->lun.chunks, s->lun.nfree);
}

/* wait up to @ms for everything to be released; true when clean */
static bool wait_clean(struct snapshot *s, int ms)
{
	snap(s);
	for (int t = 0; t < ms && !clean(s); t += 100) {
		sp_msleep(100);
		snap(s);
	}
	return clean(s);
}

/* ------------------------------------------------------------------ */
/* ids: context ids never repeat                                       */
/* ------------------------------------------------------------------ */

static void test_ids(void)
{
	uint64_t ids[8], pe0 = 0;
	bool distinct = true, same_pe = true;
	struct dk_cxlflash_attach a;
	int fd = sp_open_dev(O.dev), n = 0;

	if (fd < 0)
		tap_bail("open %s: %s", O.dev, strerror(-fd));

	/* eight ATTACH/DETACH in a row: all ids distinct */
	for (int i = 0; i < 8; i++) {
		if (sp_attach(fd, O_RDWR, 0, &a))
			break;
		ids[n++] = a.context_id;
		sp_detach(fd, a.context_id);
		close((int)(int64_t)a.adap_fd);
	}
	for (int i = 0; i < n; i++) {
		if (i == 0)
			pe0 = ids[0] & 0xFFFFFFFF;
		else if ((ids[i] & 0xFFFFFFFF) != pe0)
			same_pe = false;
		for (int j = 0; j < i; j++)
			if (ids[i] == ids[j])
				distinct = false;
	}
	tap_ok(n == 8 && distinct, "8 ATTACH/DETACH: 8 distinct context ids (%d attached)", n);
	if (!distinct || n < 8)
		for (int i = 0; i < n; i++)
			tap_diag("id %d: %016llx", i, (unsigned long long)ids[i]);
	tap_diag("hardware context %s reused by every attach",
		 same_pe ? "was" : "was not always");

	/*
	 * Stale id against the context that reuses its hardware id.  Two
	 * rounds, the second shifted by one attach, so that whatever the
	 * generation's parity, one round meets an encoding that would alias
	 * if generations were merged pairwise.
	 */
	for (int round = 0; round < 2; round++) {
		struct dk_cxlflash_attach b;
		uint64_t rh = 0, last = 0, last2 = 0, units;
		int rc, rv, rr, rd, rv2;

		if (round == 1 && sp_attach(fd, O_RDWR, 0, &a) == 0) {
			sp_detach(fd, a.context_id);
			close((int)(int64_t)a.adap_fd);
		}
		rc = sp_attach(fd, O_RDWR, 0, &a);
		if (rc) {
			tap_ok(false, "round %d: ATTACH: %s", round, strerror(-rc));
			continue;
		}
		sp_detach(fd, a.context_id);
		close((int)(int64_t)a.adap_fd);
		rc = sp_attach(fd, O_RDWR, 0, &b);
		if (rc) {
			tap_ok(false, "round %d: second ATTACH: %s", round, strerror(-rc));
			continue;
		}
		units = chunk_units(b.block_size);
		tap_ok(b.context_id != a.context_id,
		       "round %d: ATTACH, DETACH, ATTACH: new id %016llx != stale %016llx",
		       round, (unsigned long long)b.context_id,
		       (unsigned long long)a.context_id);
		rc = sp_uvirtual(fd, b.context_id, units, 0, &rh, &last);
		rv = sp_verify(fd, a.context_id, rh, NULL);
		rr = sp_resize(fd, a.context_id, rh, 0, NULL);
		rd = sp_detach(fd, a.context_id);
		tap_ok(rc == 0 && rv == -EINVAL && rr == -EINVAL && rd == -EINVAL,
		       "round %d: stale id: VERIFY %d, VLUN_RESIZE %d, DETACH %d (want EINVAL)",
		       round, rv, rr, rd);
		rv2 = sp_verify(fd, b.context_id, rh, &last2);
		tap_ok(rv2 == 0 && last2 == last && last != UINT64_MAX,
		       "round %d: the new context's vLUN is untouched (last_lba %llu, was %llu)",
		       round, (unsigned long long)last2, (unsigned long long)last);
		tap_ok(sp_detach(fd, b.context_id) == 0, "round %d: DETACH with the new id", round);
		close((int)(int64_t)b.adap_fd);
	}
	close(fd);
}

/* ------------------------------------------------------------------ */
/* fork: the fd2 mapping is not inherited                              */
/* ------------------------------------------------------------------ */

static sigjmp_buf child_jmp;

static void child_sig(int sig)
{
	siglongjmp(child_jmp, sig);
}

/* in the child: run @fn, report the signal it raised in the exit code */
#define CHILD_NOSIG	20

static void test_fork(void)
{
	const int flags = O_RDWR | CFLASH_OPEN_VIRTUAL | CFLASH_OPEN_PRIVATE_CTX;
	struct cflash_lun *l;
	struct cflash_info in;
	volatile uint64_t *map;
	uint64_t before;
	void *buf, *chk, *shm;
	int rc, st, sig;
	pid_t pid;

	rc = cflash_open(O.dev, flags, 256, &l);
	if (!tap_ok(rc == 0, "fork: library open of a virtual LUN (%s)", cflash_strerror(rc)))
		return;
	cflash_info(l, &in);
	buf = sp_alloc((size_t)8 * in.block_size);
	chk = sp_alloc((size_t)8 * in.block_size);
	shm = mmap(NULL, 4096 + (size_t)8 * in.block_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		tap_bail("mmap shared: %s", strerror(errno));
	sp_fill(buf, 0, 8, in.block_size, 0x5eed);
	rc = cflash_write(l, buf, 0, 8);
	tap_ok(rc == 0, "fork: parent writes LBAs 0-7");
	map = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, in.adap_fd, 0);
	if (!tap_ok(map != MAP_FAILED, "fork: parent maps fd2 once more"))
		map = NULL;
	before = map ? map[0x08 / 8] : 0;

	/* 1: a raw load through the inherited address */
	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, child_sig);
		signal(SIGBUS, child_sig);
		sig = sigsetjmp(child_jmp, 1);
		if (sig)
			_exit(sig);
		if (map)
			(void)map[0x08 / 8];
		_exit(CHILD_NOSIG);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == SIGSEGV,
	       "fork: child's load from the parent's window -> SIGSEGV (exit %d: %s)",
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	       WIFEXITED(st) && WEXITSTATUS(st) == CHILD_NOSIG ? "mapping inherited" :
	       WIFEXITED(st) && WEXITSTATUS(st) == SIGBUS ? "SIGBUS" : "see status");

	/*
	 * 2: the attack itself.  The child, without ATTACH, CLONE or mmap of
	 * its own, builds a WRITE of LBAs 0-7 in memory it shares with the
	 * parent (the AFU reads it in the context owner's address space) and
	 * stores its address to IOARRIN through the inherited window.
	 */
	if (in.sq_mode || !map) {
		tap_skip(in.sq_mode ? "context in SQ mode" : "no mapping",
			 "fork: child's store to IOARRIN of the parent's window -> SIGSEGV");
	} else {
		pid = fork();
		if (pid == 0) {
			struct sisl_ioarcb *rcb = shm;
			void *data = (char *)shm + 4096;

			signal(SIGSEGV, child_sig);
			signal(SIGBUS, child_sig);
			sig = sigsetjmp(child_jmp, 1);
			if (sig)
				_exit(sig);
			sp_fill(data, 0, 8, in.block_size, 0xbad);
			cf_build_rw(rcb, (uint16_t)(in.context_id & 0xFFFF),
				    (uint32_t)in.rsrc_handle, true, 0, 8, in.block_size,
				    (uintptr_t)data, 0, 5);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			map[SISL_R_IOARRIN / 8] = htobe64((uintptr_t)rcb);
			sleep(1);	/* let the AFU run it */
			_exit(CHILD_NOSIG);
		}
		waitpid(pid, &st, 0);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == SIGSEGV,
		       "fork: child's store to IOARRIN of the parent's window -> SIGSEGV (exit %d)",
		       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	memset(chk, 0, (size_t)8 * in.block_size);
	rc = cflash_read(l, chk, 0, 8);
	tap_ok(rc == 0 && sp_check(chk, 0, 8, in.block_size, 0x5eed) == 0,
	       "fork: the parent's data is unchanged (%llu bad blocks)",
	       (unsigned long long)sp_check(chk, 0, 8, in.block_size, 0x5eed));
	if (map) {
		tap_ok(map[0x08 / 8] == before, "fork: the parent's own mapping still works");
		munmap((void *)map, 65536);
	}
	tap_ok(cflash_close(l) == 0, "fork: parent closes");
	munmap(shm, 4096 + (size_t)8 * in.block_size);
	free(buf);
	free(chk);
}

/* ------------------------------------------------------------------ */
/* close: fd2 released while an ioctl is in flight on its context      */
/* ------------------------------------------------------------------ */

struct inflight {
	int fd;
	uint64_t ctx, rh;
	bool verify;
	int rc;
};

static void *inflight_thread(void *p)
{
	struct inflight *f = p;

	if (f->verify) {
		struct dk_cxlflash_verify v;

		memset(&v, 0, sizeof(v));
		v.context_id = f->ctx;
		v.rsrc_handle = f->rh;
		v.hint = DK_CXLFLASH_VERIFY_HINT_SENSE;
		v.sense_data[0] = 0x70;		/* fixed format, current */
		v.sense_data[2] = 0x06;		/* UNIT ATTENTION */
		v.sense_data[7] = 10;
		v.sense_data[12] = 0x29;	/* power on or reset */
		f->rc = sp_ioctl(f->fd, DK_CXLFLASH_VERIFY, &v);
	} else {
		f->rc = sp_resize(f->fd, f->ctx, f->rh, 0, NULL);
	}
	return NULL;
}

/* the child: attach, 2-chunk vLUN, ioctl in a thread, close fd2, exit */
static void close_child(bool verify, unsigned int delay_us, int report)
{
	struct dk_cxlflash_attach a;
	struct inflight f = { 0 };
	pthread_t t;
	int fd = sp_open_dev(O.dev), rc;
	char code;

	if (fd < 0)
		_exit(2);
	if (sp_attach(fd, O_RDWR, 0, &a))
		_exit(3);
	rc = sp_uvirtual(fd, a.context_id, 2 * chunk_units(a.block_size), 0, &f.rh, NULL);
	if (rc)
		_exit(4);
	f.fd = fd;
	f.ctx = a.context_id;
	f.verify = verify;
	if (sim_write("delay_us", delay_us))
		_exit(5);
	if (pthread_create(&t, NULL, inflight_thread, &f))
		_exit(6);
	/* the thread is in the ioctl well before its first command is done */
	sp_msleep(delay_us / 2000);
	close((int)(int64_t)a.adap_fd);
	code = 1;
	if (write(report, &code, 1) != 1)
		_exit(7);
	_exit(0);	/* exit_group: the thread goes once its ioctl returns */
}

static void test_close(bool verify)
{
	const char *what = verify ? "VERIFY (sense: unit attention)" : "VLUN_RESIZE to 0";
	const unsigned int delay_us = 300000;
	struct dk_cxlflash_attach a;
	struct snapshot s;
	double t0;
	int p[2], st, rc, fd;
	char code = 0;
	pid_t pid;

	if (!sim_adap[0]) {
		tap_skip("no cxlflash_sim debugfs", "close during %s", what);
		return;
	}
	if (pipe(p))
		tap_bail("pipe");
	t0 = sp_now();
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		close_child(verify, delay_us, p[1]);
	}
	close(p[1]);
	rc = (int)read(p[0], &code, 1);
	close(p[0]);
	waitpid(pid, &st, 0);
	sim_write("delay_us", 0);
	tap_ok(rc == 1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "close during %s: child closed fd2 mid-ioctl and exited (status 0x%x, %.2f s)",
	       what, st, sp_now() - t0);

	rc = wait_clean(&s, 10000);
	tap_ok(rc, "close during %s: no context, file or LUN user left; all chunks free", what);
	if (!rc)
		snap_diag(&s);

	/* the adapter is usable: a fresh ATTACH gets a context */
	fd = sp_open_dev(O.dev);
	rc = sp_attach(fd, O_RDWR, 0, &a);
	tap_ok(rc == 0, "close during %s: a new ATTACH works (%s)", what,
	       rc ? strerror(-rc) : "0");
	if (!rc) {
		sp_detach(fd, a.context_id);
		close((int)(int64_t)a.adap_fd);
	}
	close(fd);
}

/* ------------------------------------------------------------------ */
/* disable: MANAGE_LUN DISABLE racing the other ioctls                 */
/* ------------------------------------------------------------------ */

static atomic_bool race_stop;

#define NOPS 15

struct racer {
	unsigned long ok, busy, inval, bad;
	unsigned long ok_op[NOPS];
	int last_bad, last_bad_op;
	const char *name;
};

static void count(struct racer *r, int rc, bool inval_ok, bool busy_ok, int op)
{
	if (rc == 0) {
		r->ok++;
		r->ok_op[op]++;
	}
	else if (rc == -EINVAL && inval_ok)
		r->inval++;
	else if (rc == -EBUSY && busy_ok)
		r->busy++;
	else {
		r->bad++;
		r->last_bad = rc;
		r->last_bad_op = op;
	}
}

static void *manage_thread(void *p)
{
	struct racer *r = p;
	int fd = sp_open_dev(O.dev);

	while (!atomic_load(&race_stop)) {
		/* DISABLE: done, or refused while the LUN is in use */
		count(r, sp_manage_lun(fd, O.dev, DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE),
		      false, true, 0);
		usleep(200);
		count(r, sp_manage_lun(fd, O.dev, DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE),
		      false, false, 1);
	}
	close(fd);
	return NULL;
}

static void *attach_thread(void *p)
{
	struct racer *r = p;
	struct dk_cxlflash_attach a;
	int fd = sp_open_dev(O.dev), rc;
	unsigned int seed = 1;

	while (!atomic_load(&race_stop)) {
		uint64_t rh;

		/* ATTACH: EINVAL when the LUN is disabled */
		rc = sp_attach(fd, O_RDWR, 0, &a);
		count(r, rc, true, false, 2);
		if (rc)
			continue;
		/* attached: DISABLE must leave the LUN alone now */
		rc = sp_udirect(fd, a.context_id, &rh, NULL);
		count(r, rc, false, false, 3);
		if (!rc)
			count(r, sp_release(fd, a.context_id, rh), false, false, 4);
		count(r, sp_detach(fd, a.context_id), false, false, 5);
		close((int)(int64_t)a.adap_fd);
		usleep(rand_r(&seed) % 1000);
	}
	close(fd);
	return NULL;
}

/* ioctls on ids that do not exist: EINVAL, whether the LUN is enabled or not */
static void *bogus_thread(void *p)
{
	struct racer *r = p;
	int fd = sp_open_dev(O.dev);
	unsigned int seed = 2;
	const uint64_t ctx = 0x7fffffff00000001ULL;
	struct dk_cxlflash_clone c;
	struct dk_cxlflash_recover_afu rec;
	struct dk_cxlflash_attach a;

	while (!atomic_load(&race_stop)) {
		count(r, sp_verify(fd, ctx, 0, NULL), true, false, 6);
		count(r, sp_resize(fd, ctx, 0, 0, NULL), true, false, 7);
		count(r, sp_release(fd, ctx, 0), true, false, 8);
		count(r, sp_udirect(fd, ctx, NULL, NULL), true, false, 9);
		count(r, sp_uvirtual(fd, ctx, 0, 0, NULL, NULL), true, false, 10);
		count(r, sp_detach(fd, ctx), true, false, 11);
		memset(&c, 0, sizeof(c));
		c.context_id_src = ctx;
		c.context_id_dst = ctx + 1;
		count(r, sp_ioctl(fd, DK_CXLFLASH_VLUN_CLONE, &c), true, false, 12);
		count(r, sp_recover(fd, ctx, &rec), true, false, 13);
		count(r, sp_attach(fd, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT, ctx, &a),
		      true, false, 14);
		/* gaps with no ioctl in flight, where DISABLE can succeed */
		usleep(rand_r(&seed) % 2000);
	}
	close(fd);
	return NULL;
}

static void test_disable(void)
{
	static const char * const ops[NOPS] = {
		"DISABLE", "ENABLE", "ATTACH", "USER_DIRECT", "RELEASE", "DETACH",
		"VERIFY", "VLUN_RESIZE", "RELEASE(bogus)", "USER_DIRECT(bogus)",
		"USER_VIRTUAL(bogus)", "DETACH(bogus)", "VLUN_CLONE(bogus)",
		"RECOVER_AFU(bogus)", "ATTACH REUSE(bogus)",
	};
	struct racer rm = { .name = "manage" }, ra = { .name = "attach" },
		     rb = { .name = "bogus" };
	struct racer *all[] = { &rm, &ra, &rb };
	pthread_t tm, ta, tb;
	struct snapshot s;
	bool ok;
	int rc;

	atomic_store(&race_stop, false);
	if (pthread_create(&tm, NULL, manage_thread, &rm) ||
	    pthread_create(&ta, NULL, attach_thread, &ra) ||
	    pthread_create(&tb, NULL, bogus_thread, &rb))
		tap_bail("pthread_create");
	sleep((unsigned int)race_secs);
	atomic_store(&race_stop, true);
	pthread_join(tm, NULL);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);

	for (int i = 0; i < 3; i++) {
		struct racer *r = all[i];

		tap_diag("%s: %lu ok, %lu EBUSY, %lu EINVAL, %lu unexpected", r->name,
			 r->ok, r->busy, r->inval, r->bad);
		tap_ok(r->bad == 0, "disable race, %s thread: every errno expected (last bad: %s %d)",
		       r->name, r->bad ? ops[r->last_bad_op] : "-", r->last_bad);
	}
	/* the race did happen: both sides won some */
	tap_ok(rm.ok_op[0] > 0 && ra.ok_op[2] > 0 && ra.inval > 0,
	       "disable race: DISABLE succeeded %lu times (EBUSY %lu), ATTACH %lu (refused %lu)",
	       rm.ok_op[0], rm.busy, ra.ok_op[2], ra.inval);

	rc = sp_set_superpipe(O.dev, true);
	ok = wait_clean(&s, 5000);
	tap_ok(rc == 0 && ok, "disable race: LUN enabled again, nothing left behind");
	if (!ok)
		snap_diag(&s);
	rc = sp_set_superpipe(O.dev, false);
	tap_ok(rc == 0, "disable race: the LUN can be disabled once idle (%s)",
	       rc ? strerror(-rc) : "0");
	sp_set_superpipe(O.dev, true);
}

/* ------------------------------------------------------------------ */
/* delete: the administrator deletes a path                            */
/* ------------------------------------------------------------------ */

/* the disk of SCSI device directory @sdev ("" if none) in @dev */
static void disk_of_sdev(const char *sdev, char *dev, size_t len)
{
	char names[64][64], p[4096];
	int n = sp_find_luns(names, 64);

	dev[0] = 0;
	for (int i = 0; i < n; i++)
		if (!sp_sdev_path(names[i], p, sizeof(p)) && !strcmp(p, sdev)) {
			snprintf(dev, len, "%.63s", names[i]);
			return;
		}
}

/* ATTACH, USER_DIRECT (its last LBA in @last), RELEASE, DETACH on @dev */
static int use_direct(const char *dev, uint64_t *last)
{
	struct dk_cxlflash_attach a;
	int fd = sp_open_dev(dev), rc;
	uint64_t rh;

	rc = fd < 0 ? fd : sp_attach(fd, O_RDWR, 0, &a);
	rc = rc ?: sp_udirect(fd, a.context_id, &rh, last);
	rc = rc ?: sp_release(fd, a.context_id, rh);
	rc = rc ?: sp_detach(fd, a.context_id);
	if (!rc)
		close((int)a.adap_fd);
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Switch the LUN's other paths (same WWID, e.g. through the other port)
 * that earlier programs left in superpipe mode to legacy (@on false), or
 * back (@on true): the record goes only with the last enabled path.
 */
static void other_paths(bool on)
{
	static char names[64][64];
	static bool was[64];
	static int n;
	char w[33];

	if (!on)
		n = sp_find_luns(names, 64);
	for (int i = 0; i < n; i++) {
		if (!strcmp(names[i], O.dev) || sp_wwid_hex(names[i], w) || strcmp(w, wwid))
			continue;
		if (!on) {
			was[i] = sp_lun_mode(names[i]) == 1;
			if (was[i] && sp_set_superpipe(names[i], false))
				tap_diag("delete: cannot disable %s", names[i]);
		} else if (was[i]) {
			sp_set_superpipe(names[i], true);
		}
	}
}

static void test_delete(void)
{
	static char newdev[64];
	char sdev[4096], path[4096 + 16], hostscan[128], dev[64];
	uint64_t last = 0, last2 = 0;
	struct sp_lunrec r;
	int rc, i;

	if (sp_sdev_path(O.dev, sdev, sizeof(sdev))) {
		tap_ok(false, "delete: sysfs path of %s", O.dev);
		return;
	}
	other_paths(false);
	/* idle, but in the AFU's LUN table: one direct handle made and released */
	rc = use_direct(O.dev, &last);
	tap_ok(rc == 0 && sp_lunrec(wwid, &r), "delete: %s used and idle, the driver has its record (%d)",
	       O.dev, rc);

	snprintf(path, sizeof(path), "%s/delete", sdev);
	rc = sp_write_file(path, "1");
	for (i = 0; i < 100 && access(O.dev, F_OK) == 0; i++)
		sp_msleep(50);
	tap_ok(rc == 0 && access(O.dev, F_OK) != 0 && !sp_lunrec(wwid, &r),
	       "delete: %s deleted through sysfs, its LUN record gone (%d)", O.dev, rc);

	snprintf(hostscan, sizeof(hostscan), "/sys/class/scsi_host/host%d/scan", host_no);
	rc = sp_write_file(hostscan, "- - -");
	dev[0] = 0;
	for (i = 0; i < 200 && !dev[0]; i++) {
		disk_of_sdev(sdev, dev, sizeof(dev));
		if (!dev[0])
			sp_msleep(50);
	}
	if (!tap_ok(rc == 0 && dev[0] && sp_lun_mode(dev) == 0,
		    "delete: rescan brings the path back as %s, legacy (%d)", dev[0] ? dev : "-", rc)) {
		other_paths(true);
		return;
	}
	snprintf(newdev, sizeof(newdev), "%s", dev);
	O.dev = newdev;

	rc = sp_set_superpipe(O.dev, true);
	rc = rc ?: use_direct(O.dev, &last2);
	tap_ok(rc == 0 && last2 == last && sp_lunrec(wwid, &r),
	       "delete: enabled and attached again, last LBA %llu as before, a new record (%d)",
	       (unsigned long long)last2, rc);
	other_paths(true);
}

static int opt(int o, const char *arg, void *priv)
{
	(void)priv;
	if (o == 's') {
		parts = arg;
		return 0;
	}
	if (o != 't')
		return -1;
	race_secs = atoi(arg);
	return race_secs > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char p[4096];
	struct snapshot s;
	const char *h;
	int orig;

	sp_parse_common(argc, argv, &O, "t:s:", opt, NULL,
			 "[-t SECONDS] [-s ids,fork,close,disable,delete]");
	if (!sp_tap_start(&O))
		return 0;
	if (sp_wwid_hex(O.dev, wwid) || sp_sdev_path(O.dev, p, sizeof(p)))
		tap_bail("no WWID or sysfs path for %s", O.dev);
	h = strstr(p, "/host");
	if (!h || sscanf(h, "/host%d", &host_no) != 1)
		tap_bail("no SCSI host in %s", p);
	if (!sp_sim_adapter(sim_adap, sizeof(sim_adap)))
		sim_adap[0] = 0;
	tap_diag("LUN %s (host%d, WWID %s), emulated adapter %s", O.dev, host_no, wwid,
		 sim_adap[0] ? sim_adap : "(none)");
	orig = sp_lun_mode(O.dev);
	if (orig < 0)
		tap_bail("%s has no mode attribute", O.dev);
	if (sp_set_superpipe(O.dev, true))
		tap_bail("cannot enable superpipe on %s", O.dev);
	if (!wait_clean(&s, 2000)) {
		snap_diag(&s);
		tap_bail("the adapter is not idle at the start");
	}

	if (part("ids"))
		test_ids();
	if (part("fork"))
		test_fork();
	if (part("close")) {
		test_close(false);
		test_close(true);
	}
	if (part("disable"))
		test_disable();
	if (part("delete"))
		test_delete();

	if (orig == 0)
		sp_set_superpipe(O.dev, false);
	return tap_done();
}
