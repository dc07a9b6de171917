// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "sp_common.h"

/* ------------------------------------------------------------------ */
/* TAP                                                                 */
/* ------------------------------------------------------------------ */

static int t_n, t_fail, t_plan = -1;

void tap_plan(int n)
{
	t_plan = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

void tap_plan_late(void)
{
	t_plan = 0;
}

int tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	t_n++;
	if (!cond)
		t_fail++;
	printf("%sok %d - ", cond ? "" : "not ", t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	t_n++;
	printf("ok %d - ", t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int tap_done(void)
{
	if (t_plan == 0)
		printf("1..%d\n", t_n);
	else if (t_plan > 0 && t_plan != t_n)
		printf("# planned %d tests but ran %d\n", t_plan, t_n);
	printf("%d passed, %d failed\n", t_n - t_fail, t_fail);
	fflush(stdout);
	return t_fail || (t_plan > 0 && t_plan != t_n) ? 1 : 0;
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	printf("%d passed, %d failed\n", t_n - t_fail, t_fail + 1);
	fflush(stdout);
	exit(2);
}

/* ------------------------------------------------------------------ */
/* options and discovery                                               */
/* ------------------------------------------------------------------ */

int sp_parse_common(int argc, char **argv, struct sp_opts *o,
		    const char *extra_opts,
		    int (*extra)(int opt, const char *arg, void *priv), void *priv,
		    const char *usage)
{
	char optstr[128];
	int c;

	memset(o, 0, sizeof(*o));
	snprintf(optstr, sizeof(optstr), "d:D:vh%s", extra_opts ? extra_opts : "");
	while ((c = getopt(argc, argv, optstr)) != -1) {
		switch (c) {
		case 'd':
			o->dev = optarg;
			break;
		case 'D':
			o->dev2 = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			printf("usage: %s [-d /dev/sdX] [-D /dev/sdY] [-v] %s\n",
			       argv[0], usage ? usage : "");
			exit(0);
		default:
			if (extra && extra(c, optarg, priv) == 0)
				break;
			fprintf(stderr, "usage: %s [-d /dev/sdX] [-D /dev/sdY] [-v] %s\n",
				argv[0], usage ? usage : "");
			exit(2);
		}
	}
	return optind;
}

static bool host_is_cxlflash(int host)
{
	char p[128], buf[64];
	FILE *f;
	bool ok = false;

	snprintf(p, sizeof(p), "/sys/class/scsi_host/host%d/proc_name", host);
	f = fopen(p, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		ok = strncmp(buf, "cxlflash", 8) == 0 && !isalnum((unsigned char)buf[8]) &&
		     buf[8] != '_';
	fclose(f);
	return ok;
}

static int cmp_names(const void *a, const void *b)
{
	const char *x = a, *y = b;
	size_t lx = strlen(x), ly = strlen(y);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

int sp_find_luns(char names[][64], int max)
{
	DIR *d = opendir("/sys/bus/scsi/devices");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		int h, c, t, l;
		char p[512];
		DIR *bd;
		struct dirent *be;

		if (sscanf(e->d_name, "%d:%d:%d:%d", &h, &c, &t, &l) != 4)
			continue;
		if (!host_is_cxlflash(h))
			continue;
		snprintf(p, sizeof(p), "/sys/bus/scsi/devices/%s/block", e->d_name);
		bd = opendir(p);
		if (!bd)
			continue;
		while ((be = readdir(bd))) {
			if (be->d_name[0] == '.')
				continue;
			snprintf(names[n], 64, "/dev/%.58s", be->d_name);
			n++;
			break;
		}
		closedir(bd);
	}
	closedir(d);
	qsort(names, (size_t)n, 64, cmp_names);
	return n;
}

bool sp_pick_luns(struct sp_opts *o)
{
	static char names[64][64];
	int n = sp_find_luns(names, 64);

	if (!o->dev) {
		if (n < 1)
			return false;
		o->dev = names[0];
	}
	if (!o->dev2) {
		for (int i = 0; i < n; i++)
			if (strcmp(names[i], o->dev)) {
				char a[512], b[512], *pa, *pb;

				/* same adapter: sysfs path equal up to "/host" */
				if (sp_sdev_path(o->dev, a, sizeof(a)) ||
				    sp_sdev_path(names[i], b, sizeof(b)))
					continue;
				pa = strstr(a, "/host");
				pb = strstr(b, "/host");
				if (pa && pb && pa - a == pb - b &&
				    !strncmp(a, b, (size_t)(pa - a))) {
					o->dev2 = names[i];
					break;
				}
			}
	}
	return true;
}

bool sp_tap_start(struct sp_opts *o)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_plan_late();
	if (sp_pick_luns(o))
		return true;
	printf("1..0 # SKIP no cxlflash LUN found\n0 passed, 0 failed\n");
	return false;
}

int sp_sdev_path(const char *dev, char *out, size_t len)
{
	char link[128], tmp[4096];
	struct stat st;

	if (stat(dev, &st) < 0)
		return -errno;
	snprintf(link, sizeof(link), "/sys/dev/%s/%u:%u/device",
		 S_ISBLK(st.st_mode) ? "block" : "char",
		 major(st.st_rdev), minor(st.st_rdev));
	if (!realpath(link, tmp))
		return -errno;
	if (strlen(tmp) >= len)
		return -ENAMETOOLONG;
	strcpy(out, tmp);
	return 0;
}

int sp_lun_mode(const char *dev)
{
	char p[4096 + 8], buf[32];
	FILE *f;
	int rc;

	rc = sp_sdev_path(dev, p, sizeof(p) - 8);
	if (rc)
		return rc;
	strcat(p, "/mode");
	f = fopen(p, "r");
	if (!f)
		return -errno;
	rc = fgets(buf, sizeof(buf), f) ? (strncmp(buf, "superpipe", 9) == 0) : -EIO;
	fclose(f);
	return rc;
}

/* pick the 16-byte NAA-6 designator of VPD page 0x83 */
static int wwid_of(const char *dev, uint8_t wwid[16])
{
	char p[4096 + 16];
	uint8_t pg[1024];
	ssize_t n;
	size_t end;
	int fd, rc;

	rc = sp_sdev_path(dev, p, sizeof(p) - 16);
	if (rc)
		return rc;
	strcat(p, "/vpd_pg83");
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, pg, sizeof(pg));
	close(fd);
	if (n < 4 || pg[1] != 0x83)
		return -ENODATA;
	end = 4 + ((size_t)pg[2] << 8 | pg[3]);
	if (end > (size_t)n)
		end = (size_t)n;
	for (size_t o = 4; o + 4 <= end; o += 4 + pg[o + 3]) {
		if ((pg[o + 1] & 0xF) == 3 && (pg[o] & 0xF) == 1 && pg[o + 3] == 16 &&
		    (pg[o + 4] >> 4) == 6 && o + 20 <= end) {
			memcpy(wwid, &pg[o + 4], 16);
			return 0;
		}
	}
	return -ENODATA;
}

int sp_wwid_hex(const char *dev, char out[33])
{
	uint8_t w[16];
	int rc = wwid_of(dev, w);

	if (rc)
		return rc;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", w[i]);
	return 0;
}

int sp_manage_lun(int fd, const char *dev, uint64_t flags)
{
	struct dk_cxlflash_manage_lun m;
	int rc;

	memset(&m, 0, sizeof(m));
	rc = wwid_of(dev, m.wwid);
	if (rc)
		return rc;
	m.hdr.flags = flags;
	return sp_ioctl(fd, DK_CXLFLASH_MANAGE_LUN, &m);
}

int sp_set_superpipe(const char *dev, bool on)
{
	int fd = sp_open_dev(dev), rc;

	if (fd < 0)
		return fd;
	rc = sp_manage_lun(fd, dev, on ? DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE :
			   DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* raw ioctls                                                          */
/* ------------------------------------------------------------------ */

int sp_ioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do {
		rc = ioctl(fd, req, arg);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

int sp_open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR | O_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

int sp_attach(int fd, uint64_t flags, uint64_t reuse_ctx,
	      struct dk_cxlflash_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->hdr.flags = flags;
	a->num_interrupts = 4;
	a->context_id = reuse_ctx;
	return sp_ioctl(fd, DK_CXLFLASH_ATTACH, a);
}

int sp_detach(int fd, uint64_t ctx)
{
	struct dk_cxlflash_detach d;

	memset(&d, 0, sizeof(d));
	d.context_id = ctx;
	return sp_ioctl(fd, DK_CXLFLASH_DETACH, &d);
}

int sp_udirect(int fd, uint64_t ctx, uint64_t *rh, uint64_t *last)
{
	struct dk_cxlflash_udirect u;
	int rc;

	memset(&u, 0, sizeof(u));
	u.context_id = ctx;
	rc = sp_ioctl(fd, DK_CXLFLASH_USER_DIRECT, &u);
	if (!rc) {
		if (rh)
			*rh = u.rsrc_handle;
		if (last)
			*last = u.last_lba;
	}
	return rc;
}

int sp_uvirtual(int fd, uint64_t ctx, uint64_t size, uint64_t flags,
		uint64_t *rh, uint64_t *last)
{
	struct dk_cxlflash_uvirtual u;
	int rc;

	memset(&u, 0, sizeof(u));
	u.hdr.flags = flags;
	u.context_id = ctx;
	u.lun_size = size;
	rc = sp_ioctl(fd, DK_CXLFLASH_USER_VIRTUAL, &u);
	if (!rc) {
		if (rh)
			*rh = u.rsrc_handle;
		if (last)
			*last = u.last_lba;
	}
	return rc;
}

int sp_release(int fd, uint64_t ctx, uint64_t rh)
{
	struct dk_cxlflash_release r;

	memset(&r, 0, sizeof(r));
	r.context_id = ctx;
	r.rsrc_handle = rh;
	return sp_ioctl(fd, DK_CXLFLASH_RELEASE, &r);
}

int sp_verify(int fd, uint64_t ctx, uint64_t rh, uint64_t *last)
{
	struct dk_cxlflash_verify v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.context_id = ctx;
	v.rsrc_handle = rh;
	rc = sp_ioctl(fd, DK_CXLFLASH_VERIFY, &v);
	if (!rc && last)
		*last = v.last_lba;
	return rc;
}

int sp_resize(int fd, uint64_t ctx, uint64_t rh, uint64_t size, uint64_t *last)
{
	struct dk_cxlflash_resize r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.context_id = ctx;
	r.rsrc_handle = rh;
	r.req_size = size;
	rc = sp_ioctl(fd, DK_CXLFLASH_VLUN_RESIZE, &r);
	if (!rc && last)
		*last = r.last_lba;
	return rc;
}

int sp_recover(int fd, uint64_t ctx, struct dk_cxlflash_recover_afu *r)
{
	memset(r, 0, sizeof(*r));
	r->context_id = ctx;
	return sp_ioctl(fd, DK_CXLFLASH_RECOVER_AFU, r);
}

/* ------------------------------------------------------------------ */
/* data                                                                */
/* ------------------------------------------------------------------ */

void *sp_alloc(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, len ? len : 4096))
		return NULL;
	memset(p, 0, len);
	return p;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

void sp_fill(void *buf, uint64_t lba, uint64_t nblocks, uint32_t bs, uint64_t seed)
{
	uint64_t *p = buf;

	for (uint64_t b = 0; b < nblocks; b++) {
		uint64_t k = mix((lba + b) ^ (seed << 40) ^ 0x5a5a);

		p[0] = lba + b;		/* first word: the LBA, easy to eyeball */
		p[1] = seed;
		for (uint32_t i = 2; i < bs / 8; i++)
			p[i] = k + i;
		p += bs / 8;
	}
}

uint64_t sp_check(const void *buf, uint64_t lba, uint64_t nblocks, uint32_t bs,
		  uint64_t seed)
{
	const uint64_t *p = buf;
	uint64_t bad = 0;

	for (uint64_t b = 0; b < nblocks; b++) {
		uint64_t k = mix((lba + b) ^ (seed << 40) ^ 0x5a5a);
		bool ok = p[0] == lba + b && p[1] == seed;

		for (uint32_t i = 2; ok && i < bs / 8; i++)
			ok = p[i] == k + i;
		bad += !ok;
		p += bs / 8;
	}
	return bad;
}

/* ------------------------------------------------------------------ */
/* debugfs                                                             */
/* ------------------------------------------------------------------ */

#define SIM_DEBUGFS "/sys/kernel/debug/cxlflash_sim"

bool sp_sim_adapter(char *name, size_t len)
{
	DIR *d = opendir(SIM_DEBUGFS);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while ((e = readdir(d))) {
		char p[600];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), SIM_DEBUGFS "/%s", e->d_name);
		if (stat(p, &st) || !S_ISDIR(st.st_mode))
			continue;
		snprintf(name, len, "%s", e->d_name);
		found = true;
		break;
	}
	closedir(d);
	return found;
}

int sp_sim_user_contexts(void)
{
	DIR *d = opendir(SIM_DEBUGFS);
	struct dirent *e;
	int total = -1;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[600], line[512];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), SIM_DEBUGFS "/%s/contexts", e->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (total < 0)
			total = 0;
		while (fgets(line, sizeof(line), f)) {
			for (char *c = line; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			if (strstr(line, "user"))
				total++;
		}
		fclose(f);
	}
	closedir(d);
	return total;
}

bool sp_lunrec(const char *wwid, struct sp_lunrec *r)
{
	FILE *f = fopen("/sys/kernel/debug/cxlflash/luns", "r");
	char line[512];
	bool found = false;

	memset(r, 0, sizeof(*r));
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncasecmp(line, wwid, 32) || line[32] != ' ')
			continue;
		found = sscanf(line + 33, "mode=%15s users=%d max_lba=%llu blk_len=%u chunks=%llu free=%llu",
			       r->mode, &r->users, &r->max_lba, &r->blk_len, &r->chunks,
			       &r->nfree) == 6;
	}
	fclose(f);
	return found;
}

/* ------------------------------------------------------------------ */
/* configfs                                                            */
/* ------------------------------------------------------------------ */

#define SIM_CONFIGFS "/sys/kernel/config/cxlflash_sim"

static int wfile(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int rfile(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

void sp_cfs_destroy(const char *adapter, const struct sp_cfs_lun *luns, size_t n)
{
	char p[512];
	struct stat st;
	DIR *d;
	struct dirent *e;

	snprintf(p, sizeof(p), SIM_CONFIGFS "/%s", adapter);
	if (stat(p, &st))
		return;
	snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/power", adapter);
	wfile(p, "0");
	(void)luns;
	(void)n;
	/* every LUN directory, also those of an earlier run with other names */
	snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/luns", adapter);
	d = opendir(p);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/luns/%.200s/enable", adapter, e->d_name);
		wfile(p, "0");
		snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/luns/%.200s", adapter, e->d_name);
		rmdir(p);
	}
	if (d)
		closedir(d);
	snprintf(p, sizeof(p), SIM_CONFIGFS "/%s", adapter);
	rmdir(p);
}

static bool cfs_find_disks(struct sp_cfs_lun *luns, size_t nl)
{
	static char names[256][64];
	char w[33];
	int n = sp_find_luns(names, 256);
	size_t found = 0;

	for (size_t i = 0; i < nl; i++) {
		luns[i].dev[0] = '\0';
		for (int j = 0; j < n; j++) {
			struct stat st;

			if (sp_wwid_hex(names[j], w) || strcasecmp(w, luns[i].wwid))
				continue;
			if (stat(names[j], &st) || !S_ISBLK(st.st_mode))
				continue;
			snprintf(luns[i].dev, sizeof(luns[i].dev), "%.63s", names[j]);
			found++;
			break;
		}
	}
	return found == nl;
}

bool sp_cfs_create(const char *adapter, struct sp_cfs_lun *luns, size_t n, int timeout_s)
{
	char p[512], v[16];
	struct stat st;
	double t0;
	int rc;

	if (stat(SIM_CONFIGFS, &st)) {
		tap_diag("no %s", SIM_CONFIGFS);
		return false;
	}
	sp_cfs_destroy(adapter, luns, n);	/* leftovers of an earlier run */
	snprintf(p, sizeof(p), SIM_CONFIGFS "/%s", adapter);
	if (mkdir(p, 0755)) {
		tap_diag("mkdir %s: %s", p, strerror(errno));
		return false;
	}
	snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/nr_ports", adapter);
	rc = wfile(p, "1");
	for (size_t i = 0; i < n && !rc; i++) {
		snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/luns/%s", adapter, luns[i].name);
		if (mkdir(p, 0755)) {
			rc = -errno;
			break;
		}
		snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/luns/%s/size", adapter, luns[i].name);
		rc = wfile(p, luns[i].size);
		snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/luns/%s/block_size", adapter, luns[i].name);
		snprintf(v, sizeof(v), "%u", luns[i].bs);
		rc = rc ? rc : wfile(p, v);
		snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/luns/%s/enable", adapter, luns[i].name);
		rc = rc ? rc : wfile(p, "1");
	}
	snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/power", adapter);
	rc = rc ? rc : wfile(p, "1");
	for (size_t i = 0; i < n && !rc; i++) {
		snprintf(p, sizeof(p), SIM_CONFIGFS "/%s/luns/%s/wwid", adapter, luns[i].name);
		rc = rfile(p, luns[i].wwid, sizeof(luns[i].wwid));
		if (!rc && strlen(luns[i].wwid) != 32)
			rc = -ENODATA;
	}
	if (rc) {
		tap_diag("configfs set-up of %s failed: %s", adapter, strerror(-rc));
		sp_cfs_destroy(adapter, luns, n);
		return false;
	}
	/* no udev: wait for the scan to create the disks */
	t0 = sp_now();
	while (!cfs_find_disks(luns, n) && sp_now() - t0 < timeout_s)
		sp_msleep(200);
	if (!cfs_find_disks(luns, n)) {
		tap_diag("the LUNs of configfs adapter %s did not appear within %d s", adapter,
			 timeout_s);
		sp_cfs_destroy(adapter, luns, n);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		tap_diag("configfs LUN %s/%s (%s, %u-byte blocks): %s wwid %s", adapter,
			 luns[i].name, luns[i].size, luns[i].bs, luns[i].dev, luns[i].wwid);
	return true;
}

double sp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sp_msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* quiescence counters                                                 */
/* ------------------------------------------------------------------ */

int sp_write_file(const char *path, const char *val)
{
	return wfile(path, val);
}

int sp_read_file(const char *path, char *buf, size_t len)
{
	return rfile(path, buf, len);
}

int sp_host_no(const char *dev)
{
	char p[4096];
	const char *h;
	int rc = sp_sdev_path(dev, p, sizeof(p));

	if (rc)
		return rc;
	h = strstr(p, "/host");
	if (!h)
		return -ENODEV;
	return atoi(h + 5);
}

int sp_sim_set_delay(unsigned int us)
{
	DIR *d = opendir(SIM_DEBUGFS);
	struct dirent *e;
	char p[600], v[16];
	int n = 0;

	if (!d)
		return 0;
	snprintf(v, sizeof(v), "%u", us);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), SIM_DEBUGFS "/%.200s/delay_us", e->d_name);
		if (!wfile(p, v))
			n++;
	}
	closedir(d);
	return n;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += line[0] != '\n';
	fclose(f);
	return n;
}

static int read_int(const char *path, int *val)
{
	char buf[32];
	int rc = rfile(path, buf, sizeof(buf));

	if (!rc)
		*val = atoi(buf);
	return rc;
}

void sp_counts_read(struct sp_counts *c)
{
	DIR *d = opendir("/sys/class/scsi_host");
	struct dirent *e;
	char line[512];
	FILE *f;

	memset(c, 0, sizeof(*c));
	while (d && (e = readdir(d))) {
		char p[600];
		int h, v, n;

		if (sscanf(e->d_name, "host%d", &h) != 1 || !host_is_cxlflash(h))
			continue;
		c->hosts++;
		snprintf(p, sizeof(p), "/sys/class/scsi_host/host%d/user_contexts", h);
		if (read_int(p, &v))
			c->unreadable++;
		else
			c->user_contexts += v;
		snprintf(p, sizeof(p), "/sys/kernel/debug/cxlflash/host%d/contexts", h);
		n = count_lines(p);
		if (n < 0)
			c->unreadable++;
		else
			c->ctx_lines += n;
		snprintf(p, sizeof(p), "/sys/kernel/debug/cxlflash/host%d/user_files", h);
		if (read_int(p, &v))
			c->unreadable++;
		else
			c->user_files += v;
		snprintf(p, sizeof(p), "/sys/kernel/debug/cxlflash/host%d/contexts_count", h);
		if (read_int(p, &v))
			c->unreadable++;
		else
			c->contexts_count += v;
	}
	if (d)
		closedir(d);
	c->sim_user = sp_sim_user_contexts();
	if (c->sim_user < 0) {
		c->unreadable++;
		c->sim_user = 0;
	}
	f = fopen("/sys/kernel/debug/cxlflash/luns", "r");
	if (!f) {
		c->unreadable++;
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char mode[16];
		int users;
		unsigned long long max_lba, chunks, nfree;
		unsigned int bl;

		if (strlen(line) < 34 ||
		    sscanf(line + 33, "mode=%15s users=%d max_lba=%llu blk_len=%u chunks=%llu free=%llu",
			   mode, &users, &max_lba, &bl, &chunks, &nfree) != 6)
			continue;
		c->lun_users += users;
		c->lost_chunks += (long long)(chunks - nfree);
	}
	fclose(f);
}

bool sp_counts_zero(const struct sp_counts *c)
{
	return c->hosts > 0 && !c->unreadable && !c->user_contexts && !c->ctx_lines &&
	       !c->user_files && !c->contexts_count && !c->sim_user && !c->lun_users &&
	       !c->lost_chunks;
}

void sp_counts_str(const struct sp_counts *c, char *buf, size_t len)
{
	snprintf(buf, len,
		 "hosts=%d user_contexts=%d debugfs(contexts=%d user_files=%d contexts_count=%d) sim_user=%d lun_users=%d chunks_not_free=%lld unreadable=%d",
		 c->hosts, c->user_contexts, c->ctx_lines, c->user_files, c->contexts_count,
		 c->sim_user, c->lun_users, c->lost_chunks, c->unreadable);
}

bool sp_wait_quiet(int timeout_s, struct sp_counts *c)
{
	double t0 = sp_now();

	for (;;) {
		sp_counts_read(c);
		if (sp_counts_zero(c))
			return true;
		if (sp_now() - t0 >= timeout_s)
			return false;
		sp_msleep(100);
	}
}

static void dump_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n++ < 40) {
		line[strcspn(line, "\n")] = '\0';
		tap_diag("  %s: %s", path, line);
	}
	fclose(f);
}

void sp_dump_state(void)
{
	DIR *d = opendir("/sys/kernel/debug/cxlflash");
	struct dirent *e;
	char p[600];

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "host", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/kernel/debug/cxlflash/%.200s/contexts", e->d_name);
		dump_file(p);
	}
	if (d)
		closedir(d);
	dump_file("/sys/kernel/debug/cxlflash/luns");
	d = opendir(SIM_DEBUGFS);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), SIM_DEBUGFS "/%.200s/contexts", e->d_name);
		dump_file(p);
	}
	if (d)
		closedir(d);
}
