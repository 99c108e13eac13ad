// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kmod backend's process descriptor (kmod_pidfd.c) on real
 * processes: a bound descriptor is kept as a duplicate and survives the
 * process's exit; one opened by the backend refers to the process it was
 * opened for, and once that process is gone it is forgotten. Needs no
 * privilege; needs pidfd_open(2) (not under valgrind 3.19).
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "have_pidfd.h"
#include "kmod_pidfd.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* 0 when the process fd refers to is alive, else -errno. */
static int alive(int fd)
{
	return syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) ? -errno : 0;
}

/* A child that waits for a byte on its stdin, then exits. */
static pid_t child(int *wr)
{
	int p[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	*wr = p[1];
	return pid;
}

static void reap(pid_t pid, int wr)
{
	int st;

	ck_assert_int_eq(write(wr, "x", 1), 1);
	close(wr);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
}

/* Opened for a pid: that process; gone once it exits, then forgotten. */
START_TEST(test_opened_follows_process)
{
	struct kmod_pidfd k = KMOD_PIDFD_INIT;
	int wr, fd;
	pid_t pid = child(&wr);

	fd = kmod_pidfd_get(&k, pid);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(alive(fd), 0);
	ck_assert_int_eq(kmod_pidfd_get(&k, pid), fd); /* kept */
	reap(pid, wr);
	ck_assert_int_eq(alive(fd), -ESRCH);
	kmod_pidfd_gone(&k);
	ck_assert_int_eq(k.fd, -1);
	/* The pid names nobody now (or another process, never the old one). */
	fd = kmod_pidfd_get(&k, pid);
	ck_assert(fd == -ESRCH || alive(fd) == 0);
	kmod_pidfd_close(&k);
	ck_assert_int_eq(kmod_pidfd_get(&k, 0), -ESRCH);
}
END_TEST

/* Bound: a duplicate of the job's descriptor, kept while the job runs. */
START_TEST(test_bound_is_duplicate)
{
	struct kmod_pidfd k = KMOD_PIDFD_INIT;
	int wr, job_fd, fd;
	pid_t pid = child(&wr);

	job_fd = (int)syscall(SYS_pidfd_open, pid, 0);
	ck_assert_int_ge(job_fd, 0);
	ck_assert_int_eq(kmod_pidfd_bind(&k, pid, job_fd), 0);
	close(job_fd); /* the job's own copy goes; the backend's stays */
	fd = kmod_pidfd_get(&k, pid);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(alive(fd), 0);
	reap(pid, wr);
	kmod_pidfd_gone(&k); /* bound: kept, the ops keep getting -ESRCH */
	ck_assert_int_eq(kmod_pidfd_get(&k, pid), fd);
	ck_assert_int_eq(alive(fd), -ESRCH);
	/* Another pid, or an unbind: the duplicate is closed. */
	ck_assert_int_eq(kmod_pidfd_bind(&k, getpid(), -1), 0);
	ck_assert_int_eq(k.fd, -1);
	fd = kmod_pidfd_get(&k, getpid());
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(alive(fd), 0);
	ck_assert_int_eq(kmod_pidfd_bind(&k, getpid(), 1000000), -EBADF);
	ck_assert_int_eq(k.fd, -1);
	kmod_pidfd_close(&k);
}
END_TEST

Suite *test_kmod_pidfd_suite(void)
{
	Suite *s = suite_create("kmod_pidfd");
	TCase *tc = tcase_create("kmod_pidfd");

	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	if (!have_pidfd_open()) {
		printf("# pidfd_open(2) not implemented here (valgrind?): cases left out\n");
		return s;
	}
	tcase_add_test(tc, test_opened_follows_process);
	tcase_add_test(tc, test_bound_is_duplicate);
	return s;
}
