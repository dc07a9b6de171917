// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SISLite encoding and decoding that needs no device: command blocks,
 * the response queue consumer, status classification, sense and VPD
 * parsing, error texts.
 */
#include <errno.h>
#include <string.h>

#include "cflash_int.h"

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void cf_build_rw(struct sisl_ioarcb *rcb, uint16_t ctx_id, uint32_t rhndl,
		 bool write, uint64_t lba, uint32_t nblocks,
		 uint32_t block_size, uint64_t data_ea, uint8_t msi,
		 uint16_t timeout_s)
{
	memset(rcb, 0, sizeof(*rcb));
	rcb->ctx_id = ctx_id;
	rcb->req_flags = SISL_REQ_RES_HNDL | SISL_REQ_TMO_SECS |
			 (write ? SISL_REQ_HOST_WRITE : 0);
	rcb->res_hndl = rhndl;
	rcb->data_len = nblocks * block_size;
	rcb->data_ea = data_ea;
	rcb->msi = msi;
	rcb->rrq = 0;
	rcb->timeout = timeout_s;
	rcb->cdb[0] = write ? SCSI_WRITE16 : SCSI_READ16;
	put_be64(&rcb->cdb[2], lba);
	put_be32(&rcb->cdb[10], nblocks);
}

int cf_rrq_pop(volatile uint64_t *rrq, unsigned int n, unsigned int *cur,
	       uint64_t *toggle, uint64_t *ea)
{
	uint64_t e = __atomic_load_n(&rrq[*cur], __ATOMIC_ACQUIRE);

	if (e == SISL_ALL_ONES)
		return -EIO;
	if ((e & SISL_RRQ_TOGGLE) != *toggle)
		return 0;
	*ea = e & ~SISL_RRQ_TOGGLE;
	if (++*cur >= n) {
		*cur = 0;
		*toggle ^= SISL_RRQ_TOGGLE;
	}
	return 1;
}

bool cf_parse_sense(const uint8_t *s, size_t len, struct cf_sense *out)
{
	memset(out, 0, sizeof(*out));
	if (!s || len < 4)
		return false;
	switch (s[0] & 0x7F) {
	case 0x70:
	case 0x71:		/* fixed format */
		if (len < 14)
			return false;
		out->key = s[2] & 0x0F;
		out->asc = s[12];
		out->ascq = s[13];
		break;
	case 0x72:
	case 0x73:		/* descriptor format */
		out->key = s[1] & 0x0F;
		out->asc = s[2];
		out->ascq = s[3];
		break;
	default:
		return false;
	}
	out->valid = true;
	return true;
}

/* SCSI status values */
#define SAM_GOOD		0x00
#define SAM_CHECK		0x02
#define SAM_BUSY		0x08
#define SAM_RES_CONFLICT	0x18
#define SAM_TASK_SET_FULL	0x28

static struct cf_verdict verdict(enum cf_action act, int err)
{
	struct cf_verdict v = { act, err };

	return v;
}

static struct cf_verdict classify_sense(const struct sisl_ioasa *sa)
{
	struct cf_sense s;

	if (!(sa->rc.flags & SISL_SA_SENSE_VALID) ||
	    !cf_parse_sense(sa->sense, sizeof(sa->sense), &s))
		return verdict(CF_ACT_RETRY_DELAY, -EIO);
	switch (s.key) {
	case 0x0:		/* NO SENSE */
	case 0x1:		/* RECOVERED ERROR: data is good */
		return verdict(CF_ACT_OK, 0);
	case 0x2:		/* NOT READY */
		return verdict(CF_ACT_RETRY_DELAY, -EAGAIN);
	case 0x3:		/* MEDIUM ERROR */
	case 0x4:		/* HARDWARE ERROR */
		return verdict(CF_ACT_FAIL, -EIO);
	case 0x5:		/* ILLEGAL REQUEST */
		if (s.asc == 0x21)	/* LBA out of range */
			return verdict(CF_ACT_FAIL, -ERANGE);
		return verdict(CF_ACT_FAIL, -EINVAL);
	case 0x6:		/* UNIT ATTENTION */
		return verdict(CF_ACT_VERIFY, -EIO);
	case 0x7:		/* DATA PROTECT */
		return verdict(CF_ACT_FAIL, -EROFS);
	case 0xB:		/* ABORTED COMMAND */
		return verdict(CF_ACT_RETRY, -EIO);
	default:
		return verdict(CF_ACT_FAIL, -EIO);
	}
}

struct cf_verdict cf_classify(const struct sisl_ioasa *sa)
{
	if (sa->ioasc == 0) {
		if (sa->rc.flags & (SISL_SA_UNDERRUN | SISL_SA_OVERRUN))
			return sa->resid ? verdict(CF_ACT_RETRY, -EIO) :
					   verdict(CF_ACT_OK, 0);
		return verdict(CF_ACT_OK, 0);
	}

	switch (sa->rc.afu_rc) {
	case 0x00:
		break;
	case 0x01:		/* RHT invalid */
	case 0x02:		/* RHT unaligned */
	case 0x03:		/* RHT out of bounds */
		return verdict(CF_ACT_RECOVER, -ENXIO);
	case 0x04:		/* RHT DMA error */
	case 0x14:		/* LXT DMA error */
	case 0x1A:		/* not translated by host */
		return verdict(CF_ACT_RECOVER, -EIO);
	case 0x05:		/* RHT r/w permission */
	case 0x15:		/* LXT r/w permission */
		return verdict(CF_ACT_FAIL, -EACCES);
	case 0x12:		/* LXT unaligned */
		return verdict(CF_ACT_FAIL, -EIO);
	case 0x13:		/* LXT out of bounds: LBA beyond vLUN */
		return verdict(CF_ACT_FAIL, -ERANGE);
	case 0x20:		/* no channels: all ports down */
		return verdict(CF_ACT_RETRY_DELAY, -ENOLINK);
	case 0x21:		/* capability violation (or AFU reset) */
		return verdict(CF_ACT_RECOVER, -EPERM);
	case 0x30:		/* out of data buffers */
		return verdict(CF_ACT_RETRY_DELAY, -EAGAIN);
	case 0x31:		/* data DMA error */
		if (sa->afu_extra == 0x0A)	/* page-in: retry */
			return verdict(CF_ACT_RETRY, -EFAULT);
		return verdict(CF_ACT_FAIL, -EFAULT);
	case 0x50:
	case 0x51:		/* timed out in the AFU */
		return verdict(CF_ACT_RETRY, -ETIMEDOUT);
	default:
		return verdict(CF_ACT_FAIL, -EIO);
	}

	if (sa->rc.scsi_rc) {
		switch (sa->rc.scsi_rc) {
		case SAM_CHECK:
			return classify_sense(sa);
		case SAM_BUSY:
		case SAM_TASK_SET_FULL:
			return verdict(CF_ACT_RETRY_DELAY, -EBUSY);
		case SAM_RES_CONFLICT:
			return verdict(CF_ACT_FAIL, -EBUSY);
		default:
			return verdict(CF_ACT_FAIL, -EIO);
		}
	}

	switch (sa->rc.fc_rc) {
	case 0x00:
		break;
	case 0x54:		/* no login */
	case 0x57:		/* link down */
		return verdict(CF_ACT_RETRY_DELAY, -ENOLINK);
	case 0x52:		/* abort pending */
	case 0x53:		/* write abort pending */
	case 0x55:		/* no exchange */
	case 0x56:		/* in use */
	case 0x58:		/* abort ok */
	case 0x59:		/* abort fail */
	case 0x5A:		/* resid */
	case 0x5B:		/* resid error */
	case 0x5C:		/* target abort */
	default:
		return verdict(CF_ACT_RETRY, -EIO);
	}

	/* only flags set (e.g. FCP response code valid) */
	return verdict(CF_ACT_RETRY, -EIO);
}

int cf_vpd83_wwid(const uint8_t *page, size_t len, uint8_t wwid[16])
{
	size_t end, off;
	int found = 0;

	if (!page || len < 4 || page[1] != 0x83)
		return -EINVAL;
	end = 4 + (((size_t)page[2] << 8) | page[3]);
	if (end > len)
		end = len;
	for (off = 4; off + 4 <= end; off += 4 + page[off + 3]) {
		const uint8_t *d = &page[off];
		unsigned int code_set = d[0] & 0x0F;
		unsigned int assoc = (d[1] >> 4) & 0x3;
		unsigned int type = d[1] & 0x0F;
		unsigned int dlen = d[3];

		if (off + 4 + dlen > end)
			break;
		if (type != 3 || code_set != 1 || dlen != 16)
			continue;	/* want a 16-byte binary NAA */
		if ((d[4] >> 4) != 6)
			continue;	/* NAA-6 (IEEE registered extended) */
		if (assoc == 0) {	/* the logical unit itself: best */
			memcpy(wwid, d + 4, 16);
			return 0;
		}
		if (!found) {
			memcpy(wwid, d + 4, 16);
			found = 1;
		}
	}
	return found ? 0 : -ENODATA;
}

CF_EXPORT const char *cflash_afu_rc_name(unsigned int rc)
{
	switch (rc) {
	case 0x00: return "none";
	case 0x01: return "RHT invalid (bad resource handle)";
	case 0x02: return "RHT unaligned";
	case 0x03: return "RHT out of bounds (bad resource handle)";
	case 0x04: return "RHT DMA error";
	case 0x05: return "RHT read/write permission";
	case 0x12: return "LXT unaligned";
	case 0x13: return "LXT out of bounds (LBA beyond virtual LUN size)";
	case 0x14: return "LXT DMA error";
	case 0x15: return "LXT read/write permission";
	case 0x1A: return "not translated by host";
	case 0x20: return "no channels (ports down)";
	case 0x21: return "capability violation";
	case 0x30: return "out of data buffers";
	case 0x31: return "data DMA error";
	case 0x50: return "timed out";
	case 0x51: return "timed out (2)";
	default: return "unknown";
	}
}

CF_EXPORT const char *cflash_fc_rc_name(unsigned int rc)
{
	switch (rc) {
	case 0x00: return "none";
	case 0x52: return "abort pending";
	case 0x53: return "write abort pending";
	case 0x54: return "no login";
	case 0x55: return "no exchange";
	case 0x56: return "tag in use";
	case 0x57: return "link down";
	case 0x58: return "abort ok";
	case 0x59: return "abort failed";
	case 0x5A: return "residual";
	case 0x5B: return "residual error (length mismatch)";
	case 0x5C: return "target abort";
	default: return "unknown";
	}
}

CF_EXPORT const char *cflash_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return "success";
	case EINVAL: return "invalid argument (bad parameter, tag, flags or handle)";
	case EBADF: return "not an open cflash handle";
	case ERANGE: return "LBA range beyond the end of the LUN";
	case ESTALE: return "context belongs to the parent process: call cflash_clone_after_fork() first";
	case ENXIO: return "resource handle not valid in the AFU";
	case EIO: return "I/O error reported by the AFU or the device";
	case ETIMEDOUT: return "command timed out (context reset and retries failed)";
	case ENOLINK: return "no path to the LUN (FC ports down)";
	case EACCES: return "access mode does not permit this operation";
	case EPERM: return "not permitted (AFU capability violation, or LUN not in superpipe mode)";
	case EFAULT: return "bad buffer address";
	case EROFS: return "device is write protected";
	case EBUSY: return "device busy (SCSI busy or reservation conflict, or LUN in use)";
	case EAGAIN: return "temporarily unavailable, retry (no free command slot or device not ready)";
	case ENODEV: return "adapter failed or not a cxlflash LUN";
	case ENOENT: return "no outstanding asynchronous command";
	case ENOMEM: return "out of memory";
	case ENOSPC: return "no space left for the virtual LUN";
	case EMFILE: return "no free resource handle in the context";
	case ENOTBLK: return "not a SCSI disk or generic device";
	case ENODATA: return "no usable WWID in VPD page 0x83";
	case EOPNOTSUPP: return "operation not supported for this LUN (block size)";
	case ENOTCONN: return "AFU context lost (recovery failed)";
	case EMSGSIZE: return "transfer larger than max_xfer";
	default: return "unknown error";
	}
}
