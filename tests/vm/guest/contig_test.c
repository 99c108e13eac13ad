// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_test - exercises /dev/contig inside the test VM.
 *
 *   contig_test [CASE...]     run the cases (all by default), TAP output
 *   contig_test --list        list the cases
 *   contig_test bench [N]     benchmark N pairs, one "CONTIG-JSON: {...}" line
 *
 * Placement is checked through /proc/PID/pagemap, contents through a
 * per-page pattern derived from (seed, page index).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contig_ioctl.h"

#define PG 4096UL
#define KPF_SLAB 7
#define KPF_BUDDY 10
#define KPF_ANON 12
#define KPF_KSM 21
#define KPF_THP 22

enum { PASS = 0, FAIL = 1, SKIP = 2 };

static int devfd = -1;
static struct contig_info info;
static char skip_why[160];

#define diag(...)                         \
	do {                              \
		printf("# " __VA_ARGS__); \
		putchar('\n');            \
		fflush(stdout);           \
	} while (0)

static int skip(const char *why)
{
	snprintf(skip_why, sizeof(skip_why), "%s", why);
	return SKIP;
}

/* ---- memory helpers ------------------------------------------------- */

static uint64_t pattern(uint64_t seed, size_t page, size_t word)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL ^ (page << 20) ^ word;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 29;
	return x;
}

static void fill(void *base, size_t npages, uint64_t seed)
{
	for (size_t p = 0; p < npages; p++) {
		uint64_t *w = (uint64_t *)((char *)base + p * PG);

		for (size_t i = 0; i < PG / 8; i++)
			w[i] = pattern(seed, p, i);
	}
}

/* Number of pages whose contents are not what fill() wrote. */
static size_t check(const void *base, size_t npages, uint64_t seed)
{
	size_t bad = 0;

	for (size_t p = 0; p < npages; p++) {
		const uint64_t *w =
			(const uint64_t *)((const char *)base + p * PG);

		for (size_t i = 0; i < PG / 8; i++) {
			if (w[i] != pattern(seed, p, i)) {
				bad++;
				break;
			}
		}
	}
	return bad;
}

static void *map_anon(size_t npages)
{
	void *p = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Base pages only: THP has its own test. */
	madvise(p, npages * PG, MADV_NOHUGEPAGE);
	return p;
}

/* PFNs of npages pages at base in process pid (0 = not present). */
static int read_pfns(pid_t pid, const void *base, size_t npages, uint64_t *pfn)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = pread(fd, pfn, npages * 8, (off_t)((uintptr_t)base / PG) * 8);
	close(fd);
	if (n != (ssize_t)(npages * 8))
		return -EIO;
	for (size_t i = 0; i < npages; i++)
		pfn[i] = (pfn[i] >> 63) ? (pfn[i] & ((1ULL << 55) - 1)) : 0;
	return 0;
}

static uint64_t pfn_of(const void *va)
{
	uint64_t pfn = 0;

	if (read_pfns(getpid(), va, 1, &pfn))
		return 0;
	return pfn;
}

static int kflags(uint64_t pfn, uint64_t *flags)
{
	int fd = open("/proc/kpageflags", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, flags, 8, (off_t)pfn * 8);
	close(fd);
	return n == 8 ? 0 : -EIO;
}

/* ---- zones and free frames ----------------------------------------- */

struct zone_r {
	char name[16];
	uint64_t start, end;
};
static struct zone_r zones[8];
static int nzones;

static void read_zones(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];

	nzones = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[16];
		unsigned long long v;

		if (sscanf(line, "Node %*d, zone %15s", name) == 1 &&
		    nzones < 8) {
			snprintf(zones[nzones].name, sizeof(zones[nzones].name),
				 "%s", name);
			zones[nzones].start = zones[nzones].end = 0;
			nzones++;
		} else if (nzones && sscanf(line, " spanned %llu", &v) == 1) {
			zones[nzones - 1].end = v;
		} else if (nzones &&
			   sscanf(line, " start_pfn: %llu", &v) == 1) {
			zones[nzones - 1].start = v;
		}
	}
	fclose(f);
	for (int i = 0; i < nzones; i++)
		zones[i].end += zones[i].start;
}

static int zone_of(uint64_t pfn)
{
	for (int i = 0; i < nzones; i++)
		if (zones[i].end > zones[i].start && pfn >= zones[i].start &&
		    pfn < zones[i].end)
			return i;
	return -1;
}

/*
 * Up to n free frames in zone z, taken from pageblocks (512 frames) that
 * hold nothing but free frames: the module can claim a frame only when its
 * whole pageblock is movable.  A frame may be taken by the time it is used.
 */
static size_t free_frames(int z, uint64_t *out, size_t n)
{
	static uint64_t buf[512];
	size_t got = 0;
	int fd;

	if (z < 0)
		return 0;
	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0)
		return 0;
	/* Scan from the top of the zone: the allocator hands out low first. */
	for (uint64_t lo = (zones[z].end & ~511ULL);
	     lo >= zones[z].start + 512 && got < n;) {
		bool any_buddy = false, clean = true;

		lo -= 512;
		if (pread(fd, buf, sizeof(buf), (off_t)lo * 8) != sizeof(buf))
			break;
		for (int i = 0; i < 512 && clean; i++) {
			if (buf[i] & (1ULL << KPF_BUDDY))
				any_buddy = true;
			else if (buf[i])
				clean = false;
		}
		if (!clean || !any_buddy)
			continue;
		for (int i = 0; i < 512 && got < n; i++)
			out[got++] = lo + (uint64_t)i;
	}
	close(fd);
	return got;
}

/* ---- ioctl helpers -------------------------------------------------- */

static int submit(unsigned long cmd, struct contig_op *ops, size_t n)
{
	for (size_t off = 0; off < n; off += CONTIG_MAX_BATCH) {
		struct contig_batch b = {
			.count = (uint32_t)(n - off < CONTIG_MAX_BATCH ?
						    n - off :
						    CONTIG_MAX_BATCH),
			.ops = (uint64_t)(uintptr_t)(ops + off),
		};

		if (ioctl(devfd, cmd, &b) < 0)
			return -errno;
		if (b.done != b.count)
			return -EIO;
	}
	return 0;
}

/* Submit, retrying ops that failed with EAGAIN/EBUSY; returns failures. */
static size_t submit_retry(unsigned long cmd, struct contig_op *ops, size_t n,
			   int rounds)
{
	size_t left = 0;
	size_t *idx = calloc(n, sizeof(*idx));
	struct contig_op *tmp = calloc(n, sizeof(*tmp));

	if (!idx || !tmp) {
		free(idx);
		free(tmp);
		return n;
	}
	for (size_t i = 0; i < n; i++)
		ops[i].result = -EAGAIN;
	for (int r = 0; r < rounds; r++) {
		size_t m = 0;

		for (size_t i = 0; i < n; i++)
			if (ops[i].result == -EAGAIN ||
			    ops[i].result == -EBUSY) {
				idx[m] = i;
				tmp[m] = ops[i];
				tmp[m].result = 0;
				m++;
			}
		if (!m)
			break;
		if (submit(cmd, tmp, m))
			break;
		for (size_t j = 0; j < m; j++)
			ops[idx[j]].result = tmp[j].result;
	}
	for (size_t i = 0; i < n; i++)
		if (ops[i].result)
			left++;
	free(idx);
	free(tmp);
	return left;
}

static struct contig_op op_xchg(pid_t pa, const void *a, pid_t pb,
				const void *b, uint32_t flags)
{
	struct contig_op op = {
		.kind = CONTIG_OP_EXCHANGE,
		.flags = flags,
		.pid_a = pa,
		.vaddr_a = (uintptr_t)a,
		.pid_b = pb,
		.vaddr_b = (uintptr_t)b,
	};
	return op;
}

static struct contig_op op_move(pid_t pid, const void *a, uint64_t pfn)
{
	struct contig_op op = {
		.kind = CONTIG_OP_MOVE,
		.pid_a = pid,
		.vaddr_a = (uintptr_t)a,
		.pfn = pfn,
	};
	return op;
}

/* One op, returns its result (or the ioctl's -errno). */
static int one(unsigned long cmd, struct contig_op op)
{
	int r = submit(cmd, &op, 1);

	return r ? r : op.result;
}

static void print_failures(const struct contig_op *ops, size_t n)
{
	int shown = 0;

	for (size_t i = 0; i < n && shown < 5; i++)
		if (ops[i].result) {
			diag("op %zu: %s", i, strerror(-ops[i].result));
			shown++;
		}
}

/* ---- exchange / move cases ------------------------------------------ */

/* Exchange page i with page i + n/2 of one region. */
static int exchange_within(size_t npages, uint32_t flags)
{
	bool migrate = flags & CONTIG_OP_F_MIGRATE;
	size_t half = npages / 2, bad, nf;
	uint64_t *before = calloc(npages, 8), *after = calloc(npages, 8);
	struct contig_op *ops = calloc(half, sizeof(*ops));
	char *m = map_anon(npages);
	int ret = FAIL;

	if (!before || !after || !ops || !m)
		goto out;
	fill(m, npages, 11);
	if (read_pfns(getpid(), m, npages, before))
		goto out;
	for (size_t i = 0; i < half; i++)
		ops[i] = op_xchg(getpid(), m + i * PG, getpid(),
				 m + (i + half) * PG, flags);
	/*
	 * In place, an exchange is all or nothing: retry transient failures.
	 * By migration it can stop half way (the first page moved) and a
	 * frame whose pageblock holds an unmovable page cannot be claimed at
	 * all: one round, a few failures allowed, only successes checked.
	 */
	nf = submit_retry(CONTIG_IOC_EXCHANGE, ops, half, migrate ? 1 : 5);
	if (nf > (migrate ? half / 20 : 0)) {
		diag("%zu of %zu exchanges failed", nf, half);
		print_failures(ops, half);
		goto out;
	}
	if (nf)
		diag("%zu of %zu exchanges failed (transient or unclaimable)",
		     nf, half);
	read_pfns(getpid(), m, npages, after);
	for (size_t i = 0; i < half; i++)
		if (ops[i].result == 0 && (after[i] != before[i + half] ||
					   after[i + half] != before[i])) {
			diag("pair %zu: pfns %#" PRIx64 ",%#" PRIx64
			     " -> %#" PRIx64 ",%#" PRIx64,
			     i, before[i], before[i + half], after[i],
			     after[i + half]);
			/* Success means both pages are where asked. */
			goto out;
		}
	bad = check(m, npages, 11);
	if (bad) {
		diag("%zu pages corrupted", bad);
		goto out;
	}
	ret = PASS;
out:
	if (m)
		munmap(m, npages * PG);
	free(before);
	free(after);
	free(ops);
	return ret;
}

static int t_exchange_self(void)
{
	return exchange_within(4096, 0);
}

static int t_exchange_self_migrate(void)
{
	return exchange_within(512, CONTIG_OP_F_MIGRATE);
}

/* Exchange with the frame of another page: EXCHANGE_PFN. */
static int t_exchange_pfn_self(void)
{
	size_t npages = 2048, half = npages / 2, nf;
	uint64_t *before = calloc(npages, 8), *after = calloc(npages, 8);
	struct contig_op *ops = calloc(half, sizeof(*ops));
	char *m = map_anon(npages);
	int ret = FAIL;

	if (!before || !after || !ops || !m)
		goto out;
	fill(m, npages, 12);
	read_pfns(getpid(), m, npages, before);
	for (size_t i = 0; i < half; i++) {
		ops[i].kind = CONTIG_OP_EXCHANGE_PFN;
		ops[i].pid_a = getpid();
		ops[i].vaddr_a = (uintptr_t)(m + i * PG);
		ops[i].pfn = before[npages - 1 - i];
	}
	nf = submit_retry(CONTIG_IOC_EXCHANGE, ops, half, 5);
	if (nf) {
		diag("%zu of %zu failed", nf, half);
		print_failures(ops, half);
		goto out;
	}
	read_pfns(getpid(), m, npages, after);
	for (size_t i = 0; i < half; i++)
		if (after[i] != before[npages - 1 - i] ||
		    after[npages - 1 - i] != before[i]) {
			diag("pair %zu not exchanged", i);
			goto out;
		}
	if (check(m, npages, 12)) {
		diag("contents corrupted");
		goto out;
	}
	ret = PASS;
out:
	if (m)
		munmap(m, npages * PG);
	free(before);
	free(after);
	free(ops);
	return ret;
}

/* Move pages into free frames of their zone. */
static int move_pages_to_free(pid_t pid, char *m, size_t npages, int *okp)
{
	uint64_t *before = calloc(npages, 8), *after = calloc(npages, 8);
	uint64_t *tgt = calloc(npages, 8);
	struct contig_op *ops = calloc(npages, sizeof(*ops));
	size_t nt, ok = 0;
	int ret = FAIL;

	if (!before || !after || !tgt || !ops)
		goto out;
	read_pfns(pid, m, npages, before);
	nt = free_frames(zone_of(before[0]), tgt, npages);
	if (nt < npages) {
		diag("only %zu free frames found", nt);
		goto out;
	}
	for (size_t i = 0; i < npages; i++)
		ops[i] = op_move(pid, m + i * PG, tgt[i]);
	submit_retry(CONTIG_IOC_MOVE, ops, npages, 2);
	read_pfns(pid, m, npages, after);
	for (size_t i = 0; i < npages; i++) {
		if (ops[i].result == 0) {
			ok++;
			if (after[i] != tgt[i]) {
				diag("page %zu: moved but at %#" PRIx64
				     ", not %#" PRIx64,
				     i, after[i], tgt[i]);
				goto out;
			}
		} else if (ops[i].result != -EBUSY) {
			diag("page %zu -> %#" PRIx64 ": %s", i, tgt[i],
			     strerror(-ops[i].result));
			goto out;
		}
	}
	diag("%zu of %zu moved (the rest: target frame busy)", ok, npages);
	*okp = (int)ok;
	ret = ok >= npages / 2 ? PASS : FAIL;
out:
	free(before);
	free(after);
	free(tgt);
	free(ops);
	return ret;
}

/* MOVE to CONTIG_PFN_ANY: the page leaves its frame, contents intact. */
static int t_move_any(void)
{
	size_t n = 1024, nf;
	uint64_t *before = calloc(n, 8), *after = calloc(n, 8);
	struct contig_op *ops = calloc(n, sizeof(*ops));
	char *m = map_anon(n);
	int ret = FAIL;

	if (!before || !after || !ops || !m)
		goto out;
	fill(m, n, 14);
	read_pfns(getpid(), m, n, before);
	for (size_t i = 0; i < n; i++)
		ops[i] = op_move(getpid(), m + i * PG, CONTIG_PFN_ANY);
	nf = submit_retry(CONTIG_IOC_MOVE, ops, n, 5);
	if (nf) {
		diag("%zu of %zu failed", nf, n);
		print_failures(ops, n);
		goto out;
	}
	read_pfns(getpid(), m, n, after);
	for (size_t i = 0; i < n; i++)
		if (!after[i] || after[i] == before[i]) {
			diag("page %zu still at %#" PRIx64, i, after[i]);
			goto out;
		}
	if (check(m, n, 14)) {
		diag("contents corrupted");
		goto out;
	}
	ret = PASS;
out:
	if (m)
		munmap(m, n * PG);
	free(before);
	free(after);
	free(ops);
	return ret;
}

static int t_move_self(void)
{
	size_t npages = 2048;
	char *m = map_anon(npages);
	int ok = 0, ret;

	if (!m)
		return FAIL;
	fill(m, npages, 13);
	ret = move_pages_to_free(getpid(), m, npages, &ok);
	if (check(m, npages, 13)) {
		diag("contents corrupted");
		ret = FAIL;
	}
	munmap(m, npages * PG);
	return ret;
}

/* A child with a filled region; it checks it when told to, then exits. */
struct child {
	pid_t pid;
	int to[2], from[2];
	char *base;
	size_t npages;
};

static int child_start(struct child *c, size_t npages, uint64_t seed)
{
	c->npages = npages;
	if (pipe(c->to) || pipe(c->from))
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		char *m = map_anon(npages);
		char cmd;
		size_t bad;

		if (!m)
			_exit(3);
		fill(m, npages, seed);
		if (write(c->from[1], &m, sizeof(m)) != sizeof(m))
			_exit(3);
		if (read(c->to[0], &cmd, 1) != 1)
			_exit(3);
		bad = check(m, npages, seed);
		_exit(bad ? 1 : 0);
	}
	if (read(c->from[0], &c->base, sizeof(c->base)) != sizeof(c->base))
		return -1;
	return 0;
}

/* Tell the child to check its pages; returns its exit status. */
static int child_finish(struct child *c)
{
	int st = 0;

	if (write(c->to[1], "x", 1) != 1)
		kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	close(c->to[0]);
	close(c->to[1]);
	close(c->from[0]);
	close(c->from[1]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int t_exchange_cross(void)
{
	size_t n = 2048, nf;
	uint64_t *pa = calloc(n, 8), *pb = calloc(n, 8), *qa = calloc(n, 8),
		 *qb = calloc(n, 8);
	struct contig_op *ops = calloc(n, sizeof(*ops));
	char *m = map_anon(n);
	struct child c;
	int ret = FAIL, st;

	if (!pa || !pb || !qa || !qb || !ops || !m || child_start(&c, n, 21))
		goto out;
	fill(m, n, 22);
	read_pfns(getpid(), m, n, pa);
	read_pfns(c.pid, c.base, n, pb);
	for (size_t i = 0; i < n; i++)
		ops[i] = op_xchg(getpid(), m + i * PG, c.pid,
				 c.base + (n - 1 - i) * PG, 0);
	nf = submit_retry(CONTIG_IOC_EXCHANGE, ops, n, 5);
	read_pfns(getpid(), m, n, qa);
	read_pfns(c.pid, c.base, n, qb);
	st = child_finish(&c);
	if (nf) {
		diag("%zu of %zu failed", nf, n);
		print_failures(ops, n);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (qa[i] != pb[n - 1 - i] || qb[n - 1 - i] != pa[i]) {
			diag("pair %zu not exchanged", i);
			goto out;
		}
	if (check(m, n, 22) || st) {
		diag("contents corrupted (here: %zu pages, child status %d)",
		     check(m, n, 22), st);
		goto out;
	}
	ret = PASS;
out:
	if (m)
		munmap(m, n * PG);
	free(pa);
	free(pb);
	free(qa);
	free(qb);
	free(ops);
	return ret;
}

static int t_move_cross(void)
{
	struct child c;
	int ok = 0, ret, st;

	if (child_start(&c, 512, 23))
		return FAIL;
	ret = move_pages_to_free(c.pid, c.base, 512, &ok);
	st = child_finish(&c);
	if (st) {
		diag("child found its pages corrupted (status %d)", st);
		ret = FAIL;
	}
	return ret;
}

/* ---- error cases ---------------------------------------------------- */

static int expect(const char *what, int got, int want)
{
	if (got == want)
		return PASS;
	diag("%s: got %d (%s), want %d (%s)", what, got, strerror(-got), want,
	     strerror(-want));
	return FAIL;
}

static int t_err_file(void)
{
	int fd = open("/tmp/contig-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char *a = map_anon(1), *f;
	int r = FAIL;

	if (fd < 0 || ftruncate(fd, PG) || !a)
		return FAIL;
	f = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED)
		return FAIL;
	memset(f, 1, PG);
	memset(a, 1, PG);
	r = expect("shared file",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), a, getpid(), f, 0)),
		   -EINVAL);
	munmap(f, PG);
	/* A private file mapping, even with a COWed page, is not anonymous. */
	f = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (f == MAP_FAILED)
		return FAIL;
	f[0] = 2;
	r |= expect("private file",
		    one(CONTIG_IOC_EXCHANGE,
			op_xchg(getpid(), f, getpid(), a, 0)),
		    -EINVAL);
	r |= expect("move file",
		    one(CONTIG_IOC_MOVE, op_move(getpid(), f, pfn_of(a) + 1)),
		    -EINVAL);
	munmap(f, PG);
	munmap(a, PG);
	close(fd);
	unlink("/tmp/contig-file");
	return r;
}

static int t_err_thp(void)
{
	size_t len = 8UL << 20;
	char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *h, *a = map_anon(1);
	uint64_t fl = 0;
	int r;

	if (raw == MAP_FAILED || !a)
		return FAIL;
	h = (char *)(((uintptr_t)raw + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	madvise(h, 2UL << 20, MADV_HUGEPAGE);
	memset(h, 3, 2UL << 20);
	memset(a, 3, PG);
	if (kflags(pfn_of(h), &fl) || !(fl & (1ULL << KPF_THP))) {
		munmap(raw, len);
		return skip("no transparent huge page was allocated");
	}
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), h + PG, getpid(), a, 0)),
		   -EOPNOTSUPP);
	r |= expect("move",
		    one(CONTIG_IOC_MOVE, op_move(getpid(), h, pfn_of(a) + 1)),
		    -EOPNOTSUPP);
	munmap(raw, len);
	munmap(a, PG);
	return r;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static int t_err_ksm(void)
{
	char *m = map_anon(4), *a = map_anon(1);
	uint64_t fl = 0;
	int r, i;

	if (!m || !a)
		return FAIL;
	memset(m, 0x5a, 4 * PG);
	memset(a, 1, PG);
	if (madvise(m, 4 * PG, MADV_MERGEABLE))
		return skip("MADV_MERGEABLE failed");
	write_str("/sys/kernel/mm/ksm/sleep_millisecs", "0");
	write_str("/sys/kernel/mm/ksm/pages_to_scan", "10000");
	if (write_str("/sys/kernel/mm/ksm/run", "1"))
		return skip("cannot start ksmd");
	/*
	 * Merged means all four pages share one frame (6.12's kpageflags
	 * reports KPF_KSM for every anonymous page, so that alone proves
	 * nothing).
	 */
	for (i = 0; i < 200; i++) {
		uint64_t p0 = pfn_of(m);

		if (p0 && p0 == pfn_of(m + PG) && p0 == pfn_of(m + 3 * PG) &&
		    !kflags(p0, &fl) && (fl & (1ULL << KPF_KSM)))
			break;
		fl = 0;
		usleep(50000);
	}
	if (!(fl & (1ULL << KPF_KSM))) {
		write_str("/sys/kernel/mm/ksm/run", "2");
		return skip("ksmd did not merge the pages in 10 s");
	}
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(), a, 0)),
		   -EOPNOTSUPP);
	r |= expect("move",
		    one(CONTIG_IOC_MOVE, op_move(getpid(), m, pfn_of(a) + 1)),
		    -EOPNOTSUPP);
	write_str("/sys/kernel/mm/ksm/run", "2");
	munmap(m, 4 * PG);
	munmap(a, PG);
	return r;
}

static int t_err_pinned_vmsplice(void)
{
	char *m = map_anon(2);
	int p[2], r;
	struct iovec iov;

	if (!m || pipe(p))
		return FAIL;
	memset(m, 7, 2 * PG);
	iov.iov_base = m;
	iov.iov_len = PG;
	if (vmsplice(p[1], &iov, 1, 0) != (ssize_t)PG)
		return FAIL;
	/* The pipe holds a reference to page 0 until it is read. */
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(), m + PG, 0)),
		   -EBUSY);
	close(p[0]);
	close(p[1]);
	munmap(m, 2 * PG);
	return r;
}

static int t_err_pinned_io_uring(void)
{
	struct io_uring_params par;
	char *m = map_anon(2);
	struct iovec iov;
	int fd, r;

	if (!m)
		return FAIL;
	memset(m, 8, 2 * PG);
	memset(&par, 0, sizeof(par));
	fd = (int)syscall(__NR_io_uring_setup, 4, &par);
	if (fd < 0)
		return skip("io_uring_setup failed");
	iov.iov_base = m;
	iov.iov_len = PG;
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov,
		    1)) {
		close(fd);
		return skip("IORING_REGISTER_BUFFERS failed");
	}
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(), m + PG, 0)),
		   -EBUSY);
	r |= expect("move",
		    one(CONTIG_IOC_MOVE,
			op_move(getpid(), m, pfn_of(m + PG) + 1)),
		    -EBUSY);
	close(fd);
	munmap(m, 2 * PG);
	return r;
}

static int t_err_unmovable_target(void)
{
	char *m = map_anon(1);
	uint64_t pfn, fl, slab = 0;
	int z, r, fd;
	uint64_t buf[512];

	if (!m)
		return FAIL;
	m[0] = 1;
	pfn = pfn_of(m);
	z = zone_of(pfn);
	fd = open("/proc/kpageflags", O_RDONLY);
	for (uint64_t p = zones[z].start; p < zones[z].end && !slab; p += 512) {
		if (pread(fd, buf, sizeof(buf), (off_t)p * 8) != sizeof(buf))
			break;
		for (int i = 0; i < 512; i++)
			if (buf[i] & (1ULL << KPF_SLAB)) {
				slab = p + i;
				break;
			}
	}
	close(fd);
	if (!slab)
		return skip("no slab page found in the zone");
	kflags(slab, &fl);
	r = expect("move onto slab",
		   one(CONTIG_IOC_MOVE, op_move(getpid(), m, slab)), -EBUSY);
	{
		struct contig_op op = { .kind = CONTIG_OP_EXCHANGE_PFN,
					.pid_a = getpid(),
					.vaddr_a = (uintptr_t)m,
					.pfn = slab };
		int got = one(CONTIG_IOC_EXCHANGE, op);

		/* In place: the occupant is not anonymous; by migration: busy. */
		if (got != -EINVAL && got != -EBUSY)
			r |= expect("exchange with slab", got, -EINVAL);
	}
	r |= expect("move to a frame past memory",
		    one(CONTIG_IOC_MOVE, op_move(getpid(), m, 1ULL << 50)),
		    -EINVAL);
	munmap(m, PG);
	return r;
}

static int t_err_other_zone(void)
{
	char *m = map_anon(1);
	uint64_t pfn, tgt[1];
	int z, oz = -1;

	if (!m)
		return FAIL;
	m[0] = 1;
	pfn = pfn_of(m);
	z = zone_of(pfn);
	for (int i = 0; i < nzones; i++)
		if (i != z && zones[i].end > zones[i].start &&
		    strcmp(zones[i].name, "DMA"))
			oz = i;
	if (oz < 0 || free_frames(oz, tgt, 1) != 1)
		return skip("no other populated zone");
	return expect("move to another zone",
		      one(CONTIG_IOC_MOVE, op_move(getpid(), m, tgt[0])),
		      -EXDEV);
}

static int t_err_bad_pid(void)
{
	char *m = map_anon(1);
	int r;

	m[0] = 1;
	r = expect("pid 0", one(CONTIG_IOC_MOVE, op_move(0, m, pfn_of(m) + 1)),
		   -ESRCH);
	r |= expect("pid 999999",
		    one(CONTIG_IOC_EXCHANGE,
			op_xchg(999999, m, getpid(), m, 0)),
		    -ESRCH);
	r |= expect("pid -5",
		    one(CONTIG_IOC_EXCHANGE, op_xchg(getpid(), m, -5, m, 0)),
		    -ESRCH);
	/* A kernel thread has no mm. */
	r |= expect("kthreadd",
		    one(CONTIG_IOC_MOVE, op_move(2, m, pfn_of(m) + 1)), -ESRCH);
	munmap(m, PG);
	return r;
}

static int t_err_unmapped(void)
{
	char *m = map_anon(3);
	int r;

	m[0] = 1;
	munmap(m + PG, PG);
	r = expect("munmapped",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(), m + PG, 0)),
		   -EFAULT);
	r |= expect("never touched",
		    one(CONTIG_IOC_EXCHANGE,
			op_xchg(getpid(), m, getpid(), m + 2 * PG, 0)),
		    -EFAULT);
	r |= expect("NULL",
		    one(CONTIG_IOC_MOVE,
			op_move(getpid(), NULL, pfn_of(m) + 1)),
		    -EFAULT);
	munmap(m, 3 * PG);
	return r;
}

static int t_err_kernel_addr(void)
{
	char *m = map_anon(1);
	int r;

	m[0] = 1;
	r = expect("exchange",
		   one(CONTIG_IOC_EXCHANGE,
		       op_xchg(getpid(), m, getpid(),
			       (void *)0xffffffff81000000UL, 0)),
		   -EFAULT);
	r |= expect("move",
		    one(CONTIG_IOC_MOVE,
			op_move(getpid(), (void *)0xffff888000000000UL,
				pfn_of(m) + 1)),
		    -EFAULT);
	munmap(m, PG);
	return r;
}

static int t_err_malformed(void)
{
	char *m = map_anon(2);
	struct contig_op op = op_xchg(getpid(), m, getpid(), m + PG, 0);
	struct contig_batch b = { 0 };
	int r = PASS;

	memset(m, 1, 2 * PG);
	op.kind = 99;
	r |= expect("unknown kind", one(CONTIG_IOC_EXCHANGE, op), -EINVAL);
	op = op_xchg(getpid(), m, getpid(), m + PG, 0x80);
	r |= expect("unknown flag", one(CONTIG_IOC_EXCHANGE, op), -EINVAL);
	op = op_xchg(getpid(), m, getpid(), m + PG, 0);
	op.reserved[1] = 1;
	r |= expect("reserved field", one(CONTIG_IOC_EXCHANGE, op), -EINVAL);
	op = op_xchg(getpid(), m, getpid(), m + PG, 0);
	op.pfn = pfn_of(m);
	r |= expect("EXCHANGE with a pfn", one(CONTIG_IOC_EXCHANGE, op),
		    -EINVAL);
	op = op_move(getpid(), m, CONTIG_PFN_ANY);
	op.vaddr_b = (uintptr_t)(m + PG);
	r |= expect("MOVE with a vaddr_b", one(CONTIG_IOC_MOVE, op), -EINVAL);
	op = op_move(getpid(), m, pfn_of(m + PG));
	op.kind = CONTIG_OP_EXCHANGE_PFN;
	op.pid_b = getpid();
	r |= expect("EXCHANGE_PFN with a pid_b", one(CONTIG_IOC_EXCHANGE, op),
		    -EINVAL);
	r |= expect("exchange via MOVE ioctl",
		    one(CONTIG_IOC_MOVE,
			op_xchg(getpid(), m, getpid(), m + PG, 0)),
		    -EINVAL);
	b.count = 1;
	b.ops = 0x10;
	r |= expect("bad ops pointer",
		    ioctl(devfd, CONTIG_IOC_EXCHANGE, &b) ? -errno : 0,
		    -EFAULT);
	b.ops = (uintptr_t)&op;
	b.flags = 1;
	r |= expect("batch flags",
		    ioctl(devfd, CONTIG_IOC_EXCHANGE, &b) ? -errno : 0,
		    -EINVAL);
	r |= expect("bad batch pointer",
		    ioctl(devfd, CONTIG_IOC_MOVE, (void *)8) ? -errno : 0,
		    -EFAULT);
	r |= expect("unknown ioctl",
		    ioctl(devfd, _IO(CONTIG_IOC_MAGIC, 77), 0) ? -errno : 0,
		    -ENOTTY);
	/* Garbage ops: whatever they say, every op gets an error, no crash. */
	{
		struct contig_op g[64];
		struct contig_batch gb = { .count = 64, .ops = (uintptr_t)g };
		unsigned int seed = 1;

		for (int round = 0; round < 50; round++) {
			for (size_t i = 0; i < sizeof(g); i++)
				((unsigned char *)g)[i] =
					(unsigned char)rand_r(&seed);
			for (int i = 0; i < 64; i++) {
				g[i].outcome = 0;
				g[i].reserved[0] = g[i].reserved[1] = 0;
				g[i].flags &= 1;
				g[i].kind = 1 + g[i].kind % 3;
				if (i % 2)
					g[i].pid_a = getpid();
			}
			gb.done = 0;
			if (ioctl(devfd,
				  g[0].kind == 1 ? CONTIG_IOC_MOVE :
						   CONTIG_IOC_EXCHANGE,
				  &gb)) {
				diag("garbage batch: %s", strerror(errno));
				r = FAIL;
			}
		}
	}
	munmap(m, 2 * PG);
	return r;
}

/*
 * Our pages against random frames anywhere in RAM: exchanges with whatever
 * anonymous page lives there (any process's), moves that evict whatever
 * movable page is there.  Every result must be a documented one, and our
 * contents must survive.
 */
static int t_random_frames(void)
{
	size_t n = 256;
	char *m = map_anon(n);
	struct contig_op ops[256];
	uint64_t maxpfn = 0, seed = 88172645463325252ULL;
	int ret = PASS, hist[8] = { 0 };

	if (!m)
		return FAIL;
	fill(m, n, 71);
	for (int i = 0; i < nzones; i++)
		if (zones[i].end > maxpfn)
			maxpfn = zones[i].end;
	for (int round = 0; round < 24 && ret == PASS; round++) {
		for (size_t i = 0; i < n; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].kind = round % 2 ? CONTIG_OP_MOVE :
						  CONTIG_OP_EXCHANGE_PFN;
			ops[i].flags = round % 6 == 4 ? CONTIG_OP_F_MIGRATE : 0;
			ops[i].pid_a = getpid();
			ops[i].vaddr_a = (uintptr_t)(m + i * PG);
			ops[i].pfn = seed % maxpfn;
		}
		if (submit(round % 2 ? CONTIG_IOC_MOVE : CONTIG_IOC_EXCHANGE,
			   ops, n)) {
			ret = FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			switch (-ops[i].result) {
			case 0:
				hist[0]++;
				break;
			case EBUSY:
				hist[1]++;
				break;
			case EAGAIN:
				hist[2]++;
				break;
			case EINVAL:
				hist[3]++;
				break;
			case EOPNOTSUPP:
				hist[4]++;
				break;
			case EXDEV:
				hist[5]++;
				break;
			case ENOMEM:
				hist[6]++;
				break;
			default:
				diag("op %zu (pfn %#" PRIx64 "): unexpected %s",
				     i, (uint64_t)ops[i].pfn,
				     strerror(-ops[i].result));
				ret = FAIL;
			}
		}
	}
	diag("results: ok %d, EBUSY %d, EAGAIN %d, EINVAL %d, EOPNOTSUPP %d, EXDEV %d, ENOMEM %d",
	     hist[0], hist[1], hist[2], hist[3], hist[4], hist[5], hist[6]);
	if (check(m, n, 71)) {
		diag("our pages corrupted");
		ret = FAIL;
	}
	munmap(m, n * PG);
	return ret;
}

static int t_err_oversized(void)
{
	size_t n = CONTIG_MAX_BATCH + 1;
	struct contig_op *ops = calloc(n, sizeof(*ops));
	struct contig_batch b = { .count = (uint32_t)n, .ops = (uintptr_t)ops };
	int r;

	r = ioctl(devfd, CONTIG_IOC_EXCHANGE, &b) ? -errno : 0;
	free(ops);
	r = expect("count > CONTIG_MAX_BATCH", r, -E2BIG);
	b.count = UINT32_MAX;
	r |= expect("count = UINT32_MAX",
		    ioctl(devfd, CONTIG_IOC_MOVE, &b) ? -errno : 0, -E2BIG);
	return r;
}

static int drop_caps(unsigned long long drop)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(drop >> (32 * i));

		d[i].effective &= ~m;
		d[i].permitted &= ~m;
		d[i].inheritable &= ~m;
	}
	return (int)syscall(SYS_capset, &h, d);
}

static int t_err_no_cap_sys_admin(void)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		char *m = map_anon(2);
		struct contig_info ci;
		int r;

		memset(m, 1, 2 * PG);
		if (drop_caps(1ULL << CAP_SYS_ADMIN))
			_exit(2);
		r = expect("no CAP_SYS_ADMIN",
			   one(CONTIG_IOC_EXCHANGE,
			       op_xchg(getpid(), m, getpid(), m + PG, 0)),
			   -EPERM);
		r |= expect("info still works",
			    ioctl(devfd, CONTIG_IOC_INFO, &ci) ? -errno : 0, 0);
		_exit(r);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? PASS : FAIL;
}

/* A caller without CAP_SYS_PTRACE may not touch another user's process. */
static int t_err_no_ptrace_access(void)
{
	int p[2], st = 0, ret;
	pid_t target, pid;
	char *base;

	if (pipe(p))
		return FAIL;
	target = fork();
	if (target == 0) {
		char *m = map_anon(4);

		fill(m, 4, 31);
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(3);
		if (write(p[1], &m, sizeof(m)) != sizeof(m))
			_exit(3);
		for (;;)
			pause();
	}
	if (read(p[0], &base, sizeof(base)) != sizeof(base))
		return FAIL;
	pid = fork();
	if (pid == 0) {
		char *m = map_anon(1);
		int r;

		m[0] = 1;
		/* Still root, still CAP_SYS_ADMIN, but no CAP_SYS_PTRACE. */
		if (drop_caps(1ULL << CAP_SYS_PTRACE))
			_exit(2);
		r = expect("other uid's process",
			   one(CONTIG_IOC_EXCHANGE,
			       op_xchg(getpid(), m, target, base, 0)),
			   -EPERM);
		r |= expect("own process",
			    one(CONTIG_IOC_EXCHANGE,
				op_xchg(getpid(), m, getpid(), m, 0)),
			    0);
		_exit(r);
	}
	waitpid(pid, &st, 0);
	ret = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? PASS : FAIL;
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	close(p[0]);
	close(p[1]);
	return ret;
}

/* ---- races ---------------------------------------------------------- */

static volatile int stop_flag;

/* The target keeps unmapping and remapping its pages while we exchange. */
static int t_race_munmap(void)
{
	size_t n = 256;
	int p[2], st = 0, ret = PASS, nres[4] = { 0 };
	char *m = map_anon(n);
	bool killed = false;
	char *base;
	pid_t pid;
	struct contig_op ops[256];
	struct timespec t0, t1;

	if (!m || pipe(p))
		return FAIL;
	pid = fork();
	if (pid == 0) {
		char *r = map_anon(n);

		fill(r, n, 42);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		for (;;) {
			for (size_t i = 0; i < n; i += 7) {
				munmap(r + i * PG, PG);
				mmap(r + i * PG, PG, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				     -1, 0);
				r[i * PG] = 1;
			}
			mprotect(r, n * PG, PROT_READ);
			mprotect(r, n * PG, PROT_READ | PROT_WRITE);
		}
	}
	if (read(p[0], &base, sizeof(base)) != sizeof(base))
		return FAIL;
	/* Written after the fork: our pages are not shared with the child. */
	fill(m, n, 41);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int round = 0;; round++) {
		for (size_t i = 0; i < n; i++)
			ops[i] = op_xchg(
				getpid(), m + i * PG, pid,
				base + ((i * 5 + (size_t)round) % n) * PG, 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!killed && t1.tv_sec - t0.tv_sec >= 2) {
			kill(pid,
			     SIGKILL); /* exit in the middle of the next batches */
			killed = true;
		}
		if (submit(CONTIG_IOC_EXCHANGE, ops, n)) {
			ret = FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			int e = -ops[i].result;

			nres[e == 0	 ? 0 :
			     e == EFAULT ? 1 :
			     e == ESRCH	 ? 2 :
					   3]++;
			if (e && e != EFAULT && e != EAGAIN && e != EBUSY &&
			    e != ESRCH) {
				diag("op %zu: unexpected %s", i, strerror(e));
				ret = FAIL;
			}
		}
		if (t1.tv_sec - t0.tv_sec >= 4)
			break;
	}
	diag("results: ok %d, EFAULT %d, ESRCH %d, other %d", nres[0], nres[1],
	     nres[2], nres[3]);
	waitpid(pid, &st, 0);
	close(p[0]);
	close(p[1]);
	/* Our side holds whatever the child's pages held: no check of m. */
	munmap(m, n * PG);
	return ret;
}

/* The target forks and its children exit while we exchange its pages. */
static int t_race_fork_exit(void)
{
	size_t n = 256;
	int p[2], q[2], st = 0, ret = PASS, nres[3] = { 0 };
	char *m = map_anon(n), *base, c;
	pid_t pid;
	struct contig_op ops[256];

	if (!m || pipe(p) || pipe(q))
		return FAIL;
	pid = fork();
	if (pid == 0) {
		char *r = map_anon(n);

		fill(r, n, 52);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		fcntl(q[0], F_SETFL, O_NONBLOCK);
		while (read(q[0], &c, 1) != 1) {
			pid_t k = fork();

			if (k == 0) {
				/* The child writes too: COW splits pages under us. */
				r[(size_t)(getpid() % (int)n) * PG] ^= 0;
				_exit(check(r, n, 52) ? 1 : 0);
			}
			if (k > 0) {
				int kst;

				waitpid(k, &kst, 0);
				if (!WIFEXITED(kst) || WEXITSTATUS(kst))
					_exit(4);
			}
		}
		_exit(check(r, n, 52) ? 1 : 0);
	}
	if (read(p[0], &base, sizeof(base)) != sizeof(base))
		return FAIL;
	fill(m, n, 51);
	for (int round = 0; round < 60; round++) {
		for (size_t i = 0; i < n; i++)
			ops[i] = op_xchg(getpid(), m + i * PG, pid,
					 base + i * PG, 0);
		if (submit(CONTIG_IOC_EXCHANGE, ops, n)) {
			ret = FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			int e = -ops[i].result;

			nres[e == 0 ? 0 : e == EBUSY ? 1 : 2]++;
			if (e && e != EAGAIN && e != EBUSY) {
				diag("op %zu: unexpected %s", i, strerror(e));
				ret = FAIL;
			}
		}
	}
	diag("results: ok %d, EBUSY %d, other %d", nres[0], nres[1], nres[2]);
	if (write(q[1], "x", 1) != 1)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		diag("target or its children saw corrupted pages (status %#x)",
		     st);
		ret = FAIL;
	}
	/* Exchanged pairs swapped contents with their mappings: ours intact. */
	if (check(m, n, 51)) {
		diag("our pages corrupted");
		ret = FAIL;
	}
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	munmap(m, n * PG);
	return ret;
}

/* Threads of the caller's own process unmap pages during the batch. */
static char *thr_base;
static size_t thr_n = 512;

static void *thr_unmapper(void *arg)
{
	(void)arg;
	while (!stop_flag) {
		for (size_t i = 1; i < thr_n; i += 3) {
			munmap(thr_base + i * PG, PG);
			mmap(thr_base + i * PG, PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			thr_base[i * PG] = 1;
		}
	}
	return NULL;
}

static int t_race_threads(void)
{
	struct contig_op *ops = calloc(thr_n / 2, sizeof(*ops));
	pthread_t th;
	int ret = PASS;

	thr_base = map_anon(thr_n);
	if (!thr_base || !ops)
		return FAIL;
	memset(thr_base, 9, thr_n * PG);
	stop_flag = 0;
	pthread_create(&th, NULL, thr_unmapper, NULL);
	for (int round = 0; round < 40; round++) {
		for (size_t i = 0; i < thr_n / 2; i++)
			ops[i] = op_xchg(getpid(), thr_base + i * PG, getpid(),
					 thr_base + (thr_n - 1 - i) * PG,
					 round % 4 == 3 ? CONTIG_OP_F_MIGRATE :
							  0);
		if (submit(CONTIG_IOC_EXCHANGE, ops, thr_n / 2)) {
			ret = FAIL;
			break;
		}
		for (size_t i = 0; i < thr_n / 2; i++) {
			int e = -ops[i].result;

			if (e && e != EFAULT && e != EAGAIN && e != EBUSY) {
				diag("op %zu: unexpected %s", i, strerror(e));
				ret = FAIL;
			}
		}
	}
	stop_flag = 1;
	pthread_join(th, NULL);
	/* Pages never unmapped (index % 3 != 1) must all still hold 9s. */
	for (size_t i = 0; i < thr_n; i++) {
		if (i % 3 == 1)
			continue;
		for (size_t j = 0; j < PG; j++)
			if (thr_base[i * PG + j] != 9) {
				diag("page %zu corrupted", i);
				ret = FAIL;
				goto out;
			}
	}
out:
	munmap(thr_base, thr_n * PG);
	free(ops);
	return ret;
}

static int t_info(void)
{
	diag("abi %u, max_batch %u, caps %#llx%s%s, page_size %u",
	     info.abi_version, info.max_batch, (unsigned long long)info.caps,
	     info.caps & CONTIG_CAP_EXCHANGE_INPLACE ? " exchange-in-place" :
						       "",
	     info.caps & CONTIG_CAP_MIGRATE_FALLBACK ? " migrate-fallback" : "",
	     info.page_size);
	if (info.abi_version != CONTIG_ABI_VERSION ||
	    info.max_batch != CONTIG_MAX_BATCH || info.page_size != PG ||
	    !(info.caps & CONTIG_CAP_MIGRATE_FALLBACK))
		return FAIL;
	/* CONTIG_EXPECT_INPLACE=1 makes a missing in-place exchange a failure. */
	if (getenv("CONTIG_EXPECT_INPLACE") &&
	    !strcmp(getenv("CONTIG_EXPECT_INPLACE"), "1") &&
	    !(info.caps & CONTIG_CAP_EXCHANGE_INPLACE))
		return FAIL;
	return PASS;
}

struct tcase {
	const char *name;
	int (*fn)(void);
};

static const struct tcase cases[] = {
	{ "info", t_info },
	{ "exchange_within_process_4096_pages", t_exchange_self },
	{ "exchange_pfn_within_process", t_exchange_pfn_self },
	{ "exchange_by_migration_512_pages", t_exchange_self_migrate },
	{ "move_within_process_2048_pages", t_move_self },
	{ "move_to_any_frame_1024_pages", t_move_any },
	{ "exchange_across_processes_2048_pairs", t_exchange_cross },
	{ "move_other_process", t_move_cross },
	{ "einval_file_mapping", t_err_file },
	{ "eopnotsupp_thp", t_err_thp },
	{ "eopnotsupp_ksm", t_err_ksm },
	{ "ebusy_pinned_vmsplice", t_err_pinned_vmsplice },
	{ "ebusy_pinned_io_uring_fixed_buffer", t_err_pinned_io_uring },
	{ "ebusy_unmovable_target", t_err_unmovable_target },
	{ "exdev_other_zone", t_err_other_zone },
	{ "esrch_bad_pid", t_err_bad_pid },
	{ "efault_unmapped", t_err_unmapped },
	{ "efault_kernel_address", t_err_kernel_addr },
	{ "einval_malformed_and_garbage", t_err_malformed },
	{ "e2big_oversized_batch", t_err_oversized },
	{ "random_frames_anywhere", t_random_frames },
	{ "eperm_no_cap_sys_admin", t_err_no_cap_sys_admin },
	{ "eperm_no_ptrace_access", t_err_no_ptrace_access },
	{ "race_target_munmap_and_exit", t_race_munmap },
	{ "race_target_fork", t_race_fork_exit },
	{ "race_own_threads_munmap", t_race_threads },
};

/* ---- benchmark ------------------------------------------------------ */

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The same one-pass swap as the module's, in user space. */
static void user_swap(char *a, char *b)
{
	char tmp[256];

	for (size_t off = 0; off < PG; off += sizeof(tmp)) {
		memcpy(tmp, a + off, sizeof(tmp));
		memcpy(a + off, b + off, sizeof(tmp));
		memcpy(b + off, tmp, sizeof(tmp));
	}
}

static int bench(size_t n)
{
	char *a = map_anon(n), *b = map_anon(n);
	struct contig_op *ops = calloc(2 * n, sizeof(*ops));
	uint64_t *pa = calloc(n, 8), *pb = calloc(n, 8), *fr = calloc(n, 8);
	double t0, t_x, t_xm, t_mv, t_mc, t_user;
	size_t fx, fxm, fmv, fmc, nfr;

	if (!a || !b || !ops || !pa || !pb || !fr)
		return 1;
	fill(a, n, 61);
	fill(b, n, 62);
	read_pfns(getpid(), a, n, pa);
	read_pfns(getpid(), b, n, pb);

	/* Warm up (first-touch effects, per-CPU caches). */
	for (size_t i = 0; i < 64; i++)
		ops[i] = op_xchg(getpid(), a + i * PG, getpid(), b + i * PG, 0);
	submit(CONTIG_IOC_EXCHANGE, ops, 64);
	submit(CONTIG_IOC_EXCHANGE, ops, 64);

	/*
	 * 1. exchange in place (or whatever the module does by default) and
	 * 3. two migrations per pair, each into a free frame the kernel picks:
	 * alternated, best of three rounds each (the emulator's timing is
	 * noisy).  Transient -EAGAIN/-EBUSY are retried inside the timing.
	 */
	t_x = t_mv = 1e300;
	fx = fmv = 0;
	for (int round = 0; round < 3; round++) {
		double t;

		for (size_t i = 0; i < n; i++)
			ops[i] = op_xchg(getpid(), a + i * PG, getpid(),
					 b + i * PG, 0);
		t0 = now_ns();
		fx += submit_retry(CONTIG_IOC_EXCHANGE, ops, n, 5);
		t = now_ns() - t0;
		t_x = t < t_x ? t : t_x;

		for (size_t i = 0; i < n; i++) {
			ops[2 * i] =
				op_move(getpid(), a + i * PG, CONTIG_PFN_ANY);
			ops[2 * i + 1] =
				op_move(getpid(), b + i * PG, CONTIG_PFN_ANY);
		}
		t0 = now_ns();
		fmv += submit_retry(CONTIG_IOC_MOVE, ops, 2 * n, 5);
		t = now_ns() - t0;
		t_mv = t < t_mv ? t : t_mv;
	}

	/* 2. the same swap by migration: evict b's frame, fill, then back */
	for (size_t i = 0; i < n; i++)
		ops[i] = op_xchg(getpid(), a + i * PG, getpid(), b + i * PG,
				 CONTIG_OP_F_MIGRATE);
	t0 = now_ns();
	fxm = submit_retry(CONTIG_IOC_EXCHANGE, ops, n, 5);
	t_xm = now_ns() - t0;

	/*
	 * 4. the same, but into chosen frames: a -> a free frame, b -> a's old
	 * frame (each claimed with alloc_contig_range first)
	 */
	read_pfns(getpid(), a, n, pa);
	nfr = free_frames(zone_of(pa[0]), fr, n);
	for (size_t i = 0; i < nfr; i++) {
		ops[2 * i] = op_move(getpid(), a + i * PG, fr[i]);
		ops[2 * i + 1] = op_move(getpid(), b + i * PG, pa[i]);
	}
	t0 = now_ns();
	fmc = submit_retry(CONTIG_IOC_MOVE, ops, 2 * nfr, 5);
	t_mc = now_ns() - t0;

	/* 5. user space swaps the same pages in place: the memory-bandwidth ceiling */
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		user_swap(a + i * PG, b + i * PG);
	t_user = now_ns() - t0;

	printf("CONTIG-JSON: {\"bench\":\"exchange\",\"kernel_series\":\"%s\",\"pairs\":%zu,"
	       "\"inplace\":%s,\"exchange_ns_per_pair\":%.0f,\"exchange_failed\":%zu,"
	       "\"migrate_ns_per_pair\":%.0f,\"migrate_failed\":%zu,"
	       "\"migrate_to_frame_ns_per_pair\":%.0f,\"migrate_to_frame_failed\":%zu,"
	       "\"migrate_swap_ns_per_pair\":%.0f,\"migrate_swap_failed\":%zu,"
	       "\"exchange_vs_migrate\":%.3f,\"exchange_pages_per_s\":%.0f,"
	       "\"userspace_swap_ns_per_pair\":%.0f,\"userspace_swap_pages_per_s\":%.0f}\n",
	       getenv("CONTIG_VM_SERIES") ? getenv("CONTIG_VM_SERIES") : "?", n,
	       info.caps & CONTIG_CAP_EXCHANGE_INPLACE ? "true" : "false",
	       t_x / (double)n, fx, t_mv / (double)n, fmv,
	       t_mc / (double)(nfr ? nfr : 1), fmc, t_xm / (double)n, fxm,
	       t_x / t_mv, 2.0 * (double)n / (t_x / 1e9), t_user / (double)n,
	       2.0 * (double)n / (t_user / 1e9));
	fflush(stdout);
	return fx || check(b, n, 61) ? 1 : 0;
}

/* ---- main ----------------------------------------------------------- */

int main(int argc, char **argv)
{
	size_t ncases = sizeof(cases) / sizeof(cases[0]);
	int failed = 0, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < ncases; i++)
			puts(cases[i].name);
		return 0;
	}
	devfd = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		printf("Bail out! open %s: %s\n", CONTIG_DEVICE_PATH,
		       strerror(errno));
		return 1;
	}
	if (ioctl(devfd, CONTIG_IOC_INFO, &info)) {
		printf("Bail out! CONTIG_IOC_INFO: %s\n", strerror(errno));
		return 1;
	}
	read_zones();
	if (argc > 1 && !strcmp(argv[1], "bench")) {
		char *end;
		unsigned long long np = argc > 2 ? strtoull(argv[2], &end, 10) :
						   4096;

		if (argc > 2 && (*end || np == 0 || np > (1 << 20))) {
			fprintf(stderr, "contig_test: bad pair count '%s'\n",
				argv[2]);
			return 2;
		}
		return bench((size_t)np);
	}

	printf("TAP version 13\n");
	for (size_t i = 0; i < ncases; i++) {
		bool want = argc <= 1;

		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], cases[i].name);
		if (want)
			n++;
	}
	printf("1..%d\n", n);
	n = 0;
	for (size_t i = 0; i < ncases; i++) {
		bool want = argc <= 1;
		int r;

		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], cases[i].name);
		if (!want)
			continue;
		n++;
		skip_why[0] = 0;
		r = cases[i].fn();
		if (r == SKIP)
			printf("ok %d - %s # SKIP %s\n", n, cases[i].name,
			       skip_why);
		else
			printf("%sok %d - %s\n", r == PASS ? "" : "not ", n,
			       cases[i].name);
		if (r == FAIL)
			failed++;
	}
	printf("# %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
