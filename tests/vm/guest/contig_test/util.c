// SPDX-License-Identifier: GPL-2.0-only
/* contig_test: memory, zones, ioctl helpers and child processes. */
#include "contig_test.h"

int devfd = -1;
struct contig_info info;
char skip_why[160];

int skip(const char *why)
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

void fill(void *base, size_t npages, uint64_t seed)
{
	for (size_t p = 0; p < npages; p++) {
		uint64_t *w = (uint64_t *)((char *)base + p * PG);

		for (size_t i = 0; i < PG / 8; i++)
			w[i] = pattern(seed, p, i);
	}
}

/* Number of pages whose contents are not what fill() wrote. */
size_t check(const void *base, size_t npages, uint64_t seed)
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

void *map_anon(size_t npages)
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
int read_pfns(pid_t pid, const void *base, size_t npages, uint64_t *pfn)
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

uint64_t pfn_of(const void *va)
{
	uint64_t pfn = 0;

	if (read_pfns(getpid(), va, 1, &pfn))
		return 0;
	return pfn;
}

int kflags(uint64_t pfn, uint64_t *flags)
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

struct zone_r zones[8];
int nzones;

void read_zones(void)
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

int zone_of(uint64_t pfn)
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
size_t free_frames(int z, uint64_t *out, size_t n)
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

int submit(unsigned long cmd, struct contig_op *ops, size_t n)
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
size_t submit_retry(unsigned long cmd, struct contig_op *ops, size_t n,
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

struct contig_op op_xchg(pid_t pa, const void *a, pid_t pb, const void *b,
			 uint32_t flags)
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

struct contig_op op_move(pid_t pid, const void *a, uint64_t pfn)
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
int one(unsigned long cmd, struct contig_op op)
{
	int r = submit(cmd, &op, 1);

	return r ? r : op.result;
}

void print_failures(const struct contig_op *ops, size_t n)
{
	int shown = 0;

	for (size_t i = 0; i < n && shown < 5; i++)
		if (ops[i].result) {
			diag("op %zu: %s", i, strerror(-ops[i].result));
			shown++;
		}
}

int child_start(struct child *c, size_t npages, uint64_t seed)
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
int child_finish(struct child *c)
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
