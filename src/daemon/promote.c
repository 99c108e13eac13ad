// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-place promotion of aligned blocks after a pass (see promote.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promote.h"
#include "vma_pages.h"

#define BLOCK_PAGES ((uint64_t)CONTIG_PAGES_2M)

/* Rounds for blocks refused with -EAGAIN (a page in an LRU cache). */
#define PROMOTE_ROUNDS 3

int promote_block_aligned(const uint64_t *pfn)
{
	uint64_t i;

	if (pfn[0] == CONTIG_PFN_NONE || pfn[0] % BLOCK_PAGES)
		return 0;
	for (i = 1; i < BLOCK_PAGES; i++)
		if (pfn[i] != pfn[0] + i)
			return 0;
	return 1;
}

static void backoff(unsigned int round)
{
	struct timespec ts = { 0, 10000000L << round }; /* 10, 20 ms */

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Run ops[0..nr) in batches of max_batch; 0 or the backend's -errno. */
static int promote_apply(struct backend *b, pid_t pid, struct backend_op *ops,
			 size_t nr, size_t max_batch)
{
	size_t i, n;
	int err;

	for (i = 0; i < nr; i += n) {
		n = nr - i < max_batch ? nr - i : max_batch;
		err = backend_apply(b, pid, ops + i, n);
		if (err)
			return err;
	}
	return 0;
}

int promote_range(struct backend *b, pid_t pid, uint64_t start_vpn,
		  uint64_t nr, const uint64_t *pfn, struct stats *st,
		  struct promote_result *r)
{
	uint64_t first = (start_vpn + BLOCK_PAGES - 1) / BLOCK_PAGES *
			 BLOCK_PAGES;
	uint64_t end = start_vpn + nr, vpn;
	struct backend_info info;
	struct backend_op *ops;
	size_t nr_ops = 0, k, left;
	unsigned int round;
	int err;

	memset(r, 0, sizeof(*r));
	err = backend_info(b, &info);
	if (err)
		return err;
	if (!(info.caps & BACKEND_CAP_PROMOTE_2M) || nr < BLOCK_PAGES)
		return 0;
	ops = calloc(nr / BLOCK_PAGES + 1, sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	for (vpn = first; vpn + BLOCK_PAGES <= end; vpn += BLOCK_PAGES) {
		if (!promote_block_aligned(pfn + (vpn - start_vpn)))
			continue;
		ops[nr_ops].kind = BACKEND_OP_PROMOTE;
		ops[nr_ops].vaddr = vpn << CONTIG_PAGE_SHIFT;
		nr_ops++;
	}
	r->candidates = nr_ops;
	left = nr_ops;
	for (round = 0; left && round < PROMOTE_ROUNDS; round++) {
		size_t again = 0;

		if (round)
			backoff(round - 1);
		for (k = 0; k < left; k++)
			ops[k].result = -EAGAIN;
		err = promote_apply(b, pid, ops, left,
				    info.max_batch ? info.max_batch : 1);
		if (err)
			break;
		for (k = 0; k < left; k++) {
			int res = ops[k].result;

			if (res == -EAGAIN && round + 1 < PROMOTE_ROUNDS) {
				ops[again++] = ops[k];
				continue;
			}
			if (!res)
				r->promoted++;
			else if (res == -EEXIST)
				r->already++;
			else
				r->refused++;
			if (!st || res == -EEXIST)
				continue;
			if (!res)
				st->promotions++;
			else
				st->promotion_failures[stats_promote_reason_of(
					res)]++;
		}
		left = again;
	}
	free(ops);
	return err;
}
