/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cxlflash tracepoints (tracefs: events/cxlflash/).
 *
 * Every event is a static key: disabled, each call site costs a patched-out
 * jump and no argument is evaluated.  The command-latency timestamp is
 * taken only while cxlflash_cmd_complete is enabled.
 *
 * This header is included twice by cmd.c (once with CREATE_TRACE_POINTS),
 * hence the unusual guard.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM cxlflash

#if !defined(_CXLFLASH_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _CXLFLASH_TRACE_H

#include <linux/tracepoint.h>

/* A command handed to a hardware queue (SCSI or AFU-internal). */
TRACE_EVENT(cxlflash_cmd_submit,
	TP_PROTO(u32 host, u32 hwq, int tag, u8 opcode, u64 lba, u32 blocks),
	TP_ARGS(host, hwq, tag, opcode, lba, blocks),
	TP_STRUCT__entry(
		__field(u32, host)
		__field(u32, hwq)
		__field(int, tag)
		__field(u8, opcode)
		__field(u64, lba)
		__field(u32, blocks)
	),
	TP_fast_assign(
		__entry->host = host;
		__entry->hwq = hwq;
		__entry->tag = tag;
		__entry->opcode = opcode;
		__entry->lba = lba;
		__entry->blocks = blocks;
	),
	TP_printk("host%u hwq=%u tag=%d op=0x%02x lba=%llu blocks=%u",
		  __entry->host, __entry->hwq, __entry->tag, __entry->opcode,
		  __entry->lba, __entry->blocks)
);

/*
 * A command finished: @ioasc is the AFU's status word (0: good), @flushed
 * when a context reset dropped it, @lat_ns since submission (0 when the
 * event was enabled while the command was in flight).
 */
TRACE_EVENT(cxlflash_cmd_complete,
	TP_PROTO(u32 host, u32 hwq, int tag, u8 opcode, u64 lba, u32 blocks,
		 u32 ioasc, bool flushed, u64 lat_ns),
	TP_ARGS(host, hwq, tag, opcode, lba, blocks, ioasc, flushed, lat_ns),
	TP_STRUCT__entry(
		__field(u32, host)
		__field(u32, hwq)
		__field(int, tag)
		__field(u8, opcode)
		__field(u64, lba)
		__field(u32, blocks)
		__field(u32, ioasc)
		__field(bool, flushed)
		__field(u64, lat_ns)
	),
	TP_fast_assign(
		__entry->host = host;
		__entry->hwq = hwq;
		__entry->tag = tag;
		__entry->opcode = opcode;
		__entry->lba = lba;
		__entry->blocks = blocks;
		__entry->ioasc = ioasc;
		__entry->flushed = flushed;
		__entry->lat_ns = lat_ns;
	),
	TP_printk("host%u hwq=%u tag=%d op=0x%02x lba=%llu blocks=%u ioasc=0x%08x%s lat_ns=%llu",
		  __entry->host, __entry->hwq, __entry->tag, __entry->opcode,
		  __entry->lba, __entry->blocks, __entry->ioasc,
		  __entry->flushed ? " flushed" : "", __entry->lat_ns)
);

/* A user context: attach, detach (last LUN gone or fd2 closed), recover. */
DECLARE_EVENT_CLASS(cxlflash_ctx_class,
	TP_PROTO(u32 host, u64 ctxid, int pid, int rc),
	TP_ARGS(host, ctxid, pid, rc),
	TP_STRUCT__entry(
		__field(u32, host)
		__field(u64, ctxid)
		__field(int, pid)
		__field(int, rc)
	),
	TP_fast_assign(
		__entry->host = host;
		__entry->ctxid = ctxid;
		__entry->pid = pid;
		__entry->rc = rc;
	),
	TP_printk("host%u ctxid=0x%016llx pid=%d rc=%d", __entry->host,
		  __entry->ctxid, __entry->pid, __entry->rc)
);

DEFINE_EVENT(cxlflash_ctx_class, cxlflash_ctx_attach,
	TP_PROTO(u32 host, u64 ctxid, int pid, int rc),
	TP_ARGS(host, ctxid, pid, rc));
DEFINE_EVENT(cxlflash_ctx_class, cxlflash_ctx_detach,
	TP_PROTO(u32 host, u64 ctxid, int pid, int rc),
	TP_ARGS(host, ctxid, pid, rc));
DEFINE_EVENT(cxlflash_ctx_class, cxlflash_ctx_recover,
	TP_PROTO(u32 host, u64 ctxid, int pid, int rc),
	TP_ARGS(host, ctxid, pid, rc));

/* VLUN_RESIZE / USER_VIRTUAL growth: chunks before and after. */
TRACE_EVENT(cxlflash_vlun_resize,
	TP_PROTO(u32 host, u64 ctxid, u64 rhndl, u32 chunks_before,
		 u32 chunks_after, int rc),
	TP_ARGS(host, ctxid, rhndl, chunks_before, chunks_after, rc),
	TP_STRUCT__entry(
		__field(u32, host)
		__field(u64, ctxid)
		__field(u64, rhndl)
		__field(u32, before)
		__field(u32, after)
		__field(int, rc)
	),
	TP_fast_assign(
		__entry->host = host;
		__entry->ctxid = ctxid;
		__entry->rhndl = rhndl;
		__entry->before = chunks_before;
		__entry->after = chunks_after;
		__entry->rc = rc;
	),
	TP_printk("host%u ctxid=0x%016llx rhndl=%llu chunks %u -> %u rc=%d",
		  __entry->host, __entry->ctxid, __entry->rhndl,
		  __entry->before, __entry->after, __entry->rc)
);

/* A reset: @ctx is the hardware context (-1: the whole AFU). */
TRACE_EVENT(cxlflash_reset,
	TP_PROTO(u32 host, int ctx, int rc),
	TP_ARGS(host, ctx, rc),
	TP_STRUCT__entry(
		__field(u32, host)
		__field(int, ctx)
		__field(int, rc)
	),
	TP_fast_assign(
		__entry->host = host;
		__entry->ctx = ctx;
		__entry->rc = rc;
	),
	TP_printk("host%u %s ctx=%d rc=%d", __entry->host,
		  __entry->ctx < 0 ? "afu" : "context", __entry->ctx,
		  __entry->rc)
);

/* An FC port event the AFU reported (@what: its name, as in dmesg). */
TRACE_EVENT(cxlflash_link_event,
	TP_PROTO(u32 host, int port, const char *what, u64 fc_status),
	TP_ARGS(host, port, what, fc_status),
	TP_STRUCT__entry(
		__field(u32, host)
		__field(int, port)
		__string(what, what)
		__field(u64, fc_status)
	),
	TP_fast_assign(
		__entry->host = host;
		__entry->port = port;
		__assign_str(what, what);
		__entry->fc_status = fc_status;
	),
	TP_printk("host%u port%d %s fc_status=0x%016llx", __entry->host,
		  __entry->port, __get_str(what), __entry->fc_status)
);

#endif /* _CXLFLASH_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
