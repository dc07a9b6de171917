// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * thin: create a thin-provisioned virtual LUN on a CXL Flash LUN through
 * libcflash, grow it, write and read it, shrink it, release it.
 *
 *   thin [-w] /dev/sdX [GROW_BLOCKS [SHRINK_BLOCKS]]
 *
 * The virtual LUN starts empty (no chunks of the physical LUN are used),
 * is grown to GROW_BLOCKS (default 150000) and shrunk to SHRINK_BLOCKS
 * (default 10000); the driver rounds sizes up to whole chunks.  Data of
 * the blocks that stay is kept across the shrink.
 *
 * -w: after each step print a line and wait for SIGUSR1, so that a script
 *     can look at the adapter (cxlflashctl status) while the virtual LUN
 *     exists.  The physical LUN's data is not touched: a virtual LUN's
 *     blocks come from free chunks.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cflash.h>

static int wait_mode;
static sigset_t usr1;

static void step(const char *what, unsigned long long blocks)
{
	int sig;

	printf("  %s: size %llu blocks\n", what, blocks);
	fflush(stdout);
	if (wait_mode) {
		printf("  (pid %d waiting for SIGUSR1)\n", (int)getpid());
		fflush(stdout);
		sigwait(&usr1, &sig);
	}
}

static int check_block(struct cflash_lun *l, uint64_t *buf, uint32_t bs, uint64_t lba,
		       int write)
{
	int rc;

	for (uint32_t k = 0; k < bs / 8; k++)
		buf[k] = write ? lba * 0x9e3779b97f4a7c15ULL + k : 0;
	if (write) {
		rc = cflash_write(l, buf, lba, 1);
		if (rc)
			return rc;
	}
	rc = cflash_read(l, buf, lba, 1);
	if (rc)
		return rc;
	for (uint32_t k = 0; k < bs / 8; k++)
		if (buf[k] != lba * 0x9e3779b97f4a7c15ULL + k)
			return -EILSEQ;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t grow = 150000, shrink = 10000, size = 0, last;
	struct cflash_lun *l;
	struct cflash_info in;
	const char *dev;
	uint64_t *buf;
	int opt, rc;

	while ((opt = getopt(argc, argv, "wh")) != -1) {
		switch (opt) {
		case 'w':
			wait_mode = 1;
			break;
		case 'h':
			printf("usage: %s [-w] /dev/sdX [GROW_BLOCKS [SHRINK_BLOCKS]]\n", argv[0]);
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc || argc - optind > 3) {
		fprintf(stderr, "usage: %s [-w] /dev/sdX [GROW_BLOCKS [SHRINK_BLOCKS]]\n", argv[0]);
		return 2;
	}
	dev = argv[optind++];
	if (optind < argc)
		grow = strtoull(argv[optind++], NULL, 0);
	if (optind < argc)
		shrink = strtoull(argv[optind++], NULL, 0);
	if (!shrink || shrink > grow) {
		fprintf(stderr, "need 0 < SHRINK_BLOCKS <= GROW_BLOCKS\n");
		return 2;
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);

	rc = cflash_open(dev, O_RDWR | CFLASH_OPEN_VIRTUAL | CFLASH_OPEN_NO_ENABLE, 0, &l);
	if (rc) {
		fprintf(stderr, "%s: cflash_open: %s\n", dev, cflash_strerror(rc));
		return 1;
	}
	cflash_info(l, &in);
	cflash_size(l, &size);
	if (posix_memalign((void **)&buf, 4096, in.block_size)) {
		cflash_close(l);
		return 1;
	}
	printf("%s: virtual LUN created, handle %llu of context 0x%llx\n", dev,
	       (unsigned long long)in.rsrc_handle, (unsigned long long)in.context_id);
	step("created (thin: no chunk allocated yet)", size);

	rc = cflash_resize(l, grow, &size);
	if (rc)
		goto out;
	last = size - 1;
	rc = check_block(l, buf, in.block_size, 0, 1);
	if (!rc)
		rc = check_block(l, buf, in.block_size, last, 1);
	if (rc)
		goto out;
	printf("  grown to %llu blocks (asked %llu); blocks 0 and %llu written and verified\n",
	       (unsigned long long)size, (unsigned long long)grow, (unsigned long long)last);
	step("grown", size);

	rc = cflash_resize(l, shrink, &size);
	if (rc)
		goto out;
	rc = check_block(l, buf, in.block_size, 0, 0);
	if (rc)
		goto out;
	/* beyond the end now: the AFU refuses it */
	if (cflash_read(l, buf, last, 1) == 0) {
		fprintf(stderr, "  block %llu still readable after the shrink\n",
			(unsigned long long)last);
		rc = -EIO;
		goto out;
	}
	printf("  shrunk to %llu blocks (asked %llu); block 0 kept its data, block %llu is gone\n",
	       (unsigned long long)size, (unsigned long long)shrink, (unsigned long long)last);
	step("shrunk", size);
out:
	if (rc)
		fprintf(stderr, "%s: %s\n", dev, cflash_strerror(rc));
	free(buf);
	cflash_close(l);
	if (!rc)
		printf("  virtual LUN released\n");
	return rc ? 1 : 0;
}
