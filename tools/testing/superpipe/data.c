// SPDX-License-Identifier: GPL-2.0-only
/*
 * data: data integrity through the superpipe and across modes.
 *
 *  1. physical LUN through the library: patterns at LBA 0, small and large
 *     transfers (up to max_xfer, and one larger that the library splits),
 *     the last blocks of the LUN, QD32 asynchronous random writes; all read
 *     back through the library; out-of-range I/O is -ERANGE;
 *  2. MANAGE_LUN DISABLE, then pread(O_DIRECT) on /dev/sdX shows the same
 *     data; pwrite(O_DIRECT) new data, ENABLE again, the library reads it;
 *  3. a virtual LUN: data at chunk boundaries, resize down and up.
 *
 * usage: data [-d /dev/sdX] [-v]      (destroys data on the LUN)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_common.h"

static struct sp_opts O;

struct region {
	uint64_t lba, n;
};

static int nreg;
static struct region R[16];

static void add(uint64_t lba, uint64_t n, uint64_t last)
{
	if (lba > last || n - 1 > last - lba)
		return;
	for (int i = 0; i < nreg; i++)	/* keep regions disjoint */
		if (lba < R[i].lba + R[i].n && R[i].lba < lba + n)
			return;
	R[nreg].lba = lba;
	R[nreg].n = n;
	nreg++;
}

static void physical(struct cflash_info *in)
{
	struct cflash_lun *l;
	uint32_t bs;
	uint64_t last, big, bad = 0;
	void *buf;
	int rc, err = 0;

	rc = cflash_open(O.dev, O_RDWR, 0, &l);
	if (!tap_ok(rc == 0, "library opens %s physically (%s)", O.dev, cflash_strerror(rc)))
		tap_bail("no context");
	cflash_info(l, in);
	bs = in->block_size;
	last = in->last_lba;
	big = in->max_xfer;
	tap_diag("last_lba %llu block %u max_xfer %llu", (unsigned long long)last, bs,
		 (unsigned long long)big);
	add(0, 1, last);
	add(1, 8, last);
	add(100, 64, last);
	add(1000, big, last);
	add(1000 + big + 10, big + 3, last);	/* split by the library */
	add(last - 7, 8, last);
	add(last / 2, 16, last);
	buf = sp_alloc((size_t)(big + 3) * bs);

	for (int i = 0; i < nreg; i++) {
		sp_fill(buf, R[i].lba, R[i].n, bs, 1);
		rc = cflash_write(l, buf, R[i].lba, R[i].n);
		err += rc != 0;
		if (rc)
			tap_diag("write %llu+%llu: %s", (unsigned long long)R[i].lba,
				 (unsigned long long)R[i].n, cflash_strerror(rc));
	}
	tap_ok(err == 0, "%d regions written (1 block .. %llu blocks, last LBA included)", nreg,
	       (unsigned long long)big + 3);
	for (int i = 0; i < nreg; i++) {
		memset(buf, 0, (size_t)R[i].n * bs);
		rc = cflash_read(l, buf, R[i].lba, R[i].n);
		err += rc != 0;
		bad += rc ? R[i].n : sp_check(buf, R[i].lba, R[i].n, bs, 1);
	}
	tap_ok(err == 0 && bad == 0, "read back through the library: %llu bad blocks",
	       (unsigned long long)bad);
	tap_ok(cflash_read(l, buf, last + 1, 1) == -ERANGE &&
	       cflash_read(l, buf, last, 2) == -ERANGE, "I/O past the last LBA -> -ERANGE");

	/* QD32 random writes, then QD32 reads */
	{
		enum { QD = 32, N = 512 };
		uint64_t base = 20000, span = 8192, *lbas = calloc(N, sizeof(uint64_t));
		void *b = sp_alloc((size_t)QD * bs);
		int slot_of[QD];
		cflash_tag_t tags[QD];
		unsigned int seed = 42;
		int pass;

		if (base + span > last) {
			base = 0;
			span = last + 1 > 16 ? (last + 1) / 2 : last + 1;
		}
		for (int i = 0; i < N; i++) {	/* distinct LBAs */
			bool dup;

			do {
				lbas[i] = base + (uint64_t)rand_r(&seed) % span;
				dup = false;
				for (int j = 0; j < i && !dup; j++)
					dup = lbas[j] == lbas[i];
			} while (dup);
		}
		for (pass = 0; pass < 2; pass++) {
			int next = 0, done = 0;
			uint64_t pbad = 0;

			err = 0;
			for (int q = 0; q < QD; q++)
				slot_of[q] = -1;
			while (done < N) {
				struct cflash_completion c;

				for (int q = 0; q < QD && next < N; q++) {
					void *p = (char *)b + (size_t)q * bs;

					if (slot_of[q] >= 0)
						continue;
					if (pass == 0) {
						sp_fill(p, lbas[next], 1, bs, 2);
						rc = cflash_awrite(l, p, lbas[next], 1, &tags[q]);
					} else {
						memset(p, 0, bs);
						rc = cflash_aread(l, p, lbas[next], 1, &tags[q]);
					}
					if (rc) {
						err++;
						done++;
						next++;
						continue;
					}
					slot_of[q] = next++;
				}
				rc = cflash_aresult(l, CFLASH_TAG_ANY, CFLASH_WAIT, &c);
				if (rc != 1)
					break;
				for (int q = 0; q < QD; q++)
					if (slot_of[q] >= 0 && tags[q] == c.tag) {
						if (c.status)
							err++;
						else if (pass == 1)
							pbad += sp_check((char *)b + (size_t)q * bs,
									 lbas[slot_of[q]], 1, bs, 2);
						slot_of[q] = -1;
						done++;
						break;
					}
			}
			tap_ok(done == N && err == 0 && pbad == 0,
			       "QD%d async random %s of %d blocks: %d errors, %llu bad", QD,
			       pass ? "reads" : "writes", N, err, (unsigned long long)pbad);
		}
		/* remember them for the legacy check */
		R[nreg].lba = lbas[0];
		R[nreg].n = 1;
		free(lbas);
		free(b);
	}
	rc = cflash_close(l);
	tap_ok(rc == 0, "library close");
	free(buf);
}

static void legacy_crosscheck(const struct cflash_info *in)
{
	uint32_t bs = in->block_size;
	uint64_t bad = 0, big = in->max_xfer + 3;
	void *buf = sp_alloc((size_t)big * bs);
	int rc, fd, err = 0;

	rc = sp_set_superpipe(O.dev, false);
	tap_ok(rc == 0 && sp_lun_mode(O.dev) == 0, "MANAGE_LUN DISABLE -> legacy (%s)",
	       rc ? strerror(-rc) : "0");
	fd = open(O.dev, O_RDWR | O_DIRECT);
	if (!tap_ok(fd >= 0, "open %s O_DIRECT", O.dev)) {
		free(buf);
		return;
	}
	for (int i = 0; i < nreg; i++) {
		size_t len = (size_t)R[i].n * bs;
		ssize_t n = pread(fd, buf, len, (off_t)(R[i].lba * bs));

		if (n != (ssize_t)len) {
			err++;
			continue;
		}
		bad += sp_check(buf, R[i].lba, R[i].n, bs, 1);
	}
	tap_ok(err == 0 && bad == 0, "pread(O_DIRECT) via the SCSI disk sees the superpipe data: "
	       "%d errors, %llu bad blocks", err, (unsigned long long)bad);
	{
		ssize_t n;

		memset(buf, 0, bs);
		n = pread(fd, buf, bs, (off_t)(R[nreg].lba * bs));
		tap_ok(n == (ssize_t)bs && !sp_check(buf, R[nreg].lba, 1, bs, 2),
		       "async-written block visible through the SCSI disk");
	}
	/* legacy -> superpipe */
	err = 0;
	for (int i = 0; i < 3 && i < nreg; i++) {
		size_t len = (size_t)R[i].n * bs;

		sp_fill(buf, R[i].lba, R[i].n, bs, 3);
		err += pwrite(fd, buf, len, (off_t)(R[i].lba * bs)) != (ssize_t)len;
	}
	fsync(fd);
	close(fd);
	tap_ok(err == 0, "pwrite(O_DIRECT) new data in legacy mode");
	rc = sp_set_superpipe(O.dev, true);
	tap_ok(rc == 0 && sp_lun_mode(O.dev) == 1, "MANAGE_LUN ENABLE -> superpipe");
	{
		struct cflash_lun *l;

		bad = 0;
		err = 0;
		rc = cflash_open(O.dev, O_RDONLY, 0, &l);
		for (int i = 0; !rc && i < 3 && i < nreg; i++) {
			memset(buf, 0, (size_t)R[i].n * bs);
			err += cflash_read(l, buf, R[i].lba, R[i].n) != 0;
			bad += sp_check(buf, R[i].lba, R[i].n, bs, 3);
		}
		tap_ok(rc == 0 && err == 0 && bad == 0,
		       "read-only library handle sees the legacy writes (%llu bad)", (unsigned long long)bad);
		if (!rc) {
			tap_ok(cflash_write(l, buf, 0, 1) == -EACCES, "write on an O_RDONLY handle -> -EACCES");
			cflash_close(l);
		}
	}
	free(buf);
}

static void virtual_lun(void)
{
	struct cflash_lun *v;
	struct cflash_info in;
	uint64_t sz = 0, lbas[] = { 0, 65535, 65536, 131071 };
	uint64_t bad = 0;
	void *buf;
	int rc, err = 0;

	rc = cflash_open(O.dev, O_RDWR | CFLASH_OPEN_VIRTUAL, 131072, &v);
	if (!tap_ok(rc == 0, "virtual LUN of 131072 blocks (%s)", cflash_strerror(rc)))
		return;
	cflash_info(v, &in);
	cflash_size(v, &sz);
	tap_ok(sz == 131072, "size %llu", (unsigned long long)sz);
	buf = sp_alloc(in.block_size);
	for (int i = 0; i < 4; i++) {
		sp_fill(buf, lbas[i], 1, in.block_size, 4);
		err += cflash_write(v, buf, lbas[i], 1) != 0;
	}
	for (int i = 0; i < 4; i++) {
		memset(buf, 0, in.block_size);
		err += cflash_read(v, buf, lbas[i], 1) != 0;
		bad += sp_check(buf, lbas[i], 1, in.block_size, 4);
	}
	tap_ok(err == 0 && bad == 0, "data at chunk boundaries (0, 65535, 65536, 131071)");
	tap_ok(cflash_read(v, buf, 131072, 1) == -ERANGE, "read past the virtual size -> -ERANGE");
	rc = cflash_resize(v, 65536, &sz);
	tap_ok(rc == 0 && sz == 65536, "resize down to one chunk (%llu)", (unsigned long long)sz);
	tap_ok(cflash_read(v, buf, 65536, 1) == -ERANGE, "the dropped chunk is out of range");
	err = 0;
	bad = 0;
	for (int i = 0; i < 2; i++) {
		err += cflash_read(v, buf, lbas[i], 1) != 0;
		bad += sp_check(buf, lbas[i], 1, in.block_size, 4);
	}
	tap_ok(err == 0 && bad == 0, "data of the kept chunk survives the shrink");
	rc = cflash_resize(v, 131072, &sz);
	tap_ok(rc == 0 && sz == 131072 && cflash_read(v, buf, 131071, 1) == 0,
	       "resize up again, new chunk readable");
	rc = cflash_resize(v, 0, &sz);
	tap_ok(rc == 0 && sz == 0 && cflash_read(v, buf, 0, 1) == -ERANGE,
	       "resize to 0: empty, all I/O -ERANGE");
	tap_ok(cflash_close(v) == 0, "close the virtual LUN");
	free(buf);
}

int main(int argc, char **argv)
{
	struct cflash_info in;
	int orig;

	sp_parse_common(argc, argv, &O, NULL, NULL, NULL, "");
	if (!sp_tap_start(&O))
		return 0;
	tap_diag("LUN %s", O.dev);
	orig = sp_lun_mode(O.dev);
	if (orig < 0)
		tap_bail("%s has no mode attribute", O.dev);
	physical(&in);
	legacy_crosscheck(&in);
	virtual_lun();
	sp_set_superpipe(O.dev, orig == 1);
	return tap_done();
}
