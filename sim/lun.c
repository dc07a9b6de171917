// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: the Fibre Channel fabric behind an emulated AFU's ports.
 *
 * Each adapter owns a struct sim_fabric holding its LUNs.  A LUN is visible
 * on every port of its port mask, under one SCSI LUN number.  This file
 * keeps the LUN objects: lookup, references, pending unit attentions, the
 * configuration (add, remove, reset) and the LUNs the AFU provisions.  The
 * SCSI commands a LUN answers are in scsi.c, its data in store.c.
 *
 * Lifetime: the fabric's list holds one reference on each LUN.  Commands
 * look the LUN up under RCU and take their own reference, so a LUN removed
 * while a command runs is freed when that command finishes.
 */

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/unaligned.h>

#include "lun.h"

/* ---------------------------------------------------------------------- */
/* LUN lookup, references and unit attentions                             */
/* ---------------------------------------------------------------------- */

static void sim_lun_release(struct kref *kref)
{
	struct sim_lun *lun = container_of(kref, struct sim_lun, kref);
	unsigned long idx;
	struct page *page;

	xa_for_each(&lun->pages, idx, page) {
		put_page(page);
		cond_resched();
	}
	xa_destroy(&lun->pages);
	if (lun->file)
		filp_close(lun->file, NULL);
	kfree(lun);
}

void sim_lun_put(struct sim_lun *lun)
{
	kref_put(&lun->kref, sim_lun_release);
}

bool sim_lun_on_port(const struct sim_lun *lun, unsigned int port)
{
	return port < CXLFLASH_MAX_FC_PORTS && (lun->port_mask & BIT(port));
}

/* Returns the LUN @lunid seen on @port with a reference, or NULL. */
struct sim_lun *sim_lun_find(struct sim_fabric *fab, unsigned int port,
			     u64 lunid)
{
	struct sim_lun *lun, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(lun, &fab->luns, node) {
		if (lun->lun == lunid && sim_lun_on_port(lun, port)) {
			if (kref_get_unless_zero(&lun->kref))
				found = lun;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/* Queue @asc on @port; a pending power-on/reset outranks anything else. */
static void sim_ua_set_port(struct sim_lun *lun, unsigned int port, u16 asc)
{
	u16 old = lun->ua[port];

	if (old && (old >> 8) == (SIM_ASC_POWER_ON_RESET >> 8) &&
	    (asc >> 8) != (SIM_ASC_POWER_ON_RESET >> 8))
		return;
	lun->ua[port] = asc;
}

static void sim_ua_set(struct sim_lun *lun, u8 ports, u16 asc)
{
	unsigned int p;

	spin_lock(&lun->ua_lock);
	for (p = 0; p < CXLFLASH_MAX_FC_PORTS; p++)
		if (ports & lun->port_mask & BIT(p))
			sim_ua_set_port(lun, p, asc);
	spin_unlock(&lun->ua_lock);
}

void sim_lun_set_ua(struct sim_lun *lun, u8 asc, u8 ascq)
{
	sim_ua_set(lun, lun->port_mask, (u16)asc << 8 | ascq);
}

/* Take the pending unit attention of @port; 0 if none. */
u16 sim_ua_take(struct sim_lun *lun, unsigned int port)
{
	u16 asc;

	spin_lock(&lun->ua_lock);
	asc = lun->ua[port];
	lun->ua[port] = 0;
	spin_unlock(&lun->ua_lock);
	return asc;
}

/* Tell the other LUNs sharing a port with @lun that the inventory changed */
void sim_ua_luns_changed(struct sim_fabric *fab, struct sim_lun *lun)
{
	struct sim_lun *l;

	lockdep_assert_held(&fab->lock);
	list_for_each_entry(l, &fab->luns, node)
		if (l != lun && (l->port_mask & lun->port_mask))
			sim_ua_set(l, lun->port_mask, SIM_ASC_LUNS_CHANGED);
}

/* ---------------------------------------------------------------------- */
/* Configuration                                                          */
/* ---------------------------------------------------------------------- */

void sim_fabric_init(struct sim_fabric *fab, unsigned int nports, u64 wwid_base)
{
	mutex_init(&fab->lock);
	INIT_LIST_HEAD(&fab->luns);
	fab->nports = nports;
	fab->wwid_base = wwid_base;
	fab->next_serial = 1;
}

void sim_fabric_destroy(struct sim_fabric *fab)
{
	struct sim_lun *lun, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&fab->lock);
	/* Waits for a grace period before reusing the nodes */
	list_splice_init_rcu(&fab->luns, &dead, synchronize_rcu);
	mutex_unlock(&fab->lock);

	list_for_each_entry_safe(lun, tmp, &dead, node) {
		list_del(&lun->node);
		sim_lun_put(lun);
	}
	mutex_destroy(&fab->lock);
}

/* Open the backing file or block device; sets lun->file, returns its size */
static int sim_lun_open_backing(struct sim_lun *lun, const char *path,
				loff_t *fsize)
{
	struct file *file;
	umode_t mode;

	file = filp_open(path, O_RDWR | O_LARGEFILE, 0);
	if (IS_ERR(file))
		return PTR_ERR(file);
	mode = file_inode(file)->i_mode;
	if (!S_ISREG(mode) && !S_ISBLK(mode)) {
		filp_close(file, NULL);
		return -EINVAL;
	}
	lun->file = file;
	*fsize = i_size_read(file->f_mapping->host);
	return 0;
}

/*
 * NAA-6 designator: NAA nibble, 24-bit IEEE company id, 36 bits of vendor
 * specific identifier (from the adapter's base) and a 64-bit extension
 * (rest of the base and the LUN's serial within the adapter).
 */
static void sim_lun_make_wwid(struct sim_lun *lun, u64 base, u32 serial)
{
	u64 hi, lo;

	hi = 6ULL << 60 | SIM_IEEE_OUI << 36 | (base & 0xFFFFFFFFFULL);
	lo = (base >> 36) << 32 | serial;
	put_unaligned_be64(hi, &lun->wwid[0]);
	put_unaligned_be64(lo, &lun->wwid[8]);
	snprintf(lun->serial, sizeof(lun->serial), "%09llX%08X",
		 base & 0xFFFFFFFFFULL, serial);
}

struct sim_lun *sim_lun_add(struct sim_fabric *fab,
			    const struct sim_lun_config *cfg)
{
	struct sim_lun *lun, *l;
	loff_t fsize = 0;
	u64 size;
	unsigned int p;
	int rc;

	if ((cfg->block_size != 512 && cfg->block_size != 4096) ||
	    !cfg->port_mask ||
	    (cfg->port_mask & ~SISL_PORT_MASK(fab->nports)) ||
	    cfg->lun >= SIM_MAX_LUN)
		return ERR_PTR(-EINVAL);

	lun = kzalloc(sizeof(*lun), GFP_KERNEL);
	if (!lun)
		return ERR_PTR(-ENOMEM);
	kref_init(&lun->kref);
	spin_lock_init(&lun->ua_lock);
	xa_init(&lun->pages);
	lun->lun = cfg->lun;
	lun->provisioned = cfg->provisioned;
	lun->port_mask = cfg->port_mask;
	lun->block_size = cfg->block_size;
	lun->block_shift = ilog2(cfg->block_size);
	/* A new LUN has just been powered on, as seen from every port */
	for (p = 0; p < CXLFLASH_MAX_FC_PORTS; p++)
		if (lun->port_mask & BIT(p))
			lun->ua[p] = SIM_ASC_POWER_ON_RESET;

	size = cfg->size;
	if (cfg->backing && cfg->backing[0]) {
		rc = sim_lun_open_backing(lun, cfg->backing, &fsize);
		if (rc)
			goto err;
		if (!size)
			size = fsize;
		/* A device cannot grow; a file can */
		rc = -EINVAL;
		if (S_ISBLK(file_inode(lun->file)->i_mode) && size > fsize)
			goto err;
	}
	size = round_down(size, cfg->block_size);
	rc = -EINVAL;
	if (!size || size > MAX_LFS_FILESIZE)
		goto err;
	lun->nblocks = size >> lun->block_shift;

	mutex_lock(&fab->lock);
	list_for_each_entry(l, &fab->luns, node) {
		if (l->lun == cfg->lun && (l->port_mask & cfg->port_mask)) {
			mutex_unlock(&fab->lock);
			rc = -EEXIST;
			goto err;
		}
	}
	sim_lun_make_wwid(lun, fab->wwid_base, fab->next_serial++);

	/* Keep the list sorted by LUN number for REPORT LUNS */
	list_for_each_entry(l, &fab->luns, node)
		if (l->lun > lun->lun)
			break;
	list_add_tail_rcu(&lun->node, &l->node);
	sim_ua_luns_changed(fab, lun);
	mutex_unlock(&fab->lock);
	return lun;

err:
	if (lun->file)
		filp_close(lun->file, NULL);
	kfree(lun);
	return ERR_PTR(rc);
}

void sim_lun_remove(struct sim_fabric *fab, struct sim_lun *lun)
{
	mutex_lock(&fab->lock);
	list_del_rcu(&lun->node);
	sim_ua_luns_changed(fab, lun);
	mutex_unlock(&fab->lock);
	synchronize_rcu();
	sim_lun_put(lun);
}

int sim_fabric_lun_reset(struct sim_fabric *fab, unsigned int port, u64 lun)
{
	struct sim_lun *l;

	if (port >= fab->nports)
		return -ENODEV;
	l = sim_lun_find(fab, port, lun);
	if (!l)
		return -ENODEV;
	/* A logical unit reset is seen by every I_T nexus */
	sim_lun_set_ua(l, SIM_ASC_POWER_ON_RESET >> 8, 0x03);
	sim_lun_put(l);
	return 0;
}

void sim_lun_get_wwid(struct sim_lun *lun, u8 wwid[16])
{
	memcpy(wwid, lun->wwid, 16);
}

void sim_fabric_port_stats(struct sim_fabric *fab, unsigned int port,
			   u64 *nluns, u64 *cap_4k)
{
	struct sim_lun *lun;
	u64 n = 0, cap = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(lun, &fab->luns, node) {
		if (!sim_lun_on_port(lun, port))
			continue;
		n++;
		cap += (lun->nblocks << lun->block_shift) >> 12;
	}
	rcu_read_unlock();
	*nluns = n;
	*cap_4k = cap;
}

/* ---------------------------------------------------------------------- */
/* LUN provisioning (hostcmd.c)                                           */
/* ---------------------------------------------------------------------- */

int sim_fabric_free_lun(struct sim_fabric *fab, unsigned int port, u64 *lunp)
{
	struct sim_lun *lun;
	u64 want = 0;

	/* the list is sorted by LUN number: the first gap on @port */
	mutex_lock(&fab->lock);
	list_for_each_entry(lun, &fab->luns, node) {
		if (!sim_lun_on_port(lun, port) || lun->lun < want)
			continue;
		if (lun->lun > want)
			break;
		want++;
	}
	mutex_unlock(&fab->lock);
	if (want >= SIM_MAX_LUN)
		return -ENOSPC;
	*lunp = want;
	return 0;
}

int sim_lun_remove_provisioned(struct sim_fabric *fab, unsigned int port,
			       u64 lunid)
{
	struct sim_lun *lun, *found = NULL;

	mutex_lock(&fab->lock);
	list_for_each_entry(lun, &fab->luns, node) {
		if (lun->lun == lunid && sim_lun_on_port(lun, port)) {
			if (lun->provisioned)
				found = lun;
			break;
		}
	}
	if (found) {
		list_del_rcu(&found->node);
		sim_ua_luns_changed(fab, found);
	}
	mutex_unlock(&fab->lock);
	if (!found)
		return -ENOENT;
	synchronize_rcu();
	sim_lun_put(found);
	return 0;
}

u64 sim_fabric_provisioned(struct sim_fabric *fab, unsigned int port)
{
	struct sim_lun *lun;
	u64 n = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(lun, &fab->luns, node)
		if (lun->provisioned && sim_lun_on_port(lun, port))
			n++;
	rcu_read_unlock();
	return n;
}

