// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy's ranking: fragmentation, expected benefit (a hot scattered
 * VMA first, a contiguous or collapsed one not at all), fault churn, and
 * the memo's churn cooldown, expiry, bound and log text.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rank.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SEC 1000000000ull

static const struct frag_case {
	struct contig_metrics m;
	double want;
} frag_cases[] = {
	/* pages present runs largest runs_99 aligned_2m */
	{ { 16384, 0, 0, 0, 0, 0 }, 0 },              /* nothing present */
	{ { 16384, 16384, 1, 16384, 1, 32 }, 0 },     /* one run */
	{ { 16384, 16384, 32, 512, 32, 32 }, 0 },     /* collapsed */
	{ { 16384, 16384, 16384, 1, 16221, 0 }, 1 - 1.0 / 16384 },
	{ { 16384, 16384, 300, 8192, 150, 16 }, 0.5 }, /* half one run */
	{ { 16384, 16384, 40, 1024, 40, 24 }, 0.25 },  /* 24 of 32 blocks */
};

START_TEST(test_fragmentation)
{
	const struct frag_case *c = &frag_cases[_i];
	double got = rank_fragmentation(&c->m);

	ck_assert_msg(fabs(got - c->want) < 1e-9, "case %d: %f != %f", _i, got,
		      c->want);
}
END_TEST

START_TEST(test_benefit)
{
	struct contig_metrics scattered = { 16384, 16384, 16384, 1, 16221, 0 };
	struct contig_metrics done = { 16384, 16384, 32, 512, 32, 32 };
	struct contig_metrics small = { 2048, 100, 100, 1, 99, 0 };
	struct contig_metrics half = { 16384, 8192, 8192, 1, 8110, 0 };

	/* hot and scattered beats cold and scattered */
	ck_assert(rank_benefit(1000, &scattered) >
		  rank_benefit(10, &scattered));
	ck_assert(rank_benefit(10, &scattered) > 0);
	/* idle, contiguous, or under 2 MiB present: nothing to gain */
	ck_assert(rank_benefit(0, &scattered) == 0);
	ck_assert(rank_benefit(1000, &done) == 0);
	ck_assert(rank_benefit(1000, &small) == 0);
	/* the size is what is present: half the pages, half the benefit */
	ck_assert(fabs(rank_benefit(100, &half) * 2 -
		       rank_benefit(100, &scattered)) < 1e-3 * 100 * 16384);
}
END_TEST

START_TEST(test_fault_churn)
{
	/* refaulted twice over within the half-life: churn */
	ck_assert(rank_fault_churn(2 * 16384, 16384));
	/* populated once (new memory), or a few refaults: no churn */
	ck_assert(!rank_fault_churn(16384, 16384));
	ck_assert(!rank_fault_churn(100, 16384));
	ck_assert(!rank_fault_churn(0, 0));
}
END_TEST

static struct rank_choice choice(pid_t pid, uint64_t start, uint64_t at,
				 bool churn)
{
	struct rank_choice c = {
		.pid = pid, .start = start, .end = start + (64u << 20),
		.rate = 812.0, .source = "proc", .frag = 0.98,
		.benefit = 1e6, .chosen_ns = at, .churn = churn,
	};

	return c;
}

START_TEST(test_cooldown)
{
	struct rank_memo m;
	struct rank_choice c = choice(10, 0x10000000, 100 * SEC, false);
	char why[160];

	rank_memo_init(&m);
	/* never chosen: never held back */
	ck_assert(!rank_memo_held_back(&m, 10, c.start, true, 0));
	ck_assert_int_eq(rank_memo_note(&m, &c), 0);
	/* chosen, steady: another pass once it decays is fine */
	ck_assert(!rank_memo_held_back(&m, 10, c.start, false, 200 * SEC));
	/* refaulting its size twice over now: held back */
	ck_assert(rank_memo_held_back(&m, 10, c.start, true, 200 * SEC));
	/* dropped (MADV_DONTNEED) after the choice: held back ... */
	rank_memo_dropped(&m, 10, c.start + 4096, c.start + 8192, 150 * SEC);
	ck_assert(rank_memo_held_back(&m, 10, c.start, false, 200 * SEC));
	/* ... for the cooldown, no longer */
	ck_assert(rank_memo_held_back(&m, 10, c.start, false,
				      (100 + RANK_CHURN_COOLDOWN_S - 1) * SEC));
	ck_assert(!rank_memo_held_back(&m, 10, c.start, false,
				       (100 + RANK_CHURN_COOLDOWN_S) * SEC));
	/* a drop elsewhere or in another process changes nothing */
	c = choice(11, 0x10000000, 100 * SEC, false);
	ck_assert_int_eq(rank_memo_note(&m, &c), 0);
	rank_memo_dropped(&m, 11, 0x1000, 0x2000, 150 * SEC);
	ck_assert(!rank_memo_held_back(&m, 11, c.start, false, 200 * SEC));
	/* a new choice keeps the earlier drop */
	c = choice(10, 0x10000000, 160 * SEC, false);
	ck_assert_int_eq(rank_memo_note(&m, &c), 0);
	ck_assert(!rank_memo_held_back(&m, 10, c.start, false, 200 * SEC));
	c = choice(10, 0x10000000, 140 * SEC, false);
	ck_assert_int_eq(rank_memo_note(&m, &c), 0);
	ck_assert(rank_memo_held_back(&m, 10, c.start, false, 200 * SEC));

	rank_memo_why(&m, 10, c.start, c.end, why, sizeof(why));
	ck_assert_str_eq(why, "heat 812.0/s (proc), fragmented 98 %");
	rank_memo_why(&m, 10, c.start, c.end - 4096, why, sizeof(why));
	ck_assert_str_eq(why, "");
	rank_memo_drop_pid(&m, 10);
	ck_assert(!rank_memo_held_back(&m, 10, c.start, true, 200 * SEC));
	ck_assert_uint_eq(rank_memo_expire(&m, 200 * SEC, 50 * SEC), 1);
	ck_assert_uint_eq(m.nr, 0);
	rank_memo_free(&m);
}
END_TEST

START_TEST(test_bounded)
{
	struct rank_memo m;
	struct rank_choice c, got;
	size_t i;

	rank_memo_init(&m);
	for (i = 0; i < RANK_MEMO_MAX + 10; i++) {
		c = choice(1, 0x1000000ull * (i + 1), (i + 1) * SEC, true);
		ck_assert_int_eq(rank_memo_note(&m, &c), 0);
	}
	ck_assert_uint_eq(m.nr, RANK_MEMO_MAX);
	/* the oldest choices went first */
	ck_assert(!rank_memo_get(&m, 1, 0x1000000, &got));
	ck_assert(rank_memo_get(&m, 1, 0x1000000ull * (RANK_MEMO_MAX + 10),
				&got));
	ck_assert(got.churn);
	rank_memo_free(&m);
}
END_TEST

Suite *test_rank_suite(void)
{
	Suite *s = suite_create("rank");
	TCase *tc = tcase_create("rank");

	tcase_add_loop_test(tc, test_fragmentation, 0, ARRAY_SIZE(frag_cases));
	tcase_add_test(tc, test_benefit);
	tcase_add_test(tc, test_fault_churn);
	tcase_add_test(tc, test_cooldown);
	tcase_add_test(tc, test_bounded);
	suite_add_tcase(s, tc);
	return s;
}
