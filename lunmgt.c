// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: LUN bookkeeping and DK_CXLFLASH_MANAGE_LUN.
 *
 * A LUN is identified by its WWID (the 16-byte NAA designator of VPD page
 * 0x83).  Two records describe it: a global one shared by every adapter
 * and port that sees the LUN (capacity, access mode, virtual LUN chunks)
 * and a per-adapter one (LUN id per port, LUN table slot).  A SCSI device
 * whose hostdata points at the per-adapter record is enabled for the
 * superpipe; its sysfs attribute "mode" reads "superpipe", else "legacy".
 *
 * Both lists are protected by global.mutex.
 */

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <asm/unaligned.h>

#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_proto.h>

#include "afu_if.h"
#include "superpipe.h"

static struct llun_info *create_local(struct scsi_device *sdev, const u8 *wwid)
{
	struct llun_info *lli;

	lli = kzalloc(sizeof(*lli), GFP_KERNEL);
	if (!lli)
		return NULL;
	lli->host_no = sdev->host->host_no;
	lli->in_table = false;
	atomic_set(&lli->attach_cnt, 0);
	atomic_set(&lli->ioctls, 0);
	memcpy(lli->wwid, wwid, CXLFLASH_WWID_LEN);
	INIT_LIST_HEAD(&lli->list);
	return lli;
}

static struct glun_info *create_global(const u8 *wwid)
{
	struct glun_info *gli;

	gli = kzalloc(sizeof(*gli), GFP_KERNEL);
	if (!gli)
		return NULL;
	mutex_init(&gli->mutex);
	mutex_init(&gli->blka.mutex);
	memcpy(gli->wwid, wwid, CXLFLASH_WWID_LEN);
	INIT_LIST_HEAD(&gli->list);
	return gli;
}

/* Called with global.mutex held */
static struct llun_info *lookup_local(struct cxlflash_cfg *cfg, const u8 *wwid)
{
	struct llun_info *lli;

	list_for_each_entry(lli, &cfg->lluns, list)
		if (!memcmp(lli->wwid, wwid, CXLFLASH_WWID_LEN))
			return lli;
	return NULL;
}

/* Called with global.mutex held */
static struct glun_info *lookup_global(const u8 *wwid)
{
	struct glun_info *gli;

	list_for_each_entry(gli, &global.gluns, list)
		if (!memcmp(gli->wwid, wwid, CXLFLASH_WWID_LEN))
			return gli;
	return NULL;
}

/**
 * find_and_create_lun() - the adapter's record of a LUN, made if needed
 * @sdev: a path to the LUN.
 * @wwid: its WWID.
 *
 * Called with global.mutex held.
 *
 * Return: the record, or NULL when out of memory.
 */
struct llun_info *find_and_create_lun(struct scsi_device *sdev, u8 *wwid)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	struct llun_info *lli;
	struct glun_info *gli;
	bool new_gli = false;

	lli = lookup_local(cfg, wwid);
	if (lli)
		return lli;

	lli = create_local(sdev, wwid);
	if (!lli)
		return NULL;

	gli = lookup_global(wwid);
	if (!gli) {
		gli = create_global(wwid);
		if (!gli) {
			kfree(lli);
			return NULL;
		}
		new_gli = true;
	}

	lli->parent = gli;
	list_add(&lli->list, &cfg->lluns);
	gli->nr_lluns++;
	if (new_gli)
		list_add(&gli->list, &global.gluns);
	return lli;
}

/*
 * Free an adapter's record of a LUN, and the global record with the last
 * adapter record on it.  Nothing may use them but lockless fence readers
 * (see struct llun_info).  Called with global.mutex held.
 */
static void free_records_locked(struct llun_info *lli)
{
	struct glun_info *gli = lli->parent;

	list_del(&lli->list);
	kfree_rcu(lli, rcu);
	if (--gli->nr_lluns)
		return;
	list_del(&gli->list);
	cxlflash_ba_terminate(&gli->blka);
	mutex_destroy(&gli->mutex);
	kfree_rcu(gli, rcu);
}

/**
 * cxlflash_lun_get() - bind an ioctl to the LUN of its device
 * @sdev: device the ioctl was issued on.
 *
 * sdev->hostdata is read once, here, under global.mutex, and the binding
 * counted in lli->ioctls until cxlflash_lun_put(): MANAGE_LUN DISABLE,
 * which clears hostdata under the same mutex, refuses with -EBUSY while
 * the count is not zero.  So for as long as an ioctl holds the binding
 * the path stays enabled for this LUN, whatever locks the handler drops.
 * Lock order: ioctl_rwsem (read) -> global.mutex; no other lock held.
 *
 * Return: the LUN record, or NULL when the path is not enabled.
 */
struct llun_info *cxlflash_lun_get(struct scsi_device *sdev)
{
	struct llun_info *lli;

	mutex_lock(&global.mutex);
	lli = sdev->hostdata;
	if (lli)
		atomic_inc(&lli->ioctls);
	mutex_unlock(&global.mutex);
	return lli;
}

/* End of the ioctl: the binding taken by cxlflash_lun_get() goes. */
void cxlflash_lun_put(struct llun_info *lli)
{
	atomic_dec(&lli->ioctls);
}

/*
 * The caller names the LUN by WWID.  When the device reported a 16-byte
 * NAA designator in VPD page 0x83 the WWID must be that one, so that one
 * record can never describe two LUNs.
 */
static bool sdev_naa_wwid(struct scsi_device *sdev, u8 *wwid)
{
	const struct scsi_vpd *vpd;
	const u8 *d, *end;
	bool found = false;

	rcu_read_lock();
	vpd = rcu_dereference(sdev->vpd_pg83);
	if (!vpd || vpd->len < 4)
		goto out;

	d = vpd->data + 4;
	end = vpd->data + min_t(size_t, vpd->len,
				4 + get_unaligned_be16(&vpd->data[2]));
	while (d + 4 <= end && d + 4 + d[3] <= end) {
		/* NAA designator (type 3), 16 bytes, LUN association */
		if ((d[1] & 0x0F) == 0x3 && ((d[1] >> 4) & 0x3) == 0 &&
		    d[3] == CXLFLASH_WWID_LEN) {
			memcpy(wwid, d + 4, CXLFLASH_WWID_LEN);
			found = true;
			break;
		}
		d += 4 + d[3];
	}
out:
	rcu_read_unlock();
	return found;
}

static int check_wwid(struct scsi_device *sdev, const u8 *wwid)
{
	u8 naa[CXLFLASH_WWID_LEN];

	/* no 16-byte NAA designator to compare with: any WWID */
	if (!sdev_naa_wwid(sdev, naa))
		return 0;
	return memcmp(naa, wwid, CXLFLASH_WWID_LEN) ? -EINVAL : 0;
}

/**
 * cxlflash_manage_lun() - DK_CXLFLASH_MANAGE_LUN
 * @sdev: device the ioctl was issued on.
 * @unused: the LUN binding of other ioctls, NULL here.
 * @arg: struct dk_cxlflash_manage_lun.
 *
 * ENABLE_SUPERPIPE enables this path of the LUN for the superpipe,
 * DISABLE_SUPERPIPE returns it to legacy use (refused with -EBUSY while
 * contexts use it or other ioctls on the LUN are in flight, see
 * cxlflash_lun_get()), no flag just registers the WWID.  Runs without a
 * LUN binding (the dispatcher passes none).
 *
 * Return: 0, -EINVAL, -EBUSY or -ENOMEM.
 */
int cxlflash_manage_lun(struct scsi_device *sdev,
			struct llun_info *unused, void *arg)
{
	struct dk_cxlflash_manage_lun *manage = arg;
	u64 flags = manage->hdr.flags;
	u32 chan = sdev->channel;
	struct llun_info *lli;
	struct glun_info *gli;
	int rc = 0;

	if ((flags & DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE) &&
	    (flags & DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE))
		return -EINVAL;
	if (!memchr_inv(manage->wwid, 0, sizeof(manage->wwid)))
		return -EINVAL;
	if (chan >= CXLFLASH_MAX_FC_PORTS)
		return -EINVAL;
	rc = check_wwid(sdev, manage->wwid);
	if (rc)
		return rc;

	mutex_lock(&global.mutex);
	lli = find_and_create_lun(sdev, manage->wwid);
	if (!lli) {
		rc = -ENOMEM;
		goto out;
	}
	gli = lli->parent;

	if (sdev->hostdata && sdev->hostdata != lli) {
		/* already enabled under another WWID */
		rc = -EINVAL;
		goto out;
	}

	if (flags & DK_CXLFLASH_MANAGE_LUN_ENABLE_SUPERPIPE) {
		if (!sdev->hostdata) {
			lli->port_sel |= 1U << chan;
			lli->lun_id[chan] = lun_to_lunid(sdev->lun);
			WRITE_ONCE(sdev->hostdata, lli);
		}
	} else if (flags & DK_CXLFLASH_MANAGE_LUN_DISABLE_SUPERPIPE) {
		if (!sdev->hostdata)
			goto out;
		mutex_lock(&gli->mutex);
		/* handles, attached contexts or ioctls in flight use it */
		if (gli->mode != MODE_NONE || atomic_read(&lli->attach_cnt) ||
		    atomic_read(&lli->ioctls)) {
			mutex_unlock(&gli->mutex);
			rc = -EBUSY;
			goto out;
		}
		mutex_unlock(&gli->mutex);
		WRITE_ONCE(sdev->hostdata, NULL);
		lli->port_sel &= ~(1U << chan);
		if (lli->port_sel == 0)
			cxlflash_release_luntable(shost_to_cfg(sdev->host), lli);
	}
	manage->hdr.return_flags = 0;
out:
	mutex_unlock(&global.mutex);
	return rc;
}

/* Contexts, handles or ioctls use the LUN; global.mutex held */
static bool cxlflash_lun_busy_locked(struct llun_info *lli)
{
	struct glun_info *gli = lli->parent;
	bool busy;

	mutex_lock(&gli->mutex);
	busy = gli->mode != MODE_NONE || atomic_read(&lli->attach_cnt) ||
	       atomic_read(&lli->ioctls);
	mutex_unlock(&gli->mutex);
	return busy;
}

/**
 * cxlflash_lun_busy() - is a path in use by the superpipe?
 * @sdev: SCSI device about to be removed (LUN deletion).
 *
 * Return: -EBUSY when the path is enabled for the superpipe and the LUN
 * has resource handles, attached contexts or ioctls in flight, else 0.
 */
int cxlflash_lun_busy(struct scsi_device *sdev)
{
	struct llun_info *lli;
	int rc = 0;

	mutex_lock(&global.mutex);
	lli = sdev->hostdata;
	if (lli && cxlflash_lun_busy_locked(lli))
		rc = -EBUSY;
	mutex_unlock(&global.mutex);
	return rc;
}

/*
 * Does a SCSI device of the host other than @gone point at @lli?  port_sel
 * has one bit per port, so two devices of one LUN on a port (a target
 * reporting one WWID twice) would hide each other.  The host's device list
 * holds every device until it is released, after its slave_destroy.
 * Called with global.mutex held (hostdata is written under it).
 */
static bool lun_still_bound(struct Scsi_Host *host, struct llun_info *lli,
			    struct scsi_device *gone)
{
	struct scsi_device *s;
	unsigned long flags;
	bool bound = false;

	spin_lock_irqsave(host->host_lock, flags);
	list_for_each_entry(s, &host->__devices, siblings)
		if (s != gone && READ_ONCE(s->hostdata) == lli) {
			bound = true;
			break;
		}
	spin_unlock_irqrestore(host->host_lock, flags);
	return bound;
}

/**
 * cxlflash_lun_forget_path() - forget a path that goes away
 * @sdev: SCSI device being removed (the host template's slave_destroy).
 *
 * As MANAGE_LUN DISABLE_SUPERPIPE when the path is idle.  When no other
 * path of the adapter is enabled for the LUN either, the adapter's record
 * of it goes too (a record made by MANAGE_LUN without flags as well), and
 * the global record with the last adapter's: a deleted LUN leaves nothing
 * behind, and a LUN that comes back never inherits a stale capacity.  A
 * path in use (handles, attached contexts, ioctls in flight) keeps its
 * record, which then lives until the adapter goes; its users see I/O
 * errors once the LUN is gone.
 */
void cxlflash_lun_forget_path(struct scsi_device *sdev)
{
	struct cxlflash_cfg *cfg = shost_to_cfg(sdev->host);
	u8 wwid[CXLFLASH_WWID_LEN];
	u32 chan = sdev->channel;
	struct llun_info *lli;

	mutex_lock(&global.mutex);
	lli = sdev->hostdata;
	if (lli) {
		if (cxlflash_lun_busy_locked(lli))
			goto out;
		WRITE_ONCE(sdev->hostdata, NULL);
		lli->port_sel &= ~(1U << chan);
		if (lli->port_sel == 0)
			cxlflash_release_luntable(cfg, lli);
	} else if (sdev_naa_wwid(sdev, wwid)) {
		lli = lookup_local(cfg, wwid);
	}
	if (lli && lli->port_sel == 0 && !cxlflash_lun_busy_locked(lli) &&
	    !lun_still_bound(sdev->host, lli, sdev))
		free_records_locked(lli);
out:
	mutex_unlock(&global.mutex);
}

/**
 * cxlflash_sdev_superpipe() - is this path enabled for the superpipe?
 * @sdev: SCSI device.
 *
 * Return: true when MANAGE_LUN enabled it.
 */
bool cxlflash_sdev_superpipe(struct scsi_device *sdev)
{
	return !!READ_ONCE(sdev->hostdata);
}

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct scsi_device *sdev = to_scsi_device(dev);

	return sysfs_emit(buf, "%s\n", cxlflash_sdev_superpipe(sdev) ?
			  "superpipe" : "legacy");
}
static DEVICE_ATTR_RO(mode);

static struct attribute *cxlflash_dev_attrs[] = {
	&dev_attr_mode.attr,
	NULL
};

static const struct attribute_group cxlflash_dev_group = {
	.attrs = cxlflash_dev_attrs,
};

const struct attribute_group *cxlflash_sdev_groups[] = {
	&cxlflash_dev_group,
	NULL
};

void cxlflash_list_init(void)
{
	mutex_init(&global.mutex);
	INIT_LIST_HEAD(&global.gluns);
	global.err_page = NULL;
}

/* Forget an adapter's LUN records; its SCSI devices are gone already. */
void cxlflash_term_local_luns(struct cxlflash_cfg *cfg)
{
	struct llun_info *lli, *tmp;

	mutex_lock(&global.mutex);
	list_for_each_entry_safe(lli, tmp, &cfg->lluns, list)
		free_records_locked(lli);
	mutex_unlock(&global.mutex);
}

void cxlflash_term_global_luns(void)
{
	struct glun_info *gli, *tmp;

	mutex_lock(&global.mutex);
	list_for_each_entry_safe(gli, tmp, &global.gluns, list) {
		list_del(&gli->list);
		cxlflash_ba_terminate(&gli->blka);
		mutex_destroy(&gli->mutex);
		kfree(gli);
	}
	mutex_unlock(&global.mutex);
}
