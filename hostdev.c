// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: the per-adapter host character device and its ioctls.
 *
 * Every adapter gets /dev/cxlflash/cxlflash<N> (class "cxlflash", minor
 * N = adapter number).  Opening it needs CAP_SYS_ADMIN.  Two ioctls:
 *
 *   HT_CXLFLASH_LUN_PROVISION  create a LUN on a port (AFU command 0xD0
 *                              type 0), delete one (type 1), or read a
 *                              port's LUN count and capacity registers
 *   HT_CXLFLASH_AFU_DEBUG      pass a debug sub-command with an optional
 *                              buffer to the AFU (AFU command 0xE0)
 *
 * Both need the AFU to advertise the capability in interface_version,
 * else -ENOTSUPP.  The AFU commands go through the internal-command path
 * of the primary queue, like SYNC.
 */

#include <linux/blkdev.h>
#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/compat.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "core.h"
#include "superpipe.h"

#define CXLFLASH_HOSTDEV_MINORS		256
#define CXLFLASH_HOST_CMD_TIMEOUT_S	5	/* IOARCB timeout field */

static dev_t hostdev_base;

static char *hostdev_devnode(struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "cxlflash/%s", dev_name(dev));
}

static struct class hostdev_class = {
	.name = CXLFLASH_NAME,
	.devnode = hostdev_devnode,
};

/*
 * The host device of one adapter.
 *
 * Lifetime: allocated by cxlflash_hostdev_add() with one reference (the
 * adapter's), and one more per open file (open .. release); freed by the
 * class device's release when the last goes.  So an fd open across the
 * adapter's removal keeps the object, not the adapter: @cfg is cleared
 * by cxlflash_hostdev_remove() under @rwsem (write), after every ioctl in
 * progress has finished, and an ioctl or open that finds it NULL fails
 * with -ENODEV.
 *
 * Locking: @rwsem (read) is held by open and by each ioctl for as long
 * as it uses @cfg; remove takes it for write.  @prov_mutex serialises
 * the provisioning sub-commands of the adapter, so that the capacity
 * checked is the capacity the AFU command sees (taken inside @rwsem).
 * CREATE and DELETE also hold cfg->lun_mode_mutex (inside @prov_mutex)
 * so that the LUN mode cannot change under them.
 */
struct cxlflash_hostdev {
	struct device dev;
	struct cdev cdev;
	struct rw_semaphore rwsem;
	struct cxlflash_cfg *cfg;	/* NULL once the adapter goes */
	struct mutex prov_mutex;
};

static void hostdev_release(struct device *dev)
{
	struct cxlflash_hostdev *hd = container_of(dev, struct cxlflash_hostdev,
						   dev);

	mutex_destroy(&hd->prov_mutex);
	kfree(hd);
}

/* ---------------------------------------------------------------------- */
/* Common checks                                                          */
/* ---------------------------------------------------------------------- */

static int check_hdr(const struct ht_cxlflash_hdr *hdr, u64 allowed_flags)
{
	if (hdr->version != HT_CXLFLASH_VERSION_0)
		return -EINVAL;
	if (hdr->rsvd[0] || hdr->rsvd[1] || hdr->return_flags)
		return -EINVAL;
	if (hdr->flags & ~allowed_flags)
		return -EINVAL;
	return 0;
}

static bool afu_has_cap(struct cxlflash_cfg *cfg, u64 cap)
{
	return (cfg->afu->interface_version >> SISL_INTVER_CAP_SHIFT) & cap;
}

/* The adapter must be running; waits for a reset in progress. */
static int host_ready(struct cxlflash_cfg *cfg)
{
	return cxlflash_wait_for_reset(cfg, true);
}

/* An errno for what the AFU said about a host-service command */
static int afu_rc_errno(int rc, const struct sisl_ioasa *sa)
{
	if (rc != -EIO)
		return rc == -ECANCELED || rc == -ENOBUFS ? -EAGAIN : rc;
	switch (sa->rc.afu_rc) {
	case SISL_AFU_RC_PROV_INVALID:
	case SISL_AFU_RC_DEBUG_INVALID:
	case SISL_AFU_RC_CAP_VIOLATION:
		return -EINVAL;
	case SISL_AFU_RC_PROV_NO_SPACE:
		return -ENOSPC;
	case SISL_AFU_RC_PROV_NO_LUN:
		return -ENOENT;
	case SISL_AFU_RC_DATA_DMA_ERR:
		return -EFAULT;
	default:
		return -EIO;
	}
}

/* ---------------------------------------------------------------------- */
/* LUN provisioning                                                       */
/* ---------------------------------------------------------------------- */

struct port_caps {
	u64 max_luns, cur_luns, max_cap, cur_cap;
};

static void read_port_caps(struct cxlflash_cfg *cfg, int port,
			   struct port_caps *pc)
{
	__be64 __iomem *regs = cxlflash_port_regs(cfg, port);

	pc->max_luns = cxl_readq(&regs[FC_MAX_NUM_LUNS / 8]);
	pc->cur_luns = cxl_readq(&regs[FC_CUR_NUM_LUNS / 8]);
	pc->max_cap = cxl_readq(&regs[FC_MAX_CAP_PORT / 8]);
	pc->cur_cap = cxl_readq(&regs[FC_CUR_CAP_PORT / 8]);
}

static u64 lunid_to_lun(u64 lun_id)
{
	struct scsi_lun sam;

	put_unaligned_be64(lun_id, sam.scsi_lun);
	return scsilun_to_int(&sam);
}

static int afu_provision(struct cxlflash_cfg *cfg, u8 type, int port,
			 u64 size, u64 lun_id, struct sisl_ioasa *sa)
{
	struct sisl_ioarcb rcb = {
		.req_flags = SISL_REQ_FLAGS_AFU_CMD,
		.timeout = CXLFLASH_HOST_CMD_TIMEOUT_S,
		.cdb = { SISL_AFU_CMD_LUN_PROVISION, type, port },
		.lun_id = lun_id,
	};
	int rc;

	put_unaligned_be64(size, &rcb.cdb[8]);
	memset(sa, 0, sizeof(*sa));
	rc = cxlflash_icmd_run_sa(cfg->afu, &rcb,
				  2 * CXLFLASH_HOST_CMD_TIMEOUT_S * HZ, sa);
	return afu_rc_errno(rc, sa);
}

static int bdev_child_open(struct device *dev, void *data)
{
	struct gendisk *disk;

	if (!dev->class || strcmp(dev->class->name, "block"))
		return 0;
	disk = dev_to_disk(dev);
	return disk_openers(disk) ? -EBUSY : 0;
}

static int prov_create(struct cxlflash_cfg *cfg,
		       struct ht_cxlflash_lun_provision *p)
{
	struct scsi_device *sdev;
	struct sisl_ioasa sa;
	struct port_caps pc;
	u64 lun_id;
	int rc;

	if (!p->size)
		return -EINVAL;
	read_port_caps(cfg, p->port, &pc);
	if (pc.cur_luns >= pc.max_luns || pc.cur_cap > pc.max_cap ||
	    p->size > pc.max_cap - pc.cur_cap)
		return -ENOSPC;

	rc = afu_provision(cfg, SISL_AFU_LUN_PROVISION_CREATE, p->port,
			   p->size, 0, &sa);
	if (rc)
		return rc;
	lun_id = ((u64)sa.lunid_hi << 32) | sa.lunid_lo;

	sdev = __scsi_add_device(cfg->host, p->port, 0, lunid_to_lun(lun_id),
				 NULL);
	if (IS_ERR(sdev)) {
		rc = PTR_ERR(sdev);
		dev_err(cfg->dev, "new LUN %016llx on port %u not added: %d\n",
			lun_id, p->port, rc);
		/* take it back: nothing must have changed */
		afu_provision(cfg, SISL_AFU_LUN_PROVISION_DELETE, p->port, 0,
			      lun_id, &sa);
		return rc;
	}
	scsi_device_put(sdev);
	/*
	 * sd probes asynchronously: wait for the disk, so that it exists
	 * (and its partition scan no longer holds it open) on return
	 */
	wait_for_device_probe();

	p->lun_id = lun_id;
	memcpy(p->wwid, sa.wwid, sizeof(p->wwid));
	dev_info(cfg->dev, "port %u: LUN %016llx created, %llu 4K blocks\n",
		 p->port, lun_id, p->size);
	return 0;
}

/*
 * Delete: refused (-EBUSY, nothing changed) while the disk is open or
 * mounted or the path is in use by the superpipe; then the AFU deletes
 * the LUN (which refuses an id it did not provision: -ENOENT), then the
 * SCSI device goes.  A user who opens the disk or attaches a context
 * between the checks and the removal gets I/O errors, as on a surprise
 * removal; nothing is freed under them.
 */
static int prov_delete(struct cxlflash_cfg *cfg,
		       struct ht_cxlflash_lun_provision *p)
{
	struct scsi_device *sdev;
	struct sisl_ioasa sa;
	int rc;

	if (p->size)
		return -EINVAL;
	sdev = scsi_device_lookup(cfg->host, p->port, 0,
				  lunid_to_lun(p->lun_id));
	if (sdev) {
		rc = device_for_each_child(&sdev->sdev_gendev, NULL,
					   bdev_child_open);
		if (!rc)
			rc = cxlflash_lun_busy(sdev);
		if (rc)
			goto out;
	}

	rc = afu_provision(cfg, SISL_AFU_LUN_PROVISION_DELETE, p->port, 0,
			   p->lun_id, &sa);
	if (rc)
		goto out;
	dev_info(cfg->dev, "port %u: LUN %016llx deleted\n", p->port,
		 p->lun_id);
	/* the LUN's records go with the device (cxlflash_lun_forget_path()) */
	if (sdev)
		scsi_remove_device(sdev);
out:
	if (sdev)
		scsi_device_put(sdev);
	return rc;
}

static int host_lun_provision(struct cxlflash_cfg *cfg, void *arg)
{
	struct ht_cxlflash_lun_provision *p = arg;
	struct port_caps pc;
	int rc, i;

	rc = check_hdr(&p->hdr, 0);
	if (rc)
		return rc;
	if (memchr_inv(p->reserved16, 0, sizeof(p->reserved16)) ||
	    memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	if (p->hdr.subcmd < HT_CXLFLASH_LUN_PROVISION_SUBCMD_CREATE_LUN ||
	    p->hdr.subcmd > HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT)
		return -EINVAL;
	if (p->port >= cfg->num_fc_ports)
		return -EINVAL;
	if (!afu_has_cap(cfg, SISL_INTVER_CAP_LUN_PROVISION))
		return -ENOTSUPP;

	mutex_lock(&cfg->hostdev->prov_mutex);
	rc = host_ready(cfg);
	if (rc)
		goto out;

	switch (p->hdr.subcmd) {
	case HT_CXLFLASH_LUN_PROVISION_SUBCMD_CREATE_LUN:
	case HT_CXLFLASH_LUN_PROVISION_SUBCMD_DELETE_LUN:
		/*
		 * Provisioned LUNs live behind the FC ports, which an AFU in
		 * internal-LUN mode does not serve: refused (EINVAL) there.
		 * lun_mode_mutex keeps the mode from changing under the
		 * command and the scan or removal that follows it.
		 */
		mutex_lock(&cfg->lun_mode_mutex);
		if (cfg->afu->internal_lun)
			rc = -EINVAL;
		else if (p->hdr.subcmd == HT_CXLFLASH_LUN_PROVISION_SUBCMD_DELETE_LUN)
			rc = prov_delete(cfg, p);
		else
			rc = prov_create(cfg, p);
		mutex_unlock(&cfg->lun_mode_mutex);
		break;
	default:
		if (p->size)
			rc = -EINVAL;
		break;
	}
	if (rc)
		goto out;

	/* every sub-command reports the port's state after it */
	read_port_caps(cfg, p->port, &pc);
	p->max_num_luns = pc.max_luns;
	p->cur_num_luns = pc.cur_luns;
	p->max_cap_port = pc.max_cap;
	p->cur_cap_port = pc.cur_cap;
	if (p->hdr.subcmd == HT_CXLFLASH_LUN_PROVISION_SUBCMD_QUERY_PORT) {
		p->lun_id = 0;
		for (i = 0; i < CXLFLASH_WWID_LEN; i++)
			p->wwid[i] = 0;
	}
out:
	mutex_unlock(&cfg->hostdev->prov_mutex);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* AFU debug                                                              */
/* ---------------------------------------------------------------------- */

static int host_afu_debug(struct cxlflash_cfg *cfg, void *arg)
{
	struct ht_cxlflash_afu_debug *d = arg;
	bool to_afu = d->hdr.flags & HT_CXLFLASH_HOST_WRITE;
	void __user *ubuf = u64_to_user_ptr(d->data_ea);
	struct sisl_ioarcb rcb = {
		.req_flags = SISL_REQ_FLAGS_AFU_CMD,
		.timeout = CXLFLASH_HOST_CMD_TIMEOUT_S,
		.cdb = { SISL_AFU_CMD_DEBUG },
	};
	struct sisl_ioasa sa;
	void *buf = NULL;
	int rc;

	rc = check_hdr(&d->hdr, HT_CXLFLASH_HOST_WRITE);
	if (rc)
		return rc;
	if (d->hdr.subcmd || memchr_inv(d->reserved8, 0, sizeof(d->reserved8)) ||
	    d->reserved32 || memchr_inv(d->reserved, 0, sizeof(d->reserved)))
		return -EINVAL;
	if (d->data_len > HT_CXLFLASH_AFU_DEBUG_MAX_DATA_LEN)
		return -EINVAL;
	/* a buffer needs an address, and a write needs a buffer */
	if (!d->data_len != !d->data_ea || (to_afu && !d->data_len))
		return -EINVAL;
	if (!afu_has_cap(cfg, SISL_INTVER_CAP_AFU_DEBUG))
		return -ENOTSUPP;

	if (d->data_len) {
		buf = kvzalloc(d->data_len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		if (to_afu && copy_from_user(buf, ubuf, d->data_len)) {
			rc = -EFAULT;
			goto out;
		}
		rcb.req_flags |= SISL_REQ_FLAGS_SUP_UNDERRUN;
		if (to_afu)
			rcb.req_flags |= SISL_REQ_FLAGS_HOST_WRITE;
		rcb.data_ea = (u64)(uintptr_t)buf;
		rcb.data_len = d->data_len;
	}
	memcpy(&rcb.cdb[SISL_AFU_DEBUG_SUBCMD_OFF], d->afu_subcmd,
	       sizeof(d->afu_subcmd));

	rc = host_ready(cfg);
	if (rc)
		goto out;
	rc = cxlflash_icmd_run_sa(cfg->afu, &rcb,
				  2 * CXLFLASH_HOST_CMD_TIMEOUT_S * HZ, &sa);
	rc = afu_rc_errno(rc, &sa);
	/* a read is only copied out when it succeeded: no partial data */
	if (!rc && buf && !to_afu && copy_to_user(ubuf, buf, d->data_len))
		rc = -EFAULT;
out:
	kvfree(buf);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* File operations                                                        */
/* ---------------------------------------------------------------------- */

static int hostdev_open(struct inode *inode, struct file *file)
{
	struct cxlflash_hostdev *hd = container_of(inode->i_cdev,
						   struct cxlflash_hostdev,
						   cdev);
	int rc = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EACCES;

	down_read(&hd->rwsem);
	if (hd->cfg) {
		get_device(&hd->dev);
		file->private_data = hd;
	} else {
		rc = -ENODEV;
	}
	up_read(&hd->rwsem);
	return rc ? rc : nonseekable_open(inode, file);
}

static int hostdev_release_file(struct inode *inode, struct file *file)
{
	struct cxlflash_hostdev *hd = file->private_data;

	put_device(&hd->dev);
	return 0;
}

static long hostdev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long uarg)
{
	struct cxlflash_hostdev *hd = file->private_data;
	void __user *argp = (void __user *)uarg;
	union cxlflash_ht_ioctls buf;
	int (*handler)(struct cxlflash_cfg *cfg, void *arg);
	size_t size;
	int rc;

	switch (cmd) {
	case HT_CXLFLASH_LUN_PROVISION:
		handler = host_lun_provision;
		size = sizeof(struct ht_cxlflash_lun_provision);
		break;
	case HT_CXLFLASH_AFU_DEBUG:
		handler = host_afu_debug;
		size = sizeof(struct ht_cxlflash_afu_debug);
		break;
	default:
		return -EINVAL;
	}

	if (copy_from_user(&buf, argp, size))
		return -EFAULT;

	down_read(&hd->rwsem);
	if (hd->cfg)
		rc = handler(hd->cfg, &buf);
	else
		rc = -ENODEV;
	up_read(&hd->rwsem);

	if (!rc && copy_to_user(argp, &buf, size))
		rc = -EFAULT;
	return rc;
}

static const struct file_operations hostdev_fops = {
	.owner = THIS_MODULE,
	.open = hostdev_open,
	.release = hostdev_release_file,
	.unlocked_ioctl = hostdev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

/* ---------------------------------------------------------------------- */
/* Per adapter and module                                                 */
/* ---------------------------------------------------------------------- */

/**
 * cxlflash_hostdev_add() - create the adapter's host device
 * @cfg: adapter, with its SCSI host added.
 *
 * Return: 0, -ENOSPC (no minor for this adapter number) or an error of
 * the device core.
 */
int cxlflash_hostdev_add(struct cxlflash_cfg *cfg)
{
	struct cxlflash_hostdev *hd;
	int rc;

	if (cfg->index >= CXLFLASH_HOSTDEV_MINORS)
		return -ENOSPC;
	hd = kzalloc(sizeof(*hd), GFP_KERNEL);
	if (!hd)
		return -ENOMEM;
	init_rwsem(&hd->rwsem);
	mutex_init(&hd->prov_mutex);
	hd->cfg = cfg;

	device_initialize(&hd->dev);
	hd->dev.class = &hostdev_class;
	hd->dev.parent = cfg->dev;
	hd->dev.devt = MKDEV(MAJOR(hostdev_base), cfg->index);
	hd->dev.release = hostdev_release;
	rc = dev_set_name(&hd->dev, "%s%d", CXLFLASH_NAME, cfg->index);
	if (rc)
		goto err;

	cdev_init(&hd->cdev, &hostdev_fops);
	hd->cdev.owner = THIS_MODULE;
	/* an ioctl may come as soon as the node exists */
	cfg->hostdev = hd;
	rc = cdev_device_add(&hd->cdev, &hd->dev);
	if (rc)
		goto err;
	return 0;

err:
	cfg->hostdev = NULL;
	put_device(&hd->dev);
	return rc;
}

/**
 * cxlflash_hostdev_remove() - take the host device away from the adapter
 * @cfg: adapter, still fully working.
 *
 * Waits for ioctls in progress; files still open get -ENODEV from then on.
 */
void cxlflash_hostdev_remove(struct cxlflash_cfg *cfg)
{
	struct cxlflash_hostdev *hd = cfg->hostdev;

	if (!hd)
		return;
	down_write(&hd->rwsem);
	hd->cfg = NULL;
	up_write(&hd->rwsem);

	cdev_device_del(&hd->cdev, &hd->dev);
	cfg->hostdev = NULL;
	put_device(&hd->dev);
}

int cxlflash_hostdev_init(void)
{
	int rc;

	rc = alloc_chrdev_region(&hostdev_base, 0, CXLFLASH_HOSTDEV_MINORS,
				 CXLFLASH_NAME);
	if (rc)
		return rc;
	rc = class_register(&hostdev_class);
	if (rc)
		unregister_chrdev_region(hostdev_base, CXLFLASH_HOSTDEV_MINORS);
	return rc;
}

void cxlflash_hostdev_exit(void)
{
	class_unregister(&hostdev_class);
	unregister_chrdev_region(hostdev_base, CXLFLASH_HOSTDEV_MINORS);
}
