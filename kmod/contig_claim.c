// SPDX-License-Identifier: GPL-2.0-only
/*
 * Claim the frame a MOVE fills.
 *
 * A free frame in the buddy allocator is taken out directly
 * (take_page_off_buddy(), then the hooks every page allocator hands out a
 * page through): no pageblock isolation, no drain, no change of the
 * block's migrate type.  A MOVE batch claims the free frames its ops name
 * once, up front, draining the per-CPU free lists at most once for frames
 * parked there; the frames its ops leave unused go back to the allocator
 * when the batch ends.  A frame that is not free (an occupant to evict) or
 * cannot be taken that way goes through alloc_contig_range(), as before.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/page-flags.h>
#include <linux/page_ref.h>
#include <linux/pageblock-flags.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "contig.h"
#include "contig_ioctl.h"

/*
 * Frames claimed up front by the batches in flight, by frame number, until
 * an op that names one takes it or the batch that claimed it ends.  A frame
 * is in here at most once (it left the allocator), and whoever erases it
 * owns it.
 */
static DEFINE_XARRAY(contig_claimed);

/*
 * The migrate type alloc_contig_range() gets for the frame's pageblock:
 * it re-types the whole block to it when done, so it must be the block's
 * own.  -EBUSY for a block that is isolated or reserved for atomic
 * allocations.  Without get_pfnblock_flags_mask() the type cannot be read
 * and the block becomes movable, as it always did.
 */
static int contig_block_type(unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);
	int mt;

	if (!contig_syms.get_pfnblock_flags_mask)
		return MIGRATE_MOVABLE;
	mt = contig_syms.get_pfnblock_flags_mask(page, pfn, MIGRATETYPE_MASK);
	switch (mt) {
	case MIGRATE_UNMOVABLE:
	case MIGRATE_MOVABLE:
	case MIGRATE_RECLAIMABLE:
#ifdef CONFIG_CMA
	case MIGRATE_CMA:
#endif
		return mt;
	}
	return -EBUSY;
}

bool contig_claim_fast_available(void)
{
	return contig_syms.take_page_off_buddy && contig_syms.post_alloc_hook &&
	       contig_syms.get_pfnblock_flags_mask;
}

/*
 * Take the free frame page out of the buddy allocator and make it an
 * allocated page, as alloc_contig_range() hands one out
 * (isolate_freepages_range(): post_alloc_hook(), refcount 1).
 * take_page_off_buddy() marks the page for memory-failure handling in its
 * private field, which post_alloc_hook() clears.  -EBUSY when the frame is
 * not a free buddy frame, or its block is isolated or reserved.
 */
static int contig_take_free(unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);

	if (!contig_claim_fast_available())
		return -EOPNOTSUPP;
	if (page_ref_count(page) || contig_block_type(pfn) < 0)
		return -EBUSY;
	if (!contig_syms.take_page_off_buddy(page))
		return -EBUSY;
	contig_stat_inc(CONTIG_STAT_TAKEN);
	/*
	 * Without alloc_hooks() the page carries no allocation tag (memory
	 * allocation profiling, off in Debian's kernels).
	 */
	contig_syms.post_alloc_hook(page, 0, __GFP_MOVABLE);
	/* 6.1's post_alloc_hook() sets the refcount itself; 6.12's does not. */
	if (!page_ref_count(page))
		set_page_count(page, 1);
	return 0;
}

/* A free frame that is no buddy frame sits on a per-CPU free list. */
static bool contig_frame_on_pcp(unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);

	return !page_ref_count(page) && !PageBuddy(page);
}

/* Give this CPU's free lists of the frame's zone back to the buddies. */
static void contig_drain_local_pages(unsigned long pfn)
{
	if (!contig_syms.drain_local_pages)
		return;
	preempt_disable();
	contig_syms.drain_local_pages(page_zone(pfn_to_page(pfn)));
	preempt_enable();
}

/*
 * alloc_contig_range() callers must not overlap: one that fails undoes the
 * isolation of every pageblock in its range, including one that another
 * caller isolated and is still working in (a VM_BUG_ON in
 * isolate_single_pageblock() on DEBUG_VM kernels; the kernel's own CMA
 * serializes with cma_mutex).  Ours take this lock.
 */
static DEFINE_MUTEX(contig_claim_lock);

/*
 * Claim frame pfn through alloc_contig_range(), which isolates its
 * pageblock and migrates a movable occupant away.  Isolation fails while
 * any page of the pageblock sits in a per-CPU LRU cache (pages just faulted
 * in, or just placed by a previous move), or is a frame claimed up front
 * (refcount 1, not on the LRU): those of the block go back first; then
 * drain this CPU's caches and retry, then every CPU's when we can.
 */
static int contig_claim_isolated(unsigned long pfn)
{
	unsigned long start = ALIGN_DOWN(pfn, pageblock_nr_pages);
	struct page *page;
	unsigned long idx;
	int ret, attempt, mt;

	xa_for_each_range(&contig_claimed, idx, page, start,
			  start + pageblock_nr_pages - 1)
		if (xa_erase(&contig_claimed, idx) == page)
			put_page(page);

	for (attempt = 0; attempt < 3; attempt++) {
		if (attempt == 1)
			contig_drain_local_lru();
		if (attempt == 2) {
			if (!contig_syms.lru_add_drain_all)
				break;
			contig_syms.lru_add_drain_all();
			contig_stat_inc(CONTIG_STAT_LRU_DRAIN_ALL);
		}
		mutex_lock(&contig_claim_lock);
		mt = contig_block_type(pfn);
		if (mt >= 0)
			contig_stat_inc(CONTIG_STAT_RANGE);
		ret = mt < 0 ? mt :
			       alloc_contig_range(pfn, pfn + 1, mt,
						  GFP_KERNEL | __GFP_NOWARN);
		mutex_unlock(&contig_claim_lock);
		if (mt < 0)
			return mt;
		if (!ret || ret == -EINTR)
			return ret;
	}
	return -EBUSY;
}

/*
 * Claim the frame pfn for ourselves: on success it is ours, refcount 1, and
 * *occupied says whether a page had to be evicted from it.  In order: a
 * frame its batch claimed up front; a free buddy frame; one on this CPU's
 * free lists (after draining them); alloc_contig_range().
 */
int contig_claim_frame(unsigned long pfn, bool *occupied)
{
	struct page *page = xa_erase(&contig_claimed, pfn);

	*occupied = false;
	if (page)
		return 0;
	if (!contig_take_free(pfn))
		return 0;
	if (contig_claim_fast_available() && contig_frame_on_pcp(pfn)) {
		contig_drain_local_pages(pfn);
		if (!contig_take_free(pfn))
			return 0;
	}
	*occupied = page_ref_count(pfn_to_page(pfn)) != 0;
	return contig_claim_isolated(pfn);
}

/*
 * Up front, a batch takes frames only while its zone keeps more free
 * pages than its high watermark: taking frames off the free lists checks
 * no watermark, and a batch would otherwise hold up to CONTIG_MAX_BATCH
 * frames at once.  Below it, each op claims its own frame when it runs.
 */
static bool contig_zone_above_high(unsigned long pfn)
{
	struct zone *zone = page_zone(pfn_to_page(pfn));

	return zone_page_state(zone, NR_FREE_PAGES) > high_wmark_pages(zone);
}

/* The target frame of a MOVE op at uop, or 0 when it names none. */
static unsigned long contig_claim_target(const struct contig_op __user *uop)
{
	struct contig_op op;

	if (copy_from_user(&op, uop, sizeof(op)))
		return 0;
	if (op.kind != CONTIG_OP_MOVE || op.pfn == CONTIG_PFN_ANY ||
	    op.pfn > ULONG_MAX || !pfn_to_online_page(op.pfn))
		return 0;
	return op.pfn;
}

/* Keep the frame pfn, just taken, for its op; 0 or -errno. */
static int contig_claim_keep(struct contig_claims *c, unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);
	int ret = xa_insert(&contig_claimed, pfn, page, GFP_KERNEL);

	if (ret) {
		put_page(page);
		return ret;
	}
	c->pfn[c->nr++] = pfn;
	return 0;
}

/*
 * Claim the free frames the MOVE ops of a batch name, before the first op
 * runs.  Frames on per-CPU free lists are claimed after one drain of every
 * CPU's lists.  Failing to claim changes nothing: those ops claim their
 * frame themselves.  Release with contig_claim_batch_end().
 */
void contig_claim_batch(struct contig_claims *c, unsigned int cmd,
			const struct contig_op __user *uops, u32 count)
{
	unsigned long pfn;
	u32 i, pending = 0;

	c->nr = 0;
	c->pfn = NULL;
	if (cmd != CONTIG_IOC_MOVE || !count || !contig_claim_fast_available())
		return;
	c->pfn = kvmalloc_array(count, sizeof(*c->pfn), GFP_KERNEL);
	if (!c->pfn)
		return;
	/* Claimed frames fill c->pfn from the start, pending ones from the end. */
	for (i = 0; i < count && c->nr + pending < count; i++) {
		pfn = contig_claim_target(&uops[i]);
		if (!pfn || !contig_zone_above_high(pfn))
			continue;
		if (!contig_take_free(pfn)) {
			if (contig_claim_keep(c, pfn))
				break;
		} else if (contig_frame_on_pcp(pfn)) {
			c->pfn[count - ++pending] = pfn;
		}
	}
	if (!pending || !contig_syms.drain_all_pages)
		return;
	contig_syms.drain_all_pages(NULL);
	contig_stat_inc(CONTIG_STAT_DRAIN_ALL);
	for (i = count - pending; i < count; i++) {
		pfn = c->pfn[i];
		if (!contig_take_free(pfn) && contig_claim_keep(c, pfn))
			break;
	}
}

/* Give back the frames of the batch that no op took. */
void contig_claim_batch_end(struct contig_claims *c)
{
	struct page *page;
	u32 i;

	for (i = 0; i < c->nr; i++) {
		page = xa_erase(&contig_claimed, c->pfn[i]);
		if (page)
			put_page(page);
	}
	kvfree(c->pfn);
	c->pfn = NULL;
	c->nr = 0;
}

/*
 * Claim frame pfn only if it is free: one its batch claimed up front, a
 * free buddy frame, or one on this CPU's free lists (drained).  Never
 * through alloc_contig_range(): -EBUSY for an occupied frame.  On success
 * the frame is ours, refcount 1.
 */
int contig_claim_free(unsigned long pfn)
{
	struct page *page = xa_erase(&contig_claimed, pfn);

	if (page)
		return 0;
	if (!contig_take_free(pfn))
		return 0;
	if (!contig_claim_fast_available() || !contig_frame_on_pcp(pfn))
		return -EBUSY;
	contig_drain_local_pages(pfn);
	return contig_take_free(pfn);
}
