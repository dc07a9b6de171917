// SPDX-License-Identifier: GPL-2.0-only
/*
 * lunmode: the host attribute lun_mode, external and internal LUNs.
 *
 *  1. invalid values (5, -1, "x", empty) are EINVAL, writing 0 at 0 is a
 *     no-op that succeeds (the disks stay as they were);
 *  2. modes 1-4: the external disks go, the internal LUNs appear on
 *     channel 0, target 0, LUN 0 (and 1), with 64Ki x 512 B, 64Ki x 4 KiB,
 *     2 x 32Ki x 512 B, 2 x 32Ki x 4 KiB (logical_block_size, size, READ
 *     CAPACITY through the block device, lsscsi -s);
 *  3. data written to an internal LUN reads back, and is still there when
 *     the AFU comes back to that mode;
 *  4. in internal-LUN mode ATTACH, USER_DIRECT, RELEASE and DETACH work
 *     (the historical driver refused RELEASE: a bug not repeated),
 *     USER_VIRTUAL, VLUN_RESIZE and VLUN_CLONE are EINVAL; library I/O
 *     through the handle sees the data of the block device; a lun_mode
 *     change is EBUSY while a user context exists;
 *  5. back to 0: the same external LUNs (by WWID) with their data.
 *
 * usage: lunmode [-d /dev/sdX] [-v]   (writes LBA 8 of every external LUN
 *                                      of the adapter of the LUN)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_common.h"

#define EXT_LBA		8ULL
#define INT_LBA		5ULL
#define LIB_LBA		3ULL
#define MAX_DISKS	64

static struct sp_opts O;
static int host;
static char attr[128];

struct disk {
	int ch, id, lun;
	char name[32];		/* sdX */
	char wwid[33];
	uint32_t bs;
	uint64_t bytes;
};

static const struct {
	int nluns;
	uint32_t bs;
	uint64_t nblocks;
} layout[5] = {
	{ 0, 0, 0 },
	{ 1, 512, 65536 },
	{ 1, 4096, 65536 },
	{ 2, 512, 32768 },
	{ 2, 4096, 32768 },
};

static int cmp_disk(const void *a, const void *b)
{
	const struct disk *x = a, *y = b;

	if (x->ch != y->ch)
		return x->ch - y->ch;
	return x->lun - y->lun;
}

static uint64_t sysfs_u64(const char *fmt, const char *name)
{
	char p[256], b[64];

	snprintf(p, sizeof(p), fmt, name);
	if (sp_read_file(p, b, sizeof(b)))
		return 0;
	return strtoull(b, NULL, 10);
}

/* The disks of our host whose block device node exists; their number */
static int host_disks(struct disk *d, int max)
{
	char p[512], pre[32];
	struct dirent *e, *b;
	DIR *dir, *bd;
	int n = 0;

	snprintf(pre, sizeof(pre), "%d:", host);
	dir = opendir("/sys/bus/scsi/devices");
	if (!dir)
		return 0;
	while ((e = readdir(dir)) && n < max) {
		struct stat st;

		if (strncmp(e->d_name, pre, strlen(pre)))
			continue;
		snprintf(p, sizeof(p), "/sys/bus/scsi/devices/%s/block", e->d_name);
		bd = opendir(p);
		if (!bd)
			continue;
		d[n].name[0] = '\0';
		while ((b = readdir(bd)))
			if (b->d_name[0] != '.' && strlen(b->d_name) < sizeof(d[n].name))
				memcpy(d[n].name, b->d_name, strlen(b->d_name) + 1);
		closedir(bd);
		snprintf(p, sizeof(p), "/dev/%s", d[n].name);
		if (!d[n].name[0] || stat(p, &st))
			continue;
		if (sscanf(e->d_name, "%*d:%d:%d:%d", &d[n].ch, &d[n].id, &d[n].lun) != 3)
			continue;
		d[n].bs = (uint32_t)sysfs_u64("/sys/block/%s/queue/logical_block_size",
					      d[n].name);
		d[n].bytes = sysfs_u64("/sys/block/%s/size", d[n].name) * 512;
		if (sp_wwid_hex(p, d[n].wwid))
			d[n].wwid[0] = '\0';
		n++;
	}
	closedir(dir);
	qsort(d, n, sizeof(*d), cmp_disk);
	return n;
}

/* Wait (up to 60 s) for exactly @want disks; their list in @d */
static int wait_disks(struct disk *d, int want)
{
	int n = 0;

	for (int i = 0; i < 300; i++) {
		n = host_disks(d, MAX_DISKS);
		if (n == want)
			return n;
		sp_msleep(200);
	}
	return n;
}

static int cur_mode(void)
{
	char b[32];

	if (sp_read_file(attr, b, sizeof(b)))
		return -1;
	return atoi(b);
}

static int set_mode(const char *val)
{
	return sp_write_file(attr, val);
}

static int blk_rw(const char *name, bool wr, void *buf, uint32_t bs, uint64_t lba)
{
	char p[64];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/dev/%s", name);
	fd = open(p, (wr ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		return -errno;
	n = wr ? pwrite(fd, buf, bs, (off_t)(lba * bs)) :
		 pread(fd, buf, bs, (off_t)(lba * bs));
	if (wr && n == (ssize_t)bs && fsync(fd))
		n = -1;
	close(fd);
	return n == (ssize_t)bs ? 0 : -EIO;
}

static void lsscsi_count(int want)
{
	char cmd[64], line[256], pre[16];
	int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "lsscsi -s 2>&1");
	snprintf(pre, sizeof(pre), "[%d:", host);
	p = popen(cmd, "r");
	if (!p) {
		tap_ok(false, "lsscsi -s runs");
		return;
	}
	while (fgets(line, sizeof(line), p))
		if (!strncmp(line, pre, strlen(pre))) {
			n++;
			tap_diag("%s", strtok(line, "\n"));
		}
	pclose(p);
	tap_ok(n == want, "lsscsi -s lists %d disk(s) of host%d (%d)", want, host, n);
}

/* Switch to @mode and check the disks of its layout */
static int enter_internal(int mode, struct disk *d)
{
	char v[8];
	int rc, n, ok = 1;

	snprintf(v, sizeof(v), "%d", mode);
	rc = set_mode(v);
	tap_ok(rc == 0 && cur_mode() == mode, "lun_mode %d accepted (%s), reads %d",
	       mode, strerror(-rc), cur_mode());
	n = wait_disks(d, layout[mode].nluns);
	tap_ok(n == layout[mode].nluns, "lun_mode %d: %d internal disk(s) (%d)", mode,
	       layout[mode].nluns, n);
	for (int i = 0; i < n; i++) {
		ok &= tap_ok(d[i].ch == 0 && d[i].id == 0 && d[i].lun == i,
			     "lun_mode %d: %s is %d:%d:%d:%d", mode, d[i].name, host,
			     d[i].ch, d[i].id, d[i].lun);
		ok &= tap_ok(d[i].bs == layout[mode].bs &&
			     d[i].bytes == layout[mode].nblocks * layout[mode].bs,
			     "lun_mode %d: %s has %llu blocks of %u bytes (%llu bytes, block %u)",
			     mode, d[i].name, (unsigned long long)layout[mode].nblocks,
			     layout[mode].bs, (unsigned long long)d[i].bytes, d[i].bs);
	}
	lsscsi_count(layout[mode].nluns);
	return ok && n == layout[mode].nluns ? n : -1;
}

/* The superpipe in lun_mode 3, on the internal LUNs @d and @d2 */
static void ioctls_internal(struct disk *d, struct disk *d2)
{
	struct dk_cxlflash_attach a;
	struct dk_cxlflash_clone cl;
	struct cflash_lun *l;
	struct sp_counts c;
	uint64_t rh = 0, last = 0, vrh, vlast;
	char dev[64], dev2[64];
	void *pat, *buf;
	int fd, rc;

	snprintf(dev, sizeof(dev), "/dev/%s", d->name);
	snprintf(dev2, sizeof(dev2), "/dev/%s", d2->name);
	tap_ok(sp_set_superpipe(dev, true) == 0, "MANAGE_LUN ENABLE on internal %s", dev);
	fd = sp_open_dev(dev);
	rc = sp_attach(fd, O_RDWR, 0, &a);
	if (!tap_ok(rc == 0, "internal LUN: ATTACH works (%s)", strerror(-rc)))
		return;
	rc = sp_udirect(fd, a.context_id, &rh, &last);
	tap_ok(rc == 0 && last == layout[3].nblocks - 1,
	       "internal LUN: USER_DIRECT works (%s), last_lba %llu",
	       strerror(-rc), (unsigned long long)last);
	rc = sp_uvirtual(fd, a.context_id, 16, 0, &vrh, &vlast);
	tap_ok(rc == -EINVAL, "internal LUN: USER_VIRTUAL is EINVAL (%s)", strerror(-rc));
	rc = sp_resize(fd, a.context_id, rh, 16, &vlast);
	tap_ok(rc == -EINVAL, "internal LUN: VLUN_RESIZE is EINVAL (%s)", strerror(-rc));
	memset(&cl, 0, sizeof(cl));
	cl.context_id_src = a.context_id;
	cl.context_id_dst = a.context_id;
	rc = sp_ioctl(fd, DK_CXLFLASH_VLUN_CLONE, &cl);
	tap_ok(rc == -EINVAL, "internal LUN: VLUN_CLONE is EINVAL (%s)", strerror(-rc));
	rc = sp_release(fd, a.context_id, rh);
	tap_ok(rc == 0, "internal LUN: RELEASE works (%s)", strerror(-rc));
	rc = sp_release(fd, a.context_id, rh);
	tap_ok(rc == -EINVAL, "internal LUN: a second RELEASE of it is EINVAL (%s)",
	       strerror(-rc));

	rc = set_mode("1");
	tap_ok(rc == -EBUSY && cur_mode() == 3,
	       "lun_mode 1 while a user context exists: EBUSY (%s), mode stays 3",
	       strerror(-rc));
	rc = set_mode("0");
	tap_ok(rc == -EBUSY && cur_mode() == 3,
	       "lun_mode 0 while a user context exists: EBUSY (%s)", strerror(-rc));

	rc = sp_detach(fd, a.context_id);
	tap_ok(rc == 0, "internal LUN: DETACH works (%s)", strerror(-rc));
	close((int)a.adap_fd);
	close(fd);

	/* the library through a physical handle on the second LUN */
	pat = sp_alloc(d2->bs);
	buf = sp_alloc(d2->bs);
	sp_fill(pat, LIB_LBA, 1, d2->bs, 0x1e7);
	rc = cflash_open(dev2, O_RDWR, 0, &l);
	if (tap_ok(rc == 0, "library opens internal %s (%s)", dev2, cflash_strerror(rc))) {
		rc = cflash_write(l, pat, LIB_LBA, 1);
		tap_ok(rc == 0 && cflash_read(l, buf, LIB_LBA, 1) == 0 &&
		       !memcmp(buf, pat, d2->bs),
		       "library write + read on the internal LUN (%s)", cflash_strerror(rc));
		/* RELEASE then DETACH, as on any LUN */
		rc = cflash_close(l);
		tap_ok(rc == 0, "library close: RELEASE and DETACH work (%d)", rc);
	}
	tap_ok(sp_wait_quiet(10, &c), "no user context left (DETACH released the handle)");
	sp_set_superpipe(dev2, false);
	memset(buf, 0, d2->bs);
	tap_ok(blk_rw(d2->name, false, buf, d2->bs, LIB_LBA) == 0 &&
	       !memcmp(buf, pat, d2->bs), "the block device reads what the library wrote");
	free(pat);
	free(buf);
}

/*
 * The host device of this adapter: /sys/class/cxlflash/cxlflash<N> whose
 * parent (the AFU's auxiliary device) holds host<host>.  -1 if none.
 */
static int host_node_open(void)
{
	char path[160];
	struct stat st;

	for (int n = 0; n < 256; n++) {
		snprintf(path, sizeof(path), "/sys/class/cxlflash/cxlflash%d/device/host%d",
			 n, host);
		if (stat(path, &st))
			continue;
		snprintf(path, sizeof(path), "/dev/cxlflash/cxlflash%d", n);
		return open(path, O_RDWR);
	}
	return -1;
}

/* LUN provisioning is for the FC ports: refused in internal-LUN mode */
static void provision_internal(void)
{
	struct ht_cxlflash_lun_provision p;
	int fd = host_node_open(), rc;

	if (!tap_ok(fd >= 0, "internal mode: the adapter's host device opens"))
		return;
	memset(&p, 0, sizeof(p));
	p.hdr.subcmd = HT_CXLFLASH_LUN_PROVISION_SUBCMD_CREATE_LUN;
	p.size = 16;
	rc = sp_ioctl(fd, HT_CXLFLASH_LUN_PROVISION, &p);
	tap_ok(rc == -EINVAL && p.lun_id == 0,
	       "internal mode: LUN_PROVISION CREATE is EINVAL (%s)", strerror(-rc));
	memset(&p, 0, sizeof(p));
	p.hdr.subcmd = HT_CXLFLASH_LUN_PROVISION_SUBCMD_DELETE_LUN;
	rc = sp_ioctl(fd, HT_CXLFLASH_LUN_PROVISION, &p);
	tap_ok(rc == -EINVAL, "internal mode: LUN_PROVISION DELETE is EINVAL (%s)",
	       strerror(-rc));
	memset(&p, 0, sizeof(p));
	p.hdr.subcmd = HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT;
	rc = sp_ioctl(fd, HT_CXLFLASH_LUN_PROVISION, &p);
	tap_ok(rc == 0, "internal mode: LUN_PROVISION QUERY_PORT works (%s)",
	       strerror(-rc));
	close(fd);
}

static void restore(void)
{
	if (cur_mode() > 0)
		set_mode("0");
}

int main(int argc, char **argv)
{
	static struct disk ext[MAX_DISKS], d[MAX_DISKS], back[MAX_DISKS];
	void *pat[MAX_DISKS], *buf, *ipat;
	int next, n, ok, rc;

	sp_parse_common(argc, argv, &O, NULL, NULL, NULL, "");
	if (!sp_tap_start(&O))
		return 0;
	host = sp_host_no(O.dev);
	if (host < 0)
		tap_bail("no host of %s", O.dev);
	snprintf(attr, sizeof(attr), "/sys/class/scsi_host/host%d/lun_mode", host);
	if (cur_mode() != 0)
		tap_bail("host%d is in lun_mode %d", host, cur_mode());
	atexit(restore);

	next = host_disks(ext, MAX_DISKS);
	tap_diag("host%d: %d external disks", host, next);
	buf = sp_alloc(65536);
	for (int i = 0; i < next; i++) {
		pat[i] = sp_alloc(ext[i].bs);
		/* one pattern per LUN: its paths write the same data */
		sp_fill(pat[i], EXT_LBA, 1, ext[i].bs,
			strtoull(ext[i].wwid + 16, NULL, 16));
		if (blk_rw(ext[i].name, true, pat[i], ext[i].bs, EXT_LBA))
			tap_bail("cannot write LBA %llu of %s", EXT_LBA, ext[i].name);
	}

	/* 1. invalid input; 0 at 0 */
	tap_ok(set_mode("5") == -EINVAL, "lun_mode 5 is EINVAL");
	tap_ok(set_mode("-1") == -EINVAL, "lun_mode -1 is EINVAL");
	tap_ok(set_mode("x") == -EINVAL, "lun_mode x is EINVAL");
	tap_ok(set_mode("\n") == -EINVAL, "lun_mode '\\n' (empty line) is EINVAL");
	tap_ok(set_mode("1x") == -EINVAL, "lun_mode 1x is EINVAL");
	rc = set_mode("0");
	n = host_disks(d, MAX_DISKS);
	ok = n == next;
	for (int i = 0; ok && i < n; i++)
		ok = !strcmp(d[i].name, ext[i].name);
	tap_ok(rc == 0 && cur_mode() == 0 && ok,
	       "lun_mode 0 at 0: accepted (%s), the same %d disks", strerror(-rc), n);

	/* 2.-4. the internal layouts */
	ipat = sp_alloc(512);
	sp_fill(ipat, INT_LBA, 1, 512, 0x1a7);
	if (enter_internal(1, d) == 1) {
		rc = blk_rw(d[0].name, true, ipat, 512, INT_LBA);
		tap_ok(rc == 0 && blk_rw(d[0].name, false, buf, 512, INT_LBA) == 0 &&
		       !memcmp(buf, ipat, 512), "lun_mode 1: write + read back on %s",
		       d[0].name);
	}
	enter_internal(2, d);
	if (enter_internal(3, d) == 2) {
		ioctls_internal(&d[0], &d[1]);
		provision_internal();
	}
	enter_internal(4, d);
	if (enter_internal(1, d) == 1) {
		memset(buf, 0, 512);
		tap_ok(blk_rw(d[0].name, false, buf, 512, INT_LBA) == 0 &&
		       !memcmp(buf, ipat, 512),
		       "lun_mode 1 again: the internal LUN kept its data");
	}

	/* 5. back to the external LUNs */
	rc = set_mode("0");
	tap_ok(rc == 0 && cur_mode() == 0, "lun_mode 0 accepted (%s)", strerror(-rc));
	n = wait_disks(back, next);
	tap_ok(n == next, "lun_mode 0: the %d external disks are back (%d)", next, n);
	for (int i = 0; i < next; i++) {
		int j;

		for (j = 0; j < n; j++)
			if (back[j].ch == ext[i].ch && back[j].lun == ext[i].lun &&
			    !strcmp(back[j].wwid, ext[i].wwid))
				break;
		if (!tap_ok(j < n, "external %d:%d:%d:%d (WWID %s) is back", host,
			    ext[i].ch, ext[i].id, ext[i].lun, ext[i].wwid))
			continue;
		memset(buf, 0, ext[i].bs);
		rc = blk_rw(back[j].name, false, buf, ext[i].bs, EXT_LBA);
		if (!tap_ok(back[j].bs == ext[i].bs && back[j].bytes == ext[i].bytes &&
			    rc == 0 && !memcmp(buf, pat[i], ext[i].bs),
			    "%s (was %s): same size, its data intact", back[j].name,
			    ext[i].name))
			tap_diag("block size %u/%u, bytes %llu/%llu, read %s, data %s",
				 back[j].bs, ext[i].bs, (unsigned long long)back[j].bytes,
				 (unsigned long long)ext[i].bytes, strerror(-rc),
				 memcmp(buf, pat[i], ext[i].bs) ? "differs" : "same");
		free(pat[i]);
	}
	lsscsi_count(next);
	free(buf);
	free(ipat);
	return tap_done();
}
