// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash: the fence between the superpipe and the midlayer path.
 *
 * While user contexts hold resource handles on a LUN (USER_DIRECT or
 * USER_VIRTUAL), the block library owns its data and moves it without the
 * kernel.  Every command that reaches queuecommand for such a LUN and
 * reads or changes its medium is then refused, whoever sent it: the
 * block layer (page cache, O_DIRECT, discard) and pass-through requests
 * alike (SG_IO on /dev/sdX or /dev/sgN, bsg, a kernel user of
 * scsi_execute()).  Commands about the LUN rather than its data pass
 * (INQUIRY, READ CAPACITY, TEST UNIT READY, REPORT LUNS, MODE SENSE,
 * SYNCHRONIZE CACHE, ...): the midlayer and sd must keep managing the
 * device, and the library's own VERIFY relies on them.
 *
 * The driver's own media commands (zeroing the chunks of virtual LUNs,
 * chunk.c) must pass: they are sent with cxlflash_own_exec(), whose
 * requests carry REQ_DRV.  No request from user space can carry that flag
 * (SG_IO, sg and bsg build their requests with REQ_OP_DRV_IN/OUT alone),
 * so the exemption cannot be borrowed by choosing an opcode.
 *
 * How a refusal looks:
 *  - block-layer requests fail with DID_NO_CONNECT (an I/O error for the
 *    submitter, as for an adapter out of service).  Sense data would make
 *    sd disable discard or WRITE SAME on the disk for good;
 *  - pass-through requests end with CHECK CONDITION, sense key DATA
 *    PROTECT, ASC/ASCQ 0x20/0x02 (ACCESS DENIED - NO ACCESS RIGHTS),
 *    which sg3_utils and SG_IO users decode without knowing the driver.
 */

#include <linux/blk-mq.h>
#include <linux/blk_types.h>
#include <linux/rcupdate.h>

#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_proto.h>

#include "superpipe.h"

/* opcodes scsi_proto.h does not name */
#define CXL_OP_XDWRITE_10	0x50
#define CXL_OP_XPWRITE_10	0x51
#define CXL_OP_XDREAD_10	0x52
#define CXL_OP_SANITIZE		0x48
#define CXL_OP_ORWRITE_16	0x8b
#define CXL_OP_WRITE_STREAM_16	0x9a
#define CXL_OP_WRITE_ATOMIC_16	0x9c
#define CXL_SA_LONG_16		0x11	/* READ LONG(16) / WRITE LONG(16) */

#define FENCE_ASC		0x20	/* ACCESS DENIED ... */
#define FENCE_ASCQ		0x02	/* ... NO ACCESS RIGHTS */

/**
 * cxlflash_cdb_media() - does a command read or change the medium?
 * @cdb: the command descriptor block (at least its first 16 bytes or
 *	 its whole length, whichever is smaller, are valid).
 *
 * True for the SBC commands that move data between the host and the
 * medium, compare with it, or change its contents or LBA mapping:
 * READ, WRITE, WRITE AND VERIFY, VERIFY (6/10/12/16), COMPARE AND WRITE,
 * ORWRITE, WRITE SAME (10/16), UNMAP, READ LONG, WRITE LONG, the XD/XP
 * commands, WRITE STREAM, WRITE ATOMIC, every variable-length (32-byte)
 * CDB, EXTENDED COPY and the token copies, FORMAT UNIT, REASSIGN BLOCKS
 * and SANITIZE.  Anything else, including vendor-specific opcodes, does
 * not count as media access.
 */
bool cxlflash_cdb_media(const u8 *cdb)
{
	switch (cdb[0]) {
	case READ_6:
	case READ_10:
	case READ_12:
	case READ_16:
	case WRITE_6:
	case WRITE_10:
	case WRITE_12:
	case WRITE_16:
	case WRITE_VERIFY:
	case WRITE_VERIFY_12:
	case WRITE_VERIFY_16:
	case VERIFY:
	case VERIFY_12:
	case VERIFY_16:
	case COMPARE_AND_WRITE:
	case CXL_OP_ORWRITE_16:
	case WRITE_SAME:
	case WRITE_SAME_16:
	case UNMAP:
	case READ_LONG:
	case WRITE_LONG:
	case WRITE_LONG_2:
	case CXL_OP_XDWRITE_10:
	case CXL_OP_XPWRITE_10:
	case CXL_OP_XDREAD_10:
	case XDWRITEREAD_10:
	case CXL_OP_WRITE_STREAM_16:
	case CXL_OP_WRITE_ATOMIC_16:
	case VARIABLE_LENGTH_CMD:
	case EXTENDED_COPY:
	case FORMAT_UNIT:
	case REASSIGN_BLOCKS:
	case CXL_OP_SANITIZE:
		return true;
	case SERVICE_ACTION_IN_16:
	case SERVICE_ACTION_OUT_16:
		/* READ CAPACITY(16), GET LBA STATUS pass; the LONGs do not */
		return (cdb[1] & 0x1f) == CXL_SA_LONG_16;
	default:
		return false;
	}
}

/**
 * cxlflash_lun_fenced() - do user contexts own this device's LUN?
 * @sdev: SCSI device.
 *
 * True while resource handles are open on the LUN; read locklessly on
 * the I/O path (a handle opened while a command is in flight races with
 * it exactly as with any other initiator).
 */
bool cxlflash_lun_fenced(struct scsi_device *sdev)
{
	struct llun_info *lli;
	bool fenced;

	/* a deleted LUN's records are freed after a grace period */
	rcu_read_lock();
	lli = READ_ONCE(sdev->hostdata);
	fenced = lli && READ_ONCE(lli->parent->mode) != MODE_NONE;
	rcu_read_unlock();
	return fenced;
}

/**
 * cxlflash_fence_refuses() - must the fence of a fenced LUN stop @scp?
 * @scp: command for a device cxlflash_lun_fenced() said is fenced.
 *
 * Return: true for media access by anybody but the driver itself.
 */
bool cxlflash_fence_refuses(struct scsi_cmnd *scp)
{
	struct request *rq = scsi_cmd_to_rq(scp);

	if (blk_rq_is_passthrough(rq) && (rq->cmd_flags & REQ_DRV))
		return false;
	return cxlflash_cdb_media(scp->cmnd);
}

/**
 * cxlflash_fence_reject() - finish a command the fence refused
 * @scp: the command; completed here.
 */
void cxlflash_fence_reject(struct scsi_cmnd *scp)
{
	if (blk_rq_is_passthrough(scsi_cmd_to_rq(scp)))
		scsi_build_sense(scp, 0, DATA_PROTECT, FENCE_ASC, FENCE_ASCQ);
	else
		scp->result = DID_NO_CONNECT << 16;
	scsi_done(scp);
}

/**
 * cxlflash_own_exec() - run one of the driver's own SCSI commands
 * @sdev: device.
 * @cdb: command (its length follows from the opcode).
 * @dir: DMA_TO_DEVICE, DMA_FROM_DEVICE or DMA_NONE.
 * @buf: data buffer, @len bytes.
 * @len: buffer length.
 * @sshdr: decoded sense, or NULL.
 * @timeout: jiffies.
 * @retries: retries the midlayer may make.
 *
 * As scsi_execute_req(), with the request marked as the driver's own so
 * that the fence lets it through.  Sleeps.
 *
 * Return: the midlayer's result (0: good, < 0: not sent, > 0: status).
 */
int cxlflash_own_exec(struct scsi_device *sdev, const u8 *cdb, int dir,
		      void *buf, unsigned int len, struct scsi_sense_hdr *sshdr,
		      int timeout, int retries)
{
	return scsi_execute(sdev, cdb, dir, buf, len, NULL, sshdr, timeout,
			    retries, REQ_DRV, 0, NULL);
}
