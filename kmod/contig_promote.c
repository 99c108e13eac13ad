// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-place promotion: 512 base pages that already sit in one aligned 2 MiB
 * block of frames (pfn of the first a multiple of 512, page i at pfn0 + i),
 * mapped in order by one PTE table, become one PMD-mapped transparent huge
 * page without copying a byte.
 *
 * The sequence follows khugepaged's collapse (mm/khugepaged.c): the mmap
 * lock and the anon_vma lock are taken for writing, the PMD is cleared and
 * the TLB flushed (no GUP-fast can start on the block after that), every
 * page is checked, locked, taken off the LRU and its reference count frozen.
 * Until then any refusal puts the PTE table back unchanged.  Past the
 * point of no return the PTEs are cleared and the pages' reverse mappings
 * dropped, the 512 pages are turned into one compound folio in place (the
 * state the page allocator gives a new THP: tail pages pointing at the
 * head, the memory cgroup charge carried by the head), and the folio is
 * mapped by a PMD, its PTE table deposited as for any anonymous THP.
 *
 * The folio layout differs between the supported series, so the code is
 * built for 6.1.y and 6.12.y only; elsewhere the op answers -EOPNOTSUPP and
 * CONTIG_CAP_PROMOTE is not advertised.  See contig(4).
 */
#include <linux/mm.h>
#include <linux/cgroup.h>
#include <linux/huge_mm.h>
#include <linux/memcontrol.h>
#include <linux/mm_inline.h>
#include <linux/mmu_notifier.h>
#include <linux/page_ref.h>
#include <linux/pgtable.h>
#include <linux/poison.h>
#include <linux/rmap.h>
#include <linux/sched/coredump.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/userfaultfd_k.h>
#include <linux/vmstat.h>
#include <asm/pgalloc.h>

#include "contig.h"

#if CONTIG_PROMOTE_BUILT

#define CONTIG_PMD_NR HPAGE_PMD_NR

/* References on a page ready to be joined: its mapping and our isolation. */
#define CONTIG_PROMOTE_REFS 2

bool contig_promote_available(void)
{
	return contig_syms.folio_isolate_lru && contig_syms.pmdp_collapse_flush &&
	       contig_syms.pgtable_trans_huge_deposit &&
	       contig_syms.add_new_anon_rmap && contig_syms.remove_rmap;
}

static struct anon_vma *contig_page_anon_vma(struct page *page)
{
	unsigned long mapping = (unsigned long)READ_ONCE(page->mapping);

	if ((mapping & PAGE_MAPPING_FLAGS) != PAGE_MAPPING_ANON)
		return NULL;
	return (struct anon_vma *)(mapping - PAGE_MAPPING_ANON);
}

/* May the block [addr, addr + 2 MiB) of vma become a huge page? */
static int contig_promote_check_vma(struct vm_area_struct *vma,
				    unsigned long addr)
{
	if (!vma || addr < vma->vm_start || addr + HPAGE_PMD_SIZE > vma->vm_end)
		return -EFAULT;
	if (is_vm_hugetlb_page(vma))
		return -EEXIST;
	if (!vma_is_anonymous(vma) || !vma->anon_vma)
		return -EINVAL;
	if (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP))
		return -EINVAL;
#ifdef VM_SHADOW_STACK
	if (vma->vm_flags & VM_SHADOW_STACK)
		return -EINVAL;
#endif
#ifdef VM_DROPPABLE
	if (vma->vm_flags & VM_DROPPABLE)
		return -EOPNOTSUPP;
#endif
	if (vma->vm_flags & VM_LOCKED)
		return -ENOLCK;
	/* What MADV_COLLAPSE honours: MADV_NOHUGEPAGE, PR_SET_THP_DISABLE. */
	if ((vma->vm_flags & VM_NOHUGEPAGE) ||
	    test_bit(MMF_DISABLE_THP, &vma->vm_mm->flags))
		return -EACCES;
	if (userfaultfd_armed(vma))
		return -EACCES;
	/* Secondary MMUs (KVM, devices) would have to be told. */
	if (mm_has_notifiers(vma->vm_mm))
		return -EOPNOTSUPP;
	return 0;
}

/* The PMD of addr, if it points to a PTE table; -errno otherwise. */
static int contig_promote_find_pmd(struct mm_struct *mm, unsigned long addr,
				   pmd_t **pmdp)
{
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd, pmdval;

	pgd = pgd_offset(mm, addr);
	if (!pgd_present(*pgd))
		return -EFAULT;
	p4d = p4d_offset(pgd, addr);
	if (!p4d_present(*p4d))
		return -EFAULT;
	pud = pud_offset(p4d, addr);
	if (!pud_present(*pud) || pud_trans_huge(*pud))
		return -EFAULT;
	pmd = pmd_offset(pud, addr);
	pmdval = READ_ONCE(*pmd);
	if (pmd_trans_huge(pmdval) || pmd_devmap(pmdval))
		return -EEXIST;
	if (!pmd_present(pmdval) || pmd_none(pmdval) || pmd_bad(pmdval))
		return -EFAULT;
	*pmdp = pmd;
	return 0;
}

/*
 * Is the page behind pte i of the block one that can join the huge page?
 * Checked once before the PMD is cleared (to refuse cheaply) and again
 * after.  *pfn0: the frame of page 0 (set by i == 0).
 */
static int contig_promote_check_pte(struct vm_area_struct *vma,
				    unsigned long addr, pte_t pte, int i,
				    unsigned long *pfn0, struct page **pagep)
{
	struct folio *folio;
	struct page *page;
	unsigned long pfn;

	if (pte_none(pte))
		return -EFAULT;
	if (!pte_present(pte)) {
		/* Being migrated (compaction, NUMA balancing): transient. */
		if (is_migration_entry(pte_to_swp_entry(pte)))
			return -EAGAIN;
		return -EFAULT;
	}
	if (pte_uffd_wp(pte))
		return -EACCES;
	pfn = pte_pfn(pte);
	if (is_zero_pfn(pfn) || pte_special(pte))
		return -EFAULT;
	if (i == 0) {
		if (pfn & (CONTIG_PMD_NR - 1))
			return -ERANGE;
		*pfn0 = pfn;
	} else if (pfn != *pfn0 + i) {
		return -ERANGE;
	}
	page = pfn_to_online_page(pfn);
	if (!page)
		return -EINVAL;
	folio = page_folio(page);
	if (folio_test_large(folio))
		return -EMLINK;
	if (!folio_test_anon(folio))
		return -EINVAL;
	if (folio_test_ksm(folio) || folio_test_swapcache(folio))
		return -EOPNOTSUPP;
	if (folio_test_mlocked(folio) || folio_test_unevictable(folio))
		return -ENOLCK;
	if (folio_maybe_dma_pinned(folio) || folio_test_hwpoison(folio))
		return -EBUSY;
	if (folio_test_writeback(folio))
		return -EAGAIN;
	/* Order 0: the page's own map count is the folio's. */
	if (atomic_read(&page->_mapcount) != 0)
		return -EMLINK;
	if (contig_page_anon_vma(page) != vma->anon_vma ||
	    page->index != linear_page_index(vma, addr))
		return -EXDEV;
	/* Only the mapping holds it (a cache of this CPU may: -EAGAIN). */
	if (folio_ref_count(folio) != 1)
		return -EAGAIN;
	*pagep = page;
	return 0;
}

/* Every page of the block, checked without taking anything: 0 or -errno. */
static int contig_promote_precheck(struct vm_area_struct *vma,
				   unsigned long addr, pte_t *pte,
				   struct page **pages)
{
	struct mem_cgroup *memcg = NULL;
	unsigned long pfn0 = 0;
	int i, ret;

	for (i = 0; i < CONTIG_PMD_NR; i++) {
		ret = contig_promote_check_pte(vma, addr + i * PAGE_SIZE,
					       ptep_get(pte + i), i, &pfn0,
					       &pages[i]);
		if (ret)
			return ret;
		if (i == 0)
			memcg = folio_memcg(page_folio(pages[0]));
		else if (folio_memcg(page_folio(pages[i])) != memcg)
			return -EXDEV;
	}
	return 0;
}

/* Undo what contig_promote_take() did to pages[0..n). */
static void contig_promote_release(struct page **pages, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct folio *folio = page_folio(pages[i]);

		folio_ref_unfreeze(folio, CONTIG_PROMOTE_REFS);
		folio_unlock(folio);
		node_stat_mod_folio(folio, NR_ISOLATED_ANON, -1);
		folio_add_lru(folio);
		folio_put(folio);
	}
}

/*
 * With the PMD cleared: check every page again, lock it, isolate it and
 * freeze its references (nobody can look it up after that).  0, or -errno
 * and nothing taken.
 */
static int contig_promote_take(struct vm_area_struct *vma, unsigned long addr,
			       pte_t *pte, struct page **pages)
{
	unsigned long pfn0 = 0;
	struct page *page;
	int i, ret = 0;
	bool isolated;

	for (i = 0; i < CONTIG_PMD_NR; i++) {
		struct folio *folio;

		ret = contig_promote_check_pte(vma, addr + i * PAGE_SIZE,
					       ptep_get(pte + i), i, &pfn0,
					       &page);
		if (!ret && page != pages[i])
			ret = -EAGAIN;
		if (ret)
			break;
		folio = page_folio(page);
		if (!folio_trylock(folio)) {
			ret = -EAGAIN;
			break;
		}
#if CONTIG_ISOLATE_LRU_BOOL
		isolated = contig_syms.folio_isolate_lru(folio);
#else
		isolated = contig_syms.folio_isolate_lru(folio) == 0;
#endif
		if (!isolated) {
			folio_unlock(folio);
			ret = -EAGAIN;
			break;
		}
		node_stat_mod_folio(folio, NR_ISOLATED_ANON, 1);
		if (!folio_ref_freeze(folio, CONTIG_PROMOTE_REFS)) {
			node_stat_mod_folio(folio, NR_ISOLATED_ANON, -1);
			folio_unlock(folio);
			folio_add_lru(folio);
			folio_put(folio);
			ret = -EAGAIN;
			break;
		}
	}
	if (ret)
		contig_promote_release(pages, i);
	return ret;
}

static void contig_promote_remove_rmap(struct page *page,
				       struct vm_area_struct *vma)
{
#if CONTIG_PROMOTE_FOLIO_RMAP
	contig_syms.remove_rmap(page_folio(page), page, 1, vma);
#else
	contig_syms.remove_rmap(page, vma, false);
#endif
}

/*
 * The 512 frozen, unmapped pages become one compound folio of order 9,
 * as prep_compound_page() and the THP preparation leave a new one.  The
 * head keeps its flags (locked, swap-backed, up to date, LRU age); the
 * tails lose theirs.  Each base page carried one reference on its memory
 * cgroup; the folio carries one, and the charge (512 pages) stays.
 */
static struct folio *contig_promote_make_folio(struct page **pages)
{
	struct page *head = pages[0];
	struct folio *folio = (struct folio *)head;
	struct mem_cgroup *memcg = folio_memcg(folio);
	int i;

	for (i = 1; i < CONTIG_PMD_NR; i++) {
		struct page *p = pages[i];

		p->flags &= ~PAGE_FLAGS_CHECK_AT_PREP;
		p->mapping = TAIL_MAPPING;
		set_page_private(p, 0);
#ifdef CONFIG_MEMCG
		p->memcg_data = 0;
#endif
		set_compound_head(p, head);
		if (memcg)
			css_put(&memcg->css);
	}
	__SetPageHead(head);
	ClearPageAnonExclusive(head);
#if CONTIG_PROMOTE_FOLIO_RMAP
	folio->_flags_1 = (folio->_flags_1 & ~0xffUL) | HPAGE_PMD_ORDER;
#ifdef CONFIG_64BIT
	folio->_folio_nr_pages = CONTIG_PMD_NR;
#endif
	atomic_set(&folio->_large_mapcount, -1);
	atomic_set(&folio->_entire_mapcount, -1);
	atomic_set(&folio->_nr_pages_mapped, 0);
	atomic_set(&folio->_pincount, 0);
	INIT_LIST_HEAD(&folio->_deferred_list);
	folio_set_large_rmappable(folio);
#else
	set_compound_page_dtor(head, TRANSHUGE_PAGE_DTOR);
	set_compound_order(head, HPAGE_PMD_ORDER);
	atomic_set(compound_mapcount_ptr(head), -1);
	atomic_set(compound_pincount_ptr(head), 0);
	INIT_LIST_HEAD(page_deferred_list(head));
#endif
	return folio;
}

static void contig_promote_add_rmap(struct folio *folio,
				    struct vm_area_struct *vma,
				    unsigned long addr)
{
#if CONTIG_PROMOTE_FOLIO_RMAP
	contig_syms.add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE);
#else
	contig_syms.add_new_anon_rmap(&folio->page, vma, addr);
#endif
}

static pmd_t contig_promote_mkpmd(struct folio *folio,
				  struct vm_area_struct *vma)
{
	pmd_t entry = mk_huge_pmd(&folio->page, vma->vm_page_prot);

	entry = pmd_mkdirty(entry);
	if (vma->vm_flags & VM_WRITE) {
#if CONTIG_PROMOTE_FOLIO_RMAP
		entry = pmd_mkwrite_novma(entry);
#else
		entry = pmd_mkwrite(entry);
#endif
	}
	return entry;
}

/*
 * Past the point of no return: the frozen pages leave their PTEs and
 * become one folio mapped by the PMD.
 */
static void contig_promote_commit(struct vm_area_struct *vma,
				  unsigned long addr, pmd_t *pmd, pmd_t old,
				  pte_t *pte, spinlock_t *pte_ptl,
				  struct page **pages)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio;
	spinlock_t *pmd_ptl;
	pmd_t entry;
	int i;

	for (i = 0; i < CONTIG_PMD_NR; i++) {
		ptep_clear(mm, addr + i * PAGE_SIZE, pte + i);
		contig_promote_remove_rmap(pages[i], vma);
	}
	folio = contig_promote_make_folio(pages);
	spin_unlock(pte_ptl);

	/* Anonymous memory is dirty by nature; the PMD says so too. */
	folio_set_dirty(folio);
	folio_ref_unfreeze(folio, CONTIG_PROMOTE_REFS);
	entry = contig_promote_mkpmd(folio, vma);
	smp_wmb(); /* the folio's state before the PMD that maps it */

	pmd_ptl = pmd_lock(mm, pmd);
	contig_promote_add_rmap(folio, vma, addr);
	folio_add_lru(folio);
	contig_syms.pgtable_trans_huge_deposit(mm, pmd, pmd_pgtable(old));
	set_pmd_at(mm, addr, pmd, entry);
	update_mmu_cache_pmd(vma, addr, pmd);
	spin_unlock(pmd_ptl);

	node_stat_mod_folio(folio, NR_ISOLATED_ANON, -CONTIG_PMD_NR);
	folio_unlock(folio);
	folio_put(folio); /* the isolation reference */
}

/* With the mmap and anon_vma locks held for writing. */
static int contig_promote_locked(struct vm_area_struct *vma,
				 unsigned long addr, pmd_t *pmd,
				 struct page **pages)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *pmd_ptl, *pte_ptl;
	pmd_t old;
	pte_t *pte;
	int ret;

	/* Cheap refusals first, with the PTE table in place. */
	pte = pte_offset_kernel(pmd, addr);
	pte_ptl = pte_lockptr(mm, pmd);
	spin_lock(pte_ptl);
	ret = contig_promote_precheck(vma, addr, pte, pages);
	spin_unlock(pte_ptl);
	if (ret)
		return ret;

	/* No hardware walk, no GUP-fast reaches the block after this. */
	pmd_ptl = pmd_lock(mm, pmd);
	old = contig_syms.pmdp_collapse_flush(vma, addr, pmd);
	spin_unlock(pmd_ptl);

	pte = pte_offset_kernel(&old, addr);
	pte_ptl = pte_lockptr(mm, &old);
	spin_lock(pte_ptl);
	ret = contig_promote_take(vma, addr, pte, pages);
	if (!ret) {
		contig_promote_commit(vma, addr, pmd, old, pte, pte_ptl, pages);
		return 0;
	}
	spin_unlock(pte_ptl);

	/* Refused: the PTE table goes back as it was. */
	pmd_ptl = pmd_lock(mm, pmd);
	pmd_populate(mm, pmd, pmd_pgtable(old));
	spin_unlock(pmd_ptl);
	return ret;
}

int contig_promote(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;
	struct anon_vma *anon_vma;
	struct page **pages;
	pmd_t *pmd;
	int ret;

	if (!contig_promote_available())
		return -EOPNOTSUPP;
	if (addr & ~HPAGE_PMD_MASK)
		return -EINVAL;
	if (addr >= TASK_SIZE_MAX)
		return -EFAULT;
	pages = kmalloc_array(CONTIG_PMD_NR, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	if (mmap_write_lock_killable(mm)) {
		ret = -EINTR;
		goto out_free;
	}
	vma = vma_lookup(mm, addr);
	ret = contig_promote_check_vma(vma, addr);
	if (ret)
		goto out_unlock;
	ret = contig_promote_find_pmd(mm, addr, &pmd);
	if (ret)
		goto out_unlock;
#if CONTIG_VMA_LOCK
	/* Faults under the per-VMA lock wait from here on. */
	vma_start_write(vma);
#endif
	anon_vma = vma->anon_vma;
	anon_vma_lock_write(anon_vma);
	ret = contig_promote_locked(vma, addr, pmd, pages);
	anon_vma_unlock_write(anon_vma);
out_unlock:
	mmap_write_unlock(mm);
out_free:
	kfree(pages);
	return ret;
}

#else /* !CONTIG_PROMOTE_BUILT */

bool contig_promote_available(void)
{
	return false;
}

int contig_promote(struct mm_struct *mm, unsigned long addr)
{
	return -EOPNOTSUPP;
}

#endif /* CONTIG_PROMOTE_BUILT */
