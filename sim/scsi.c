// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxlflash_sim: the SCSI commands a LUN answers.
 *
 * The SPC-4/SBC-3 subset a disk must implement for sd and for the
 * superpipe's users (READ/WRITE, WRITE SAME, UNMAP, SYNCHRONIZE CACHE,
 * VERIFY, READ CAPACITY, MODE SENSE, INQUIRY with its VPD pages, REPORT
 * LUNS, REQUEST SENSE, TEST UNIT READY), with fixed-format sense data and
 * the unit attentions lun.c keeps.
 */

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/unaligned.h>
#include <scsi/scsi_proto.h>

#include "lun.h"

/* ---------------------------------------------------------------------- */
/* Sense data and responses                                               */
/* ---------------------------------------------------------------------- */

void sim_fill_sense(u8 *sense, u8 key, u16 asc)
{
	memset(sense, 0, 18);
	sense[0] = 0x70;		/* current error, fixed format */
	sense[2] = key;
	sense[7] = 10;			/* additional sense length */
	sense[12] = asc >> 8;
	sense[13] = asc & 0xff;
}

void sim_check(struct sim_cmd *c, u8 key, u16 asc)
{
	struct sim_scsi_result *res = c->res;

	res->status = SAM_STAT_CHECK_CONDITION;
	res->sense_len = sizeof(res->sense);
	sim_fill_sense(res->sense, key, asc);
}

void sim_bad_cdb(struct sim_cmd *c)
{
	sim_check(c, ILLEGAL_REQUEST, SIM_ASC_INVALID_FIELD_CDB);
}

void sim_lba_out_of_range(struct sim_cmd *c)
{
	sim_check(c, ILLEGAL_REQUEST, SIM_ASC_LBA_OUT_OF_RANGE);
}

/*
 * Send @n bytes of a response built in @buf, cut to the allocation length
 * and to what the host offered.
 */
void sim_respond(struct sim_cmd *c, const void *buf, u32 n, u32 alloc)
{
	n = min3(n, alloc, c->x->len);
	if (n && sim_xfer_to_host(c->x, 0, buf, n)) {
		c->res->fault = true;
		return;
	}
	c->res->xfer_len = n;
}

/* ---------------------------------------------------------------------- */
/* Block commands                                                         */
/* ---------------------------------------------------------------------- */

/* Check that [lba, lba + nblk) lies on the medium */
static bool sim_lba_ok(struct sim_cmd *c, u64 lba, u64 nblk)
{
	u64 cap = c->lun->nblocks;

	if (lba > cap || nblk > cap - lba) {
		sim_lba_out_of_range(c);
		return false;
	}
	return true;
}

static void sim_read_write(struct sim_cmd *c, bool write)
{
	const u8 *cdb = c->cdb;
	struct sim_lun *lun = c->lun;
	u64 lba, bytes;
	u32 nblk, n;

	switch (cdb[0]) {
	case READ_6:
	case WRITE_6:
		lba = get_unaligned_be24(&cdb[1]) & 0x1FFFFF;
		nblk = cdb[4] ? cdb[4] : 256;
		break;
	case READ_10:
	case WRITE_10:
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
		break;
	default:			/* READ_16, WRITE_16 */
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
		break;
	}
	/* No protection information: RDPROTECT/WRPROTECT must be zero */
	if (cdb[0] != READ_6 && cdb[0] != WRITE_6 && (cdb[1] & 0xE0)) {
		sim_bad_cdb(c);
		return;
	}
	if (!sim_lba_ok(c, lba, nblk))
		return;

	bytes = (u64)nblk << lun->block_shift;
	c->res->want_len = bytes;
	/*
	 * A data length that disagrees with the CDB: a READ moves what fits
	 * and the AFU reports the residual; a WRITE is refused before any
	 * data moves, as an FC target refuses a write whose FCP_DL differs
	 * from the transfer length.
	 */
	if (write && bytes != c->x->len) {
		sim_bad_cdb(c);
		return;
	}
	n = min_t(u64, bytes, c->x->len);
	if (!n)
		return;

	if (lun->file)
		sim_file_rw(c, lba << lun->block_shift, n, write);
	else if (write)
		sim_ram_write(c, lba << lun->block_shift, n, 0);
	else
		sim_ram_read(c, lba << lun->block_shift, n, 0);
}

static void sim_write_same(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	struct sim_lun *lun = c->lun;
	bool ndob = false, zero;
	u64 lba, off, len;
	u32 nblk, bs = lun->block_size, i;
	void *pat;

	if (cdb[0] == WRITE_SAME) {
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
	} else {
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
		ndob = cdb[1] & 0x01;
	}
	/* WRPROTECT, ANCHOR: unsupported; WSNZ is set, so zero blocks is bad */
	if ((cdb[1] & 0xF0) || !nblk ||
	    ((u64)nblk << lun->block_shift) > SIM_MAX_WS_BYTES) {
		sim_bad_cdb(c);
		return;
	}
	if (!sim_lba_ok(c, lba, nblk))
		return;

	pat = (void *)__get_free_page(GFP_NOIO | __GFP_ZERO);
	if (!pat) {
		c->res->status = SAM_STAT_BUSY;
		return;
	}
	if (!ndob) {
		if (c->x->len < bs) {
			sim_check(c, ILLEGAL_REQUEST,
				  SIM_ASC_INVALID_FIELD_PARAM);
			goto out;
		}
		if (sim_xfer_from_host(c->x, 0, pat, bs)) {
			c->res->fault = true;
			goto out;
		}
		c->res->xfer_len = bs;
	}
	zero = !memchr_inv(pat, 0, bs);
	for (i = bs; i < PAGE_SIZE; i += bs)
		memcpy(pat + i, pat, bs);

	off = lba << lun->block_shift;
	len = (u64)nblk << lun->block_shift;
	/*
	 * Unmapped blocks read as zeros (LBPRZ), so a zero pattern is best
	 * stored as a hole whether or not the UNMAP bit asks for one.
	 */
	if (lun->file && zero)
		sim_file_discard(c, off, len, pat);
	else if (lun->file)
		sim_file_fill(c, off, len, pat);
	else if (zero)
		sim_ram_discard(lun, off, len);
	else
		sim_ram_fill(c, off, len, pat);
out:
	free_page((unsigned long)pat);
}

static void sim_unmap(struct sim_cmd *c)
{
	struct sim_lun *lun = c->lun;
	u32 plen = get_unaligned_be16(&c->cdb[7]);
	u32 ndesc, i, nblk;
	u8 hdr[8], desc[16];
	void *zpage = NULL;
	bool exec;
	u64 lba;

	if (c->cdb[1] & 0x01) {			/* ANCHOR */
		sim_bad_cdb(c);
		return;
	}
	/* Only what the host offered of the parameter list counts */
	plen = min(plen, c->x->len);
	if (!plen)
		return;
	if (plen < 8) {
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_PARAM_LIST_LENGTH);
		return;
	}
	if (sim_xfer_from_host(c->x, 0, hdr, 8)) {
		c->res->fault = true;
		return;
	}
	ndesc = min_t(u32, get_unaligned_be16(&hdr[2]), plen - 8) / 16;
	if (ndesc > SIM_MAX_UNMAP_DESC) {
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_INVALID_FIELD_PARAM);
		return;
	}

	/* Pass 0 validates every descriptor, pass 1 unmaps */
	for (exec = false; ; exec = true) {
		for (i = 0; i < ndesc; i++) {
			if (sim_xfer_from_host(c->x, 8 + i * 16, desc, 16)) {
				c->res->fault = true;
				goto out;
			}
			lba = get_unaligned_be64(&desc[0]);
			nblk = get_unaligned_be32(&desc[8]);
			if (!exec) {
				if (!sim_lba_ok(c, lba, nblk))
					goto out;
				continue;
			}
			if (!nblk)
				continue;
			if (!lun->file) {
				sim_ram_discard(lun, lba << lun->block_shift,
						(u64)nblk << lun->block_shift);
				continue;
			}
			if (!zpage) {
				zpage = (void *)__get_free_page(GFP_NOIO);
				if (!zpage) {
					c->res->status = SAM_STAT_BUSY;
					goto out;
				}
			}
			if (sim_file_discard(c, lba << lun->block_shift,
					     (u64)nblk << lun->block_shift,
					     zpage))
				goto out;
		}
		if (exec)
			break;
	}
	c->res->xfer_len = 8 + ndesc * 16;
out:
	if (zpage)
		free_page((unsigned long)zpage);
}

static void sim_sync_cache(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	u64 lba, nblk;

	if (cdb[0] == SYNCHRONIZE_CACHE) {
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
	} else {
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
	}
	if (!sim_lba_ok(c, lba, nblk))
		return;
	if (c->lun->file && vfs_fsync(c->lun->file, 0))
		sim_check(c, MEDIUM_ERROR, SIM_ASC_WRITE_ERROR);
}

static void sim_verify(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	u64 lba, nblk;

	if (cdb[1] & 0xE6) {		/* VRPROTECT, BYTCHK */
		sim_bad_cdb(c);
		return;
	}
	if (cdb[0] == VERIFY) {
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
	} else {
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
	}
	sim_lba_ok(c, lba, nblk);
}

static void sim_read_capacity10(struct sim_cmd *c)
{
	u64 last = c->lun->nblocks - 1;
	u8 buf[8];

	/* PMI = 0 requires LOGICAL BLOCK ADDRESS = 0 */
	if (!(c->cdb[8] & 0x01) && get_unaligned_be32(&c->cdb[2])) {
		sim_bad_cdb(c);
		return;
	}
	put_unaligned_be32(min_t(u64, last, 0xFFFFFFFF), &buf[0]);
	put_unaligned_be32(c->lun->block_size, &buf[4]);
	sim_respond(c, buf, sizeof(buf), sizeof(buf));
}

static void sim_read_capacity16(struct sim_cmd *c)
{
	u8 buf[32] = { };

	if ((c->cdb[1] & 0x1F) != SAI_READ_CAPACITY_16) {
		sim_bad_cdb(c);
		return;
	}
	put_unaligned_be64(c->lun->nblocks - 1, &buf[0]);
	put_unaligned_be32(c->lun->block_size, &buf[8]);
	buf[14] = 0x80 | 0x40;		/* LBPME, LBPRZ: thin, reads zeros */
	sim_respond(c, buf, sizeof(buf), get_unaligned_be32(&c->cdb[10]));
}

/* ---------------------------------------------------------------------- */
/* MODE SENSE                                                             */
/* ---------------------------------------------------------------------- */

#define SIM_MPAGE_CACHING	0x08
#define SIM_MPAGE_CONTROL	0x0A
#define SIM_MPAGE_ALL		0x3F

/*
 * Write cache: file-backed LUNs write to the page cache and flush on
 * SYNCHRONIZE CACHE, so they report WCE=1; RAM LUNs have no volatile cache.
 */
static u32 sim_mpage_caching(struct sim_lun *lun, u8 *p, bool changeable)
{
	memset(p, 0, 20);
	p[0] = SIM_MPAGE_CACHING;
	p[1] = 18;
	if (!changeable && lun->file)
		p[2] = 0x04;			/* WCE */
	return 20;
}

static u32 sim_mpage_control(u8 *p, bool changeable)
{
	memset(p, 0, 12);
	p[0] = SIM_MPAGE_CONTROL;
	p[1] = 10;
	if (!changeable) {
		p[3] = 0x10;			/* QAM: unrestricted reordering */
		put_unaligned_be16(0xFFFF, &p[8]);	/* busy timeout: unlimited */
	}
	return 12;
}

static void sim_mode_sense(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	struct sim_lun *lun = c->lun;
	bool ten = cdb[0] == MODE_SENSE_10;
	bool dbd = cdb[1] & 0x08;
	bool llbaa = ten && (cdb[1] & 0x10);
	u8 pc = cdb[2] >> 6, page = cdb[2] & 0x3F, subpage = cdb[3];
	u32 hlen = ten ? 8 : 4, n, alloc;
	u8 buf[64] = { };
	u8 *p;

	alloc = ten ? get_unaligned_be16(&cdb[7]) : cdb[4];
	if (pc == 3) {
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_SAVING_NOT_SUPPORTED);
		return;
	}
	if ((page != SIM_MPAGE_CACHING && page != SIM_MPAGE_CONTROL &&
	     page != SIM_MPAGE_ALL) ||
	    (subpage && !(page == SIM_MPAGE_ALL && subpage == 0xFF))) {
		sim_bad_cdb(c);
		return;
	}

	p = buf + hlen;
	if (!dbd) {
		if (llbaa) {
			put_unaligned_be64(lun->nblocks, &p[0]);
			put_unaligned_be32(lun->block_size, &p[12]);
			buf[4] = 0x01;			/* LONGLBA */
			p += 16;
		} else {
			put_unaligned_be24(min_t(u64, lun->nblocks, 0xFFFFFF),
					   &p[1]);
			put_unaligned_be24(lun->block_size, &p[5]);
			p += 8;
		}
	}
	if (ten)
		put_unaligned_be16(p - buf - hlen, &buf[6]);
	else
		buf[3] = p - buf - hlen;

	if (page == SIM_MPAGE_CACHING || page == SIM_MPAGE_ALL)
		p += sim_mpage_caching(lun, p, pc == 1);
	if (page == SIM_MPAGE_CONTROL || page == SIM_MPAGE_ALL)
		p += sim_mpage_control(p, pc == 1);

	n = p - buf;
	/* Mode data length excludes itself; device-specific parameter 0 */
	if (ten)
		put_unaligned_be16(n - 2, &buf[0]);
	else
		buf[0] = n - 1;
	sim_respond(c, buf, n, alloc);
}

/* ---------------------------------------------------------------------- */
/* INQUIRY, REPORT LUNS, REQUEST SENSE                                    */
/* ---------------------------------------------------------------------- */

static const u8 sim_vpd_pages[] = { 0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2 };

static u32 sim_inquiry_std(struct sim_cmd *c, u8 *buf)
{
	struct sim_lun *lun = c->lun;

	memset(buf, 0, 74);
	buf[0] = lun ? TYPE_DISK : 0x7F;	/* PQ 011b, type 1Fh if none */
	buf[2] = 0x06;				/* SPC-4 */
	buf[3] = 0x12;				/* HISUP, response format 2 */
	buf[4] = 74 - 5;
	if (lun && hweight8(lun->port_mask) > 1)
		buf[6] = 0x10;			/* MULTIP */
	buf[7] = 0x02;				/* CMDQUE */
	memcpy(&buf[8], "IBM     ", 8);
	memcpy(&buf[16], "FlashSystem-SIM ", 16);
	memcpy(&buf[32], "0001", 4);
	/* Version descriptors: SAM-5, SPC-4, SBC-3, FCP-4 */
	put_unaligned_be16(0x00A0, &buf[58]);
	put_unaligned_be16(0x0460, &buf[60]);
	put_unaligned_be16(0x04C0, &buf[62]);
	put_unaligned_be16(0x0A40, &buf[64]);
	return 74;
}

/* Device identification: LU NAA-6, target port NAA-5, relative port */
static u32 sim_vpd_devid(struct sim_cmd *c, u8 *buf)
{
	u8 *p = &buf[4];
	u64 wwpn;

	p[0] = 0x01;			/* code set: binary */
	p[1] = 0x03;			/* association: LU, type: NAA */
	p[3] = 16;
	memcpy(&p[4], c->lun->wwid, 16);
	p += 20;

	/* Target port name: NAA-5, OUI, adapter base and port number */
	wwpn = 5ULL << 60 | SIM_IEEE_OUI << 36 |
	       ((c->fab->wwid_base << 4) & 0xFFFFFFFF0ULL) | c->port;
	p[0] = 0x01;
	p[1] = 0x80 | 0x10 | 0x03;	/* PIV, association: port, NAA */
	p[3] = 8;
	put_unaligned_be64(wwpn, &p[4]);
	p += 12;

	p[0] = 0x01;
	p[1] = 0x80 | 0x10 | 0x04;	/* PIV, port, relative target port */
	p[3] = 4;
	put_unaligned_be16(c->port + 1, &p[6]);
	p += 8;

	return p - buf;
}

static u32 sim_vpd_block_limits(struct sim_cmd *c, u8 *buf)
{
	u8 shift = c->lun->block_shift;

	memset(&buf[4], 0, 0x3C);
	buf[4] = 0x01;					/* WSNZ */
	/* optimal transfer length granularity: one 4 KiB page */
	put_unaligned_be16(max_t(u32, PAGE_SIZE >> shift, 1), &buf[6]);
	put_unaligned_be32(SIM_MAX_XFER_BYTES >> shift, &buf[8]);
	put_unaligned_be32(SIM_OPT_XFER_BYTES >> shift, &buf[12]);
	put_unaligned_be32(SIM_MAX_UNMAP_LBAS, &buf[20]);
	put_unaligned_be32(SIM_MAX_UNMAP_DESC, &buf[24]);
	put_unaligned_be32(max_t(u32, PAGE_SIZE >> shift, 1), &buf[28]);
	put_unaligned_be64(SIM_MAX_WS_BYTES >> shift, &buf[36]);
	return 4 + 0x3C;
}

static void sim_inquiry_vpd(struct sim_cmd *c, u8 *buf, u32 alloc)
{
	u8 page = c->cdb[2];
	u32 n;

	buf[0] = TYPE_DISK;
	buf[1] = page;
	switch (page) {
	case 0x00:
		memcpy(&buf[4], sim_vpd_pages, sizeof(sim_vpd_pages));
		n = 4 + sizeof(sim_vpd_pages);
		break;
	case 0x80:
		n = strlen(c->lun->serial);
		memcpy(&buf[4], c->lun->serial, n);
		n += 4;
		break;
	case 0x83:
		n = sim_vpd_devid(c, buf);
		break;
	case 0xB0:
		n = sim_vpd_block_limits(c, buf);
		break;
	case 0xB1:
		memset(&buf[4], 0, 0x3C);
		put_unaligned_be16(1, &buf[4]);		/* non-rotating */
		n = 4 + 0x3C;
		break;
	case 0xB2:
		buf[4] = 0;			/* threshold exponent */
		buf[5] = 0x80 | 0x40 | 0x20 | 0x04; /* LBPU, LBPWS, LBPWS10, LBPRZ */
		buf[6] = 0x02;			/* provisioning type: thin */
		buf[7] = 0;
		n = 8;
		break;
	default:
		sim_bad_cdb(c);
		return;
	}
	put_unaligned_be16(n - 4, &buf[2]);
	sim_respond(c, buf, n, alloc);
}

static void sim_inquiry(struct sim_cmd *c)
{
	const u8 *cdb = c->cdb;
	u32 alloc = get_unaligned_be16(&cdb[3]);
	u8 buf[96];

	if (cdb[1] & 0x02) {				/* CMDDT */
		sim_bad_cdb(c);
		return;
	}
	if (!(cdb[1] & 0x01)) {
		if (cdb[2]) {
			sim_bad_cdb(c);
			return;
		}
		sim_respond(c, buf, sim_inquiry_std(c, buf), alloc);
		return;
	}
	if (!c->lun) {
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_LUN_NOT_SUPPORTED);
		return;
	}
	memset(buf, 0, sizeof(buf));
	sim_inquiry_vpd(c, buf, alloc);
}

/* SAM-5 single level LUN structure, peripheral or flat space addressing */
static void sim_encode_lun(u64 lun, u8 *p)
{
	memset(p, 0, 8);
	if (lun < 256) {
		p[1] = lun;
	} else {
		p[0] = 0x40 | (lun >> 8);
		p[1] = lun & 0xFF;
	}
}

#define SIM_RLUN_CHUNK	32			/* entries per host copy */

/* Copy the @nbuf entries in @buf that end at @pos, cut at @limit */
static int sim_rlun_flush(struct sim_cmd *c, const u8 *buf, u32 nbuf, u32 pos,
			  u32 limit)
{
	u32 start = pos - nbuf * 8;

	if (!nbuf)
		return 0;
	return sim_xfer_to_host(c->x, start, buf, min(nbuf * 8, limit - start));
}

static void sim_report_luns(struct sim_cmd *c)
{
	struct sim_fabric *fab = c->fab;
	u32 alloc = get_unaligned_be32(&c->cdb[6]);
	u8 select = c->cdb[2];
	u8 buf[8 * SIM_RLUN_CHUNK];
	u32 total = 0, limit, pos, nbuf = 0;
	struct sim_lun *lun;
	bool list;

	if (select > 2 || alloc < 4) {
		sim_bad_cdb(c);
		return;
	}
	/* No well known LUNs: select report 1 gets an empty list */
	list = select != 1;
	limit = min(alloc, c->x->len);

	/*
	 * fab->lock keeps the list stable between counting and copying; the
	 * list is kept sorted by LUN number, so the report is too.
	 */
	mutex_lock(&fab->lock);
	if (list)
		list_for_each_entry(lun, &fab->luns, node)
			if (sim_lun_on_port(lun, c->port))
				total++;

	memset(buf, 0, 8);
	put_unaligned_be32(total * 8, &buf[0]);
	if (limit && sim_xfer_to_host(c->x, 0, buf, min(limit, 8U)))
		goto fault;

	pos = 8;
	if (list) {
		list_for_each_entry(lun, &fab->luns, node) {
			if (pos >= limit)
				break;
			if (!sim_lun_on_port(lun, c->port))
				continue;
			sim_encode_lun(lun->lun, &buf[nbuf * 8]);
			nbuf++;
			pos += 8;
			if (nbuf == SIM_RLUN_CHUNK) {
				if (sim_rlun_flush(c, buf, nbuf, pos, limit))
					goto fault;
				nbuf = 0;
			}
		}
		if (sim_rlun_flush(c, buf, nbuf, pos, limit))
			goto fault;

		/* REPORT LUNS clears "reported LUNs data has changed" */
		list_for_each_entry(lun, &fab->luns, node) {
			if (!sim_lun_on_port(lun, c->port))
				continue;
			spin_lock(&lun->ua_lock);
			if (lun->ua[c->port] == SIM_ASC_LUNS_CHANGED)
				lun->ua[c->port] = 0;
			spin_unlock(&lun->ua_lock);
		}
	}
	mutex_unlock(&fab->lock);
	c->res->xfer_len = min(pos, limit);
	return;
fault:
	mutex_unlock(&fab->lock);
	c->res->fault = true;
}

static void sim_request_sense(struct sim_cmd *c)
{
	u8 sense[18];
	u16 asc;

	if (c->cdb[1] & 0x01) {			/* DESC: fixed format only */
		sim_bad_cdb(c);
		return;
	}
	if (!c->lun) {
		sim_fill_sense(sense, ILLEGAL_REQUEST,
			       SIM_ASC_LUN_NOT_SUPPORTED);
	} else {
		asc = sim_ua_take(c->lun, c->port);
		sim_fill_sense(sense, asc ? UNIT_ATTENTION : NO_SENSE, asc);
	}
	sim_respond(c, sense, sizeof(sense), c->cdb[4]);
}

/* ---------------------------------------------------------------------- */
/* Dispatch                                                               */
/* ---------------------------------------------------------------------- */

/* Commands addressed to an existing LUN, after unit attentions */
static void sim_exec_lun(struct sim_cmd *c)
{
	switch (c->cdb[0]) {
	case TEST_UNIT_READY:
	case START_STOP:
		break;
	case READ_6:
	case READ_10:
	case READ_16:
		sim_read_write(c, false);
		break;
	case WRITE_6:
	case WRITE_10:
	case WRITE_16:
		sim_read_write(c, true);
		break;
	case WRITE_SAME:
	case WRITE_SAME_16:
		sim_write_same(c);
		break;
	case UNMAP:
		sim_unmap(c);
		break;
	case SYNCHRONIZE_CACHE:
	case SYNCHRONIZE_CACHE_16:
		sim_sync_cache(c);
		break;
	case VERIFY:
	case VERIFY_16:
		sim_verify(c);
		break;
	case READ_CAPACITY:
		sim_read_capacity10(c);
		break;
	case SERVICE_ACTION_IN_16:
		sim_read_capacity16(c);
		break;
	case MODE_SENSE:
	case MODE_SENSE_10:
		sim_mode_sense(c);
		break;
	default:
		sim_check(c, ILLEGAL_REQUEST, SIM_ASC_INVALID_OPCODE);
		break;
	}
}

void sim_fabric_exec(struct sim_fabric *fab, unsigned int port, u64 lun,
		     const u8 *cdb, struct sim_xfer *x,
		     struct sim_scsi_result *res)
{
	struct sim_cmd c = {
		.fab = fab,
		.port = port,
		.lunid = lun,
		.cdb = cdb,
		.x = x,
		.res = res,
	};
	u16 asc;

	memset(res, 0, sizeof(*res));
	if (port < fab->nports)
		c.lun = sim_lun_find(fab, port, lun);

	switch (cdb[0]) {
	case INQUIRY:
		sim_inquiry(&c);
		break;
	case REPORT_LUNS:
		sim_report_luns(&c);
		break;
	case REQUEST_SENSE:
		sim_request_sense(&c);
		break;
	default:
		if (!c.lun) {
			sim_check(&c, ILLEGAL_REQUEST,
				  SIM_ASC_LUN_NOT_SUPPORTED);
			break;
		}
		asc = sim_ua_take(c.lun, port);
		if (asc) {
			sim_check(&c, UNIT_ATTENTION, asc);
			break;
		}
		sim_exec_lun(&c);
		break;
	}

	if (c.lun)
		sim_lun_put(c.lun);
}

bool sim_fabric_nowait_ok(struct sim_fabric *fab, unsigned int port, u64 lun,
			  const u8 *cdb, u32 data_len)
{
	struct sim_lun *l;
	unsigned long idx, last;
	bool write, ok = true;
	u64 lba;
	u32 nblk;

	switch (cdb[0]) {
	case READ_10:
	case WRITE_10:
		lba = get_unaligned_be32(&cdb[2]);
		nblk = get_unaligned_be16(&cdb[7]);
		break;
	case READ_16:
	case WRITE_16:
		lba = get_unaligned_be64(&cdb[2]);
		nblk = get_unaligned_be32(&cdb[10]);
		break;
	default:
		return false;
	}
	write = cdb[0] == WRITE_10 || cdb[0] == WRITE_16;
	if (port >= fab->nports || data_len > SIM_NOWAIT_MAX_BYTES)
		return false;

	l = sim_lun_find(fab, port, lun);
	if (!l)
		return false;
	if (l->file || lba >= l->nblocks || nblk > l->nblocks - lba) {
		/* file I/O sleeps; errors take the ordinary path */
		ok = false;
	} else if (write && nblk) {
		idx = (lba << l->block_shift) >> PAGE_SHIFT;
		last = (((lba + nblk) << l->block_shift) - 1) >> PAGE_SHIFT;
		for (; idx <= last && ok; idx++)
			ok = !!xa_load(&l->pages, idx);
	}
	sim_lun_put(l);
	return ok;
}

