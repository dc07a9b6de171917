/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash_sim: an emulated SISLite AFU.
 *
 * Internal header shared by the files of the emulator:
 *   main.c     module init/exit, default adapter from module parameters
 *   afu.c      adapter object, MMIO (problem-state area), command engine
 *              (IOARRIN and SQ consumption, RHT/LXT translation, IOASA and
 *              RRQ write-back), AFU commands, IRQ domain, backend ops
 *   ctx.c      contexts: master and user, adapter fd (read/poll/mmap),
 *              event records, user address-space binding
 *   lun.c      the FC fabric behind the ports: LUN objects, SCSI command
 *              emulation, sense data, thin RAM and file backing
 *   configfs.c run-time creation of adapters and LUNs
 *   debugfs.c  fault-injection knobs
 */
#ifndef _CXLFLASH_SIM_H
#define _CXLFLASH_SIM_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>

#include "../sislite.h"
#include "../backend.h"

struct sim_adapter;
struct sim_lun;

/* ---------------------------------------------------------------------- */
/* Data transfer between an emulated LUN and host memory                  */
/* ---------------------------------------------------------------------- */

/*
 * The buffer of one command, addressed either in kernel space (master
 * contexts) or in the user address space of the issuing context, which the
 * engine has adopted with kthread_use_mm() before calling into lun.c.
 */
struct sim_xfer {
	void *kbuf;			/* kernel buffer, or NULL */
	void __user *ubuf;		/* user buffer when kbuf is NULL */
	u32 len;			/* bytes the host offered */
	u32 done;			/* high-water mark of bytes moved */
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

/* Number of LUNs and their total capacity in 4 KiB blocks on @port */
void sim_fabric_port_stats(struct sim_fabric *fab, unsigned int port,
			   u64 *nluns, u64 *cap_4k);

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

#endif /* _CXLFLASH_SIM_H */
