// SPDX-License-Identifier: GPL-2.0-only
/*
 * fi - run one kernel operation of cxlflash with fault injection armed
 * around exactly that system call (debug-kernel tier, guest/debug/).
 *
 *   fi [MODE] load FILE [PARAMS]        finit_module(FILE, PARAMS)
 *   fi [MODE] write PATH VALUE          open PATH, then write VALUE
 *   fi [MODE] mkdir PATH | rmdir PATH
 *   fi [MODE] -s STEP ioctl DEV         the superpipe sequence below on
 *                                       DEV, injecting into step STEP only
 *                                       (-s -1: into every step)
 *   fi steps                            list the steps of the sequence
 *
 * MODE:
 *   -n N   fail the N-th fault-injection site the syscall reaches
 *          (/proc/thread-self/fail-nth: failslab, fail_page_alloc, ...)
 *   -c     count the sites the syscall reaches (fail-nth armed far away)
 *   -m     set /proc/thread-self/make-it-fail around the syscall, for the
 *          probability/interval knobs of failslab/fail_page_alloc with
 *          task-filter=Y
 *   none   no injection (the reference run)
 *
 * Prints one line "fi: OP rc=R errno=E injected=0|1 sites=S" per armed
 * syscall (sites only with -c).  Exit status: 0 when the operation
 * succeeded, 1 when it failed with an error (a legitimate outcome of an
 * injected fault), 2 when the harness itself failed, 3 when the unwinding
 * after a failed step misbehaved (a detach or the final MANAGE_LUN failed,
 * or a file descriptor leaked): that is a driver bug.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <scsi/cxlflash_ioctl.h>

#define COUNT_ARM 1000000

static int mode_n;		/* -n */
static bool mode_c, mode_m;
static int nth_fd = -1, mif_fd = -1;
static const char *cur_op = "?";

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fi: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void put_num(int fd, long v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%ld", v);

	if (pwrite(fd, b, n, 0) != n)
		die("writing %ld to a fault-injection control: %s", v, strerror(errno));
}

static long get_num(int fd)
{
	char b[32];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);

	if (n <= 0)
		die("reading a fault-injection control: %s", strerror(errno));
	b[n] = 0;
	return strtol(b, NULL, 10);
}

static bool armed(void)
{
	return mode_n || mode_c || mode_m;
}

/* Arm right before the syscall: the controls are already open. */
static void arm(void)
{
	if (mode_n)
		put_num(nth_fd, mode_n);
	else if (mode_c)
		put_num(nth_fd, COUNT_ARM);
	else if (mode_m)
		put_num(mif_fd, 1);
}

/* Disarm right after it and report; *injected is set when a fault fired. */
static void disarm(long rc, int err, bool *injected)
{
	long left = 0, sites = -1;
	bool inj = false;

	if (mode_n || mode_c) {
		left = get_num(nth_fd);
		put_num(nth_fd, 0);
		if (mode_n)
			inj = left == 0;
		else
			sites = COUNT_ARM - left;
	} else if (mode_m) {
		/* whether a fault fired is unknown: the shell reads the times knob */
		put_num(mif_fd, 0);
	}
	if (!armed())
		return;
	printf("fi: %s rc=%ld errno=%s injected=%d", cur_op, rc, rc < 0 ? strerrorname_np(err) ?: "?" : "0",
	       mode_m ? -1 : inj);
	if (sites >= 0)
		printf(" sites=%ld", sites);
	printf("\n");
	fflush(stdout);
	if (injected)
		*injected = inj;
}

static void open_controls(void)
{
	if (mode_n || mode_c) {
		nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
		if (nth_fd < 0)
			die("/proc/thread-self/fail-nth: %s (CONFIG_FAULT_INJECTION?)", strerror(errno));
	}
	if (mode_m) {
		mif_fd = open("/proc/thread-self/make-it-fail", O_RDWR);
		if (mif_fd < 0)
			die("/proc/thread-self/make-it-fail: %s", strerror(errno));
	}
}

/* ---------------------------------------------------------------------- */

static int op_load(const char *file, const char *params)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC), err;
	long rc;

	if (fd < 0)
		die("%s: %s", file, strerror(errno));
	cur_op = "load";
	arm();
	rc = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	disarm(rc, err, NULL);
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "fi: finit_module %s: %s\n", file, strerror(err));
		return 1;
	}
	return 0;
}

static int op_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;
	long rc;

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	cur_op = "write";
	arm();
	rc = write(fd, val, strlen(val));
	err = errno;
	disarm(rc, err, NULL);
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "fi: write %s > %s: %s\n", val, path, strerror(err));
		return 1;
	}
	return 0;
}

static int op_dir(const char *path, bool make)
{
	long rc;
	int err;

	cur_op = make ? "mkdir" : "rmdir";
	arm();
	rc = make ? mkdir(path, 0755) : rmdir(path);
	err = errno;
	disarm(rc, err, NULL);
	if (rc < 0) {
		fprintf(stderr, "fi: %s %s: %s\n", cur_op, path, strerror(err));
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The superpipe sequence                                                 */
/* ---------------------------------------------------------------------- */

/*
 * ATTACH(b), VLUN_CLONE and DETACH(b) run in a forked child: a clone's
 * source context must belong to the caller's parent (the fork flow of the
 * block library).
 */
enum step {
	S_ENABLE, S_ATTACH_A, S_UVIRTUAL, S_GROW, S_ATTACH_B, S_CLONE, S_DETACH_B,
	S_VERIFY, S_SHRINK, S_RELEASE_V, S_UDIRECT, S_RELEASE_D, S_RECOVER,
	S_DETACH_A, S_DISABLE, S_NSTEPS
};

static const char *const step_name[S_NSTEPS] = {
	"MANAGE_LUN(enable)", "ATTACH(a)", "USER_VIRTUAL(1 chunk)",
	"VLUN_RESIZE(grow to 2 chunks)", "child: ATTACH(b)",
	"child: VLUN_CLONE(a->b)", "child: DETACH(b)", "VERIFY",
	"VLUN_RESIZE(shrink to 1 chunk)", "RELEASE(virtual)", "USER_DIRECT",
	"RELEASE(direct)", "RECOVER_AFU", "DETACH(a)", "MANAGE_LUN(disable)",
};

#define CHUNK_4K	(1ULL << 16)	/* 4 KiB units in a 256 MiB chunk */

struct seq {
	int fd;
	bool enabled, a_on, b_on;
	uint64_t ctx_a, ctx_b, rh_v, rh_d;
	int fd2_a, fd2_b;
	uint8_t wwid[16];
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		die("/proc/self/fd: %s", strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* NAA-6 designator of VPD page 0x83, from sysfs */
static void read_wwid(const char *dev, uint8_t wwid[16])
{
	char p[256];
	uint8_t pg[1024];
	const char *base = strrchr(dev, '/');
	size_t end, o;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/sys/block/%s/device/vpd_pg83", base ? base + 1 : dev);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		die("%s: %s", p, strerror(errno));
	n = read(fd, pg, sizeof(pg));
	close(fd);
	if (n < 4 || pg[1] != 0x83)
		die("%s: not a VPD page 0x83", p);
	end = 4 + ((size_t)pg[2] << 8 | pg[3]);
	if (end > (size_t)n)
		end = (size_t)n;
	for (o = 4; o + 4 <= end; o += 4 + pg[o + 3]) {
		if ((pg[o + 1] & 0xF) == 3 && (pg[o] & 0xF) == 1 && pg[o + 3] == 16 &&
		    (pg[o + 4] >> 4) == 6 && o + 20 <= end) {
			memcpy(wwid, &pg[o + 4], 16);
			return;
		}
	}
	die("%s: no NAA-6 designator", p);
}

static int xioctl(int fd, unsigned long req, void *arg, bool inject, bool *injected)
{
	long rc;
	int err;

	if (inject)
		arm();
	do {
		rc = ioctl(fd, req, arg);
		err = errno;
	} while (rc < 0 && err == EINTR && !inject);
	if (inject)
		disarm(rc, err, injected);
	return rc < 0 ? -err : 0;
}

static int do_step(struct seq *s, enum step st, bool inject, bool *injected)
{
	union {
		struct dk_cxlflash_manage_lun m;
		struct dk_cxlflash_attach a;
		struct dk_cxlflash_detach d;
		struct dk_cxlflash_uvirtual v;
		struct dk_cxlflash_udirect u;
		struct dk_cxlflash_resize r;
		struct dk_cxlflash_clone c;
		struct dk_cxlflash_verify vf;
		struct dk_cxlflash_release rl;
		struct dk_cxlflash_recover_afu ra;
	} x;
	int rc;

	memset(&x, 0, sizeof(x));
	cur_op = step_name[st];
	switch (st) {
	case S_ENABLE:
	case S_DISABLE:
		memcpy(x.m.wwid, s->wwid, 16);
		x.m.hdr.flags = st == S_ENABLE ? DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE :
						 DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE;
		rc = xioctl(s->fd, DK_CXLFLASH_MANAGE_LUN, &x.m, inject, injected);
		if (!rc)
			s->enabled = st == S_ENABLE;
		return rc;
	case S_ATTACH_A:
	case S_ATTACH_B:
		x.a.hdr.flags = O_RDWR;
		x.a.num_interrupts = 4;
		rc = xioctl(s->fd, DK_CXLFLASH_ATTACH, &x.a, inject, injected);
		if (rc)
			return rc;
		if (st == S_ATTACH_A) {
			s->a_on = true;
			s->ctx_a = x.a.context_id;
			s->fd2_a = (int)x.a.adap_fd;
		} else {
			s->b_on = true;
			s->ctx_b = x.a.context_id;
			s->fd2_b = (int)x.a.adap_fd;
		}
		return 0;
	case S_UVIRTUAL:
		x.v.context_id = s->ctx_a;
		x.v.lun_size = CHUNK_4K;
		rc = xioctl(s->fd, DK_CXLFLASH_USER_VIRTUAL, &x.v, inject, injected);
		if (!rc)
			s->rh_v = x.v.rsrc_handle;
		return rc;
	case S_GROW:
	case S_SHRINK:
		x.r.context_id = s->ctx_a;
		x.r.rsrc_handle = s->rh_v;
		x.r.req_size = st == S_GROW ? 2 * CHUNK_4K : CHUNK_4K;
		return xioctl(s->fd, DK_CXLFLASH_VLUN_RESIZE, &x.r, inject, injected);
	case S_CLONE:
		x.c.context_id_src = s->ctx_a;
		x.c.context_id_dst = s->ctx_b;
		x.c.adap_fd_src = (uint64_t)s->fd2_a;
		return xioctl(s->fd, DK_CXLFLASH_VLUN_CLONE, &x.c, inject, injected);
	case S_VERIFY:
		x.vf.context_id = s->ctx_a;
		x.vf.rsrc_handle = s->rh_v;
		return xioctl(s->fd, DK_CXLFLASH_VERIFY, &x.vf, inject, injected);
	case S_RELEASE_V:
	case S_RELEASE_D:
		x.rl.context_id = s->ctx_a;
		x.rl.rsrc_handle = st == S_RELEASE_V ? s->rh_v : s->rh_d;
		return xioctl(s->fd, DK_CXLFLASH_RELEASE, &x.rl, inject, injected);
	case S_DETACH_A:
	case S_DETACH_B:
		x.d.context_id = st == S_DETACH_A ? s->ctx_a : s->ctx_b;
		rc = xioctl(s->fd, DK_CXLFLASH_DETACH, &x.d, inject, injected);
		if (rc)
			return rc;
		if (st == S_DETACH_A) {
			s->a_on = false;
			close(s->fd2_a);
			s->fd2_a = -1;
		} else {
			s->b_on = false;
			close(s->fd2_b);
			s->fd2_b = -1;
		}
		return 0;
	case S_UDIRECT:
		x.u.context_id = s->ctx_a;
		rc = xioctl(s->fd, DK_CXLFLASH_USER_DIRECT, &x.u, inject, injected);
		if (!rc)
			s->rh_d = x.u.rsrc_handle;
		return rc;
	case S_RECOVER:
		x.ra.context_id = s->ctx_a;
		rc = xioctl(s->fd, DK_CXLFLASH_RECOVER_AFU, &x.ra, inject, injected);
		if (!rc && (x.ra.hdr.return_flags & DK_CXLFLASH_RECOVER_AFU_CONTEXT_RESET)) {
			/* a context reset hands out a new fd2; the old one is ours to close */
			s->ctx_a = x.ra.context_id;
			if ((int)x.ra.adap_fd != s->fd2_a) {
				close(s->fd2_a);
				s->fd2_a = (int)x.ra.adap_fd;
			}
		}
		return rc;
	default:
		die("bad step %d", st);
	}
}

/* After a failed step: detach what is attached, disable, check nothing leaked. */
static int unwind(struct seq *s, int fds0)
{
	struct dk_cxlflash_detach d;
	struct dk_cxlflash_manage_lun m;
	int bad = 0, rc;

	if (s->b_on) {
		memset(&d, 0, sizeof(d));
		d.context_id = s->ctx_b;
		rc = xioctl(s->fd, DK_CXLFLASH_DETACH, &d, false, NULL);
		if (rc) {
			printf("fi: UNWIND: DETACH(b) failed: %s\n", strerror(-rc));
			bad = 1;
		}
		close(s->fd2_b);
	}
	if (s->a_on) {
		memset(&d, 0, sizeof(d));
		d.context_id = s->ctx_a;
		rc = xioctl(s->fd, DK_CXLFLASH_DETACH, &d, false, NULL);
		if (rc) {
			printf("fi: UNWIND: DETACH(a) failed: %s\n", strerror(-rc));
			bad = 1;
		}
		close(s->fd2_a);
	}
	memset(&m, 0, sizeof(m));
	memcpy(m.wwid, s->wwid, 16);
	m.hdr.flags = DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE;
	rc = s->enabled ? xioctl(s->fd, DK_CXLFLASH_MANAGE_LUN, &m, false, NULL) : 0;
	if (rc) {
		printf("fi: UNWIND: MANAGE_LUN(disable) failed: %s\n", strerror(-rc));
		bad = 1;
	}
	close(s->fd);
	if (count_fds() != fds0) {
		printf("fi: UNWIND: %d file descriptors open, %d before the sequence\n",
		       count_fds(), fds0);
		bad = 1;
	}
	return bad;
}

/*
 * The child's part: ATTACH(b), CLONE(a->b), close the inherited fd2 of a
 * (application-close model), DETACH(b).  Exit status as the program's.
 */
static int child_steps(struct seq *s, int inject_step)
{
	bool inj = false;
	int rc, st;

	/* fail-nth is per task and not inherited: open our own */
	if (nth_fd >= 0) {
		close(nth_fd);
		nth_fd = -1;
	}
	if (mif_fd >= 0) {
		close(mif_fd);
		mif_fd = -1;
	}
	open_controls();
	s->a_on = false;	/* the parent's: not ours to detach */
	s->enabled = false;
	for (st = S_ATTACH_B; st <= S_DETACH_B; st++) {
		bool inject = armed() && (inject_step < 0 || inject_step == st);

		rc = do_step(s, st, inject, &inj);
		if (st == S_CLONE && !rc) {
			close(s->fd2_a);
			s->fd2_a = -1;
		}
		if (rc) {
			printf("fi: step %d %s failed: %s%s\n", st, step_name[st], strerror(-rc),
			       inject ? "" : " (no fault armed for it)");
			if (s->b_on) {
				struct dk_cxlflash_detach d;

				memset(&d, 0, sizeof(d));
				d.context_id = s->ctx_b;
				rc = xioctl(s->fd, DK_CXLFLASH_DETACH, &d, false, NULL);
				if (rc) {
					printf("fi: UNWIND: child DETACH(b) failed: %s\n", strerror(-rc));
					return 3;
				}
				close(s->fd2_b);
			}
			return inject && (mode_m || inj) ? 1 : 3;
		}
	}
	return 0;
}

static int op_ioctl(const char *dev, int inject_step)
{
	struct seq s;
	int fds0 = count_fds(), rc, st, status;
	bool inj = false;
	pid_t pid;

	memset(&s, 0, sizeof(s));
	s.fd2_a = s.fd2_b = -1;
	read_wwid(dev, s.wwid);
	s.fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (s.fd < 0)
		die("%s: %s", dev, strerror(errno));
	for (st = 0; st < S_NSTEPS; st++) {
		bool inject = armed() && (inject_step < 0 || inject_step == st);

		if (st == S_ATTACH_B) {
			fflush(stdout);
			pid = fork();
			if (pid < 0)
				die("fork: %s", strerror(errno));
			if (pid == 0)
				_exit(child_steps(&s, inject_step));
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
				die("child did not exit normally");
			rc = WEXITSTATUS(status);
			if (rc) {
				if (unwind(&s, fds0))
					return 3;
				return rc;
			}
			st = S_DETACH_B;
			continue;
		}
		rc = do_step(&s, st, inject, &inj);
		if (rc) {
			printf("fi: step %d %s failed: %s%s\n", st, step_name[st], strerror(-rc),
			       inject ? "" : " (no fault armed for it)");
			if (unwind(&s, fds0))
				return 3;
			/* an error without an injected fault in this step is a bug */
			return inject && (mode_m || inj) ? 1 : 3;
		}
	}
	close(s.fd);
	if (count_fds() != fds0) {
		printf("fi: %d file descriptors open after a clean sequence, %d before\n",
		       count_fds(), fds0);
		return 3;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int opt, step = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "+n:cms:")) != -1) {
		switch (opt) {
		case 'n':
			mode_n = atoi(optarg);
			if (mode_n <= 0)
				die("-n wants a positive number");
			break;
		case 'c':
			mode_c = true;
			break;
		case 'm':
			mode_m = true;
			break;
		case 's':
			step = atoi(optarg);
			break;
		default:
			die("usage: see the comment at the top of fi.c");
		}
	}
	if (optind >= argc)
		die("no operation");
	if ((mode_n != 0) + mode_c + mode_m > 1)
		die("-n, -c and -m exclude each other");
	open_controls();

	const char *op = argv[optind];
	int nargs = argc - optind - 1;
	char **a = &argv[optind + 1];

	if (!strcmp(op, "steps")) {
		for (int i = 0; i < S_NSTEPS; i++)
			printf("%d %s\n", i, step_name[i]);
		return 0;
	}
	if (!strcmp(op, "load") && (nargs == 1 || nargs == 2))
		return op_load(a[0], nargs == 2 ? a[1] : "");
	if (!strcmp(op, "write") && nargs == 2)
		return op_write(a[0], a[1]);
	if (!strcmp(op, "mkdir") && nargs == 1)
		return op_dir(a[0], true);
	if (!strcmp(op, "rmdir") && nargs == 1)
		return op_dir(a[0], false);
	if (!strcmp(op, "ioctl") && nargs == 1) {
		if (step >= S_NSTEPS)
			die("step %d: only %d steps", step, S_NSTEPS);
		return op_ioctl(a[0], step);
	}
	die("bad operation or arguments: %s", op);
}
