/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Claimed physical windows. A balanced tree of disjoint half-open frame
 * ranges [start, end), each with an owner key, augmented so that overlap
 * queries and "first gap of at least n frames" run in O(log n).
 */
#ifndef CONTIG_CORE_RANGE_TREE_H
#define CONTIG_CORE_RANGE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct range_tree;

struct rt_range {
	uint64_t start; /* first frame */
	uint64_t end; /* one past the last frame */
	uint64_t owner; /* caller-defined key, e.g. (pid << 32 | vma index) */
};

struct range_tree *rt_create(void);
void rt_destroy(struct range_tree *rt);

/* 0, -EINVAL (start >= end), -EEXIST (overlaps a claim), -ENOMEM. */
int rt_insert(struct range_tree *rt, uint64_t start, uint64_t end,
	      uint64_t owner);
/* Remove the claim that starts exactly at start: 0 or -ENOENT. */
int rt_remove(struct range_tree *rt, uint64_t start);
/* Remove every claim of owner; returns how many were removed. */
size_t rt_remove_owner(struct range_tree *rt, uint64_t owner);

/* The lowest claim overlapping [start, end), if any. */
bool rt_find_overlap(const struct range_tree *rt, uint64_t start, uint64_t end,
		     struct rt_range *out);
/* The claim containing frame, if any. */
bool rt_lookup(const struct range_tree *rt, uint64_t frame,
	       struct rt_range *out);
/*
 * The lowest s >= hint such that [s, s + n) overlaps no claim and
 * s + n <= limit. false if there is none (or n == 0).
 */
bool rt_first_gap(const struct range_tree *rt, uint64_t hint, uint64_t n,
		  uint64_t limit, uint64_t *gap_start);

size_t rt_count(const struct range_tree *rt);
/* In start order; stops early and returns the callback's value if non-zero. */
int rt_foreach(const struct range_tree *rt,
	       int (*fn)(const struct rt_range *r, void *arg), void *arg);

#endif
