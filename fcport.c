// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: the AFU's Fibre Channel ports.
 *
 * Each port has a 4 KiB register block and a 512-entry LUN table in the
 * global area of the PSA; ports 0-1 form bank 0, ports 2-3 bank 1.  This
 * file programs them at AFU start, reports their state, reacts to their
 * asynchronous events and performs link resets.
 */

#include <linux/delay.h>

#include "core.h"
#include "trace.h"

/* Port state polling: up to 100 reads, 1-2 ms apart */
#define PORT_POLL_TRIES		100
#define PORT_POLL_US		1000
#define PORT_CRC_THRESHOLD	100	/* CRC errors before an event */

/* What an asynchronous event asks of the driver */
#define EV_LINK_RESET	BIT(0)
#define EV_CLEAR_ERROR	BIT(1)
#define EV_RESCAN	BIT(2)

/*
 * The events of one port's byte lane of aintr_status, highest bit first
 * (the lane masks are those of FC port 1, whose lane is byte 0).
 */
static const struct {
	u8 mask;
	u8 todo;
	const char *what;
} port_events[] = {
	{ SISL_ASTATUS_FC1_OTHER,   EV_CLEAR_ERROR | EV_LINK_RESET, "other error" },
	{ SISL_ASTATUS_FC1_LOGO,    0,              "target initiated LOGO" },
	{ SISL_ASTATUS_FC1_CRC_T,   EV_LINK_RESET,  "CRC threshold exceeded" },
	{ SISL_ASTATUS_FC1_LOGI_R,  EV_LINK_RESET,  "login timed out, retrying" },
	{ SISL_ASTATUS_FC1_LOGI_F,  EV_CLEAR_ERROR, "login failed" },
	{ SISL_ASTATUS_FC1_LOGI_S,  EV_RESCAN,      "login succeeded" },
	{ SISL_ASTATUS_FC1_LINK_DN, 0,              "link down" },
	{ SISL_ASTATUS_FC1_LINK_UP, 0,              "link up" },
};

static struct sisl_global_map __iomem *gmap(struct cxlflash_cfg *cfg)
{
	return &cfg->afu->afu_map->global;
}

__be64 __iomem *cxlflash_port_regs(struct cxlflash_cfg *cfg, int port)
{
	int idx = port % CXLFLASH_NUM_FC_PORTS_PER_BANK;

	if (port < CXLFLASH_NUM_FC_PORTS_PER_BANK)
		return gmap(cfg)->fc_regs0[idx];
	return gmap(cfg)->fc_regs1[idx];
}

__be64 __iomem *cxlflash_port_luns(struct cxlflash_cfg *cfg, int port)
{
	int idx = port % CXLFLASH_NUM_FC_PORTS_PER_BANK;

	if (port < CXLFLASH_NUM_FC_PORTS_PER_BANK)
		return gmap(cfg)->fc_port0[idx];
	return gmap(cfg)->fc_port1[idx];
}

/* A port register by its byte offset in the port's block */
static __be64 __iomem *preg(struct cxlflash_cfg *cfg, int port, u32 off)
{
	return cxlflash_port_regs(cfg, port) + off / sizeof(__be64);
}

/**
 * cxlflash_port_state() - what FC_MTIP_STATUS says of a port
 * @cfg: adapter with a mapped PSA.
 * @port: port number below cfg->num_fc_ports.
 *
 * Return: "online", "offline" or "unknown".
 */
const char *cxlflash_port_state(struct cxlflash_cfg *cfg, int port)
{
	u64 st = cxl_readq(preg(cfg, port, FC_MTIP_STATUS)) &
		 FC_MTIP_STATUS_MASK;

	if (st == FC_MTIP_STATUS_ONLINE)
		return "online";
	if (st == FC_MTIP_STATUS_OFFLINE)
		return "offline";
	return "unknown";
}

/**
 * cxlflash_ports_setup() - program the ports at AFU start
 * @cfg: adapter.
 *
 * External LUNs (lun_mode 0): errors unmasked, the CRC counter read
 * (which clears it) and its event threshold set.  Internal LUNs: the FC
 * links are not used, so that is skipped; port 0's FC_CONFIG2 says which
 * layout of internal LUNs (lun_mode - 1) the AFU presents, and is cleared
 * in mode 0.  Latched errors and their capture are cleared on every port.
 */
void cxlflash_ports_setup(struct cxlflash_cfg *cfg)
{
	u32 mode = cfg->afu->internal_lun;
	__be64 __iomem *cfg2;
	u64 val;
	int port;

	for (port = 0; port < cfg->num_fc_ports; port++) {
		if (!mode) {
			cxl_writeq(0, preg(cfg, port, FC_ERRMSK));
			cxl_readq(preg(cfg, port, FC_CNT_CRCERR));
			cxl_writeq(PORT_CRC_THRESHOLD,
				   preg(cfg, port, FC_CRC_THRESH));
		}
		cxl_writeq(0xFFFFFFFFULL, preg(cfg, port, FC_ERROR));
		cxl_writeq(0, preg(cfg, port, FC_ERRCAP));
	}

	cfg2 = preg(cfg, 0, FC_CONFIG2);
	val = cxl_readq(cfg2) & ~SISL_FC_INTERNAL_UNMASK;
	if (mode)
		val |= ((u64)(mode - 1) << SISL_FC_INTERNAL_SHIFT) &
		       SISL_FC_INTERNAL_UNMASK;
	cxl_writeq(val, cfg2);
}

/**
 * cxlflash_port_event() - act on one port's asynchronous events
 * @cfg: adapter.
 * @port: port.
 * @events: the port's byte lane of aintr_status.
 *
 * Interrupt context: logs, clears latched errors, and records what the
 * event worker must do.
 *
 * Return: true when the event worker has work.
 */
bool cxlflash_port_event(struct cxlflash_cfg *cfg, int port, u8 events)
{
	bool work = false;
	u64 err, status;
	int i;

	for (i = 0; i < ARRAY_SIZE(port_events); i++) {
		if (!(events & port_events[i].mask))
			continue;

		status = cxl_readq(preg(cfg, port, FC_STATUS));
		dev_info(cfg->dev, "port %d: %s (fc status %016llx)\n", port,
			 port_events[i].what, status);
		trace_cxlflash_link_event(cfg->host->host_no, port,
					  port_events[i].what, status);

		if (port_events[i].todo & EV_LINK_RESET) {
			set_bit(port, &cfg->lr_ports);
			work = true;
		}
		if (port_events[i].todo & EV_CLEAR_ERROR) {
			err = cxl_readq(preg(cfg, port, FC_ERROR));
			cxl_writeq(err, preg(cfg, port, FC_ERROR));
			cxl_writeq(0, preg(cfg, port, FC_ERRCAP));
		}
		if (port_events[i].todo & EV_RESCAN) {
			atomic_inc(&cfg->scan_needed);
			work = true;
		}
	}
	return work;
}

/*
 * Ask a port to go online or offline and wait until FC_MTIP_STATUS says
 * so.  An all-ones read (MMIO gone) halves the tries left.
 */
static bool port_set(struct cxlflash_cfg *cfg, int port, bool online)
{
	u64 want = online ? FC_MTIP_STATUS_ONLINE : FC_MTIP_STATUS_OFFLINE;
	u64 cfgreg = cxl_readq(preg(cfg, port, FC_MTIP_CMDCONFIG));
	int tries = PORT_POLL_TRIES;
	u64 st;

	cfgreg &= ~(FC_MTIP_CMDCONFIG_ONLINE | FC_MTIP_CMDCONFIG_OFFLINE);
	cfgreg |= online ? FC_MTIP_CMDCONFIG_ONLINE : FC_MTIP_CMDCONFIG_OFFLINE;
	cxl_writeq(cfgreg, preg(cfg, port, FC_MTIP_CMDCONFIG));

	while (tries > 0) {
		st = cxl_readq(preg(cfg, port, FC_MTIP_STATUS));
		if (st != U64_MAX && (st & FC_MTIP_STATUS_MASK) == want)
			return true;
		tries = st == U64_MAX ? tries / 2 : tries - 1;
		usleep_range(PORT_POLL_US, 2 * PORT_POLL_US);
	}
	return false;
}

/**
 * cxlflash_port_bounce() - reset a port's link
 * @cfg: adapter, running.
 * @port: port.
 *
 * The port leaves the AFU's port selection while it goes offline and
 * back online, with a global sync on each side; the selection is then
 * restored as it was (a port not selected, as the external ports with
 * internal LUNs, stays out).  Sleeps.
 */
void cxlflash_port_bounce(struct cxlflash_cfg *cfg, int port)
{
	struct afu *afu = cfg->afu;
	__be64 __iomem *sel = &gmap(cfg)->regs.afu_port_sel;
	u64 ports = cxl_readq(sel);

	cxl_writeq(ports & ~BIT_ULL(port), sel);
	cxlflash_afu_sync(afu, 0, 0, SISL_AFU_SYNC_GLOBAL);

	if (!port_set(cfg, port, false))
		dev_err(cfg->dev, "port %d did not go offline\n", port);
	if (!port_set(cfg, port, true))
		dev_err(cfg->dev, "port %d did not come online\n", port);

	cxl_writeq(ports, sel);
	cxlflash_afu_sync(afu, 0, 0, SISL_AFU_SYNC_GLOBAL);
	dev_info(cfg->dev, "port %d link reset done\n", port);
}
