// SPDX-License-Identifier: GPL-2.0-only
/*
 * hostdev: the per-adapter host device /dev/cxlflash/cxlflash<N> and its
 * two ioctls, HT_CXLFLASH_LUN_PROVISION and HT_CXLFLASH_AFU_DEBUG,
 * against the emulated AFU (its debug sub-commands are in
 * <scsi/cxlflash_sim_debug.h>).
 *
 *   hostdev [-a N] [-p PORT]      the functional tests:
 *     1. open as "nobody" (no capabilities): EACCES;
 *     2. every field rule of LUN_PROVISION (version, header reserved and
 *        return_flags, flags, reserved16/reserved, sub-command, port,
 *        size 0, size beyond the free capacity, deleting an unknown LUN id
 *        or a LUN not made by provisioning, size on delete/query) and of
 *        AFU_DEBUG (flags, data_len > 256 KiB, buffer rules, reserved,
 *        unknown or malformed sub-commands): the errno, and the port's
 *        LUN count/capacity and the cxlflash disks are unchanged;
 *     3. create a LUN: the ioctl's answer (LUN id, WWID, counts), a new
 *        disk with that WWID (VPD page 0x83), channel and LUN number and
 *        capacity; fio verify on it;
 *     4. superpipe: MANAGE_LUN, ATTACH, USER_DIRECT; delete refused
 *        (EBUSY) while the disk is open and, closed, while the context
 *        has the LUN; the RHT entry read back through AFU debug is the
 *        one USER_DIRECT made; a virtual LUN's RHT entry and LXT too;
 *        release + detach, then delete: the disk and the driver's
 *        record of the LUN go (also for a LUN MANAGE_LUN only registered);
 *     5. ext4 on a new LUN: delete refused while mounted, fine after;
 *     6. AFU debug: a 256 KiB pattern written to the scratch buffer and
 *        read back, at an offset too; engine and port statistics;
 *   hostdev -c N        N create/delete cycles, each disk seen and gone
 *   hostdev -N          the AFU lacks both capabilities: ENOTSUPP (524)
 *   hostdev -U          an fd open across unbind/bind of the driver:
 *                       ENODEV, node gone, a new node after bind
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <scsi/cxlflash_sim_debug.h>
#include "sp_common.h"

#define ENOTSUPP_K	524
#define BLK		4096ULL
#define SCRATCH		CXLFLASH_SIM_DBG_SCRATCH_SIZE

static int adapter;			/* -a */
static int port;			/* -p */
static int cycles;			/* -c */
static bool mode_nosup, mode_unbind;

static int opt(int c, const char *arg, void *priv)
{
	(void)priv;
	switch (c) {
	case 'a': adapter = atoi(arg); return 0;
	case 'p': port = atoi(arg); return 0;
	case 'c': cycles = atoi(arg); return 0;
	case 'N': mode_nosup = true; return 0;
	case 'U': mode_unbind = true; return 0;
	default: return -1;
	}
}

static char node[64];

static int host_open(void)
{
	int fd = open(node, O_RDWR);

	return fd < 0 ? -errno : fd;
}

/* ---- LUN_PROVISION ---- */

static void prov_init(struct ht_cxlflash_lun_provision *p, int subcmd)
{
	memset(p, 0, sizeof(*p));
	p->hdr.version = HT_CXLFLASH_VERSION_0;
	p->hdr.subcmd = subcmd;
	p->port = port;
}

static int query(int fd, struct ht_cxlflash_lun_provision *q)
{
	prov_init(q, HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT);
	return sp_ioctl(fd, HT_CXLFLASH_LUN_PROVISION, q);
}

static int create(int fd, uint64_t size, struct ht_cxlflash_lun_provision *p)
{
	prov_init(p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_CREATE_LUN);
	p->size = size;
	return sp_ioctl(fd, HT_CXLFLASH_LUN_PROVISION, p);
}

static int delete(int fd, uint64_t lun_id)
{
	struct ht_cxlflash_lun_provision p;

	prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_DELETE_LUN);
	p.lun_id = lun_id;
	return sp_ioctl(fd, HT_CXLFLASH_LUN_PROVISION, &p);
}

/* SCSI LUN number of an AFU-format LUN id (single level) */
static unsigned int lun_number(uint64_t lun_id)
{
	return (lun_id >> 48) & 0x3fff;
}

static void wwid_hex(const uint8_t *w, char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", w[i]);
}

/*
 * Does the driver keep a record of the LUN with WWID @w (a line of
 * debugfs cxlflash/luns)?  1 yes, 0 no, -1 the file is not readable.
 */
static int lun_record(const uint8_t *w)
{
	char hex[33], line[512];
	int found = 0;
	FILE *f;

	f = fopen("/sys/kernel/debug/cxlflash/luns", "r");
	if (!f)
		return -1;
	wwid_hex(w, hex);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, hex, 32) && line[32] == ' ')
			found = 1;
	fclose(f);
	return found;
}

/* the cxlflash disk with WWID @hex, "" if none */
static void disk_of(const char *hex, char dev[64])
{
	char names[64][64], w[33];
	int n = sp_find_luns(names, 64);

	dev[0] = 0;
	for (int i = 0; i < n; i++)
		if (!sp_wwid_hex(names[i], w) && !strcmp(w, hex)) {
			strcpy(dev, names[i]);
			return;
		}
}

static int ndisks(void)
{
	char names[64][64];

	return sp_find_luns(names, 64);
}

/* the state every refused request must leave alone */
struct snap {
	uint64_t luns, cap;
	int disks;
};

static void snap(int fd, struct snap *s)
{
	struct ht_cxlflash_lun_provision q;

	memset(s, 0, sizeof(*s));
	if (!query(fd, &q)) {
		s->luns = q.cur_num_luns;
		s->cap = q.cur_cap_port;
	}
	s->disks = ndisks();
}

static bool same(const struct snap *a, const struct snap *b)
{
	return a->luns == b->luns && a->cap == b->cap && a->disks == b->disks;
}

static void expect_prov(int fd, struct ht_cxlflash_lun_provision *p, int err,
			const char *what)
{
	struct snap before, after;
	int rc;

	snap(fd, &before);
	rc = sp_ioctl(fd, HT_CXLFLASH_LUN_PROVISION, p);
	snap(fd, &after);
	if (!tap_ok(rc == -err && same(&before, &after), "provision %s: %s", what,
		    strerror(err)))
		tap_diag("rc %d; luns %llu->%llu cap %llu->%llu disks %d->%d", rc,
			 (unsigned long long)before.luns, (unsigned long long)after.luns,
			 (unsigned long long)before.cap, (unsigned long long)after.cap,
			 before.disks, after.disks);
}

/* ---- AFU_DEBUG ---- */

static void dbg_init(struct ht_cxlflash_afu_debug *d, uint8_t op, void *buf,
		     uint32_t len, bool write)
{
	memset(d, 0, sizeof(*d));
	d->hdr.version = HT_CXLFLASH_VERSION_0;
	d->hdr.flags = write ? HT_CXLFLASH_HOST_WRITE : HT_CXLFLASH_HOST_READ;
	d->afu_subcmd[0] = op;
	d->data_ea = (uintptr_t)buf;
	d->data_len = len;
}

static void put_be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static int dbg(int fd, struct ht_cxlflash_afu_debug *d)
{
	return sp_ioctl(fd, HT_CXLFLASH_AFU_DEBUG, d);
}

static int read_rht(int fd, uint64_t ctxid, uint32_t handle, void *e)
{
	struct ht_cxlflash_afu_debug d;

	dbg_init(&d, CXLFLASH_SIM_DBG_READ_RHT, e, 16, false);
	put_be16(&d.afu_subcmd[2], (uint16_t)ctxid);
	put_be32(&d.afu_subcmd[4], handle);
	return dbg(fd, &d);
}

/* ---- tests ---- */

static void t_eacces(void)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		/* a uid change from 0 drops every capability */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(open(node, O_RDWR) < 0 ? (errno == EACCES ? 0 : errno) : 99);
	}
	waitpid(pid, &st, 0);
	if (!tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "open as nobody: EACCES"))
		tap_diag("child status %d (errno or 99: opened)", WEXITSTATUS(st));
}

static void t_prov_rules(int fd)
{
	struct ht_cxlflash_lun_provision p, q;
	char names[64][64], dev0[64];

	prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT);
	p.hdr.version = 1;
	expect_prov(fd, &p, EINVAL, "version 1");
	prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_CREATE_LUN);
	p.size = 256;
	p.hdr.rsvd[0] = 1;
	expect_prov(fd, &p, EINVAL, "hdr.rsvd[0]");
	p.hdr.rsvd[0] = 0;
	p.hdr.rsvd[1] = 0x8000;
	expect_prov(fd, &p, EINVAL, "hdr.rsvd[1]");
	p.hdr.rsvd[1] = 0;
	p.hdr.return_flags = 1;
	expect_prov(fd, &p, EINVAL, "hdr.return_flags on input");
	p.hdr.return_flags = 0;
	p.hdr.flags = 1;
	expect_prov(fd, &p, EINVAL, "hdr.flags");
	p.hdr.flags = 0;
	for (int i = 0; i < 3; i++) {
		p.reserved16[i] = 1;
		expect_prov(fd, &p, EINVAL, "reserved16[i]");
		p.reserved16[i] = 0;
	}
	p.reserved[0] = 1;
	expect_prov(fd, &p, EINVAL, "reserved[0]");
	p.reserved[0] = 0;
	p.reserved[7] = 1ULL << 63;
	expect_prov(fd, &p, EINVAL, "reserved[7]");
	p.reserved[7] = 0;

	for (int sc = 0; sc <= 5; sc += 4) {
		prov_init(&p, sc);
		expect_prov(fd, &p, EINVAL, sc ? "sub-command 4" : "sub-command 0");
	}
	prov_init(&p, 0xffff);
	expect_prov(fd, &p, EINVAL, "sub-command 0xffff");

	query(fd, &q);
	prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_CREATE_LUN);
	p.size = 256;
	p.port = 4;
	expect_prov(fd, &p, EINVAL, "create on port 4");
	p.port = 0xffff;
	expect_prov(fd, &p, EINVAL, "create on port 0xffff");
	prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT);
	p.port = 4;
	expect_prov(fd, &p, EINVAL, "query port 4");

	prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_CREATE_LUN);
	expect_prov(fd, &p, EINVAL, "create size 0");
	p.size = q.max_cap_port - q.cur_cap_port + 1;
	expect_prov(fd, &p, ENOSPC, "create one block beyond the free capacity");
	p.size = UINT64_MAX;
	expect_prov(fd, &p, ENOSPC, "create size 2^64-1");

	prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_DELETE_LUN);
	p.lun_id = 0x3fffULL << 48;		/* LUN 16383: none there */
	expect_prov(fd, &p, ENOENT, "delete an unknown LUN id");
	/* LUN 0 exists (the module's default LUN) but was not provisioned */
	p.lun_id = 0;
	expect_prov(fd, &p, ENOENT, "delete a LUN not made by provisioning");
	p.lun_id = 0x3fffULL << 48;
	p.size = 1;
	expect_prov(fd, &p, EINVAL, "delete with a size");
	prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT);
	p.size = 1;
	expect_prov(fd, &p, EINVAL, "query with a size");

	/* an ioctl of the disks is not one of the host device */
	tap_ok(ioctl(fd, DK_CXLFLASH_MANAGE_LUN, &p) < 0 && errno == EINVAL,
	       "DK_CXLFLASH_MANAGE_LUN on the host device: EINVAL");
	tap_ok(sp_find_luns(names, 64) > 0 && (strcpy(dev0, names[0]), 1),
	       "default disks still there (%s)", dev0);
}

static const char *const dbg_bad[] = {
	"version 1", "hdr.subcmd 1", "hdr.rsvd[1]", "hdr.return_flags",
	"flags 0x2 (unknown)", "flags bit 63", "reserved8[3]", "reserved32",
	"reserved[4]", "data_len 256 KiB + 1", "data_len 4 GiB - 1",
	"data_len without a buffer", "buffer without data_len",
	"unknown AFU operation 0x7f", "AFU operation 0",
	"scratch read past the end", "scratch read, unused byte set",
	"scratch write flagged as a read", "engine stats, wrong length",
	"port stats of port 4", "RHT of a context that does not exist",
};

/* make the valid 256 KiB scratch read @d bad in way @i */
static void dbg_break(struct ht_cxlflash_afu_debug *x, int i)
{
	switch (i) {
	case 0: x->hdr.version = 1; break;
	case 1: x->hdr.subcmd = 1; break;
	case 2: x->hdr.rsvd[1] = 1; break;
	case 3: x->hdr.return_flags = 4; break;
	case 4: x->hdr.flags = 2; break;
	case 5: x->hdr.flags = 1ULL << 63; break;
	case 6: x->reserved8[3] = 1; break;
	case 7: x->reserved32 = 1; break;
	case 8: x->reserved[4] = 1; break;
	case 9: x->data_len = SCRATCH + 1; break;
	case 10: x->data_len = UINT32_MAX; break;
	case 11: x->data_ea = 0; break;
	case 12: x->data_len = 0; break;
	case 13: x->afu_subcmd[0] = 0x7f; break;
	case 14: x->afu_subcmd[0] = 0; break;
	case 15: put_be32(&x->afu_subcmd[4], 1); break;
	case 16: x->afu_subcmd[11] = 1; break;
	case 17: x->afu_subcmd[0] = CXLFLASH_SIM_DBG_SCRATCH_WRITE; break;
	case 18: x->afu_subcmd[0] = CXLFLASH_SIM_DBG_ENGINE_STATS; break;
	case 19:
		x->afu_subcmd[0] = CXLFLASH_SIM_DBG_PORT_STATS;
		x->afu_subcmd[1] = 4;
		x->data_len = sizeof(struct cxlflash_sim_dbg_port);
		break;
	case 20:
		x->afu_subcmd[0] = CXLFLASH_SIM_DBG_READ_RHT;
		put_be16(&x->afu_subcmd[2], 511);
		x->data_len = 16;
		break;
	}
}

static void t_dbg_rules(int fd)
{
	struct ht_cxlflash_afu_debug d;
	struct snap before, after;
	uint8_t *buf = sp_alloc(SCRATCH + 4096);
	int rc;

	snap(fd, &before);
	for (int i = 0; i < (int)(sizeof(dbg_bad) / sizeof(dbg_bad[0])); i++) {
		dbg_init(&d, CXLFLASH_SIM_DBG_SCRATCH_READ, buf, SCRATCH, false);
		dbg_break(&d, i);
		memset(buf, 0xa5, SCRATCH);
		rc = dbg(fd, &d);
		if (!tap_ok(rc == -EINVAL && buf[0] == 0xa5 && buf[SCRATCH - 1] == 0xa5,
			    "afu debug %s: EINVAL, buffer untouched", dbg_bad[i]))
			tap_diag("rc %d, buf[0] %#x", rc, buf[0]);
	}
	snap(fd, &after);
	tap_ok(same(&before, &after), "afu debug refusals changed nothing");
	free(buf);
}

static void t_dbg_data(int fd)
{
	struct ht_cxlflash_afu_debug d;
	uint8_t *w = sp_alloc(SCRATCH), *r = sp_alloc(SCRATCH);
	struct cxlflash_sim_dbg_engine e1, e2;
	struct cxlflash_sim_dbg_port ps;
	struct ht_cxlflash_lun_provision q;
	int rc;

	for (size_t i = 0; i < SCRATCH; i++)
		w[i] = (uint8_t)(i * 7 + (i >> 12));
	dbg_init(&d, CXLFLASH_SIM_DBG_SCRATCH_WRITE, w, SCRATCH, true);
	rc = dbg(fd, &d);
	tap_ok(rc == 0, "afu debug: 256 KiB scratch write (%d)", rc);
	memset(r, 0, SCRATCH);
	dbg_init(&d, CXLFLASH_SIM_DBG_SCRATCH_READ, r, SCRATCH, false);
	rc = dbg(fd, &d);
	tap_ok(rc == 0 && !memcmp(w, r, SCRATCH),
	       "afu debug: 256 KiB scratch read back equal (%d)", rc);

	/* 4 KiB at offset 100000: read back at the same place */
	memset(w, 0x3c, 4096);
	dbg_init(&d, CXLFLASH_SIM_DBG_SCRATCH_WRITE, w, 4096, true);
	put_be32(&d.afu_subcmd[4], 100000);
	rc = dbg(fd, &d);
	memset(r, 0, SCRATCH);
	dbg_init(&d, CXLFLASH_SIM_DBG_SCRATCH_READ, r, 8192, false);
	put_be32(&d.afu_subcmd[4], 100000 - 4096);
	rc = rc ?: dbg(fd, &d);
	tap_ok(rc == 0 && r[4095] == (uint8_t)((100000 - 1) * 7 + ((100000 - 1) >> 12)) &&
	       r[4096] == 0x3c && r[8191] == 0x3c,
	       "afu debug: scratch write/read at an offset (%d)", rc);

	dbg_init(&d, CXLFLASH_SIM_DBG_ENGINE_STATS, &e1, sizeof(e1), false);
	rc = dbg(fd, &d);
	dbg_init(&d, CXLFLASH_SIM_DBG_ENGINE_STATS, &e2, sizeof(e2), false);
	rc = rc ?: dbg(fd, &d);
	/* each debug command is a command of the engine */
	tap_ok(rc == 0 && be64toh(e2.commands) > be64toh(e1.commands) &&
	       be64toh(e1.contexts) >= 1,
	       "afu debug: engine counters (commands %llu -> %llu, contexts %llu)",
	       (unsigned long long)be64toh(e1.commands),
	       (unsigned long long)be64toh(e2.commands),
	       (unsigned long long)be64toh(e1.contexts));

	dbg_init(&d, CXLFLASH_SIM_DBG_PORT_STATS, &ps, sizeof(ps), false);
	d.afu_subcmd[1] = port;
	rc = dbg(fd, &d);
	rc = rc ?: query(fd, &q);
	tap_ok(rc == 0 && be64toh(ps.num_luns) == q.cur_num_luns &&
	       be64toh(ps.cap_4k) == q.cur_cap_port &&
	       be64toh(ps.max_num_luns) == q.max_num_luns &&
	       be64toh(ps.online) == 1 && be64toh(ps.wwpn) != 0,
	       "afu debug: port %d statistics agree with the FC registers", port);
	free(w);
	free(r);
}

/* create + find the disk; "" in @dev on failure */
static bool make_lun(int fd, uint64_t size, struct ht_cxlflash_lun_provision *p,
		     char dev[64])
{
	char hex[33];
	int rc = create(fd, size, p);

	dev[0] = 0;
	if (rc) {
		tap_diag("create %llu blocks: %s", (unsigned long long)size,
			 strerror(-rc));
		return false;
	}
	wwid_hex(p->wwid, hex);
	/*
	 * sd probes asynchronously: the ioctl returns with the SCSI device
	 * added, its disk comes a moment later
	 */
	for (int i = 0; i < 600; i++) {
		int bfd;

		disk_of(hex, dev);
		if (dev[0]) {
			bfd = open(dev, O_RDONLY | O_NONBLOCK);
			if (bfd >= 0) {
				close(bfd);
				return true;
			}
		}
		sp_msleep(50);
	}
	tap_diag("no usable disk with WWID %s (%s)", hex, dev[0] ? dev : "none");
	dev[0] = 0;
	return false;
}

static bool disk_gone(const char *dev)
{
	char p[128];
	struct stat st;

	snprintf(p, sizeof(p), "/sys/block/%s", dev + 5);
	return stat(p, &st) < 0 && errno == ENOENT;
}

static void t_create(int fd)
{
	struct ht_cxlflash_lun_provision q0, p, q1;
	char dev[64], path[4096], buf[64], cmd[512], hex[33];
	unsigned long long sectors = 0;
	int h, c, t, l;

	query(fd, &q0);
	tap_ok(make_lun(fd, 16384, &p, dev), "create 16384 blocks on port %d: %s, LUN id %016llx",
	       port, dev, (unsigned long long)p.lun_id);
	if (!dev[0])
		return;
	query(fd, &q1);
	tap_ok(p.cur_num_luns == q0.cur_num_luns + 1 && q1.cur_num_luns == p.cur_num_luns &&
	       q1.cur_cap_port == q0.cur_cap_port + 16384 && p.max_num_luns == q0.max_num_luns,
	       "create: LUN count +1, capacity +16384 blocks (%llu, %llu)",
	       (unsigned long long)q1.cur_num_luns, (unsigned long long)q1.cur_cap_port);

	snprintf(path, sizeof(path), "/sys/block/%s/size", dev + 5);
	if (!sp_read_file(path, buf, sizeof(buf)))
		sectors = strtoull(buf, NULL, 0);
	tap_ok(sectors * 512 == 16384 * BLK, "%s: capacity 64 MiB (%llu sectors)", dev, sectors);
	sp_sdev_path(dev, path, sizeof(path));
	tap_ok(sscanf(strrchr(path, '/') + 1, "%d:%d:%d:%d", &h, &c, &t, &l) == 4 &&
	       c == port && (unsigned int)l == lun_number(p.lun_id),
	       "%s: channel %d, LUN %u (%s)", dev, port, lun_number(p.lun_id), strrchr(path, '/') + 1);
	sp_wwid_hex(dev, hex);
	wwid_hex(p.wwid, buf);
	tap_ok(!strcmp(hex, buf), "%s: VPD 0x83 WWID %s is the ioctl's", dev, hex);

	snprintf(cmd, sizeof(cmd),
		 "fio --name=prov --filename=%s --direct=1 --rw=randwrite --bs=4k "
		 "--size=64m --iodepth=8 --ioengine=libaio --verify=crc32c "
		 "--do_verify=1 --verify_fatal=1 --output=/tmp/hostdev-fio.log >/dev/null 2>&1", dev);
	tap_ok(system(cmd) == 0, "fio verify (randwrite 64 MiB, crc32c) on %s", dev);

	tap_ok(delete(fd, p.lun_id) == 0 && disk_gone(dev), "delete: %s gone", dev);
	query(fd, &q1);
	tap_ok(q1.cur_num_luns == q0.cur_num_luns && q1.cur_cap_port == q0.cur_cap_port,
	       "delete: LUN count and capacity back");
}

static void t_superpipe(int fd)
{
	struct ht_cxlflash_lun_provision p;
	struct dk_cxlflash_attach a;
	struct sisl_rht { uint64_t w0; uint64_t w1; } e;
	uint64_t rh, last, vrh, lxt[4];
	struct ht_cxlflash_afu_debug d;
	char dev[64];
	int dfd, rc;

	if (!tap_ok(make_lun(fd, 131072, &p, dev), "superpipe: new LUN %s", dev))
		return;
	rc = sp_set_superpipe(dev, true);
	tap_ok(rc == 0 && sp_lun_mode(dev) == 1 && lun_record(p.wwid) == 1,
	       "MANAGE_LUN superpipe (%d), the driver has a record of the LUN", rc);
	dfd = sp_open_dev(dev);
	rc = sp_attach(dfd, O_RDWR, 0, &a);
	rc = rc ?: sp_udirect(dfd, a.context_id, &rh, &last);
	tap_ok(rc == 0, "ATTACH + USER_DIRECT (ctx %#llx, handle %llu)",
	       (unsigned long long)a.context_id, (unsigned long long)rh);
	rc = delete(fd, p.lun_id);
	tap_ok(rc == -EBUSY && !disk_gone(dev), "delete while the disk is open: EBUSY (%d)", rc);
	close(dfd);
	rc = delete(fd, p.lun_id);
	tap_ok(rc == -EBUSY && !disk_gone(dev),
	       "delete while a context has the LUN, disk closed: EBUSY (%d)", rc);

	/* format 1 RHT entry: lun_id, then valid, rsvd[5], fp, port_sel */
	memset(&e, 0, sizeof(e));
	rc = read_rht(fd, a.context_id, (uint32_t)rh, &e);
	tap_ok(rc == 0 && e.w0 == p.lun_id && (e.w1 & 0xff) == 0x80 &&
	       ((e.w1 >> 48) & 0xff) == 0x13 && (e.w1 >> 56) == (1U << port),
	       "afu debug: RHT entry %llu is USER_DIRECT's (lun %016llx, dw1 %016llx)",
	       (unsigned long long)rh, (unsigned long long)e.w0, (unsigned long long)e.w1);

	dfd = sp_open_dev(dev);
	rc = sp_release(dfd, a.context_id, rh);
	rc = rc ?: sp_uvirtual(dfd, a.context_id, 16384, 0, &vrh, &last);
	memset(&e, 0, sizeof(e));
	rc = rc ?: read_rht(fd, a.context_id, (uint32_t)vrh, &e);
	/* format 0: lxt_start, then lxt_cnt, rsvd, fp, nmask */
	tap_ok(rc == 0 && e.w0 != 0 && (uint32_t)e.w1 >= 1 && ((e.w1 >> 48) & 0xf0) == 0 &&
	       (e.w1 >> 56) != 0,
	       "afu debug: RHT entry of a virtual LUN (lxt_cnt %u, last LBA %llu)",
	       (uint32_t)e.w1, (unsigned long long)last);
	dbg_init(&d, CXLFLASH_SIM_DBG_READ_LXT, lxt, 8, false);
	put_be16(&d.afu_subcmd[2], (uint16_t)a.context_id);
	put_be32(&d.afu_subcmd[4], (uint32_t)vrh);
	memset(lxt, 0, sizeof(lxt));
	rc = rc ?: dbg(fd, &d);
	/* LXT entry: chunk base LBA | LUN index << 8 | rw perms << 4 | port */
	tap_ok(rc == 0 && ((lxt[0] >> 4) & 0x3) == 0x3 && (lxt[0] & 0xf) == (1U << port),
	       "afu debug: LXT entry 0 %016llx", (unsigned long long)lxt[0]);
	d.data_len = 8 * ((uint32_t)e.w1 + 1);
	rc = dbg(fd, &d);
	tap_ok(rc == -EINVAL, "afu debug: LXT read past lxt_cnt: EINVAL (%d)", rc);

	rc = sp_release(dfd, a.context_id, vrh);
	rc = rc ?: sp_detach(dfd, a.context_id);
	close(a.adap_fd);
	close(dfd);
	tap_ok(rc == 0, "RELEASE + DETACH (%d)", rc);
	rc = delete(fd, p.lun_id);
	tap_ok(rc == 0 && disk_gone(dev), "delete after detach: %s gone (%d)", dev, rc);
	tap_ok(lun_record(p.wwid) == 0, "the deleted LUN's record is gone (%d)",
	       lun_record(p.wwid));
}

/* a LUN only registered by MANAGE_LUN (no flags) leaves no record either */
static void t_registered(int fd)
{
	struct ht_cxlflash_lun_provision p;
	char dev[64];
	int dfd, rc;

	if (!tap_ok(make_lun(fd, 4096, &p, dev), "registered: new LUN %s", dev))
		return;
	dfd = sp_open_dev(dev);
	rc = dfd < 0 ? dfd : sp_manage_lun(dfd, dev, 0);
	if (dfd >= 0)
		close(dfd);
	tap_ok(rc == 0 && sp_lun_mode(dev) == 0 && lun_record(p.wwid) == 1,
	       "MANAGE_LUN without flags: a record, the path legacy (%d)", rc);
	rc = delete(fd, p.lun_id);
	tap_ok(rc == 0 && disk_gone(dev) && lun_record(p.wwid) == 0,
	       "delete: %s and its record gone (%d)", dev, rc);
}

static void t_mounted(int fd)
{
	struct ht_cxlflash_lun_provision p;
	char dev[64], cmd[512];
	int rc;

	if (!tap_ok(make_lun(fd, 32768, &p, dev), "ext4: new LUN %s", dev))
		return;
	snprintf(cmd, sizeof(cmd), "{ mkfs.ext4 -F -q -b 4096 %s && "
		 "mkdir -p /tmp/hostdev-mnt && mount -t ext4 %s /tmp/hostdev-mnt && "
		 "echo data > /tmp/hostdev-mnt/f; } >/tmp/hostdev-mkfs.log 2>&1", dev, dev);
	if (!tap_ok(system(cmd) == 0, "mkfs.ext4 + mount %s", dev)) {
		system("sed 's/^/# /' /tmp/hostdev-mkfs.log");
		delete(fd, p.lun_id);
		return;
	}
	rc = delete(fd, p.lun_id);
	tap_ok(rc == -EBUSY && !disk_gone(dev), "delete while mounted: EBUSY (%d)", rc);
	tap_ok(system("umount /tmp/hostdev-mnt") == 0, "umount");
	rc = delete(fd, p.lun_id);
	tap_ok(rc == 0 && disk_gone(dev), "delete after umount: %s gone (%d)", dev, rc);
}

static void t_cycles(int fd, int n)
{
	struct ht_cxlflash_lun_provision p, q0, q1;
	char dev[64];
	int ok = 0, i;

	query(fd, &q0);
	for (i = 0; i < n; i++) {
		if (!make_lun(fd, 256 + i, &p, dev))
			break;
		int rc = delete(fd, p.lun_id);

		if (rc || !disk_gone(dev)) {
			tap_diag("cycle %d: delete of %s: %d", i, dev, rc);
			break;
		}
		ok++;
	}
	query(fd, &q1);
	tap_ok(ok == n, "%d create/delete cycles", ok);
	tap_ok(q1.cur_num_luns == q0.cur_num_luns && q1.cur_cap_port == q0.cur_cap_port,
	       "after the cycles: LUN count and capacity as before");
}

static void t_nosup(int fd)
{
	struct ht_cxlflash_lun_provision p;
	struct ht_cxlflash_afu_debug d;
	uint8_t buf[64];
	int n0 = ndisks(), rc;

	prov_init(&p, HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT);
	rc = sp_ioctl(fd, HT_CXLFLASH_LUN_PROVISION, &p);
	tap_ok(rc == -ENOTSUPP_K, "no LUN_PROVISION capability: query ENOTSUPP (%d)", rc);
	rc = create(fd, 256, &p);
	tap_ok(rc == -ENOTSUPP_K && ndisks() == n0, "no LUN_PROVISION capability: create ENOTSUPP (%d)", rc);
	dbg_init(&d, CXLFLASH_SIM_DBG_SCRATCH_READ, buf, sizeof(buf), false);
	rc = dbg(fd, &d);
	tap_ok(rc == -ENOTSUPP_K, "no AFU_DEBUG capability: ENOTSUPP (%d)", rc);
}

static int aux_name(char *out, size_t len)
{
	char link[128], tmp[4096];
	const char *b;

	snprintf(link, sizeof(link), "/sys/class/cxlflash/cxlflash%d/device", adapter);
	if (!realpath(link, tmp))
		return -errno;
	b = strrchr(tmp, '/') + 1;
	snprintf(out, len, "%s", b);
	return 0;
}

static void t_unbind(int fd)
{
	struct ht_cxlflash_lun_provision p;
	char aux[128];
	struct stat st;
	int rc, fd2;

	if (!tap_ok(aux_name(aux, sizeof(aux)) == 0, "auxiliary device of cxlflash%d: %s",
		    adapter, aux))
		return;
	rc = sp_write_file("/sys/bus/auxiliary/drivers/cxlflash/unbind", aux);
	tap_ok(rc == 0, "unbind %s with the host device open (%d)", aux, rc);
	tap_ok(stat(node, &st) < 0 && errno == ENOENT, "%s gone", node);
	rc = query(fd, &p);
	tap_ok(rc == -ENODEV, "ioctl on the fd open across the removal: ENODEV (%d)", rc);
	rc = sp_write_file("/sys/bus/auxiliary/drivers/cxlflash/bind", aux);
	tap_ok(rc == 0, "bind again (%d)", rc);
	rc = query(fd, &p);
	tap_ok(rc == -ENODEV, "the old fd stays dead: ENODEV (%d)", rc);
	close(fd);
	fd2 = host_open();
	rc = fd2 < 0 ? fd2 : query(fd2, &p);
	tap_ok(rc == 0, "a new open of %s works (%d)", node, rc);
	if (fd2 >= 0)
		close(fd2);
}

int main(int argc, char **argv)
{
	struct sp_opts o;
	int fd;

	sp_parse_common(argc, argv, &o, "a:p:c:NU", opt, NULL,
			"[-a ADAPTER] [-p PORT] [-c CYCLES | -N | -U]");
	snprintf(node, sizeof(node), "/dev/cxlflash/cxlflash%d", adapter);
	tap_plan_late();
	fd = host_open();
	if (fd < 0)
		tap_bail("open %s: %s", node, strerror(-fd));

	if (mode_nosup) {
		t_nosup(fd);
	} else if (mode_unbind) {
		t_unbind(fd);
		fd = -1;
	} else if (cycles) {
		t_cycles(fd, cycles);
	} else {
		t_eacces();
		t_prov_rules(fd);
		t_dbg_rules(fd);
		t_dbg_data(fd);
		t_create(fd);
		t_superpipe(fd);
		t_registered(fd);
		t_mounted(fd);
	}
	if (fd >= 0)
		close(fd);
	return tap_done();
}
