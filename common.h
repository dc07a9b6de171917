/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash: the objects every file of the driver sees.
 *
 *   struct cxlflash_cfg  one adapter (the Scsi_Host's private data)
 *   struct afu           the AFU behind it: mapped PSA, hardware queues
 *   struct hwq           one hardware queue = one master context with its
 *                        own submission ring, response ring and interrupts
 *   struct cxlflash_cmd  one command the driver hands to a hardware queue
 *
 * The hardware formats (IOARCB, IOASA, register maps) are in sislite.h;
 * how the other files reach the AFU is declared in afu_if.h.  Locks are
 * documented next to what they protect.
 */
#ifndef _CXLFLASH_COMMON_H
#define _CXLFLASH_COMMON_H

#include <linux/async.h>
#include <linux/completion.h>
#include <linux/idr.h>
#include <linux/irq_poll.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "sislite.h"
#include "backend.h"

#define CXLFLASH_NAME		"cxlflash"
#define CXLFLASH_ADAPTER_NAME	"IBM CXL Flash Adapter (emulated or CAPI)"

#define CXLFLASH_BLOCK_SIZE	4096		/* unit of ioctl sizes */
#define CXLFLASH_MAX_XFER	(16 * 1024 * 1024)

/* Commands the midlayer may have outstanding, per host and per LUN */
#define CXLFLASH_MAX_CMDS	256
/* Slots of each ring (SQ and RRQ) of a hardware queue */
#define CXLFLASH_RING_SLOTS	CXLFLASH_MAX_CMDS

#define CXLFLASH_MAX_HWQS	8
/* blk-mq hardware contexts of the SCSI host (one per CPU up to this) */
#define CXLFLASH_MAX_BLK_HWQS	64
#define PRIMARY_HWQ		0	/* carries TMFs and AFU commands */

#define MAX_CONTEXT		SISL_MAX_CONTEXT
#define CXLFLASH_LUN_SLOTS	256	/* LXT LUN index is 8 bits */
#define CXLFLASH_LUN_MODE_MAX	4	/* lun_mode 1-4: internal LUNs */

/*
 * Adapter state (cfg->state); the transitions are in eh.c and in
 * Documentation/scsi/cxlflash.rst.  The order of the names is the order
 * of adapter_state's sysfs strings.
 */
enum cxlflash_state {
	STATE_PROBING,		/* probe in progress */
	STATE_NORMAL,		/* AFU running, I/O and ioctls allowed */
	STATE_RESET,		/* reset in progress: I/O busy, ioctls wait */
	STATE_FAILTERM,		/* failed or being removed */
};

/* How queuecommand spreads commands over the hardware queues */
enum cxlflash_steer {
	STEER_RR,		/* "rr": round robin */
	STEER_TAG,		/* "tag": block layer unique tag */
	STEER_CPU,		/* "cpu": submitting CPU */
	STEER_NR
};

struct afu;
struct hwq;

/*
 * A command.  For SCSI commands it lives in the scsi_cmnd's private area,
 * the AFU's internal commands use afu->icmd.  The IOASA must follow the
 * IOARCB: in SQ mode the response queue returns the IOASA's address and
 * the IOARCB in the ring points at it.
 *
 * Lifetime: owned by the hardware queue from a successful cxlflash_post()
 * until it is reaped from the response ring or flushed by a context
 * reset; @node is on hwq->inflight (under hwq->sq_lock) exactly that long.
 */
struct cxlflash_cmd {
	struct sisl_ioarcb rcb;
	struct sisl_ioasa sa;
	struct hwq *hwq;		/* where it was posted */
	struct scsi_cmnd *scp;		/* NULL for an AFU internal command */
	struct list_head node;		/* on hwq->inflight */
	struct completion done;		/* internal commands only */
	bool flushed;			/* dropped by a context reset */
	u64 t_post_ns;			/* only while cmd_complete is traced */
} __aligned(128);

struct hwq {
	/* rings first: both need their natural alignment */
	struct sisl_ioarcb sq[CXLFLASH_RING_SLOTS];
	u64 rrq[CXLFLASH_RING_SLOTS];

	struct afu *afu;
	void *ctx_cookie;		/* backend master context */
	struct sisl_host_map __iomem *host_map;
	struct sisl_ctrl_map __iomem *ctrl_map;
	ctx_hndl_t ctx_hndl;		/* process element of the context */
	u32 index;
	u32 irqs_mapped;		/* LISNs 1..n mapped */

	/*
	 * Submission side.  sq_lock (irqsave) protects posting (ring slot,
	 * credits, room cache, doorbell), the inflight list and @online;
	 * the reaper takes it inside rrq_lock to unlink what it reaped.
	 */
	spinlock_t sq_lock;
	struct list_head inflight;
	u32 sq_next;			/* ring slot the next IOARCB goes to */
	u32 sq_credits;			/* free SQ slots (SQ mode) */
	s64 room;			/* cached cmd_room (IOARRIN mode) */
	bool online;			/* accepts commands, RRQ is live */

	/*
	 * Completion side.  rrq_lock (irqsave) protects the consumer slot
	 * and phase; commands are finished after it is dropped.  Lock order:
	 * rrq_lock -> sq_lock.
	 */
	spinlock_t rrq_lock;
	u32 rrq_head;			/* next RRQ slot to look at */
	bool rrq_phase;			/* toggle bit a valid entry carries */

	/* completions in irq_poll, not in the interrupt (fixed at start) */
	bool polled;
	struct irq_poll irqpoll;
} __aligned(128);

struct afu {
	struct hwq *hwqs[CXLFLASH_MAX_HWQS];
	struct cxlflash_afu_map __iomem *afu_map;	/* whole PSA */
	struct cxlflash_cfg *parent;

	bool sq_mode;			/* SQ ring, else IOARRIN mailbox */
	u64 interface_version;
	char version[16];		/* afu_version, ASCII */

	u32 num_hwqs;			/* running */
	u32 desired_hwqs;		/* applied by the next AFU restart */
	enum cxlflash_steer steer;
	atomic_t steer_rr;
	u32 irqpoll_weight;		/* 0: complete in the interrupt */
	/*
	 * lun_mode: 0 the LUNs behind the FC ports, 1-4 the AFU's internal
	 * LUNs on port 0 (sizes in sysfs.c).  Applied by an AFU restart;
	 * changed only by cxlflash_set_lun_mode() with the adapter in reset,
	 * ioctls drained and no user context; read locklessly.
	 */
	u32 internal_lun;

	/* posts in progress; teardown waits for none */
	atomic_t posting;

	/* icmd_mutex: one internal command (sync or TMF) at a time, in icmd */
	struct mutex icmd_mutex;
	struct cxlflash_cmd *icmd;
};

static inline struct hwq *get_hwq(struct afu *afu, u32 index)
{
	return afu->hwqs[index];
}

static inline bool afu_is_sq_cmd_mode(struct afu *afu)
{
	return afu->sq_mode;
}

struct ctx_info;
struct cxlflash_hostdev;

/* One adapter: the Scsi_Host's private data */
struct cxlflash_cfg {
	struct afu *afu;
	const struct cxlflash_backend_ops *ops;
	struct cxlflash_aux_dev *adev;
	struct device *dev;
	struct Scsi_Host *host;
	int num_fc_ports;
	int index;			/* adapter number, for names */
	bool scsi_added;		/* scsi_add_host() done */

	/* FC events: link resets owed (a bit per port), rescans owed */
	struct work_struct event_work;
	unsigned long lr_ports;
	atomic_t scan_needed;

	atomic_t recovery_threads;

	/*
	 * Lock order: ioctl_rwsem (read) -> ctx_recovery_mutex ->
	 * ctx_tbl_list_mutex -> ctx_info.mutex -> global.mutex -> gli->mutex.
	 * ioctl_rwsem is taken for read by every ioctl and by the adapter-fd
	 * release path; resets take it for write to drain them.  Neither
	 * the dispatcher's LUN binding (global.mutex, cxlflash_lun_get())
	 * nor the release path's wait for an unavailable context is done
	 * with a context mutex held; the release path drops ioctl_rwsem to
	 * wait.
	 */
	struct rw_semaphore ioctl_rwsem;
	struct mutex ctx_recovery_mutex;	/* one RECOVER_AFU at a time */
	struct mutex ctx_tbl_list_mutex;	/* ctx_tbl and ctx_err_recovery */
	struct ctx_info *ctx_tbl[MAX_CONTEXT];
	struct list_head ctx_err_recovery;
	atomic_t num_user_contexts;	/* live adapter files */
	atomic_t num_contexts;		/* contexts in the table */
	atomic_t ctx_gen;		/* context id generation tag */
	/*
	 * The fd2 release path sleeps on ctx_waitq until a context it found
	 * unavailable is put back: put_context() and context removal bump
	 * ctx_put_seq and wake it, so a wake-up between the lookup and the
	 * sleep is not lost (the sleeper compares the count it read before
	 * the lookup).
	 */
	wait_queue_head_t ctx_waitq;
	atomic_t ctx_put_seq;

	struct ida lun_slots;		/* LUN table slots, global.mutex */
	struct list_head lluns;		/* struct llun_info, global.mutex */

	/*
	 * LUN resets in flight: queuecommand bounces while tmf_active is
	 * non-zero; remove waits on tmf_waitq for it to drop to zero.
	 * Written under tmf_lock, read locklessly on the I/O path.
	 */
	spinlock_t tmf_lock;
	unsigned int tmf_active;
	wait_queue_head_t tmf_waitq;

	bool ws_unmap;			/* WRITE SAME may unmap */

	/*
	 * one lun_mode change at a time (its device removal and rescan);
	 * also held by the host device's LUN CREATE/DELETE (hostdev.c)
	 */
	struct mutex lun_mode_mutex;

	/* state: see eh.c; waiters for the end of a reset sleep on reset_waitq */
	enum cxlflash_state state;
	wait_queue_head_t reset_waitq;
	async_cookie_t reset_cookie;	/* the last background reset */

	struct dentry *debugfs;
	/* host character device, hostdev.c; set from probe to remove */
	struct cxlflash_hostdev *hostdev;
};

static inline struct cxlflash_cfg *shost_to_cfg(struct Scsi_Host *host)
{
	return (struct cxlflash_cfg *)host->hostdata;
}

/* A Linux LUN number in the AFU's 8-byte SAM format, as a u64 */
static inline u64 lun_to_lunid(u64 lun)
{
	struct scsi_lun sam;

	int_to_scsilun(lun, &sam);
	return get_unaligned_be64(sam.scsi_lun);
}

/* superpipe.c */
int cxlflash_ioctl(struct scsi_device *sdev, unsigned int cmd, void __user *arg);
void cxlflash_stop_term_user_contexts(struct cxlflash_cfg *cfg);
void cxlflash_mark_contexts_error(struct cxlflash_cfg *cfg);
int cxlflash_alloc_errpage(void);
void cxlflash_free_errpage(void);

/* fence.c */
struct scsi_sense_hdr;
bool cxlflash_cdb_media(const u8 *cdb);
bool cxlflash_lun_fenced(struct scsi_device *sdev);
bool cxlflash_fence_refuses(struct scsi_cmnd *scp);
void cxlflash_fence_reject(struct scsi_cmnd *scp);
int cxlflash_own_exec(struct scsi_device *sdev, const u8 *cdb, int dir,
		      void *buf, unsigned int len, struct scsi_sense_hdr *sshdr,
		      int timeout, int retries);

/* lunmgt.c */
void cxlflash_list_init(void);
void cxlflash_term_global_luns(void);
void cxlflash_term_local_luns(struct cxlflash_cfg *cfg);
struct llun_info;
int cxlflash_manage_lun(struct scsi_device *sdev, struct llun_info *lli,
			void *arg);

/* vlun.c */
void cxlflash_restore_luntable(struct cxlflash_cfg *cfg);

extern const struct attribute_group *cxlflash_sdev_groups[];

#endif /* _CXLFLASH_COMMON_H */
