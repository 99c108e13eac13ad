// SPDX-License-Identifier: GPL-2.0-only
/*
 * Heat table: decay, counters, ranking of a hot small VMA against a cold
 * burst, forgetting; and the smaps "Referenced:" parser of proc mode.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heat.h"
#include "observer_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SEC 1000000000ull

static const struct decay_case {
	double half_life_s;
	uint64_t add;
	uint64_t after_ns;
	double want;
} decay_cases[] = {
	{ 1, 100, 0, 100 },	    { 1, 100, SEC, 50 },
	{ 1, 100, 2 * SEC, 25 },    { 2, 100, SEC, 70.71067811865476 },
	{ 10, 1024, 100 * SEC, 1 }, { 0, 100, 1000 * SEC, 100 }, /* no decay */
};

START_TEST(test_decay)
{
	const struct decay_case *c = &decay_cases[_i];
	struct heat_table t;
	double got;

	heat_init(&t, c->half_life_s);
	ck_assert_int_eq(heat_add(&t, 7, 0x1000, c->add, 5 * SEC), 0);
	got = heat_get(&t, 7, 0x1000, 5 * SEC + c->after_ns);
	ck_assert_msg(fabs(got - c->want) < 1e-6, "case %d: %f != %f", _i, got,
		      c->want);
	/* Adding later decays the old heat first. */
	ck_assert_int_eq(heat_add(&t, 7, 0x1000, 1, 5 * SEC + c->after_ns), 0);
	got = heat_get(&t, 7, 0x1000, 5 * SEC + c->after_ns);
	ck_assert(fabs(got - c->want - 1) < 1e-6);
	ck_assert_uint_eq(heat_find(&t, 7, 0x1000)->total, c->add + 1);
	ck_assert(heat_get(&t, 7, 0x2000, 0) == 0);
	heat_free(&t);
}
END_TEST

START_TEST(test_counter)
{
	struct heat_table t;
	const struct heat_entry *e;

	heat_init(&t, 0);
	ck_assert_int_eq(heat_set_count(&t, 1, 0x10000, 10, 0), 0);
	ck_assert_int_eq(heat_set_count(&t, 1, 0x10000, 15, SEC), 0);
	e = heat_find(&t, 1, 0x10000);
	ck_assert_uint_eq(e->total, 15);
	ck_assert(e->heat == 15);
	/* Unchanged: nothing added. */
	ck_assert_int_eq(heat_set_count(&t, 1, 0x10000, 15, 2 * SEC), 0);
	ck_assert_uint_eq(heat_find(&t, 1, 0x10000)->total, 15);
	/* Recreated counter (went backwards): counts from zero. */
	ck_assert_int_eq(heat_set_count(&t, 1, 0x10000, 3, 3 * SEC), 0);
	e = heat_find(&t, 1, 0x10000);
	ck_assert_uint_eq(e->total, 18);
	ck_assert_uint_eq(e->count, 3);
	heat_free(&t);
}
END_TEST

/*
 * A cold VMA got a burst of cold_burst faults at t = 0 (its first touch);
 * the hot one gets hot_rate faults per poll second from then on. The hot
 * one must rank first by want_s seconds (polls every 250 ms).
 */
static const struct rank_case {
	double half_life_s;
	uint64_t cold_burst;
	uint64_t hot_rate;
	double want_s;
} rank_cases[] = {
	{ 1, 4096, 1000, 2.0 },	  { 2, 4096, 1000, 5.0 },
	{ 10, 4096, 64000, 1.0 }, { 0.5, 1 << 18, 1000, 5.0 },
	{ 10, 100, 1, 5.0 }, /* a cold VMA in proc mode: no burst counted */
};

START_TEST(test_rank)
{
	const struct rank_case *c = &rank_cases[_i];
	struct heat_entry *r = NULL;
	struct heat_table t;
	uint64_t now, step = SEC / 4;
	size_t nr;
	int ok = 0;

	heat_init(&t, c->half_life_s);
	ck_assert_int_eq(heat_add(&t, 42, 0x7f0000000000, c->cold_burst, 0), 0);
	if (_i == 4)
		heat_drop_pid(&t, 42);
	for (now = step; now <= (uint64_t)(c->want_s * SEC) && !ok;
	     now += step) {
		ck_assert_int_eq(heat_set_count(&t, 42, 0x7f1000000000,
						c->hot_rate * now / SEC, now),
				 0);
		ck_assert_int_eq(heat_ranked(&t, now, &r, &nr), 0);
		ck_assert_uint_ge(nr, 1);
		ok = r[0].start == 0x7f1000000000;
		free(r);
	}
	ck_assert_msg(ok, "case %d: hot VMA not first after %.1f s", _i,
		      c->want_s);
	heat_free(&t);
}
END_TEST

static int gone_count;

static void count_gone(void *ctx, const struct heat_entry *e)
{
	(void)ctx;
	(void)e;
	gone_count++;
}

START_TEST(test_forget)
{
	struct heat_entry *r;
	struct heat_table t;
	size_t nr, i;

	heat_init(&t, 1);
	/* An empty table forgets nothing (and touches no memory). */
	ck_assert_uint_eq(heat_drop_pid(&t, 1), 0);
	ck_assert_uint_eq(heat_drop_range(&t, 1, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(heat_prune(&t, 0, 1, count_gone, NULL), 0);
	/* Inserted out of order: the table keeps (pid, start) order. */
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(heat_add(&t, (int32_t)(i % 3), (99 - i) << 12,
					  i + 1, 0),
				 0);
	for (i = 1; i < t.nr; i++)
		ck_assert(t.e[i - 1].pid < t.e[i].pid ||
			  (t.e[i - 1].pid == t.e[i].pid &&
			   t.e[i - 1].start < t.e[i].start));
	ck_assert_uint_eq(heat_drop_pid(&t, 1), 33);
	ck_assert_uint_eq(t.nr, 67);
	ck_assert_uint_eq(heat_drop_pid(&t, 1), 0);
	/* pid 0 has starts (99 - i) << 12 for i % 3 == 0: 0, 3, ..., 99. */
	ck_assert_uint_eq(heat_drop_range(&t, 0, 0, 10 << 12), 4);
	ck_assert_uint_eq(heat_drop_range(&t, 0, 5, 5), 0);
	ck_assert_int_eq(heat_ranked(&t, 0, &r, &nr), 0);
	ck_assert_uint_eq(nr, t.nr);
	for (i = 1; i < nr; i++)
		ck_assert(r[i - 1].heat >= r[i].heat);
	free(r);
	/* 30 half-lives later every heat (<= 100) is below 1e-3. */
	gone_count = 0;
	ck_assert_uint_eq(heat_prune(&t, 30 * SEC, 1e-3, count_gone, NULL), 63);
	ck_assert_int_eq(gone_count, 63);
	ck_assert_uint_eq(t.nr, 0);
	ck_assert_int_eq(heat_ranked(&t, 0, &r, &nr), 0);
	ck_assert(r == NULL && nr == 0);
	heat_free(&t);
}
END_TEST

struct smaps_seen {
	struct obs_smaps_vma v[8];
	int n;
};

static int on_vma(void *ctx, const struct obs_smaps_vma *v)
{
	struct smaps_seen *s = ctx;

	if (s->n == 8)
		return -E2BIG;
	s->v[s->n++] = *v;
	return 0;
}

START_TEST(test_smaps)
{
	static const char good[] =
		"55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0          [heap]\n"
		"Size:                132 kB\n"
		"Rss:                  12 kB\n"
		"Referenced:            8 kB\n"
		"Anonymous:            12 kB\n"
		"VmFlags: rd wr mr mw me ac sd\n"
		"7f0000000000-7f0000400000 r-xp 00001000 08:01 1234  /usr/lib/libc.so.6\n"
		"Size:               4096 kB\n"
		"Referenced:         4096 kB\n"
		"Anonymous:             0 kB\n"
		"VmFlags: rd ex mr mw me\n"
		"7f0000400000-7f0000401000 ---p 00000000 00:00 0 \n"
		"Size:                  4 kB\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]\n"
		"Referenced:            0 kB";
	static const char *const bad[] = {
		"Referenced: 8 kB\n", /* no header */
		"zz-10 rw-p 0 00:00 0\nReferenced: 1 kB\n",
		"1000-2000 rw-p 0 00:00 0\nReferenced: x kB\n",
		"1000-2000 rw-p 0 00:00\nReferenced: 1 kB\n", /* no inode */
		"1000-2000 rw-p 0 00:00 0\nAnonymous: kB\n",
	};
	struct smaps_seen s = { 0 };
	size_t i;

	ck_assert_int_eq(obs_smaps_parse(good, on_vma, &s), 0);
	/* The guard VMA has no Referenced line: not reported. */
	ck_assert_int_eq(s.n, 3);
	ck_assert_uint_eq(s.v[0].start, 0x55d0c0a00000);
	ck_assert_uint_eq(s.v[0].end, 0x55d0c0a21000);
	ck_assert_uint_eq(s.v[0].referenced_kb, 8);
	ck_assert_uint_eq(s.v[0].anonymous_kb, 12);
	ck_assert_uint_eq(s.v[0].inode, 0);
	ck_assert_uint_eq(s.v[1].inode, 1234);
	ck_assert_uint_eq(s.v[1].referenced_kb, 4096);
	ck_assert_uint_eq(s.v[1].anonymous_kb, 0);
	ck_assert_uint_eq(s.v[2].start, 0xffffffffff600000);
	ck_assert_uint_eq(s.v[2].referenced_kb, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&s, 0, sizeof(s));
		ck_assert_msg(obs_smaps_parse(bad[i], on_vma, &s) == -EINVAL,
			      "bad[%zu] accepted", i);
	}
	ck_assert_int_eq(obs_smaps_parse("", on_vma, &s), 0);
}
END_TEST

Suite *test_observer_heat_suite(void)
{
	Suite *s = suite_create("observer_heat");
	TCase *tc = tcase_create("heat");

	tcase_add_loop_test(tc, test_decay, 0, ARRAY_SIZE(decay_cases));
	tcase_add_test(tc, test_counter);
	tcase_add_loop_test(tc, test_rank, 0, ARRAY_SIZE(rank_cases));
	tcase_add_test(tc, test_forget);
	tcase_add_test(tc, test_smaps);
	suite_add_tcase(s, tc);
	return s;
}
