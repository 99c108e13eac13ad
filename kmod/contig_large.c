// SPDX-License-Identifier: GPL-2.0-only
/*
 * Move a large folio (THP, mTHP) whole into a free window aligned to its
 * size (CONTIG_OP_F_WHOLE).
 *
 * The window's frames are taken off the free lists one by one, as a MOVE
 * claims its frame (contig_claim_free(): no pageblock isolation, no drain
 * of other CPUs), and made one compound page of the folio's order, as
 * compaction makes the free block it migrates a large folio into
 * (compaction_alloc()).  The kernel's own migration then moves the folio
 * into it (migrate_pages() with a callback that hands out that block): PMD
 * migration entries for a PMD-mapped THP, the memory cgroup charge, the
 * deferred split queue and the mapcounts are handled where the kernel
 * handles them for compaction and NUMA balancing.  Nothing is split.
 *
 * Where the window is not free, or the folio is not one this path takes,
 * the op is left to the order-0 path (which splits with CONTIG_OP_F_SPLIT).
 */
#include <linux/list.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-flags.h>
#include <linux/page_ref.h>

#include "contig.h"
#include "contig_ioctl.h"

bool contig_large_available(void)
{
	return contig_syms.migrate_pages && contig_syms.prep_compound_page &&
	       contig_inplace_available() && contig_claim_fast_available();
}

/* The block a migration may take: handed out at most once at a time. */
struct contig_block {
	struct folio *dst;
	unsigned int order;
	bool lent;
};

/* Give back frames [pfn, pfn + nr) claimed as order-0 pages. */
static void contig_release_frames(unsigned long pfn, unsigned long nr)
{
	while (nr--)
		put_page(pfn_to_page(pfn + nr));
}

/*
 * Claim the free, aligned window of 1 << order frames at pfn and make it
 * one compound page of that order, refcount 1, ready to be a migration
 * target.  -EBUSY when a frame of it is not free.
 */
static int contig_claim_block(unsigned long pfn, unsigned int order,
			      struct folio **dstp)
{
	unsigned long nr = 1UL << order, i;
	struct page *head = pfn_to_page(pfn);
	int ret;

	for (i = 0; i < nr; i++) {
		ret = contig_claim_free(pfn + i);
		if (ret) {
			contig_release_frames(pfn, i);
			return ret;
		}
	}
	/* One compound page: the tails lend their reference to the head. */
	for (i = 1; i < nr; i++)
		set_page_count(head + i, 0);
	contig_syms.prep_compound_page(head, order);
#if CONTIG_LARGE_RMAPPABLE
	folio_set_large_rmappable(page_folio(head));
#else
	/* What prep_transhuge_page() does; 6.1 has no other large anon. */
	INIT_LIST_HEAD(page_deferred_list(head));
	set_compound_page_dtor(head, TRANSHUGE_PAGE_DTOR);
#endif
	*dstp = page_folio(head);
	return 0;
}

static struct folio *contig_block_lend(struct folio *src, unsigned long priv)
{
	struct contig_block *b = (struct contig_block *)priv;

	if (b->lent || folio_order(src) != b->order)
		return NULL;
	b->lent = true;
	return b->dst;
}

static void contig_block_return(struct folio *dst, unsigned long priv)
{
	struct contig_block *b = (struct contig_block *)priv;

	if (dst == b->dst)
		b->lent = false;
}

#if CONTIG_MIGRATE_FOLIOS
#define contig_new_dst contig_block_lend
#define contig_put_dst contig_block_return
#else
static struct page *contig_new_dst(struct page *src, unsigned long priv)
{
	struct folio *dst = contig_block_lend(page_folio(src), priv);

	return dst ? &dst->page : NULL;
}

static void contig_put_dst(struct page *dst, unsigned long priv)
{
	contig_block_return(page_folio(dst), priv);
}
#endif

/*
 * Can the folio move whole?  Anonymous, movable (contig_check_large_folio),
 * at most PMD-sized, and on 6.12 not mapped only in part: migration would
 * split such a folio first.
 */
static bool contig_whole_ok(struct folio *folio)
{
	if (!folio_test_large(folio) || folio_order(folio) > HPAGE_PMD_ORDER)
		return false;
	if (contig_check_large_folio(folio))
		return false;
#if CONTIG_PARTIALLY_MAPPED
	if (folio_test_partially_mapped(folio))
		return false;
#endif
	return true;
}

/*
 * Migrate the isolated folio into dst (consumes the isolation on
 * success).  0, or -EAGAIN/-ENOMEM with the folio put back on the LRU.
 */
static int contig_migrate_block(struct folio *folio, enum node_stat_item item,
				struct contig_block *b)
{
	unsigned int done = 0;
	LIST_HEAD(from);
	int ret;

	list_add(&folio->lru, &from);
	/*
	 * MR_NUMA_MISPLACED: the one reason for which migration never splits
	 * a large folio it could not move; a split here would be unasked for.
	 */
	ret = contig_syms.migrate_pages(&from, contig_new_dst, contig_put_dst,
					(unsigned long)b, MIGRATE_SYNC,
					MR_NUMA_MISPLACED, &done);
	if (!list_empty(&from)) {
		list_del(&folio->lru);
		contig_putback(folio, item);
		return ret == -ENOMEM ? -ENOMEM : -EAGAIN;
	}
	return ret ? -EAGAIN : 0;
}

/*
 * Move folio (one reference held, consumed) into dst, a block of its
 * order (one reference, consumed on success; on failure it is freed).
 */
static int contig_migrate_folio(struct folio *folio, struct folio *dst)
{
	struct contig_block b = { .dst = dst, .order = folio_order(folio) };
	enum node_stat_item item;
	int ret;

	if (!contig_isolate(folio, &item)) {
		folio_put(folio);
		folio_put(dst);
		return -EAGAIN;
	}
	/* Migration counts references exactly: only the isolation's stays. */
	folio_put(folio);
	ret = contig_migrate_block(folio, item, &b);
	/* On failure the block was given back, or never lent. */
	if (ret && !b.lent)
		folio_put(dst);
	return ret;
}

/*
 * The window of the folio of page if the page goes to frame pfn: its
 * first frame, aligned to the folio's size, in the folio's zone, not
 * overlapping the folio.  0 and *head, 1 (no such window) or -EXDEV.
 */
static int contig_window(struct folio *folio, struct page *page,
			 unsigned long pfn, unsigned long *head)
{
	unsigned long nr = folio_nr_pages(folio);
	unsigned long idx = folio_page_idx(folio, page);

	if (pfn < idx || ((pfn - idx) & (nr - 1)))
		return 1;
	*head = pfn - idx;
	if (!pfn_to_online_page(*head) || !pfn_to_online_page(*head + nr - 1))
		return 1;
	if (page_zone(pfn_to_page(*head)) != folio_zone(folio) ||
	    page_zone(pfn_to_page(*head + nr - 1)) != folio_zone(folio))
		return -EXDEV;
	if (*head < folio_pfn(folio) + nr && folio_pfn(folio) < *head + nr)
		return 1;
	return 0;
}

/*
 * The page at vaddr, for an op that puts it on frame pfn: 0 and *pagep
 * (its folio referenced) when its large folio can move whole; 0 and NULL
 * when the page already is on pfn; 1 when the op is not for this path;
 * or -errno.
 */
static int contig_whole_page(struct mm_struct *mm, unsigned long vaddr,
			     unsigned long pfn, struct page **pagep)
{
	struct page *page;
	int ret;

	*pagep = NULL;
	if (!contig_large_available())
		return 1;
	ret = contig_lookup_page(mm, vaddr & PAGE_MASK, &page);
	if (ret)
		return ret;
	if (page_to_pfn(page) != pfn && !contig_whole_ok(page_folio(page)))
		ret = 1;
	else if (page_to_pfn(page) != pfn)
		*pagep = page;
	if (!*pagep)
		folio_put(page_folio(page));
	return ret;
}

/*
 * CONTIG_OP_F_WHOLE: if the page at vaddr belongs to a large folio, move
 * that folio so that the page lands on frame pfn.  1 when the op is not
 * one for this path (an order-0 page, a window not aligned or not free, a
 * folio that cannot move whole): the caller goes on as without the flag.
 * 0 when done (or the page already is on pfn), or -errno.
 */
int contig_move_whole(struct mm_struct *mm, unsigned long vaddr,
		      unsigned long pfn, u32 *outcome)
{
	struct folio *folio, *dst;
	unsigned long head;
	struct page *page;
	int ret;

	ret = contig_whole_page(mm, vaddr, pfn, &page);
	if (ret || !page)
		return ret;
	folio = page_folio(page);
	ret = contig_window(folio, page, pfn, &head);
	if (ret)
		goto out_put;
	if (contig_claim_block(head, folio_order(folio), &dst)) {
		ret = 1;
		goto out_put;
	}
	ret = contig_migrate_folio(folio, dst);
	if (!ret)
		*outcome |= CONTIG_OUT_A_MOVED | CONTIG_OUT_WHOLE;
	return ret;

out_put:
	folio_put(folio);
	return ret;
}

/*
 * Move the folio at frame pfn (the block a migration just filled) into
 * the free window at head: its frames were another folio's a moment ago.
 */
static int contig_move_to(unsigned long pfn, unsigned int order,
			  unsigned long head)
{
	struct folio *folio, *dst;
	int ret;

	ret = contig_lookup_folio_pfn(pfn, &folio);
	if (ret)
		return ret == -ENOENT ? -EAGAIN : ret;
	if (folio_order(folio) != order || !contig_whole_ok(folio)) {
		folio_put(folio);
		return -EAGAIN;
	}
	ret = contig_claim_block(head, order, &dst);
	if (ret) {
		folio_put(folio);
		return ret;
	}
	return contig_migrate_folio(folio, dst);
}

/*
 * CONTIG_OP_F_WHOLE for EXCHANGE_PFN: the page at vaddr and the occupant
 * of frame pfn are pages of the same index in two large folios of one
 * order: the two folios trade places whole, by three migrations through a
 * block the page allocator gives (b into it, a into b's frames, b into
 * a's).  1 when not applicable, 0 when done, or -errno with *outcome
 * saying which folio moved.
 */
int contig_exchange_whole(struct mm_struct *mm, unsigned long vaddr,
			  unsigned long pfn, u32 *outcome)
{
	unsigned long head_a, head_b, tmp;
	struct folio *a, *b, *t;
	unsigned int order;
	struct page *page;
	int ret;

	ret = contig_whole_page(mm, vaddr, pfn, &page);
	if (ret || !page)
		return ret;
	a = page_folio(page);
	ret = contig_lookup_folio_pfn(pfn, &b);
	if (ret) {
		folio_put(a);
		return 1;
	}
	order = folio_order(a);
	ret = 1;
	if (b == a || folio_order(b) != order || !contig_whole_ok(b) ||
	    folio_page_idx(b, pfn_to_page(pfn)) != folio_page_idx(a, page))
		goto out_put;
	ret = -EXDEV;
	if (folio_zone(a) != folio_zone(b))
		goto out_put;
	head_a = folio_pfn(a);
	head_b = folio_pfn(b);
	t = __folio_alloc_node(GFP_TRANSHUGE_LIGHT | __GFP_THISNODE, order,
			       folio_nid(b));
	ret = -ENOMEM;
	if (!t)
		goto out_put;
	if (folio_zone(t) != folio_zone(b)) {
		folio_put(t);
		goto out_put;
	}
	tmp = folio_pfn(t);
	/* b into the spare block, then a into b's frames... */
	ret = contig_migrate_folio(b, t);
	if (ret) {
		folio_put(a);
		return ret;
	}
	*outcome |= CONTIG_OUT_B_MOVED;
	ret = contig_claim_block(head_b, order, &t);
	if (ret) {
		folio_put(a);
		return -EAGAIN;
	}
	ret = contig_migrate_folio(a, t);
	if (ret)
		return ret;
	*outcome |= CONTIG_OUT_A_MOVED;
	/* ...and b into a's. */
	ret = contig_move_to(tmp, order, head_a);
	if (!ret)
		*outcome |= CONTIG_OUT_WHOLE;
	return ret;

out_put:
	folio_put(b);
	folio_put(a);
	return ret;
}
