// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: AFU contexts and the backend operations.
 *
 * A context is a slot 0..511 of the PSA.  Kernel (master) contexts are
 * started with start_context() and address kernel memory; user contexts
 * are started with start_work(), which binds them to the caller's address
 * space, and are reached by their owner through the adapter fd: mmap of
 * the context's 64 KiB host map, and read()/poll() of interrupt events.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/hw_breakpoint.h>
#include <linux/interrupt.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <uapi/misc/cxl.h>

#include "sim.h"

/* ---------------------------------------------------------------------- */
/* Context objects                                                         */
/* ---------------------------------------------------------------------- */

struct sim_ctx *sim_ctx_create(struct sim_adapter *a, bool primary)
{
	struct sim_ctx *ctx;
	int id;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	id = ida_alloc_max(&a->ctx_ida, SISL_MAX_CONTEXT - 1, GFP_KERNEL);
	if (id < 0) {
		kfree(ctx);
		return ERR_PTR(id == -ENOSPC ? -EBUSY : id);
	}
	ctx->a = a;
	ctx->id = id;
	ctx->primary = primary;
	ctx->state = SIM_CTX_OPENED;
	ctx->toggle = SISL_RESP_HANDLE_T_BIT;
	INIT_LIST_HEAD(&ctx->node);
	spin_lock_init(&ctx->ev_lock);
	spin_lock_init(&ctx->fifo_lock);
	init_waitqueue_head(&ctx->ev_wq);
	/* the primary is part of the adapter; others keep it alive */
	if (!primary)
		kref_get(&a->kref);

	mutex_lock(&a->lock);
	sim_ctx_init_maps(a, id);
	a->ctxs[id] = ctx;
	mutex_unlock(&a->lock);
	return ctx;
}

/* From the adapter's final put: nothing else can reach the primary. */
void sim_ctx_free_primary(struct sim_ctx *ctx)
{
	ida_free(&ctx->a->ctx_ida, ctx->id);
	kfree(ctx);
}

void sim_ctx_mark_dead(struct sim_ctx *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->ev_lock, flags);
	ctx->dead = true;
	spin_unlock_irqrestore(&ctx->ev_lock, flags);
	wake_up_all(&ctx->ev_wq);
}

void sim_ctx_raise_user(struct sim_ctx *ctx, unsigned int lisn)
{
	unsigned long flags;

	if (!lisn || lisn > ctx->user_irqs || lisn >= BITS_PER_LONG)
		return;
	spin_lock_irqsave(&ctx->ev_lock, flags);
	if (!ctx->dead)
		__set_bit(lisn, &ctx->ev_pending);
	spin_unlock_irqrestore(&ctx->ev_lock, flags);
	wake_up_all(&ctx->ev_wq);
}

/*
 * Stop a context; adapter lock held.  Once this returns the engine will
 * not look at the context again (it only serves the started list, under
 * the same lock), so the owner's mm can go.
 */
void sim_ctx_stop_locked(struct sim_ctx *ctx)
{
	struct sim_adapter *a = ctx->a;
	u64 ctrl;

	if (ctx->state == SIM_CTX_STARTED) {
		list_del_init(&ctx->node);
		ctx->state = SIM_CTX_STOPPED;
	}
	if (ctx->mm) {
		mmdrop(ctx->mm);
		ctx->mm = NULL;
	}
	/* the AFU forgets the async-interrupt target when it goes away */
	if (ctx->kernel && !a->afu_error) {
		ctrl = be64_to_cpu(READ_ONCE(a->map->global.regs.afu_ctrl));
		if ((ctrl >> 48) == ctx->id)
			WRITE_ONCE(a->map->global.regs.afu_ctrl, 0);
	}
	sim_ctx_mark_dead(ctx);
}

/* Free the Linux IRQs of a master context; adapter lock held. */
static void sim_ctx_free_irqs_locked(struct sim_ctx *ctx)
{
	int i;

	for (i = 1; i < SIM_LISN_MAX; i++) {
		if (!ctx->virq[i])
			continue;
		free_irq(ctx->virq[i], ctx->irq_cookie[i]);
		irq_dispose_mapping(ctx->virq[i]);
		ctx->virq[i] = 0;
		ctx->irq_cookie[i] = NULL;
	}
	ctx->nr_irqs = 0;
}

/* ---------------------------------------------------------------------- */
/* Trapped doorbells of user contexts                                      */
/* ---------------------------------------------------------------------- */

/*
 * A store to the host map is a store to memory.  A polling engine sees it
 * only when it next looks, and a second store to the same register before
 * then overwrites the first; a hardware AFU sees every store as it
 * happens.  Two of a client's stores depend on that: each IOARCB address
 * written to IOARRIN (up to cmd_room of them back to back), and the LISN
 * written to CTX_CTRL, which the client reads back at once expecting the
 * AFU's UNMAP capability bit in it.
 *
 * So for a user context those two registers are watched: once the owner
 * has mapped its host map, a hardware write watchpoint on each (one pair
 * per thread: the mapping thread's, inherited by the threads it creates
 * from then on) fires right after every store, in the storing thread and
 * before its next instruction.  The IOARRIN trap moves the address into
 * the context's FIFO of SIM_IOARRIN_DEPTH entries, and cmd_room counts its
 * free space at every push and pop; the CTX_CTRL trap puts the UNMAP bit
 * back.  A store the traps do not see (a thread that predates the mapping
 * and is not its creator, a store by the kernel, no debug register free)
 * still reaches the engine through the one-entry mailbox it polls, as
 * before: then cmd_room stays 1, and the writer must wait for IOARRIN to
 * read 0 again before the next store.
 */

static struct sisl_host_map *sim_ctx_host(struct sim_ctx *ctx)
{
	return &ctx->a->map->hosts[ctx->id].host;
}

/* fifo_lock held */
static void sim_ctx_set_room(struct sim_ctx *ctx)
{
	u64 room = ctx->fifo_armed ? SIM_IOARRIN_DEPTH - ctx->fifo_count : 1;

	WRITE_ONCE(sim_ctx_host(ctx)->cmd_room, cpu_to_be64(room));
}

/* Is the trapped store one of this context's owner?  (Not in NMI.) */
static bool sim_trap_ours(struct sim_ctx *ctx)
{
	return !in_nmi() && current->mm && current->mm == READ_ONCE(ctx->mm) &&
	       READ_ONCE(ctx->state) == SIM_CTX_STARTED && !READ_ONCE(ctx->error);
}

static void sim_trap_ioarrin(struct perf_event *bp,
			     struct perf_sample_data *data,
			     struct pt_regs *regs)
{
	struct sim_ctx *ctx = bp->overflow_handler_context;
	u64 *reg = (__force u64 *)&sim_ctx_host(ctx)->ioarrin;
	unsigned long flags;
	u64 raw;

	if (!sim_trap_ours(ctx))
		return;
	raw = READ_ONCE(*reg);
	/* 0 is no command; 1 asks for a context reset, the engine's job */
	if (be64_to_cpu((__force __be64)raw) <= SISL_IOARRIN_CTX_RST)
		return;

	spin_lock_irqsave(&ctx->fifo_lock, flags);
	/* the engine may have taken it from the mailbox already */
	if (cmpxchg(reg, raw, 0) == raw) {
		if (ctx->fifo_count == SIM_IOARRIN_DEPTH) {
			ctx->fifo_overflow = true;	/* no room: dropped */
		} else {
			ctx->fifo[(ctx->fifo_head + ctx->fifo_count) %
				  SIM_IOARRIN_DEPTH] =
				be64_to_cpu((__force __be64)raw);
			ctx->fifo_count++;
			sim_ctx_set_room(ctx);
		}
	}
	spin_unlock_irqrestore(&ctx->fifo_lock, flags);
	sim_adapter_kick(ctx->a);
}

static void sim_trap_ctx_ctrl(struct perf_event *bp,
			      struct perf_sample_data *data,
			      struct pt_regs *regs)
{
	struct sim_ctx *ctx = bp->overflow_handler_context;
	u64 *reg = (__force u64 *)&sim_ctx_host(ctx)->ctx_ctrl;
	u64 raw, cap = (__force u64)cpu_to_be64(SISL_CTX_CTRL_UNMAP_SECTOR);

	if (!sim_trap_ours(ctx))
		return;
	raw = READ_ONCE(*reg);
	if (!(raw & cap))
		cmpxchg(reg, raw, raw | cap);
}

/*
 * Arm the traps: task work queued by the first mmap, run by the mapping
 * thread on its way back to user space (perf must not be entered under
 * mmap_lock).  trap_file keeps the context alive until then.
 */
static void sim_ctx_trap_work(struct callback_head *head)
{
	struct sim_ctx *ctx = container_of(head, struct sim_ctx, trap_work);
	static const unsigned int off[2] = {
		offsetof(struct sisl_host_map, ioarrin),
		offsetof(struct sisl_host_map, ctx_ctrl),
	};
	static const perf_overflow_handler_t fn[2] = {
		sim_trap_ioarrin, sim_trap_ctx_ctrl,
	};
	struct file *file = ctx->trap_file;
	struct perf_event_attr attr;
	struct perf_event *bp;
	unsigned long flags;
	int i;

	if (!IS_ENABLED(CONFIG_HAVE_HW_BREAKPOINT) ||
	    (current->flags & PF_EXITING) || current->mm != ctx->mm)
		goto out;
	for (i = 0; i < 2; i++) {
		hw_breakpoint_init(&attr);
		attr.bp_addr = ctx->trap_base + off[i];
		attr.bp_len = HW_BREAKPOINT_LEN_8;
		attr.bp_type = HW_BREAKPOINT_W;
		attr.inherit = 1;		/* threads created from now on */
		attr.inherit_thread = 1;	/* but not forked processes */
		bp = register_user_hw_breakpoint(&attr, fn[i], ctx, current);
		if (IS_ERR_OR_NULL(bp)) {
			pr_debug("context %u: no watchpoint (%d), polled %s\n",
				 ctx->id, PTR_ERR_OR_ZERO(bp),
				 i ? "CTX_CTRL" : "IOARRIN mailbox");
			continue;
		}
		ctx->trap[i] = bp;
	}
	if (ctx->trap[0]) {
		spin_lock_irqsave(&ctx->fifo_lock, flags);
		ctx->fifo_armed = true;
		sim_ctx_set_room(ctx);
		spin_unlock_irqrestore(&ctx->fifo_lock, flags);
	}
out:
	ctx->trap_file = NULL;
	fput(file);
}

/* Queue the arming of the traps of @ctx, mapped at @vma by its owner. */
static void sim_ctx_trap_queue(struct sim_ctx *ctx, struct file *file,
			       struct vm_area_struct *vma)
{
	if (!READ_ONCE(sim_trap_doorbells) || ctx->kernel ||
	    current->mm != ctx->mm || test_and_set_bit(0, &ctx->trap_once))
		return;
	ctx->trap_base = vma->vm_start;
	ctx->trap_file = get_file(file);
	init_task_work(&ctx->trap_work, sim_ctx_trap_work);
	if (task_work_add(current, &ctx->trap_work, TWA_RESUME)) {
		ctx->trap_file = NULL;
		fput(file);
	}
}

/* Remove the traps; process context, before the context is freed. */
static void sim_ctx_untrap(struct sim_ctx *ctx)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (ctx->trap[i])
			unregister_hw_breakpoint(ctx->trap[i]);
		ctx->trap[i] = NULL;
	}
}

bool sim_ctx_fifo_pop(struct sim_ctx *ctx, u64 *ea)
{
	unsigned long flags;
	bool got = false;

	if (!READ_ONCE(ctx->fifo_count))
		return false;
	spin_lock_irqsave(&ctx->fifo_lock, flags);
	if (ctx->fifo_count) {
		*ea = ctx->fifo[ctx->fifo_head];
		ctx->fifo_head = (ctx->fifo_head + 1) % SIM_IOARRIN_DEPTH;
		ctx->fifo_count--;
		sim_ctx_set_room(ctx);
		got = true;
	}
	spin_unlock_irqrestore(&ctx->fifo_lock, flags);
	return got;
}

bool sim_ctx_fifo_take_overflow(struct sim_ctx *ctx)
{
	unsigned long flags;
	bool was;

	if (!READ_ONCE(ctx->fifo_overflow))
		return false;
	spin_lock_irqsave(&ctx->fifo_lock, flags);
	was = ctx->fifo_overflow;
	ctx->fifo_overflow = false;
	spin_unlock_irqrestore(&ctx->fifo_lock, flags);
	return was;
}

/* Context reset: what was queued and not fetched is discarded. */
void sim_ctx_fifo_flush(struct sim_ctx *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->fifo_lock, flags);
	ctx->fifo_head = 0;
	ctx->fifo_count = 0;
	ctx->fifo_overflow = false;
	sim_ctx_set_room(ctx);
	spin_unlock_irqrestore(&ctx->fifo_lock, flags);
}

/* The engine took an address from the polled mailbox: room again. */
void sim_ctx_mailbox_taken(struct sim_ctx *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->fifo_lock, flags);
	sim_ctx_set_room(ctx);
	spin_unlock_irqrestore(&ctx->fifo_lock, flags);
}

/* ---------------------------------------------------------------------- */
/* Backend operations                                                      */
/* ---------------------------------------------------------------------- */

static void __iomem *sim_psa_map(void *cookie)
{
	struct sim_ctx *ctx = cookie;
	void __iomem *psa = NULL;

	mutex_lock(&ctx->a->lock);
	/* the PSA is plain memory that the driver treats as MMIO */
	if (ctx->kernel && ctx->state == SIM_CTX_STARTED)
		psa = (void __iomem __force *)ctx->a->map;
	mutex_unlock(&ctx->a->lock);
	return psa;
}

static void sim_psa_unmap(void __iomem *addr)
{
}

static int sim_process_element(void *cookie)
{
	struct sim_ctx *ctx = cookie;

	return ctx->id;
}

static int sim_allocate_afu_irqs(void *cookie, int num)
{
	struct sim_ctx *ctx = cookie;

	if (num < 0 || num >= SIM_LISN_MAX)
		return -EINVAL;
	mutex_lock(&ctx->a->lock);
	ctx->nr_irqs = num;
	mutex_unlock(&ctx->a->lock);
	return 0;
}

static void sim_free_afu_irqs(void *cookie)
{
	struct sim_ctx *ctx = cookie;

	mutex_lock(&ctx->a->lock);
	sim_ctx_free_irqs_locked(ctx);
	mutex_unlock(&ctx->a->lock);
}

/* LISN @num of context c is hwirq c * SIM_LISN_MAX + num of the domain. */
static int sim_map_afu_irq(void *cookie, int num, irq_handler_t handler,
			   void *dev_id, const char *name)
{
	struct sim_ctx *ctx = cookie;
	struct sim_adapter *a = ctx->a;
	unsigned int virq;
	int rc;

	mutex_lock(&a->lock);
	if (num < 1 || num > ctx->nr_irqs) {
		rc = -EINVAL;
		goto out;
	}
	if (ctx->virq[num]) {
		rc = -EBUSY;
		goto out;
	}
	virq = irq_create_mapping(a->domain, ctx->id * SIM_LISN_MAX + num);
	if (!virq) {
		rc = -ENOMEM;
		goto out;
	}
	rc = request_irq(virq, handler, 0, name, dev_id);
	if (rc) {
		irq_dispose_mapping(virq);
		goto out;
	}
	ctx->virq[num] = virq;
	ctx->irq_cookie[num] = dev_id;
out:
	mutex_unlock(&a->lock);
	return rc;
}

static void sim_unmap_afu_irq(void *cookie, int num, void *dev_id)
{
	struct sim_ctx *ctx = cookie;

	if (num < 1 || num >= SIM_LISN_MAX)
		return;
	mutex_lock(&ctx->a->lock);
	if (ctx->virq[num] && ctx->irq_cookie[num] == dev_id) {
		free_irq(ctx->virq[num], dev_id);
		irq_dispose_mapping(ctx->virq[num]);
		ctx->virq[num] = 0;
		ctx->irq_cookie[num] = NULL;
	}
	mutex_unlock(&ctx->a->lock);
}

static void sim_ctx_clear_engine_state(struct sim_ctx *ctx)
{
	ctx->rrq_start = 0;
	ctx->rrq_end = 0;
	ctx->rrq_cur = 0;
	ctx->toggle = SISL_RESP_HANDLE_T_BIT;
	ctx->sq_start = 0;
	ctx->sq_end = 0;
	ctx->sq_head = 0;
	ctx->completed = 0;
}

/* Put a context on the started list; adapter lock held. */
static void sim_ctx_start_locked(struct sim_ctx *ctx)
{
	unsigned long flags;

	sim_ctx_clear_engine_state(ctx);
	spin_lock_irqsave(&ctx->ev_lock, flags);
	ctx->dead = false;
	ctx->ev_pending = 0;
	spin_unlock_irqrestore(&ctx->ev_lock, flags);
	ctx->state = SIM_CTX_STARTED;
	list_add_tail(&ctx->node, &ctx->a->started);
}

static int sim_start_context(void *cookie)
{
	struct sim_ctx *ctx = cookie;
	int rc = 0;

	mutex_lock(&ctx->a->lock);
	if (ctx->state == SIM_CTX_STARTED) {
		rc = -EBUSY;
	} else {
		ctx->kernel = true;
		sim_ctx_start_locked(ctx);
	}
	mutex_unlock(&ctx->a->lock);
	sim_adapter_kick(ctx->a);
	return rc;
}

static int sim_start_work(void *cookie, int num_irqs)
{
	struct sim_ctx *ctx = cookie;
	int rc = 0;

	if (num_irqs < 0 || num_irqs > SIM_LISN_MAX || !current->mm)
		return -EINVAL;
	mutex_lock(&ctx->a->lock);
	if (ctx->state == SIM_CTX_STARTED) {
		rc = -EBUSY;
	} else {
		mmgrab(current->mm);
		ctx->mm = current->mm;
		ctx->tgid = current->tgid;
		ctx->user_irqs = num_irqs;
		ctx->kernel = false;
		sim_ctx_start_locked(ctx);
	}
	mutex_unlock(&ctx->a->lock);
	return rc;
}

static int sim_stop_context(void *cookie)
{
	struct sim_ctx *ctx = cookie;

	mutex_lock(&ctx->a->lock);
	sim_ctx_stop_locked(ctx);
	mutex_unlock(&ctx->a->lock);
	return 0;
}

static int sim_afu_reset(void *cookie)
{
	struct sim_ctx *ctx = cookie;
	int rc;

	mutex_lock(&ctx->a->lock);
	rc = sim_afu_reset_locked(ctx->a);
	mutex_unlock(&ctx->a->lock);
	sim_adapter_kick(ctx->a);
	return rc;
}

static void sim_set_master(void *cookie)
{
	struct sim_ctx *ctx = cookie;

	mutex_lock(&ctx->a->lock);
	ctx->master = true;
	mutex_unlock(&ctx->a->lock);
}

static void *sim_get_context(struct cxlflash_aux_dev *adev)
{
	struct sim_adapter *a = adev->afu;

	return a->primary;
}

static void *sim_dev_context_init(struct cxlflash_aux_dev *adev)
{
	return sim_ctx_create(adev->afu, false);
}

/*
 * Release a context (stopping it first if needed).  The primary context
 * belongs to the adapter and is only reset.
 */
static int sim_release_context(void *cookie)
{
	struct sim_ctx *ctx = cookie;
	struct sim_adapter *a = ctx->a;
	bool pinned;

	sim_ctx_untrap(ctx);
	mutex_lock(&a->lock);
	sim_ctx_stop_locked(ctx);
	sim_ctx_free_irqs_locked(ctx);
	if (!a->afu_error)
		sim_ctx_init_maps(a, ctx->id);
	ctx->error = false;
	if (ctx->primary) {
		ctx->state = SIM_CTX_OPENED;
		ctx->master = false;
		ctx->kernel = false;
		mutex_unlock(&a->lock);
		return 0;
	}
	a->ctxs[ctx->id] = NULL;
	mutex_unlock(&a->lock);

	pinned = ctx->module_pinned;
	ida_free(&a->ctx_ida, ctx->id);
	kfree(ctx);
	sim_adapter_put(a);
	if (pinned)
		module_put(THIS_MODULE);
	return 0;
}

static void sim_kick(void *cookie)
{
	struct sim_ctx *ctx = cookie;

	if (!sim_ctx_run_inline(ctx))
		sim_adapter_kick(ctx->a);
}

static ssize_t sim_read_adapter_vpd(struct cxlflash_aux_dev *adev, void *buf,
				    size_t count)
{
	return sim_adapter_read_vpd(adev, buf, count);
}

/* ---------------------------------------------------------------------- */
/* The adapter fd                                                          */
/* ---------------------------------------------------------------------- */

static bool sim_ctx_ev_ready(struct sim_ctx *ctx)
{
	return READ_ONCE(ctx->ev_pending) || READ_ONCE(ctx->dead);
}

/* One struct cxl_event (AFU interrupt) per call, as the cxl driver did. */
static ssize_t sim_fd_read(struct file *file, char __user *buf, size_t count,
			   loff_t *off)
{
	struct sim_ctx *ctx = file->private_data;
	struct cxl_event ev;
	unsigned int lisn;
	int rc;

	if (count < CXL_READ_MIN_SIZE)
		return -EINVAL;

	spin_lock_irq(&ctx->ev_lock);
	while (!ctx->ev_pending || ctx->dead) {
		if (ctx->dead) {
			spin_unlock_irq(&ctx->ev_lock);
			return -EIO;
		}
		spin_unlock_irq(&ctx->ev_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		rc = wait_event_interruptible(ctx->ev_wq, sim_ctx_ev_ready(ctx));
		if (rc)
			return rc;
		spin_lock_irq(&ctx->ev_lock);
	}
	lisn = __ffs(ctx->ev_pending);
	__clear_bit(lisn, &ctx->ev_pending);
	spin_unlock_irq(&ctx->ev_lock);

	memset(&ev, 0, sizeof(ev));
	ev.header.type = CXL_EVENT_AFU_INTERRUPT;
	ev.header.size = sizeof(ev.header) + sizeof(ev.irq);
	ev.header.process_element = ctx->id;
	ev.irq.irq = lisn;
	if (copy_to_user(buf, &ev, ev.header.size))
		return -EFAULT;
	return ev.header.size;
}

static __poll_t sim_fd_poll(struct file *file, struct poll_table_struct *wait)
{
	struct sim_ctx *ctx = file->private_data;
	unsigned long flags;
	__poll_t mask = 0;

	poll_wait(file, &ctx->ev_wq, wait);
	spin_lock_irqsave(&ctx->ev_lock, flags);
	if (ctx->dead)
		mask = EPOLLERR;
	else if (ctx->ev_pending)
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock_irqrestore(&ctx->ev_lock, flags);
	return mask;
}

/*
 * Page-backed mapping of the context's host map, hosts[id] of the PSA.
 * The fault path takes no lock: the engine may fault on user pages while
 * it holds the adapter lock.
 */
static vm_fault_t sim_vm_fault(struct vm_fault *vmf)
{
	struct sim_ctx *ctx = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff >= SISL_HOST_MAP_SIZE >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	page = vmalloc_to_page(ctx->a->map->hosts[ctx->id].harea +
			       (vmf->pgoff << PAGE_SHIFT));
	if (!page)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct sim_vm_ops = {
	.fault = sim_vm_fault,
};

static int sim_fd_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff ||
	    vma_pages(vma) > SISL_HOST_MAP_SIZE >> PAGE_SHIFT ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/*
	 * VM_DONTCOPY: the mapping is the owner's alone and does not
	 * survive fork(); a child drives the LUN through a context of its
	 * own (ATTACH, then VLUN_CLONE), never through the parent's.
	 */
	vma->vm_flags |= VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &sim_vm_ops;
	vma->vm_private_data = file->private_data;
	sim_ctx_trap_queue(file->private_data, file, vma);
	return 0;
}

static int sim_fd_release(struct inode *inode, struct file *file)
{
	struct sim_ctx *ctx = file->private_data;

	sim_stop_context(ctx);
	return sim_release_context(ctx);
}

static void *sim_fops_get_context(struct file *file)
{
	return file->private_data;
}

/*
 * Merged file_operations: the caller's, with the sim's read, poll and
 * llseek (and release and mmap) where the caller has none.  The operations
 * an adapter fd can use are forwarded; others are not.
 *
 * A merged table must outlive every file using it: __fput() still reads
 * f_op->owner after ->release, by which time the context is gone.  So the
 * tables are cached by the caller's table (the driver has one) and freed
 * at module exit, which cannot happen while a file pins the module.
 */
struct sim_fops {
	struct list_head node;
	const struct file_operations *orig;
	const struct file_operations *fops;
};

static LIST_HEAD(sim_fops_list);	/* of struct sim_fops */
static DEFINE_MUTEX(sim_fops_mutex);	/* protects sim_fops_list */

static const struct file_operations sim_fd_default_fops = {
	.owner		= THIS_MODULE,
};

static const struct file_operations *
sim_fops_build(const struct file_operations *o)
{
	const struct file_operations m = {
		.owner			= o->owner,
		.llseek			= o->llseek ?: no_llseek,
		.read			= o->read ?: sim_fd_read,
		.write			= o->write,
		.read_iter		= o->read_iter,
		.write_iter		= o->write_iter,
		.poll			= o->poll ?: sim_fd_poll,
		.unlocked_ioctl		= o->unlocked_ioctl,
		.compat_ioctl		= o->compat_ioctl,
		.mmap			= o->mmap ?: sim_fd_mmap,
		.open			= o->open,
		.flush			= o->flush,
		.release		= o->release ?: sim_fd_release,
		.fsync			= o->fsync,
		.fasync			= o->fasync,
		.get_unmapped_area	= o->get_unmapped_area,
		.show_fdinfo		= o->show_fdinfo,
	};

	return kmemdup(&m, sizeof(m), GFP_KERNEL);
}

static const struct file_operations *
sim_fops_merged(const struct file_operations *orig)
{
	const struct file_operations *fops = NULL;
	struct sim_fops *f;

	mutex_lock(&sim_fops_mutex);
	list_for_each_entry(f, &sim_fops_list, node) {
		if (f->orig == orig) {
			fops = f->fops;
			goto out;
		}
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		goto out;
	f->orig = orig;
	f->fops = sim_fops_build(orig ?: &sim_fd_default_fops);
	if (!f->fops) {
		kfree(f);
		goto out;
	}
	list_add(&f->node, &sim_fops_list);
	fops = f->fops;
out:
	mutex_unlock(&sim_fops_mutex);
	return fops;
}

void sim_ctx_fops_cache_exit(void)
{
	struct sim_fops *f, *tmp;

	list_for_each_entry_safe(f, tmp, &sim_fops_list, node) {
		list_del(&f->node);
		kfree(f->fops);
		kfree(f);
	}
}

static struct file *sim_get_fd(void *cookie, const struct file_operations *fops,
			       int *fd)
{
	struct sim_ctx *ctx = cookie;
	const struct file_operations *merged;
	struct file *file;
	char name[32];
	int fdn;

	merged = sim_fops_merged(fops);
	if (!merged)
		return ERR_PTR(-ENOMEM);
	fdn = get_unused_fd_flags(O_CLOEXEC);
	if (fdn < 0)
		return ERR_PTR(fdn);
	snprintf(name, sizeof(name), "cxlflash_sim:%u", ctx->id);
	file = anon_inode_getfile(name, merged, ctx, O_RDWR | O_CLOEXEC);
	if (IS_ERR(file)) {
		put_unused_fd(fdn);
		return file;
	}
	/* our read/poll/fault code runs for as long as the context lives */
	mutex_lock(&ctx->a->lock);
	if (!ctx->module_pinned) {
		__module_get(THIS_MODULE);
		ctx->module_pinned = true;
	}
	mutex_unlock(&ctx->a->lock);
	*fd = fdn;
	return file;
}

const struct cxlflash_backend_ops sim_backend_ops = {
	.module			= THIS_MODULE,
	.psa_map		= sim_psa_map,
	.psa_unmap		= sim_psa_unmap,
	.process_element	= sim_process_element,
	.map_afu_irq		= sim_map_afu_irq,
	.unmap_afu_irq		= sim_unmap_afu_irq,
	.allocate_afu_irqs	= sim_allocate_afu_irqs,
	.free_afu_irqs		= sim_free_afu_irqs,
	.start_context		= sim_start_context,
	.stop_context		= sim_stop_context,
	.afu_reset		= sim_afu_reset,
	.set_master		= sim_set_master,
	.get_context		= sim_get_context,
	.dev_context_init	= sim_dev_context_init,
	.release_context	= sim_release_context,
	.start_work		= sim_start_work,
	.get_fd			= sim_get_fd,
	.fops_get_context	= sim_fops_get_context,
	.fd_mmap		= sim_fd_mmap,
	.fd_release		= sim_fd_release,
	.read_adapter_vpd	= sim_read_adapter_vpd,
	.kick			= sim_kick,
};
