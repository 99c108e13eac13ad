/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of contig_fidelity.c: pages with a per-word pattern, their
 * frames and pagemap bits, /proc/kpageflags, one op through /dev/contig,
 * the module's debug_delay_ms parameter, and TAP bookkeeping.
 */
#ifndef GUEST_FIDELITY_H
#define GUEST_FIDELITY_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "contig_ioctl.h"

#define PG 4096UL
#define PM_PRESENT (1ULL << 63)
#define PM_UFFD_WP (1ULL << 57)
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define KPF_SLAB (1ULL << 7)
#define KPF_SWAPBACKED (1ULL << 14)
#define DELAY_PARAM "/sys/module/contig/parameters/debug_delay_ms"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif

enum { PASS = 0, FAIL = 1, SKIP = 2 };

static int dev = -1;
static char why[160];

#define note(...)                         \
	do {                              \
		printf("# " __VA_ARGS__); \
		putchar('\n');            \
		fflush(stdout);           \
	} while (0)

static inline int skipped(const char *s)
{
	snprintf(why, sizeof(why), "%s", s);
	return SKIP;
}

/* One pagemap entry of our own address space (0 on error). */
static inline uint64_t pagemap(const void *va)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (off_t)((uintptr_t)va / PG) * 8) != 8)
		e = 0;
	close(fd);
	return e;
}

static inline uint64_t frame(const void *va)
{
	uint64_t e = pagemap(va);

	return (e & PM_PRESENT) ? e & PM_PFN_MASK : 0;
}

/* /proc/kpageflags of n frames from pfn; 0 or -errno. */
static inline int kpageflags(uint64_t pfn, uint64_t *out, size_t n)
{
	int fd = open("/proc/kpageflags", O_RDONLY);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = pread(fd, out, n * 8, (off_t)(pfn * 8));
	close(fd);
	return got == (ssize_t)(n * 8) ? 0 : -EIO;
}

static inline int put_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* Flags of the frame of va (0 when not present). */
static inline uint64_t frame_flags(const void *va)
{
	uint64_t fl = 0;

	kpageflags(frame(va), &fl, 1);
	return fl;
}

/*
 * MADV_FREE the page at p and wait until it took (PG_swapbacked clear):
 * it does when this CPU's lazyfree batch drains.  PASS, or SKIP with why.
 */
static inline int make_lazyfree(char *p)
{
	if (madvise(p, PG, MADV_FREE))
		return skipped("no MADV_FREE");
	for (int i = 0; i < 10 && (frame_flags(p) & KPF_SWAPBACKED); i++)
		put_str("/proc/sys/vm/compact_memory", "1");
	if (frame_flags(p) & KPF_SWAPBACKED)
		return skipped("MADV_FREE never cleared PG_swapbacked");
	return PASS;
}

static inline int set_delay(unsigned int ms)
{
	char s[16];

	snprintf(s, sizeof(s), "%u", ms);
	return put_str(DELAY_PARAM, s);
}

static inline void paint(char *p, uint64_t v)
{
	for (size_t w = 0; w < PG / 8; w++)
		((uint64_t *)p)[w] = v + w;
}

/* Words of the page that do not read v + index. */
static inline size_t wrong(const char *p, uint64_t v)
{
	size_t bad = 0;

	for (size_t w = 0; w < PG / 8; w++)
		bad += ((const uint64_t *)p)[w] != v + w;
	return bad;
}

static inline bool all_zero(const char *p)
{
	for (size_t i = 0; i < PG; i++)
		if (p[i])
			return false;
	return true;
}

static inline char *pages(size_t n, int flags)
{
	char *p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
		       flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, n * PG, MADV_NOHUGEPAGE);
	return p;
}

/* Run one op; its result (or the ioctl's -errno), *outcome if asked. */
static inline int run_op(unsigned long cmd, struct contig_op op, uint32_t *outcome)
{
	struct contig_batch b = { .count = 1, .ops = (uintptr_t)&op };

	if (ioctl(dev, cmd, &b) < 0)
		return -errno;
	if (b.done != 1)
		return -EIO;
	if (outcome)
		*outcome = op.outcome;
	return op.result;
}

static inline int xchg(const void *a, const void *b, uint32_t flags,
		uint32_t *outcome)
{
	struct contig_op op = {
		.kind = CONTIG_OP_EXCHANGE,
		.flags = flags,
		.pid_a = getpid(),
		.vaddr_a = (uintptr_t)a,
		.pid_b = getpid(),
		.vaddr_b = (uintptr_t)b,
	};
	return run_op(CONTIG_IOC_EXCHANGE, op, outcome);
}

/* Exchange, trying again while the result is transient. */
static inline int xchg_retry(const void *a, const void *b)
{
	int r = -EAGAIN;

	for (int i = 0; i < 20 && (r == -EAGAIN || r == -EBUSY); i++) {
		if (i)
			usleep(20000);
		r = xchg(a, b, 0, NULL);
	}
	return r;
}

static inline int want(const char *what, long long got, long long expected)
{
	if (got == expected)
		return PASS;
	note("%s: got %lld, want %lld", what, got, expected);
	return FAIL;
}

#endif /* GUEST_FIDELITY_H */
