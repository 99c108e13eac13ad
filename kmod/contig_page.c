// SPDX-License-Identifier: GPL-2.0-only
/*
 * Find the page behind (mm, vaddr) or a frame, and decide
 * whether it is in the subset the module handles: order-0 (or, to be split
 * or placed whole, a large folio), anonymous, not KSM, not in the swap
 * cache, not under writeback, not mlocked, not pinned.
 * And empty this CPU's LRU caches, where such pages wait to join the LRU.
 */
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/page-flags.h>
#include <linux/pagevec.h>
#include <linux/pgtable.h>

#include "contig.h"

/*
 * Is the folio one we can move or exchange?  Called with a reference held,
 * before and again after the folio is locked.
 */
int contig_check_folio(struct folio *folio)
{
	if (folio_test_large(folio))
		return -EOPNOTSUPP;
	return contig_check_large_folio(folio);
}

/* The same, for a folio of any order (a THP or mTHP may pass). */
int contig_check_large_folio(struct folio *folio)
{
	if (folio_is_zone_device(folio))
		return -EINVAL;
	if (folio_test_hugetlb(folio))
		return -EOPNOTSUPP;
	if (folio_test_ksm(folio))
		return -EOPNOTSUPP;
	if (!folio_test_anon(folio))
		return -EINVAL;
	if (folio_test_swapcache(folio))
		return -EOPNOTSUPP;
	if (folio_test_writeback(folio) || folio_test_mlocked(folio) ||
	    folio_test_unevictable(folio))
		return -EBUSY;
	if (folio_maybe_dma_pinned(folio))
		return -EBUSY;
	if (folio_test_hwpoison(folio))
		return -EBUSY;
	return 0;
}

static int contig_check_vma(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma))
		return -EOPNOTSUPP;
	if (!vma_is_anonymous(vma))
		return -EINVAL;
	if (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP))
		return -EINVAL;
	if (vma->vm_flags & VM_LOCKED)
		return -EBUSY;
#ifdef VM_DROPPABLE
	/* Reclaim may drop its contents at any time: not ours to place. */
	if (vma->vm_flags & VM_DROPPABLE)
		return -EOPNOTSUPP;
#endif
	return 0;
}

/* After a lookup that returned ret: keep *foliop only if we handle it. */
static int contig_keep_checked(int ret, struct folio **foliop)
{
	if (ret)
		return ret;
	ret = contig_check_folio(*foliop);
	if (ret)
		folio_put(*foliop);
	return ret;
}

/*
 * Take a reference on the folio mapped at vaddr in mm, without faulting
 * anything in.  Returns 0 and the folio, or a per-op error.
 */
int contig_get_folio(struct mm_struct *mm, unsigned long vaddr,
		     struct folio **foliop)
{
	return contig_keep_checked(contig_lookup_folio(mm, vaddr, foliop),
				   foliop);
}

/* contig_get_folio() without contig_check_folio(): a folio of any order. */
int contig_lookup_folio(struct mm_struct *mm, unsigned long vaddr,
			struct folio **foliop)
{
	struct page *page;
	int ret = contig_lookup_page(mm, vaddr, &page);

	if (!ret)
		*foliop = page_folio(page);
	return ret;
}

/*
 * The page mapped at vaddr in mm, with a reference on its folio, without
 * faulting anything in: 0 or a per-op error.
 */
int contig_lookup_page(struct mm_struct *mm, unsigned long vaddr,
		       struct page **pagep)
{
	struct vm_area_struct *vma;
	struct page *page;
	long got;
	int ret;

	if (vaddr >= TASK_SIZE_MAX)
		return -EFAULT;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, vaddr);
	if (!vma || vaddr < vma->vm_start) {
		ret = -EFAULT;
		goto out_unlock;
	}
	ret = contig_check_vma(vma);
	if (ret)
		goto out_unlock;
#if CONTIG_GUP_REMOTE_NO_VMAS
	got = get_user_pages_remote(mm, vaddr, 1, FOLL_NOFAULT, &page, NULL);
#else
	got = get_user_pages_remote(mm, vaddr, 1, FOLL_NOFAULT, &page, NULL,
				    NULL);
#endif
	if (got != 1) {
		ret = -EFAULT;
		goto out_unlock;
	}
	mmap_read_unlock(mm);

	if (is_zero_pfn(page_to_pfn(page))) {
		put_page(page);
		return -EFAULT;
	}
	*pagep = page;
	return 0;

out_unlock:
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Take a reference on the folio that occupies frame pfn.  -ENOENT if the
 * frame is free (or being freed).
 */
int contig_get_folio_pfn(unsigned long pfn, struct folio **foliop)
{
	return contig_keep_checked(contig_lookup_folio_pfn(pfn, foliop),
				   foliop);
}

/*
 * contig_get_folio_pfn() without contig_check_folio(): a folio of any
 * order, on the LRU, neither slab nor typed nor hugetlb.
 */
int contig_lookup_folio_pfn(unsigned long pfn, struct folio **foliop)
{
	struct folio *folio;
	struct page *page;
	int ret;

	page = pfn_to_online_page(pfn);
	if (!page)
		return -EINVAL;
	if (PageReserved(page))
		return -EBUSY;
	folio = page_folio(page);
	if (!folio_try_get(folio))
		return -ENOENT;
	/* It may have been freed and reused as part of another folio. */
	if (page_folio(page) != folio) {
		ret = -EAGAIN;
		goto out_put;
	}
	/*
	 * Any frame can be named: only an LRU folio's flags and mapping say
	 * what it is (on 6.12 a slab's fields alias ->mapping and look
	 * anonymous).  Trust them, as compaction does, only on the LRU.
	 */
	if (folio_test_slab(folio)) {
		ret = -EINVAL;
		goto out_put;
	}
	/* A hugetlb folio is a typed page on 6.12: say what it is. */
	if (folio_test_hugetlb(folio)) {
		ret = -EOPNOTSUPP;
		goto out_put;
	}
	if (page_has_type(&folio->page)) {
		ret = -EINVAL;
		goto out_put;
	}
	if (!folio_test_lru(folio)) {
		/* A page just faulted in waits in this CPU's LRU cache. */
		contig_drain_local_lru();
		if (!folio_test_lru(folio)) {
			ret = -EBUSY;
			goto out_put;
		}
	}
	*foliop = folio;
	return 0;

out_put:
	folio_put(folio);
	return ret;
}

/*
 * Empty this CPU's LRU caches.  lru_add_drain() is not exported, but
 * releasing an empty batch drains them first.
 */
void contig_drain_local_lru(void)
{
#if CONTIG_HAVE_PAGEVEC
	struct pagevec pvec;

	pagevec_init(&pvec);
	__pagevec_release(&pvec);
#else
	struct folio_batch fbatch;

	folio_batch_init(&fbatch);
	__folio_batch_release(&fbatch);
#endif
}
