/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcflash internals: a user-space view of the SISLite formats (our own
 * fixed-width definitions; the kernel's sislite.h uses kernel types and is
 * not included), the context/command engine and the ioctl layer.
 */
#ifndef CFLASH_INT_H
#define CFLASH_INT_H

#include <assert.h>
#include <endian.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cflash.h"

#define CF_EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------ */
/* SISLite: per-context host map (64 KiB window, registers big-endian)  */
/* ------------------------------------------------------------------ */

enum {
	SISL_R_ENDIAN_CTRL	= 0x00,
	SISL_R_INTR_STATUS	= 0x08,
	SISL_R_INTR_CLEAR	= 0x10,
	SISL_R_INTR_MASK	= 0x18,
	SISL_R_IOARRIN		= 0x20,
	SISL_R_RRQ0_START	= 0x28,
	SISL_R_RRQ0_END		= 0x30,
	SISL_R_CMD_ROOM		= 0x38,
	SISL_R_CTX_CTRL		= 0x40,
	SISL_R_MBOX_W		= 0x48,
	SISL_R_SQ_START		= 0x50,
	SISL_R_SQ_END		= 0x58,
	SISL_R_SQ_HEAD		= 0x60,
	SISL_R_SQ_TAIL		= 0x68,
	SISL_R_SQ_CTX_RESET	= 0x70,
	SISL_HOST_MAP_LEN	= 0x10000,
};

#define SISL_INTR_CLIENT_BITS	0x1FULL		/* the statuses a client handles */
#define SISL_INTR_ALL_BITS	0x7FFULL
#define SISL_CTX_CTRL_UNMAP	0x8000000000000000ULL
#define SISL_LISN_SYNC_ERR	1		/* written to CTX_CTRL */
#define SISL_LISN_RRQ		2		/* IOARCB msi for completions */
#define SISL_RRQ_TOGGLE		0x1ULL
#define SISL_ALL_ONES		UINT64_MAX

/* IOARCB request flags */
#define SISL_REQ_RES_HNDL	0x8000
#define SISL_REQ_SUP_UNDERRUN	0x4000
#define SISL_REQ_TMO_SECS	0x0000
#define SISL_REQ_TMO_MSECS	0x0040
#define SISL_REQ_TMO_USECS	0x0080
#define SISL_REQ_HOST_WRITE	0x0001

/* CDB opcodes */
#define SCSI_READ16		0x88
#define SCSI_WRITE16		0x8A
#define SCSI_WRITE_SAME16	0x93
#define SCSI_WS_UNMAP		0x08

/* Request control block, host-endian, 64 bytes */
struct sisl_ioarcb {
	uint16_t ctx_id;
	uint16_t req_flags;
	uint32_t res_hndl;
	uint64_t lun_id;
	uint32_t data_len;
	uint32_t ioadl_len;
	uint64_t data_ea;
	uint8_t msi;
	uint8_t rrq;
	uint16_t timeout;
	uint32_t rsvd1;
	uint8_t cdb[16];
	uint64_t sq_ioasa_ea;
};

/* IOASA flags */
#define SISL_SA_SENSE_VALID	0x80
#define SISL_SA_FCP_RSP_VALID	0x40
#define SISL_SA_OVERRUN		0x20
#define SISL_SA_UNDERRUN	0x10

/* Status area, host-endian, 64 bytes */
struct sisl_ioasa {
	union {
		struct {
			uint8_t flags;
			uint8_t afu_rc;
			uint8_t scsi_rc;
			uint8_t fc_rc;
		} rc;
		uint32_t ioasc;
	};
	uint32_t resid;
	uint8_t port;
	uint8_t afu_extra;
	uint8_t scsi_extra;
	uint8_t fc_extra;
	uint8_t sense[20];
	uint8_t host_use[32];
};

/* One command: IOARCB immediately followed by its IOASA, 128-B aligned */
struct cf_cmd {
	struct sisl_ioarcb rcb;
	struct sisl_ioasa sa;
} __attribute__((aligned(128)));

static_assert(sizeof(struct sisl_ioarcb) == 64, "IOARCB is 64 bytes");
static_assert(sizeof(struct sisl_ioasa) == 64, "IOASA is 64 bytes");
static_assert(sizeof(struct cf_cmd) == 128, "command is 128 bytes");
static_assert(offsetof(struct sisl_ioarcb, res_hndl) == 4, "res_hndl");
static_assert(offsetof(struct sisl_ioarcb, lun_id) == 8, "lun_id");
static_assert(offsetof(struct sisl_ioarcb, data_len) == 16, "data_len");
static_assert(offsetof(struct sisl_ioarcb, ioadl_len) == 20, "ioadl_len");
static_assert(offsetof(struct sisl_ioarcb, data_ea) == 24, "data_ea");
static_assert(offsetof(struct sisl_ioarcb, msi) == 32, "msi");
static_assert(offsetof(struct sisl_ioarcb, rrq) == 33, "rrq");
static_assert(offsetof(struct sisl_ioarcb, timeout) == 34, "timeout");
static_assert(offsetof(struct sisl_ioarcb, cdb) == 40, "cdb");
static_assert(offsetof(struct sisl_ioarcb, sq_ioasa_ea) == 56, "sq_ioasa_ea");
static_assert(offsetof(struct sisl_ioasa, resid) == 4, "resid");
static_assert(offsetof(struct sisl_ioasa, port) == 8, "port");
static_assert(offsetof(struct sisl_ioasa, afu_extra) == 9, "afu_extra");
static_assert(offsetof(struct sisl_ioasa, fc_extra) == 11, "fc_extra");
static_assert(offsetof(struct sisl_ioasa, sense) == 12, "sense");
static_assert(offsetof(struct sisl_ioasa, host_use) == 32, "host_use");
static_assert(offsetof(struct cf_cmd, sa) == 64, "IOASA follows IOARCB");
static_assert(SISL_R_SQ_CTX_RESET == 0x70 && SISL_R_CMD_ROOM == 0x38 &&
	      SISL_R_CTX_CTRL == 0x40 && SISL_R_RRQ0_END == 0x30,
	      "host map offsets");

/* adapter fd (fd2) event records (struct cxl_event, user view) */
struct cf_event_hdr {
	uint16_t type;
	uint16_t size;
	uint16_t process_element;
	uint16_t reserved1;
};
struct cf_event_irq {
	uint16_t flags;
	uint16_t irq;
	uint32_t reserved;
};
#define CF_EVENT_AFU_INTERRUPT	1
#define CF_EVENT_READ_MIN	4096
static_assert(sizeof(struct cf_event_hdr) == 8, "cxl_event header");

/* ------------------------------------------------------------------ */
/* Pure helpers (sisl.c), unit-tested on the host                      */
/* ------------------------------------------------------------------ */

void cf_build_rw(struct sisl_ioarcb *rcb, uint16_t ctx_id, uint32_t rhndl,
		 bool write, uint64_t lba, uint32_t nblocks,
		 uint32_t block_size, uint64_t data_ea, uint8_t msi,
		 uint16_t timeout_s);

/* RRQ consumer: 1 = *ea holds a completion, 0 = empty, -EIO = all ones */
int cf_rrq_pop(volatile uint64_t *rrq, unsigned int n, unsigned int *cur,
	       uint64_t *toggle, uint64_t *ea);

struct cf_sense {
	uint8_t key, asc, ascq;
	bool valid;
};
bool cf_parse_sense(const uint8_t *s, size_t len, struct cf_sense *out);

enum cf_action {
	CF_ACT_OK,		/* good completion */
	CF_ACT_FAIL,		/* final error, see err */
	CF_ACT_RETRY,		/* retry now */
	CF_ACT_RETRY_DELAY,	/* retry after a delay */
	CF_ACT_VERIFY,		/* unit attention: VERIFY, then retry */
	CF_ACT_RECOVER,		/* context may be gone: check, recover */
};
struct cf_verdict {
	enum cf_action act;
	int err;		/* -errno for FAIL (and if retries run out) */
};
struct cf_verdict cf_classify(const struct sisl_ioasa *sa);

/* VPD page 0x83 -> 16-byte NAA designator; 0 or -errno */
int cf_vpd83_wwid(const uint8_t *page, size_t len, uint8_t wwid[16]);

/* tags: generation << 16 | slot */
static inline cflash_tag_t cf_tag_make(unsigned int slot, uint32_t gen)
{
	return ((uint64_t)gen << 16) | slot;
}

/* ------------------------------------------------------------------ */
/* Engine                                                              */
/* ------------------------------------------------------------------ */

#define CF_NSLOTS		CFLASH_MAX_INFLIGHT
#define CF_NSQ			(CF_NSLOTS + 1)
#define CF_MAX_RETRIES		6
#define CF_DEF_TIMEOUT_MS	30000u
#define CF_DEF_SPIN_MS		20u

enum cf_slot_state {
	CF_SLOT_FREE = 0,
	CF_SLOT_INFLIGHT,	/* given to the AFU */
	CF_SLOT_COMPLETED,	/* harvested, being processed */
	CF_SLOT_RETRY_WAIT,	/* waiting to be re-submitted */
	CF_SLOT_DONE,		/* final status, waiting for the owner */
};

struct cflash_lun;

struct cf_slot {
	uint8_t state;
	uint8_t retries;
	bool async;
	bool write;
	uint32_t gen;
	struct cflash_lun *owner;
	uint64_t lba;
	uint32_t nblocks;
	uint64_t data_ea;
	uint64_t t_submit;	/* ms, coarse clock */
	uint64_t t_retry;	/* RETRY_WAIT: not before */
	int status;
	int16_t dq_prev, dq_next;	/* owner's list of finished async cmds */
};

struct cf_ctx;

/* what the engine needs from the ioctl layer (replaced in unit tests) */
struct cf_ctx_ops {
	/* RECOVER_AFU; 1 = new context (remapped), 0 = nothing to do */
	int (*recover)(struct cf_ctx *ctx, uint64_t reason);
	/* VERIFY with sense; updates lun->last_lba */
	int (*verify)(struct cflash_lun *lun, const uint8_t *sense18);
};

struct cf_last_err {
	bool valid;
	int err;
	struct sisl_ioasa sa;
	uint64_t lba;
};

struct cf_ctx {
	uint32_t magic;
	pthread_mutex_t lock;
	struct cf_ctx *next;		/* process list (global lock) */
	const struct cf_ctx_ops *ops;

	/* identity */
	char adapter[256];
	int omode;			/* O_ACCMODE of the context */
	bool private_ctx;
	uint64_t ctx_id;
	uint16_t hw_ctx_id;
	int fd2;
	bool app_close;
	bool sq_mode;
	bool unmap_ok;
	bool forked;			/* inherited by fork(), not cloned yet */
	int dead;			/* -errno once recovery failed */
	pid_t pid;

	/* MMIO */
	volatile uint8_t *mmio;
	size_t mmio_size;

	/* process memory the AFU reads and writes */
	void *dma;
	size_t dma_len;
	struct cf_cmd *cmds;		/* CF_NSLOTS */
	volatile uint64_t *rrq;		/* CF_NSLOTS entries */
	unsigned int rrq_cur;
	uint64_t toggle;
	struct sisl_ioarcb *sq;		/* CF_NSQ entries */
	unsigned int sq_tail;
	int64_t room;			/* cached CMD_ROOM (IOARRIN mode) */

	struct cf_slot slots[CF_NSLOTS];
	uint16_t freelist[CF_NSLOTS];
	unsigned int nfree;
	unsigned int inflight;		/* INFLIGHT slots */

	/* LUNs using this context */
	struct cflash_lun *luns;
	unsigned int nluns;

	unsigned int timeout_ms;
	struct cflash_stats st;
	struct cf_last_err last;
	unsigned int health_tick;
	unsigned int nretry;		/* slots in RETRY_WAIT */
	bool in_recovery;
	bool need_recover;		/* set by waiters (EIO on fd2) */
	uint64_t spurious;		/* RRQ entries matching no command */
};

#define CF_LUN_MAGIC		0x43464c4eu	/* "CFLN" */
#define CF_LUN_DEAD		0x44454144u	/* "DEAD" */
#define CF_CTX_MAGIC		0x43465843u	/* "CFXC" */

struct cflash_lun {
	uint32_t magic;
	struct cflash_lun *pool_next;	/* recycled handles */
	struct cflash_lun *ctx_next;	/* LUNs of the same context */
	struct cflash_lun *reg_next;	/* live handles */
	struct cf_ctx *ctx;
	int fd;
	int flags;			/* cflash_open() flags */
	bool virt;
	uint64_t rhndl;
	uint64_t last_lba;		/* all ones: empty */
	uint32_t block_size;
	uint64_t max_xfer;
	char dev[128];
	char sdev[PATH_MAX];		/* scsi_device sysfs path */

	/* finished asynchronous commands waiting for cflash_aresult(ANY) */
	int dq_head, dq_tail;		/* slot indices, -1 = empty */
	unsigned int async_out;		/* submitted, not reaped */
};

/* engine.c */
int cf_ctx_alloc_dma(struct cf_ctx *ctx);
void cf_ctx_free_dma(struct cf_ctx *ctx);
void cf_ctx_reset_slots(struct cf_ctx *ctx);
int cf_ctx_setup_locked(struct cf_ctx *ctx);	/* program the host map */
uint64_t cf_now_ms(void);
unsigned int cf_spin_ms(void);
void cf_spin_init(void);			/* from lib_init: reads CFLASH_SPIN_MS */

int cf_submit(struct cflash_lun *lun, bool write, uint64_t data_ea,
	      uint64_t lba, uint32_t nblocks, bool async, bool wait_slot,
	      unsigned int *slot_out, uint32_t *gen_out);
int cf_wait_slot(struct cflash_lun *lun, unsigned int slot, uint32_t gen,
		 bool wait, int *status);
int cf_reap_any(struct cflash_lun *lun, bool wait,
		struct cflash_completion *c);
int cf_reap_tag(struct cflash_lun *lun, cflash_tag_t tag, bool wait,
		struct cflash_completion *c);
/* wait until @lun has nothing in flight, discarding async results */
void cf_drain_lun(struct cflash_lun *lun);
int cf_poll_once(struct cf_ctx *ctx);		/* harvest + health, locked */

static inline uint64_t cf_mmio_read(struct cf_ctx *ctx, unsigned int off)
{
	/* one 64-bit load; registers are big-endian */
	uint64_t v = *(volatile uint64_t *)(ctx->mmio + off);

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return be64toh(v);
}

static inline void cf_mmio_write(struct cf_ctx *ctx, unsigned int off,
				 uint64_t val)
{
	uint64_t v = htobe64(val);

	__atomic_thread_fence(__ATOMIC_RELEASE);
	*(volatile uint64_t *)(ctx->mmio + off) = v;
}

static inline void cf_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#elif defined(__powerpc64__)
	__asm__ __volatile__("or 1,1,1; or 2,2,2" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* lun.c */
extern const struct cf_ctx_ops cf_ioctl_ops;
void cf_set_last_error(struct cf_ctx *ctx, int err,
		       const struct sisl_ioasa *sa, uint64_t lba);

/* sysfs.c */
struct cf_devinfo {
	char sdev_path[PATH_MAX];	/* resolved scsi_device directory */
	char adapter[256];		/* sdev_path cut at "/host" */
	int host_no;
};
int cf_sysfs_resolve(const char *dev, struct cf_devinfo *di);
int cf_sysfs_read(const char *dir, const char *attr, char *buf, size_t len);
ssize_t cf_sysfs_read_bin(const char *dir, const char *attr, uint8_t *buf,
			  size_t len);

#endif /* CFLASH_INT_H */
