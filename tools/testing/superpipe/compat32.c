// SPDX-License-Identifier: GPL-2.0-only
/*
 * compat32: the superpipe and host-device ioctls from a 32-bit process.
 *
 * Built -m32 (static) and run on the 64-bit guest kernel through its IA-32
 * emulation: the DK_CXLFLASH_* ioctls reach the driver through sd's
 * compat path, the HT_CXLFLASH_* ones through the host device's
 * compat_ioctl.  The structures have the same layout and the ioctls the
 * same numbers for both ABIs (the test checks the sizes it relies on), and
 * user addresses travel in __u64 fields, so a 32-bit client must see
 * exactly what a 64-bit one sees:
 *   1. LUN_PROVISION QUERY_PORT answers with the port's figures;
 *   2. AFU_DEBUG moves a 64 KiB pattern from a 32-bit buffer into the
 *      AFU's scratch buffer and back; an unknown operation is EINVAL;
 *   3. MANAGE_LUN, ATTACH (context id, adapter fd, 64 KiB host map that
 *      the 32-bit process maps and reads), USER_DIRECT and VERIFY (the
 *      disk's last LBA), RELEASE, DETACH; afterwards no user context is
 *      left in the driver or the emulator.
 *
 * usage: compat32 [-d /dev/sdX]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <scsi/cxlflash_sim_debug.h>

#include "sp_common.h"

static struct sp_opts O;

/* the first host device node, "" if none */
static void host_node(char *out, size_t len)
{
	struct dirent *e;
	DIR *d = opendir("/dev/cxlflash");

	out[0] = 0;
	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "cxlflash", 8)) {
			snprintf(out, len, "/dev/cxlflash/%.32s", e->d_name);
			break;
		}
	closedir(d);
}

static int afu_debug(int fd, uint8_t op, void *buf, uint32_t len, bool write)
{
	struct ht_cxlflash_afu_debug d;

	memset(&d, 0, sizeof(d));
	d.hdr.version = HT_CXLFLASH_VERSION_0;
	d.hdr.flags = write ? HT_CXLFLASH_HOST_WRITE : HT_CXLFLASH_HOST_READ;
	d.afu_subcmd[0] = op;
	d.data_ea = (uintptr_t)buf;
	d.data_len = len;
	return sp_ioctl(fd, HT_CXLFLASH_AFU_DEBUG, &d);
}

static void t_hostdev(void)
{
	struct ht_cxlflash_lun_provision p;
	enum { LEN = 65536 };
	uint8_t *out = sp_alloc(LEN), *in = sp_alloc(LEN);
	char node[64];
	int fd, rc;

	host_node(node, sizeof(node));
	fd = node[0] ? open(node, O_RDWR) : -ENOENT;
	if (!tap_ok(fd >= 0, "open %s", node[0] ? node : "(no host device)"))
		return;

	memset(&p, 0, sizeof(p));
	p.hdr.version = HT_CXLFLASH_VERSION_0;
	p.hdr.subcmd = HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT;
	rc = sp_ioctl(fd, HT_CXLFLASH_LUN_PROVISION, &p);
	tap_ok(rc == 0 && p.max_num_luns > 0 && p.cur_num_luns > 0 &&
	       p.max_cap_port >= p.cur_cap_port,
	       "LUN_PROVISION QUERY_PORT: %llu of %llu LUNs, %llu of %llu blocks (%d)",
	       (unsigned long long)p.cur_num_luns, (unsigned long long)p.max_num_luns,
	       (unsigned long long)p.cur_cap_port, (unsigned long long)p.max_cap_port, rc);

	sp_fill(out, 7, LEN / 4096, 4096, 32);
	rc = afu_debug(fd, CXLFLASH_SIM_DBG_SCRATCH_WRITE, out, LEN, true);
	rc = rc ?: afu_debug(fd, CXLFLASH_SIM_DBG_SCRATCH_READ, in, LEN, false);
	tap_ok(rc == 0 && !memcmp(out, in, LEN),
	       "AFU_DEBUG: 64 KiB from a 32-bit buffer to the AFU and back (%d)", rc);
	rc = afu_debug(fd, 0x7f, in, 8, false);
	tap_ok(rc == -EINVAL, "AFU_DEBUG unknown operation: EINVAL (%d)", rc);
	close(fd);
	free(out);
	free(in);
}

static uint64_t disk_last_lba(const char *dev)
{
	char path[128], buf[64];
	const char *name = strrchr(dev, '/');

	snprintf(path, sizeof(path), "/sys/block/%s/size", name ? name + 1 : dev);
	if (sp_read_file(path, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10) * 512 / 4096 - 1;
}

static void t_superpipe(void)
{
	struct dk_cxlflash_attach a;
	uint64_t rh = 0, last = 0, vlast = 0, want = disk_last_lba(O.dev);
	volatile uint64_t *map;
	int orig = sp_lun_mode(O.dev), fd, rc;
	struct sp_counts c;
	char cs[256];

	rc = sp_set_superpipe(O.dev, true);
	tap_ok(rc == 0 && sp_lun_mode(O.dev) == 1, "MANAGE_LUN superpipe (%d)", rc);
	fd = sp_open_dev(O.dev);
	rc = fd < 0 ? fd : sp_attach(fd, O_RDWR, 0, &a);
	if (!tap_ok(rc == 0 && (int)a.adap_fd >= 0 && a.mmio_size == 65536,
		    "ATTACH: context %#llx, adapter fd %d, host map %llu bytes (%d)",
		    (unsigned long long)a.context_id, (int)a.adap_fd,
		    (unsigned long long)a.mmio_size, rc)) {
		if (fd >= 0)
			close(fd);
		if (orig != 1)
			sp_set_superpipe(O.dev, false);
		return;
	}

	map = mmap(NULL, a.mmio_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   (int)a.adap_fd, 0);
	tap_ok(map != MAP_FAILED && map[1] == 0,
	       "the host map, mapped by the 32-bit process: INTR_STATUS 0");
	if (map != MAP_FAILED)
		munmap((void *)map, a.mmio_size);

	rc = sp_udirect(fd, a.context_id, &rh, &last);
	tap_ok(rc == 0 && last == want, "USER_DIRECT: handle %llu, last LBA %llu of %llu (%d)",
	       (unsigned long long)rh, (unsigned long long)last,
	       (unsigned long long)want, rc);
	rc = sp_verify(fd, a.context_id, rh, &vlast);
	tap_ok(rc == 0 && vlast == want, "VERIFY: last LBA %llu (%d)",
	       (unsigned long long)vlast, rc);
	rc = sp_release(fd, a.context_id, rh);
	rc = rc ?: sp_detach(fd, a.context_id);
	tap_ok(rc == 0, "RELEASE + DETACH (%d)", rc);
	close((int)a.adap_fd);
	close(fd);
	if (orig != 1) {
		rc = sp_set_superpipe(O.dev, false);
		tap_ok(rc == 0 && sp_lun_mode(O.dev) == 0, "MANAGE_LUN legacy (%d)", rc);
	}
	tap_ok(sp_wait_quiet(10, &c), "no user context left (%s)",
	       (sp_counts_str(&c, cs, sizeof(cs)), cs));
}

int main(int argc, char **argv)
{
	sp_parse_common(argc, argv, &O, NULL, NULL, NULL, "");
	if (!sp_tap_start(&O))
		return 0;
	tap_diag("LUN %s", O.dev);
	tap_ok(sizeof(void *) == 4 && sizeof(struct dk_cxlflash_attach) == 144 &&
	       sizeof(struct ht_cxlflash_lun_provision) == 160 &&
	       sizeof(struct ht_cxlflash_afu_debug) == 120,
	       "a 32-bit process, with the structure sizes of the 64-bit ABI");
	t_hostdev();
	t_superpipe();
	return tap_done();
}
