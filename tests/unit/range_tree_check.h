/* SPDX-License-Identifier: GPL-2.0-only */
/* Checks shared by the range tree's unit tests. */
#ifndef CONTIG_TEST_RANGE_TREE_CHECK_H
#define CONTIG_TEST_RANGE_TREE_CHECK_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "range_tree_debug.h"

#define MAX64 UINT64_MAX
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ck_assert_tree_ok(rt)                                            \
	do {                                                             \
		const char *why_ = rt_debug_check(rt);                   \
		ck_assert_msg(!why_, "tree invariant broken: %s", why_); \
	} while (0)

/*
 * On success every ck_assert records its location with Check (a write to
 * a file when tests fork), so loops that check millions of results use
 * expect(), which calls into Check only on failure.
 */
#define expect(cond, ...)                          \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* AVL height bound: h < 1.4405 log2(n + 2). */
static inline int avl_height_bound(size_t n)
{
	int lg = 0;

	while (((size_t)1 << lg) < n + 2)
		lg++;
	return (int)(1.4405 * lg) + 1;
}

#endif
