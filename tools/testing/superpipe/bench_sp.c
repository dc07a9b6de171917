// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_sp: 4 KiB random read/write at QD1 and QD32 on one LUN through
 *   - libcflash (superpipe: no syscalls per I/O),
 *   - pread/pwrite with O_DIRECT on /dev/sdX (QD32 = 32 threads),
 *   - io_uring with O_DIRECT (raw syscalls; liburing is not needed),
 * measured side by side in one boot; prints a table and the ratios.
 * Not a test (no TAP): exit status 0 unless something failed to run.
 *
 * usage: bench_sp [-d /dev/sdX] [-t SECONDS per cell=3] [-r REGION blocks=65536]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sp_common.h"

static struct sp_opts O;
static double SECS = 3;
static uint64_t REGION = 65536;
static uint32_t BS = 4096;

static int opt(int c, const char *arg, void *priv)
{
	(void)priv;
	switch (c) {
	case 't': SECS = atof(arg); return SECS > 0 ? 0 : -1;
	case 'r': REGION = strtoull(arg, NULL, 0); return REGION >= 64 ? 0 : -1;
	}
	return -1;
}

struct cell {
	const char *engine;
	int write, qd;
	double iops, lat_us;
	int err;
	const char *note;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- libcflash ---- */
static void lib_cell(struct cflash_lun *l, struct cell *c)
{
	void *b = sp_alloc((size_t)c->qd * BS);
	uint64_t s = 88172645463325252ULL, n = 0;
	double t0 = sp_now(), end = t0 + SECS;
	int rc = 0;

	if (c->qd == 1) {
		while (sp_now() < end && !rc) {
			for (int k = 0; k < 64 && !rc; k++, n++) {
				uint64_t lba = rnd(&s) % REGION;

				rc = c->write ? cflash_write(l, b, lba, 1) : cflash_read(l, b, lba, 1);
			}
		}
	} else {
		cflash_tag_t t;
		struct cflash_completion cc;
		int inflight = 0;

		for (int k = 0; k < c->qd && !rc; k++, inflight++)
			rc = c->write ? cflash_awrite(l, (char *)b + (size_t)k * BS, rnd(&s) % REGION, 1, &t)
				      : cflash_aread(l, (char *)b + (size_t)k * BS, rnd(&s) % REGION, 1, &t);
		while (!rc) {
			if (cflash_aresult(l, CFLASH_TAG_ANY, CFLASH_WAIT, &cc) != 1 || cc.status) {
				rc = -EIO;
				break;
			}
			n++;
			inflight--;
			if ((n & 63) == 0 && sp_now() >= end)
				break;
			rc = c->write ? cflash_awrite(l, b, rnd(&s) % REGION, 1, &t)
				      : cflash_aread(l, b, rnd(&s) % REGION, 1, &t);
			inflight += !rc;
		}
		while (inflight > 0 && cflash_aresult(l, CFLASH_TAG_ANY, CFLASH_WAIT, &cc) == 1)
			inflight--;
	}
	t0 = sp_now() - t0;
	c->err = rc;
	c->iops = (double)n / t0;
	c->lat_us = c->iops > 0 ? 1e6 * c->qd / c->iops : 0;
	free(b);
}

/* ---- pread/pwrite ---- */
struct pw_arg {
	int fd, write;
	double end;
	uint64_t n, seed;
	int err;
};

static void *pw_thread(void *p)
{
	struct pw_arg *a = p;
	void *b = sp_alloc(BS);

	while (sp_now() < a->end) {
		for (int k = 0; k < 16; k++) {
			off_t off = (off_t)(rnd(&a->seed) % REGION) * BS;
			ssize_t r = a->write ? pwrite(a->fd, b, BS, off) : pread(a->fd, b, BS, off);

			if (r != (ssize_t)BS) {
				a->err = -EIO;
				free(b);
				return NULL;
			}
			a->n++;
		}
	}
	free(b);
	return NULL;
}

static void pread_cell(int fd, struct cell *c)
{
	pthread_t t[32];
	struct pw_arg a[32];
	double t0 = sp_now();
	uint64_t n = 0;

	for (int i = 0; i < c->qd; i++) {
		a[i] = (struct pw_arg){ fd, c->write, t0 + SECS, 0, 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1), 0 };
		pthread_create(&t[i], NULL, pw_thread, &a[i]);
	}
	for (int i = 0; i < c->qd; i++) {
		pthread_join(t[i], NULL);
		n += a[i].n;
		if (a[i].err)
			c->err = a[i].err;
	}
	t0 = sp_now() - t0;
	c->iops = (double)n / t0;
	c->lat_us = c->iops > 0 ? 1e6 * c->qd / c->iops : 0;
}

/* ---- io_uring (raw) ---- */
struct ring {
	int fd;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq_ptr, *cq_ptr;
	size_t sq_len, cq_len, sqe_len;
};

static int ring_init(struct ring *r, unsigned int entries)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = r->sq_len;
	}
	r->sq_ptr = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 r->fd, IORING_OFF_SQ_RING);
	if (r->sq_ptr == MAP_FAILED)
		return -errno;
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		r->cq_ptr = r->sq_ptr;
	else
		r->cq_ptr = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
				 r->fd, IORING_OFF_CQ_RING);
	if (r->cq_ptr == MAP_FAILED)
		return -errno;
	r->sqe_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -errno;
	r->sq_head = (unsigned int *)((char *)r->sq_ptr + p.sq_off.head);
	r->sq_tail = (unsigned int *)((char *)r->sq_ptr + p.sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq_ptr + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)r->sq_ptr + p.sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq_ptr + p.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq_ptr + p.cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq_ptr + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_ptr + p.cq_off.cqes);
	return 0;
}

static void ring_fini(struct ring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqe_len);
	if (r->cq_ptr && r->cq_ptr != MAP_FAILED && r->cq_ptr != r->sq_ptr)
		munmap(r->cq_ptr, r->cq_len);
	if (r->sq_ptr && r->sq_ptr != MAP_FAILED)
		munmap(r->sq_ptr, r->sq_len);
	if (r->fd >= 0)
		close(r->fd);
}

static void ring_queue(struct ring *r, int fd, int write, void *buf, uint64_t off, uint64_t ud)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask;
	struct io_uring_sqe *e = &r->sqes[idx];

	memset(e, 0, sizeof(*e));
	e->opcode = write ? IORING_OP_WRITE : IORING_OP_READ;
	e->fd = fd;
	e->addr = (uintptr_t)buf;
	e->len = BS;
	e->off = off;
	e->user_data = ud;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

static void uring_cell(int fd, struct cell *c)
{
	struct ring r;
	void *b = sp_alloc((size_t)c->qd * BS);
	uint64_t s = 0x1234567ULL, n = 0;
	double t0, end;
	unsigned int pending;
	int rc = ring_init(&r, 64);

	if (rc) {
		c->err = rc;
		c->note = "io_uring unavailable";
		ring_fini(&r);
		free(b);
		return;
	}
	t0 = sp_now();
	end = t0 + SECS;
	for (int k = 0; k < c->qd; k++)
		ring_queue(&r, fd, c->write, (char *)b + (size_t)k * BS, (rnd(&s) % REGION) * BS,
			   (uint64_t)k);
	pending = (unsigned int)c->qd;
	for (;;) {
		unsigned int head;
		bool stop = sp_now() >= end;

		if (syscall(__NR_io_uring_enter, r.fd, pending, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
		    errno != EINTR) {
			c->err = -errno;
			break;
		}
		pending = 0;
		head = *r.cq_head;
		while (head != __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE)) {
			struct io_uring_cqe *e = &r.cqes[head & *r.cq_mask];

			if (e->res != (int)BS)
				c->err = e->res < 0 ? e->res : -EIO;
			n++;
			if (!stop) {
				ring_queue(&r, fd, c->write, (char *)b + e->user_data * BS,
					   (rnd(&s) % REGION) * BS, e->user_data);
				pending++;
			}
			head++;
		}
		__atomic_store_n(r.cq_head, head, __ATOMIC_RELEASE);
		if (stop || c->err)
			break;

	}
	t0 = sp_now() - t0;
	ring_fini(&r);	/* closing the ring waits for in-flight requests */
	c->iops = (double)n / t0;
	c->lat_us = c->iops > 0 ? 1e6 * c->qd / c->iops : 0;
	free(b);
}

int main(int argc, char **argv)
{
	struct cell cells[12];
	struct cflash_lun *l;
	struct cflash_info in;
	int orig, rc, fd, nc = 0;

	sp_parse_common(argc, argv, &O, "t:r:", opt, NULL, "[-t SECONDS] [-r REGION]");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!sp_pick_luns(&O)) {
		printf("# no cxlflash LUN found\n");
		return 0;
	}
	orig = sp_lun_mode(O.dev);
	rc = cflash_open(O.dev, O_RDWR, 0, &l);
	if (rc) {
		printf("# cflash_open %s: %s\n", O.dev, cflash_strerror(rc));
		return 1;
	}
	cflash_info(l, &in);
	BS = in.block_size;
	if (REGION > in.last_lba + 1)
		REGION = in.last_lba + 1;
	printf("# bench_sp on %s: %u-byte blocks, region %llu blocks, %.1f s per cell, %s mode\n",
	       O.dev, BS, (unsigned long long)REGION, SECS, in.sq_mode ? "SQ" : "IOARRIN");
	for (int w = 0; w < 2; w++)
		for (int q = 0; q < 2; q++) {
			cells[nc] = (struct cell){ "libcflash", w, q ? 32 : 1, 0, 0, 0, NULL };
			lib_cell(l, &cells[nc++]);
		}
	cflash_close(l);

	rc = sp_set_superpipe(O.dev, false);
	if (rc)
		printf("# MANAGE_LUN DISABLE failed (%s): legacy numbers may be refused\n", strerror(-rc));
	fd = open(O.dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		printf("# open %s O_DIRECT: %s\n", O.dev, strerror(errno));
	} else {
		for (int w = 0; w < 2; w++)
			for (int q = 0; q < 2; q++) {
				cells[nc] = (struct cell){ "pread/pwrite", w, q ? 32 : 1, 0, 0, 0, NULL };
				pread_cell(fd, &cells[nc++]);
			}
		for (int w = 0; w < 2; w++)
			for (int q = 0; q < 2; q++) {
				cells[nc] = (struct cell){ "io_uring", w, q ? 32 : 1, 0, 0, 0, NULL };
				uring_cell(fd, &cells[nc++]);
			}
		close(fd);
	}
	if (orig == 1)
		sp_set_superpipe(O.dev, true);

	printf("\n%-14s %-6s %4s %12s %10s %10s  %s\n", "engine", "op", "QD", "IOPS", "MiB/s",
	       "lat(us)", "vs pread / io_uring");
	for (int i = 0; i < nc; i++) {
		struct cell *c = &cells[i];
		char ratio[64] = "";

		if (i < 4 && nc >= 8 && cells[i + 4].iops > 0)
			snprintf(ratio, sizeof(ratio), "x%.2f", c->iops / cells[i + 4].iops);
		if (i < 4 && nc >= 12 && cells[i + 8].iops > 0)
			snprintf(ratio + strlen(ratio), sizeof(ratio) - strlen(ratio), " / x%.2f",
				 c->iops / cells[i + 8].iops);
		printf("%-14s %-6s %4d %12.0f %10.1f %10.1f  %s%s%s\n", c->engine,
		       c->write ? "write" : "read", c->qd, c->iops, c->iops * BS / 1048576.0, c->lat_us,
		       ratio, c->err ? " ERROR " : "", c->err ? (c->note ? c->note : strerror(-c->err)) : "");
	}
	return 0;
}
