// SPDX-License-Identifier: GPL-2.0-only
/*
 * cxlflashctl: administer CXL Flash adapters driven by cxlflash.
 *
 *   cxlflashctl list
 *   cxlflashctl status [--json] [ADAPTER]
 *   cxlflashctl superpipe enable|disable /dev/sdX
 *   cxlflashctl contexts
 *   cxlflashctl iocheck [-p] /dev/sdX [COUNT]
 *   cxlflashctl provision create|delete|list ...   (hostcmd.c)
 *   cxlflashctl afu-debug ...                      (hostcmd.c)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <scsi/cxlflash_ioctl.h>
#include "cflash.h"
#include "cxlflashctl.h"

int read_attr(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	if (ferror(f)) {	/* e.g. EINVAL: a port the adapter does not have */
		int err = errno ? -errno : -EIO;

		fclose(f);
		buf[0] = '\0';
		return err;
	}
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}

bool is_cxlflash_host(int host)
{
	char p[128], b[64];

	snprintf(p, sizeof(p), "/sys/class/scsi_host/host%d/proc_name", host);
	return read_attr(p, b, sizeof(b)) >= 0 && strcmp(b, "cxlflash") == 0;
}

/* WWID from vpd_pg83 (16-byte NAA-6), 0 or -errno */
int wwid_of_sdev(const char *sdev, uint8_t w[16])
{
	char p[600];
	uint8_t pg[1024];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/vpd_pg83", sdev);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, pg, sizeof(pg));
	close(fd);
	if (n < 4 || pg[1] != 0x83)
		return -ENODATA;
	for (ssize_t o = 4; o + 20 <= n; o += 4 + pg[o + 3])
		if ((pg[o + 1] & 0xF) == 3 && (pg[o] & 0xF) == 1 && pg[o + 3] == 16 &&
		    (pg[o + 4] >> 4) == 6) {
			memcpy(w, &pg[o + 4], 16);
			return 0;
		}
	return -ENODATA;
}

void first_entry(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	out[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(out, len, "%.*s", (int)len - 1, e->d_name);
			break;
		}
	closedir(d);
}

static int cmd_list(void)
{
	DIR *d = opendir("/sys/class/scsi_host");
	struct dirent *e;
	int found = 0;

	if (!d) {
		perror("/sys/class/scsi_host");
		return 1;
	}
	while ((e = readdir(d))) {
		char p[1024], b[256], real[4096];
		int host;
		DIR *sd;
		struct dirent *se;

		if (sscanf(e->d_name, "host%d", &host) != 1 || !is_cxlflash_host(host))
			continue;
		found++;
		snprintf(p, sizeof(p), "/sys/class/scsi_host/%s/device", e->d_name);
		if (!realpath(p, real))
			snprintf(real, sizeof(real), "?");
		{
			char *h = strstr(real, "/host");

			if (h)
				*h = '\0';
		}
		printf("%s: adapter %s\n", e->d_name, real);
		for (int port = 0; port < 4; port++) {
			snprintf(p, sizeof(p), "/sys/class/scsi_host/%s/port%d", e->d_name, port);
			if (read_attr(p, b, sizeof(b)) >= 0)
				printf("  port%d: %s\n", port, b);
		}
		snprintf(p, sizeof(p), "/sys/class/scsi_host/%s/lun_mode", e->d_name);
		if (read_attr(p, b, sizeof(b)) >= 0)
			printf("  lun_mode: %s\n", b);
		sd = opendir("/sys/bus/scsi/devices");
		while (sd && (se = readdir(sd))) {
			int h, c, t, l;
			char sdev[600], blk[64], sg[64], mode[32], size[32], wwid[40] = "-";
			uint8_t w[16];
			unsigned long long bytes = 0;

			if (sscanf(se->d_name, "%d:%d:%d:%d", &h, &c, &t, &l) != 4 || h != host)
				continue;
			snprintf(sdev, sizeof(sdev), "/sys/bus/scsi/devices/%.200s", se->d_name);
			snprintf(p, sizeof(p), "%s/block", sdev);
			first_entry(p, blk, sizeof(blk));
			snprintf(p, sizeof(p), "%s/scsi_generic", sdev);
			first_entry(p, sg, sizeof(sg));
			snprintf(p, sizeof(p), "%s/mode", sdev);
			if (read_attr(p, mode, sizeof(mode)) < 0)
				snprintf(mode, sizeof(mode), "?");
			if (blk[0]) {
				snprintf(p, sizeof(p), "/sys/block/%s/size", blk);
				if (read_attr(p, size, sizeof(size)) > 0)
					bytes = strtoull(size, NULL, 10) * 512ULL;
			}
			if (!wwid_of_sdev(sdev, w))
				for (int i = 0; i < 16; i++)
					sprintf(wwid + 2 * i, "%02x", w[i]);
			printf("  lun %s (port %d lun %d): %s%s%s%s wwid %s capacity %llu bytes (%.1f GiB) mode %s\n",
			       se->d_name, c, l, blk[0] ? "/dev/" : "", blk[0] ? blk : "-",
			       sg[0] ? " /dev/" : "", sg[0] ? sg : "", wwid, bytes,
			       (double)bytes / (1 << 30), mode);
		}
		if (sd)
			closedir(sd);
	}
	closedir(d);
	if (!found)
		printf("no cxlflash adapters\n");
	return 0;
}

static int sdev_of(const char *dev, char *out, size_t len)
{
	char link[128], tmp[4096];
	struct stat st;

	if (stat(dev, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode))
		return -ENOTBLK;
	snprintf(link, sizeof(link), "/sys/dev/%s/%u:%u/device",
		 S_ISBLK(st.st_mode) ? "block" : "char", major(st.st_rdev), minor(st.st_rdev));
	if (!realpath(link, tmp))
		return -errno;
	snprintf(out, len, "%s", tmp);
	return 0;
}

static int cmd_superpipe(const char *what, const char *dev)
{
	struct dk_cxlflash_manage_lun m;
	char sdev[4096], p[4200], mode[32];
	int fd, rc;

	memset(&m, 0, sizeof(m));
	if (!strcmp(what, "enable"))
		m.hdr.flags = DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE;
	else if (!strcmp(what, "disable"))
		m.hdr.flags = DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE;
	else {
		fprintf(stderr, "superpipe: enable or disable\n");
		return 2;
	}
	rc = sdev_of(dev, sdev, sizeof(sdev));
	if (!rc)
		rc = wwid_of_sdev(sdev, m.wwid);
	if (rc) {
		fprintf(stderr, "%s: cannot read the WWID: %s\n", dev, strerror(-rc));
		return 1;
	}
	fd = open(dev, O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	rc = ioctl(fd, DK_CXLFLASH_MANAGE_LUN, &m);
	if (rc < 0) {
		rc = errno;
		fprintf(stderr, "%s: MANAGE_LUN %s: %s%s\n", dev, what, strerror(rc),
			rc == EBUSY ? " (the LUN has superpipe users)" : "");
		close(fd);
		return 1;
	}
	close(fd);
	snprintf(p, sizeof(p), "%s/mode", sdev);
	if (read_attr(p, mode, sizeof(mode)) < 0)
		snprintf(mode, sizeof(mode), "?");
	printf("%s: mode %s\n", dev, mode);
	return 0;
}

static void dump_dir(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[1024];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < 3)
				dump_dir(p, depth + 1);
		} else if (strstr(e->d_name, "context") && (st.st_mode & 0444)) {
			char buf[4096];
			FILE *f = fopen(p, "r");
			size_t n;

			if (!f)
				continue;
			printf("== %s\n", p);
			while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
				fwrite(buf, 1, n, stdout);
			fclose(f);
		}
	}
	closedir(d);
}

static int cmd_contexts(void)
{
	struct stat st;

	if (stat("/sys/kernel/debug/cxlflash", &st) && stat("/sys/kernel/debug/cxlflash_sim", &st)) {
		printf("no context information (mount debugfs on /sys/kernel/debug)\n");
		return 0;
	}
	dump_dir("/sys/kernel/debug/cxlflash", 0);
	dump_dir("/sys/kernel/debug/cxlflash_sim", 0);
	return 0;
}

static int cmd_iocheck(int argc, char **argv)
{
	struct cflash_lun *l;
	struct cflash_info in;
	struct cflash_stats st;
	int flags = O_RDWR | CFLASH_OPEN_VIRTUAL, rc, i = 0;
	uint64_t count = 256, bad = 0, size;
	const char *dev;
	uint64_t *buf;
	struct timespec t0, t1;
	double secs;

	if (i < argc && !strcmp(argv[i], "-p")) {
		flags = O_RDWR;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "iocheck [-p] /dev/sdX [COUNT]\n");
		return 2;
	}
	dev = argv[i++];
	if (i < argc)
		count = strtoull(argv[i], NULL, 0);
	if (!count)
		count = 1;
	rc = cflash_open(dev, flags, (flags & CFLASH_OPEN_VIRTUAL) ? count : 0, &l);
	if (rc) {
		fprintf(stderr, "%s: %s\n", dev, cflash_strerror(rc));
		return 1;
	}
	cflash_info(l, &in);
	cflash_size(l, &size);
	if (count > size)
		count = size;
	printf("%s: %s LUN, context 0x%llx, handle %llu, %llu blocks of %u bytes, %s mode\n", dev,
	       in.virtual_lun ? "virtual" : "physical", (unsigned long long)in.context_id,
	       (unsigned long long)in.rsrc_handle, (unsigned long long)size, in.block_size,
	       in.sq_mode ? "SQ" : "IOARRIN");
	if (posix_memalign((void **)&buf, 4096, in.block_size)) {
		cflash_close(l);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t lba = 0; lba < count && !rc; lba++) {
		for (uint32_t k = 0; k < in.block_size / 8; k++)
			buf[k] = (lba << 32) ^ k ^ 0xC0FFEEULL;
		rc = cflash_write(l, buf, lba, 1);
	}
	for (uint64_t lba = 0; lba < count && !rc; lba++) {
		memset(buf, 0, in.block_size);
		rc = cflash_read(l, buf, lba, 1);
		for (uint32_t k = 0; !rc && k < in.block_size / 8; k++)
			if (buf[k] != ((lba << 32) ^ k ^ 0xC0FFEEULL)) {
				bad++;
				break;
			}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cflash_stats(l, &st);
	if (rc) {
		char msg[256];

		cflash_last_error(l, msg, sizeof(msg));
		printf("I/O error: %s\n  %s\n", cflash_strerror(rc), msg);
	}
	printf("%llu blocks written and read back: %llu bad, %.0f IOPS; retries %llu, recoveries %llu\n",
	       (unsigned long long)count, (unsigned long long)bad, 2.0 * (double)count / secs,
	       (unsigned long long)st.retries, (unsigned long long)st.recoveries);
	free(buf);
	cflash_close(l);
	return rc || bad ? 1 : 0;
}

static const struct subcmd {
	const char *name;
	const char *help;
} subcmds[] = {
	{ "list", "usage: cxlflashctl list\n"
		  "  The cxlflash adapters with their ports, lun_mode and LUNs (WWID,\n"
		  "  capacity, mode).\n" },
	{ "status", status_usage },
	{ "superpipe", "usage: cxlflashctl superpipe enable|disable /dev/sdX\n"
		       "  Switch a LUN's path between legacy (block layer) and superpipe\n"
		       "  (direct user access) mode with DK_CXLFLASH_MANAGE_LUN.  disable\n"
		       "  fails with EBUSY while a process has the LUN attached.\n" },
	{ "contexts", "usage: cxlflashctl contexts\n"
		      "  Dump the context files of the driver's and the emulator's debugfs\n"
		      "  directories.\n" },
	{ "iocheck", "usage: cxlflashctl iocheck [-p] /dev/sdX [COUNT]\n"
		     "  Write, read and verify COUNT blocks (default 256) through libcflash\n"
		     "  on a virtual LUN, or with -p on the physical LUN from LBA 0: -p\n"
		     "  overwrites data on the LUN.\n" },
	{ "provision", NULL },
	{ "afu-debug", NULL },
};

static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

static const char *help_of(const char *name)
{
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (!strcmp(subcmds[i].name, name))
			return subcmds[i].help ? subcmds[i].help :
			       !strcmp(name, "provision") ? provision_help :
			       afu_debug_help;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cxlflashctl COMMAND [ARGS...]   (cxlflashctl COMMAND --help)\n"
		"       cxlflashctl list\n"
		"       cxlflashctl status [--json] [ADAPTER]\n"
		"       cxlflashctl superpipe enable|disable /dev/sdX\n"
		"       cxlflashctl contexts\n"
		"       cxlflashctl iocheck [-p] /dev/sdX [COUNT]\n"
		"       cxlflashctl provision create|delete|list [-a N] ...\n"
		"       cxlflashctl afu-debug [-a N] OPERATION [ARGS...]\n");
}

int main(int argc, char **argv)
{
	const char *help;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		help = argc > 2 ? help_of(argv[2]) : NULL;
		if (help)
			fputs(help, stdout);
		else
			usage(stdout);
		return 0;
	}
	help = help_of(argv[1]);
	if (!help) {
		fprintf(stderr, "cxlflashctl: unknown command \"%s\"\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (wants_help(argc - 2, argv + 2)) {
		fputs(help, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 2, argv + 2);
	if (!strcmp(argv[1], "iocheck"))
		return cmd_iocheck(argc - 2, argv + 2);
	if (!strcmp(argv[1], "list") && argc == 2)
		return cmd_list();
	if (!strcmp(argv[1], "contexts") && argc == 2)
		return cmd_contexts();
	if (!strcmp(argv[1], "provision"))
		return cmd_provision(argc - 2, argv + 2);
	if (!strcmp(argv[1], "afu-debug"))
		return cmd_afu_debug(argc - 2, argv + 2);
	if (!strcmp(argv[1], "superpipe") && argc == 4)
		return cmd_superpipe(argv[2], argv[3]);
	fputs(help, stderr);
	return 2;
}
