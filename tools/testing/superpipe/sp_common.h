/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers of the superpipe test programs: TAP output, LUN
 * discovery, raw DK_CXLFLASH_* ioctls, data patterns, debugfs counters.
 */
#ifndef SP_COMMON_H
#define SP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <scsi/cxlflash_ioctl.h>
#include "cflash.h"

/* ---- TAP ---- */
void tap_plan(int n);
void tap_plan_late(void);		/* print "1..N" at the end */
int tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tap_done(void);			/* prints "N passed, N failed"; exit code */
void tap_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* ---- options ---- */
struct sp_opts {
	const char *dev;		/* -d: LUN under test */
	const char *dev2;		/* -D: second LUN on the same adapter */
	int verbose;			/* -v */
};
/* parse -d/-D/-v (and let @extra handle others; returns index of 1st non-opt) */
int sp_parse_common(int argc, char **argv, struct sp_opts *o,
		    const char *extra_opts,
		    int (*extra)(int opt, const char *arg, void *priv), void *priv,
		    const char *usage);

/* ---- discovery ---- */
/* fill up to @max /dev/sdX names of LUNs behind cxlflash hosts */
int sp_find_luns(char names[][64], int max);
/* resolve defaults for o->dev / o->dev2; false if no LUN at all */
bool sp_pick_luns(struct sp_opts *o);
/*
 * the start of a TAP program on the LUNs: stdout line-buffered, the plan
 * printed at the end, the LUNs picked; false (after printing a SKIP plan)
 * when there is no cxlflash LUN, and main() then returns 0
 */
bool sp_tap_start(struct sp_opts *o);
/* the scsi_device sysfs directory of @dev */
int sp_sdev_path(const char *dev, char *out, size_t len);
/* read device/mode: 1 superpipe, 0 legacy, -errno */
int sp_lun_mode(const char *dev);
/* MANAGE_LUN with the WWID from vpd_pg83; @flags ENABLE/DISABLE */
int sp_manage_lun(int fd, const char *dev, uint64_t flags);
int sp_set_superpipe(const char *dev, bool on);
/* the 16-byte NAA designator of @dev as 32 lower-case hex digits */
int sp_wwid_hex(const char *dev, char out[33]);

/* ---- raw ioctls (0 or -errno) ---- */
int sp_ioctl(int fd, unsigned long req, void *arg);
int sp_open_dev(const char *dev);	/* O_RDWR|O_NONBLOCK */
int sp_attach(int fd, uint64_t flags, uint64_t reuse_ctx,
	      struct dk_cxlflash_attach *a);
int sp_detach(int fd, uint64_t ctx);
int sp_udirect(int fd, uint64_t ctx, uint64_t *rh, uint64_t *last);
int sp_uvirtual(int fd, uint64_t ctx, uint64_t size, uint64_t flags,
		uint64_t *rh, uint64_t *last);
int sp_release(int fd, uint64_t ctx, uint64_t rh);
int sp_verify(int fd, uint64_t ctx, uint64_t rh, uint64_t *last);
int sp_resize(int fd, uint64_t ctx, uint64_t rh, uint64_t size, uint64_t *last);
int sp_recover(int fd, uint64_t ctx, struct dk_cxlflash_recover_afu *r);

/* ---- data ---- */
void *sp_alloc(size_t len);		/* page aligned, zeroed */
void sp_fill(void *buf, uint64_t lba, uint64_t nblocks, uint32_t bs, uint64_t seed);
/* number of blocks that do not match the pattern */
uint64_t sp_check(const void *buf, uint64_t lba, uint64_t nblocks, uint32_t bs,
		  uint64_t seed);

/* ---- debugfs of the emulated AFU ---- */
/* user contexts listed in /sys/kernel/debug/cxlflash_sim/<adapter>/contexts;
 * -1 if not available */
int sp_sim_user_contexts(void);
/* first (or only) adapter directory name under cxlflash_sim; false if none */
bool sp_sim_adapter(char *name, size_t len);

/* ---- debugfs of the driver ---- */
/* the LUN record of /sys/kernel/debug/cxlflash/luns */
struct sp_lunrec {
	char mode[16];			/* none, virtual, physical */
	int users;
	unsigned long long max_lba, chunks, nfree;
	unsigned int blk_len;
};
/* the record of the LUN with WWID @wwid (32 hex digits); false if none */
bool sp_lunrec(const char *wwid, struct sp_lunrec *r);

/* ---- configfs of the emulated AFU ---- */
struct sp_cfs_lun {
	const char *name;		/* configfs LUN directory */
	const char *size;		/* "250G", "1T", ... */
	unsigned int bs;		/* 512 or 4096 */
	char dev[64];			/* filled: /dev/sdX */
	char wwid[33];			/* filled: 32 hex digits */
};
/*
 * Create a one-port adapter @adapter under /sys/kernel/config/cxlflash_sim
 * with thin RAM LUNs @luns, power it on and wait up to @timeout_s for
 * their disks (found by WWID).  A leftover adapter of that name is removed
 * first.  False (with a "# " diagnostic) on failure, nothing left behind.
 */
bool sp_cfs_create(const char *adapter, struct sp_cfs_lun *luns, size_t n, int timeout_s);
/* power off and remove what sp_cfs_create() made (also leftovers) */
void sp_cfs_destroy(const char *adapter, const struct sp_cfs_lun *luns, size_t n);

/* ---- quiescence: every user-context counter of the driver and the sim ---- */
struct sp_counts {
	int hosts;			/* cxlflash SCSI hosts seen */
	int user_contexts;		/* sysfs hostN/user_contexts, summed */
	int ctx_lines;			/* lines of debugfs cxlflash/hostN/contexts */
	int user_files;			/* debugfs cxlflash/hostN/user_files */
	int contexts_count;		/* debugfs cxlflash/hostN/contexts_count */
	int sim_user;			/* user contexts of debugfs cxlflash_sim */
	int lun_users;			/* users= of debugfs cxlflash/luns, summed */
	long long lost_chunks;		/* chunks - free of cxlflash/luns, summed */
	int unreadable;			/* files that could not be read */
};
void sp_counts_read(struct sp_counts *c);
bool sp_counts_zero(const struct sp_counts *c);
void sp_counts_str(const struct sp_counts *c, char *buf, size_t len);
/* poll until every counter is zero, up to @timeout_s; the last reading in @c */
bool sp_wait_quiet(int timeout_s, struct sp_counts *c);
/* print the driver's and the sim's context tables as "# " lines */
void sp_dump_state(void);

/* ---- small file helpers (0 or -errno) ---- */
int sp_write_file(const char *path, const char *val);
int sp_read_file(const char *path, char *buf, size_t len);	/* trailing blanks cut */
/* SCSI host number of @dev, -errno if none */
int sp_host_no(const char *dev);
/* write @us to delay_us of every emulated adapter; number written */
int sp_sim_set_delay(unsigned int us);

double sp_now(void);
void sp_msleep(unsigned int ms);

#endif
