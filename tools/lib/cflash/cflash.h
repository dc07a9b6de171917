/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcflash - user-space block access to CXL Flash LUNs through the
 * cxlflash "superpipe" (DK_CXLFLASH_* ioctls + per-process AFU context).
 *
 * Model
 * -----
 * A LUN handle (struct cflash_lun) names either a whole physical LUN
 * (USER_DIRECT) or a thin virtual LUN carved out of one (USER_VIRTUAL).
 * All handles of one process that sit behind the same adapter and were
 * opened with the same access mode share one AFU context (ATTACH with
 * REUSE_CONTEXT), hence one MMIO window, one response queue (RRQ) and one
 * pool of CFLASH_MAX_INFLIGHT command slots.
 *
 * I/O is submitted by writing the AFU's doorbell (IOARRIN or SQ tail) and
 * completed by polling the RRQ in process memory: the default I/O path
 * makes no system calls.  While a caller waits it busy-polls; after a spin
 * window (CFLASH_SPIN_MS in the environment, default 20 ms) without the
 * awaited completion it yields the CPU (sched_yield), or blocks in poll()
 * on the adapter fd with CFLASH_OPEN_IRQ, unless CFLASH_OPEN_POLL_ONLY was
 * given, in which case it spins forever (bounded by the command timeout).
 *
 * Thread safety
 * -------------
 * Every function may be called from any thread.  A mutex per AFU context
 * serialises submission, RRQ harvesting and recovery; a process-wide mutex
 * protects open/close/clone and the context list.  Uncontended mutexes do
 * not enter the kernel, so a single thread per context stays system-call
 * free; contended ones may use futex().  Closing a handle while another
 * thread uses it is a caller bug, but does not crash: handle memory is never
 * returned to the allocator (it is recycled for later opens).
 *
 * Recovery
 * --------
 * Transparent: an all-ones MMIO read (or EIO from the adapter fd) triggers
 * DK_CXLFLASH_RECOVER_AFU and, on a context reset, remapping and re-issue
 * of the commands in flight; a unit attention triggers DK_CXLFLASH_VERIFY
 * (and a size update) and a retry; a command timeout resets the context
 * and re-issues.  Retries are bounded; what cannot be recovered is
 * reported as a negative errno (see cflash_strerror(), cflash_last_error()).
 *
 * Fork
 * ----
 * AFU contexts belong to the process that created them.  After fork() the
 * child must call cflash_clone_after_fork() on its handles before using
 * them (I/O returns -ESTALE until then) or cflash_close() them (which then
 * only frees the child's copies).  See cflash_clone_after_fork(3).
 *
 * Return values: 0 (or a documented non-negative value) on success,
 * a negative errno on failure.  Misuse (NULL pointers, closed handles,
 * unknown tags) gives -EINVAL or -EBADF, never a crash.
 */
#ifndef CFLASH_H
#define CFLASH_H

#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CFLASH_VERSION_MAJOR	1
#define CFLASH_VERSION_MINOR	0

/* cflash_open() flags, OR-ed with O_RDONLY, O_WRONLY or O_RDWR */
#define CFLASH_OPEN_VIRTUAL	0x00010000 /* thin virtual LUN (USER_VIRTUAL) */
#define CFLASH_OPEN_SCRUB	0x00020000 /* virtual: zero chunks on shrink/release
					      (DK_CXLFLASH_UVIRTUAL_NEED_WRITE_SAME) */
#define CFLASH_OPEN_POLL_ONLY	0x00040000 /* wait by spinning only: no syscalls */
#define CFLASH_OPEN_IRQ		0x00080000 /* request completion interrupts; after the
					      spin window block in poll() on fd2 */
#define CFLASH_OPEN_NO_ENABLE	0x00100000 /* fail (-EPERM) instead of switching a
					      legacy LUN to superpipe mode */
#define CFLASH_OPEN_PRIVATE_CTX	0x00200000 /* do not share an AFU context */
#define CFLASH_OPEN_FLAGS_MASK	0x003F0000

/* Commands one AFU context can have in flight (shared by its handles). */
#define CFLASH_MAX_INFLIGHT	256

struct cflash_lun;

/*
 * Open @dev (/dev/sdX or /dev/sgN of a cxlflash LUN).
 *
 * If the LUN's sysfs attribute device/mode is not "superpipe", the library
 * switches it with DK_CXLFLASH_MANAGE_LUN(ENABLE_SUPERPIPE), passing the
 * 16-byte NAA designator found in device/vpd_pg83 (unless
 * CFLASH_OPEN_NO_ENABLE).  The device is opened O_RDWR|O_NONBLOCK; the access
 * mode in @flags (O_RDONLY/O_WRONLY/O_RDWR) sets the AFU permissions.
 * Physical: the handle spans the whole LUN, @vlun_blocks must be 0.
 * Virtual: a LUN of @vlun_blocks 4 KiB blocks (rounded up by the driver to
 * its 256 MiB chunk; 0 = empty, grow with cflash_resize()).  As growth, this
 * is best effort: with less space free the LUN is smaller (cflash_size()
 * tells), -ENOSPC only when not one chunk is free.
 */
int cflash_open(const char *dev, int flags, uint64_t vlun_blocks,
		struct cflash_lun **out);

/*
 * Release the resource (RELEASE), detach the LUN (DETACH); the last handle
 * of a context also unmaps the MMIO window and closes the adapter fd when
 * the driver asked for it (DK_CXLFLASH_APP_CLOSE_ADAP_FD).  Un-reaped
 * asynchronous commands of the handle are waited for and discarded.
 * Returns the first error seen but always frees the handle; a second
 * close of the same pointer returns -EBADF.
 */
int cflash_close(struct cflash_lun *lun);

/*
 * Synchronous I/O of @nblocks blocks at @lba.  @buf must be 16-byte aligned
 * (page alignment recommended) and hold nblocks * block_size bytes.
 * Transfers larger than max_xfer are split.  -ERANGE past the end.
 */
int cflash_read(struct cflash_lun *lun, void *buf, uint64_t lba,
		uint64_t nblocks);
int cflash_write(struct cflash_lun *lun, const void *buf, uint64_t lba,
		 uint64_t nblocks);

/* Asynchronous I/O: tags are opaque, valid until reaped. */
typedef uint64_t cflash_tag_t;
#define CFLASH_TAG_ANY		UINT64_MAX

/* Submit at most max_xfer blocks; -EAGAIN when all slots are busy. */
int cflash_aread(struct cflash_lun *lun, void *buf, uint64_t lba,
		 uint32_t nblocks, cflash_tag_t *tag);
int cflash_awrite(struct cflash_lun *lun, const void *buf, uint64_t lba,
		  uint32_t nblocks, cflash_tag_t *tag);

struct cflash_completion {
	cflash_tag_t tag;	/* the completed command */
	int status;		/* 0 or -errno */
	uint32_t nblocks;	/* blocks requested */
};

#define CFLASH_WAIT		0x1	/* cflash_aresult(): block until done */

/*
 * Reap the completion of @tag, or of any command of @lun with
 * CFLASH_TAG_ANY.  Returns 1 with *@c filled, 0 if not complete yet
 * (without CFLASH_WAIT), -ENOENT if @lun has no outstanding asynchronous
 * command (TAG_ANY), -EINVAL for an unknown or already reaped tag.
 */
int cflash_aresult(struct cflash_lun *lun, cflash_tag_t tag, int flags,
		   struct cflash_completion *c);

/* Number of blocks of the LUN (0 for an empty virtual LUN). */
int cflash_size(struct cflash_lun *lun, uint64_t *nblocks);

/*
 * Virtual LUNs only (-EINVAL otherwise): resize to @nblocks 4 KiB blocks
 * (VLUN_RESIZE; growth is best effort, the driver rounds to its chunk);
 * the resulting size is stored in *@new_nblocks if not NULL.
 */
int cflash_resize(struct cflash_lun *lun, uint64_t nblocks,
		  uint64_t *new_nblocks);

struct cflash_info {
	uint64_t context_id;	/* driver cookie (changes on context reset) */
	uint64_t rsrc_handle;	/* resource handle (RHT index) */
	uint64_t last_lba;	/* all ones for an empty virtual LUN */
	uint64_t max_xfer;	/* blocks per command */
	uint32_t block_size;	/* bytes */
	int fd;			/* the disk fd ioctls are issued on */
	int adap_fd;		/* the context's adapter fd (fd2) */
	int virtual_lun;	/* 1 for USER_VIRTUAL handles */
	int sq_mode;		/* context driven in SQ mode */
	int unmap_supported;	/* AFU supports WRITE SAME with UNMAP */
	int open_flags;		/* as given to cflash_open() */
	char adapter[256];	/* adapter identity (sysfs path up to /host) */
};
int cflash_info(struct cflash_lun *lun, struct cflash_info *info);

struct cflash_stats {
	uint64_t commands;	/* commands completed (incl. retried ones) */
	uint64_t errors;	/* commands completed with a final error */
	uint64_t retries;	/* re-submissions after a retryable status */
	uint64_t verifies;	/* DK_CXLFLASH_VERIFY after unit attentions */
	uint64_t recoveries;	/* DK_CXLFLASH_RECOVER_AFU calls */
	uint64_t ctx_resets;	/* contexts replaced by RECOVER_AFU */
	uint64_t timeouts;	/* command timeouts (context reset + re-issue) */
};
/* Counters of the handle's AFU context (shared by its handles). */
int cflash_stats(struct cflash_lun *lun, struct cflash_stats *st);

/* Command timeout in ms (default 30000, env CFLASH_TIMEOUT_MS). */
int cflash_set_timeout(struct cflash_lun *lun, unsigned int ms);

/*
 * Fork support: in the child, give @lun (and every handle sharing its
 * context) a context of the child's own: ATTACH on the inherited disk fd,
 * unmap the parent's MMIO window, VLUN_CLONE from the parent's context
 * (virtual LUNs keep their resource handles; physical ones get a new
 * USER_DIRECT), close the inherited adapter fd.  Returns 0 (also when
 * nothing needs doing), -errno otherwise.  Call it before starting threads
 * in the child; fork() must not race with open/close in the parent.
 */
int cflash_clone_after_fork(struct cflash_lun *lun);

/* Text for a (negative or positive) errno returned by the library. */
const char *cflash_strerror(int err);

/*
 * Describe the last failed command of @lun's context (AFU/SCSI/FC return
 * codes with names, sense key/ASC/ASCQ).  Returns the length written
 * (snprintf semantics) or -errno; "" if no command failed yet.
 */
int cflash_last_error(struct cflash_lun *lun, char *buf, size_t len);

/* Name of a SISLite afu_rc / fc_rc code ("unknown" otherwise). */
const char *cflash_afu_rc_name(unsigned int afu_rc);
const char *cflash_fc_rc_name(unsigned int fc_rc);

#ifdef __cplusplus
}
#endif

#endif /* CFLASH_H */
