// SPDX-License-Identifier: GPL-2.0-only
/*
 * sgfence: the fence against SCSI pass-through while user contexts own a
 * LUN.
 *
 * With a resource handle open on the LUN (USER_DIRECT, then USER_VIRTUAL)
 * media commands sent with SG_IO, on /dev/sdX and on /dev/sgN, must end
 * with CHECK CONDITION, DATA PROTECT, ACCESS DENIED - NO ACCESS RIGHTS
 * (0x20/0x02) and change nothing; INQUIRY, READ CAPACITY(16), TEST UNIT
 * READY and REPORT LUNS must pass; block I/O (O_DIRECT) fails with EIO
 * as before.  sg_raw, sg_dd, sg_inq, sg_readcap and sg_turs, started as
 * other processes, report the same.  After DETACH the very same READ(16)
 * succeeds and the data is what it was before the handle was opened.  A
 * USER_VIRTUAL over every chunk proves that the driver's own scrubbing
 * (UNMAP or WRITE SAME through the midlayer) still passes the fence: the
 * block written before reads zeros after DETACH.
 *
 * usage: sgfence [-d /dev/sdX] [-v]      (writes LBAs 64-65 of the LUN)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <scsi/sg.h>

#include "sp_common.h"

#define TEST_LBA	64ULL

static struct sp_opts O;
static char sgpath[64];
static uint32_t bs;

struct sgres {
	int rc;			/* ioctl: 0 or -errno */
	int status;		/* SCSI status */
	int host;		/* host_status */
	int key, asc, ascq;	/* from fixed or descriptor sense, -1: none */
};

static void sgio(const char *path, const uint8_t *cdb, int cdblen, int dir,
		 void *buf, unsigned int len, struct sgres *r)
{
	uint8_t sense[64];
	struct sg_io_hdr h;
	int fd = open(path, O_RDWR | O_NONBLOCK);

	memset(r, 0, sizeof(*r));
	r->key = r->asc = r->ascq = -1;
	if (fd < 0) {
		r->rc = -errno;
		return;
	}
	memset(&h, 0, sizeof(h));
	memset(sense, 0, sizeof(sense));
	h.interface_id = 'S';
	h.cmdp = (unsigned char *)cdb;
	h.cmd_len = cdblen;
	h.dxfer_direction = dir;
	h.dxferp = buf;
	h.dxfer_len = len;
	h.sbp = sense;
	h.mx_sb_len = sizeof(sense);
	h.timeout = 30000;
	r->rc = ioctl(fd, SG_IO, &h) ? -errno : 0;
	close(fd);
	r->status = h.status;
	r->host = h.host_status;
	if (h.sb_len_wr >= 14 && (sense[0] & 0x7e) == 0x70) {
		r->key = sense[2] & 0xf;
		r->asc = sense[12];
		r->ascq = sense[13];
	} else if (h.sb_len_wr >= 4 && (sense[0] & 0x7e) == 0x72) {
		r->key = sense[1] & 0xf;
		r->asc = sense[2];
		r->ascq = sense[3];
	}
}

static bool sg_good(const struct sgres *r)
{
	return r->rc == 0 && r->status == 0 && r->host == 0;
}

static bool sg_fenced(const struct sgres *r)
{
	return r->rc == 0 && r->status == 0x02 && r->host == 0 &&
	       r->key == 0x07 && r->asc == 0x20 && r->ascq == 0x02;
}

static const char *sgstr(const struct sgres *r)
{
	static char s[128];

	snprintf(s, sizeof(s), "rc %d status 0x%02x host 0x%02x sense %d/0x%02x/0x%02x",
		 r->rc, r->status, r->host, r->key, r->asc, r->ascq);
	return s;
}

static void cdb_rw16(uint8_t *c, uint8_t op, uint64_t lba, uint32_t n)
{
	memset(c, 0, 16);
	c[0] = op;
	for (int i = 0; i < 8; i++)
		c[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		c[10 + i] = (uint8_t)(n >> (24 - 8 * i));
}

static void read16(const char *path, void *buf, struct sgres *r)
{
	uint8_t c[16];

	cdb_rw16(c, 0x88, TEST_LBA, 1);
	sgio(path, c, 16, SG_DXFER_FROM_DEV, buf, bs, r);
}

static void write16(const char *path, void *buf, struct sgres *r)
{
	uint8_t c[16];

	cdb_rw16(c, 0x8a, TEST_LBA, 1);
	sgio(path, c, 16, SG_DXFER_TO_DEV, buf, bs, r);
}

static void readcap16(const char *path, void *buf, struct sgres *r)
{
	uint8_t c[16] = { 0x9e, 0x10 };

	c[13] = 32;
	sgio(path, c, 16, SG_DXFER_FROM_DEV, buf, 32, r);
}

/* run a shell command; its exit status and the first line matching @re */
static int run(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	out[0] = '\0';
	if (!p)
		return -1;
	while (n + 1 < len && fgets(out + n, (int)(len - n), p))
		n = strlen(out);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool has(const char *s, const char *what)
{
	return strcasestr(s, what) != NULL;
}

/* Everything that must pass, and everything that must not, on @path */
static void probe_fenced(const char *path, const char *name, void *pat_b,
			 void *buf)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	uint8_t tur[6] = { 0 };
	uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	struct sgres r;

	read16(path, buf, &r);
	tap_ok(sg_fenced(&r), "%s: READ(16) fenced: %s", name, sgstr(&r));
	write16(path, pat_b, &r);
	tap_ok(sg_fenced(&r), "%s: WRITE(16) fenced: %s", name, sgstr(&r));
	sgio(path, inq, 6, SG_DXFER_FROM_DEV, buf, 96, &r);
	tap_ok(sg_good(&r), "%s: INQUIRY passes: %s", name, sgstr(&r));
	readcap16(path, buf, &r);
	tap_ok(sg_good(&r), "%s: READ CAPACITY(16) passes: %s", name, sgstr(&r));
	sgio(path, tur, 6, SG_DXFER_NONE, NULL, 0, &r);
	tap_ok(sg_good(&r), "%s: TEST UNIT READY passes: %s", name, sgstr(&r));
	sgio(path, rl, 12, SG_DXFER_FROM_DEV, buf, 256, &r);
	tap_ok(sg_good(&r), "%s: REPORT LUNS passes: %s", name, sgstr(&r));
}

/*
 * More of the classification, on the sg node: media commands that would
 * change LBA 64 if they ran (checked after DETACH), and others that pass.
 */
static void probe_more(void *pat_b, void *buf)
{
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, TEST_LBA, 0, 0, 1, 0 };
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, TEST_LBA, 0, 0, 1, 0 };
	uint8_t v16[16], ws16[16];
	uint8_t unmap[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
	uint8_t ulist[24] = { 0, 22, 0, 16 };
	uint8_t sync10[10] = { 0x35 };
	uint8_t msense[6] = { 0x1a, 0, 0x3f, 0, 255, 0 };
	struct sgres r;

	sgio(sgpath, r10, 10, SG_DXFER_FROM_DEV, buf, bs, &r);
	tap_ok(sg_fenced(&r), "%s: READ(10) fenced: %s", sgpath, sgstr(&r));
	sgio(sgpath, w10, 10, SG_DXFER_TO_DEV, pat_b, bs, &r);
	tap_ok(sg_fenced(&r), "%s: WRITE(10) fenced: %s", sgpath, sgstr(&r));
	cdb_rw16(v16, 0x8f, TEST_LBA, 1);
	sgio(sgpath, v16, 16, SG_DXFER_NONE, NULL, 0, &r);
	tap_ok(sg_fenced(&r), "%s: VERIFY(16) fenced: %s", sgpath, sgstr(&r));
	cdb_rw16(ws16, 0x93, TEST_LBA, 1);
	sgio(sgpath, ws16, 16, SG_DXFER_TO_DEV, pat_b, bs, &r);
	tap_ok(sg_fenced(&r), "%s: WRITE SAME(16) fenced: %s", sgpath, sgstr(&r));
	ulist[8 + 7] = TEST_LBA;
	ulist[8 + 11] = 1;
	sgio(sgpath, unmap, 10, SG_DXFER_TO_DEV, ulist, sizeof(ulist), &r);
	tap_ok(sg_fenced(&r), "%s: UNMAP fenced: %s", sgpath, sgstr(&r));
	sgio(sgpath, sync10, 10, SG_DXFER_NONE, NULL, 0, &r);
	tap_ok(sg_good(&r), "%s: SYNCHRONIZE CACHE(10) passes: %s", sgpath, sgstr(&r));
	sgio(sgpath, msense, 6, SG_DXFER_FROM_DEV, buf, 255, &r);
	tap_ok(sg_good(&r), "%s: MODE SENSE(6) passes: %s", sgpath, sgstr(&r));
}

/* The sg3_utils tools, as other processes, on the sg node */
static void tools_fenced(void)
{
	char cmd[512], out[4096];
	int rc;

	snprintf(cmd, sizeof(cmd),
		 "sg_raw -r %u %s 88 00 00 00 00 00 00 00 00 %02llx 00 00 00 01 00 00 2>&1",
		 bs, sgpath, TEST_LBA);
	rc = run(cmd, out, sizeof(out));
	if (!tap_ok(rc != 0 && has(out, "Data protect") && has(out, "Access denied"),
		    "sg_raw READ(16) on %s fails with Data protect, Access denied (exit %d)",
		    sgpath, rc) || O.verbose)
		tap_diag("%s", out);
	snprintf(cmd, sizeof(cmd),
		 "sg_dd if=%s of=/dev/null bs=%u skip=%llu count=1 2>&1",
		 sgpath, bs, TEST_LBA);
	rc = run(cmd, out, sizeof(out));
	/* 7: SG_LIB_CAT_DATA_PROTECT */
	if (!tap_ok(rc == 7, "sg_dd read of %s fails as data protect (exit %d)",
		    sgpath, rc) || O.verbose)
		tap_diag("%s", out);
	snprintf(cmd, sizeof(cmd), "sg_inq %s >/dev/null 2>&1 && sg_readcap -l %s >/dev/null 2>&1 && sg_turs %s 2>&1",
		 sgpath, sgpath, sgpath);
	rc = run(cmd, out, sizeof(out));
	tap_ok(rc == 0, "sg_inq, sg_readcap -l, sg_turs on %s pass (exit %d)", sgpath, rc);
}

static bool block_read(void *buf)
{
	int fd = open(O.dev, O_RDONLY | O_DIRECT);
	ssize_t n;

	if (fd < 0)
		return false;
	n = pread(fd, buf, bs, (off_t)(TEST_LBA * bs));
	close(fd);
	return n == (ssize_t)bs;
}

/*
 * ATTACH + a handle, the probes, DETACH, then the same READ must pass and
 * find @expect: the data written before (USER_DIRECT), or zeros (a
 * virtual LUN over every chunk: the driver scrubbed them while fenced).
 */
static void holder(bool virt, void *expect, void *pat_b, void *buf)
{
	struct dk_cxlflash_attach a;
	uint64_t rh, last;
	struct sgres r;
	int fd, rc;
	const char *what = virt ? "USER_VIRTUAL" : "USER_DIRECT";

	fd = sp_open_dev(O.dev);
	if (!tap_ok(fd >= 0, "open %s", O.dev))
		return;
	rc = sp_attach(fd, O_RDWR, 0, &a);
	if (!tap_ok(rc == 0, "%s: ATTACH (%s)", what, strerror(-rc))) {
		close(fd);
		return;
	}
	/* as large as can be: all the chunks, zeroed through the fence */
	rc = virt ? sp_uvirtual(fd, a.context_id, 1ULL << 40, 0, &rh, &last) :
		    sp_udirect(fd, a.context_id, &rh, &last);
	tap_ok(rc == 0, "%s opens a handle (%s), last_lba %llu", what,
	       strerror(-rc), (unsigned long long)last);

	probe_fenced(O.dev, O.dev, pat_b, buf);
	probe_fenced(sgpath, sgpath, pat_b, buf);
	probe_more(pat_b, buf);
	if (!virt)
		tools_fenced();
	errno = 0;
	tap_ok(!block_read(buf) && errno == EIO,
	       "block layer: pread(O_DIRECT) fails with EIO (%s)", strerror(errno));

	rc = sp_detach(fd, a.context_id);
	tap_ok(rc == 0, "%s: DETACH (%s)", what, strerror(-rc));
	close((int)a.adap_fd);
	close(fd);

	read16(sgpath, buf, &r);
	tap_ok(sg_good(&r) && !memcmp(buf, expect, bs),
	       "after DETACH: READ(16) on %s passes, data %s: %s", sgpath,
	       virt ? "scrubbed" : "unchanged", sgstr(&r));
	memset(buf, 0xa5, bs);
	read16(O.dev, buf, &r);
	tap_ok(sg_good(&r) && !memcmp(buf, expect, bs),
	       "after DETACH: READ(16) on %s passes, same data: %s", O.dev, sgstr(&r));
	memset(buf, 0xa5, bs);
	tap_ok(block_read(buf) && !memcmp(buf, expect, bs),
	       "after DETACH: pread(O_DIRECT) passes, same data");
}

static bool find_sg(void)
{
	char p[4096 + 64];
	const char *base = strrchr(O.dev, '/');
	FILE *f;
	char line[64];

	snprintf(p, sizeof(p), "ls /sys/block/%s/device/scsi_generic 2>/dev/null",
		 base ? base + 1 : O.dev);
	f = popen(p, "r");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	pclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (!line[0])
		return false;
	snprintf(sgpath, sizeof(sgpath), "/dev/%s", line);
	return true;
}

int main(int argc, char **argv)
{
	uint8_t cap[32];
	void *pat_a, *pat_b, *zero, *buf;
	struct sgres r;
	int orig;

	sp_parse_common(argc, argv, &O, NULL, NULL, NULL, "");
	if (!sp_tap_start(&O))
		return 0;
	if (!find_sg())
		tap_bail("no sg node for %s", O.dev);
	tap_diag("LUN %s, sg node %s", O.dev, sgpath);

	readcap16(sgpath, cap, &r);
	if (!sg_good(&r))
		tap_bail("READ CAPACITY(16) on %s: %s", sgpath, sgstr(&r));
	bs = (uint32_t)cap[8] << 24 | cap[9] << 16 | cap[10] << 8 | cap[11];
	pat_a = sp_alloc(bs);
	pat_b = sp_alloc(bs);
	buf = sp_alloc(bs);
	zero = sp_alloc(bs);
	sp_fill(pat_a, TEST_LBA, 1, bs, 0xfe2ce);
	sp_fill(pat_b, TEST_LBA, 1, bs, 0xbad);

	orig = sp_lun_mode(O.dev);
	if (orig < 0)
		tap_bail("%s has no mode attribute", O.dev);
	tap_ok(sp_set_superpipe(O.dev, true) == 0, "MANAGE_LUN ENABLE on %s", O.dev);

	/* no handle yet: nothing is fenced */
	write16(sgpath, pat_a, &r);
	tap_ok(sg_good(&r), "no handle: WRITE(16) on %s passes: %s", sgpath, sgstr(&r));
	read16(O.dev, buf, &r);
	tap_ok(sg_good(&r) && !memcmp(buf, pat_a, bs),
	       "no handle: READ(16) on %s passes, reads it back: %s", O.dev, sgstr(&r));

	holder(false, pat_a, pat_b, buf);
	holder(true, zero, pat_b, buf);

	sp_set_superpipe(O.dev, orig == 1);
	free(pat_a);
	free(pat_b);
	free(buf);
	free(zero);
	return tap_done();
}
