/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash_sim: an emulated SISLite AFU.
 *
 * Internal header shared by the files of the emulator:
 *   main.c     module init/exit, default adapter from module parameters
 *   afu.c      adapter object, MMIO (problem-state area) and AFU reset,
 *              host memory access, IRQ domain, backend ops, fault knobs
 *   exec.c     command execution: port choice, RHT/LXT translation, AFU
 *              commands and TMFs, IOASA and RRQ write-back
 *   engine.c   the engine thread: IOARRIN and SQ consumption, context
 *              resets, global registers; the inline doorbell
 *   ctx.c      contexts: master and user, adapter fd (read/poll/mmap),
 *              event records, user address-space binding
 *   lun.c      the FC fabric behind the ports: LUN objects, unit
 *              attentions, configuration, provisioned LUNs (lun.h is
 *              private to lun.c, scsi.c and store.c)
 *   scsi.c     SCSI command emulation and sense data
 *   store.c    thin RAM and file backing of a LUN's data
 *   intlun.c   the AFU's internal LUNs (afu_ctrl internal-LUN mode)
 *   configfs.c run-time creation of adapters and LUNs
 *   debugfs.c  fault-injection knobs
 */
#ifndef _CXLFLASH_SIM_H
#define _CXLFLASH_SIM_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/idr.h>
#include <linux/wait.h>

#include "../sislite.h"
#include "../backend.h"

struct sim_adapter;
struct sim_lun;
struct perf_event;
struct file;

/* ---------------------------------------------------------------------- */
/* Data transfer between an emulated LUN and host memory                  */
/* ---------------------------------------------------------------------- */

/*
 * The buffer of one command, addressed either in kernel space (master
 * contexts) or in the user address space of the issuing context, which the
 * engine has adopted with kthread_use_mm() before calling into scsi.c.
 */
struct sim_xfer {
	void *kbuf;			/* kernel buffer, or NULL */
	void __user *ubuf;		/* user buffer when kbuf is NULL */
	u32 len;			/* bytes the host offered */
	u32 done;			/* high-water mark of bytes moved */
	bool nowait;			/* executing in atomic context */
};

/* Copy to/from the host buffer at @off; -EFAULT on a bad address. */
int sim_xfer_to_host(struct sim_xfer *x, u32 off, const void *src, u32 n);
int sim_xfer_from_host(struct sim_xfer *x, u32 off, void *dst, u32 n);
/* Zero-fill @n bytes of the host buffer at @off. */
int sim_xfer_zero_host(struct sim_xfer *x, u32 off, u32 n);

/* Result of a SCSI command as the target reports it */
struct sim_scsi_result {
	u8 status;			/* SAM status: 0 good, 2 check condition */
	u8 sense_len;
	u8 sense[18];			/* fixed-format sense */
	bool fault;			/* host buffer could not be accessed */
	u32 xfer_len;			/* bytes the command moved */
	u64 want_len;			/* bytes the CDB asks for, 0: unknown */
};

/* ---------------------------------------------------------------------- */
/* The fabric (lun.c)                                                      */
/* ---------------------------------------------------------------------- */

struct sim_lun_config {
	u64 size;			/* bytes; rounded down to block_size */
	u32 block_size;			/* 512 or 4096 */
	u8 port_mask;			/* ports the LUN is visible on */
	u64 lun;			/* SCSI LUN number (0..16383) */
	const char *backing;		/* file/block device path, or NULL: RAM */
	bool provisioned;		/* made by the LUN_PROVISION AFU command */
};

/*
 * Per-adapter fabric state.  LUNs are looked up under RCU by the engine;
 * configuration changes take @lock.
 */
struct sim_fabric {
	struct mutex lock;		/* serialises add/remove of LUNs */
	struct list_head luns;		/* RCU list of struct sim_lun */
	unsigned int nports;
	u64 wwid_base;			/* makes WWIDs unique per adapter */
	unsigned int next_serial;
};

void sim_fabric_init(struct sim_fabric *fab, unsigned int nports, u64 wwid_base);
void sim_fabric_destroy(struct sim_fabric *fab);	/* removes all LUNs */

/* Returns the new LUN or ERR_PTR.  -EEXIST if @cfg->lun is taken on a port. */
struct sim_lun *sim_lun_add(struct sim_fabric *fab, const struct sim_lun_config *cfg);
void sim_lun_remove(struct sim_fabric *fab, struct sim_lun *lun);
void sim_lun_get_wwid(struct sim_lun *lun, u8 wwid[16]);

/* Queue a unit attention (asc/ascq) on the LUN for every I_T nexus. */
void sim_lun_set_ua(struct sim_lun *lun, u8 asc, u8 ascq);

/*
 * Execute one SCSI command addressed to (@port, @lun) where @lun is the
 * SCSI LUN number (not the 8-byte SAM form).  REPORT LUNS, INQUIRY and
 * REQUEST SENSE work for LUNs that do not exist, as SPC requires.
 * Never sleeps for long; may sleep for file-backed I/O.
 */
void sim_fabric_exec(struct sim_fabric *fab, unsigned int port, u64 lun,
		     const u8 *cdb, struct sim_xfer *x,
		     struct sim_scsi_result *res);

/*
 * Can (@port, @lun) run @cdb in atomic context?  True for READ/WRITE
 * 10/16 on a RAM-backed LUN when a write only touches pages that already
 * exist (so nothing is allocated).  Only meaningful while the caller keeps
 * every other command of the fabric out (the adapter lock).
 */
bool sim_fabric_nowait_ok(struct sim_fabric *fab, unsigned int port, u64 lun,
			  const u8 *cdb, u32 data_len);

/* Number of LUNs and their total capacity in 4 KiB blocks on @port */
void sim_fabric_port_stats(struct sim_fabric *fab, unsigned int port,
			   u64 *nluns, u64 *cap_4k);

/*
 * LUN provisioning (hostcmd.c): the lowest LUN number unused on @port
 * (-ENOSPC if none), removal of a LUN made with cfg->provisioned
 * (-ENOENT if @lun on @port is not one), the count of those on @port.
 */
int sim_fabric_free_lun(struct sim_fabric *fab, unsigned int port, u64 *lun);
int sim_lun_remove_provisioned(struct sim_fabric *fab, unsigned int port,
			       u64 lun);
u64 sim_fabric_provisioned(struct sim_fabric *fab, unsigned int port);

/* ---------------------------------------------------------------------- */
/* Adapters (afu.c)                                                        */
/* ---------------------------------------------------------------------- */

struct sim_adapter_config {
	unsigned int nports;		/* 1..4 */
	bool sq_mode;			/* advertise SQ command mode */
	bool ioarrin_mode;		/* advertise IOARRIN command mode */
};

struct sim_adapter *sim_adapter_create(const char *name,
				       const struct sim_adapter_config *cfg);
/* Unregisters the auxiliary device (unbinding the driver) and frees. */
void sim_adapter_destroy(struct sim_adapter *a);
struct sim_fabric *sim_adapter_fabric(struct sim_adapter *a);
/* Raise the async "login succeeded" event for @port (after LUN changes). */
void sim_adapter_port_event(struct sim_adapter *a, unsigned int port, u64 bits);

/* debugfs.c */
void sim_debugfs_init(void);
void sim_debugfs_exit(void);
void sim_debugfs_adapter_add(struct sim_adapter *a);
void sim_debugfs_adapter_del(struct sim_adapter *a);

/* configfs.c */
int sim_configfs_init(void);
void sim_configfs_exit(void);

/* ---------------------------------------------------------------------- */
/* Adapter and context internals (afu.c, ctx.c, debugfs.c, main.c)         */
/* ---------------------------------------------------------------------- */

/*
 * Semantics of the sim_xfer_*() helpers (afu.c): bytes beyond x->len are
 * never written to the host: sim_xfer_to_host() and sim_xfer_zero_host()
 * silently drop them (the IOASA then reports the shortfall as a residual),
 * sim_xfer_from_host() returns -EINVAL for a range that does not lie
 * inside the buffer.  x->done is advanced to the end of every successful
 * copy.
 */

/*
 * LUN RESET task management (lun.c): queue the 0x29/0x03 unit attention on
 * the LUN @lun (SCSI LUN number) seen on @port.  Returns 0 or -ENODEV.
 */
int sim_fabric_lun_reset(struct sim_fabric *fab, unsigned int port, u64 lun);

/*
 * sim_adapter_create() is sim_adapter_alloc() followed by
 * sim_adapter_register(); the split lets a creator add LUNs before the
 * driver can bind.  A registered or merely allocated adapter is freed
 * with sim_adapter_destroy().
 */
struct sim_adapter *sim_adapter_alloc(const char *name,
				      const struct sim_adapter_config *cfg);
int sim_adapter_register(struct sim_adapter *a);
const char *sim_adapter_name(struct sim_adapter *a);

/* Module-wide set-up of afu.c (parent device of all adapters). */
int sim_afu_init(void);
void sim_afu_exit(void);

/* Fault injection (debugfs.c drives these). */
int sim_adapter_ctx_error(struct sim_adapter *a, unsigned int ctx_id);
void sim_adapter_afu_error(struct sim_adapter *a);
int sim_adapter_set_link(struct sim_adapter *a, unsigned int port, bool up);
atomic_t *sim_adapter_drop_next(struct sim_adapter *a);
u32 *sim_adapter_delay_us(struct sim_adapter *a);

struct seq_file;
void sim_adapter_show_contexts(struct sim_adapter *a, struct seq_file *m);
void sim_adapter_show_stats(struct sim_adapter *a, struct seq_file *m);

/*
 * Private to afu.c and ctx.c: the adapter and its contexts.
 *
 * Locking:
 *  - sim_adapter.lock (mutex) protects the context table, the list of
 *    started contexts, every context's state and engine shadow state, the
 *    IRQ mappings and re-initialisation of the PSA.  The engine thread
 *    holds it for each pass over the started contexts, so a context that
 *    was stopped under the lock is never touched again by the engine.  It
 *    is never taken by the mmap or page-fault paths of the adapter fd
 *    (they run under mmap_lock, which the engine may need while it holds
 *    the lock to fault in user memory).
 *  - sim_adapter.async_lock (spinlock) protects pending_async, the async
 *    events waiting to be posted by the engine.
 *  - sim_ctx.ev_lock (spinlock, irq-safe) protects ev_pending and dead.
 */
#define SIM_LISN_MAX		4	/* LISNs 0..3 per context */
#define SIM_INT_LAYOUTS		4	/* internal-LUN layouts (intlun.c) */
#define SIM_IOARRIN_DEPTH	64	/* cmd_room of a trapped user context */

enum sim_ctx_state {
	SIM_CTX_OPENED,			/* allocated, not started */
	SIM_CTX_STARTED,		/* on the adapter's started list */
	SIM_CTX_STOPPED,		/* stopped, awaiting release */
};

struct sim_ctx {
	struct sim_adapter *a;
	unsigned int id;		/* context id = process element */
	bool master;			/* set_master(): AFU and GSCSI commands */
	bool kernel;			/* start_context(): kernel addresses */
	bool primary;			/* the adapter's default context */
	bool error;			/* injected context error */
	enum sim_ctx_state state;
	struct list_head node;		/* adapter started list */

	/* user contexts: the owner's address space */
	struct mm_struct *mm;
	pid_t tgid;
	int user_irqs;			/* LISNs 1..user_irqs deliver events */

	/* master contexts: Linux IRQs of LISNs 1..3 */
	int nr_irqs;
	unsigned int virq[SIM_LISN_MAX];
	void *irq_cookie[SIM_LISN_MAX];

	/* engine shadow state (adapter lock) */
	u64 rrq_start, rrq_end, rrq_cur, toggle;
	u64 sq_start, sq_end, sq_head;
	u64 completed;
	unsigned long lisn_pending;	/* LISNs to raise after this pass */
	bool inline_exec;		/* sim_ctx_run_inline() is running */

	/*
	 * IOARRIN FIFO of a user context whose stores to IOARRIN are trapped
	 * (see sim_ctx_trap_work()): the trap pushes, the engine pops.
	 * fifo_lock (irq-safe) protects fifo[], fifo_head, fifo_count,
	 * fifo_overflow and, while fifo_armed, the cmd_room register.
	 * fifo_armed is set once, when the traps are in place, and stays
	 * set for the life of the context.
	 */
	spinlock_t fifo_lock;
	bool fifo_armed;
	bool fifo_overflow;		/* a store found no room */
	unsigned int fifo_head, fifo_count;
	u64 fifo[SIM_IOARRIN_DEPTH];
	struct perf_event *trap[2];	/* IOARRIN and CTX_CTRL watchpoints */
	struct callback_head trap_work;	/* arms the traps after mmap */
	unsigned long trap_base;	/* user address of the host map */
	struct file *trap_file;		/* pinned until trap_work has run */
	unsigned long trap_once;	/* bit 0: trap_work was queued */

	/* adapter fd events */
	spinlock_t ev_lock;
	unsigned long ev_pending;	/* bit n: LISN n raised */
	bool dead;			/* stopped, reset or in error: EIO */
	wait_queue_head_t ev_wq;
	bool module_pinned;		/* get_fd pinned THIS_MODULE */
};

struct sim_adapter {
	char name[32];
	int index;			/* auxiliary device id */
	struct kref kref;		/* creator, aux device, user contexts */
	struct sim_adapter_config cfg;
	struct cxlflash_afu_map *map;	/* the PSA, vmalloc_user() */
	struct cxlflash_aux_dev aux;
	bool registered;
	struct sim_fabric fab;
	/* internal LUNs, one fabric per layout (intlun.c) */
	struct sim_fabric ifab[SIM_INT_LAYOUTS];

	struct mutex lock;		/* see above */
	struct sim_ctx *ctxs[SISL_MAX_CONTEXT];
	struct list_head started;
	struct ida ctx_ida;
	struct sim_ctx *primary;

	struct task_struct *engine;
	atomic_t kicked;
	struct irq_domain *domain;
	struct fwnode_handle *fwnode;

	spinlock_t async_lock;		/* protects pending_async */
	u64 pending_async;		/* aintr_status bits to post */
	unsigned long link_down;	/* bit n: port n cable pulled */
	bool afu_error;			/* injected AFU-wide error */

	atomic_t drop_next;
	u32 delay_us;

	atomic64_t st_cmds, st_bytes, st_polls, st_sleeps, st_inline;
	atomic64_t st_inline_cmds, st_inline_miss;
	struct dentry *dbg;

	/* hostcmd.c, engine only (adapter lock) but host_caps (AFU reset) */
	u64 host_caps;			/* SISL_INTVER_CAP_LUN_PROVISION/AFU_DEBUG */
	void *dbg_scratch;		/* debug scratch buffer, on first use */
};

/* intlun.c, for afu.c */
int sim_internal_init(struct sim_adapter *a);
void sim_internal_destroy(struct sim_adapter *a);

/* afu.c, for ctx.c */
void sim_ctx_init_maps(struct sim_adapter *a, unsigned int id);
void sim_adapter_put(struct sim_adapter *a);
void sim_adapter_kick(struct sim_adapter *a);
bool sim_ctx_run_inline(struct sim_ctx *ctx);
ssize_t sim_adapter_read_vpd(struct cxlflash_aux_dev *adev, void *buf,
			     size_t count);
int sim_afu_reset_locked(struct sim_adapter *a);

/* afu.c, for hostcmd.c */
__be64 *sim_fc_regs(struct sim_adapter *a, unsigned int port);
void sim_update_port_stats(struct sim_adapter *a);
u64 sim_lun_from_afu(u64 afu_lun);
/* host memory of @ctx (kernel contexts: kernel addresses) */
int sim_host_read(struct sim_ctx *ctx, u64 ea, void *dst, size_t n);
int sim_host_write(struct sim_ctx *ctx, u64 ea, const void *src, size_t n);

/* hostcmd.c: LUN provisioning and debug AFU commands, for afu.c */
u64 sim_hostcmd_caps(struct sim_adapter *a);	/* interface_version bits */
void sim_cmd_provision(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
		       struct sisl_ioasa *sa);
void sim_cmd_debug(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
		   struct sisl_ioasa *sa);
void sim_hostcmd_free(struct sim_adapter *a);

/* main.c: arm the IOARRIN/CTX_CTRL watchpoints of user contexts */
extern bool sim_trap_doorbells;

/* ctx.c, for afu.c */
extern const struct cxlflash_backend_ops sim_backend_ops;
struct sim_ctx *sim_ctx_create(struct sim_adapter *a, bool primary);
void sim_ctx_free_primary(struct sim_ctx *ctx);
void sim_ctx_stop_locked(struct sim_ctx *ctx);
void sim_ctx_mark_dead(struct sim_ctx *ctx);
void sim_ctx_raise_user(struct sim_ctx *ctx, unsigned int lisn);
void sim_ctx_fops_cache_exit(void);
/* the IOARRIN FIFO of a trapped user context (engine side) */
bool sim_ctx_fifo_pop(struct sim_ctx *ctx, u64 *ea);
bool sim_ctx_fifo_take_overflow(struct sim_ctx *ctx);
void sim_ctx_fifo_flush(struct sim_ctx *ctx);
void sim_ctx_mailbox_taken(struct sim_ctx *ctx);

/* ---- afu.c, exec.c, engine.c ---- */

#define SIM_IOARCB_SIZE		64
#define SIM_RRQ_ENTRY_SIZE	8

/* Register access: the PSA is memory, big-endian by architecture */

static inline u64 sim_rd(const __be64 *reg)
{
	return be64_to_cpu(READ_ONCE(*reg));
}

static inline void sim_wr(__be64 *reg, u64 val)
{
	WRITE_ONCE(*reg, cpu_to_be64(val));
}

/* Atomically take a register's value and replace it (host-written regs). */
static inline u64 sim_xchg(__be64 *reg, u64 val)
{
	u64 old = xchg((__force u64 *)reg, (__force u64)cpu_to_be64(val));

	return be64_to_cpu((__force __be64)old);
}

static inline bool sim_cmpxchg(__be64 *reg, u64 old, u64 val)
{
	u64 o = (__force u64)cpu_to_be64(old);

	return cmpxchg((__force u64 *)reg, o,
		       (__force u64)cpu_to_be64(val)) == o;
}

struct sim_fabric *sim_active_fabric(struct sim_adapter *a);
int sim_kernel_probe(u64 ea, size_t n);
int sim_host_write_u64(struct sim_ctx *ctx, u64 ea, u64 val);
void sim_raise(struct sim_ctx *ctx, unsigned int lisn);
void sim_sync_error(struct sim_ctx *ctx, u64 bits);
void sim_raise_async(struct sim_adapter *a);
int sim_pick_port(struct sim_adapter *a, u64 mask, struct sisl_ioasa *sa);
void sim_exec(struct sim_ctx *ctx, const struct sisl_ioarcb *rcb,
	      u64 ioasa_ea, u64 rrq_val);
void sim_raise_pending(struct sim_ctx *ctx);
int sim_engine(void *arg);

#endif /* _CXLFLASH_SIM_H */
