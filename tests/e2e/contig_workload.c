// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_workload: fragment memory the way real programs do, hint one
 * buffer to contigd, and check that no byte is lost meanwhile.
 *
 *   1. This process and a forked partner fault their buffers (MiB each)
 *      in turns of a few pages, passing a token through pipes, so that
 *      the page allocator hands out interleaved frames; a churn mapping
 *      is faulted and partly released (MADV_DONTNEED) in between, so
 *      the free lists are scattered too.
 *   2. Writer threads in both processes keep rewriting their pages, each
 *      page carrying a sequence number and a checksum of its contents
 *      that every rewrite verifies first, with the sequence number the
 *      writer itself last put there: a page exchanged away, moved,
 *      half-copied or gone back to an older copy shows up as an
 *      integrity error.
 *   3. The buffer is hinted with contig_advise(CONTIG_NOW) (or WANT, or
 *      not at all, or --hint collapse: madvise(MADV_COLLAPSE) on it, what
 *      one does without contigd); contig_query() figures before and after
 *      are printed, as one JSON line with --json, with what the frames
 *      say (as root): the fewest pages one run would have to move, and
 *      how many pages did move.
 *
 * The buffers are faulted with MADV_NOHUGEPAGE (base pages: the point is
 * to start fragmented); --allow-thp lifts that before the hint, for
 * contigd's collapse backend, which MADV_NOHUGEPAGE refuses.
 *
 * --thp-blocks N then collapses N of the buffer's 2 MiB blocks (every
 * other one) into THPs before the writers start: a buffer mixing huge
 * pages and scattered base pages, as THP=always leaves one on a
 * fragmented machine.  The JSON line adds the blocks collapsed and
 * AnonHugePages of the buffer before and after the hint.
 *
 * --chaos keeps a thread busy from the hint to the end (through
 * --interactive and --hold): fork() children of the buffer's first
 * CHAOS_PAGES pages (no writer thread's: the chaos thread rewrites them)
 * that wait until the parent has written them again after the fork, then
 * check that they still read exactly what they held at the fork and exit
 * with the number of pages that do not (the parent requires exit status
 * 0 and its own new values), mmap/touch/munmap of a side region, and
 * mprotect() of parts of the buffer to read-write-exec and back
 * (splitting and merging its VMA).
 *
 * --interactive (for the demo) prints "ready pid PID buffer START END"
 * and waits for a line on stdin before the hint, then prints "hinted:
 * RESULT" and waits for another line before stopping the writers.
 *
 * usage: contig_workload [--mib N] [--hint now|want|none|collapse] [--writers N]
 *                        [--hold SECONDS] [--allow-thp] [--interactive]
 *                        [--chaos] [--thp-blocks N] [--json]
 * Exit: 0 all intact (and with "now": the hint succeeded), 1 integrity
 * errors (a fork child or the partner not exiting 0 among them), 2 usage
 * or set-up error, 3 the hint failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contig.h"
#include "frame_moves.h"
#include "thp_blocks.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define PAGE 4096UL
#define HUGE (2UL << 20)
#define TURN_PAGES 4
#define WORDS (PAGE / 8)
#define MAX_WRITERS 16
/* --chaos: pages at the start of the buffer that only the chaos thread writes. */
#define CHAOS_PAGES 16

struct writers {
	char *buf;
	size_t npages;
	size_t first; /* writer threads keep to [first, npages) */
	uint64_t *seq; /* per page: the sequence number last written */
	unsigned int n;
	pthread_t t[MAX_WRITERS];
	atomic_bool stop;
	atomic_uint_fast64_t errors;
	atomic_uint_fast64_t rewrites;
};

struct wctx {
	struct writers *w;
	unsigned int idx;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/*
 * Page layout: word 0 the sequence number, words 1..WORDS-2 derived from
 * (page, seq), the last word a checksum over all the others.
 */
static uint64_t page_sum(const uint64_t *p)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < WORDS - 1; i++)
		s = mix(s ^ p[i]) + i;
	return s;
}

static void page_write(uint64_t *p, size_t page, uint64_t seq)
{
	size_t i;

	p[0] = seq;
	for (i = 1; i < WORDS - 1; i++)
		p[i] = mix(page * 0x9e3779b97f4a7c15ULL + seq * WORDS + i);
	p[WORDS - 1] = page_sum(p);
}

/* Intact: checksum right and contents as (page, seq) made them. */
static bool page_ok(const uint64_t *p, size_t page)
{
	uint64_t seq = p[0];

	return p[WORDS - 1] == page_sum(p) &&
	       p[1] == mix(page * 0x9e3779b97f4a7c15ULL + seq * WORDS + 1);
}

static void *writer(void *arg)
{
	struct wctx *c = arg;
	struct writers *w = c->w;
	size_t i;

	while (!atomic_load(&w->stop)) {
		for (i = w->first + c->idx;
		     i < w->npages && !atomic_load(&w->stop); i += w->n) {
			uint64_t *p = (uint64_t *)(w->buf + i * PAGE);

			if (!page_ok(p, i) || p[0] != w->seq[i]) {
				atomic_fetch_add(&w->errors, 1);
				fprintf(stderr,
					"contig_workload %d: page %zu corrupt (seq %" PRIu64
					", wrote %" PRIu64 ")\n",
					(int)getpid(), i, p[0], w->seq[i]);
			}
			page_write(p, i, ++w->seq[i]);
			atomic_fetch_add(&w->rewrites, 1);
		}
	}
	return NULL;
}

static struct wctx wctx[MAX_WRITERS];

static int writers_start(struct writers *w)
{
	unsigned int i;

	for (i = 0; i < w->n; i++) {
		wctx[i].w = w;
		wctx[i].idx = i;
		if (pthread_create(&w->t[i], NULL, writer, &wctx[i]))
			return -1;
	}
	return 0;
}

/* Stop, then verify every page once more. */
static uint64_t writers_stop(struct writers *w)
{
	unsigned int i;
	size_t p;

	atomic_store(&w->stop, true);
	for (i = 0; i < w->n; i++)
		pthread_join(w->t[i], NULL);
	for (p = 0; p < w->npages; p++) {
		const uint64_t *q = (const uint64_t *)(w->buf + p * PAGE);

		if (!page_ok(q, p) || q[0] != w->seq[p])
			atomic_fetch_add(&w->errors, 1);
	}
	return atomic_load(&w->errors);
}

static char *map_aligned(size_t len)
{
	char *raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	/* base pages: the point is to start fragmented */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static int token_pass(int fd)
{
	char c = 't';

	return write(fd, &c, 1) == 1 ? 0 : -1;
}

static int token_wait(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

/*
 * Fault buf in turns with the other process: TURN_PAGES pages, then the
 * token goes over; every other turn a churn page is faulted and every
 * fourth one released.
 */
static int fault_interleaved(char *buf, size_t npages, char *churn, int in,
			     int out, bool first)
{
	size_t i, k;

	if (!first && token_wait(in))
		return -1;
	for (i = 0; i < npages; i += TURN_PAGES) {
		for (k = i; k < i + TURN_PAGES && k < npages; k++)
			page_write((uint64_t *)(buf + k * PAGE), k, 0);
		if (churn) {
			size_t c = (i / TURN_PAGES) % 4096;

			churn[c * PAGE] = 1;
			if (c % 4 == 3)
				madvise(churn + (c - 2) * PAGE, PAGE,
					MADV_DONTNEED);
		}
		if (token_pass(out) || token_wait(in))
			return -1;
	}
	return token_pass(out);
}

/* --interactive: wait for a line (or end of file) on stdin. */
static void wait_line(void)
{
	int c;

	fflush(stdout);
	while ((c = getchar()) != EOF && c != '\n')
		;
}

struct opts {
	size_t mib;
	const char *hint;
	unsigned int writers;
	unsigned int hold;
	bool json;
	bool allow_thp;
	bool interactive;
	bool chaos;
	unsigned int thp_blocks;
};

struct chaos {
	char *buf;
	size_t npages;
	uint64_t *seq; /* the writers' table: pages [0, CHAOS_PAGES) are ours */
	pthread_t t;
	atomic_bool stop;
	atomic_uint_fast64_t forks, remaps, mprotects, errors, fork_errors;
};

/* Pages [0, CHAOS_PAGES) that do not read exactly sequence number seq. */
static int cow_wrong(const char *buf, uint64_t seq)
{
	int bad = 0;
	size_t k;

	for (k = 0; k < CHAOS_PAGES; k++) {
		const uint64_t *p = (const uint64_t *)(buf + k * PAGE);

		bad += !page_ok(p, k) || p[0] != seq;
	}
	return bad;
}

/*
 * Fork a child of the chaos pages (all at sequence number c->seq[0]),
 * write them again, let the child check that it still reads the old
 * values: 0, or -1 (counted in fork_errors) when the child does not exit
 * 0 or the parent's own pages are not what it wrote.
 */
static int cow_fork(struct chaos *c, int rd, int wr)
{
	uint64_t old = c->seq[0];
	pid_t pid;
	size_t k;
	int st, bad;
	char t = 'w';

	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		if (read(rd, &t, 1) != 1)
			_exit(100);
		_exit(cow_wrong(c->buf, old));
	}
	for (k = 0; k < CHAOS_PAGES; k++) {
		page_write((uint64_t *)(c->buf + k * PAGE), k, old + 1);
		c->seq[k] = old + 1;
	}
	if (write(wr, &t, 1) != 1)
		kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) != pid)
		st = -1;
	atomic_fetch_add(&c->forks, 1);
	bad = cow_wrong(c->buf, old + 1);
	if (WIFEXITED(st) && !WEXITSTATUS(st) && !bad)
		return 0;
	atomic_fetch_add(&c->fork_errors, 1);
	fprintf(stderr,
		"contig_workload %d: fork child %d (seq %" PRIu64
		"): status %#x, %d page(s) wrong in the parent\n",
		(int)getpid(), (int)pid, old, (unsigned int)st, bad);
	return -1;
}

static void *chaos_main(void *arg)
{
	struct chaos *c = arg;
	uint64_t seed = 0x1234;
	int go[2];

	if (pipe(go)) {
		atomic_fetch_add(&c->fork_errors, 1);
		return NULL;
	}
	while (!atomic_load(&c->stop)) {
		size_t at = (size_t)(mix(++seed) % (c->npages - 64));
		char *side;

		cow_fork(c, go[0], go[1]);
		side = mmap(NULL, 256 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (side != MAP_FAILED) {
			memset(side, 1, 256 * PAGE);
			munmap(side, 256 * PAGE);
			atomic_fetch_add(&c->remaps, 1);
		}
		if (!mprotect(c->buf + at * PAGE, 64 * PAGE,
			      PROT_READ | PROT_WRITE | PROT_EXEC) &&
		    !mprotect(c->buf + at * PAGE, 64 * PAGE,
			      PROT_READ | PROT_WRITE))
			atomic_fetch_add(&c->mprotects, 1);
		else
			atomic_fetch_add(&c->errors, 1);
	}
	close(go[0]);
	close(go[1]);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: contig_workload [--mib N] [--hint now|want|none|collapse]\n"
		"                       [--writers N]"
		"                       [--hold SECONDS] [--allow-thp] [--interactive]\n"
		"                       [--chaos] [--thp-blocks N] [--json]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "mib", required_argument, NULL, 'm' },
		{ "hint", required_argument, NULL, 'h' },
		{ "writers", required_argument, NULL, 'w' },
		{ "hold", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "allow-thp", no_argument, NULL, 't' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "chaos", no_argument, NULL, 'c' },
		{ "thp-blocks", required_argument, NULL, 'T' },
		{ 0 },
	};
	unsigned long v;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'j' || c == 't' || c == 'i' || c == 'c') {
			*(c == 'j' ? &o->json :
			  c == 't' ? &o->allow_thp :
			  c == 'i' ? &o->interactive :
				     &o->chaos) = true;
			continue;
		}
		if (c == 'h') {
			if (strcmp(optarg, "now") && strcmp(optarg, "want") &&
			    strcmp(optarg, "none") && strcmp(optarg, "collapse"))
				usage();
			o->hint = optarg;
			if (!strcmp(optarg, "collapse"))
				o->allow_thp = true;
			continue;
		}
		if (c == '?')
			usage();
		errno = 0;
		v = strtoul(optarg, &end, 10);
		if (errno || *end || optarg[0] == '-' || !*optarg)
			usage();
		if (c == 'm' && v >= 2 && v <= 65536 && v % 2 == 0)
			o->mib = v;
		else if (c == 'w' && v >= 1 && v <= MAX_WRITERS)
			o->writers = (unsigned int)v;
		else if (c == 'H' && v <= 86400)
			o->hold = (unsigned int)v;
		else if (c == 'T' && v <= 32768)
			o->thp_blocks = (unsigned int)v;
		else
			usage();
	}
	if (optind != argc)
		usage();
}

static void print_report(const char *what, const struct contig_report *r,
			 bool json)
{
	if (json)
		printf("\"%s\":{\"pages\":%" PRIu64 ",\"present\":%" PRIu64
		       ",\"runs\":%" PRIu64 ",\"runs_99\":%" PRIu64
		       ",\"largest_run\":%" PRIu64 ",\"largest_run_pct\":%.1f"
		       ",\"aligned_2m\":%" PRIu64 "}",
		       what, (uint64_t)r->pages, (uint64_t)r->present,
		       (uint64_t)r->runs, (uint64_t)r->runs_99,
		       (uint64_t)r->largest_run,
		       r->present ? 100.0 * (double)r->largest_run /
					    (double)r->present :
				    0.0,
		       (uint64_t)r->aligned_2m);
	else
		printf("%-6s pages %" PRIu64 " present %" PRIu64
		       " runs %" PRIu64 " runs_99 %" PRIu64
		       " largest_run %" PRIu64 " aligned_2m %" PRIu64 "\n",
		       what, (uint64_t)r->pages, (uint64_t)r->present,
		       (uint64_t)r->runs, (uint64_t)r->runs_99,
		       (uint64_t)r->largest_run, (uint64_t)r->aligned_2m);
}

/* The partner: fault in turns, keep writing until told, report errors. */
static int partner(size_t npages, unsigned int nwriters, int in, int out,
		   int report)
{
	struct writers w = { .npages = npages, .n = nwriters };
	uint64_t errors;

	w.buf = map_aligned(npages * PAGE);
	w.seq = calloc(npages, sizeof(*w.seq));
	if (!w.buf || !w.seq ||
	    fault_interleaved(w.buf, npages, NULL, in, out, false))
		return 2;
	if (writers_start(&w))
		return 2;
	token_wait(in); /* the parent is done */
	errors = writers_stop(&w);
	if (write(report, &errors, sizeof(errors)) != sizeof(errors))
		return 2;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .mib = 64, .hint = "now", .writers = 2 };
	struct writers w = { 0 };
	struct chaos chaos = { 0 };
	struct contig_report before, after;
	uint64_t *pfn_before = NULL, *pfn_after = NULL;
	bool frames = false;
	int to_child[2], to_parent[2], rep[2], hint_err = 0, status = -1;
	int partner_failed = 0;
	uint64_t child_errors = UINT64_MAX, errors;
	long huge_before = 0, huge_after = 0;
	int collapsed = 0;
	struct timespec t0, t1;
	size_t npages;
	char *churn;
	pid_t pid;

	parse(argc, argv, &o);
	npages = o.mib * (1UL << 20) / PAGE;
	w.npages = npages;
	w.n = o.writers;
	w.first = o.chaos ? CHAOS_PAGES : 0;
	w.seq = calloc(npages, sizeof(*w.seq));
	w.buf = map_aligned(npages * PAGE);
	churn = mmap(NULL, 4096 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!w.buf || !w.seq || churn == MAP_FAILED || pipe(to_child) ||
	    pipe(to_parent) || pipe(rep)) {
		perror("contig_workload: set-up");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("contig_workload: fork");
		return 2;
	}
	if (!pid)
		_exit(partner(npages, o.writers, to_child[0], to_parent[1],
			      rep[1]));
	if (fault_interleaved(w.buf, npages, churn, to_parent[0], to_child[1],
			      true)) {
		fprintf(stderr,
			"contig_workload: faulting with the partner failed\n");
		return 2;
	}
	if (o.thp_blocks) {
		collapsed =
			thp_collapse_blocks(w.buf, npages * PAGE, o.thp_blocks);
		if (collapsed < 0) {
			fprintf(stderr, "contig_workload: MADV_COLLAPSE: %s\n",
				strerror(-collapsed));
			return 2;
		}
		huge_before = thp_anon_huge_kib(w.buf);
	}
	if (writers_start(&w)) {
		fprintf(stderr, "contig_workload: writer threads failed\n");
		return 2;
	}
	if (contig_query(w.buf, npages * PAGE, &before)) {
		perror("contig_workload: contig_query");
		return 2;
	}
	pfn_before = calloc(npages, sizeof(*pfn_before));
	pfn_after = calloc(npages, sizeof(*pfn_after));
	frames = pfn_before && pfn_after &&
		 !frames_read(w.buf, npages, pfn_before);
	if (o.interactive) {
		printf("ready pid %d buffer %p %p\n", (int)getpid(), w.buf,
		       w.buf + npages * PAGE);
		wait_line();
	}
	chaos.buf = w.buf;
	chaos.npages = npages;
	chaos.seq = w.seq;
	if (o.chaos && pthread_create(&chaos.t, NULL, chaos_main, &chaos)) {
		perror("contig_workload: chaos thread");
		return 2;
	}
	if (o.allow_thp && madvise(w.buf, npages * PAGE, MADV_HUGEPAGE))
		perror("contig_workload: madvise(MADV_HUGEPAGE)");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!strcmp(o.hint, "now") &&
	    contig_advise(w.buf, npages * PAGE, CONTIG_NOW))
		hint_err = errno;
	else if (!strcmp(o.hint, "want") &&
		 contig_advise(w.buf, npages * PAGE, CONTIG_WANT))
		hint_err = errno;
	else if (!strcmp(o.hint, "collapse") &&
		 madvise(w.buf, npages * PAGE, MADV_COLLAPSE))
		hint_err = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o.interactive) {
		printf("hinted: %s\n", hint_err ? strerror(hint_err) : "ok");
		wait_line();
	}
	if (o.hold)
		sleep(o.hold);
	if (o.chaos) {
		atomic_store(&chaos.stop, true);
		pthread_join(chaos.t, NULL);
	}
	contig_query(w.buf, npages * PAGE, &after);
	frames = frames && !frames_read(w.buf, npages, pfn_after);
	if (o.thp_blocks)
		huge_after = thp_anon_huge_kib(w.buf);
	errors = writers_stop(&w);
	token_pass(to_child[1]);
	if (read(rep[0], &child_errors, sizeof(child_errors)) !=
	    sizeof(child_errors))
		child_errors = UINT64_MAX;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "contig_workload: the partner ended with status %#x\n",
			(unsigned int)status);
		partner_failed = 1;
	}
	errors += atomic_load(&chaos.fork_errors) + partner_failed;

	if (o.json) {
		printf("{\"pid\":%d,\"mib\":%zu,\"hint\":\"%s\",\"hint_error\":\"%s\",",
		       (int)getpid(), o.mib, o.hint,
		       hint_err ? strerror(hint_err) : "");
		print_report("before", &before, true);
		putchar(',');
		print_report("after", &after, true);
		printf(",\"chaos\":{\"forks\":%" PRIu64 ",\"fork_errors\":%" PRIu64
		       ",\"remaps\":%" PRIu64 ",\"mprotects\":%" PRIu64 "}",
		       (uint64_t)atomic_load(&chaos.forks),
		       (uint64_t)atomic_load(&chaos.fork_errors),
		       (uint64_t)atomic_load(&chaos.remaps),
		       (uint64_t)atomic_load(&chaos.mprotects));
		if (frames)
			printf(",\"frames\":{\"misplaced_min\":%" PRIu64
			       ",\"changed\":%" PRIu64 "}",
			       frames_misplaced_min(w.buf, npages, pfn_before),
			       frames_changed(pfn_before, pfn_after, npages));
		if (o.thp_blocks)
			printf(",\"thp\":{\"collapsed\":%d,\"anon_huge_kib_before\":%ld"
			       ",\"anon_huge_kib_after\":%ld}",
			       collapsed, huge_before, huge_after);
		printf(",\"hint_seconds\":%.3f,\"rewrites\":%" PRIu64
		       ",\"integrity_errors\":%" PRIu64 "}\n",
		       (double)(t1.tv_sec - t0.tv_sec) +
			       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		       (uint64_t)atomic_load(&w.rewrites),
		       errors + child_errors);
	} else {
		print_report("before", &before, false);
		print_report("after", &after, false);
		printf("hint %s: %s; integrity errors: %" PRIu64
		       " here, %" PRIu64 " in the partner\n",
		       o.hint, hint_err ? strerror(hint_err) : "ok", errors,
		       child_errors);
	}
	free(pfn_before);
	free(pfn_after);
	free(w.seq);
	if (errors || child_errors)
		return 1;
	return hint_err ? 3 : 0;
}
