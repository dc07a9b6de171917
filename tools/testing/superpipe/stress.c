// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress: N processes attach / do I/O / detach concurrently for T seconds.
 *
 * Each process owns a disjoint 256-block region of the LUN and loops:
 * cflash_open (alternately sharing or not sharing a context, alternately
 * O_RDWR polled and O_RDWR|IRQ), 32 sync write+read-verify pairs and a
 * QD8 async batch, cflash_close.  Every fourth cycle it also forks a child
 * that clones the context (physical: new USER_DIRECT) and reads the region.
 * Asserts: no process saw an error or a mismatch; afterwards the emulator's
 * user-context count is back to its baseline and the LUN has no users.
 *
 * usage: stress [-d /dev/sdX] [-n PROCS=64] [-t SECONDS=60] [-V (virtual LUNs)]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sp_common.h"

static struct sp_opts O;
static int NPROC = 64, SECS = 60, VIRT;

#define RBLK 256

static int opt(int c, const char *arg, void *priv)
{
	(void)priv;
	switch (c) {
	case 'n': NPROC = atoi(arg); return NPROC >= 1 && NPROC <= 500 ? 0 : -1;
	case 't': SECS = atoi(arg); return SECS >= 1 ? 0 : -1;
	case 'V': VIRT = 1; return 0;
	}
	return -1;
}

struct res {
	long cycles, ios, errors, bad, clones;
	int first_err;
	char where[48];
};

static void fail(struct res *r, int rc, const char *where)
{
	if (!r->errors) {
		r->first_err = rc;
		snprintf(r->where, sizeof(r->where), "%s", where);
	}
	r->errors++;
}

static void child(int id, int wfd)
{
	struct res r;
	double end = sp_now() + SECS;
	uint64_t base = VIRT ? 0 : (uint64_t)id * RBLK;
	void *b = NULL;
	uint32_t bs = 4096;

	memset(&r, 0, sizeof(r));
	while (sp_now() < end) {
		struct cflash_lun *l;
		struct cflash_info in;
		int flags = O_RDWR | (VIRT ? CFLASH_OPEN_VIRTUAL : 0);
		int rc;

		if (r.cycles & 1)
			flags |= CFLASH_OPEN_PRIVATE_CTX;
		if (r.cycles & 2)
			flags |= CFLASH_OPEN_IRQ;
		rc = cflash_open(O.dev, flags, VIRT ? RBLK : 0, &l);
		if (rc) {
			fail(&r, rc, "open");
			sp_msleep(50);
			r.cycles++;
			continue;
		}
		cflash_info(l, &in);
		bs = in.block_size;
		if (!b)
			b = sp_alloc((size_t)8 * bs);
		for (int i = 0; i < 32; i++) {
			uint64_t lba = base + (uint64_t)(i * 7 + r.cycles) % RBLK;
			uint64_t seed = (uint64_t)r.cycles << 8 | (uint64_t)i;

			sp_fill(b, lba, 1, bs, seed);
			rc = cflash_write(l, b, lba, 1);
			if (rc) {
				fail(&r, rc, "write");
				break;
			}
			memset(b, 0, bs);
			rc = cflash_read(l, b, lba, 1);
			if (rc) {
				fail(&r, rc, "read");
				break;
			}
			r.bad += (long)sp_check(b, lba, 1, bs, seed);
			r.ios += 2;
		}
		{
			cflash_tag_t t[8];
			struct cflash_completion c;

			for (int k = 0; k < 8; k++) {
				rc = cflash_aread(l, (char *)b + (size_t)k * bs, base + (uint64_t)k, 1, &t[k]);
				if (rc) {
					fail(&r, rc, "aread");
					t[k] = CFLASH_TAG_ANY;
				}
			}
			for (int k = 0; k < 8; k++) {
				if (t[k] == CFLASH_TAG_ANY)
					continue;
				rc = cflash_aresult(l, t[k], CFLASH_WAIT, &c);
				if (rc != 1 || c.status)
					fail(&r, rc != 1 ? rc : c.status, "aresult");
				r.ios++;
			}
		}
		if (r.cycles % 4 == 3) {
			int st;
			pid_t pid = fork();

			if (pid == 0) {
				int code = 0;

				if (cflash_clone_after_fork(l))
					code = 1;
				else if (cflash_read(l, b, base, 1))
					code = 2;
				cflash_close(l);
				_exit(code);
			}
			waitpid(pid, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				fail(&r, -EIO, WIFEXITED(st) && WEXITSTATUS(st) == 1 ?
				     "clone" : "clone read");
			r.clones++;
		}
		rc = cflash_close(l);
		if (rc)
			fail(&r, rc, "close");
		r.cycles++;
	}
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		_exit(3);
	_exit(r.errors || r.bad ? 1 : 0);
}

int main(int argc, char **argv)
{
	pid_t *pids;
	int (*pipes)[2];
	int base, orig, n, rc;
	long tot_ios = 0, tot_cycles = 0;

	sp_parse_common(argc, argv, &O, "n:t:V", opt, NULL, "[-n PROCS] [-t SECONDS] [-V]");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!sp_pick_luns(&O)) {
		printf("1..0 # SKIP no cxlflash LUN found\n0 passed, 0 failed\n");
		return 0;
	}
	tap_plan(NPROC + 3);
	tap_diag("LUN %s, %d processes, %d s, %s LUNs", O.dev, NPROC, SECS,
		 VIRT ? "virtual" : "physical");
	orig = sp_lun_mode(O.dev);
	rc = sp_set_superpipe(O.dev, true);
	if (orig < 0 || rc)
		tap_bail("cannot enable superpipe on %s", O.dev);
	base = sp_sim_user_contexts();
	pids = calloc((size_t)NPROC, sizeof(*pids));
	pipes = calloc((size_t)NPROC, sizeof(*pipes));
	for (int i = 0; i < NPROC; i++) {
		if (pipe(pipes[i]))
			tap_bail("pipe");
		pids[i] = fork();
		if (pids[i] == 0) {
			close(pipes[i][0]);
			child(i, pipes[i][1]);
		}
		close(pipes[i][1]);
	}
	for (int i = 0; i < NPROC; i++) {
		struct res r;
		int st;

		memset(&r, 0, sizeof(r));
		r.errors = -1;
		if (read(pipes[i][0], &r, sizeof(r)) != sizeof(r))
			r.errors = -1;
		close(pipes[i][0]);
		waitpid(pids[i], &st, 0);
		tot_ios += r.ios;
		tot_cycles += r.cycles;
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && r.errors == 0 && r.bad == 0,
		       "process %d: %ld cycles, %ld clones, %ld I/Os, %ld errors%s%s%s, %ld bad", i,
		       r.cycles, r.clones, r.ios, r.errors, r.errors > 0 ? " (first: " : "",
		       r.errors > 0 ? r.where : "", r.errors > 0 ? ")" : "", r.bad);
		if (r.errors > 0)
			tap_diag("process %d first error: %s", i, cflash_strerror(r.first_err));
	}
	tap_ok(tot_cycles >= NPROC, "%ld attach/detach cycles, %ld I/Os in total", tot_cycles, tot_ios);
	if (base >= 0) {
		n = sp_sim_user_contexts();
		for (int t = 0; t < 100 && n != base; t++) {
			sp_msleep(50);
			n = sp_sim_user_contexts();
		}
		tap_ok(n == base, "user contexts back to the baseline %d (now %d)", base, n);
	} else {
		tap_skip("no debugfs", "user contexts back to the baseline");
	}
	rc = sp_set_superpipe(O.dev, false);
	tap_ok(rc == 0, "no users left: MANAGE_LUN DISABLE succeeds (%s)", rc ? strerror(-rc) : "0");
	if (orig == 1)
		sp_set_superpipe(O.dev, true);
	free(pids);
	free(pipes);
	return tap_done();
}
