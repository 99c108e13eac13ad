// SPDX-License-Identifier: GPL-2.0-only
/*
 * access_target: a scattered 2 MiB-aligned anonymous region used in one
 * of three ways, for the tests of how the daemon finds memory by access.
 *
 *   hot    every page read at random without pause, no fault after set-up
 *   idle   never touched again
 *   churn  2 MiB at a time dropped (MADV_DONTNEED) and written again,
 *          round and round: faults and accesses all the time
 *
 * The command name becomes "acc_MODE" (for contigd's include patterns).
 * Every 8-byte word holds a value derived from its address; hot checks
 * each word it reads. Prints
 *   pid PID
 *   region START END
 * then works until stdin reaches end of file, and exits 0 when the
 * region is intact, 1 when a word changed (the index on stderr).
 *
 * --nohugepage marks the region MADV_NOHUGEPAGE (where THP is "always",
 * as in the VM guests, faults would give huge pages).
 *
 * usage: access_target hot|idle|churn [MiB, even] [--nohugepage]
 */
#include <errno.h>
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
#include <sys/prctl.h>
#include <unistd.h>

#include "test_mem.h"

static atomic_bool stop;
static atomic_long bad_word = -1;

static void die(const char *what)
{
	fprintf(stderr, "access_target: %s: %s\n", what, strerror(errno));
	exit(2);
}

struct work {
	char *region;
	size_t len;
	int mode; /* 'h', 'i', 'c' */
};

/* Read one random word of every page, over and over, checking it. */
static void hot_loop(const struct work *wk)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t pages = wk->len / PAGE;

	while (!atomic_load(&stop)) {
		size_t p = rnd(&seed) % pages;
		size_t k = rnd(&seed) % (PAGE / 8);
		const uint64_t *w =
			(const uint64_t *)(wk->region + p * PAGE) + k;

		if (*(volatile const uint64_t *)w != pattern_word(w)) {
			atomic_store(&bad_word, (long)(p * (PAGE / 8) + k));
			return;
		}
	}
}

/* Drop 2 MiB and write it again, block after block. */
static void churn_loop(const struct work *wk)
{
	size_t blocks = wk->len / HUGE, b = 0, i;

	while (!atomic_load(&stop)) {
		char *blk = wk->region + (b++ % blocks) * HUGE;

		if (madvise(blk, HUGE, MADV_DONTNEED))
			return;
		for (i = 0; i < HUGE / PAGE; i++)
			pattern_fill(blk, i);
		usleep(1000);
	}
}

static void *worker(void *arg)
{
	const struct work *wk = arg;

	if (wk->mode == 'h')
		hot_loop(wk);
	else if (wk->mode == 'c')
		churn_loop(wk);
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	struct work wk = { 0 };
	char *other, name[16], *end, line[64];
	size_t mib = 64;
	pthread_t th;
	int nohuge = 0;
	long bad;

	if (argc > 2 && !strcmp(argv[argc - 1], "--nohugepage")) {
		nohuge = 1;
		argc--;
	}
	if (argc < 2 || argc > 3 || (strcmp(argv[1], "hot") &&
				     strcmp(argv[1], "idle") &&
				     strcmp(argv[1], "churn"))) {
		fprintf(stderr, "usage: access_target hot|idle|churn [MiB] "
				"[--nohugepage]\n");
		return 2;
	}
	if (argc == 3) {
		errno = 0;
		mib = strtoul(argv[2], &end, 10);
		if (errno || *end || !mib || mib % 2 || mib > 65536) {
			fprintf(stderr, "access_target: bad MiB '%s'\n",
				argv[2]);
			return 2;
		}
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(name, sizeof(name), "acc_%s", argv[1]);
	prctl(PR_SET_NAME, name);
	wk.mode = argv[1][0];
	wk.len = mib << 20;
	wk.region = fenced_map(wk.len, HUGE);
	other = fenced_map(wk.len, PAGE);
	if (!wk.region || !other)
		die("mmap");
	/* base pages whatever THP says, in both mappings */
	if (madvise(other, wk.len, MADV_NOHUGEPAGE) ||
	    (nohuge && madvise(wk.region, wk.len, MADV_NOHUGEPAGE)))
		die("madvise(MADV_NOHUGEPAGE)");
	if (scatter_fault(wk.region, other, wk.len / PAGE, &seed,
			  pattern_fill))
		die("malloc");
	if (pthread_create(&th, NULL, worker, &wk))
		die("pthread_create");
	printf("pid %d\nregion 0x%" PRIxPTR " 0x%" PRIxPTR "\n", (int)getpid(),
	       (uintptr_t)wk.region, (uintptr_t)(wk.region + wk.len));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	bad = atomic_load(&bad_word);
	if (bad < 0)
		bad = pattern_check(wk.region, wk.len);
	if (bad >= 0) {
		fprintf(stderr, "access_target: word %ld changed\n", bad);
		return 1;
	}
	return 0;
}
