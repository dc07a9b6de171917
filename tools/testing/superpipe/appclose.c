// SPDX-License-Identifier: GPL-2.0-only
/*
 * appclose: the application-close model of the adapter fd (fd2).
 *
 *  - a fresh ATTACH returns fd2 >= 0 (close-on-exec, mmap-able, readable)
 *    and DK_CXLFLASH_APP_CLOSE_ADAP_FD;
 *  - ATTACH with REUSE_CONTEXT returns adap_fd == (u64)-1 and no flag;
 *  - closing fd2 without DETACH ends the context (DETACH -> EINVAL);
 *  - DETACH then close is clean;
 *  - the library shares one context (one fd2) between two LUNs and closes
 *    fd2 only after the last detach;
 *  - a process killed with SIGKILL in the middle of I/O, or exiting without
 *    closing, leaves nothing behind: the emulator's user-context count
 *    returns to its baseline (debugfs, if mounted) and the LUN has no users
 *    (MANAGE_LUN DISABLE succeeds).
 *
 * usage: appclose [-d /dev/sdX] [-D /dev/sdY (same adapter)] [-v]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sp_common.h"

static struct sp_opts O;

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int wait_contexts(int want, int ms)
{
	int n = sp_sim_user_contexts();

	for (int t = 0; t < ms && n != want; t += 50) {
		sp_msleep(50);
		n = sp_sim_user_contexts();
	}
	return n;
}

static void raw_model(void)
{
	struct dk_cxlflash_attach a, b;
	int fd = sp_open_dev(O.dev), fdb = -1, fd2, rc;
	volatile uint64_t *map;

	rc = sp_attach(fd, O_RDWR, 0, &a);
	fd2 = (int)(int64_t)a.adap_fd;
	tap_ok(rc == 0 && fd2 >= 0 && fd_open(fd2), "fresh ATTACH returns an open fd2 (%d)", fd2);
	tap_ok(rc == 0 && (a.hdr.return_flags & DK_CXLFLASH_APP_CLOSE_ADAP_FD),
	       "fresh ATTACH sets APP_CLOSE_ADAP_FD (flags 0x%llx)",
	       (unsigned long long)a.hdr.return_flags);
	if (rc)
		tap_bail("ATTACH failed: %s", strerror(-rc));
	tap_ok((fcntl(fd2, F_GETFD) & FD_CLOEXEC) != 0, "fd2 is close-on-exec");

	map = mmap(NULL, a.mmio_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	tap_ok(map != MAP_FAILED, "mmap(fd2, 0x%llx) works", (unsigned long long)a.mmio_size);
	if (map != MAP_FAILED) {
		uint64_t st = map[0x08 / 8];

		tap_ok(st != UINT64_MAX, "INTR_STATUS of a live context is not all ones");
		munmap((void *)map, a.mmio_size);
	}
	{
		char buf[4096];
		struct pollfd p = { .fd = fd2, .events = POLLIN };
		int fl = fcntl(fd2, F_GETFL);
		ssize_t n;

		fcntl(fd2, F_SETFL, fl | O_NONBLOCK);
		n = read(fd2, buf, sizeof(buf));
		tap_ok(n < 0 && errno == EAGAIN, "non-blocking read of fd2 without events -> EAGAIN");
		tap_ok(poll(&p, 1, 0) == 0, "poll(fd2) without events -> not readable");
		fcntl(fd2, F_SETFL, fl);
	}

	tap_ok(sp_attach(fd, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT, a.context_id, &b) == -EINVAL,
	       "REUSE_CONTEXT on a LUN already in the context -> EINVAL");
	if (O.dev2) {
		fdb = sp_open_dev(O.dev2);
		rc = sp_attach(fdb, O_RDWR | DK_CXLFLASH_ATTACH_REUSE_CONTEXT, a.context_id, &b);
		tap_ok(rc == 0 && b.adap_fd == UINT64_MAX, "REUSE_CONTEXT on %s: adap_fd == -1 (0x%llx)",
		       O.dev2, (unsigned long long)b.adap_fd);
		tap_ok(rc == 0 && !(b.hdr.return_flags & DK_CXLFLASH_APP_CLOSE_ADAP_FD) &&
		       b.context_id == a.context_id,
		       "REUSE_CONTEXT: no APP_CLOSE flag, same context id");
	} else {
		tap_skip("no second LUN on the adapter", "REUSE_CONTEXT returns adap_fd -1");
		tap_skip("no second LUN on the adapter", "REUSE_CONTEXT returns no APP_CLOSE flag");
	}

	rc = sp_udirect(fd, a.context_id, NULL, NULL);
	tap_ok(rc == 0, "USER_DIRECT on the context");
	/* close fd2 without detaching: the context must go away */
	close(fd2);
	tap_ok(sp_detach(fd, a.context_id) == -EINVAL,
	       "after close(fd2) the context id is invalid (DETACH -> EINVAL)");
	tap_ok(sp_udirect(fd, a.context_id, NULL, NULL) == -EINVAL,
	       "after close(fd2) USER_DIRECT -> EINVAL");
	if (fdb >= 0) {
		tap_ok(sp_detach(fdb, a.context_id) == -EINVAL,
		       "the second LUN was detached too (DETACH -> EINVAL)");
		close(fdb);
	}

	/* the ordered way: DETACH then close */
	rc = sp_attach(fd, O_RDWR, 0, &a);
	fd2 = (int)(int64_t)a.adap_fd;
	tap_ok(rc == 0 && sp_udirect(fd, a.context_id, NULL, NULL) == 0 &&
	       sp_detach(fd, a.context_id) == 0, "ATTACH, USER_DIRECT, DETACH");
	tap_ok(fd2 >= 0 && fd_open(fd2) && close(fd2) == 0, "fd2 still open after DETACH; app closes it");
	tap_ok(sp_detach(fd, a.context_id) == -EINVAL, "context gone after DETACH + close");
	close(fd);
}

static void library_model(void)
{
	struct cflash_lun *l1, *l2 = NULL;
	struct cflash_info i1, i2;
	void *buf;
	int rc;

	rc = cflash_open(O.dev, O_RDWR, 0, &l1);
	if (!tap_ok(rc == 0, "library open %s", O.dev))
		return;
	cflash_info(l1, &i1);
	buf = sp_alloc(i1.block_size);
	if (!O.dev2) {
		tap_skip("no second LUN", "library shares the context between two LUNs");
		tap_skip("no second LUN", "second LUN works after the first closes");
		rc = cflash_close(l1);
		tap_ok(rc == 0 && !fd_open(i1.adap_fd), "last close closes fd2 (%d)", i1.adap_fd);
		free(buf);
		return;
	}
	rc = cflash_open(O.dev2, O_RDWR, 0, &l2);
	if (rc == 0)
		cflash_info(l2, &i2);
	tap_ok(rc == 0 && i2.context_id == i1.context_id && i2.adap_fd == i1.adap_fd,
	       "library shares one context and fd2 between %s and %s", O.dev, O.dev2);
	rc = cflash_close(l1);
	tap_ok(rc == 0 && fd_open(i1.adap_fd), "closing the first LUN keeps fd2 open");
	sp_fill(buf, 3, 1, i2.block_size, 9);
	rc = l2 ? cflash_write(l2, buf, 3, 1) : -1;
	memset(buf, 0, i2.block_size);
	if (!rc)
		rc = cflash_read(l2, buf, 3, 1);
	tap_ok(rc == 0 && !sp_check(buf, 3, 1, i2.block_size, 9),
	       "second LUN still does I/O after the first closed");
	rc = l2 ? cflash_close(l2) : -1;
	tap_ok(rc == 0 && !fd_open(i1.adap_fd), "last close (after the last DETACH) closes fd2");
	free(buf);
}

/* a child doing I/O in a loop, killed or exiting without cleanup */
static void dying_child(bool kill_it)
{
	int p[2], base = sp_sim_user_contexts(), n, st, rc;
	char c = 0;
	pid_t pid;

	int q[2];

	if (pipe(p) || pipe(q))
		tap_bail("pipe");
	pid = fork();
	if (pid == 0) {
		struct cflash_lun *l;
		struct cflash_info in;
		cflash_tag_t t[16];
		void *b;

		close(p[0]);
		close(q[1]);
		if (cflash_open(O.dev, O_RDWR, 0, &l))
			_exit(1);
		cflash_info(l, &in);
		b = sp_alloc((size_t)16 * in.block_size);
		for (unsigned long i = 0;; i++) {
			for (int k = 0; k < 16; k++)
				cflash_awrite(l, (char *)b + (size_t)k * in.block_size,
					      1000 + (uint64_t)k, 1, &t[k]);
			if (i == 10) {
				char one = 1;

				if (write(p[1], &one, 1) != 1)
					_exit(3);
				if (!kill_it) {
					/* exit once the parent has counted */
					if (read(q[0], &one, 1) < 0)
						_exit(4);
					_exit(0);	/* no close, no detach */
				}
			}
			for (int k = 0; k < 16; k++) {
				struct cflash_completion cc;

				cflash_aresult(l, t[k], CFLASH_WAIT, &cc);
			}
		}
	}
	close(p[1]);
	close(q[0]);
	rc = (int)read(p[0], &c, 1);
	close(p[0]);
	n = sp_sim_user_contexts();
	close(q[1]);	/* lets an exiting child go */
	if (base >= 0)
		tap_ok(n == base + 1, "%s child: one more user context while running (%d -> %d)",
		       kill_it ? "killed" : "exiting", base, n);
	else
		tap_skip("no /sys/kernel/debug/cxlflash_sim/*/contexts",
			 "user context visible while the child runs");
	if (kill_it)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	tap_ok(rc == 1 && (kill_it ? WIFSIGNALED(st) : WIFEXITED(st)),
	       "child %s mid-I/O", kill_it ? "killed with SIGKILL" : "exited without cleanup");
	if (base >= 0) {
		n = wait_contexts(base, 5000);
		tap_ok(n == base, "its context was freed (user contexts back to %d, now %d)", base, n);
	} else {
		tap_skip("no debugfs", "its context was freed");
	}
	/* no users left on the LUN: DISABLE must succeed */
	rc = sp_set_superpipe(O.dev, false);
	tap_ok(rc == 0, "no users left on the LUN: MANAGE_LUN DISABLE succeeds (%s)",
	       rc ? strerror(-rc) : "0");
	sp_set_superpipe(O.dev, true);
}

int main(int argc, char **argv)
{
	int orig, orig2 = -1;

	sp_parse_common(argc, argv, &O, NULL, NULL, NULL, "");
	if (!sp_tap_start(&O))
		return 0;
	tap_diag("LUN %s, second LUN %s", O.dev, O.dev2 ? O.dev2 : "(none)");
	orig = sp_lun_mode(O.dev);
	if (orig < 0)
		tap_bail("%s has no mode attribute", O.dev);
	if (sp_set_superpipe(O.dev, true))
		tap_bail("cannot enable superpipe on %s", O.dev);
	if (O.dev2) {
		orig2 = sp_lun_mode(O.dev2);
		if (sp_set_superpipe(O.dev2, true))
			O.dev2 = NULL;
	}

	raw_model();
	library_model();
	dying_child(true);
	dying_child(false);

	if (orig == 0)
		sp_set_superpipe(O.dev, false);
	if (O.dev2 && orig2 == 0)
		sp_set_superpipe(O.dev2, false);
	return tap_done();
}
