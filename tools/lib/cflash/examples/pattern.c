// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pattern: write a pattern to a CXL Flash LUN through libcflash, read it
 * back, and count the system calls the I/O loop made.
 *
 *   pattern [-n BLOCKS] [-y] /dev/sdX
 *
 * The LUN must be in superpipe mode ("cxlflashctl superpipe enable
 * /dev/sdX"); BLOCKS blocks from LBA 0 are overwritten (default 1024).
 *
 * The LUN is opened with CFLASH_OPEN_POLL_ONLY: the library waits for a
 * completion by spinning on its response queue only.  With -y it uses its
 * default wait, which yields the CPU (sched_yield) once a command has taken
 * longer than CFLASH_SPIN_MS (20 ms): those yields are system calls and
 * are counted like any other (on a slow emulated adapter there are many).
 *
 * How the count is taken: a child process attaches to the LUN (the
 * attach itself uses ioctls and mmap: those are not counted), does one
 * warm-up write, then installs a seccomp filter that turns every system
 * call except exit_group and rt_sigreturn into SIGSYS.  The SIGSYS handler
 * counts it (the call fails with ENOSYS).  After the loop the child stores
 * its counters in memory shared with the parent and exits; the driver
 * releases its context on exit.  The parent times the loop (the child
 * cannot: clock_gettime may be a real system call) and prints the result.
 *
 * Build in the tree (make) or against an installed libcflash-dev:
 *   cc -o pattern pattern.c $(pkg-config --cflags --libs libcflash)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cflash.h>

#if defined(__x86_64__)
#define EX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define EX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EX_AUDIT_ARCH AUDIT_ARCH_PPC64LE
#else
#error "pattern.c: add this architecture's AUDIT_ARCH"
#endif

#define MAX_NR 512

struct result {
	volatile int stage;	/* 0 opening, 1 in the loop, 2 loop done */
	int rc;			/* libcflash return code of the loop */
	unsigned long long blocks, bad;
	unsigned long long syscalls;
	unsigned int per_nr[MAX_NR];
	unsigned int block_size;
	char err[200];
};

static struct result *R;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	R->syscalls++;
	if (si->si_syscall >= 0 && si->si_syscall < MAX_NR)
		R->per_nr[si->si_syscall]++;
}

/* Trap everything but the two calls needed to return from the handler
 * and to exit.  A foreign architecture is killed, not let through.
 */
static int count_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, EX_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

static inline uint64_t word(uint64_t lba, uint32_t k)
{
	return (lba << 32) ^ k ^ 0x5eedc0ffee000000ULL;
}

static void child(const char *dev, uint64_t n, int flags)
{
	struct cflash_lun *l;
	struct cflash_info in;
	uint64_t *buf, size;
	int rc;

	/* CFLASH_OPEN_NO_ENABLE: a legacy LUN is refused, not switched */
	rc = cflash_open(dev, O_RDWR | CFLASH_OPEN_NO_ENABLE | flags, 0, &l);
	if (rc) {
		snprintf(R->err, sizeof(R->err), "cflash_open: %s", cflash_strerror(rc));
		_exit(1);
	}
	cflash_info(l, &in);
	cflash_size(l, &size);
	if (n > size)
		n = size;
	R->block_size = in.block_size;
	if (posix_memalign((void **)&buf, 4096, in.block_size))
		_exit(1);
	/* warm-up: the first command touches fresh pages of the library */
	memset(buf, 0, in.block_size);
	rc = cflash_write(l, buf, 0, 1);
	if (!rc)
		rc = cflash_read(l, buf, 0, 1);
	if (rc) {
		snprintf(R->err, sizeof(R->err), "warm-up: %s", cflash_strerror(rc));
		_exit(1);
	}
	rc = count_syscalls();
	if (rc) {
		snprintf(R->err, sizeof(R->err), "seccomp: %s", strerror(-rc));
		_exit(1);
	}
	R->stage = 1;
	/* ---- the I/O loop: every system call from here on is counted ---- */
	for (uint64_t lba = 0; lba < n && !rc; lba++) {
		for (uint32_t k = 0; k < in.block_size / 8; k++)
			buf[k] = word(lba, k);
		rc = cflash_write(l, buf, lba, 1);
	}
	for (uint64_t lba = 0; lba < n && !rc; lba++) {
		memset(buf, 0, in.block_size);
		rc = cflash_read(l, buf, lba, 1);
		for (uint32_t k = 0; !rc && k < in.block_size / 8; k++)
			if (buf[k] != word(lba, k)) {
				R->bad++;
				break;
			}
	}
	/* ---- end of the loop ---- */
	R->rc = rc;
	R->blocks = n;
	__atomic_store_n(&R->stage, 2, __ATOMIC_RELEASE);
	syscall(__NR_exit_group, 0);
}

static const char *nr_name(int nr)
{
	switch (nr) {
	case __NR_sched_yield: return "sched_yield";
	case __NR_clock_gettime: return "clock_gettime";
	case __NR_poll: return "poll";
	case __NR_read: return "read";
	case __NR_write: return "write";
	case __NR_ioctl: return "ioctl";
	case __NR_futex: return "futex";
	case __NR_nanosleep: return "nanosleep";
	default: return "?";
	}
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int opt, st, flags = CFLASH_OPEN_POLL_ONLY;
	struct timespec ms = { 0, 1000000 };
	double t0 = 0, t1 = 0;
	uint64_t n = 1024;
	const char *dev;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:yh")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'y':
			flags = 0;
			break;
		case 'h':
			printf("usage: %s [-n BLOCKS] [-y] /dev/sdX\n", argv[0]);
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || !n) {
		fprintf(stderr, "usage: %s [-n BLOCKS] [-y] /dev/sdX\n", argv[0]);
		return 2;
	}
	dev = argv[optind];
	R = mmap(NULL, sizeof(*R), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (R == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid)
		child(dev, n, flags);
	/* time the loop from here, in 1 ms steps */
	while (waitpid(pid, &st, WNOHANG) == 0) {
		int s = __atomic_load_n(&R->stage, __ATOMIC_ACQUIRE);

		if (s >= 1 && !t0)
			t0 = now();
		if (s >= 2 && !t1)
			t1 = now();
		nanosleep(&ms, NULL);
	}
	if (!t1)
		t1 = now();
	if (R->stage < 2) {
		fprintf(stderr, "%s: %s\n", dev, R->err[0] ? R->err : "child failed");
		return 1;
	}
	printf("%s: wrote %llu blocks of %u bytes and read them back: %llu bad, %s\n",
	       dev, R->blocks, R->block_size, R->bad, R->rc ? cflash_strerror(R->rc) : "no I/O error");
	printf("I/O loop (%s): %llu commands in %.2f s, system calls made: %llu\n",
	       flags ? "poll-only" : "spin, then yield", 2 * R->blocks, t1 - t0, R->syscalls);
	for (int i = 0; i < MAX_NR; i++)
		if (R->per_nr[i])
			printf("  system call %d (%s): %u times\n", i, nr_name(i), R->per_nr[i]);
	return R->rc || R->bad || !WIFEXITED(st) || WEXITSTATUS(st) ? 1 : 0;
}
