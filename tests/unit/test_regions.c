// SPDX-License-Identifier: GPL-2.0-only
/*
 * Adaptive access regions against a fake sampler: pages of a hot part
 * are accessed between every two rounds, the rest never. The estimate
 * of accessed pages follows the hot part's size, an idle VMA stays at 0,
 * regions split and merge within REGIONS_MAX, and a region boundary
 * settles near the edge of the hot part.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "regions.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PG 4096ull
#define MIB (1ull << 20)
#define BASE 0x7f0000000000ull
#define AGGR 3

static const struct hot_case {
	uint64_t vma_mib, hot_lo_mib, hot_hi_mib;
} cases[] = {
	{ 64, 0, 0 },   /* idle */
	{ 64, 0, 64 },  /* all hot */
	{ 64, 0, 16 },  /* a hot quarter at the start */
	{ 64, 40, 48 }, /* a hot eighth inside */
	{ 2, 0, 1 },    /* a small VMA */
};

/* One aggregation of AGGR rounds against the fake memory. */
static uint64_t aggregation(struct vma_regions *v, uint64_t *rng, uint64_t lo,
			    uint64_t hi)
{
	uint64_t addrs[2 * REGIONS_MAX];
	uint8_t res[2 * REGIONS_MAX];
	size_t n, nc, i;
	int r;

	for (r = 0; r < AGGR; r++) {
		n = regions_round(v, rng, addrs, &nc);
		ck_assert_uint_le(n, 2 * REGIONS_MAX);
		for (i = 0; i < n; i++) {
			ck_assert(addrs[i] >= v->start && addrs[i] < v->end);
			ck_assert_uint_eq(addrs[i] % PG, 0);
			res[i] = addrs[i] >= lo && addrs[i] < hi;
		}
		regions_record(v, res, nc, 1);
	}
	return regions_aggregate(v, rng);
}

START_TEST(test_follow)
{
	const struct hot_case *c = &cases[_i];
	uint64_t lo = BASE + c->hot_lo_mib * MIB, hi = BASE + c->hot_hi_mib * MIB;
	uint64_t hot_pages = (hi - lo) / PG, rng = 0x9e3779b97f4a7c15ull;
	uint64_t sum = 0, got, edge_err = UINT64_MAX;
	struct vma_regions v;
	int a;
	size_t i;

	regions_init(&v, BASE, BASE + c->vma_mib * MIB);
	ck_assert_uint_ge(v.nr, 1);
	for (a = 0; a < 60; a++) {
		got = aggregation(&v, &rng, lo, hi);
		ck_assert_uint_ge(v.nr, 1);
		ck_assert_uint_le(v.nr, REGIONS_MAX);
		for (i = 1; i < v.nr; i++)
			ck_assert_uint_eq(v.r[i].start, v.r[i - 1].end);
		ck_assert_uint_eq(v.r[0].start, v.start);
		ck_assert_uint_eq(v.r[v.nr - 1].end, v.end);
		if (a >= 30)
			sum += got;
	}
	/* the last 30 aggregations: accessed pages per checked round */
	if (!hot_pages) {
		ck_assert_uint_eq(sum, 0);
		return;
	}
	got = sum / 30 / AGGR;
	ck_assert_msg(got >= hot_pages * 6 / 10 && got <= hot_pages * 14 / 10,
		      "case %d: %llu pages a round, %llu hot", _i,
		      (unsigned long long)got, (unsigned long long)hot_pages);
	if (hi == v.end)
		return;
	for (i = 0; i < v.nr; i++) {
		uint64_t d = v.r[i].end > hi ? v.r[i].end - hi : hi - v.r[i].end;

		if (d < edge_err)
			edge_err = d;
	}
	ck_assert_msg(edge_err <= (c->vma_mib * MIB) / 16,
		      "case %d: no boundary near the hot edge (%llu away)", _i,
		      (unsigned long long)edge_err);
}
END_TEST

START_TEST(test_tiny)
{
	struct vma_regions v;
	uint64_t rng = 1, addrs[2 * REGIONS_MAX];
	size_t nc;

	regions_init(&v, BASE, BASE + PG);
	ck_assert_uint_eq(v.nr, 1);
	ck_assert_uint_eq(regions_round(&v, &rng, addrs, &nc), 1);
	ck_assert_uint_eq(nc, 0);
	ck_assert_uint_eq(addrs[0], BASE);
	ck_assert_uint_eq(regions_round(&v, &rng, addrs, &nc), 2);
	ck_assert_uint_eq(nc, 1);
	regions_aggregate(&v, &rng);
	ck_assert_uint_eq(v.nr, 1);
}
END_TEST

Suite *test_regions_suite(void)
{
	Suite *s = suite_create("regions");
	TCase *tc = tcase_create("regions");

	tcase_add_loop_test(tc, test_follow, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, test_tiny);
	suite_add_tcase(s, tc);
	return s;
}
