// SPDX-License-Identifier: GPL-2.0-only
/*
 * Large folios (THPs, mTHPs) in the way of an op.
 *
 * Where an op names a page of a large folio, or a frame one occupies, and
 * the caller asked for it (CONTIG_OP_F_SPLIT), the folio is split into base
 * pages, as the kernel splits one that reclaim or migration cannot handle
 * whole, and the op then places the base page.  The split moves no data:
 * each page keeps its frame and contents; the folio's mappings become PTE
 * mappings.  Splitting is the documented choice (contig(4)) where a huge
 * page must give way to base pages of another owner, or was mapped where
 * it cannot land aligned: exchanging a 2 MiB folio with 512 unrelated base
 * pages would mean 512 owners' mappings changing in one step.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/swap.h>

#include "contig.h"

bool contig_split_available(void)
{
	return contig_syms.split_huge_page != NULL;
}

static int contig_split_locked(struct folio *folio)
{
#if CONTIG_SPLIT_TO_ORDER
	return contig_syms.split_huge_page(&folio->page, NULL, 0);
#else
	return contig_syms.split_huge_page(&folio->page, NULL);
#endif
}

/*
 * Split a large folio the caller holds one reference on.  1 if it was
 * split (the reference and the folio now are its first base page's), 0
 * if it is no large folio (any more), or -errno: -EOPNOTSUPP (hugetlb,
 * no split available), -EBUSY (pinned, mlocked, or referenced by someone
 * else), -EAGAIN (locked, under writeback: retry).
 */
static int contig_split_folio(struct folio *folio)
{
	bool drained = false;
	int ret;

	if (!contig_split_available())
		return folio_test_large(folio) ? -EOPNOTSUPP : 0;
	for (;;) {
		if (!folio_test_large(folio))
			return 0;
		ret = contig_check_large_folio(folio);
		if (ret)
			return ret;
		if (!folio_trylock(folio))
			return -EAGAIN;
		/* Recheck under the lock: it may have been split since. */
		if (!folio_test_large(folio))
			ret = 0;
		else
			ret = contig_check_large_folio(folio);
		if (!ret && folio_test_large(folio))
			ret = contig_split_locked(folio) ?: 1;
		folio_unlock(folio);
		/*
		 * A folio just faulted in or collapsed may wait in a per-CPU
		 * LRU cache, which holds a reference: empty this CPU's and
		 * then every CPU's (not under the folio lock), and try once
		 * more.
		 */
		if ((ret != -EBUSY && ret != -EAGAIN) || drained)
			return ret;
		drained = true;
		contig_drain_local_lru();
		if (contig_syms.lru_add_drain_all) {
			contig_syms.lru_add_drain_all();
			contig_stat_inc(CONTIG_STAT_LRU_DRAIN_ALL);
		}
	}
}

/* Split the large folio mapped at vaddr in mm.  1, 0 or -errno as above. */
int contig_split_at(struct mm_struct *mm, unsigned long vaddr)
{
	struct folio *folio;
	int ret;

	ret = contig_lookup_folio(mm, vaddr, &folio);
	if (ret)
		return ret;
	ret = contig_split_folio(folio);
	folio_put(folio);
	return ret;
}

/* Split the large folio that occupies frame pfn (0 if the frame is free). */
int contig_split_pfn(unsigned long pfn)
{
	struct folio *folio;
	int ret;

	ret = contig_lookup_folio_pfn(pfn, &folio);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	ret = contig_split_folio(folio);
	folio_put(folio);
	return ret;
}
