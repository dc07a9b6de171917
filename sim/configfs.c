// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: run-time configuration of adapters and LUNs in configfs.
 *
 * /sys/kernel/config/cxlflash_sim/
 *	<adapter>/		mkdir: a new adapter, powered off
 *		nr_ports	number of FC ports, 1..4 (2)
 *		sq_mode		advertise SQ command mode, 0/1 (1)
 *		ioarrin_mode	advertise IOARRIN command mode, 0/1 (1)
 *		power		1: create the adapter and its enabled LUNs;
 *				0: destroy it (0)
 *		luns/
 *			<lun>/	mkdir: a new LUN, disabled
 *				size		bytes, K/M/G/T suffixes; 0: the
 *						size of the backing file, or
 *						1G on RAM (0)
 *				block_size	512 or 4096 (4096)
 *				ports		port mask; 0: every port (0)
 *				lun		SCSI LUN number 0..16383, or
 *						-1/auto: lowest free (auto)
 *				backing		file or block device path;
 *						empty: thin RAM ()
 *				enable		1: add the LUN (now if the
 *						adapter is powered, else at
 *						power-on); 0: remove it (0)
 *				wwid		read only: 32 hex digits while
 *						the LUN exists, else empty
 *
 * Adapter attributes other than power are -EBUSY while powered; LUN
 * attributes other than enable are -EBUSY while enabled.  rmdir of a
 * powered adapter or an enabled LUN powers it off or removes it first.
 * At power-on the enabled LUNs exist before the driver binds.  After a LUN
 * appears or disappears on a powered adapter, a "login succeeded" event is
 * raised on each of its ports so the driver rescans.
 */

#include <linux/configfs.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sim.h"

#define SIM_CFS_MAX_LUN		16384
#define SIM_CFS_RAM_SIZE	((u64)SZ_1G)	/* RAM LUN of size 0 */

/*
 * Serialises every configuration change made through configfs: attribute
 * stores, power and enable transitions, the LUN lists of the adapters.
 * Taken inside configfs' own locks; nothing called under it calls back into
 * configfs.
 */
static DEFINE_MUTEX(sim_cfs_lock);

struct sim_cfs_adapter {
	struct config_group group;
	struct config_group luns_group;		/* default group "luns" */
	struct sim_adapter_config cfg;
	struct sim_adapter *adapter;		/* non-NULL while powered */
	struct list_head luns;			/* of struct sim_cfs_lun */
};

struct sim_cfs_lun {
	struct config_item item;
	struct sim_cfs_adapter *adap;		/* parent; outlives the LUN */
	struct list_head node;			/* in adap->luns */
	u64 size;
	u32 block_size;
	u8 ports;				/* 0: all ports */
	int lun;				/* -1: lowest free */
	char *backing;				/* NULL: RAM */
	bool enabled;
	struct sim_lun *obj;			/* non-NULL while it exists */
	u64 lun_in_use;				/* its number while it exists */
};

static struct sim_cfs_adapter *to_sim_cfs_adapter(struct config_item *item)
{
	return container_of(to_config_group(item), struct sim_cfs_adapter,
			    group);
}

static struct sim_cfs_lun *to_sim_cfs_lun(struct config_item *item)
{
	return container_of(item, struct sim_cfs_lun, item);
}

/* The LOGI_S bit of @port in the asynchronous interrupt status register */
static u64 sim_cfs_logi_bit(unsigned int port)
{
	/* port 1 in bits 0-7, port 0 in 8-15, port 3 in 16-23, port 2 in 24-31 */
	static const u8 shift[CXLFLASH_MAX_FC_PORTS] = { 8, 0, 24, 16 };

	return SISL_ASTATUS_FC1_LOGI_S << shift[port];
}

static void sim_cfs_port_events(struct sim_cfs_adapter *adap, u8 mask)
{
	unsigned int p;

	for (p = 0; p < adap->cfg.nports; p++)
		if (mask & BIT(p))
			sim_adapter_port_event(adap->adapter, p,
					       sim_cfs_logi_bit(p));
}

static u8 sim_cfs_lun_ports(struct sim_cfs_lun *l)
{
	return l->ports ? l->ports : SISL_PORT_MASK(l->adap->cfg.nports);
}

/* The lowest LUN number no other existing LUN uses on a port of @l */
static int sim_cfs_free_lun(struct sim_cfs_lun *l)
{
	u8 ports = sim_cfs_lun_ports(l);
	struct sim_cfs_lun *o;
	int n;

	for (n = 0; n < SIM_CFS_MAX_LUN; n++) {
		bool used = false;

		list_for_each_entry(o, &l->adap->luns, node) {
			if (o->obj && o->lun_in_use == n &&
			    (sim_cfs_lun_ports(o) & ports)) {
				used = true;
				break;
			}
		}
		if (!used)
			return n;
	}
	return -ENOSPC;
}

/* Add @l to its powered adapter.  Caller holds sim_cfs_lock. */
static int sim_cfs_lun_start(struct sim_cfs_lun *l)
{
	struct sim_lun_config cfg = {
		.size = l->size,
		.block_size = l->block_size,
		.port_mask = sim_cfs_lun_ports(l),
		.backing = l->backing,
	};
	struct sim_lun *obj;
	int n = l->lun;

	lockdep_assert_held(&sim_cfs_lock);
	if (!cfg.size && !cfg.backing)
		cfg.size = SIM_CFS_RAM_SIZE;
	if (n < 0) {
		n = sim_cfs_free_lun(l);
		if (n < 0)
			return n;
	}
	cfg.lun = n;
	obj = sim_lun_add(sim_adapter_fabric(l->adap->adapter), &cfg);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	l->obj = obj;
	l->lun_in_use = n;
	return 0;
}

/* Remove @l from its powered adapter.  Caller holds sim_cfs_lock. */
static void sim_cfs_lun_stop(struct sim_cfs_lun *l)
{
	lockdep_assert_held(&sim_cfs_lock);
	sim_lun_remove(sim_adapter_fabric(l->adap->adapter), l->obj);
	l->obj = NULL;
}

/* ---------------------------------------------------------------------- */
/* LUN attributes                                                         */
/* ---------------------------------------------------------------------- */

/* Common prologue of the LUN stores: -EBUSY once enabled */
static int sim_cfs_lun_lock_idle(struct sim_cfs_lun *l)
{
	mutex_lock(&sim_cfs_lock);
	if (l->enabled) {
		mutex_unlock(&sim_cfs_lock);
		return -EBUSY;
	}
	return 0;
}

static ssize_t sim_cfs_lun_size_show(struct config_item *item, char *page)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	n = sprintf(page, "%llu\n", l->size);
	mutex_unlock(&sim_cfs_lock);
	return n;
}

static ssize_t sim_cfs_lun_size_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	char *end;
	u64 size;
	int rc;

	size = memparse(page, &end);
	if (end == page || (*end && !isspace(*end)))
		return -EINVAL;
	rc = sim_cfs_lun_lock_idle(l);
	if (rc)
		return rc;
	l->size = size;
	mutex_unlock(&sim_cfs_lock);
	return count;
}

static ssize_t sim_cfs_lun_block_size_show(struct config_item *item,
					   char *page)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	n = sprintf(page, "%u\n", l->block_size);
	mutex_unlock(&sim_cfs_lock);
	return n;
}

static ssize_t sim_cfs_lun_block_size_store(struct config_item *item,
					    const char *page, size_t count)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	unsigned int bs;
	int rc;

	rc = kstrtouint(page, 0, &bs);
	if (rc)
		return rc;
	if (bs != 512 && bs != 4096)
		return -EINVAL;
	rc = sim_cfs_lun_lock_idle(l);
	if (rc)
		return rc;
	l->block_size = bs;
	mutex_unlock(&sim_cfs_lock);
	return count;
}

static ssize_t sim_cfs_lun_ports_show(struct config_item *item, char *page)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	n = sprintf(page, "%u\n", l->ports);
	mutex_unlock(&sim_cfs_lock);
	return n;
}

static ssize_t sim_cfs_lun_ports_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	u8 mask;
	int rc;

	rc = kstrtou8(page, 0, &mask);
	if (rc)
		return rc;
	if (mask & ~SISL_PORT_MASK(CXLFLASH_MAX_FC_PORTS))
		return -EINVAL;
	rc = sim_cfs_lun_lock_idle(l);
	if (rc)
		return rc;
	l->ports = mask;
	mutex_unlock(&sim_cfs_lock);
	return count;
}

static ssize_t sim_cfs_lun_lun_show(struct config_item *item, char *page)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	if (l->obj)
		n = sprintf(page, "%llu\n", l->lun_in_use);
	else if (l->lun < 0)
		n = sprintf(page, "auto\n");
	else
		n = sprintf(page, "%d\n", l->lun);
	mutex_unlock(&sim_cfs_lock);
	return n;
}

static ssize_t sim_cfs_lun_lun_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	int n, rc;

	if (sysfs_streq(page, "auto")) {
		n = -1;
	} else {
		rc = kstrtoint(page, 0, &n);
		if (rc)
			return rc;
		if (n < -1 || n >= SIM_CFS_MAX_LUN)
			return -EINVAL;
	}
	rc = sim_cfs_lun_lock_idle(l);
	if (rc)
		return rc;
	l->lun = n;
	mutex_unlock(&sim_cfs_lock);
	return count;
}

static ssize_t sim_cfs_lun_backing_show(struct config_item *item, char *page)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	n = snprintf(page, PAGE_SIZE, "%s\n", l->backing ? l->backing : "");
	mutex_unlock(&sim_cfs_lock);
	return n;
}

static ssize_t sim_cfs_lun_backing_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	size_t len = count;
	char *path = NULL;
	int rc;

	while (len && isspace(page[len - 1]))
		len--;
	if (len) {
		path = kstrndup(page, len, GFP_KERNEL);
		if (!path)
			return -ENOMEM;
	}
	rc = sim_cfs_lun_lock_idle(l);
	if (rc) {
		kfree(path);
		return rc;
	}
	kfree(l->backing);
	l->backing = path;
	mutex_unlock(&sim_cfs_lock);
	return count;
}

static ssize_t sim_cfs_lun_enable_show(struct config_item *item, char *page)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	n = sprintf(page, "%d\n", l->enabled);
	mutex_unlock(&sim_cfs_lock);
	return n;
}

static ssize_t sim_cfs_lun_enable_store(struct config_item *item,
					const char *page, size_t count)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	struct sim_cfs_adapter *adap = l->adap;
	bool enable;
	u8 ports;
	int rc;

	rc = kstrtobool(page, &enable);
	if (rc)
		return rc;

	mutex_lock(&sim_cfs_lock);
	if (enable == l->enabled)
		goto out;
	if (adap->adapter) {
		ports = sim_cfs_lun_ports(l);
		if (enable) {
			rc = sim_cfs_lun_start(l);
			if (rc)
				goto out;
		} else {
			sim_cfs_lun_stop(l);
		}
		sim_cfs_port_events(adap, ports);
	}
	l->enabled = enable;
out:
	mutex_unlock(&sim_cfs_lock);
	return rc ? rc : count;
}

static ssize_t sim_cfs_lun_wwid_show(struct config_item *item, char *page)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	u8 wwid[16];
	ssize_t n = 0;

	mutex_lock(&sim_cfs_lock);
	if (l->obj) {
		sim_lun_get_wwid(l->obj, wwid);
		n = sprintf(page, "%16phN\n", wwid);
	}
	mutex_unlock(&sim_cfs_lock);
	return n;
}

CONFIGFS_ATTR(sim_cfs_lun_, size);
CONFIGFS_ATTR(sim_cfs_lun_, block_size);
CONFIGFS_ATTR(sim_cfs_lun_, ports);
CONFIGFS_ATTR(sim_cfs_lun_, lun);
CONFIGFS_ATTR(sim_cfs_lun_, backing);
CONFIGFS_ATTR(sim_cfs_lun_, enable);
CONFIGFS_ATTR_RO(sim_cfs_lun_, wwid);

static struct configfs_attribute *sim_cfs_lun_attrs[] = {
	&sim_cfs_lun_attr_size,
	&sim_cfs_lun_attr_block_size,
	&sim_cfs_lun_attr_ports,
	&sim_cfs_lun_attr_lun,
	&sim_cfs_lun_attr_backing,
	&sim_cfs_lun_attr_enable,
	&sim_cfs_lun_attr_wwid,
	NULL,
};

static void sim_cfs_lun_release(struct config_item *item)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);

	kfree(l->backing);
	kfree(l);
}

static struct configfs_item_operations sim_cfs_lun_item_ops = {
	.release = sim_cfs_lun_release,
};

static const struct config_item_type sim_cfs_lun_type = {
	.ct_item_ops = &sim_cfs_lun_item_ops,
	.ct_attrs = sim_cfs_lun_attrs,
	.ct_owner = THIS_MODULE,
};

/* ---------------------------------------------------------------------- */
/* The luns/ group of an adapter                                          */
/* ---------------------------------------------------------------------- */

static struct config_item *sim_cfs_lun_make(struct config_group *group,
					    const char *name)
{
	struct sim_cfs_adapter *adap =
		container_of(group, struct sim_cfs_adapter, luns_group);
	struct sim_cfs_lun *l;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return ERR_PTR(-ENOMEM);
	config_item_init_type_name(&l->item, name, &sim_cfs_lun_type);
	l->adap = adap;
	l->block_size = 4096;
	l->lun = -1;

	mutex_lock(&sim_cfs_lock);
	list_add_tail(&l->node, &adap->luns);
	mutex_unlock(&sim_cfs_lock);
	return &l->item;
}

static void sim_cfs_lun_drop(struct config_group *group,
			     struct config_item *item)
{
	struct sim_cfs_lun *l = to_sim_cfs_lun(item);
	u8 ports;

	mutex_lock(&sim_cfs_lock);
	if (l->obj) {
		ports = sim_cfs_lun_ports(l);
		sim_cfs_lun_stop(l);
		sim_cfs_port_events(l->adap, ports);
	}
	l->enabled = false;
	list_del(&l->node);
	mutex_unlock(&sim_cfs_lock);
	config_item_put(item);
}

static struct configfs_group_operations sim_cfs_luns_group_ops = {
	.make_item = sim_cfs_lun_make,
	.drop_item = sim_cfs_lun_drop,
};

static const struct config_item_type sim_cfs_luns_type = {
	.ct_group_ops = &sim_cfs_luns_group_ops,
	.ct_owner = THIS_MODULE,
};

/* ---------------------------------------------------------------------- */
/* Adapter attributes                                                     */
/* ---------------------------------------------------------------------- */

/*
 * Power the adapter on with its enabled LUNs, added before the adapter is
 * registered so the driver finds them when it binds.  Caller holds
 * sim_cfs_lock.
 */
static int sim_cfs_power_on(struct sim_cfs_adapter *adap)
{
	struct sim_adapter *a;
	struct sim_cfs_lun *l;
	int rc;

	lockdep_assert_held(&sim_cfs_lock);
	if (!adap->cfg.sq_mode && !adap->cfg.ioarrin_mode)
		return -EINVAL;
	a = sim_adapter_alloc(config_item_name(&adap->group.cg_item),
			      &adap->cfg);
	if (IS_ERR(a))
		return PTR_ERR(a);
	adap->adapter = a;

	list_for_each_entry(l, &adap->luns, node) {
		if (!l->enabled)
			continue;
		rc = sim_cfs_lun_start(l);
		if (rc)
			goto err;
	}
	rc = sim_adapter_register(a);
	if (rc)
		goto err;
	return 0;

err:
	list_for_each_entry(l, &adap->luns, node)
		if (l->obj)
			sim_cfs_lun_stop(l);
	sim_adapter_destroy(a);
	adap->adapter = NULL;
	return rc;
}

/* Caller holds sim_cfs_lock. */
static void sim_cfs_power_off(struct sim_cfs_adapter *adap)
{
	struct sim_cfs_lun *l;

	lockdep_assert_held(&sim_cfs_lock);
	/*
	 * Destroying the adapter unbinds the driver first, then tears down
	 * the fabric with every LUN on it; the LUN objects go with it.
	 */
	sim_adapter_destroy(adap->adapter);
	adap->adapter = NULL;
	list_for_each_entry(l, &adap->luns, node)
		l->obj = NULL;
}

static ssize_t sim_cfs_adapter_show_uint(unsigned int v, char *page)
{
	return sprintf(page, "%u\n", v);
}

static ssize_t sim_cfs_adapter_nr_ports_show(struct config_item *item,
					     char *page)
{
	struct sim_cfs_adapter *adap = to_sim_cfs_adapter(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	n = sim_cfs_adapter_show_uint(adap->cfg.nports, page);
	mutex_unlock(&sim_cfs_lock);
	return n;
}

static ssize_t sim_cfs_adapter_nr_ports_store(struct config_item *item,
					      const char *page, size_t count)
{
	struct sim_cfs_adapter *adap = to_sim_cfs_adapter(item);
	unsigned int v;
	int rc;

	rc = kstrtouint(page, 0, &v);
	if (rc)
		return rc;
	if (v < 1 || v > CXLFLASH_MAX_FC_PORTS)
		return -EINVAL;
	mutex_lock(&sim_cfs_lock);
	if (adap->adapter)
		rc = -EBUSY;
	else
		adap->cfg.nports = v;
	mutex_unlock(&sim_cfs_lock);
	return rc ? rc : count;
}

static ssize_t sim_cfs_adapter_sq_mode_show(struct config_item *item,
					    char *page)
{
	struct sim_cfs_adapter *adap = to_sim_cfs_adapter(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	n = sim_cfs_adapter_show_uint(adap->cfg.sq_mode, page);
	mutex_unlock(&sim_cfs_lock);
	return n;
}

/* Store a boolean of the adapter's configuration; -EBUSY while powered */
static ssize_t sim_cfs_adapter_store_bool(struct sim_cfs_adapter *adap,
					  bool *field, const char *page,
					  size_t count)
{
	bool v;
	int rc;

	rc = kstrtobool(page, &v);
	if (rc)
		return rc;
	mutex_lock(&sim_cfs_lock);
	if (adap->adapter)
		rc = -EBUSY;
	else
		*field = v;
	mutex_unlock(&sim_cfs_lock);
	return rc ? rc : count;
}

static ssize_t sim_cfs_adapter_sq_mode_store(struct config_item *item,
					     const char *page, size_t count)
{
	struct sim_cfs_adapter *adap = to_sim_cfs_adapter(item);

	return sim_cfs_adapter_store_bool(adap, &adap->cfg.sq_mode, page,
					  count);
}

static ssize_t sim_cfs_adapter_ioarrin_mode_show(struct config_item *item,
						 char *page)
{
	struct sim_cfs_adapter *adap = to_sim_cfs_adapter(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	n = sim_cfs_adapter_show_uint(adap->cfg.ioarrin_mode, page);
	mutex_unlock(&sim_cfs_lock);
	return n;
}

static ssize_t sim_cfs_adapter_ioarrin_mode_store(struct config_item *item,
						  const char *page,
						  size_t count)
{
	struct sim_cfs_adapter *adap = to_sim_cfs_adapter(item);

	return sim_cfs_adapter_store_bool(adap, &adap->cfg.ioarrin_mode, page,
					  count);
}

static ssize_t sim_cfs_adapter_power_show(struct config_item *item,
					  char *page)
{
	struct sim_cfs_adapter *adap = to_sim_cfs_adapter(item);
	ssize_t n;

	mutex_lock(&sim_cfs_lock);
	n = sim_cfs_adapter_show_uint(!!adap->adapter, page);
	mutex_unlock(&sim_cfs_lock);
	return n;
}

static ssize_t sim_cfs_adapter_power_store(struct config_item *item,
					   const char *page, size_t count)
{
	struct sim_cfs_adapter *adap = to_sim_cfs_adapter(item);
	bool on;
	int rc;

	rc = kstrtobool(page, &on);
	if (rc)
		return rc;
	mutex_lock(&sim_cfs_lock);
	if (on && !adap->adapter)
		rc = sim_cfs_power_on(adap);
	else if (!on && adap->adapter)
		sim_cfs_power_off(adap);
	mutex_unlock(&sim_cfs_lock);
	return rc ? rc : count;
}

CONFIGFS_ATTR(sim_cfs_adapter_, nr_ports);
CONFIGFS_ATTR(sim_cfs_adapter_, sq_mode);
CONFIGFS_ATTR(sim_cfs_adapter_, ioarrin_mode);
CONFIGFS_ATTR(sim_cfs_adapter_, power);

static struct configfs_attribute *sim_cfs_adapter_attrs[] = {
	&sim_cfs_adapter_attr_nr_ports,
	&sim_cfs_adapter_attr_sq_mode,
	&sim_cfs_adapter_attr_ioarrin_mode,
	&sim_cfs_adapter_attr_power,
	NULL,
};

static void sim_cfs_adapter_release(struct config_item *item)
{
	kfree(to_sim_cfs_adapter(item));
}

static struct configfs_item_operations sim_cfs_adapter_item_ops = {
	.release = sim_cfs_adapter_release,
};

static const struct config_item_type sim_cfs_adapter_type = {
	.ct_item_ops = &sim_cfs_adapter_item_ops,
	.ct_attrs = sim_cfs_adapter_attrs,
	.ct_owner = THIS_MODULE,
};

/* ---------------------------------------------------------------------- */
/* The subsystem                                                          */
/* ---------------------------------------------------------------------- */

static struct config_group *sim_cfs_adapter_make(struct config_group *group,
						 const char *name)
{
	struct sim_cfs_adapter *adap;

	adap = kzalloc(sizeof(*adap), GFP_KERNEL);
	if (!adap)
		return ERR_PTR(-ENOMEM);
	adap->cfg.nports = 2;
	adap->cfg.sq_mode = true;
	adap->cfg.ioarrin_mode = true;
	INIT_LIST_HEAD(&adap->luns);
	config_group_init_type_name(&adap->group, name, &sim_cfs_adapter_type);
	config_group_init_type_name(&adap->luns_group, "luns",
				    &sim_cfs_luns_type);
	configfs_add_default_group(&adap->luns_group, &adap->group);
	return &adap->group;
}

/* Every LUN directory is gone by now: configfs refuses rmdir otherwise */
static void sim_cfs_adapter_drop(struct config_group *group,
				 struct config_item *item)
{
	struct sim_cfs_adapter *adap = to_sim_cfs_adapter(item);

	mutex_lock(&sim_cfs_lock);
	if (adap->adapter)
		sim_cfs_power_off(adap);
	mutex_unlock(&sim_cfs_lock);
	config_item_put(item);
}

static struct configfs_group_operations sim_cfs_root_group_ops = {
	.make_group = sim_cfs_adapter_make,
	.drop_item = sim_cfs_adapter_drop,
};

static const struct config_item_type sim_cfs_root_type = {
	.ct_group_ops = &sim_cfs_root_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem sim_cfs_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "cxlflash_sim",
			.ci_type = &sim_cfs_root_type,
		},
	},
};

int sim_configfs_init(void)
{
	config_group_init(&sim_cfs_subsys.su_group);
	mutex_init(&sim_cfs_subsys.su_mutex);
	return configfs_register_subsystem(&sim_cfs_subsys);
}

/*
 * Every directory made under the subsystem holds a reference on this
 * module, so none is left when the module exits.
 */
void sim_configfs_exit(void)
{
	configfs_unregister_subsystem(&sim_cfs_subsys);
}
