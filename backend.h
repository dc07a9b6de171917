/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver's only view of how to reach an AFU.
 *
 * An AFU provider (today the emulated AFU in sim/, tomorrow a CAPI binding)
 * registers an auxiliary device embedding struct cxlflash_aux_dev.  The
 * driver binds to it with an auxiliary_driver and from then on talks to
 * the AFU through the ops table below and through MMIO, nothing else.
 *
 * Conventions:
 *  - Functions returning int return 0 or a negative errno.
 *  - Contexts are opaque (void *).  A master context is obtained with
 *    get_context() (the primary) or dev_context_init() + set_master().
 *    A user context is obtained with dev_context_init() and started with
 *    start_work(), which binds it to current's address space.
 *  - AFU interrupt numbers are LISNs: 1 sync error, 2 RRQ updated,
 *    3 async error.  map_afu_irq() makes the handler run in hard-IRQ
 *    context with plain request_irq() semantics.
 *  - get_fd() builds the adapter file of a user context from the caller's
 *    file_operations: operations the caller leaves NULL (read, poll,
 *    llseek) are provided by the backend, which delivers struct cxl_event
 *    records.  The fd is reserved but not installed; the caller installs
 *    it with fd_install() once nothing can fail any more, or, on error,
 *    calls put_unused_fd() and fput(); the caller's release hook then
 *    finds no context of its own and must call fd_release().
 *  - fd_mmap() maps the context's host map and installs vm_ops whose only
 *    operation is .fault: the driver calls it from a fault handler of its
 *    own (which maps an all-ones page while the context is in error).
 */
#ifndef _CXLFLASH_BACKEND_H
#define _CXLFLASH_BACKEND_H

#include <linux/auxiliary_bus.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/mm.h>

struct cxlflash_aux_dev;

struct cxlflash_backend_ops {
	struct module *module;

	/* problem-state area of a started master context */
	void __iomem *(*psa_map)(void *ctx);
	void (*psa_unmap)(void __iomem *addr);

	int (*process_element)(void *ctx);

	int (*map_afu_irq)(void *ctx, int num, irq_handler_t handler,
			   void *cookie, const char *name);
	void (*unmap_afu_irq)(void *ctx, int num, void *cookie);
	int (*allocate_afu_irqs)(void *ctx, int num);
	void (*free_afu_irqs)(void *ctx);

	int (*start_context)(void *ctx);
	int (*stop_context)(void *ctx);
	int (*afu_reset)(void *ctx);
	void (*set_master)(void *ctx);

	void *(*get_context)(struct cxlflash_aux_dev *adev);
	void *(*dev_context_init)(struct cxlflash_aux_dev *adev);
	int (*release_context)(void *ctx);

	/* user contexts and their adapter fd */
	int (*start_work)(void *ctx, int num_irqs);
	struct file *(*get_fd)(void *ctx, const struct file_operations *fops,
			       int *fd);
	void *(*fops_get_context)(struct file *file);
	int (*fd_mmap)(struct file *file, struct vm_area_struct *vma);
	int (*fd_release)(struct inode *inode, struct file *file);

	/* VPD: WWPNs as read-only keywords V5..V8 */
	ssize_t (*read_adapter_vpd)(struct cxlflash_aux_dev *adev, void *buf,
				    size_t count);

	/*
	 * Optional doorbell hint after a store to IOARRIN or SQ_TAIL.  A real
	 * AFU sees the store; an emulated one may use this to wake up sooner.
	 * Correctness never depends on it.
	 */
	void (*kick)(void *ctx);
};

struct cxlflash_aux_dev {
	struct auxiliary_device adev;
	const struct cxlflash_backend_ops *ops;
	void *afu;			/* provider's AFU cookie */
};

#define to_cxlflash_aux_dev(a)	container_of(a, struct cxlflash_aux_dev, adev)

/* auxiliary device name the driver matches: "<provider module>.afu" */
#define CXLFLASH_AUX_DEV_NAME	"afu"

#endif /* _CXLFLASH_BACKEND_H */
