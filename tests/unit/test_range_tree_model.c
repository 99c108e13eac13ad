// SPDX-License-Identifier: GPL-2.0-only
/*
 * Range tree: a property test that runs random operations against a
 * brute-force model.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "range_tree.h"
#include "range_tree_check.h"

/*
 * Property test. The model is a sorted array of claims whose operations are
 * all plain linear scans; in the small universe a per-frame bitmap checks
 * the model's own answers about free frames once more.
 */

struct prng {
	uint64_t s;
};

/* splitmix64: deterministic, full period, good enough for test inputs. */
static uint64_t rnd(struct prng *p)
{
	uint64_t z = (p->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(struct prng *p, uint64_t n)
{
	return rnd(p) % n;
}

struct model {
	struct rt_range *v;
	size_t n, cap;
};

static int m_insert(struct model *m, uint64_t start, uint64_t end,
		    uint64_t owner)
{
	size_t i, at;

	if (start >= end)
		return -EINVAL;
	for (i = 0; i < m->n; i++)
		if (m->v[i].start < end && start < m->v[i].end)
			return -EEXIST;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		ck_assert_ptr_nonnull(m->v);
	}
	for (at = 0; at < m->n && m->v[at].start < start; at++)
		;
	memmove(&m->v[at + 1], &m->v[at], (m->n - at) * sizeof(*m->v));
	m->v[at].start = start;
	m->v[at].end = end;
	m->v[at].owner = owner;
	m->n++;
	return 0;
}

static int m_remove(struct model *m, uint64_t start)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->v[i].start == start) {
			memmove(&m->v[i], &m->v[i + 1],
				(m->n - i - 1) * sizeof(*m->v));
			m->n--;
			return 0;
		}
	}
	return -ENOENT;
}

static size_t m_remove_owner(struct model *m, uint64_t owner)
{
	size_t i, j = 0;

	for (i = 0; i < m->n; i++)
		if (m->v[i].owner != owner)
			m->v[j++] = m->v[i];
	i = m->n - j;
	m->n = j;
	return i;
}

/* Index of the lowest claim overlapping [start, end), or -1. */
static long m_overlap(const struct model *m, uint64_t start, uint64_t end)
{
	size_t i;

	if (start >= end)
		return -1; /* an empty range overlaps nothing */
	for (i = 0; i < m->n; i++)
		if (m->v[i].start < end && start < m->v[i].end)
			return (long)i;
	return -1;
}

static long m_lookup(const struct model *m, uint64_t frame)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].start <= frame && frame < m->v[i].end)
			return (long)i;
	return -1;
}

/* Candidate s moves past every claim that reaches into [s, s + n). */
static bool m_first_gap(const struct model *m, uint64_t hint, uint64_t n,
			uint64_t limit, uint64_t *out)
{
	uint64_t s = hint;
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < m->n; i++) {
		const struct rt_range *c = &m->v[i];

		if (c->end <= s)
			continue;
		if (c->start > s && c->start - s >= n)
			break;
		s = c->end;
	}
	if (s > limit || limit - s < n)
		return false;
	*out = s;
	return true;
}

/* Small universe: frames below BITMAP_FRAMES tracked one by one. */
#define BITMAP_FRAMES 2112

struct bitmap {
	bool used[BITMAP_FRAMES];
};

static void bm_set(struct bitmap *b, uint64_t start, uint64_t end, bool v)
{
	uint64_t f;

	for (f = start; f < end; f++)
		b->used[f] = v;
}

/* First fit by counting free frames, one at a time. */
static bool bm_first_gap(const struct bitmap *b, uint64_t hint, uint64_t n,
			 uint64_t limit, uint64_t *out)
{
	uint64_t s = hint, f;

	if (!n)
		return false;
	for (f = hint; f < BITMAP_FRAMES; f++) {
		if (b->used[f])
			s = f + 1;
		else if (f + 1 - s >= n)
			break;
	}
	/* Above the bitmap everything is free: s is the answer there too. */
	if (s > limit || limit - s < n)
		return false;
	*out = s;
	return true;
}

struct universe {
	const char *name;
	uint64_t seed;
	int kind; /* U_SMALL, U_TOP, U_WIDE */
	size_t max_claims; /* model size where growth turns to shrinking */
	unsigned int drop_odds; /* 1 in drop_odds * 1000 ops: remove_owner */
};

enum { U_SMALL, U_TOP, U_WIDE };

static const struct universe universes[] = {
	{ "small", 0x5eed0001, U_SMALL, 400, 1 },
	{ "top", 0x5eed0002, U_TOP, 400, 1 },
	{ "wide", 0x5eed0003, U_WIDE, 600, 1 },
	{ "deep", 0x5eed0004, U_WIDE, 3000, 20 },
};

#define PROP_OPS 300000 /* per universe */
#define CHECK_EVERY 1000

/* A frame number shaped for the universe: clustered so claims collide. */
static uint64_t coord(struct prng *p, int kind)
{
	uint64_t r = rnd(p);

	switch (kind) {
	case U_SMALL:
		return r % 2049; /* claims live in [0, 2056] */
	case U_TOP:
		return MAX64 - r % 1025;
	default:
		switch (r & 7) {
		case 0:
			return rnd(p); /* anywhere */
		case 1:
			return MAX64 - (r >> 8) % 128;
		default:
			/* Near one of 16 widely spaced bases. */
			return (((r >> 3) & 15) << 60) | ((r >> 8) % 4096);
		}
	}
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > MAX64 - b ? MAX64 : a + b;
}

static void random_range(struct prng *p, int kind, uint64_t *start,
			 uint64_t *end)
{
	uint64_t a = coord(p, kind), b;

	switch (rnd_below(p, 16)) {
	case 0:
		b = a; /* empty */
		break;
	case 1:
	case 2:
		b = coord(p, kind); /* anything, maybe reversed */
		break;
	default:
		b = add_sat(a, 1 + rnd_below(p, kind == U_SMALL ? 8 : 24));
		break;
	}
	*start = a;
	*end = b;
}

/* n and limit for first_gap, including the overflowing and the huge. */
static void random_gap_args(struct prng *p, int kind, uint64_t hint,
			    uint64_t *n, uint64_t *limit)
{
	switch (rnd_below(p, 16)) {
	case 0:
		*n = 0;
		break;
	case 1:
		*n = MAX64 - hint + rnd_below(p, 3); /* at and past overflow */
		break;
	case 2:
		*n = rnd(p);
		break;
	default:
		*n = 1 + rnd_below(p, kind == U_SMALL ? 24 : 64);
		break;
	}
	switch (rnd_below(p, 4)) {
	case 0:
		*limit = coord(p, kind);
		break;
	case 1:
		*limit = add_sat(hint, rnd_below(p, 64));
		break;
	default:
		*limit = MAX64;
		break;
	}
}

struct cmp_state {
	const struct model *m;
	size_t i;
	bool ok;
};

static int cmp_fn(const struct rt_range *r, void *arg)
{
	struct cmp_state *st = arg;
	const struct rt_range *w = &st->m->v[st->i++];

	if (r->start != w->start || r->end != w->end || r->owner != w->owner)
		st->ok = false;
	return 0;
}

static void check_same(const struct range_tree *rt, const struct model *m)
{
	struct cmp_state st = { m, 0, true };
	const char *why = rt_debug_check(rt);

	expect(!why, "tree invariant broken: %s", why);
	expect(rt_count(rt) == m->n, "count %zu, model %zu", rt_count(rt),
	       m->n);
	expect(!rt_foreach(rt, cmp_fn, &st) && st.ok && st.i == m->n,
	       "foreach differs from the model");
	expect(rt_debug_height(rt) <= avl_height_bound(m->n),
	       "height %d for %zu claims", rt_debug_height(rt), m->n);
}

static void check_range(bool found, const struct rt_range *got,
			const struct model *m, long want, const char *what,
			unsigned long op)
{
	expect(found == (want >= 0), "op %lu: %s found %d", op, what, found);
	expect(!found || (got->start == m->v[want].start &&
			  got->end == m->v[want].end &&
			  got->owner == m->v[want].owner),
	       "op %lu: %s returned the wrong claim", op, what);
}

START_TEST(test_property)
{
	const struct universe *u = &universes[_i];
	struct prng p = { u->seed };
	struct model m = { NULL, 0, 0 };
	struct bitmap *bm = calloc(1, sizeof(*bm));
	struct range_tree *rt = rt_create();
	bool growing = true;
	unsigned long op;

	ck_assert_ptr_nonnull(rt);
	ck_assert_ptr_nonnull(bm);
	for (op = 0; op < PROP_OPS; op++) {
		uint64_t a, b, n, limit, s = 0, ms = 0, owner;
		struct rt_range got;
		unsigned int dice = rnd_below(&p, 1000), ins, rm, ov, lk;
		bool found, mfound;
		long idx;
		int ret;

		/* Grow to a random size, shrink to near empty, repeat. */
		if (growing && m.n >= u->max_claims)
			growing = false;
		else if (!growing && m.n <= rnd_below(&p, 8))
			growing = true;
		if (op % 50000 == 49999)
			growing = false; /* a full universe never reaches max */

		/* Of 1000: updates follow the phase, queries share the rest. */
		ins = growing ? 450 : 100;
		rm = growing ? 480 : 450;
		ov = rm + (1000 - rm) * 3 / 10;
		lk = rm + (1000 - rm) * 6 / 10;
		if (dice < ins) {
			random_range(&p, u->kind, &a, &b);
			owner = rnd_below(&p, 8);
			ret = rt_insert(rt, a, b, owner);
			expect(ret == m_insert(&m, a, b, owner),
			       "op %lu: insert [%ju, %ju) -> %d", op,
			       (uintmax_t)a, (uintmax_t)b, ret);
			if (!ret && u->kind == U_SMALL)
				bm_set(bm, a, b, true);
		} else if (dice < rm) {
			/* Mostly existing starts, some misses. */
			if (m.n && rnd_below(&p, 4))
				a = m.v[rnd_below(&p, m.n)].start;
			else
				a = coord(&p, u->kind);
			idx = m_lookup(&m, a);
			b = idx >= 0 ? m.v[idx].end : 0;
			ret = rt_remove(rt, a);
			expect(ret == m_remove(&m, a),
			       "op %lu: remove %ju -> %d", op, (uintmax_t)a,
			       ret);
			if (!ret && u->kind == U_SMALL)
				bm_set(bm, a, b, false);
		} else if (dice < ov) {
			random_range(&p, u->kind, &a, &b);
			found = rt_find_overlap(rt, a, b, &got);
			check_range(found, &got, &m, m_overlap(&m, a, b),
				    "overlap", op);
		} else if (dice < lk) {
			a = coord(&p, u->kind);
			found = rt_lookup(rt, a, &got);
			check_range(found, &got, &m, m_lookup(&m, a), "lookup",
				    op);
			if (u->kind == U_SMALL && a < BITMAP_FRAMES)
				expect(found == bm->used[a],
				       "op %lu: lookup vs bitmap", op);
		} else if (dice < 999 || rnd_below(&p, u->drop_odds)) {
			/* Hints often sit on a claim's edge or inside it. */
			if (m.n && rnd_below(&p, 2)) {
				const struct rt_range *c =
					&m.v[rnd_below(&p, m.n)];

				a = c->start +
				    rnd_below(&p, 3) *
					    ((c->end - c->start) / 2);
			} else {
				a = coord(&p, u->kind);
			}
			random_gap_args(&p, u->kind, a, &n, &limit);
			found = rt_first_gap(rt, a, n, limit, &s);
			mfound = m_first_gap(&m, a, n, limit, &ms);
			expect(found == mfound && (!found || s == ms),
			       "op %lu: first_gap(%ju, %ju, %ju): "
			       "tree %d/%ju, model %d/%ju",
			       op, (uintmax_t)a, (uintmax_t)n, (uintmax_t)limit,
			       found, (uintmax_t)s, mfound, (uintmax_t)ms);
			if (u->kind == U_SMALL) {
				mfound = bm_first_gap(bm, a, n, limit, &ms);
				expect(found == mfound && (!found || s == ms),
				       "op %lu: first_gap vs bitmap", op);
			}
		} else {
			owner = rnd_below(&p, 8);
			a = rt_remove_owner(rt, owner);
			expect(a == m_remove_owner(&m, owner),
			       "op %lu: remove_owner", op);
			if (u->kind == U_SMALL) {
				memset(bm, 0, sizeof(*bm));
				for (a = 0; a < m.n; a++)
					bm_set(bm, m.v[a].start, m.v[a].end,
					       true);
			}
		}
		expect(rt_count(rt) == m.n, "op %lu: count", op);
		if (op < 2000 || op % CHECK_EVERY == 0)
			check_same(rt, &m);
	}
	check_same(rt, &m);
	rt_destroy(rt);
	free(m.v);
	free(bm);
}
END_TEST

Suite *test_range_tree_model_suite(void)
{
	Suite *s = suite_create("range_tree_model");
	TCase *tc = tcase_create("property");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_property, 0, ARRAY_SIZE(universes));
	suite_add_tcase(s, tc);
	return s;
}
