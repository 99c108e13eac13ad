// SPDX-License-Identifier: GPL-2.0-only
/*
 * The executor's collapse path: each 2 MiB block of the range with a
 * present page and not on aligned frames gets one MADV_COLLAPSE op
 * (collapse backend); a block counts as done once pagemap shows it
 * aligned.
 */
#include <errno.h>
#include <stdlib.h>

#include "exec_run.h"
#include "promote.h"

/*
 * A block is eligible when it lies wholly in the range and holds at least
 * one present page: collapsing an empty block would only add memory.
 */
static int block_present(const uint64_t *pfn)
{
	uint64_t i;

	for (i = 0; i < BLOCK_PAGES; i++)
		if (pfn[i] != CONTIG_PFN_NONE)
			return 1;
	return 0;
}

/* Collapse path: blocks now aligned, and ops done that did not show. */
static int verify_collapse(struct run *rn, const struct backend_op *ops,
			   size_t nr)
{
	size_t k;

	for (k = 0; k < nr; k++) {
		uint64_t at =
			(ops[k].vaddr >> CONTIG_PAGE_SHIFT) - rn->start_vpn;
		uint64_t i, changed = 0;
		int err;

		if (ops[k].result)
			continue;
		err = backend_read_pfns(rn->b, rn->pid, rn->start_vpn + at,
					BLOCK_PAGES, rn->tmp + at);
		if (err)
			return err;
		if (!promote_block_aligned(rn->tmp + at)) {
			/* reported done, not what pagemap shows */
			rn->r->done--;
			give_up(rn, STATS_REASON_UNVERIFIED);
			continue;
		}
		for (i = at; i < at + BLOCK_PAGES; i++) {
			changed += rn->tmp[i] != rn->pfn[i];
			rn->pfn[i] = rn->tmp[i];
		}
		rn->r->pages_verified += changed;
		if (rn->st) {
			rn->st->blocks_collapsed++;
			rn->st->pages_verified += changed;
			rn->st->bytes_contiguous += BLOCK_PAGES * PAGE_BYTES;
		}
	}
	return 0;
}

int exec_pass_collapse(struct run *rn)
{
	uint64_t first =
		(rn->start_vpn + BLOCK_PAGES - 1) / BLOCK_PAGES * BLOCK_PAGES;
	uint64_t end = rn->start_vpn + rn->nr, vpn, nr_ops = 0;
	struct backend_op *ops;
	int err;

	ops = calloc(rn->nr / BLOCK_PAGES + 1, sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	for (vpn = first; vpn + BLOCK_PAGES <= end; vpn += BLOCK_PAGES) {
		const uint64_t *pfn = rn->pfn + (vpn - rn->start_vpn);

		if (!block_present(pfn))
			continue;
		rn->r->eligible_blocks++;
		if (promote_block_aligned(pfn))
			continue;
		ops[nr_ops].kind = BACKEND_OP_COLLAPSE;
		ops[nr_ops].vaddr = vpn << CONTIG_PAGE_SHIFT;
		nr_ops++;
	}
	rn->r->ops = nr_ops;
	rn->pages_per_op = BLOCK_PAGES;
	rn->verify = verify_collapse;
	err = run_ops(rn, ops, nr_ops);
	free(ops);
	return err;
}

/* Collapse target: every block with present pages aligned (fresh read). */
int exec_collapse_reached(const struct run *rn)
{
	uint64_t first =
		(rn->start_vpn + BLOCK_PAGES - 1) / BLOCK_PAGES * BLOCK_PAGES;
	uint64_t end = rn->start_vpn + rn->nr, vpn;

	for (vpn = first; vpn + BLOCK_PAGES <= end; vpn += BLOCK_PAGES) {
		const uint64_t *pfn = rn->pfn + (vpn - rn->start_vpn);

		if (block_present(pfn) && !promote_block_aligned(pfn))
			return 0;
	}
	return 1;
}
