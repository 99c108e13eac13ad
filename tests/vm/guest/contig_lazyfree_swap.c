// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_lazyfree_swap - a lazyfree (MADV_FREE) page exchanged with a used
 * one, then reclaimed with swap on (zram, set up by the kmod suite), inside
 * the test VM.  TAP output, two cases:
 *
 *   lazyfree_pageout_swap   MADV_PAGEOUT of both pages: the used page goes
 *                           to swap (pagemap's swap bit) and comes back
 *                           with every byte; the lazyfree page is dropped
 *                           (neither present nor swapped) and reads zero
 *   lazyfree_memcg_pressure in a memory cgroup of MEMCG_MIB (memory.max),
 *                           the process touches four times as much: the
 *                           used page keeps every byte (swapped out or
 *                           kept: reclaim's choice), the lazyfree page is
 *                           discarded and reads zero
 *
 * Were PG_swapbacked left with the frame, the used page's contents would
 * sit in a frame reclaim takes for lazyfree: dropped instead of swapped,
 * they would read zero.  Both cases are skipped without swap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "contig_ioctl.h"
#include "guest_fidelity.h"

#define PM_SWAP (1ULL << 62)
#define CGROUP "/sys/fs/cgroup"
#define MEMCG CGROUP "/contig_lazyfree"
#define MEMCG_MIB 16

static bool swap_on(void)
{
	FILE *f = fopen("/proc/swaps", "r");
	char line[256];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		fclose(f);
	return n > 1;
}

/*
 * Two pages: lazy (MADV_FREE'd, pattern v) and used (pattern v + 0x1000),
 * exchanged.  0, SKIP (MADV_FREE did not take), or FAIL.
 */
static int lazy_pair(char *m, uint64_t v)
{
	char *lazy = m, *used = m + PG;
	uint64_t pl, pu;
	int r = PASS;

	paint(lazy, v);
	paint(used, v + 0x1000);
	if (make_lazyfree(lazy))
		return SKIP;
	pl = frame(lazy);
	pu = frame(used);
	r |= want("exchange", xchg_retry(lazy, used), 0);
	r |= want("frames swapped", frame(lazy) == pu && frame(used) == pl, 1);
	/* The exchanged pages wait in a per-CPU LRU batch: drain them. */
	put_str("/proc/sys/vm/compact_memory", "1");
	return r;
}

/*
 * What reclaim must have done to the pair of lazy_pair(m, v); the used
 * page must have gone to swap when swapped is set (MADV_PAGEOUT); under a
 * cgroup's pressure reclaim may keep it (active, referenced).
 */
static int after_reclaim(char *m, uint64_t v, bool swapped)
{
	char *lazy = m, *used = m + PG;
	int r = PASS;

	if (swapped)
		r |= want("used page swapped out", !!(pagemap(used) & PM_SWAP), 1);
	else
		note("used page %s", (pagemap(used) & PM_SWAP) ? "swapped out" : "kept in memory");
	r |= want("lazyfree page dropped (neither present nor swapped)",
		  !!(pagemap(lazy) & (PM_PRESENT | PM_SWAP)), 0);
	r |= want("wrong words in the used page", (long long)wrong(used, v + 0x1000), 0);
	r |= want("lazyfree page reads zero", all_zero(lazy), 1);
	return r;
}

static int t_pageout(void)
{
	char *m = pages(2, MAP_PRIVATE);
	int r;

	if (!m)
		return FAIL;
	r = lazy_pair(m, 0x51000);
	if (r == PASS) {
		if (madvise(m, 2 * PG, MADV_PAGEOUT)) {
			note("MADV_PAGEOUT: %s", strerror(errno));
			r = FAIL;
		} else {
			r = after_reclaim(m, 0x51000, true);
		}
	}
	munmap(m, 2 * PG);
	return r;
}

/* In the memory cgroup: the pair, then four times memory.max touched. */
static int pressure_child(void)
{
	size_t fill_len = (size_t)4 * MEMCG_MIB << 20;
	char *m = pages(2, MAP_PRIVATE), *fill;
	int r;

	if (!m)
		return FAIL;
	r = lazy_pair(m, 0x62000);
	if (r != PASS)
		return r;
	fill = mmap(NULL, fill_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fill == MAP_FAILED) {
		note("mmap: %s", strerror(errno));
		return FAIL;
	}
	for (size_t i = 0; i < fill_len; i += PG)
		memset(fill + i, (int)(i / PG) | 1, PG);
	return after_reclaim(m, 0x62000, false);
}

static int t_memcg(void)
{
	char s[32];
	pid_t pid;
	int st, r;

	if (access(CGROUP "/cgroup.controllers", F_OK))
		return skipped("no cgroup2 at " CGROUP);
	put_str(CGROUP "/cgroup.subtree_control", "+memory");
	if (mkdir(MEMCG, 0755) && errno != EEXIST)
		return skipped("cannot create " MEMCG);
	snprintf(s, sizeof(s), "%dM", MEMCG_MIB);
	if (put_str(MEMCG "/memory.max", s)) {
		rmdir(MEMCG);
		return skipped("no memory controller");
	}
	pid = fork();
	if (pid == 0) {
		snprintf(s, sizeof(s), "%d", (int)getpid());
		if (put_str(MEMCG "/cgroup.procs", s))
			_exit(FAIL);
		_exit(pressure_child());
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		r = FAIL;
	else if (WIFEXITED(st) && WEXITSTATUS(st) == SKIP)
		r = skipped("MADV_FREE did not take in the cgroup");
	else
		r = want("the cgroup's child: exit status",
			 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), 0);
	rmdir(MEMCG);
	return r;
}

int main(void)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} cases[] = {
		{ "lazyfree_pageout_swap", t_pageout },
		{ "lazyfree_memcg_pressure", t_memcg },
	};
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..2\n");
	dev = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 2; i++) {
		int r;

		why[0] = 0;
		if (dev < 0)
			r = skipped("no " CONTIG_DEVICE_PATH);
		else if (!swap_on())
			r = skipped("no swap (/proc/swaps)");
		else
			r = cases[i].fn();
		if (r == SKIP)
			printf("ok %d - %s # SKIP %s\n", i + 1, cases[i].name, why);
		else
			printf("%sok %d - %s\n", r ? "not " : "", i + 1, cases[i].name);
		failed += r == FAIL;
	}
	return failed ? 1 : 0;
}
