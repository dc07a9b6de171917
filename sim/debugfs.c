// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: fault-injection and introspection knobs.
 *
 * /sys/kernel/debug/cxlflash_sim/<adapter>/
 *   ctx_error   (w) context id: the context enters error: its host map and
 *               mbox_r read all-ones, the engine ignores it, its fd read
 *               fails with EIO; until it is released or the AFU is reset
 *   afu_error   (w) 1: the whole PSA reads all-ones until an AFU reset
 *   link_down   (w) port: take the port offline, raise LINK_DN
 *   link_up     (w) port: bring the port online, raise LINK_UP and LOGI_S
 *   drop_next   (rw) never complete the next N commands
 *   delay_us    (rw) delay every command by this many microseconds
 *   contexts    (r) started contexts: id, master|user, tgid, completed
 *   stats       (r) commands, bytes, polls, sleeps, inline doorbells
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "sim.h"

static struct dentry *sim_debugfs_root;

static int sim_dbg_get_uint(const char __user *ubuf, size_t count,
			    unsigned int *val)
{
	return kstrtouint_from_user(ubuf, count, 0, val);
}

static ssize_t sim_dbg_ctx_error_write(struct file *file,
				       const char __user *ubuf, size_t count,
				       loff_t *ppos)
{
	struct sim_adapter *a = file->private_data;
	unsigned int id;
	int rc;

	rc = sim_dbg_get_uint(ubuf, count, &id);
	if (!rc)
		rc = sim_adapter_ctx_error(a, id);
	return rc ? rc : count;
}

static ssize_t sim_dbg_afu_error_write(struct file *file,
				       const char __user *ubuf, size_t count,
				       loff_t *ppos)
{
	struct sim_adapter *a = file->private_data;
	unsigned int val;
	int rc;

	rc = sim_dbg_get_uint(ubuf, count, &val);
	if (rc)
		return rc;
	if (val)
		sim_adapter_afu_error(a);
	return count;
}

static ssize_t sim_dbg_link(struct file *file, const char __user *ubuf,
			    size_t count, bool up)
{
	struct sim_adapter *a = file->private_data;
	unsigned int port;
	int rc;

	rc = sim_dbg_get_uint(ubuf, count, &port);
	if (!rc)
		rc = sim_adapter_set_link(a, port, up);
	return rc ? rc : count;
}

static ssize_t sim_dbg_link_down_write(struct file *file,
				       const char __user *ubuf, size_t count,
				       loff_t *ppos)
{
	return sim_dbg_link(file, ubuf, count, false);
}

static ssize_t sim_dbg_link_up_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	return sim_dbg_link(file, ubuf, count, true);
}

static const struct file_operations sim_dbg_ctx_error_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_dbg_ctx_error_write,
	.llseek	= no_llseek,
};

static const struct file_operations sim_dbg_afu_error_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_dbg_afu_error_write,
	.llseek	= no_llseek,
};

static const struct file_operations sim_dbg_link_down_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_dbg_link_down_write,
	.llseek	= no_llseek,
};

static const struct file_operations sim_dbg_link_up_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= sim_dbg_link_up_write,
	.llseek	= no_llseek,
};

static int sim_dbg_contexts_show(struct seq_file *m, void *unused)
{
	sim_adapter_show_contexts(m->private, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_dbg_contexts);

static int sim_dbg_stats_show(struct seq_file *m, void *unused)
{
	sim_adapter_show_stats(m->private, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim_dbg_stats);

void sim_debugfs_adapter_add(struct sim_adapter *a)
{
	struct dentry *d;

	if (!sim_debugfs_root)
		return;
	d = debugfs_create_dir(sim_adapter_name(a), sim_debugfs_root);
	a->dbg = d;
	debugfs_create_file("ctx_error", 0200, d, a, &sim_dbg_ctx_error_fops);
	debugfs_create_file("afu_error", 0200, d, a, &sim_dbg_afu_error_fops);
	debugfs_create_file("link_down", 0200, d, a, &sim_dbg_link_down_fops);
	debugfs_create_file("link_up", 0200, d, a, &sim_dbg_link_up_fops);
	debugfs_create_atomic_t("drop_next", 0600, d, sim_adapter_drop_next(a));
	debugfs_create_u32("delay_us", 0600, d, sim_adapter_delay_us(a));
	debugfs_create_file("contexts", 0400, d, a, &sim_dbg_contexts_fops);
	debugfs_create_file("stats", 0400, d, a, &sim_dbg_stats_fops);
}

void sim_debugfs_adapter_del(struct sim_adapter *a)
{
	debugfs_remove_recursive(a->dbg);
	a->dbg = NULL;
}

void sim_debugfs_init(void)
{
	sim_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(sim_debugfs_root))
		sim_debugfs_root = NULL;
}

void sim_debugfs_exit(void)
{
	debugfs_remove_recursive(sim_debugfs_root);
	sim_debugfs_root = NULL;
}
