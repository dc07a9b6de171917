/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash: types shared by the files of the driver.
 */
#ifndef _CXLFLASH_COMMON_H
#define _CXLFLASH_COMMON_H

#include <linux/async.h>
#include <linux/irq_poll.h>
#include <linux/list.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>

#include "sislite.h"
#include "backend.h"

#define CXLFLASH_NAME		"cxlflash"
#define CXLFLASH_ADAPTER_NAME	"IBM CXL Flash Adapter (emulated or CAPI)"
#define CXLFLASH_MAX_ADAPTERS	32

#define CXLFLASH_BLOCK_SIZE	4096		/* unit of ioctl sizes */
#define CXLFLASH_MAX_XFER_SIZE	(16 * 1024 * 1024)
#define CXLFLASH_MAX_SECTORS	(CXLFLASH_MAX_XFER_SIZE / 512)

#define CXLFLASH_MAX_CMDS	256
#define CXLFLASH_MAX_CMDS_PER_LUN	CXLFLASH_MAX_CMDS
#define NUM_RRQ_ENTRY		CXLFLASH_MAX_CMDS
#define NUM_SQ_ENTRY		CXLFLASH_MAX_CMDS

#define CXLFLASH_DEF_HWQS	1
#define CXLFLASH_MAX_HWQS	8
#define PRIMARY_HWQ		0

#define MAX_CONTEXT		SISL_MAX_CONTEXT
#define CXLFLASH_LUN_SLOTS	256	/* LXT LUN index is 8 bits */

#define MC_AFU_SYNC_TIMEOUT	5		/* seconds */
#define MC_ROOM_RETRY_CNT	10
#define MC_CRC_THRESH		100
#define FC_PORT_STATUS_RETRY_CNT	100
#define FC_PORT_STATUS_RETRY_INTERVAL_US	100000

/* Adapter state; see the state machine in Documentation/scsi/cxlflash.rst */
enum cxlflash_state {
	STATE_PROBING,		/* probe in progress */
	STATE_NORMAL,		/* AFU running, I/O and ioctls allowed */
	STATE_RESET,		/* reset in progress: I/O busy, ioctls wait */
	STATE_FAILTERM,		/* failed or being removed */
};

enum cxlflash_init_state {
	INIT_STATE_NONE,
	INIT_STATE_AFU,
	INIT_STATE_SCSI,
};

enum cxlflash_hwq_mode {
	HWQ_MODE_RR,		/* round robin */
	HWQ_MODE_TAG,		/* block layer tag */
	HWQ_MODE_CPU,		/* submitting CPU */
	MAX_HWQ_MODE
};

struct afu;
struct hwq;

/*
 * One command, in the SCSI command's private area or allocated for an
 * internal command.  The IOASA must immediately follow the IOARCB: in SQ
 * mode the AFU reports the IOASA address and we find the command from it.
 */
struct afu_cmd {
	struct sisl_ioarcb rcb;
	struct sisl_ioasa sa;
	struct afu *parent;
	struct scsi_cmnd *scp;		/* NULL for internal commands */
	struct completion cevent;
	struct list_head queue;		/* on a local done list */
	struct list_head list;		/* on hwq->pending_cmds */
	u32 hwq_index;
	u8 cmd_tmf:1,
	   cmd_aborted:1;
} __aligned(128);

struct hwq {
	/* first, for alignment */
	struct sisl_ioarcb sq[NUM_SQ_ENTRY];
	u64 rrq_entry[NUM_RRQ_ENTRY];

	struct afu *afu;
	void *ctx_cookie;
	struct sisl_host_map __iomem *host_map;
	struct sisl_ctrl_map __iomem *ctrl_map;
	ctx_hndl_t ctx_hndl;
	u32 index;
	u32 num_irqs;

	/*
	 * hsq_slock (irqsave) protects submission (SQ ring position, room
	 * accounting), the pending list and context reset/flush.
	 */
	spinlock_t hsq_slock;
	struct list_head pending_cmds;
	atomic_t hsq_credits;
	struct sisl_ioarcb *hsq_start;
	struct sisl_ioarcb *hsq_end;
	struct sisl_ioarcb *hsq_curr;
	s64 room;

	/*
	 * hrrq_slock (irqsave) protects the RRQ consumer position, toggle and
	 * online flag.  Completions run after it is dropped.  Taken before
	 * hsq_slock when both are needed.
	 */
	spinlock_t hrrq_slock;
	u64 *hrrq_start;
	u64 *hrrq_end;
	u64 *hrrq_curr;
	bool toggle;
	bool hrrq_online;

	struct irq_poll irqpoll;
} __aligned(128);

struct afu {
	struct hwq *hwqs[CXLFLASH_MAX_HWQS];
	int (*send_cmd)(struct afu *afu, struct afu_cmd *cmd);
	int (*context_reset)(struct hwq *hwq);

	struct cxlflash_afu_map __iomem *afu_map;	/* whole PSA */
	atomic_t cmds_active;		/* submissions in progress */
	struct mutex sync_active;	/* one internal AFU command at a time */
	struct afu_cmd *sync_cmd;	/* its buffer, under sync_active */
	u64 hb;
	u32 internal_lun;
	u32 num_hwqs;
	u32 desired_hwqs;
	enum cxlflash_hwq_mode hwq_mode;
	atomic_t hwq_rr_count;
	char version[16];
	u64 interface_version;
	u32 irqpoll_weight;
	struct cxlflash_cfg *parent;
};

static inline bool afu_is_sq_cmd_mode(struct afu *afu)
{
	u64 cap = afu->interface_version >> SISL_INTVER_CAP_SHIFT;

	return cap & SISL_INTVER_CAP_SQ_CMD_MODE;
}

static inline bool afu_is_ioarrin_cmd_mode(struct afu *afu)
{
	u64 cap = afu->interface_version >> SISL_INTVER_CAP_SHIFT;

	return cap & SISL_INTVER_CAP_IOARRIN_CMD_MODE;
}

static inline struct hwq *get_hwq(struct afu *afu, u32 index)
{
	return afu->hwqs[index];
}

struct ctx_info;

/* Per adapter state, the SCSI host's private data */
struct cxlflash_cfg {
	struct afu *afu;
	const struct cxlflash_backend_ops *ops;
	struct cxlflash_aux_dev *adev;
	struct device *dev;
	struct Scsi_Host *host;
	int num_fc_ports;
	int index;			/* adapter number, for names */

	struct work_struct work_q;	/* link reset and rescans */
	enum cxlflash_init_state init_state;
	/* link resets owed, one bit per port (fixes a lost second event) */
	unsigned long lr_ports;
	atomic_t scan_host_needed;

	void *afu_cookie;
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

	/* tmf_slock protects tmf_active; waiters sleep on tmf_waitq */
	wait_queue_head_t tmf_waitq;
	spinlock_t tmf_slock;		/* tmf_active */
	bool tmf_active;

	bool ws_unmap;
	wait_queue_head_t reset_waitq;
	enum cxlflash_state state;
	async_cookie_t async_reset_cookie;

	struct dentry *debugfs;
};

static inline struct cxlflash_cfg *shost_to_cfg(struct Scsi_Host *host)
{
	return (struct cxlflash_cfg *)host->hostdata;
}

/* Translate a Linux LUN number into the AFU's 8-byte SAM LUN format */
static inline u64 lun_to_lunid(u64 lun)
{
	struct scsi_lun sl;
	__be64 v;

	int_to_scsilun(lun, &sl);
	memcpy(&v, sl.scsi_lun, sizeof(v));
	return be64_to_cpu(v);
}

/* main.c */
int cxlflash_afu_sync(struct afu *afu, ctx_hndl_t ctx, res_hndl_t res, u8 mode);
int cxlflash_afu_tmf(struct cxlflash_cfg *cfg, struct scsi_device *sdev, u64 code);
void cxlflash_schedule_async_reset(struct cxlflash_cfg *cfg);
int cxlflash_wait_for_reset(struct cxlflash_cfg *cfg, bool interruptible);

/* superpipe.c */
int cxlflash_ioctl(struct scsi_device *sdev, unsigned int cmd, void __user *arg);
void cxlflash_stop_term_user_contexts(struct cxlflash_cfg *cfg);
void cxlflash_mark_contexts_error(struct cxlflash_cfg *cfg);
int cxlflash_alloc_errpage(void);
void cxlflash_free_errpage(void);
bool cxlflash_lun_fenced(struct scsi_device *sdev);

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
