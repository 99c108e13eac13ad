// SPDX-License-Identifier: GPL-2.0-only
/*
 * CONTIG_IOC_SAMPLE: test and clear the accessed bits of a process's
 * pages at given addresses, for contigd's access sampler (DAMON-style
 * regions kept in user space, one address per region and round).
 *
 * What reclaim would have learnt from a cleared bit stays on the folio.
 * With the idle page flags (CONFIG_PAGE_IDLE_FLAG) the folio is marked
 * young and idle, as DAMON does (mm/damon/ops-common.c): folio_referenced()
 * counts the young flag as a reference.  Without them the folio is marked
 * accessed, as zap_pte_range() does when it drops a young PTE.  A page
 * counts as accessed when its PTE was young or, with the idle flags, when
 * something cleared the idle flag since the last sample (reclaim that
 * found the PTE young first): so the first sample of a page says
 * "accessed".  Like a batch, sampling needs CAP_SYS_ADMIN.
 *
 * The PTE level is reached through apply_to_existing_page_range(), the
 * exported walker that allocates nothing, with the PTE lock held; huge
 * PMDs are handled here under the PMD lock, because that walker refuses
 * them.  Only anonymous VMAs are sampled, under the mmap read lock: a page
 * table there cannot turn into a huge PMD meanwhile (collapsing takes the
 * write lock).  Secondary MMUs (KVM) are not asked: the mmu notifier's
 * clear_young is not exported.  x86-64 only: the accessed bit is cleared
 * as the architecture's ptep_test_and_clear_young() does, which is not
 * exported either.
 */
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/page_idle.h>
#include <linux/pgtable.h>
#include <linux/ptrace.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/uaccess.h>

#include "contig.h"
#include "contig_ioctl.h"

/* Addresses sampled between two chances to reschedule. */
#define CONTIG_SAMPLE_CHUNK 256

bool contig_sample_available(void)
{
	return IS_ENABLED(CONFIG_X86_64) && contig_pidfd_available();
}

#ifdef CONFIG_X86_64
/* Clear the accessed bit of a PTE or PMD, under its lock; was it set? */
static bool contig_clear_accessed(unsigned long *entry)
{
	return test_and_clear_bit(_PAGE_BIT_ACCESSED, entry);
}
#else
static bool contig_clear_accessed(unsigned long *entry)
{
	return false;
}
#endif

/* Keep on the folio what the accessed bit said; true if accessed. */
static bool contig_sample_folio(struct folio *folio, bool young)
{
#ifdef CONFIG_PAGE_IDLE_FLAG
	if (young)
		folio_set_young(folio);
	if (!folio_test_idle(folio))
		young = true;
	folio_set_idle(folio);
#else
	if (young)
		folio_mark_accessed(folio);
#endif
	return young;
}

/* The sample of a mapped frame whose accessed bit was (young) cleared. */
static u8 contig_sample_frame(unsigned long pfn, bool young)
{
	struct page *page = pfn_to_online_page(pfn);
	struct folio *folio;

	if (page) {
		folio = page_folio(page);
		if (folio_try_get(folio)) {
			young = contig_sample_folio(folio, young);
			folio_put(folio);
		}
	}
	return young ? CONTIG_SAMPLE_YOUNG : CONTIG_SAMPLE_OLD;
}

/* apply_to_existing_page_range() callback, PTE lock held. */
static int contig_sample_pte(pte_t *ptep, unsigned long addr, void *data)
{
	pte_t pte = ptep_get(ptep);
	u8 *result = data;
	bool young;

	if (!pte_present(pte) || pte_special(pte))
		return 0;
	young = pte_young(pte) &&
		contig_clear_accessed((unsigned long *)&ptep->pte);
	*result = contig_sample_frame(pte_pfn(pte), young);
	return 0;
}

static u8 contig_sample_pmd(struct mm_struct *mm, pmd_t *pmdp)
{
	spinlock_t *ptl = pmd_lock(mm, pmdp);
	pmd_t pmd = *pmdp;
	u8 result = CONTIG_SAMPLE_ABSENT;
	bool young;

	if (pmd_present(pmd) && pmd_trans_huge(pmd)) {
		young = pmd_young(pmd) &&
			contig_clear_accessed((unsigned long *)&pmdp->pmd);
		result = contig_sample_frame(pmd_pfn(pmd), young);
	}
	spin_unlock(ptl);
	return result;
}

/* One address, mmap read lock held. */
static u8 contig_sample_addr(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	u8 result = CONTIG_SAMPLE_ABSENT;
	pmd_t *pmdp, pmd;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;

	if (!vma || !vma_is_anonymous(vma) || is_vm_hugetlb_page(vma))
		return CONTIG_SAMPLE_ABSENT;
	pgd = pgd_offset(mm, addr);
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return CONTIG_SAMPLE_ABSENT;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return CONTIG_SAMPLE_ABSENT;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_leaf(*pud) || pud_bad(*pud))
		return CONTIG_SAMPLE_ABSENT;
	pmdp = pmd_offset(pud, addr);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd))
		return CONTIG_SAMPLE_ABSENT;
	if (pmd_trans_huge(pmd))
		return contig_sample_pmd(mm, pmdp);
	if (!pmd_present(pmd) || pmd_bad(pmd))
		return CONTIG_SAMPLE_ABSENT;
	apply_to_existing_page_range(mm, addr & PAGE_MASK, PAGE_SIZE,
				     contig_sample_pte, &result);
	return result;
}

/* The mm of the pidfd's process, if the caller may read it. */
static int contig_sample_mm(int pidfd, struct mm_struct **mmp)
{
	struct task_struct *task;
	struct pid *p;
	int ret = 0;

	p = contig_pidfd_get(pidfd);
	if (IS_ERR(p))
		return PTR_ERR(p);
	task = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	if (!task)
		return -ESRCH;
	if (contig_syms.ptrace_may_access) {
		if (!contig_syms.ptrace_may_access(task,
						   PTRACE_MODE_READ_FSCREDS))
			ret = -EPERM;
	} else if (!same_thread_group(task, current) &&
		   !capable(CAP_SYS_PTRACE)) {
		ret = -EPERM;
	}
	if (!ret) {
		*mmp = get_task_mm(task);
		if (!*mmp)
			ret = -ESRCH;
	}
	put_task_struct(task);
	return ret;
}

static int contig_sample_all(struct mm_struct *mm, const u64 *addrs,
			     u8 *results, u32 count, u32 *young)
{
	u32 i;

	*young = 0;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (i = 0; i < count; i++) {
		if (i && i % CONTIG_SAMPLE_CHUNK == 0) {
			mmap_read_unlock(mm);
			cond_resched();
			if (mmap_read_lock_killable(mm))
				return -EINTR;
		}
		results[i] = addrs[i] < TASK_SIZE_MAX ?
				     contig_sample_addr(mm, addrs[i]) :
				     CONTIG_SAMPLE_ABSENT;
		*young += results[i] == CONTIG_SAMPLE_YOUNG;
	}
	mmap_read_unlock(mm);
	return 0;
}

long contig_ioctl_sample(void __user *uarg)
{
	struct contig_sample __user *us = uarg;
	struct contig_sample s;
	struct mm_struct *mm;
	u8 *results = NULL;
	u64 *addrs = NULL;
	u32 young = 0;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&s, us, sizeof(s)))
		return -EFAULT;
	if (s.flags || s.reserved[0] || s.reserved[1])
		return -EINVAL;
	if (!contig_sample_available())
		return -EOPNOTSUPP;
	if (s.count > CONTIG_MAX_SAMPLE)
		return -E2BIG;
	ret = contig_sample_mm(s.pidfd, &mm);
	if (ret)
		return ret;
	addrs = kvmalloc_array(s.count ? s.count : 1, sizeof(*addrs),
			       GFP_KERNEL);
	results = kvmalloc(s.count ? s.count : 1, GFP_KERNEL);
	if (!addrs || !results) {
		ret = -ENOMEM;
		goto out;
	}
	if (copy_from_user(addrs, u64_to_user_ptr(s.addrs),
			   (size_t)s.count * sizeof(*addrs))) {
		ret = -EFAULT;
		goto out;
	}
	ret = contig_sample_all(mm, addrs, results, s.count, &young);
	if (ret)
		goto out;
	if (copy_to_user(u64_to_user_ptr(s.results), results, s.count) ||
	    put_user(young, &us->young))
		ret = -EFAULT;
out:
	kvfree(results);
	kvfree(addrs);
	mmput(mm);
	return ret;
}
