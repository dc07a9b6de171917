// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: attributes of the SCSI host (/sys/class/scsi_host/hostN/).
 * Names and formats are ABI: Documentation/ABI/testing/
 * sysfs-class-scsi_host-cxlflash.  The per-device "mode" attribute is
 * lunmgt.c's.
 */

#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include <scsi/scsi_host.h>

#include "core.h"
#include "uapi/scsi/cxlflash_ioctl.h"

static struct cxlflash_cfg *dev_cfg(struct device *dev)
{
	return shost_to_cfg(class_to_shost(dev));
}

/* The PSA may be read: the adapter runs and is mapped. */
static bool cfg_live(struct cxlflash_cfg *cfg)
{
	return READ_ONCE(cfg->state) == STATE_NORMAL && cfg->afu->afu_map;
}

/* ---------------------------------------------------------------------- */
/* Per-port attributes: the port number rides in the attribute            */
/* ---------------------------------------------------------------------- */

static int attr_port(struct device_attribute *attr)
{
	return (int)(uintptr_t)container_of(attr, struct dev_ext_attribute,
					    attr)->var;
}

/* portN: "online", "offline" or "unknown" */
static ssize_t port_state_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct cxlflash_cfg *cfg = dev_cfg(dev);
	int port = attr_port(attr);

	if (port >= cfg->num_fc_ports)
		return -EINVAL;
	if (!cfg_live(cfg))
		return sysfs_emit(buf, "unknown\n");
	return sysfs_emit(buf, "%s\n", cxlflash_port_state(cfg, port));
}

/*
 * portN_lun_table: the programmed (non-zero) slots only, "index: lun_id"
 * a line, so that the table always fits in a page.
 */
static ssize_t port_luns_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct cxlflash_cfg *cfg = dev_cfg(dev);
	int port = attr_port(attr);
	__be64 __iomem *table;
	ssize_t len = 0;
	u64 id;
	int slot;

	if (port >= cfg->num_fc_ports)
		return -EINVAL;
	if (!cfg_live(cfg))
		return -ENODEV;

	table = cxlflash_port_luns(cfg, port);
	for (slot = 0; slot < CXLFLASH_NUM_VLUNS; slot++) {
		id = cxl_readq(&table[slot]);
		if (id)
			len += sysfs_emit_at(buf, len, "%03d: %016llx\n",
					     slot, id);
	}
	return len;
}

#define PORT_ATTR(_name, _show, _port)					\
	struct dev_ext_attribute dev_attr_##_name = {			\
		__ATTR(_name, 0444, _show, NULL), (void *)(_port)	\
	}

static PORT_ATTR(port0, port_state_show, 0);
static PORT_ATTR(port1, port_state_show, 1);
static PORT_ATTR(port2, port_state_show, 2);
static PORT_ATTR(port3, port_state_show, 3);
static PORT_ATTR(port0_lun_table, port_luns_show, 0);
static PORT_ATTR(port1_lun_table, port_luns_show, 1);
static PORT_ATTR(port2_lun_table, port_luns_show, 2);
static PORT_ATTR(port3_lun_table, port_luns_show, 3);

/* ---------------------------------------------------------------------- */
/* Adapter attributes                                                     */
/* ---------------------------------------------------------------------- */

static ssize_t lun_mode_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_cfg(dev)->afu->internal_lun);
}

/*
 * 0: the LUNs behind the FC ports.  1-4: the AFU's internal LUNs on port
 * 0 (SCSI channel 0), LUN ids 0 and 1:
 *   1: one LUN of 64Ki blocks of 512 bytes    2: one of 64Ki x 4 KiB
 *   3: two LUNs of 32Ki blocks of 512 bytes   4: two of 32Ki x 4 KiB
 * Writing the current mode does nothing and succeeds.  Another mode
 * removes the host's SCSI devices, restarts the AFU and scans the new
 * LUNs (see cxlflash_set_lun_mode(): EBUSY while user contexts exist).
 * Anything but a decimal 0-4 is EINVAL; the historical driver ignored it
 * silently.
 */
static ssize_t lun_mode_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct cxlflash_cfg *cfg = dev_cfg(dev);
	u32 mode;
	int rc = 0;

	if (kstrtouint(buf, 10, &mode) || mode > CXLFLASH_LUN_MODE_MAX)
		return -EINVAL;

	mutex_lock(&cfg->lun_mode_mutex);
	if (mode != READ_ONCE(cfg->afu->internal_lun))
		rc = cxlflash_set_lun_mode(cfg, mode);
	mutex_unlock(&cfg->lun_mode_mutex);
	return rc ? rc : count;
}
static DEVICE_ATTR_RW(lun_mode);

static ssize_t ioctl_version_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "disk: %u\nhost: %u\n", DK_CXLFLASH_VERSION_0,
			  HT_CXLFLASH_VERSION_0);
}
static DEVICE_ATTR_RO(ioctl_version);

static ssize_t irqpoll_weight_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_cfg(dev)->afu->irqpoll_weight);
}

/* A new weight takes effect when a quiet reset rebuilds the queues. */
static ssize_t irqpoll_weight_store(struct device *dev,
				    struct device_attribute *attr,
				    const char *buf, size_t count)
{
	struct cxlflash_cfg *cfg = dev_cfg(dev);
	u32 weight;
	int rc = kstrtouint(buf, 10, &weight);

	if (rc)
		return rc;
	if (weight > 256 || weight == cfg->afu->irqpoll_weight)
		return -EINVAL;

	cfg->afu->irqpoll_weight = weight;
	rc = cxlflash_reset_quiet(cfg);
	return rc ? rc : count;
}
static DEVICE_ATTR_RW(irqpoll_weight);

static ssize_t num_hwqs_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_cfg(dev)->afu->num_hwqs);
}

/*
 * n > 0: n queues; 0: one per online CPU; -n: online CPUs / n.  Clamped
 * to 1..CXLFLASH_MAX_HWQS and applied by a quiet reset.
 */
static ssize_t num_hwqs_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct cxlflash_cfg *cfg = dev_cfg(dev);
	int req, want;
	int rc = kstrtoint(buf, 10, &req);

	if (rc)
		return rc;

	want = req > 0 ? req : (int)num_online_cpus() / (req ? -req : 1);
	want = clamp(want, 1, CXLFLASH_MAX_HWQS);
	if ((u32)want == cfg->afu->num_hwqs)
		return count;

	cfg->afu->desired_hwqs = want;
	rc = cxlflash_reset_quiet(cfg);
	return rc ? rc : count;
}
static DEVICE_ATTR_RW(num_hwqs);

static const char * const steer_names[STEER_NR] = {
	[STEER_RR] = "rr",
	[STEER_TAG] = "tag",
	[STEER_CPU] = "cpu",
};

static ssize_t hwq_mode_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", steer_names[dev_cfg(dev)->afu->steer]);
}

static ssize_t hwq_mode_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	int mode = sysfs_match_string(steer_names, buf);

	if (mode < 0)
		return -EINVAL;
	dev_cfg(dev)->afu->steer = mode;
	return count;
}
static DEVICE_ATTR_RW(hwq_mode);

static ssize_t afu_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_cfg(dev)->afu->version);
}
static DEVICE_ATTR_RO(afu_version);

static ssize_t adapter_state_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	static const char * const names[] = {
		[STATE_PROBING] = "probing",
		[STATE_NORMAL] = "normal",
		[STATE_RESET] = "reset",
		[STATE_FAILTERM] = "failed",
	};

	return sysfs_emit(buf, "%s\n", names[READ_ONCE(dev_cfg(dev)->state)]);
}
static DEVICE_ATTR_RO(adapter_state);

static ssize_t user_contexts_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  atomic_read(&dev_cfg(dev)->num_user_contexts));
}
static DEVICE_ATTR_RO(user_contexts);

static struct attribute *cxlflash_host_attrs[] = {
	&dev_attr_port0.attr.attr,
	&dev_attr_port1.attr.attr,
	&dev_attr_port2.attr.attr,
	&dev_attr_port3.attr.attr,
	&dev_attr_lun_mode.attr,
	&dev_attr_ioctl_version.attr,
	&dev_attr_port0_lun_table.attr.attr,
	&dev_attr_port1_lun_table.attr.attr,
	&dev_attr_port2_lun_table.attr.attr,
	&dev_attr_port3_lun_table.attr.attr,
	&dev_attr_irqpoll_weight.attr,
	&dev_attr_num_hwqs.attr,
	&dev_attr_hwq_mode.attr,
	&dev_attr_afu_version.attr,
	&dev_attr_adapter_state.attr,
	&dev_attr_user_contexts.attr,
	NULL
};

static const struct attribute_group cxlflash_host_group = {
	.attrs = cxlflash_host_attrs,
};

const struct attribute_group *cxlflash_host_groups[] = {
	&cxlflash_host_group,
	NULL
};
