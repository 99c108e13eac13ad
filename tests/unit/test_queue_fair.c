// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fair share in the queue (queue.c): per-uid limits on queued and
 * CONTIG_NOW jobs, round robin between uids within a priority, and a
 * request joins a job only when bound to the same address space.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "queue.h"

static struct job *push(struct queue *q, uid_t uid, pid_t pid,
			enum job_prio prio, int want)
{
	struct target t = TARGET_UNBOUND(pid);
	struct job *j = NULL;
	bool joined;

	ck_assert_int_eq(queue_push_target(q, &t, uid, 0, 0, prio, &j,
					   &joined),
			 want);
	return j;
}

START_TEST(test_quota)
{
	struct queue q;
	int i;

	ck_assert_int_eq(queue_init(&q, 1024), 0);
	for (i = 0; i < QUEUE_UID_MAX; i++)
		push(&q, 1000, 100 + i, JOB_PRIO_WANT, 0);
	push(&q, 1000, 99, JOB_PRIO_WANT, -EDQUOT);
	/* another uid, and the observer, are not held back */
	push(&q, 1001, 99, JOB_PRIO_WANT, 0);
	push(&q, QUEUE_NO_UID, 98, JOB_PRIO_OBSERVER, 0);
	for (i = 0; i < QUEUE_UID_NOW_MAX; i++)
		push(&q, 1002, 200 + i, JOB_PRIO_NOW, 0);
	push(&q, 1002, 300, JOB_PRIO_NOW, -EDQUOT);
	push(&q, 1002, 300, JOB_PRIO_WANT, 0);
	queue_destroy(&q);
}
END_TEST

/* Joining a queued job at CONTIG_NOW is held to the NOW quota too. */
START_TEST(test_quota_on_upgrade)
{
	struct queue q;
	struct job *j;
	int i;

	ck_assert_int_eq(queue_init(&q, 1024), 0);
	j = push(&q, 1002, 300, JOB_PRIO_WANT, 0);
	for (i = 0; i < QUEUE_UID_NOW_MAX; i++)
		push(&q, 1002, 200 + i, JOB_PRIO_NOW, 0);
	push(&q, 1002, 300, JOB_PRIO_NOW, -EDQUOT);
	ck_assert_int_eq(j->prio, JOB_PRIO_WANT);
	/* a join that does not raise it is not refused */
	push(&q, 1002, 300, JOB_PRIO_WANT, 0);
	queue_destroy(&q);
}
END_TEST

START_TEST(test_round_robin)
{
	static const uid_t want[] = { 1, 2, 3, 1, 2, 1, 1 };
	struct queue q;
	struct job *j;
	bool kicked;
	size_t i;

	ck_assert_int_eq(queue_init(&q, 1024), 0);
	/* uid 1 floods first; 2 and 3 come after */
	for (i = 0; i < 4; i++)
		push(&q, 1, 10 + (pid_t)i, JOB_PRIO_WANT, 0);
	push(&q, 2, 20, JOB_PRIO_WANT, 0);
	push(&q, 2, 21, JOB_PRIO_WANT, 0);
	push(&q, 3, 30, JOB_PRIO_WANT, 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		j = queue_pop(&q, &kicked);
		ck_assert_ptr_nonnull(j);
		ck_assert_uint_eq(j->uid, want[i]);
		queue_finish(&q, j);
	}
	/* a higher priority still goes first, whoever asked */
	push(&q, 1, 40, JOB_PRIO_WANT, 0);
	push(&q, 1, 41, JOB_PRIO_NOW, 0);
	j = queue_pop(&q, &kicked);
	ck_assert_int_eq(j->pid, 41);
	queue_finish(&q, j);
	queue_destroy(&q);
}
END_TEST

/* A stream of one uid's CONTIG_NOW jobs does not starve another uid. */
START_TEST(test_round_robin_across_priorities)
{
	struct queue q;
	struct job *j;
	bool kicked;

	ck_assert_int_eq(queue_init(&q, 1024), 0);
	push(&q, 2, 20, JOB_PRIO_WANT, 0);
	push(&q, 1, 10, JOB_PRIO_NOW, 0);
	push(&q, 1, 11, JOB_PRIO_NOW, 0);
	j = queue_pop(&q, &kicked);
	ck_assert_int_eq(j->pid, 10);
	queue_finish(&q, j);
	push(&q, 1, 12, JOB_PRIO_NOW, 0);
	/* uid 2's turn, although uid 1 still has CONTIG_NOW jobs queued */
	j = queue_pop(&q, &kicked);
	ck_assert_int_eq(j->pid, 20);
	queue_finish(&q, j);
	j = queue_pop(&q, &kicked);
	ck_assert_int_eq(j->pid, 11);
	queue_finish(&q, j);
	/* the observer's still come last */
	push(&q, QUEUE_NO_UID, 30, JOB_PRIO_OBSERVER, 0);
	j = queue_pop(&q, &kicked);
	ck_assert_int_eq(j->pid, 12);
	queue_finish(&q, j);
	j = queue_pop(&q, &kicked);
	ck_assert_int_eq(j->pid, 30);
	queue_finish(&q, j);
	queue_destroy(&q);
}
END_TEST

START_TEST(test_join_same_binding)
{
	struct target a = TARGET_UNBOUND(50), b = TARGET_UNBOUND(50);
	struct job *j1, *j2;
	struct queue q;
	bool joined;

	ck_assert_int_eq(queue_init(&q, 1024), 0);
	a.mm_fd = open("/dev/null", O_RDONLY);
	a.pidfd = open("/dev/null", O_RDONLY);
	a.dev = 1;
	a.ino = 100;
	b.mm_fd = open("/dev/null", O_RDONLY);
	b.pidfd = open("/dev/null", O_RDONLY);
	b.dev = 1;
	b.ino = 101; /* the same pid number, another process */
	ck_assert_int_eq(queue_push_target(&q, &a, 5, 0, 0, JOB_PRIO_DEFRAG,
					   &j1, &joined),
			 0);
	ck_assert(!joined);
	ck_assert_int_eq(a.mm_fd, -1); /* taken over by the job */
	ck_assert_int_eq(queue_push_target(&q, &b, 5, 0, 0, JOB_PRIO_DEFRAG,
					   &j2, &joined),
			 0);
	ck_assert(!joined);
	ck_assert_ptr_ne(j1, j2);
	/* an unbound request (the observer's) joins either */
	ck_assert_ptr_eq(push(&q, QUEUE_NO_UID, 50, JOB_PRIO_OBSERVER, 0), j1);
	queue_destroy(&q);
}
END_TEST

Suite *test_queue_fair_suite(void)
{
	Suite *s = suite_create("queue_fair");
	TCase *tc = tcase_create("queue_fair");

	tcase_add_test(tc, test_quota);
	tcase_add_test(tc, test_quota_on_upgrade);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_round_robin_across_priorities);
	tcase_add_test(tc, test_join_same_binding);
	suite_add_tcase(s, tc);
	return s;
}
