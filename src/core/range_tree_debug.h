/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Range tree self-checks, for the unit tests only: not part of the
 * interface in range_tree.h.
 */
#ifndef CONTIG_CORE_RANGE_TREE_DEBUG_H
#define CONTIG_CORE_RANGE_TREE_DEBUG_H

#include "range_tree.h"

/*
 * Walk the whole tree, O(n), and verify that claims are non-empty, sorted
 * and disjoint, that the AVL balance holds, that every cached field
 * (height, min_start, max_end, max_gap) equals its value recomputed from
 * scratch, and that the count is right. NULL if all hold, else a short
 * description of the first violation found.
 */
const char *rt_debug_check(const struct range_tree *rt);

/* Height of the tree: 0 when empty, 1 for a single claim. */
int rt_debug_height(const struct range_tree *rt);

#endif
