/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash: user contexts (the superpipe) and LUN bookkeeping.
 */
#ifndef _CXLFLASH_SUPERPIPE_H
#define _CXLFLASH_SUPERPIPE_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "uapi/scsi/cxlflash_ioctl.h"
#include "common.h"
#include "vlun.h"

/*
 * Resource handles per context: 4096 on every page size.  The historical
 * driver gave a context one page of RHT (page size / 16 entries), which is
 * 4096 on the 64 KiB-page systems clients were written for; a 64 KiB RHT
 * keeps that limit on 4 KiB-page systems too.
 */
#define MAX_RHT_PER_CONTEXT	4096U
#define RHT_BYTES		(MAX_RHT_PER_CONTEXT * SISL_RHT_ENTRY_SIZE)

/*
 * How user contexts use a LUN: not at all (a zeroed record), through
 * virtual LUNs carved from its chunks, or whole (USER_DIRECT).
 */
enum lun_mode { MODE_NONE, MODE_VIRTUAL, MODE_PHYSICAL };

/*
 * A LUN as the whole driver knows it, keyed by WWID and shared by every
 * adapter that sees it: capacity, access mode and the chunk allocator of
 * its virtual LUNs.  @mutex protects mode, users and the capacity fields.
 */
struct glun_info {
	u64 max_lba;			/* from READ CAPACITY(16) */
	u32 blk_len;
	enum lun_mode mode;
	int users;			/* open resource handles */
	u8 wwid[CXLFLASH_WWID_LEN];
	struct mutex mutex;		/* mode, users, max_lba, blk_len */
	struct blka blka;		/* virtual LUN chunks */
	unsigned int nr_lluns;		/* adapter records on it, global.mutex */
	struct list_head list;		/* on global.gluns */
	struct rcu_head rcu;
};

/*
 * A LUN as one adapter knows it: its id on each port it was enabled on
 * and its slot in the AFU's LUN tables.  Protected by global.mutex.
 *
 * Lifetime: allocated by the first MANAGE_LUN naming the WWID; freed when
 * the adapter goes (cxlflash_term_local_luns()) or when a SCSI device of
 * the LUN is removed while no enabled path, context, handle or ioctl uses
 * it (cxlflash_lun_forget_path()).  Whoever holds a pointer to it holds one of
 * those: an ioctl binding (ioctls), a context's lun_access (attach_cnt), a
 * handle (parent->mode), or global.mutex.  The one lockless reader, the
 * fence on the I/O path, reads sdev->hostdata under rcu_read_lock(), and
 * both records are freed after a grace period.  The global record goes
 * with the last adapter record on it (nr_lluns).
 *
 * sdev->hostdata points at it while the path is enabled for the superpipe;
 * it is read once per ioctl, by the dispatcher, under global.mutex
 * (cxlflash_lun_get()), and that binding is passed to the handler: a
 * handler never reads sdev->hostdata itself.
 * MANAGE_LUN DISABLE clears hostdata under global.mutex only when no ioctl
 * holds a binding (ioctls == 0) and no context has the LUN attached
 * (attach_cnt == 0), else it fails with -EBUSY.
 */
struct llun_info {
	u64 lun_id[CXLFLASH_MAX_FC_PORTS];	/* AFU-format LUN id per port */
	u32 lun_index;			/* LUN table slot */
	u32 host_no;
	u32 port_sel;			/* ports enabled through MANAGE_LUN */
	bool in_table;
	atomic_t attach_cnt;		/* contexts this LUN is attached to */
	atomic_t ioctls;		/* ioctls bound to it (see above) */
	u8 wwid[CXLFLASH_WWID_LEN];
	struct glun_info *parent;
	struct list_head list;		/* on cfg->lluns */
	struct rcu_head rcu;
};

/* One LUN attached to a context */
struct lun_access {
	struct llun_info *lli;
	struct scsi_device *sdev;	/* holds a reference */
	struct list_head list;
};

/*
 * A user context.  @mutex protects everything below it; it is taken
 * after cfg->ctx_tbl_list_mutex (see get_context()).
 *
 * @unavail: set, with the mutex held, by an operation that must drop the
 * mutex in the middle (shrink's scrubbing, VERIFY's sense processing,
 * RECOVER_AFU's re-entry, removal).  The context stays alive and in the
 * table meanwhile, but get_context() will not return it.  The only
 * lookup that sees it is the fd2 release path, which waits until the
 * operation is over (put_context() wakes cfg->ctx_waitq) and then tears
 * the context down: a context never outlives its adapter file.
 */
/* interrupts a user context may ask for at ATTACH */
#define MAX_CONTEXT_IRQS	4

struct ctx_info {
	struct sisl_ctrl_map __iomem *ctrl_map;	/* NULL while in error */
	struct sisl_rht_entry *rht_start;	/* RHT_BYTES, zeroed */
	u32 rht_out;			/* open handles */
	u32 rht_perms;			/* SISL_RHT_PERM_* from the open mode */
	struct llun_info **rht_lun;	/* handle -> LUN */
	u8 *rht_needs_ws;		/* handle -> asked for WRITE SAME */
	u32 *rht_lxt_cap;		/* handle -> LXT entries allocated */

	u64 ctxid;			/* opaque id given to the user */
	u64 irqs;
	pid_t pid;			/* tgid of the owner */
	bool initialized;
	bool unavail;			/* mutex dropped for a long operation */
	bool err_recovery_active;	/* on ctx_err_recovery, maps read 0xFF */

	struct mutex mutex;		/* the fields above */
	struct kref kref;		/* one per attached LUN */
	void *ctx;			/* backend context */
	struct cxlflash_cfg *cfg;
	struct list_head luns;		/* struct lun_access */
	const struct vm_operations_struct *cxl_mmap_vmops; /* backend's */
	struct file *file;		/* adapter fd (fd2) */
	struct list_head list;		/* on ctx_err_recovery */
};

/*
 * Context id: generation tag in the upper half, hardware id in the lower.
 * The tag is a per-adapter counter bumped for every id handed out (ATTACH
 * and RECOVER_AFU), 0 never used: an id repeats only after 2^32 of them,
 * although the AFU reuses the lowest free hardware id all the time.
 */
#define CTX_ID_PE(ctxid)	((u32)((ctxid) & 0xFFFFFFFFULL))
#define ENCODE_CTXID(gen, pe)	(((u64)(gen) << 32) | (pe))

/* get_context() flags */
enum ctx_ctrl {
	CTX_CTRL_CLONE		= (1 << 1),	/* owner is the parent process */
	CTX_CTRL_ERR		= (1 << 2),	/* search the error list only */
	CTX_CTRL_ERR_FALLBACK	= (1 << 3),	/* table, then error list */
	CTX_CTRL_NOPID		= (1 << 4),	/* no owner check */
	CTX_CTRL_FILE		= (1 << 5),	/* look up by adapter file */
};

struct cxlflash_global {
	struct mutex mutex;		/* gluns, every llun list, err_page */
	struct list_head gluns;
	struct page *err_page;		/* all 0xFF, for contexts in error */
};

extern struct cxlflash_global global;

/* context.c: the context table and the adapter file */
struct ctx_info *get_context(struct cxlflash_cfg *cfg, u64 rctxit, void *arg,
			     enum ctx_ctrl ctx_ctrl);
void put_context(struct ctx_info *ctxi);
int get_context_pair(struct cxlflash_cfg *cfg, u64 src_id, u64 dst_id,
		     struct llun_info *lli, struct ctx_info **src,
		     struct ctx_info **dst);
struct ctx_info *ctx_create(struct cxlflash_cfg *cfg);
void ctx_destroy(struct cxlflash_cfg *cfg, struct ctx_info *ctxi);
bool ctx_put_locked(struct ctx_info *ctxi);
void ctx_lock_table_first(struct ctx_info *ctxi);
u64 ctx_next_id(struct cxlflash_cfg *cfg, int pe);
int ctx_provision(struct cxlflash_cfg *cfg, struct ctx_info *ctxi);
void ctx_unprovision(struct cxlflash_cfg *cfg, struct ctx_info *ctxi);
int ctx_new_backend(struct cxlflash_cfg *cfg, u64 irqs, void **ctxp,
		    struct file **filep, int *fdp, int *pep);
void ctx_file_set_error(struct file *file, bool err);
/* resource handles: claim a free slot for @lli, look one up, free it */
struct sisl_rht_entry *ctx_rhte_claim(struct ctx_info *ctxi,
				      struct llun_info *lli);
struct sisl_rht_entry *ctx_rhte(struct ctx_info *ctxi, res_hndl_t handle,
				struct llun_info *owner);
void ctx_rhte_free(struct ctx_info *ctxi, struct sisl_rht_entry *entry);

/* superpipe.c: dispatcher, LUN access mode, whole-LUN ioctls */
int cxlflash_lun_attach(struct glun_info *gli, enum lun_mode mode, bool locked);
void cxlflash_lun_detach(struct glun_info *gli);
int read_cap16(struct scsi_device *sdev, struct llun_info *lli);
int _cxlflash_disk_release(struct scsi_device *sdev, struct llun_info *lli,
			   struct ctx_info *ctxi,
			   struct dk_cxlflash_release *release);
int _cxlflash_disk_detach(struct scsi_device *sdev, struct llun_info *lli,
			  struct ctx_info *ctxi,
			  struct dk_cxlflash_detach *detach);
struct dentry *cxlflash_debugfs_add(struct cxlflash_cfg *cfg);
int cxlflash_retake_rwsem(struct cxlflash_cfg *cfg);
void cxlflash_debugfs_init(void);
void cxlflash_debugfs_exit(void);

/* recover.c: VERIFY and RECOVER_AFU */
int cxlflash_disk_verify(struct scsi_device *sdev, struct llun_info *lli,
			 void *arg);
int cxlflash_afu_recover(struct scsi_device *sdev, struct llun_info *lli,
			 void *arg);

/* lunmgt.c */
struct llun_info *find_and_create_lun(struct scsi_device *sdev, u8 *wwid);
struct llun_info *cxlflash_lun_get(struct scsi_device *sdev);
void cxlflash_lun_put(struct llun_info *lli);
bool cxlflash_sdev_superpipe(struct scsi_device *sdev);
int cxlflash_lun_busy(struct scsi_device *sdev);
void cxlflash_lun_forget_path(struct scsi_device *sdev);

/* vlun.c */
int _cxlflash_vlun_resize(struct scsi_device *sdev, struct llun_info *lli,
			  struct ctx_info *ctxi,
			  struct dk_cxlflash_resize *resize);
int cxlflash_vlun_resize(struct scsi_device *sdev, struct llun_info *lli,
			 void *arg);
int cxlflash_disk_virtual_open(struct scsi_device *sdev, struct llun_info *lli,
			       void *arg);
int cxlflash_disk_clone(struct scsi_device *sdev, struct llun_info *lli,
			void *arg);
void cxlflash_restore_luntable(struct cxlflash_cfg *cfg);
void cxlflash_release_luntable(struct cxlflash_cfg *cfg, struct llun_info *lli);
u64 vlun_last_lba(struct glun_info *gli, u32 lxt_cnt);

#endif /* _CXLFLASH_SUPERPIPE_H */
