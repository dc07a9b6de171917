// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: an emulated IBM CXL Flash AFU (SISLite).
 *
 * Module parameters describe the adapters created at load time; configfs
 * creates and removes more at run time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sim.h"

#define SIM_MAX_DEFAULT_ADAPTERS	16

static unsigned int nr_adapters = 1;
module_param(nr_adapters, uint, 0444);
MODULE_PARM_DESC(nr_adapters, "Adapters created at load time (default 1, max 16)");

static unsigned int nr_ports = 2;
module_param(nr_ports, uint, 0444);
MODULE_PARM_DESC(nr_ports, "FC ports per adapter (1-4, default 2)");

static unsigned int luns = 2;
module_param(luns, uint, 0444);
MODULE_PARM_DESC(luns, "LUNs per default adapter, visible on every port (default 2)");

static unsigned int lun_size_mb = 1024;
module_param(lun_size_mb, uint, 0444);
MODULE_PARM_DESC(lun_size_mb, "Size of each default LUN in MiB, thin-provisioned in RAM (default 1024)");

static unsigned int lun_block_size = 4096;
module_param(lun_block_size, uint, 0444);
MODULE_PARM_DESC(lun_block_size, "Logical block size of default LUNs: 512 or 4096 (default 4096)");

static char *lun_backing;
module_param(lun_backing, charp, 0444);
MODULE_PARM_DESC(lun_backing, "Comma-separated backing files/devices of the default LUNs, in LUN order (default: RAM)");

static bool sq_mode = true;
module_param(sq_mode, bool, 0444);
MODULE_PARM_DESC(sq_mode, "Advertise SQ command mode (default 1); IOARRIN mode is always advertised");

bool sim_trap_doorbells = true;
module_param_named(trap_doorbells, sim_trap_doorbells, bool, 0644);
MODULE_PARM_DESC(trap_doorbells, "Watch user contexts' stores to IOARRIN and CTX_CTRL with hardware watchpoints (default 1; 0: polled mailbox only)");

static struct sim_adapter *sim_defaults[SIM_MAX_DEFAULT_ADAPTERS];

/* The @idx-th comma-separated path of lun_backing, or NULL */
static char *sim_backing_path(unsigned int idx)
{
	const char *p = lun_backing;
	size_t len;

	if (!p || !*p)
		return NULL;
	while (idx--) {
		p = strchr(p, ',');
		if (!p)
			return NULL;
		p++;
	}
	len = strcspn(p, ",");
	if (!len)
		return NULL;
	return kstrndup(p, len, GFP_KERNEL);
}

static int sim_add_default_luns(struct sim_adapter *a)
{
	struct sim_lun_config cfg = {
		.size		= (u64)lun_size_mb << 20,
		.block_size	= lun_block_size,
		.port_mask	= SISL_PORT_MASK(nr_ports),
	};
	struct sim_lun *lun;
	unsigned int i;
	char *path;

	for (i = 0; i < luns; i++) {
		path = sim_backing_path(i);
		cfg.lun = i;
		cfg.backing = path;
		lun = sim_lun_add(sim_adapter_fabric(a), &cfg);
		kfree(path);
		if (IS_ERR(lun))
			return PTR_ERR(lun);
	}
	return 0;
}

static struct sim_adapter *sim_create_default(unsigned int idx)
{
	struct sim_adapter_config cfg = {
		.nports		= nr_ports,
		.sq_mode	= sq_mode,
		.ioarrin_mode	= true,
	};
	struct sim_adapter *a;
	char name[16];
	int rc;

	snprintf(name, sizeof(name), "adapter%u", idx);
	a = sim_adapter_alloc(name, &cfg);
	if (IS_ERR(a))
		return a;
	rc = sim_add_default_luns(a);
	if (!rc)
		rc = sim_adapter_register(a);
	if (rc) {
		sim_adapter_destroy(a);
		return ERR_PTR(rc);
	}
	return a;
}

static void sim_destroy_defaults(void)
{
	int i;

	for (i = SIM_MAX_DEFAULT_ADAPTERS - 1; i >= 0; i--) {
		if (sim_defaults[i])
			sim_adapter_destroy(sim_defaults[i]);
		sim_defaults[i] = NULL;
	}
}

static int __init cxlflash_sim_init(void)
{
	unsigned int i;
	int rc;

	if (nr_adapters > SIM_MAX_DEFAULT_ADAPTERS ||
	    !nr_ports || nr_ports > CXLFLASH_MAX_FC_PORTS ||
	    (lun_block_size != 512 && lun_block_size != 4096) ||
	    (luns && !lun_size_mb))
		return -EINVAL;

	rc = sim_afu_init();
	if (rc)
		return rc;
	sim_debugfs_init();

	for (i = 0; i < nr_adapters; i++) {
		sim_defaults[i] = sim_create_default(i);
		if (IS_ERR(sim_defaults[i])) {
			rc = PTR_ERR(sim_defaults[i]);
			sim_defaults[i] = NULL;
			pr_err("cannot create adapter%u: %d\n", i, rc);
			goto err;
		}
	}

	rc = sim_configfs_init();
	if (rc)
		goto err;
	return 0;

err:
	sim_destroy_defaults();
	sim_debugfs_exit();
	sim_afu_exit();
	return rc;
}

static void __exit cxlflash_sim_exit(void)
{
	sim_configfs_exit();
	sim_destroy_defaults();
	sim_debugfs_exit();
	sim_afu_exit();
}

module_init(cxlflash_sim_init);
module_exit(cxlflash_sim_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Emulated IBM CXL Flash AFU (SISLite) for the cxlflash driver");
MODULE_AUTHOR("cxlflash developers");
