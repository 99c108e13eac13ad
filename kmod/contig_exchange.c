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
#include <linux/delay.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/moduleparam.h>
#include <linux/page_ref.h>
#include <linux/rmap.h>
#include <linux/swap.h>
#include <linux/vmstat.h>

#include "contig.h"

/*
 * References we hold on an unmapped folio: the caller's lookup reference and
 * the one taken by LRU isolation.
 */
#define CONTIG_XCHG_REFS 2

/*
 * For tests only: sleep this many milliseconds inside every in-place
 * exchange, after the checks and before the pages are unmapped, to widen
 * the window in which their owners can unmap, fork or exit.
 */
static unsigned int debug_delay_ms;
module_param(debug_delay_ms, uint, 0644);
MODULE_PARM_DESC(debug_delay_ms,
		 "Tests only: delay inside each in-place exchange (ms, 0: off)");

/*
 * Take the folio off the LRU.  A folio just faulted in, exchanged or
 * migrated waits off the LRU in a per-CPU cache until that fills up; in a
 * chain of exchanges, the page that travels along the chain is in this
 * CPU's cache at every step.  Empty it first.
 */
bool contig_isolate(struct folio *folio, enum node_stat_item *item)
{
	bool isolated;

	if (!folio_test_lru(folio))
		contig_drain_local_lru();
#if CONTIG_ISOLATE_LRU_BOOL
	isolated = contig_syms.folio_isolate_lru(folio);
#else
	isolated = contig_syms.folio_isolate_lru(folio) == 0;
#endif
	if (!isolated)
		return false;
	/* Counted as kernel migration counts what it holds off the LRU. */
	*item = NR_ISOLATED_ANON + folio_is_file_lru(folio);
	node_stat_mod_folio(folio, *item, folio_nr_pages(folio));
	return true;
}

/* item: what contig_isolate() counted (the flags may have changed since). */
void contig_putback(struct folio *folio, enum node_stat_item item)
{
	node_stat_mod_folio(folio, item, -folio_nr_pages(folio));
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
	enum node_stat_item item_a, item_b;
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

	if (!contig_isolate(a, &item_a))
		return -EAGAIN;
	if (!contig_isolate(b, &item_b)) {
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

	if (debug_delay_ms)
		msleep(debug_delay_ms);

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

	ret = contig_swap_contents(a, b);
	if (!ret)
		contig_swap_state(a, b);
	folio_ref_unfreeze(b, CONTIG_XCHG_REFS);
	folio_ref_unfreeze(a, CONTIG_XCHG_REFS);
	if (ret)
		goto out_restore_b;

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
	contig_putback(b, item_b);
out_putback_a:
	contig_putback(a, item_a);
	return ret;
}
