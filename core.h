/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash: declarations shared by the files of the driver core only:
 *
 *   main.c    module, probe/remove, SCSI host template, queuecommand
 *   afu.c     AFU bring-up and teardown, hardware queue set-up
 *   cmd.c     posting commands, reaping the response ring, interrupts,
 *             context reset, the AFU's internal commands
 *   eh.c      SCSI error handling, the adapter state machine and resets,
 *             asynchronous AFU/FC events
 *   fcport.c  the FC ports' registers: set-up, state, link reset
 *   sysfs.c   the SCSI host's attributes
 *   hostdev.c the per-adapter host character device and its ioctls
 */
#ifndef _CXLFLASH_CORE_H
#define _CXLFLASH_CORE_H

#include <linux/interrupt.h>

#include "afu_if.h"

#define CXLFLASH_TMF_TIMEOUT_MS		5000
#define CXLFLASH_CTX_RESET_TIMEOUT_MS	2000
#define CXLFLASH_SYNC_TIMEOUT_S		5	/* IOARCB timeout field */

/* afu.c */
int cxlflash_afu_alloc(struct cxlflash_cfg *cfg);
void cxlflash_afu_free(struct cxlflash_cfg *cfg);
int cxlflash_afu_start(struct cxlflash_cfg *cfg);
void cxlflash_afu_stop(struct cxlflash_cfg *cfg);

/* cmd.c */
static inline struct cxlflash_cmd *sc_to_cmd(struct scsi_cmnd *scp)
{
	return PTR_ALIGN(scsi_cmd_priv(scp), __alignof__(struct cxlflash_cmd));
}

#define CXLFLASH_CMD_PRIV_SIZE \
	(sizeof(struct cxlflash_cmd) + __alignof__(struct cxlflash_cmd) - 1)

int cxlflash_post(struct hwq *hwq, struct cxlflash_cmd *cmd);
int cxlflash_hwq_reset(struct hwq *hwq);
void cxlflash_hwq_init_rings(struct hwq *hwq);
void cxlflash_hwq_offline(struct hwq *hwq);
int cxlflash_icmd_run(struct afu *afu, const struct sisl_ioarcb *tmpl,
		      unsigned long timeout);
int cxlflash_icmd_run_sa(struct afu *afu, const struct sisl_ioarcb *tmpl,
			 unsigned long timeout, struct sisl_ioasa *sa);
irqreturn_t cxlflash_rrq_irq(int irq, void *data);
irqreturn_t cxlflash_sync_err_irq(int irq, void *data);
int cxlflash_irqpoll(struct irq_poll *iop, int budget);

/* eh.c */
int cxlflash_eh_abort(struct scsi_cmnd *scp);
int cxlflash_eh_device_reset(struct scsi_cmnd *scp);
int cxlflash_eh_host_reset(struct scsi_cmnd *scp);
int cxlflash_reset_quiet(struct cxlflash_cfg *cfg);
int cxlflash_set_lun_mode(struct cxlflash_cfg *cfg, u32 mode);
void cxlflash_retire(struct cxlflash_cfg *cfg);
irqreturn_t cxlflash_async_err_irq(int irq, void *data);
void cxlflash_event_work(struct work_struct *work);

/* fcport.c */
__be64 __iomem *cxlflash_port_regs(struct cxlflash_cfg *cfg, int port);
__be64 __iomem *cxlflash_port_luns(struct cxlflash_cfg *cfg, int port);
const char *cxlflash_port_state(struct cxlflash_cfg *cfg, int port);
void cxlflash_ports_setup(struct cxlflash_cfg *cfg);
void cxlflash_port_bounce(struct cxlflash_cfg *cfg, int port);
bool cxlflash_port_event(struct cxlflash_cfg *cfg, int port, u8 events);

/* hostdev.c */
int cxlflash_hostdev_init(void);
void cxlflash_hostdev_exit(void);
int cxlflash_hostdev_add(struct cxlflash_cfg *cfg);
void cxlflash_hostdev_remove(struct cxlflash_cfg *cfg);

/* sysfs.c */
extern const struct attribute_group *cxlflash_host_groups[];

#endif /* _CXLFLASH_CORE_H */
