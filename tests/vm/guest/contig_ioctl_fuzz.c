// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_ioctl_fuzz - hostile callers of /dev/contig inside the test VM.
 *
 *   contig_ioctl_fuzz [BATCHES] [THREADS]     (default 100000 4)
 *
 * THREADS threads send BATCHES random or mutated batches between them:
 * random commands (MOVE, EXCHANGE, INFO, unknown numbers), counts from 0
 * to past CONTIG_MAX_BATCH, bad batch pointers and flags, and ops with
 * random kinds, flags, reserved and unused fields, pids (ours, a child's, init's,
 * none), addresses (our pages, the child's, unmapped, kernel, unaligned)
 * and frame numbers (any, free, anywhere). Meanwhile our buffer and a
 * child's keep a per-page pattern, and a forker thread keeps forking
 * children of a third buffer (also a target): after each fork it writes
 * the buffer again, then the child checks that it still reads exactly
 * the values of the fork and exits with the number of pages that do not.
 *
 * Afterwards: every page of both buffers still holds its pattern, every
 * fork child exited 0 and the forker's own pages hold its last values, no
 * page is left isolated (nr_isolated_* back to where they were), and the
 * free memory came back (no leaked page). Prints one
 * "CONTIG-JSON: {...}" line with the counts; exit 0 when all holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contig_ioctl.h"
#include "guest_vmstat.h"

#define PG 4096UL
#define PAGES 1024
#define NERR 160

static int devfd;
static char *buf;
static pid_t child;
static char *child_buf; /* same address in the child (forked) */
#define COW_PAGES 64
static char *cow_buf; /* the forker's */
static atomic_int cow_pid; /* its latest child, a target too */
static atomic_long cow_forks, cow_failures;
static uint64_t max_pfn;
static atomic_long batches_left;
static atomic_long ops_sent, ops_done, ioctl_ok, by_errno[NERR + 1];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t pattern(size_t page, size_t word, uint64_t seed)
{
	return (page * 0x9e3779b97f4a7c15ULL) ^ (word * 0xbf58476d1ce4e5b9ULL) ^
	       seed;
}

static void fill_n(char *p, size_t n, uint64_t seed)
{
	size_t i, w;

	for (i = 0; i < n; i++)
		for (w = 0; w < PG / 8; w++)
			((uint64_t *)(p + i * PG))[w] = pattern(i, w, seed);
}

static void fill(char *p, uint64_t seed)
{
	fill_n(p, PAGES, seed);
}

static size_t check_n(const char *p, size_t n, uint64_t seed)
{
	size_t i, w, bad = 0;

	for (i = 0; i < n; i++)
		for (w = 0; w < PG / 8; w++)
			if (((const uint64_t *)(p + i * PG))[w] !=
			    pattern(i, w, seed)) {
				bad++;
				break;
			}
	return bad;
}

static size_t check(const char *p, uint64_t seed)
{
	return check_n(p, PAGES, seed);
}

/*
 * Fork children of cow_buf while the fuzzers run: the parent writes the
 * buffer again after each fork; the child, told so through a pipe, must
 * still read generation g and exits with its count of wrong pages.
 */
static void *forker(void *arg)
{
	uint64_t g = 0x1000;
	int go[2], st;
	pid_t pid;
	char t = 'g';

	(void)arg;
	if (pipe(go)) {
		atomic_fetch_add(&cow_failures, 1);
		return NULL;
	}
	fill_n(cow_buf, COW_PAGES, g);
	while (atomic_load(&batches_left) > 0) {
		pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			size_t bad;

			if (read(go[0], &t, 1) != 1)
				_exit(101);
			bad = check_n(cow_buf, COW_PAGES, g);
			_exit(bad > 100 ? 100 : (int)bad);
		}
		atomic_store(&cow_pid, pid);
		fill_n(cow_buf, COW_PAGES, g + 1);
		if (write(go[1], &t, 1) != 1)
			kill(pid, SIGKILL);
		if (waitpid(pid, &st, 0) != pid)
			st = -1;
		atomic_fetch_add(&cow_forks, 1);
		g++;
		if (WIFEXITED(st) && !WEXITSTATUS(st))
			continue;
		if (atomic_fetch_add(&cow_failures, 1) < 5)
			fprintf(stderr,
				"contig_ioctl_fuzz: fork child %d of generation %#" PRIx64
				": status %#x\n",
				(int)pid, g - 1, (unsigned int)st);
	}
	/* The parent's own copy holds the last generation. */
	if (check_n(cow_buf, COW_PAGES, g)) {
		fprintf(stderr, "contig_ioctl_fuzz: the forker's pages lost generation %#" PRIx64 "\n", g);
		atomic_fetch_add(&cow_failures, 1);
	}
	close(go[0]);
	close(go[1]);
	return NULL;
}

static uint64_t pick_addr(uint64_t *s)
{
	switch (rnd(s) % 8) {
	case 0:
	case 1:
	case 2:
		return (uint64_t)(uintptr_t)buf + rnd(s) % PAGES * PG;
	case 3:
		return (uint64_t)(uintptr_t)child_buf + rnd(s) % PAGES * PG;
	case 4:
		if (rnd(s) % 2)
			return (uint64_t)(uintptr_t)cow_buf +
			       rnd(s) % COW_PAGES * PG;
		return 0;
	case 5:
		return 0xffff888000000000ULL + rnd(s) % (1ULL << 30);
	case 6:
		return (uint64_t)(uintptr_t)buf + rnd(s) % (PAGES * PG);
	default:
		return rnd(s);
	}
}

static int32_t pick_pid(uint64_t *s)
{
	static const int32_t odd[] = { 0, -1, 1, 999999, INT32_MAX };

	switch (rnd(s) % 4) {
	case 0:
	case 1:
		return getpid();
	case 2:
		return rnd(s) % 2 ? child : atomic_load(&cow_pid);
	default:
		return odd[rnd(s) % 5];
	}
}

static uint64_t pick_pfn(uint64_t *s)
{
	switch (rnd(s) % 4) {
	case 0:
		return CONTIG_PFN_ANY;
	case 1:
		return rnd(s);
	default:
		return rnd(s) % (max_pfn ? max_pfn : 1);
	}
}

static void random_op(struct contig_op *op, uint64_t *s)
{
	memset(op, 0, sizeof(*op));
	op->kind = (uint32_t)(rnd(s) % 5);
	if (rnd(s) % 16 == 0)
		op->flags = (uint32_t)rnd(s);
	else if (rnd(s) % 2)
		op->flags = CONTIG_OP_F_MIGRATE;
	op->pid_a = pick_pid(s);
	op->vaddr_a = pick_addr(s);
	op->pid_b = pick_pid(s);
	op->vaddr_b = pick_addr(s);
	op->pfn = pick_pfn(s);
	op->outcome = (uint32_t)rnd(s); /* out only: ignored */
	if (rnd(s) % 32 == 0)
		op->reserved[rnd(s) % 2] = rnd(s);
	/* Mostly well-formed: the fields the kind does not use are zero. */
	if (rnd(s) % 8) {
		if (op->kind == CONTIG_OP_EXCHANGE)
			op->pfn = 0;
		else
			op->pid_b = 0, op->vaddr_b = 0;
	}
}

static void *fuzz(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg * 0x2545f4914f6cdd1dULL + 1;
	struct contig_op *ops = calloc(CONTIG_MAX_BATCH + 8, sizeof(*ops));
	struct contig_info info;

	while (ops && atomic_fetch_sub(&batches_left, 1) > 0) {
		struct contig_batch b = { 0 };
		unsigned long cmd;
		uint32_t i;
		int r;

		switch (rnd(&s) % 16) {
		case 0:
			b.count = CONTIG_MAX_BATCH + 1 + rnd(&s) % 8;
			break;
		case 1:
			b.count = 0;
			break;
		default:
			b.count = (uint32_t)(1 + rnd(&s) % 8);
		}
		for (i = 0; i < b.count && i < CONTIG_MAX_BATCH + 8; i++)
			random_op(&ops[i], &s);
		b.ops = (uint64_t)(uintptr_t)ops;
		if (rnd(&s) % 32 == 0)
			b.ops = rnd(&s) % 2 ? 0 : rnd(&s);
		if (rnd(&s) % 32 == 0)
			b.flags = (uint32_t)rnd(&s);
		switch (rnd(&s) % 12) {
		case 0:
			r = ioctl(devfd, CONTIG_IOC_INFO, &info);
			goto count;
		case 1:
			cmd = _IOWR(CONTIG_IOC_MAGIC, 4 + rnd(&s) % 8,
				    struct contig_batch);
			break;
		case 2:
		case 3:
		case 4:
		case 5:
			cmd = CONTIG_IOC_MOVE;
			break;
		default:
			cmd = CONTIG_IOC_EXCHANGE;
		}
		if (b.count <= CONTIG_MAX_BATCH)
			atomic_fetch_add(&ops_sent, b.count);
		r = ioctl(devfd, cmd, rnd(&s) % 64 ? &b : NULL);
		for (i = 0; !r && cmd != CONTIG_IOC_INFO && i < b.done &&
			    i < CONTIG_MAX_BATCH;
		     i++)
			if (!ops[i].result)
				atomic_fetch_add(&ops_done, 1);
count:
		if (!r)
			atomic_fetch_add(&ioctl_ok, 1);
		else
			atomic_fetch_add(&by_errno[errno < NERR ? errno : NERR],
					 1);
	}
	free(ops);
	return NULL;
}

/* The child: holds its pattern until told, then checks it. */
static int child_main(int rd)
{
	char c;

	if (read(rd, &c, 1) < 0)
		return 2;
	return check(child_buf, 2) ? 1 : 0;
}

int main(int argc, char **argv)
{
	long nbatch = argc > 1 ? atol(argv[1]) : 100000;
	int nthr = argc > 2 ? atoi(argv[2]) : 4, i, pipefd[2], status;
	uint64_t free0, free1, iso0, iso1;
	size_t bad_own, bad_child;
	pthread_t t[16], ft;
	long errors = 0;

	if (nbatch <= 0 || nthr <= 0 || nthr > 16) {
		fprintf(stderr,
			"usage: contig_ioctl_fuzz [BATCHES] [THREADS<=16]\n");
		return 2;
	}
	devfd = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		perror("contig_ioctl_fuzz: " CONTIG_DEVICE_PATH);
		return 2;
	}
	max_pfn = (uint64_t)sysconf(_SC_PHYS_PAGES) * 2;
	buf = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	child_buf = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cow_buf = mmap(NULL, COW_PAGES * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || child_buf == MAP_FAILED ||
	    cow_buf == MAP_FAILED || pipe(pipefd))
		return 2;
	madvise(cow_buf, COW_PAGES * PG, MADV_NOHUGEPAGE);
	madvise(buf, PAGES * PG, MADV_NOHUGEPAGE);
	madvise(child_buf, PAGES * PG, MADV_NOHUGEPAGE);
	fill(child_buf, 2);
	child = fork();
	if (child == 0)
		_exit(child_main(pipefd[0]));
	munmap(child_buf, PAGES * PG); /* ours goes; the child keeps its copy */
	fill(buf, 1);
	sync();
	iso0 = vmstat_isolated();
	free0 = vmstat("nr_free_pages");

	atomic_store(&batches_left, nbatch);
	for (i = 0; i < nthr; i++)
		pthread_create(&t[i], NULL, fuzz, (void *)(uintptr_t)(i + 1));
	if (pthread_create(&ft, NULL, forker, NULL))
		return 2;
	for (i = 0; i < nthr; i++)
		pthread_join(t[i], NULL);
	pthread_join(ft, NULL);

	bad_own = check(buf, 1);
	if (write(pipefd[1], "x", 1) != 1)
		return 2;
	waitpid(child, &status, 0);
	bad_child = WIFEXITED(status) ? (size_t)WEXITSTATUS(status) : 99;
	sleep(1); /* let per-cpu lists and deferred frees settle */
	for (i = 0; i <= NERR; i++)
		errors += atomic_load(&by_errno[i]);
	iso1 = vmstat_isolated();
	free1 = vmstat("nr_free_pages");

	printf("CONTIG-JSON: {\"batches\":%ld,\"threads\":%d,\"ops\":%ld,"
	       "\"ops_done\":%ld,\"ioctl_ok\":%ld,\"efault\":%ld,\"einval\":%ld,\"e2big\":%ld,"
	       "\"enotty\":%ld,\"other_errors\":%ld,\"bad_pages_own\":%zu,"
	       "\"child_status\":%zu,\"forks\":%ld,\"fork_failures\":%ld,"
	       "\"isolated_before\":%" PRIu64
	       ",\"isolated_after\":%" PRIu64 ",\"free_before\":%" PRIu64
	       ",\"free_after\":%" PRIu64 "}\n",
	       nbatch, nthr, atomic_load(&ops_sent), atomic_load(&ops_done),
	       atomic_load(&ioctl_ok), atomic_load(&by_errno[EFAULT]),
	       atomic_load(&by_errno[EINVAL]), atomic_load(&by_errno[E2BIG]),
	       atomic_load(&by_errno[ENOTTY]),
	       errors - atomic_load(&by_errno[EFAULT]) -
		       atomic_load(&by_errno[EINVAL]) -
		       atomic_load(&by_errno[E2BIG]) -
		       atomic_load(&by_errno[ENOTTY]),
	       bad_own, bad_child, atomic_load(&cow_forks),
	       atomic_load(&cow_failures), iso0, iso1, free0, free1);
	fflush(stdout);
	if (atomic_load(&cow_failures) || !atomic_load(&cow_forks)) {
		fprintf(stderr,
			"contig_ioctl_fuzz: %ld of %ld fork children failed\n",
			atomic_load(&cow_failures), atomic_load(&cow_forks));
		return 1;
	}
	if (bad_own || bad_child) {
		fprintf(stderr,
			"contig_ioctl_fuzz: pages changed (own %zu, child status %zu)\n",
			bad_own, bad_child);
		return 1;
	}
	if (iso1 > iso0) {
		fprintf(stderr,
			"contig_ioctl_fuzz: %" PRIu64 " pages left isolated\n",
			iso1 - iso0);
		return 1;
	}
	/* our buffer is still mapped: free memory may only have grown back */
	if (free1 + 2048 < free0) {
		fprintf(stderr,
			"contig_ioctl_fuzz: %" PRIu64 " fewer free pages\n",
			free0 - free1);
		return 1;
	}
	return 0;
}
