/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces of the contig kernel helper.
 */
#ifndef CONTIG_H
#define CONTIG_H

#include <linux/migrate.h>
#include <linux/mm_types.h>
#include <linux/mmzone.h>
#include <linux/rmap.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/version.h>

/*
 * Interfaces that changed between the supported series (6.1 and 6.12).
 * All version tests live here.
 */
/* 6.4: folio_isolate_lru() returns bool (true: isolated), was 0/-EBUSY. */
#define CONTIG_ISOLATE_LRU_BOOL (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0))
/* 6.5: get_user_pages_remote() lost its vmas argument. */
#define CONTIG_GUP_REMOTE_NO_VMAS \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0))
/* 6.5: struct pagevec gave way to struct folio_batch. */
#define CONTIG_HAVE_PAGEVEC (LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0))
/* 6.8: split_huge_page_to_list() became ..._to_order(). */
#define CONTIG_SPLIT_TO_ORDER (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0))
#if CONTIG_SPLIT_TO_ORDER
#define CONTIG_SPLIT_SYM "split_huge_page_to_list_to_order"
#else
#define CONTIG_SPLIT_SYM "split_huge_page_to_list"
#endif
/* 6.12: remove_migration_ptes() takes RMP_* flags, was bool locked. */
#define CONTIG_RMP_FLAGS (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))
/*
 * 6.7: struct io_uring_cmd carries the SQE (io_uring_sqe_cmd(), in
 * <linux/io_uring/cmd.h>), was the payload itself in ->cmd.
 */
#define CONTIG_URING_SQE (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0))
/* 6.4: page faults may run under a per-VMA lock (vma_start_write()). */
#define CONTIG_VMA_LOCK (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0))
/*
 * In-place promotion (contig_promote.c) builds a THP's struct pages by
 * hand: only for the two folio layouts it was written against, 6.1.y
 * (compound_mapcount, page_add_new_anon_rmap()) and 6.12.y
 * (_large_mapcount, folio_add_new_anon_rmap(..., rmap_t)).
 */
#define CONTIG_PROMOTE_FOLIO_RMAP \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))
#if defined(CONFIG_TRANSPARENT_HUGEPAGE) &&                           \
	((LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0) &&            \
	  LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)) ||            \
	 (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) &&           \
	  LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)))
#define CONTIG_PROMOTE_BUILT 1
#else
#define CONTIG_PROMOTE_BUILT 0
#endif
/* 6.5: migrate_pages() hands out and takes back folios, was pages. */
#define CONTIG_MIGRATE_FOLIOS (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0))
/*
 * 6.8: a large anonymous folio is marked large_rmappable, was a compound
 * page with the THP destructor.
 */
#define CONTIG_LARGE_RMAPPABLE (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0))
/* 6.12: a folio mapped only in part is marked so, and split on migration. */
#define CONTIG_PARTIALLY_MAPPED (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))

struct zone;

/*
 * Kernel functions the in-place exchange needs that are not exported to
 * modules.  Resolved once at load time; any of them may be NULL.
 */
struct contig_syms {
#if CONTIG_ISOLATE_LRU_BOOL
	bool (*folio_isolate_lru)(struct folio *folio);
#else
	int (*folio_isolate_lru)(struct folio *folio);
#endif
	void (*try_to_migrate)(struct folio *folio, enum ttu_flags flags);
#if CONTIG_RMP_FLAGS
	void (*remove_migration_ptes)(struct folio *src, struct folio *dst,
				      int flags);
#else
	void (*remove_migration_ptes)(struct folio *src, struct folio *dst,
				      bool locked);
#endif
	struct anon_vma *(*folio_get_anon_vma)(struct folio *folio);
	void (*put_anon_vma)(struct anon_vma *anon_vma);
	void (*lru_add_drain_all)(void);
	bool (*ptrace_may_access)(struct task_struct *task, unsigned int mode);
	int (*security_task_movememory)(struct task_struct *task);
	struct pid *(*pidfd_pid)(const struct file *file);
	unsigned long (*get_pfnblock_flags_mask)(const struct page *page,
						 unsigned long pfn,
						 unsigned long mask);
	bool (*take_page_off_buddy)(struct page *page);
	void (*post_alloc_hook)(struct page *page, unsigned int order,
				gfp_t gfp_flags);
	void (*drain_local_pages)(struct zone *zone);
	void (*drain_all_pages)(struct zone *zone);
#if CONTIG_SPLIT_TO_ORDER
	int (*split_huge_page)(struct page *page, struct list_head *list,
			       unsigned int new_order);
#else
	int (*split_huge_page)(struct page *page, struct list_head *list);
#endif
	/* In-place promotion (contig_promote.c). */
	pmd_t (*pmdp_collapse_flush)(struct vm_area_struct *vma,
				     unsigned long address, pmd_t *pmdp);
	void (*pgtable_trans_huge_deposit)(struct mm_struct *mm, pmd_t *pmdp,
					   struct page *pgtable);
#if CONTIG_PROMOTE_FOLIO_RMAP
	void (*add_new_anon_rmap)(struct folio *folio,
				  struct vm_area_struct *vma,
				  unsigned long address, rmap_t flags);
	void (*remove_rmap)(struct folio *folio, struct page *page,
			    int nr_pages, struct vm_area_struct *vma);
#else
	void (*add_new_anon_rmap)(struct page *page, struct vm_area_struct *vma,
				  unsigned long address);
	void (*remove_rmap)(struct page *page, struct vm_area_struct *vma,
			    bool compound);
#endif
	/* contig_large.c: large folios moved whole */
#if CONTIG_MIGRATE_FOLIOS
	int (*migrate_pages)(struct list_head *from, new_folio_t get_new,
			     free_folio_t put_new, unsigned long private,
			     enum migrate_mode mode, int reason,
			     unsigned int *ret_succeeded);
#else
	int (*migrate_pages)(struct list_head *from, new_page_t get_new,
			     free_page_t put_new, unsigned long private,
			     enum migrate_mode mode, int reason,
			     unsigned int *ret_succeeded);
#endif
	void (*prep_compound_page)(struct page *page, unsigned int order);
};

extern struct contig_syms contig_syms;

/* contig_syms.c */
void contig_syms_resolve(void);
bool contig_inplace_available(void);

/* contig_page.c */
int contig_get_folio(struct mm_struct *mm, unsigned long vaddr,
		     struct folio **foliop);
int contig_get_folio_pfn(unsigned long pfn, struct folio **foliop);
int contig_lookup_folio(struct mm_struct *mm, unsigned long vaddr,
			struct folio **foliop);
int contig_lookup_page(struct mm_struct *mm, unsigned long vaddr,
		       struct page **pagep);
int contig_lookup_folio_pfn(unsigned long pfn, struct folio **foliop);
int contig_check_folio(struct folio *folio);
int contig_check_large_folio(struct folio *folio);
void contig_drain_local_lru(void);

/* contig_folio.c */
bool contig_split_available(void);
int contig_split_at(struct mm_struct *mm, unsigned long vaddr);
int contig_split_pfn(unsigned long pfn);

/* contig_promote.c */
bool contig_promote_available(void);
int contig_promote(struct mm_struct *mm, unsigned long addr);

/* contig_pidfd.c */
bool contig_pidfd_available(void);
struct pid *contig_pidfd_get(int fd);

/* contig_content.c */
int contig_swap_contents(struct folio *a, struct folio *b);
void contig_swap_state(struct folio *a, struct folio *b);

/* contig_exchange.c */
int contig_exchange_folios(struct folio *a, struct folio *b);
bool contig_isolate(struct folio *folio, enum node_stat_item *item);
void contig_putback(struct folio *folio, enum node_stat_item item);

/* contig_large.c */
bool contig_large_available(void);
int contig_move_whole(struct mm_struct *mm, unsigned long vaddr,
		      unsigned long pfn, u32 *outcome);
int contig_exchange_whole(struct mm_struct *mm, unsigned long vaddr,
			  unsigned long pfn, u32 *outcome);

/* contig_claim.c: the frames a MOVE batch claimed up front */
struct contig_op;
struct contig_claims {
	unsigned long *pfn;
	u32 nr;
};

bool contig_claim_fast_available(void);
int contig_claim_frame(unsigned long pfn, bool *occupied);
int contig_claim_free(unsigned long pfn);
void contig_claim_batch(struct contig_claims *c, unsigned int cmd,
			const struct contig_op __user *uops, u32 count);
void contig_claim_batch_end(struct contig_claims *c);

/* contig_stats.c: counters shown in debugfs contig/claim */
enum contig_stat_item {
	CONTIG_STAT_TAKEN, /* frames taken off the free lists */
	CONTIG_STAT_RANGE, /* alloc_contig_range() calls */
	CONTIG_STAT_DRAIN_ALL, /* drain_all_pages() calls */
	CONTIG_STAT_LRU_DRAIN_ALL, /* lru_add_drain_all() calls */
	CONTIG_STAT_NR
};

void contig_stat_inc(enum contig_stat_item item);
void contig_stats_init(void);
void contig_stats_exit(void);

/* contig_move.c */
int contig_move(struct mm_struct *mm, unsigned long vaddr, u64 pfn,
		bool home, u32 *outcome);

/* contig_main.c */
long contig_run_batch(unsigned int cmd, void __user *arg);

/* contig_uring.c */
struct io_uring_cmd;
bool contig_uring_available(void);
int contig_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

/* contig_sample.c */
bool contig_sample_available(void);
long contig_ioctl_sample(void __user *uarg);

#endif /* CONTIG_H */
