// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_sample_test - CONTIG_IOC_SAMPLE in the guest.
 *
 *   contig_sample_test           the cases below; exit 0 when all pass
 *   contig_sample_test --absent  the module offers no sampler: the
 *                                capability is clear, the ioctl says
 *                                EOPNOTSUPP
 *
 * A child holds two 8 MiB buffers of base pages (hot and idle, a pattern
 * in every word) and a 2 MiB transparent huge page; the test samples
 * them over the child's pidfd. The sampler does not flush TLBs (as
 * DAMON's sampling does not), so between clearing and touching, the
 * child changes its buffers' protection back and forth, which flushes
 * them, and every access reaches the page tables. Checked:
 *   - every page of a buffer touched since the last sample is young,
 *     every page of the untouched one old, twice over;
 *   - the huge page likewise (one accessed bit for its 512 pages);
 *   - the kernel keeps the access: with the idle page flags (6.12) the
 *     page is marked idle (/proc/kpageflags IDLE) and its access young,
 *     as DAMON does; without them (6.1) it is marked referenced
 *     (/proc/kpageflags REFERENCED);
 *   - unmapped, kernel and file addresses are absent;
 *   - bad input: -1 and a non-pidfd fd (EBADF), count over the maximum
 *     (E2BIG), flags or reserved set (EINVAL), a bad address array
 *     (EFAULT), an exited process (ESRCH);
 *   - the child's buffers are intact at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "contig_ioctl.h"

#define PG 4096UL
#define HUGE (2UL << 20)
#define PAGES 2048UL /* 8 MiB */
#define KPF_REFERENCED 2
#define KPF_IDLE 25

static int failed, dev;

static void check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed++;
}

static uint64_t word(const uint64_t *p)
{
	return (uintptr_t)p * 0x9e3779b97f4a7c15ULL;
}

static char *map_filled(size_t len, size_t align, int advice)
{
	char *raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;
	size_t i;

	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + align - 1) & ~(align - 1));
	madvise(p, len, advice);
	for (i = 0; i < len / 8; i++)
		((uint64_t *)p)[i] = word((uint64_t *)p + i);
	return p;
}

/* The child: holds the buffers, touches or flushes on command. */
struct shared {
	char *hot, *idle, *thp, *fresh;
	volatile int cmd, done, bad;
};

static void flush(char *p, size_t len)
{
	mprotect(p, len, PROT_READ);
	mprotect(p, len, PROT_READ | PROT_WRITE);
}

static void child(struct shared *s)
{
	size_t i;
	uint64_t sum = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	s->hot = map_filled(PAGES * PG, PG, MADV_NOHUGEPAGE);
	s->idle = map_filled(PAGES * PG, PG, MADV_NOHUGEPAGE);
	s->thp = map_filled(HUGE, HUGE, MADV_HUGEPAGE);
	s->fresh = map_filled(PG, PG, MADV_NOHUGEPAGE);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	for (;;) {
		int cmd = __atomic_load_n(&s->cmd, __ATOMIC_ACQUIRE);

		if (cmd == 1 || cmd == 2) { /* flush all, 2: touch hot + thp */
			flush(s->hot, PAGES * PG);
			flush(s->idle, PAGES * PG);
			flush(s->thp, HUGE);
			for (i = 0; cmd == 2 && i < PAGES; i++)
				sum += *(volatile uint64_t *)(s->hot + i * PG);
			for (i = 0; cmd == 2 && i < HUGE / PG; i++)
				sum += *(volatile uint64_t *)(s->thp + i * PG);
		} else if (cmd == 3) { /* verify */
			for (i = 0; i < PAGES * PG / 8; i++)
				if (((uint64_t *)s->hot)[i] !=
					    word((uint64_t *)s->hot + i) ||
				    ((uint64_t *)s->idle)[i] !=
					    word((uint64_t *)s->idle + i))
					s->bad++;
		} else if (cmd == 4) {
			_exit(sum == 1);
		}
		if (cmd) {
			__atomic_store_n(&s->cmd, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
		}
		usleep(1000);
	}
}

static void command(struct shared *s, int cmd)
{
	__atomic_store_n(&s->done, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&s->cmd, cmd, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE))
		usleep(1000);
}

static int sample(int pidfd, const uint64_t *addrs, uint8_t *res, uint32_t n,
		  uint32_t *young)
{
	struct contig_sample s = { .pidfd = pidfd, .count = n,
				   .addrs = (uintptr_t)addrs,
				   .results = (uintptr_t)res };
	int ret = ioctl(dev, CONTIG_IOC_SAMPLE, &s);

	if (young)
		*young = s.young;
	return ret ? -errno : 0;
}

/* Sample the len bytes at p page by page: how many of each result. */
static int count(int pidfd, const char *p, size_t len, unsigned int *n)
{
	size_t pages = len / PG, i;
	uint64_t *a = calloc(pages, sizeof(*a));
	uint8_t *r = calloc(pages, 1);
	int err = -ENOMEM;

	memset(n, 0, 3 * sizeof(*n));
	if (a && r) {
		for (i = 0; i < pages; i++)
			a[i] = (uintptr_t)p + i * PG;
		err = sample(pidfd, a, r, (uint32_t)pages, NULL);
		for (i = 0; !err && i < pages; i++)
			n[r[i] < 3 ? r[i] : 2]++;
	}
	free(a);
	free(r);
	return err;
}

static uint64_t frame_flags(pid_t pid, const char *addr)
{
	uint64_t e = 0, f = 0;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)addr / PG * 8)) != 8)
		e = 0;
	if (fd >= 0)
		close(fd);
	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0 || !(e >> 63) ||
	    pread(fd, &f, 8, (off_t)((e & ((1ULL << 55) - 1)) * 8)) != 8)
		f = UINT64_MAX;
	if (fd >= 0)
		close(fd);
	return f;
}

static void rounds(int pidfd, struct shared *s)
{
	unsigned int h[3], i[3], t[3], r;
	char what[160];

	count(pidfd, s->hot, PAGES * PG, h); /* first: clears */
	count(pidfd, s->idle, PAGES * PG, i);
	count(pidfd, s->thp, HUGE, t);
	for (r = 0; r < 2; r++) {
		command(s, 2);
		check(!count(pidfd, s->hot, PAGES * PG, h) && h[1] == PAGES,
		      "touched buffer: every page young");
		check(!count(pidfd, s->idle, PAGES * PG, i) && i[0] == PAGES,
		      "untouched buffer: every page old");
		/*
		 * A huge page has one accessed bit: the first address
		 * sampled finds it, the other 511 find it cleared (base
		 * pages, where THP is off: each its own).
		 */
		check(!count(pidfd, s->thp, HUGE, t) &&
			      ((t[1] == 1 && t[0] == HUGE / PG - 1) ||
			       t[1] == HUGE / PG),
		      "touched huge page: young once, or every base page");
		snprintf(what, sizeof(what),
			 "round %u: hot %u/%u/%u idle %u/%u/%u thp %u/%u/%u "
			 "(old/young/absent)",
			 r, h[0], h[1], h[2], i[0], i[1], i[2], t[0], t[1],
			 t[2]);
		printf("# %s\n", what);
		command(s, 1);
		check(!count(pidfd, s->hot, PAGES * PG, h) && h[0] == PAGES,
		      "no access since: every page old");
	}
}

static void reclaim_view(pid_t pid, int pidfd, struct shared *s)
{
	uint64_t a = (uintptr_t)s->fresh;
	const char *series = getenv("CONTIG_VM_SERIES");
	uint64_t before, after;
	uint8_t r;

	/* a page written once and never sampled: young, flags not yet set */
	before = frame_flags(pid, s->fresh);
	check(before != UINT64_MAX && !(before >> KPF_REFERENCED & 1) &&
		      !(before >> KPF_IDLE & 1),
	      "a fresh page: neither referenced nor idle");
	check(!sample(pidfd, &a, &r, 1, NULL) && r == CONTIG_SAMPLE_YOUNG,
	      "a fresh page: young");
	after = frame_flags(pid, s->fresh);
	printf("# kpageflags before 0x%llx after 0x%llx\n",
	       (unsigned long long)before, (unsigned long long)after);
	if (series && !strcmp(series, "6.12")) {
		/* the idle page flags (DAMON's bookkeeping) */
		check(after != UINT64_MAX && (after >> KPF_IDLE & 1),
		      "the page is marked idle, its access kept as young");
	} else if (series && !strcmp(series, "6.1")) {
		/* no idle page flags: marked accessed */
		check(after != UINT64_MAX && (after >> KPF_REFERENCED & 1),
		      "the cleared access is kept: page referenced");
	} else {
		check(after != UINT64_MAX &&
			      (after >> KPF_REFERENCED & 1 ||
			       after >> KPF_IDLE & 1),
		      "the cleared access is kept: referenced or idle");
	}
}

static void bad_input(pid_t pid, int pidfd, struct shared *s)
{
	uint64_t a[2] = { 0xffffffff81000000ULL, 4096 }, one = (uintptr_t)s->hot;
	struct contig_sample bad = { .pidfd = pidfd, .count = 1,
				     .addrs = (uintptr_t)&one };
	uint8_t r[2], big = 0;
	int file = open("/proc/self/exe", O_RDONLY), ret;
	char *fmap = file >= 0 ? mmap(NULL, PG, PROT_READ, MAP_PRIVATE, file,
				      0) :
				 MAP_FAILED;

	check(!sample(pidfd, a, r, 2, NULL) && r[0] == CONTIG_SAMPLE_ABSENT &&
		      r[1] == CONTIG_SAMPLE_ABSENT,
	      "kernel and unmapped addresses: absent");
	if (fmap != MAP_FAILED) {
		uint64_t f = (uintptr_t)fmap;
		int self = (int)syscall(SYS_pidfd_open, getpid(), 0);

		(void)*(volatile char *)fmap;
		check(!sample(self, &f, r, 1, NULL) &&
			      r[0] == CONTIG_SAMPLE_ABSENT,
		      "file mapping: absent");
		close(self);
	}
	check(sample(-1, &one, r, 1, NULL) == -EBADF, "pidfd -1: EBADF");
	check(sample(file, &one, r, 1, NULL) == -EBADF,
	      "a file that is no pidfd: EBADF");
	check(sample(pidfd, &one, r, CONTIG_MAX_SAMPLE + 1, NULL) == -E2BIG,
	      "count over the maximum: E2BIG");
	bad.flags = 1;
	bad.results = (uintptr_t)&big;
	ret = ioctl(dev, CONTIG_IOC_SAMPLE, &bad);
	check(ret < 0 && errno == EINVAL, "flags set: EINVAL");
	bad.flags = 0;
	bad.reserved[1] = 1;
	ret = ioctl(dev, CONTIG_IOC_SAMPLE, &bad);
	check(ret < 0 && errno == EINVAL, "reserved set: EINVAL");
	check(sample(pidfd, (uint64_t *)8, r, 1, NULL) == -EFAULT,
	      "bad address array: EFAULT");
	(void)pid;
	if (file >= 0)
		close(file);
}

int main(int argc, char **argv)
{
	struct contig_info info;
	struct shared *s;
	int pidfd, status;
	uint64_t one = 4096;
	uint8_t r;
	pid_t pid;

	dev = open(CONTIG_DEVICE_PATH, O_RDWR);
	if (dev < 0 || ioctl(dev, CONTIG_IOC_INFO, &info)) {
		perror("contig_sample_test: " CONTIG_DEVICE_PATH);
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "--absent")) {
		pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
		check(!(info.caps & CONTIG_CAP_SAMPLE), "no CONTIG_CAP_SAMPLE");
		check(sample(pidfd, &one, &r, 1, NULL) == -EOPNOTSUPP,
		      "CONTIG_IOC_SAMPLE: EOPNOTSUPP");
		return failed ? 1 : 0;
	}
	check(info.caps & CONTIG_CAP_SAMPLE, "CONTIG_CAP_SAMPLE offered");
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return 1;
	memset(s, 0, sizeof(*s));
	pid = fork();
	if (pid == 0)
		child(s);
	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE))
		usleep(1000);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	check(pidfd >= 0, "pidfd_open of the child");

	rounds(pidfd, s);
	reclaim_view(pid, pidfd, s);
	bad_input(pid, pidfd, s);

	command(s, 3);
	check(s->bad == 0, "the child's buffers intact");
	s->cmd = 4;
	waitpid(pid, &status, 0);
	one = (uintptr_t)s->hot;
	check(sample(pidfd, &one, &r, 1, NULL) == -ESRCH,
	      "exited process: ESRCH");
	printf("%s\n", failed ? "sample: FAIL" : "sample: ok");
	return failed ? 1 : 0;
}
