// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_mthp_vma - hold one VMA of 64 KiB mTHPs and base pages, scattered.
 *
 *   contig_mthp_vma [MiB]     (default 8; needs 6.8+ mTHP sysfs, root)
 *
 * Maps MiB of anonymous memory as one VMA.  With 64 KiB mTHPs on
 * (hugepages-64kB always, PMD THPs off) every other 64 KiB chunk is
 * faulted in a random order, interleaved with chunks of a second mapping;
 * then with mTHPs off the pages of the other chunks, one by one, in a
 * random order interleaved with pages of the second mapping.  The sysfs
 * settings are put back.  Every page gets a pattern derived from its
 * address.  Prints
 *   pid PID
 *   region 0xSTART 0xEND
 *   mthp N            (64 KiB folios mapped whole in the region)
 * and waits for SIGTERM (or SIGINT): then checks every page and counts the
 * mTHPs again, prints "verify bad B mthp N" and exits 0 if no page was
 * bad, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../integration/test_mem.h"

#define CHUNK_PAGES 16
#define KPF_HEAD (UINT64_C(1) << 15)
#define KPF_TAIL (UINT64_C(1) << 16)
#define PM_PFN ((UINT64_C(1) << 55) - 1)
#define SYS_THP "/sys/kernel/mm/transparent_hugepage/"
#define SYS_64K SYS_THP "hugepages-64kB/enabled"
#define SYS_2M SYS_THP "hugepages-2048kB/enabled"

static void die(const char *what)
{
	fprintf(stderr, "contig_mthp_vma: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		die(path);
	close(fd);
}

/* The word in brackets of a sysfs "always [never] ..." line. */
static void get_mode(const char *path, char *out, size_t n)
{
	char buf[128] = "", *l, *r;
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, sizeof(buf), f))
		die(path);
	fclose(f);
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		die(path);
	*r = 0;
	snprintf(out, n, "%s", l + 1);
}

static uint64_t pfn_of(const char *va)
{
	static int fd = -1;
	uint64_t e = 0;

	if (fd < 0)
		fd = open("/proc/self/pagemap", O_RDONLY);
	if (pread(fd, &e, 8, (off_t)((uintptr_t)va / PAGE) * 8) != 8)
		return 0;
	return (e & (UINT64_C(1) << 63)) ? e & PM_PFN : 0;
}

static uint64_t kflags(uint64_t pfn)
{
	static int fd = -1;
	uint64_t f = 0;

	if (fd < 0)
		fd = open("/proc/kpageflags", O_RDONLY);
	if (pread(fd, &f, 8, (off_t)pfn * 8) != 8)
		return 0;
	return f;
}

/* 64 KiB chunks of the region that are one folio each, mapped in order. */
static size_t count_mthp(const char *region, size_t pages)
{
	size_t n = 0;

	for (size_t c = 0; c < pages / CHUNK_PAGES; c++) {
		const char *p = region + c * CHUNK_PAGES * PAGE;
		uint64_t head = pfn_of(p);
		size_t i;

		if (!head || !(kflags(head) & KPF_HEAD) ||
		    (kflags(head + CHUNK_PAGES) & KPF_TAIL))
			continue;
		for (i = 1; i < CHUNK_PAGES; i++)
			if (pfn_of(p + i * PAGE) != head + i ||
			    !(kflags(head + i) & KPF_TAIL))
				break;
		n += i == CHUNK_PAGES;
	}
	return n;
}

static void shuffle(size_t *v, size_t n, uint64_t *seed)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd(seed) % (i + 1), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

int main(int argc, char **argv)
{
	size_t mib = 8, pages, chunks, n = 0, other_next = 0;
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	char mode_2m[32], *region, *other, *end;
	size_t *order;
	sigset_t set;
	long bad;
	int sig;

	if (argc == 2) {
		errno = 0;
		mib = strtoul(argv[1], &end, 10);
		if (errno || *end || !mib || mib > 1024) {
			fprintf(stderr, "contig_mthp_vma: bad size '%s'\n",
				argv[1]);
			return 2;
		}
	} else if (argc > 2) {
		fprintf(stderr, "usage: contig_mthp_vma [MiB]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die("sigprocmask");

	pages = mib * (1UL << 20) / PAGE;
	chunks = pages / CHUNK_PAGES;
	region = fenced_map(pages * PAGE, HUGE);
	other = fenced_map(pages * PAGE, HUGE);
	order = malloc(pages * sizeof(*order));
	if (!region || !other || !order)
		die("mmap");
	madvise(region, pages * PAGE, MADV_HUGEPAGE);
	madvise(other, pages * PAGE, MADV_HUGEPAGE);

	get_mode(SYS_2M, mode_2m, sizeof(mode_2m));
	put(SYS_2M, "never");
	put(SYS_64K, "always");
	/* Even chunks as mTHPs, each after a chunk of the other mapping. */
	for (size_t c = 0; c < chunks; c += 2)
		order[n++] = c;
	shuffle(order, n, &seed);
	for (size_t i = 0; i < n; i++) {
		other[(2 * i) * CHUNK_PAGES * PAGE] = 1;
		region[order[i] * CHUNK_PAGES * PAGE] = 1;
	}
	put(SYS_64K, "never");
	/* The odd chunks' pages, one by one, among the other's. */
	n = 0;
	for (size_t c = 1; c < chunks; c += 2)
		for (size_t i = 0; i < CHUNK_PAGES; i++)
			order[n++] = c * CHUNK_PAGES + i;
	shuffle(order, n, &seed);
	for (size_t i = 0; i < n; i++) {
		region[order[i] * PAGE] = 1;
		if ((rnd(&seed) & 1) && other_next < pages / 2) {
			/* the next page of the other's odd chunks */
			size_t k = other_next++;

			other[((k / CHUNK_PAGES) * 2 + 1) * CHUNK_PAGES * PAGE +
			      (k % CHUNK_PAGES) * PAGE] = 1;
		}
	}
	put(SYS_2M, mode_2m);
	for (size_t p = 0; p < pages; p++)
		pattern_fill(region, p);

	printf("pid %d\nregion %p %p\nmthp %zu\n", getpid(), (void *)region,
	       (void *)(region + pages * PAGE), count_mthp(region, pages));
	fflush(stdout);

	if (sigwait(&set, &sig))
		die("sigwait");
	bad = pattern_check(region, pages * PAGE);
	printf("verify bad %d mthp %zu\n", bad >= 0,
	       count_mthp(region, pages));
	return bad >= 0 ? 1 : 0;
}
