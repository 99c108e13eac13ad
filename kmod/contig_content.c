// SPDX-License-Identifier: GPL-2.0-only
/*
 * What travels with a page's contents when two frames trade them: the
 * bytes, copied so that a memory error on either frame is an error return
 * and not a machine check panic, and every page flag that describes the
 * contents rather than the frame (kernel migration gives the same flags to
 * its destination in folio_migrate_flags() and folio_migrate_mapping()).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-flags.h>
#include <linux/uaccess.h>

#include "contig.h"

/*
 * The contents are swapped chunk by chunk through two small buffers that
 * stay in L1: each page is read once and written once.
 */
#define CONTIG_SWAP_CHUNK 256

static void contig_swap_chunk(char *pa, char *pb, u64 *ta, u64 *tb)
{
	memcpy(pa, tb, CONTIG_SWAP_CHUNK);
	memcpy(pb, ta, CONTIG_SWAP_CHUNK);
}

/*
 * Swap the contents of two order-0 folios.  Both are read with
 * copy_mc_to_kernel(): a poisoned line stops the swap, the chunks already
 * swapped are swapped back, and -EHWPOISON says neither page changed.
 */
int contig_swap_contents(struct folio *a, struct folio *b)
{
	u64 ta[CONTIG_SWAP_CHUNK / sizeof(u64)];
	u64 tb[CONTIG_SWAP_CHUNK / sizeof(u64)];
	char *pa = kmap_local_folio(a, 0);
	char *pb = kmap_local_folio(b, 0);
	unsigned int off, undo;
	int ret = 0;

	for (off = 0; off < PAGE_SIZE; off += CONTIG_SWAP_CHUNK) {
		if (copy_mc_to_kernel(ta, pa + off, CONTIG_SWAP_CHUNK) ||
		    copy_mc_to_kernel(tb, pb + off, CONTIG_SWAP_CHUNK)) {
			ret = -EHWPOISON;
			break;
		}
		contig_swap_chunk(pa + off, pb + off, ta, tb);
	}
	for (undo = 0; ret && undo < off; undo += CONTIG_SWAP_CHUNK) {
		/* These lines were read without error a moment ago. */
		memcpy(ta, pa + undo, CONTIG_SWAP_CHUNK);
		memcpy(tb, pb + undo, CONTIG_SWAP_CHUNK);
		contig_swap_chunk(pa + undo, pb + undo, ta, tb);
	}
	kunmap_local(pb);
	kunmap_local(pa);
	return ret;
}

/* The bits of folio->flags that belong to the contents. */
static unsigned long contig_content_mask(void)
{
	unsigned long mask = BIT(PG_dirty) | BIT(PG_referenced) |
			     BIT(PG_active) | BIT(PG_workingset) |
			     BIT(PG_uptodate) | BIT(PG_swapbacked);

#if defined(CONFIG_PAGE_IDLE_FLAG) && defined(CONFIG_64BIT)
	mask |= BIT(PG_young) | BIT(PG_idle);
#endif
#ifdef CONFIG_LRU_GEN
	/* Isolation cleared the generation; the reference bits stay. */
	mask |= LRU_REFS_MASK;
#endif
#if defined(CONFIG_NUMA_BALANCING) && !defined(LAST_CPUPID_NOT_IN_PAGE_FLAGS)
	mask |= LAST_CPUPID_MASK << LAST_CPUPID_PGSHIFT;
#endif
	return mask;
}

/* Replace the bits of mask in folio->flags by val (only bits of mask). */
static void contig_set_masked(struct folio *folio, unsigned long mask,
			      unsigned long val)
{
	unsigned long old = READ_ONCE(folio->flags);

	while (!try_cmpxchg(&folio->flags, &old, (old & ~mask) | val))
		;
}

/*
 * Trade the content state of two unmapped, frozen, locked folios: the
 * content-bound flags, mapping and index.  PG_anon_exclusive is cleared on
 * both: the migration entries carry the real exclusivity of every mapping
 * and restore it, and a frame whose contents were unmapped meanwhile (a
 * zap between the checks and try_to_migrate()) must not lend a stale
 * "exclusive" to the mappings it receives.
 */
void contig_swap_state(struct folio *a, struct folio *b)
{
	unsigned long mask = contig_content_mask();
	unsigned long fa = READ_ONCE(a->flags) & mask;
	unsigned long fb = READ_ONCE(b->flags) & mask;
	struct address_space *mapping;
	pgoff_t index;

	contig_set_masked(a, mask, fb);
	contig_set_masked(b, mask, fa);
	ClearPageAnonExclusive(&a->page);
	ClearPageAnonExclusive(&b->page);

	mapping = READ_ONCE(a->mapping);
	WRITE_ONCE(a->mapping, READ_ONCE(b->mapping));
	WRITE_ONCE(b->mapping, mapping);
	index = a->index;
	a->index = b->index;
	b->index = index;
}
