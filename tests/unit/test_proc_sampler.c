// SPDX-License-Identifier: GPL-2.0-only
/*
 * The proc sampler on a fake /proc: a process whose referenced pages
 * stay the same is cleared (clear_refs) once in four rounds instead of
 * every round, its heat keeps growing at the measured rate, and a
 * change in its accesses brings it back to a clear every round.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fake_proc.h"
#include "observer.h"

#define PID 4242
#define VMA_START 0x7f0000000000ull
#define VMA_PAGES 16384u /* 64 MiB */

static void quiet(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	(void)prio;
	(void)msg;
}

static void set_referenced(unsigned kb)
{
	char smaps[512];

	snprintf(smaps, sizeof(smaps),
		 "7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
		 "Size:            65536 kB\n"
		 "Referenced:      %u kB\n"
		 "Anonymous:       65536 kB\n",
		 kb);
	fake_proc_text("4242/smaps", smaps);
}

static bool cleared(void)
{
	char path[256], c = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/4242/clear_refs", fake_root);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fread(&c, 1, 1, f), 1);
	fclose(f);
	return c == '1';
}

/* One sampler round; whether it cleared the process's bits. */
static bool tick(struct observer *o)
{
	struct observer_counters c0, c1;
	int i;

	fake_proc_text("4242/clear_refs", "0");
	observer_counters(o, &c0);
	for (i = 0; i < 10000; i++) {
		ck_assert_int_eq(observer_poll(o), 0);
		observer_counters(o, &c1);
		if (c1.sample_rounds > c0.sample_rounds)
			return cleared();
		usleep(1000);
	}
	ck_abort_msg("no sampler round in 10 s");
	return false;
}

START_TEST(test_steady_backoff)
{
	struct observer_opts opts = {
		.want = OBSERVER_WANT_PROC,
		.proc_root = fake_root,
		.half_life_s = 1e6, /* no decay to speak of */
		.sample_s = 0.005,
		.log = quiet,
	};
	struct observer *o;
	unsigned t, clears = 0;
	bool after[8];
	double heat;

	fake_proc_setup();
	fake_proc_mkdir("4242");
	set_referenced(VMA_PAGES * 4);
	fake_proc_text("4242/clear_refs", "0");
	ck_assert_int_eq(observer_open(&opts, &o), 0);
	ck_assert_int_eq(observer_watch(o, PID), 0);
	ck_assert_msg(cleared(), "watching clears first");

	/* Not steady yet: a clear every round. */
	for (t = 0; t < 3; t++)
		ck_assert_msg(tick(o), "round %u did not clear", t);
	for (; t < 8; t++)
		tick(o);
	/* Steady: one clear in four rounds. */
	for (; t < 16; t++)
		clears += tick(o);
	ck_assert_uint_eq(clears, 2);
	/* Every round counted the measured pages, cleared or not. */
	heat = observer_vma_heat(o, PID, VMA_START);
	ck_assert_msg(heat > 0.99 * 16 * VMA_PAGES &&
			      heat < 1.01 * 16 * VMA_PAGES,
		      "heat %.0f, want %u", heat, 16 * VMA_PAGES);

	/*
	 * The process stops touching its VMA: found at the next measure,
	 * within four rounds, and cleared every round again (three times,
	 * until the new state is steady in its turn).
	 */
	set_referenced(0);
	for (t = 0; t < 8; t++)
		after[t] = tick(o);
	for (t = 0; t < 5 && !(after[t] && after[t + 1] && after[t + 2]); t++)
		;
	ck_assert_msg(t < 5,
		      "no clear in three rounds in a row after a change");

	observer_close(o);
	fake_proc_teardown();
}
END_TEST

Suite *test_proc_sampler_suite(void)
{
	Suite *s = suite_create("proc_sampler");
	TCase *tc = tcase_create("backoff");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_steady_backoff);
	suite_add_tcase(s, tc);
	return s;
}
