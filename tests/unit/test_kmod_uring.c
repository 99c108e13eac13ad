// SPDX-License-Identifier: GPL-2.0-only
/*
 * The io_uring submission path's probe on files that are not /dev/contig
 * (this host has no module): io_uring answers -EOPNOTSUPP for a file
 * without uring_cmd; /dev/null takes any command on newer kernels (6.18)
 * and writes nothing back, which the probe must not take for the module
 * (-EPROTO; -EOPNOTSUPP where the kernel has no such /dev/null).
 * kmod_uring_open() passes the error on with nothing left open, so that
 * the kmod backend falls back to the ioctls.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "kmod_uring.h"

/* Open descriptors of this process. */
static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

START_TEST(probe_dev_null)
{
	struct kmod_uring *u = (struct kmod_uring *)1;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC), before, ret;

	ck_assert_int_ge(fd, 0);
	before = open_fds();
	ret = kmod_uring_open(fd, 2, &u);
	ck_assert_msg(ret == -EPROTO || ret == -EOPNOTSUPP, "probe: %d", ret);
	/* *out untouched, the ring closed */
	ck_assert_ptr_eq(u, (struct kmod_uring *)1);
	ck_assert_int_eq(open_fds(), before);
	close(fd);
}
END_TEST

START_TEST(probe_pipe)
{
	struct kmod_uring *u = NULL;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(kmod_uring_open(p[1], 1, &u), -EOPNOTSUPP);
	ck_assert_ptr_null(u);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(probe_bad_fd)
{
	struct kmod_uring *u = NULL;

	ck_assert_int_eq(kmod_uring_open(1000, 1, &u), -EBADF);
	ck_assert_ptr_null(u);
}
END_TEST

Suite *test_kmod_uring_suite(void)
{
	Suite *s = suite_create("kmod_uring");
	TCase *tc = tcase_create("probe");

	tcase_add_test(tc, probe_dev_null);
	tcase_add_test(tc, probe_pipe);
	tcase_add_test(tc, probe_bad_fd);
	suite_add_tcase(s, tc);
	return s;
}
