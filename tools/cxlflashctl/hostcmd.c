// SPDX-License-Identifier: GPL-2.0-only
/*
 * cxlflashctl: the commands of the host device /dev/cxlflash/cxlflash<N>.
 *
 *   cxlflashctl provision create [-a N] -p PORT -s SIZE
 *   cxlflashctl provision delete [-a N] -p PORT LUN_ID
 *   cxlflashctl provision list [-a N]
 *   cxlflashctl afu-debug [-a N] OPERATION [ARGS...]
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <scsi/cxlflash_ioctl.h>
#include <scsi/cxlflash_sim_debug.h>
#include "cxlflashctl.h"

#define ENOTSUPP_K	524	/* the kernel's ENOTSUPP */
#define BLOCK		4096ULL
#define MAX_PORTS	4	/* SISLite: at most 4 FC ports */

static const char *errstr(int err)
{
	return err == ENOTSUPP_K ? "operation not supported by the AFU (ENOTSUPP)" :
				   strerror(err);
}

static int host_open(int adapter)
{
	char node[64];
	int fd;

	snprintf(node, sizeof(node), "/dev/cxlflash/cxlflash%d", adapter);
	fd = open(node, O_RDWR);
	if (fd < 0)
		fprintf(stderr, "cxlflashctl: %s: %s\n", node, strerror(errno));
	return fd;
}

/* SCSI host number of adapter @adapter, -1 if none */
static int adapter_host(int adapter)
{
	char p[128];
	struct dirent *e;
	DIR *d;
	int h = -1;

	snprintf(p, sizeof(p), "/sys/class/cxlflash/cxlflash%d/device", adapter);
	d = opendir(p);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "host%d", &h) == 1)
			break;
	closedir(d);
	return h;
}

/* the disk (sdX) of SCSI device H:C:T:L, "" if none */
static void sdev_disk(const char *hctl, char *out, size_t len)
{
	char p[128];
	struct dirent *e;
	DIR *d;

	out[0] = 0;
	snprintf(p, sizeof(p), "/sys/bus/scsi/devices/%s/block", hctl);
	d = opendir(p);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			snprintf(out, len, "%.60s", e->d_name);
	closedir(d);
}

/* H:C:T:L of the device of host @h with WWID @w, "" if none */
static void find_wwid(int h, const uint8_t *w, char *out, size_t len)
{
	DIR *d = opendir("/sys/bus/scsi/devices");
	struct dirent *e;
	uint8_t ww[16];
	char p[300];
	int hh, c, t, l;

	out[0] = 0;
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "%d:%d:%d:%d", &hh, &c, &t, &l) != 4 || hh != h)
			continue;
		snprintf(p, sizeof(p), "/sys/bus/scsi/devices/%s", e->d_name);
		if (!wwid_of_sdev(p, ww) && !memcmp(ww, w, 16)) {
			snprintf(out, len, "%.60s", e->d_name);
			break;
		}
	}
	closedir(d);
}

static int parse_size(const char *s, uint64_t *blocks)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0), mul = 1;

	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	case 't': case 'T': mul = 1ULL << 40; end++; break;
	case 'b': mul = BLOCK; end++; break;	/* 4 KiB blocks */
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end || end == s || (v && v * mul / mul != v) || (v * mul) % BLOCK)
		return -EINVAL;
	*blocks = v * mul / BLOCK;
	return 0;
}

static int prov_ioctl(int fd, struct ht_cxlflash_lun_provision *p)
{
	return ioctl(fd, HT_CXLFLASH_LUN_PROVISION, p) < 0 ? errno : 0;
}

static void prov_init(struct ht_cxlflash_lun_provision *p, int subcmd, int port)
{
	memset(p, 0, sizeof(*p));
	p->hdr.version = HT_CXLFLASH_VERSION_0;
	p->hdr.subcmd = subcmd;
	p->port = port;
}

static int prov_list(int fd, int adapter)
{
	struct ht_cxlflash_lun_provision p;
	char hctl[64], disk[64];
	int h = adapter_host(adapter), port, err = 0, hh, c, t, l;
	struct dirent *e;
	DIR *d;

	for (port = 0; port < MAX_PORTS; port++) {
		prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT, port);
		err = prov_ioctl(fd, &p);
		if (err == EINVAL && port)
			return 0;	/* no such port: the end */
		if (err) {
			fprintf(stderr, "cxlflashctl: query port %d: %s\n", port, errstr(err));
			return 1;
		}
		printf("port %d: luns %" PRIu64 "/%" PRIu64 " capacity %" PRIu64 "/%" PRIu64
		       " 4K blocks\n", port, (uint64_t)p.cur_num_luns,
		       (uint64_t)p.max_num_luns, (uint64_t)p.cur_cap_port,
		       (uint64_t)p.max_cap_port);
		d = h < 0 ? NULL : opendir("/sys/bus/scsi/devices");
		while (d && (e = readdir(d))) {
			if (sscanf(e->d_name, "%d:%d:%d:%d", &hh, &c, &t, &l) != 4 ||
			    hh != h || c != port)
				continue;
			snprintf(hctl, sizeof(hctl), "%.60s", e->d_name);
			sdev_disk(hctl, disk, sizeof(disk));
			printf("  %-12s lun_id 0x%04x000000000000 %s\n", hctl, l & 0x3fff,
			       disk[0] ? disk : "-");
		}
		if (d)
			closedir(d);
	}
	return 0;
}

static const char prov_usage[] =
	"usage: cxlflashctl provision create [-a ADAPTER] -p PORT -s SIZE\n"
	"       cxlflashctl provision delete [-a ADAPTER] -p PORT LUN_ID\n"
	"       cxlflashctl provision list [-a ADAPTER]\n"
	"  HT_CXLFLASH_LUN_PROVISION on /dev/cxlflash/cxlflash<ADAPTER> (default 0,\n"
	"  needs CAP_SYS_ADMIN).  create makes a LUN of SIZE (bytes, a multiple of\n"
	"  4 KiB, suffix K/M/G/T, or 4 KiB blocks with suffix b) on PORT and prints\n"
	"  its lun_id, WWID and disk; delete removes one by its lun_id (refused\n"
	"  with EBUSY while the disk is open or mounted or the superpipe uses it);\n"
	"  list shows each port's LUN count and capacity and its LUNs.\n";

int cmd_provision(int argc, char **argv)
{
	struct ht_cxlflash_lun_provision p;
	int adapter = 0, port = -1, fd, err, i, h;
	const char *sub = argc > 0 ? argv[0] : "", *arg = NULL;
	uint64_t size = 0;
	char hctl[64], disk[64];
	bool have_size = false;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-a") && i + 1 < argc) {
			adapter = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			port = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			if (parse_size(argv[++i], &size)) {
				fprintf(stderr, "cxlflashctl: bad size %s\n", argv[i]);
				return 2;
			}
			have_size = true;
		} else if (!arg && argv[i][0] != '-') {
			arg = argv[i];
		} else {
			fputs(prov_usage, stderr);
			return 2;
		}
	}
	if (!strcmp(sub, "list") && !arg && port < 0 && !have_size) {
		fd = host_open(adapter);
		if (fd < 0)
			return 1;
		err = prov_list(fd, adapter);
		close(fd);
		return err;
	}
	if (!strcmp(sub, "create") && port >= 0 && have_size && !arg) {
		prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_CREATE_LUN, port);
		p.size = size;
	} else if (!strcmp(sub, "delete") && port >= 0 && !have_size && arg) {
		prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_DELETE_LUN, port);
		p.lun_id = strtoull(arg, NULL, 0);
	} else {
		fputs(prov_usage, stderr);
		return 2;
	}

	fd = host_open(adapter);
	if (fd < 0)
		return 1;
	err = prov_ioctl(fd, &p);
	close(fd);
	if (err) {
		fprintf(stderr, "cxlflashctl: provision %s: %s\n", sub, errstr(err));
		return 1;
	}
	if (p.hdr.subcmd == HT_CXLFLASH_LUN_PROVISION_SUBCMD_DELETE_LUN) {
		printf("deleted lun_id 0x%016" PRIx64 " on adapter %d port %d\n",
		       (uint64_t)p.lun_id, adapter, port);
		return 0;
	}
	h = adapter_host(adapter);
	find_wwid(h, p.wwid, hctl, sizeof(hctl));
	sdev_disk(hctl, disk, sizeof(disk));
	printf("created lun_id 0x%016" PRIx64 " wwid ", (uint64_t)p.lun_id);
	for (i = 0; i < 16; i++)
		printf("%02x", p.wwid[i]);
	printf(" on adapter %d port %d, %" PRIu64 " 4K blocks: %s %s\n", adapter,
	       port, size, hctl[0] ? hctl : "-", disk[0] ? disk : "-");
	return 0;
}

/* ---- afu-debug ---- */

static const char dbg_usage[] =
	"usage: cxlflashctl afu-debug [-a ADAPTER] OPERATION [ARGS...]\n"
	"  HT_CXLFLASH_AFU_DEBUG with the emulated AFU's sub-commands\n"
	"  (<scsi/cxlflash_sim_debug.h>):\n"
	"    engine-stats                  the engine's counters\n"
	"    port-stats PORT               a port's LUNs, capacity and link\n"
	"    rht CTX HANDLE [COUNT]        RHT entries of context CTX\n"
	"    lxt CTX HANDLE [FIRST [COUNT]] LXT entries of a virtual handle\n"
	"    scratch-write OFFSET FILE     FILE (\"-\": stdin) into the scratch buffer\n"
	"    scratch-read OFFSET LENGTH    scratch bytes to stdout\n";

static int dbg_ioctl(int fd, uint8_t op, const uint8_t *sub, void *buf,
		     uint32_t len, bool write)
{
	struct ht_cxlflash_afu_debug d;

	memset(&d, 0, sizeof(d));
	d.hdr.version = HT_CXLFLASH_VERSION_0;
	d.hdr.flags = write ? HT_CXLFLASH_HOST_WRITE : HT_CXLFLASH_HOST_READ;
	if (sub)
		memcpy(d.afu_subcmd, sub, sizeof(d.afu_subcmd));
	d.afu_subcmd[0] = op;
	d.data_ea = (uintptr_t)buf;
	d.data_len = len;
	return ioctl(fd, HT_CXLFLASH_AFU_DEBUG, &d) < 0 ? errno : 0;
}

static void be16put(uint8_t *p, uint32_t v) { p[0] = v >> 8; p[1] = v; }
static void be32put(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t num(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 0);
}

static int dbg_run(int fd, int argc, char **argv)
{
	const char *op = argv[0];
	uint8_t sub[HT_CXLFLASH_AFU_DEBUG_SUBCMD_LEN] = { 0 };
	static uint8_t buf[CXLFLASH_SIM_DBG_SCRATCH_SIZE];
	uint32_t n, i;
	int err;

	if (!strcmp(op, "engine-stats") && argc == 1) {
		struct cxlflash_sim_dbg_engine e;

		err = dbg_ioctl(fd, CXLFLASH_SIM_DBG_ENGINE_STATS, sub, &e, sizeof(e), false);
		if (!err)
			printf("commands %" PRIu64 "\nbytes %" PRIu64 "\npolls %" PRIu64
			       "\nsleeps %" PRIu64 "\ninline_runs %" PRIu64 "\ncontexts %" PRIu64 "\n",
			       be64toh(e.commands), be64toh(e.bytes), be64toh(e.polls),
			       be64toh(e.sleeps), be64toh(e.inline_runs), be64toh(e.contexts));
		return err;
	}
	if (!strcmp(op, "port-stats") && argc == 2) {
		struct cxlflash_sim_dbg_port s;

		sub[1] = num(argv[1]);
		err = dbg_ioctl(fd, CXLFLASH_SIM_DBG_PORT_STATS, sub, &s, sizeof(s), false);
		if (!err)
			printf("wwpn 0x%016" PRIx64 "\nonline %" PRIu64 "\nnum_luns %" PRIu64
			       "\ncap_4k %" PRIu64 "\nprovisioned_luns %" PRIu64
			       "\nmax_num_luns %" PRIu64 "\nmax_cap_4k %" PRIu64 "\n",
			       be64toh(s.wwpn), be64toh(s.online), be64toh(s.num_luns),
			       be64toh(s.cap_4k), be64toh(s.provisioned_luns),
			       be64toh(s.max_num_luns), be64toh(s.max_cap_4k));
		return err;
	}
	if (!strcmp(op, "rht") && (argc == 3 || argc == 4)) {
		n = argc == 4 ? num(argv[3]) : 1;
		if (!n || n > sizeof(buf) / 16)
			return EINVAL;
		be16put(&sub[2], num(argv[1]));
		be32put(&sub[4], num(argv[2]));
		err = dbg_ioctl(fd, CXLFLASH_SIM_DBG_READ_RHT, sub, buf, n * 16, false);
		for (i = 0; !err && i < n; i++) {
			uint64_t w[2];

			memcpy(w, buf + 16 * i, 16);
			printf("%u: %016" PRIx64 " %016" PRIx64 "\n", num(argv[2]) + i, w[0], w[1]);
		}
		return err;
	}
	if (!strcmp(op, "lxt") && argc >= 3 && argc <= 5) {
		n = argc == 5 ? num(argv[4]) : 1;
		if (!n || n > sizeof(buf) / 8)
			return EINVAL;
		be16put(&sub[2], num(argv[1]));
		be32put(&sub[4], num(argv[2]));
		be32put(&sub[8], argc >= 4 ? num(argv[3]) : 0);
		err = dbg_ioctl(fd, CXLFLASH_SIM_DBG_READ_LXT, sub, buf, n * 8, false);
		for (i = 0; !err && i < n; i++) {
			uint64_t w;

			memcpy(&w, buf + 8 * i, 8);
			printf("%u: %016" PRIx64 "\n", (argc >= 4 ? num(argv[3]) : 0) + i, w);
		}
		return err;
	}
	if (!strcmp(op, "scratch-write") && argc == 3) {
		FILE *f = strcmp(argv[2], "-") ? fopen(argv[2], "rb") : stdin;

		if (!f)
			return errno;
		n = fread(buf, 1, sizeof(buf), f);
		if (f != stdin)
			fclose(f);
		be32put(&sub[4], num(argv[1]));
		return n ? dbg_ioctl(fd, CXLFLASH_SIM_DBG_SCRATCH_WRITE, sub, buf, n, true) :
			   EINVAL;
	}
	if (!strcmp(op, "scratch-read") && argc == 3) {
		n = num(argv[2]);
		if (n > sizeof(buf))
			return EINVAL;
		be32put(&sub[4], num(argv[1]));
		err = dbg_ioctl(fd, CXLFLASH_SIM_DBG_SCRATCH_READ, sub, buf, n, false);
		if (!err && fwrite(buf, 1, n, stdout) != n)
			err = EIO;
		return err;
	}
	return -1;
}

int cmd_afu_debug(int argc, char **argv)
{
	int adapter = 0, fd, err;

	if (argc >= 2 && !strcmp(argv[0], "-a")) {
		adapter = atoi(argv[1]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 1) {
		fputs(dbg_usage, stderr);
		return 2;
	}
	fd = host_open(adapter);
	if (fd < 0)
		return 1;
	err = dbg_run(fd, argc, argv);
	close(fd);
	if (err < 0) {
		fputs(dbg_usage, stderr);
		return 2;
	}
	if (err) {
		fprintf(stderr, "cxlflashctl: afu-debug %s: %s\n", argv[0], errstr(err));
		return 1;
	}
	return 0;
}

const char *provision_help = prov_usage;
const char *afu_debug_help = dbg_usage;
