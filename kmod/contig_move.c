// SPDX-License-Identifier: GPL-2.0-only
/*
 * Move one anonymous page into a chosen frame: contig_claim.c claims the
 * frame (taking it off the free lists, or through alloc_contig_range()
 * migrating any movable occupant elsewhere), migrate_vma_*() moves the
 * page into it.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/memory_hotplug.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>

#include "contig.h"
#include "contig_ioctl.h"

/*
 * Migrate the page at vaddr into the claimed frame dst.  Called with the
 * mmap lock held for read.  Consumes dst on success; on failure the frame
 * may or may not have been freed: *dst_owned says whether it is still ours.
 */
static int contig_migrate_into(struct vm_area_struct *vma, unsigned long vaddr,
			       struct page *dst, bool *dst_owned)
{
	unsigned long src_mpfn = 0, dst_mpfn = 0;
	struct migrate_vma args = {
		.vma = vma,
		.start = vaddr,
		.end = vaddr + PAGE_SIZE,
		.src = &src_mpfn,
		.dst = &dst_mpfn,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	struct page *src;
	int ret;

	ret = migrate_vma_setup(&args);
	if (ret)
		return ret == -EINVAL ? -EINVAL : -EAGAIN;
	if (!args.cpages)
		return -EBUSY;
	src = migrate_pfn_to_page(src_mpfn);
	if (!src || !(src_mpfn & MIGRATE_PFN_MIGRATE)) {
		/* Unmapped meanwhile: do not let migrate_vma fill the hole. */
		ret = -EFAULT;
		goto out_finalize;
	}
	/* Recheck what the lookup saw: the page may have been replaced. */
	ret = contig_check_folio(page_folio(src));
	if (ret)
		goto out_finalize;

	lock_page(dst);
	copy_highpage(dst, src);
	dst_mpfn = migrate_pfn(page_to_pfn(dst));
	*dst_owned = false;
	migrate_vma_pages(&args);
	ret = (src_mpfn & MIGRATE_PFN_MIGRATE) ? 0 : -EAGAIN;

out_finalize:
	migrate_vma_finalize(&args);
	return ret;
}

/*
 * Move the page at vaddr into frame pfn (or any frame: CONTIG_PFN_ANY),
 * which must be in the page's zone unless home (the caller knows the page
 * was evicted from the frame's zone and goes back).  *outcome gains CONTIG_OUT_A_MOVED when the page moved and
 * CONTIG_OUT_B_MOVED when the frame had an occupant that was evicted, even
 * if the move itself then failed.
 */
int contig_move(struct mm_struct *mm, unsigned long vaddr, u64 pfn,
		bool home, u32 *outcome)
{
	bool occupied = false;
	struct vm_area_struct *vma;
	struct folio *folio;
	bool dst_owned = false;
	struct page *dst = NULL;
	int nid, ret;

	vaddr &= PAGE_MASK;
	if (pfn != CONTIG_PFN_ANY) {
		dst = pfn_to_online_page(pfn);
		if (!dst)
			return -EINVAL;
	}

	ret = contig_get_folio(mm, vaddr, &folio);
	if (ret)
		return ret;
	nid = folio_nid(folio);
	if (dst && folio_pfn(folio) == pfn) {
		folio_put(folio);
		return 0;
	}
	if (dst && !home && folio_zone(folio) != page_zone(dst)) {
		folio_put(folio);
		return -EXDEV;
	}
	/* migrate_vma counts references exactly: drop ours. */
	folio_put(folio);

	if (dst) {
		ret = contig_claim_frame(pfn, &occupied);
		if (ret)
			return ret;
		if (occupied)
			*outcome |= CONTIG_OUT_B_MOVED;
	} else {
		dst = alloc_pages_node(nid,
				       GFP_HIGHUSER_MOVABLE | __GFP_THISNODE |
					       __GFP_NOWARN,
				       0);
		if (!dst)
			return -ENOMEM;
	}
	dst_owned = true;

	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto out_free_frame;
	}
	vma = find_vma(mm, vaddr);
	if (!vma || vaddr < vma->vm_start) {
		ret = -EFAULT;
		goto out_unlock;
	}
	if (!vma_is_anonymous(vma) || (vma->vm_flags & VM_LOCKED)) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	ret = contig_migrate_into(vma, vaddr, dst, &dst_owned);
	if (!ret)
		*outcome |= CONTIG_OUT_A_MOVED;

out_unlock:
	mmap_read_unlock(mm);
out_free_frame:
	if (dst_owned)
		__free_page(dst);
	return ret;
}
