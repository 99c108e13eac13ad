// SPDX-License-Identifier: GPL-2.0-only
/*
 * Client-passed descriptors closed off the main loop (fdcloser.c): a
 * procfs one at once, any other by the closer thread, and every one of
 * them closed in the end.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "fdcloser.h"

static bool closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

START_TEST(test_closes_all)
{
	struct fdcloser fc = { 0 };
	int proc, p[2], i;

	ck_assert_int_eq(fdcloser_start(&fc), 0);
	proc = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(proc, 0);
	fdcloser_close(&fc, proc, 1000);
	ck_assert(closed(proc)); /* procfs: at once */
	ck_assert_int_eq(pipe(p), 0);
	fdcloser_close(&fc, p[0], 1000);
	for (i = 0; i < 200 && !closed(p[0]); i++)
		usleep(5000);
	ck_assert(closed(p[0]));
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(write(p[1], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(p[1]);
	fdcloser_close(&fc, -1, 1000); /* nothing */
	fdcloser_stop(&fc);
	/* stopped: inline again */
	ck_assert_int_eq(pipe(p), 0);
	fdcloser_close(&fc, p[0], 1000);
	ck_assert(closed(p[0]));
	close(p[1]);
}
END_TEST

Suite *test_fdcloser_suite(void)
{
	Suite *s = suite_create("fdcloser");
	TCase *tc = tcase_create("fdcloser");

	tcase_add_test(tc, test_closes_all);
	suite_add_tcase(s, tc);
	return s;
}
