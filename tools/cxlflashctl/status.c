// SPDX-License-Identifier: GPL-2.0-only
/*
 * cxlflashctl status [--json] [ADAPTER]: what an adapter looks like now.
 *
 * Gathered from sysfs (the host's attributes, ports, LUN paths and their
 * modes), /proc (processes holding a disk or an adapter fd), debugfs (the
 * driver's LUN records and user contexts, when mounted) and the kernel log
 * (the adapter's latest errors), then printed as text or as one JSON
 * object.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cxlflashctl.h"

#define DBG_ROOT	"/sys/kernel/debug/cxlflash"
#define MAX_PATHS	64
#define MAX_HOLDERS	8
#define MAX_GLUNS	64
#define MAX_CTX		64
#define MAX_ERRS	5

struct holder {
	int pid;
	char comm[32];
};

struct lpath {			/* one SCSI device: a LUN seen through a port */
	char hctl[64];
	int port, lun;
	char disk[64], sg[64], mode[32];
	char wwid[40];
	unsigned long long bytes;
	unsigned int block_size;
	int nholders;
	struct holder holders[MAX_HOLDERS];
};

struct glun {			/* debugfs luns: the driver's view of one WWID */
	char wwid[40];
	char mode[16];
	int users;
	unsigned long long max_lba, chunks, free_chunks;
	unsigned int blk_len;
};

struct uctx {			/* debugfs hostN/contexts */
	char id[24];
	int pe, pid, luns;
	unsigned int handles;
	char state[16], comm[32];
};

struct kerr {
	double t;
	int level;
	char msg[256];
};

struct adapter {
	int host;
	char name[32], path[1024], devname[256];
	char afu_version[64], state[32], lun_mode[16], ioctl_version[32];
	char num_hwqs[16], hwq_mode[16], irqpoll[16], user_contexts[16];
	int nports;
	char port_state[4][32];
	int port_slots[4];
	int npaths;
	struct lpath paths[MAX_PATHS];
	int have_debugfs;
	char dbg_user_files[16], dbg_contexts[16];
	int nctx;
	struct uctx ctx[MAX_CTX];
	int nerrs;
	struct kerr errs[MAX_ERRS];
};

static struct glun gluns[MAX_GLUNS];
static int ngluns, have_gluns;

static void attr_or(const char *dir, const char *name, char *out, size_t len, const char *dflt)
{
	char p[1200];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (read_attr(p, out, len) < 0)
		snprintf(out, len, "%s", dflt);
}

static void read_gluns(void)
{
	FILE *f = fopen(DBG_ROOT "/luns", "r");
	char line[512];

	ngluns = 0;
	have_gluns = !!f;
	if (!f)
		return;
	while (ngluns < MAX_GLUNS && fgets(line, sizeof(line), f)) {
		struct glun *g = &gluns[ngluns];

		if (sscanf(line, "%39s mode=%15s users=%d max_lba=%llu blk_len=%u chunks=%llu free=%llu",
			   g->wwid, g->mode, &g->users, &g->max_lba, &g->blk_len, &g->chunks,
			   &g->free_chunks) == 7)
			ngluns++;
	}
	fclose(f);
}

static struct glun *glun_of(const char *wwid)
{
	for (int i = 0; i < ngluns; i++)
		if (!strcmp(gluns[i].wwid, wwid))
			return &gluns[i];
	return NULL;
}

static void comm_of(int pid, char *out, size_t len)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	if (read_attr(p, out, len) < 0)
		snprintf(out, len, "?");
}

/* processes with the disk (or its sg node) open: scan /proc/PID/fd */
static void find_holders(struct adapter *a)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char fdp[64], link[400], tgt[300];
		DIR *fd;
		struct dirent *fe;
		int pid;

		if (sscanf(e->d_name, "%d", &pid) != 1 || pid == getpid())
			continue;
		snprintf(fdp, sizeof(fdp), "/proc/%d/fd", pid);
		fd = opendir(fdp);
		if (!fd)
			continue;
		while ((fe = readdir(fd))) {
			ssize_t n;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%.255s", fdp, fe->d_name);
			n = readlink(link, tgt, sizeof(tgt) - 1);
			if (n <= 5)
				continue;
			tgt[n] = '\0';
			for (int i = 0; i < a->npaths; i++) {
				struct lpath *lp = &a->paths[i];
				bool dup = false;

				if (strncmp(tgt, "/dev/", 5) ||
				    (strcmp(tgt + 5, lp->disk) && strcmp(tgt + 5, lp->sg)))
					continue;
				for (int h = 0; h < lp->nholders; h++)
					dup |= lp->holders[h].pid == pid;
				if (dup || lp->nholders == MAX_HOLDERS)
					continue;
				lp->holders[lp->nholders].pid = pid;
				comm_of(pid, lp->holders[lp->nholders].comm,
					sizeof(lp->holders[0].comm));
				lp->nholders++;
			}
		}
		closedir(fd);
	}
	closedir(d);
}

static void read_contexts(struct adapter *a)
{
	char p[256], line[512];
	FILE *f;

	snprintf(p, sizeof(p), DBG_ROOT "/host%d/contexts", a->host);
	f = fopen(p, "r");
	a->have_debugfs = !!f;
	a->nctx = 0;
	if (!f)
		return;
	while (a->nctx < MAX_CTX && fgets(line, sizeof(line), f)) {
		struct uctx *c = &a->ctx[a->nctx];

		if (sscanf(line, "%23s pe=%d pid=%d luns=%d handles=%u state=%15s", c->id, &c->pe,
			   &c->pid, &c->luns, &c->handles, c->state) != 6)
			continue;
		comm_of(c->pid, c->comm, sizeof(c->comm));
		a->nctx++;
	}
	fclose(f);
	snprintf(p, sizeof(p), DBG_ROOT "/host%d", a->host);
	attr_or(p, "user_files", a->dbg_user_files, sizeof(a->dbg_user_files), "?");
	attr_or(p, "contexts_count", a->dbg_contexts, sizeof(a->dbg_contexts), "?");
}

/*
 * Warnings and errors of the kernel log that name this adapter (its device
 * or "cxlflash"): the last MAX_ERRS of them.  /dev/kmsg records are
 * "PRIO,SEQ,USEC,FLAGS;TEXT", one per read().
 */
static void read_errors(struct adapter *a)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	char rec[8192];
	char hostn[32];

	a->nerrs = 0;
	if (fd < 0)
		return;
	snprintf(hostn, sizeof(hostn), "host%d", a->host);
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		unsigned long long seq, usec;
		unsigned int prio;
		char *text, *nl;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten while reading */
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text || sscanf(rec, "%u,%llu,%llu", &prio, &seq, &usec) != 3)
			continue;
		text++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		if ((prio & 7) > 4 || strstr(text, "taints kernel"))
			continue;
		if (!strstr(text, "cxlflash") && !(a->devname[0] && strstr(text, a->devname)) &&
		    !strstr(text, hostn))
			continue;
		if (a->nerrs == MAX_ERRS) {
			memmove(&a->errs[0], &a->errs[1], sizeof(a->errs[0]) * (MAX_ERRS - 1));
			a->nerrs--;
		}
		a->errs[a->nerrs].t = (double)usec / 1e6;
		a->errs[a->nerrs].level = (int)(prio & 7);
		snprintf(a->errs[a->nerrs].msg, sizeof(a->errs[0].msg), "%s", text);
		a->nerrs++;
	}
	close(fd);
}

static int cmp_paths(const void *x, const void *y)
{
	const struct lpath *a = x, *b = y;
	int c = strcmp(a->wwid, b->wwid);

	return c ? c : (a->port != b->port ? a->port - b->port : a->lun - b->lun);
}

static void gather(struct adapter *a, int host)
{
	char dir[128], p[1200], b[256];
	DIR *sd;
	struct dirent *se;

	memset(a, 0, sizeof(*a));
	a->host = host;
	snprintf(a->name, sizeof(a->name), "host%d", host);
	snprintf(dir, sizeof(dir), "/sys/class/scsi_host/host%d", host);
	snprintf(p, sizeof(p), "%s/device", dir);
	if (realpath(p, a->path)) {
		char *h = strstr(a->path, "/host");
		char *s;

		if (h)
			*h = '\0';
		s = strrchr(a->path, '/');
		snprintf(a->devname, sizeof(a->devname), "%.200s", s ? s + 1 : a->path);
	}
	attr_or(dir, "afu_version", a->afu_version, sizeof(a->afu_version), "?");
	attr_or(dir, "adapter_state", a->state, sizeof(a->state), "?");
	attr_or(dir, "lun_mode", a->lun_mode, sizeof(a->lun_mode), "?");
	attr_or(dir, "ioctl_version", a->ioctl_version, sizeof(a->ioctl_version), "?");
	/* "disk: 0" and "host: 0" on two lines: one line here */
	for (char *c = a->ioctl_version; *c; c++)
		if (*c == '\n')
			*c = ' ';
	attr_or(dir, "num_hwqs", a->num_hwqs, sizeof(a->num_hwqs), "?");
	attr_or(dir, "hwq_mode", a->hwq_mode, sizeof(a->hwq_mode), "?");
	attr_or(dir, "irqpoll_weight", a->irqpoll, sizeof(a->irqpoll), "?");
	attr_or(dir, "user_contexts", a->user_contexts, sizeof(a->user_contexts), "?");
	for (int port = 0; port < 4; port++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/port%d", dir, port);
		if (read_attr(p, a->port_state[port], sizeof(a->port_state[0])) < 0)
			break;
		a->nports = port + 1;
		snprintf(p, sizeof(p), "%s/port%d_lun_table", dir, port);
		f = fopen(p, "r");
		a->port_slots[port] = -1;
		if (f) {
			a->port_slots[port] = 0;
			while (fgets(b, sizeof(b), f))
				a->port_slots[port] += !!strchr(b, ':');
			fclose(f);
		}
	}
	sd = opendir("/sys/bus/scsi/devices");
	while (sd && (se = readdir(sd)) && a->npaths < MAX_PATHS) {
		struct lpath *lp = &a->paths[a->npaths];
		char sdev[600], v[64];
		int h, c, t, l;
		uint8_t w[16];

		if (sscanf(se->d_name, "%d:%d:%d:%d", &h, &c, &t, &l) != 4 || h != host)
			continue;
		snprintf(lp->hctl, sizeof(lp->hctl), "%.60s", se->d_name);
		lp->port = c;
		lp->lun = l;
		snprintf(sdev, sizeof(sdev), "/sys/bus/scsi/devices/%.200s", se->d_name);
		snprintf(p, sizeof(p), "%s/block", sdev);
		first_entry(p, lp->disk, sizeof(lp->disk));
		snprintf(p, sizeof(p), "%s/scsi_generic", sdev);
		first_entry(p, lp->sg, sizeof(lp->sg));
		attr_or(sdev, "mode", lp->mode, sizeof(lp->mode), "?");
		snprintf(lp->wwid, sizeof(lp->wwid), "-");
		if (!wwid_of_sdev(sdev, w))
			for (int i = 0; i < 16; i++)
				sprintf(lp->wwid + 2 * i, "%02x", w[i]);
		if (lp->disk[0]) {
			snprintf(p, sizeof(p), "/sys/block/%s/size", lp->disk);
			if (read_attr(p, v, sizeof(v)) > 0)
				lp->bytes = strtoull(v, NULL, 10) * 512ULL;
			snprintf(p, sizeof(p), "/sys/block/%s/queue/logical_block_size", lp->disk);
			if (read_attr(p, v, sizeof(v)) > 0)
				lp->block_size = (unsigned int)strtoul(v, NULL, 10);
		}
		a->npaths++;
	}
	if (sd)
		closedir(sd);
	qsort(a->paths, a->npaths, sizeof(a->paths[0]), cmp_paths);
	find_holders(a);
	read_contexts(a);
	read_errors(a);
}

/* --- JSON output: a small emitter with a comma per nesting level --- */

static int jlevel;
static bool jfirst[32];

static void jstring(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void jkey(const char *k)
{
	if (!jfirst[jlevel])
		putchar(',');
	jfirst[jlevel] = false;
	if (k) {
		jstring(k);
		putchar(':');
	}
}

static void jopen(const char *k, char c)
{
	jkey(k);
	putchar(c);
	jfirst[++jlevel] = true;
}

static void jclose(char c)
{
	putchar(c);
	jlevel--;
}

static void jstr(const char *k, const char *v)
{
	jkey(k);
	jstring(v);
}

static void jnum(const char *k, long long v)
{
	jkey(k);
	printf("%lld", v);
}

static void jnull(const char *k)
{
	jkey(k);
	printf("null");
}

/* a sysfs number as a JSON number, null when it is not one */
static void jattr_num(const char *k, const char *v)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	if (!*v || *end)
		jnull(k);
	else
		jnum(k, n);
}

static void status_json(struct adapter *a)
{
	jopen(NULL, '{');
	jstr("host", a->name);
	jnum("host_no", a->host);
	jstr("adapter", a->path);
	jstr("afu_version", a->afu_version);
	jstr("state", a->state);
	jattr_num("lun_mode", a->lun_mode);
	jstr("ioctl_version", a->ioctl_version);
	jopen("hwq", '{');
	jattr_num("num_hwqs", a->num_hwqs);
	jstr("mode", a->hwq_mode);
	jattr_num("irqpoll_weight", a->irqpoll);
	jclose('}');
	jattr_num("user_contexts", a->user_contexts);
	jopen("ports", '[');
	for (int i = 0; i < a->nports; i++) {
		jopen(NULL, '{');
		jnum("port", i);
		jstr("state", a->port_state[i]);
		if (a->port_slots[i] < 0)
			jnull("lun_table_slots");
		else
			jnum("lun_table_slots", a->port_slots[i]);
		jclose('}');
	}
	jclose(']');
	jopen("luns", '[');
	for (int i = 0; i < a->npaths; i++) {
		struct lpath *lp = &a->paths[i];
		struct glun *g = glun_of(lp->wwid);

		if (i && !strcmp(lp->wwid, a->paths[i - 1].wwid))
			continue;	/* another path of the LUN just listed */
		jopen(NULL, '{');
		jstr("wwid", lp->wwid);
		jnum("size_bytes", (long long)lp->bytes);
		jnum("block_size", lp->block_size);
		if (g) {
			jstr("driver_mode", g->mode);
			jnum("users", g->users);
			jnum("chunks", (long long)g->chunks);
			jnum("chunks_free", (long long)g->free_chunks);
			jnum("chunks_used", (long long)(g->chunks - g->free_chunks));
		} else {
			jnull("driver_mode");
			jnull("users");
			jnull("chunks");
			jnull("chunks_free");
			jnull("chunks_used");
		}
		jopen("paths", '[');
		for (int k = i; k < a->npaths && !strcmp(a->paths[k].wwid, lp->wwid); k++) {
			struct lpath *q = &a->paths[k];

			jopen(NULL, '{');
			jstr("hctl", q->hctl);
			jnum("port", q->port);
			jnum("lun", q->lun);
			jstr("disk", q->disk);
			jstr("sg", q->sg);
			jstr("mode", q->mode);
			jopen("holders", '[');
			for (int h = 0; h < q->nholders; h++) {
				jopen(NULL, '{');
				jnum("pid", q->holders[h].pid);
				jstr("comm", q->holders[h].comm);
				jclose('}');
			}
			jclose(']');
			jclose('}');
		}
		jclose(']');
		jclose('}');
	}
	jclose(']');
	if (a->have_debugfs) {
		jattr_num("debugfs_user_files", a->dbg_user_files);
		jattr_num("debugfs_contexts", a->dbg_contexts);
		jopen("contexts", '[');
		for (int i = 0; i < a->nctx; i++) {
			struct uctx *c = &a->ctx[i];

			jopen(NULL, '{');
			jstr("id", c->id);
			jnum("pe", c->pe);
			jnum("pid", c->pid);
			jstr("comm", c->comm);
			jnum("luns", c->luns);
			jnum("handles", c->handles);
			jstr("state", c->state);
			jclose('}');
		}
		jclose(']');
	} else {
		jnull("debugfs_user_files");
		jnull("debugfs_contexts");
		jnull("contexts");
	}
	jopen("recent_errors", '[');
	for (int i = 0; i < a->nerrs; i++) {
		char t[32];

		jopen(NULL, '{');
		snprintf(t, sizeof(t), "%.6f", a->errs[i].t);
		jkey("time");
		fputs(t, stdout);
		jnum("level", a->errs[i].level);
		jstr("message", a->errs[i].msg);
		jclose('}');
	}
	jclose(']');
	jclose('}');
}

static void human_size(unsigned long long b, char *out, size_t len)
{
	if (b >= (1ULL << 30))
		snprintf(out, len, "%.1f GiB", (double)b / (1ULL << 30));
	else
		snprintf(out, len, "%.1f MiB", (double)b / (1ULL << 20));
}

static void status_text(struct adapter *a)
{
	char sz[32];
	int nluns = 0;

	for (int i = 0; i < a->npaths; i++)
		nluns += !i || strcmp(a->paths[i].wwid, a->paths[i - 1].wwid);
	printf("%s: cxlflash adapter %s\n", a->name, a->devname[0] ? a->devname : "?");
	printf("  state %s, AFU %s, lun_mode %s, ioctl interface \"%s\"\n", a->state,
	       a->afu_version, a->lun_mode, a->ioctl_version);
	printf("  hardware queues %s (mode %s, irqpoll_weight %s); user contexts %s\n",
	       a->num_hwqs, a->hwq_mode, a->irqpoll, a->user_contexts);
	printf("  ports:");
	for (int i = 0; i < a->nports; i++) {
		printf("  port%d %s", i, a->port_state[i]);
		if (a->port_slots[i] >= 0)
			printf(" (%d LUN table slot%s)", a->port_slots[i],
			       a->port_slots[i] == 1 ? "" : "s");
	}
	printf("\n  LUNs: %d\n", nluns);
	for (int i = 0; i < a->npaths; i++) {
		struct lpath *lp = &a->paths[i];
		struct glun *g;

		if (!i || strcmp(lp->wwid, a->paths[i - 1].wwid)) {
			g = glun_of(lp->wwid);
			human_size(lp->bytes, sz, sizeof(sz));
			printf("    wwid %s  %s (%llu x %u B)\n", lp->wwid, sz,
			       lp->block_size ? lp->bytes / lp->block_size : 0ULL, lp->block_size);
			if (g && g->chunks)
				printf("      driver: %s, %d user%s, vLUN chunks %llu of %llu used\n",
				       g->mode, g->users, g->users == 1 ? "" : "s",
				       g->chunks - g->free_chunks, g->chunks);
			else if (g)
				printf("      driver: %s, %d user%s, no vLUN chunks set up yet\n",
				       g->mode, g->users, g->users == 1 ? "" : "s");
			else if (!have_gluns)
				printf("      driver: (debugfs not mounted)\n");
			else
				printf("      driver: not in use\n");
		}
		printf("      %-9s port%d lun %d  /dev/%-5s %-10s", lp->hctl, lp->port, lp->lun,
		       lp->disk[0] ? lp->disk : "-", lp->mode);
		for (int h = 0; h < lp->nholders; h++)
			printf("%s%s[%d]", h ? ", " : " open by ", lp->holders[h].comm,
			       lp->holders[h].pid);
		printf("\n");
	}
	if (!a->have_debugfs) {
		printf("  contexts: unknown (mount debugfs on /sys/kernel/debug)\n");
	} else {
		printf("  contexts: %d (debugfs: %s user files, %s contexts)\n", a->nctx,
		       a->dbg_user_files, a->dbg_contexts);
		for (int i = 0; i < a->nctx; i++) {
			struct uctx *c = &a->ctx[i];

			printf("    context %s pe %d  %s[%d]  %d LUN%s, %u handle%s, %s\n", c->id,
			       c->pe, c->comm, c->pid, c->luns, c->luns == 1 ? "" : "s",
			       c->handles, c->handles == 1 ? "" : "s", c->state);
		}
	}
	if (!a->nerrs)
		printf("  recent errors: none in the kernel log\n");
	else
		printf("  recent errors (kernel log, last %d):\n", a->nerrs);
	for (int i = 0; i < a->nerrs; i++)
		printf("    [%12.6f] %s\n", a->errs[i].t, a->errs[i].msg);
}

const char status_usage[] =
	"usage: cxlflashctl status [--json] [ADAPTER]\n"
	"  One screen per cxlflash adapter (ADAPTER: hostN or N; default all):\n"
	"  adapter state, hardware queues, FC ports, LUNs with WWID, size and\n"
	"  mode of each path, vLUN chunk use, processes holding the disks, user\n"
	"  contexts and recent warnings/errors of the kernel log.  Contexts and\n"
	"  chunk use need debugfs (/sys/kernel/debug); holders and the kernel\n"
	"  log need root.  --json: one JSON document {\"adapters\": [...]}.\n";

int cmd_status(int argc, char **argv)
{
	static struct adapter a;
	bool json = false;
	int want = -1, found = 0, hosts[64], nhosts = 0;
	DIR *d;
	struct dirent *e;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(status_usage, stdout);
			return 0;
		} else if (want < 0 && (sscanf(argv[i], "host%d", &want) == 1 ||
					sscanf(argv[i], "%d", &want) == 1)) {
			continue;
		} else {
			fputs(status_usage, stderr);
			return 2;
		}
	}
	d = opendir("/sys/class/scsi_host");
	if (!d && errno != ENOENT) {	/* no SCSI hosts at all: no adapters */
		perror("/sys/class/scsi_host");
		return 1;
	}
	while (d && (e = readdir(d)) && nhosts < 64) {
		int host;

		if (sscanf(e->d_name, "host%d", &host) == 1 && is_cxlflash_host(host) &&
		    (want < 0 || want == host))
			hosts[nhosts++] = host;
	}
	if (d)
		closedir(d);
	for (int i = 1; i < nhosts; i++)	/* in host order */
		for (int k = i; k > 0 && hosts[k - 1] > hosts[k]; k--) {
			int t = hosts[k];

			hosts[k] = hosts[k - 1];
			hosts[k - 1] = t;
		}
	read_gluns();
	if (json) {
		jlevel = 0;
		jfirst[0] = true;
		jopen(NULL, '{');
		jopen("adapters", '[');
	}
	for (int i = 0; i < nhosts; i++) {
		gather(&a, hosts[i]);
		if (json)
			status_json(&a);
		else
			status_text(&a);
		found++;
	}
	if (json) {
		jclose(']');
		jclose('}');
		putchar('\n');
	} else if (!found) {
		printf(want < 0 ? "no cxlflash adapters\n" : "host%d: not a cxlflash adapter\n", want);
	}
	return want >= 0 && !found ? 1 : 0;
}
