// SPDX-License-Identifier: GPL-2.0-only
/*
 * Range tree: an AVL tree of disjoint claims [start, end), keyed by start.
 *
 * Claims never overlap, so ordering by start orders them by end as well:
 * the in-order sequence is [s0, e0) [s1, e1) ... with e_i <= s_{i+1}.
 * Each node caches, for its own subtree,
 *
 *   min_start  the start of the leftmost claim,
 *   max_end    the end of the rightmost claim,
 *   max_gap    the largest s_{i+1} - e_i between consecutive claims of the
 *              subtree (0 for a single claim; touching claims give 0 too),
 *   height     for AVL balancing.
 *
 * All four depend only on the node and its two children (node_update()),
 * so every rotation or relink restores them in O(1) and insert/remove stay
 * O(log n). Recursion follows one root-to-leaf path (plus, in the gap
 * search, one extra path), so the stack depth is O(log n).
 */
#include <errno.h>
#include <stdlib.h>

#include "range_tree.h"
#include "range_tree_debug.h"

struct rt_node {
	struct rt_node *left;
	struct rt_node *right;
	struct rt_range r;
	uint64_t min_start;
	uint64_t max_end;
	uint64_t max_gap;
	int height;
};

struct range_tree {
	struct rt_node *root;
	size_t count;
};

static int height(const struct rt_node *x)
{
	return x ? x->height : 0;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Recompute x's cached fields from its claim and its children's fields. */
static void node_update(struct rt_node *x)
{
	const struct rt_node *l = x->left, *r = x->right;
	uint64_t gap = 0;

	x->min_start = x->r.start;
	x->max_end = x->r.end;
	if (l) {
		/* l's rightmost claim is x's in-order predecessor. */
		x->min_start = l->min_start;
		gap = max_u64(l->max_gap, x->r.start - l->max_end);
	}
	if (r) {
		/* r's leftmost claim is x's in-order successor. */
		x->max_end = r->max_end;
		gap = max_u64(gap,
			      max_u64(r->max_gap, r->min_start - x->r.end));
	}
	x->max_gap = gap;
	x->height = 1 + (height(l) > height(r) ? height(l) : height(r));
}

static struct rt_node *rotate_right(struct rt_node *x)
{
	struct rt_node *l = x->left;

	x->left = l->right;
	l->right = x;
	node_update(x);
	node_update(l);
	return l;
}

static struct rt_node *rotate_left(struct rt_node *x)
{
	struct rt_node *r = x->right;

	x->right = r->left;
	r->left = x;
	node_update(x);
	node_update(r);
	return r;
}

/*
 * x's children are valid AVL trees whose heights differ by at most 2.
 * Restore the balance at x and refresh the cached fields; returns the new
 * root of the subtree.
 */
static struct rt_node *rebalance(struct rt_node *x)
{
	int bf;

	node_update(x);
	bf = height(x->left) - height(x->right);
	if (bf > 1) {
		if (height(x->left->left) < height(x->left->right))
			x->left = rotate_left(x->left);
		return rotate_right(x);
	}
	if (bf < -1) {
		if (height(x->right->right) < height(x->right->left))
			x->right = rotate_right(x->right);
		return rotate_left(x);
	}
	return x;
}

/* Link n (a single, non-overlapping claim) into x's subtree. */
static struct rt_node *node_insert(struct rt_node *x, struct rt_node *n)
{
	if (!x)
		return n;
	if (n->r.start < x->r.start)
		x->left = node_insert(x->left, n);
	else
		x->right = node_insert(x->right, n);
	return rebalance(x);
}

/* Unlink the leftmost node of x's subtree into *min; returns the new root. */
static struct rt_node *node_unlink_min(struct rt_node *x, struct rt_node **min)
{
	if (!x->left) {
		*min = x;
		return x->right;
	}
	x->left = node_unlink_min(x->left, min);
	return rebalance(x);
}

/* Unlink the node starting at start into *gone (if any); returns the root. */
static struct rt_node *node_unlink(struct rt_node *x, uint64_t start,
				   struct rt_node **gone)
{
	struct rt_node *succ, *right;

	if (!x)
		return NULL;
	if (start < x->r.start) {
		x->left = node_unlink(x->left, start, gone);
	} else if (start > x->r.start) {
		x->right = node_unlink(x->right, start, gone);
	} else {
		*gone = x;
		if (!x->left)
			return x->right;
		if (!x->right)
			return x->left;
		/* Two children: the successor takes x's place. */
		right = node_unlink_min(x->right, &succ);
		succ->left = x->left;
		succ->right = right;
		x = succ;
	}
	return rebalance(x);
}

/*
 * The first claim, in order, whose end is above frame. Ends increase in
 * order, so this is a plain binary search; the result is the claim
 * containing frame, or else the first claim after it.
 */
static const struct rt_node *first_ending_after(const struct rt_node *x,
						uint64_t frame)
{
	const struct rt_node *best = NULL;

	while (x) {
		if (x->r.end > frame) {
			best = x;
			x = x->left;
		} else {
			x = x->right;
		}
	}
	return best;
}

struct range_tree *rt_create(void)
{
	return calloc(1, sizeof(struct range_tree));
}

static void node_free_all(struct rt_node *x)
{
	while (x) {
		struct rt_node *right = x->right;

		node_free_all(x->left);
		free(x);
		x = right;
	}
}

void rt_destroy(struct range_tree *rt)
{
	if (!rt)
		return;
	node_free_all(rt->root);
	free(rt);
}

int rt_insert(struct range_tree *rt, uint64_t start, uint64_t end,
	      uint64_t owner)
{
	const struct rt_node *o;
	struct rt_node *n;

	if (start >= end)
		return -EINVAL;
	o = first_ending_after(rt->root, start);
	if (o && o->r.start < end)
		return -EEXIST;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->left = NULL;
	n->right = NULL;
	n->r.start = start;
	n->r.end = end;
	n->r.owner = owner;
	node_update(n);
	rt->root = node_insert(rt->root, n);
	rt->count++;
	return 0;
}

int rt_remove(struct range_tree *rt, uint64_t start)
{
	struct rt_node *gone = NULL;

	rt->root = node_unlink(rt->root, start, &gone);
	if (!gone)
		return -ENOENT;
	free(gone);
	rt->count--;
	return 0;
}

/*
 * Append x's subtree in order to the list threaded through ->right whose
 * last link is **tail, freeing the claims of owner on the way.
 */
static size_t flatten_drop(struct rt_node *x, uint64_t owner,
			   struct rt_node ***tail)
{
	size_t dropped = 0;

	while (x) {
		struct rt_node *right = x->right;

		dropped += flatten_drop(x->left, owner, tail);
		if (x->r.owner == owner) {
			free(x);
			dropped++;
		} else {
			x->left = NULL;
			**tail = x;
			*tail = &x->right;
		}
		x = right;
	}
	return dropped;
}

/*
 * Build a tree from the first n nodes of the sorted list *list, advancing
 * *list past them. Subtree sizes differ by at most one at every node, so
 * heights do too: the result is a valid AVL tree.
 */
static struct rt_node *build_balanced(struct rt_node **list, size_t n)
{
	struct rt_node *left, *x;

	if (!n)
		return NULL;
	left = build_balanced(list, (n - 1) / 2);
	x = *list;
	*list = x->right;
	x->left = left;
	x->right = build_balanced(list, n - 1 - (n - 1) / 2);
	node_update(x);
	return x;
}

/*
 * O(n): one in-order pass drops the owner's claims and a second rebuilds a
 * balanced tree from what is left. Cheaper than k removals when the owner
 * holds many claims, and it needs no memory, so it cannot fail.
 */
size_t rt_remove_owner(struct range_tree *rt, uint64_t owner)
{
	struct rt_node *list = NULL, **tail = &list;
	size_t dropped;

	dropped = flatten_drop(rt->root, owner, &tail);
	*tail = NULL;
	rt->count -= dropped;
	rt->root = build_balanced(&list, rt->count);
	return dropped;
}

bool rt_find_overlap(const struct range_tree *rt, uint64_t start, uint64_t end,
		     struct rt_range *out)
{
	const struct rt_node *x;

	if (start >= end)
		return false;
	x = first_ending_after(rt->root, start);
	if (!x || x->r.start >= end)
		return false;
	if (out)
		*out = x->r;
	return true;
}

bool rt_lookup(const struct range_tree *rt, uint64_t frame,
	       struct rt_range *out)
{
	const struct rt_node *x = first_ending_after(rt->root, frame);

	if (!x || x->r.start > frame)
		return false;
	if (out)
		*out = x->r;
	return true;
}

/*
 * First-gap search.
 *
 * Only claims ending above hint matter, and they are a suffix of the
 * in-order sequence. We walk that suffix in order keeping *prev, the
 * lowest frame not yet ruled out: hint at first, then the end of the last
 * claim passed. The first claim starting at least n above *prev closes the
 * answer [*prev, *prev + n); if none does, *prev ends as the start of the
 * unbounded free tail.
 *
 * gap_full() walks a subtree all of whose claims end above hint and start
 * at or above *prev. Its gaps are then exactly min_start - *prev and the
 * gaps counted in max_gap, so if neither reaches n the subtree is skipped
 * in O(1); otherwise it surely holds the answer and the descent never
 * backtracks. gap_partial() handles the subtrees straddling hint: they lie
 * on the single search path for hint, each spawning at most one gap_full()
 * call. Hence O(log n) overall.
 */
static bool gap_full(const struct rt_node *x, uint64_t n, uint64_t *prev)
{
	if (!x)
		return false;
	if (x->min_start - *prev < n && x->max_gap < n) {
		*prev = x->max_end;
		return false;
	}
	if (gap_full(x->left, n, prev))
		return true;
	if (x->r.start - *prev >= n)
		return true;
	*prev = x->r.end;
	return gap_full(x->right, n, prev);
}

static bool gap_partial(const struct rt_node *x, uint64_t hint, uint64_t n,
			uint64_t *prev)
{
	if (!x)
		return false;
	if (x->r.end <= hint) /* x and its left subtree end at or below hint */
		return gap_partial(x->right, hint, n, prev);
	if (gap_partial(x->left, hint, n, prev))
		return true;
	/* x may contain hint (then *prev == hint > x->r.start): no gap. */
	if (x->r.start >= *prev && x->r.start - *prev >= n)
		return true;
	*prev = x->r.end;
	return gap_full(x->right, n, prev);
}

bool rt_first_gap(const struct range_tree *rt, uint64_t hint, uint64_t n,
		  uint64_t limit, uint64_t *gap_start)
{
	uint64_t s = hint;

	/* Written so that s + n is never computed: it may not fit. */
	if (n == 0 || hint > limit || limit - hint < n)
		return false;
	gap_partial(rt->root, hint, n, &s);
	/*
	 * s is the lowest candidate; a later one would start higher, so if
	 * this one does not fit below limit, none does.
	 */
	if (s > limit || limit - s < n)
		return false;
	*gap_start = s;
	return true;
}

size_t rt_count(const struct range_tree *rt)
{
	return rt->count;
}

static int node_foreach(const struct rt_node *x,
			int (*fn)(const struct rt_range *r, void *arg),
			void *arg)
{
	int ret;

	while (x) {
		ret = node_foreach(x->left, fn, arg);
		if (ret)
			return ret;
		ret = fn(&x->r, arg);
		if (ret)
			return ret;
		x = x->right;
	}
	return 0;
}

int rt_foreach(const struct range_tree *rt,
	       int (*fn)(const struct rt_range *r, void *arg), void *arg)
{
	return node_foreach(rt->root, fn, arg);
}

/* Debug checks (range_tree_debug.h). */

struct check_state {
	const struct rt_node *prev; /* last node visited in order */
	size_t count;
};

struct check_sum {
	uint64_t min_start;
	uint64_t max_end;
	uint64_t max_gap;
	int height;
};

/*
 * Verify x's subtree in order, recomputing every cached field from the
 * recomputed values of its children (never from their stored fields).
 */
static const char *check_node(const struct rt_node *x, struct check_state *st,
			      struct check_sum *sum)
{
	struct check_sum l = { 0 }, r = { 0 };
	const char *err;

	if (x->left) {
		err = check_node(x->left, st, &l);
		if (err)
			return err;
	}
	if (x->r.start >= x->r.end)
		return "empty or reversed claim";
	if (st->prev && st->prev->r.start >= x->r.start)
		return "starts out of order";
	if (st->prev && st->prev->r.end > x->r.start)
		return "claims overlap";
	st->prev = x;
	st->count++;
	if (x->right) {
		err = check_node(x->right, st, &r);
		if (err)
			return err;
	}

	sum->min_start = x->left ? l.min_start : x->r.start;
	sum->max_end = x->right ? r.max_end : x->r.end;
	sum->max_gap = 0;
	if (x->left)
		sum->max_gap = max_u64(l.max_gap, x->r.start - l.max_end);
	if (x->right)
		sum->max_gap =
			max_u64(sum->max_gap,
				max_u64(r.max_gap, r.min_start - x->r.end));
	sum->height = 1 + (l.height > r.height ? l.height : r.height);

	if (l.height - r.height > 1 || r.height - l.height > 1)
		return "AVL balance violated";
	if (x->height != sum->height)
		return "stale height";
	if (x->min_start != sum->min_start)
		return "stale min_start";
	if (x->max_end != sum->max_end)
		return "stale max_end";
	if (x->max_gap != sum->max_gap)
		return "stale max_gap";
	return NULL;
}

const char *rt_debug_check(const struct range_tree *rt)
{
	struct check_state st = { NULL, 0 };
	struct check_sum sum;
	const char *err;

	if (rt->root) {
		err = check_node(rt->root, &st, &sum);
		if (err)
			return err;
	}
	if (st.count != rt->count)
		return "count does not match the nodes";
	return NULL;
}

int rt_debug_height(const struct range_tree *rt)
{
	return height(rt->root);
}
