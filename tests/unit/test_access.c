// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who may target what on the control socket (access.c), against a fake
 * /proc: the caller's uid must be the target's real, effective and saved
 * uid, unless the caller holds CAP_SYS_ADMIN; the refusal names the pid
 * and the uid that owns it.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>

#include "access.h"
#include "fake_proc.h"

static void task(const char *pid, const char *uids)
{
	char rel[64], text[512];

	fake_proc_mkdir(pid);
	snprintf(rel, sizeof(rel), "%s/status", pid);
	snprintf(text, sizeof(text),
		 "Name:\tworker\nUmask:\t0022\nState:\tS (sleeping)\n"
		 "Uid:\t%s\nGid:\t100\t100\t100\t100\n"
		 "CapEff:\t0000000000000000\n",
		 uids);
	fake_proc_text(rel, text);
}

static void setup(void)
{
	fake_proc_setup();
	task("10", "1000\t1000\t1000\t1000");
	task("11", "0\t0\t0\t0");
	task("12", "1000\t0\t1000\t1000"); /* setuid root program */
	task("13", "1000\t1000\t0\t1000"); /* saved uid root */
	fake_proc_mkdir("14");
	fake_proc_text("14/status", "Name:\tbroken\nUid:\t12x\n");
}

static const struct {
	pid_t pid;
	bool admin;
	int err;
	const char *msg;
} cases[] = {
	{ 10, false, 0, "" },
	{ 11, false, -EPERM, "Permission denied: pid 11 belongs to uid 0" },
	{ 12, false, -EPERM, "Permission denied: pid 12 belongs to uid 0" },
	{ 13, false, -EPERM, "Permission denied: pid 13 belongs to uid 0" },
	{ 11, true, 0, "" },
	{ 12, true, 0, "" },
	{ 99, false, -ESRCH, "No such process: pid 99" },
	{ 99, true, -ESRCH, "No such process: pid 99" },
	{ 14, true, -EINVAL, "Cannot read pid 14: Invalid argument" },
};

START_TEST(test_access_check)
{
	struct peer peer = { .pid = 10, .uid = 1000, .admin = cases[_i].admin };
	char msg[120] = "";

	ck_assert_int_eq(access_check(fake_root, &peer, cases[_i].pid, msg,
				      sizeof(msg)),
			 cases[_i].err);
	ck_assert_str_eq(msg, cases[_i].msg);
}
END_TEST

START_TEST(test_access_uids)
{
	uid_t u[4];

	ck_assert_int_eq(access_task_uids(fake_root, 12, u), 0);
	ck_assert_uint_eq(u[0], 1000);
	ck_assert_uint_eq(u[1], 0);
	ck_assert_uint_eq(u[2], 1000);
	ck_assert_uint_eq(u[3], 1000);
	ck_assert_int_eq(access_task_uids(fake_root, 14, u), -EINVAL);
	ck_assert_int_eq(access_task_uids(fake_root, 98, u), -ESRCH);
}
END_TEST

Suite *test_access_suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("access");

	tcase_add_checked_fixture(tc, setup, fake_proc_teardown);
	tcase_add_loop_test(tc, test_access_check, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_access_uids);
	suite_add_tcase(s, tc);
	return s;
}
