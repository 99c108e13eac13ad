// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exchange two in-use anonymous pages in place.
 *
 * Both folios are isolated from the LRU and locked, unmapped with migration
 * entries, their reference counts frozen, then their contents are swapped in
 * one pass and their mapping, index and state flags traded, and each one's
 * migration entries are restored pointing at the other frame.  No third page
 * is needed, and each byte is read and written once.
 */
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/rmap.h>
#include <linux/swap.h>

#include "contig.h"

/*
 * References we hold on an unmapped folio: the caller's lookup reference and
 * the one taken by LRU isolation.
 */
#define CONTIG_XCHG_REFS 2

/*
 * Take the folio off the LRU.  A folio just faulted in, exchanged or
 * migrated waits off the LRU in a per-CPU cache until that fills up; in a
 * chain of exchanges, the page that travels along the chain is in this
 * CPU's cache at every step.  Empty it first.
 */
static bool contig_isolate(struct folio *folio)
{
	if (!folio_test_lru(folio))
		contig_drain_local_lru();
#if CONTIG_ISOLATE_LRU_BOOL
	return contig_syms.folio_isolate_lru(folio);
#else
	return contig_syms.folio_isolate_lru(folio) == 0;
#endif
}

static void contig_putback(struct folio *folio)
{
	folio_add_lru(folio);
	folio_put(folio);
}

static void contig_put_anon_vma(struct anon_vma *anon_vma)
{
	if (atomic_dec_and_test(&anon_vma->refcount))
		contig_syms.put_anon_vma(anon_vma);
}

static void contig_restore(struct folio *src, struct folio *dst)
{
#if CONTIG_RMP_FLAGS
	contig_syms.remove_migration_ptes(src, dst, 0);
#else
	contig_syms.remove_migration_ptes(src, dst, false);
#endif
}

/*
 * Swap two pages' contents in one pass over both: chunk by chunk through a
 * small buffer that stays in L1, so each page is read once and written once
 * (string moves do the copying; they are the fastest copy the CPU has).
 */
#define CONTIG_SWAP_CHUNK 256

static void contig_swap_contents(struct folio *a, struct folio *b)
{
	u64 tmp[CONTIG_SWAP_CHUNK / sizeof(u64)];
	char *pa = kmap_local_folio(a, 0);
	char *pb = kmap_local_folio(b, 0);
	unsigned int off;

	for (off = 0; off < PAGE_SIZE; off += CONTIG_SWAP_CHUNK) {
		memcpy(tmp, pa + off, CONTIG_SWAP_CHUNK);
		memcpy(pa + off, pb + off, CONTIG_SWAP_CHUNK);
		memcpy(pb + off, tmp, CONTIG_SWAP_CHUNK);
	}
	kunmap_local(pb);
	kunmap_local(pa);
}

/* Page state that belongs to the contents, not to the frame. */
static const int contig_xchg_flags[] = {
	PG_dirty,
	PG_referenced,
	PG_active,
	PG_workingset,
};

static void contig_swap_state(struct folio *a, struct folio *b)
{
	struct address_space *mapping;
	unsigned int i;
	pgoff_t index;

	for (i = 0; i < ARRAY_SIZE(contig_xchg_flags); i++) {
		int bit = contig_xchg_flags[i];
		bool fa = test_bit(bit, &a->flags);
		bool fb = test_bit(bit, &b->flags);

		if (fa == fb)
			continue;
		if (fa) {
			clear_bit(bit, &a->flags);
			set_bit(bit, &b->flags);
		} else {
			set_bit(bit, &a->flags);
			clear_bit(bit, &b->flags);
		}
	}
	mapping = READ_ONCE(a->mapping);
	WRITE_ONCE(a->mapping, READ_ONCE(b->mapping));
	WRITE_ONCE(b->mapping, mapping);
	index = a->index;
	a->index = b->index;
	b->index = index;
}

/* Recheck under the folio lock: the page may have changed since lookup. */
static int contig_recheck_locked(struct folio *folio)
{
	int ret = contig_check_folio(folio);

	if (ret)
		return ret;
	/* Order-0 only, so the page's own map count is the folio's. */
	switch (atomic_read(&folio->_mapcount) + 1) {
	case 1:
		break;
	case 0:
		return -EAGAIN;
	default:
		return -EBUSY;
	}
	return 0;
}

/*
 * Exchange two folios the caller holds one reference on each (from
 * contig_get_folio*()).  The caller keeps and drops its references.
 */
int contig_exchange_folios(struct folio *a, struct folio *b)
{
	struct anon_vma *av_a, *av_b;
	int ret;

	if (a == b)
		return 0;
	if (!contig_inplace_available())
		return -EOPNOTSUPP;
	if (folio_zone(a) != folio_zone(b))
		return -EXDEV;
	if (folio_memcg(a) != folio_memcg(b))
		return -EXDEV;

	if (!contig_isolate(a))
		return -EAGAIN;
	if (!contig_isolate(b)) {
		ret = -EAGAIN;
		goto out_putback_a;
	}
	if (!folio_trylock(a)) {
		ret = -EAGAIN;
		goto out_putback_b;
	}
	if (!folio_trylock(b)) {
		ret = -EAGAIN;
		goto out_unlock_a;
	}
	ret = contig_recheck_locked(a);
	if (!ret)
		ret = contig_recheck_locked(b);
	if (ret)
		goto out_unlock_b;
	/* Recheck what isolation could not see change. */
	if (folio_memcg(a) != folio_memcg(b)) {
		ret = -EXDEV;
		goto out_unlock_b;
	}

	av_a = contig_syms.folio_get_anon_vma(a);
	if (!av_a) {
		ret = -EAGAIN;
		goto out_unlock_b;
	}
	av_b = contig_syms.folio_get_anon_vma(b);
	if (!av_b) {
		ret = -EAGAIN;
		goto out_put_av_a;
	}

	contig_syms.try_to_migrate(a, 0);
	if (folio_mapped(a)) {
		ret = -EBUSY;
		goto out_restore_a;
	}
	contig_syms.try_to_migrate(b, 0);
	if (folio_mapped(b)) {
		ret = -EBUSY;
		goto out_restore_b;
	}
	/* Nobody else may hold a reference: no pins, no in-flight users. */
	if (!folio_ref_freeze(a, CONTIG_XCHG_REFS)) {
		ret = -EBUSY;
		goto out_restore_b;
	}
	if (!folio_ref_freeze(b, CONTIG_XCHG_REFS)) {
		folio_ref_unfreeze(a, CONTIG_XCHG_REFS);
		ret = -EBUSY;
		goto out_restore_b;
	}

	contig_swap_contents(a, b);
	contig_swap_state(a, b);

	folio_ref_unfreeze(b, CONTIG_XCHG_REFS);
	folio_ref_unfreeze(a, CONTIG_XCHG_REFS);

	/* a's old mappings now lead to frame b, and b's to frame a. */
	contig_restore(a, b);
	contig_restore(b, a);
	ret = 0;
	goto out_put_av_b;

out_restore_b:
	contig_restore(b, b);
out_restore_a:
	contig_restore(a, a);
out_put_av_b:
	contig_put_anon_vma(av_b);
out_put_av_a:
	contig_put_anon_vma(av_a);
out_unlock_b:
	folio_unlock(b);
out_unlock_a:
	folio_unlock(a);
out_putback_b:
	contig_putback(b);
out_putback_a:
	contig_putback(a);
	return ret;
}
