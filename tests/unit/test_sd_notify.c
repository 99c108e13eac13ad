// SPDX-License-Identifier: GPL-2.0-only
/*
 * sd_notify: the exact bytes a real AF_UNIX datagram socket receives,
 * for a path and for an abstract name, and what unset or malformed
 * variables give. Check forks per test, so setenv() stays local.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sd_notify.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct listener {
	int fd;
	char dir[64];
	char env[128]; /* what goes into NOTIFY_SOCKET */
};

/* A bound datagram socket; abstract when name starts with '@'. */
static void listen_on(struct listener *l, const char *abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;

	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(l->fd, 0);
	l->dir[0] = '\0';
	if (abstract) {
		size_t n = strlen(abstract);

		ck_assert_uint_le(n, sizeof(sa.sun_path));
		memcpy(sa.sun_path, abstract, n);
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		snprintf(l->env, sizeof(l->env), "%s", abstract);
	} else {
		snprintf(l->dir, sizeof(l->dir), "/tmp/contig-notify-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(l->dir));
		snprintf(l->env, sizeof(l->env), "%s/notify", l->dir);
		ck_assert_uint_lt(strlen(l->env), sizeof(sa.sun_path));
		memcpy(sa.sun_path, l->env, strlen(l->env) + 1);
		len = sizeof(sa);
	}
	ck_assert_int_eq(bind(l->fd, (struct sockaddr *)&sa, len), 0);
}

static void listener_close(struct listener *l)
{
	close(l->fd);
	if (l->dir[0]) {
		unlink(l->env);
		rmdir(l->dir);
	}
}

/* The next datagram, or -1 with errno when none is queued. */
static ssize_t take(struct listener *l, char *buf, size_t n)
{
	return recv(l->fd, buf, n, MSG_DONTWAIT);
}

static const char *const states[] = {
	"READY=1",
	"WATCHDOG=1",
	"STATUS=backend kmod, observer bpf, 3 requests queued",
	"RELOADING=1\nMONOTONIC_USEC=123456789",
	"STOPPING=1",
	"X",
};

START_TEST(test_send)
{
	const char *state = states[_i / 2];
	struct listener l;
	char abstract[64], buf[512];
	ssize_t n;

	if (_i % 2) {
		snprintf(abstract, sizeof(abstract), "@contig-notify-%d-%d",
			 (int)getpid(), _i);
		listen_on(&l, abstract);
	} else {
		listen_on(&l, NULL);
	}
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", l.env, 1), 0);
	ck_assert_int_eq(sd_notify_send(state), 0);
	n = take(&l, buf, sizeof(buf));
	ck_assert_int_eq(n, (ssize_t)strlen(state));
	ck_assert(memcmp(buf, state, (size_t)n) == 0);
	/* one datagram per call, nothing more */
	ck_assert_int_eq(take(&l, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	listener_close(&l);
}
END_TEST

/* Unset or empty: nothing sent, and no error. */
START_TEST(test_unset)
{
	struct listener l;
	char buf[64];

	listen_on(&l, NULL);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", l.env, 1), 0);
	ck_assert_int_eq(unsetenv("NOTIFY_SOCKET"), 0);
	ck_assert_int_eq(sd_notify_send("READY=1"), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "", 1), 0);
	ck_assert_int_eq(sd_notify_send("READY=1"), 0);
	ck_assert_int_eq(take(&l, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	listener_close(&l);
}
END_TEST

static char long_path[200];
static char long_abstract[200];

static const struct {
	const char *env;
	const char *state;
	int want;
} bad[] = {
	{ "relative/notify", "READY=1", -EINVAL },
	{ "notify", "READY=1", -EINVAL },
	{ "@", "READY=1", -EINVAL },
	{ "vsock:2:1234", "READY=1", -EINVAL },
	{ "/nonexistent-contig-dir/notify", "READY=1", -ENOENT },
	{ long_path, "READY=1", -ENAMETOOLONG },
	{ long_abstract, "READY=1", -ENAMETOOLONG },
	/* a name no one listens on */
	{ "@contig-notify-nobody-listens", "READY=1", -ECONNREFUSED },
	{ "/run/contig-notify-unset", NULL, -EINVAL },
	{ "/run/contig-notify-unset", "", -EINVAL },
};

START_TEST(test_bad)
{
	/* sun_path holds 108 bytes: a path needs one for its NUL */
	memset(long_path, 'p', 108);
	long_path[0] = '/';
	long_path[108] = '\0';
	memset(long_abstract, 'a', 110);
	long_abstract[0] = '@';
	long_abstract[110] = '\0';

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", bad[_i].env, 1), 0);
	ck_assert_int_eq(sd_notify_send(bad[_i].state), bad[_i].want);
}
END_TEST

/* The longest abstract name: '@' and 107 bytes fill sun_path. */
START_TEST(test_longest_abstract)
{
	char name[110], buf[32];
	struct listener l;

	memset(name, 'n', 108);
	name[0] = '@';
	snprintf(name + 1, 20, "%d", (int)getpid());
	name[strlen(name)] = 'n';
	name[108] = '\0';
	listen_on(&l, name);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	ck_assert_int_eq(sd_notify_send("READY=1"), 0);
	ck_assert_int_eq(take(&l, buf, sizeof(buf)), 7);
	ck_assert(memcmp(buf, "READY=1", 7) == 0);
	listener_close(&l);
}
END_TEST

/* "self" stands for our pid, NULL for unset. */
static const struct {
	const char *usec;
	const char *pid;
	int want_r;
	uint64_t want;
} dogs[] = {
	{ NULL, NULL, 0, 0 },
	{ "30000000", NULL, 0, 30000000 },
	{ "30000000", "self", 0, 30000000 },
	{ "30000000", "1", 0, 0 },
	{ "1", "self", 0, 1 },
	{ "18446744073709551615", NULL, 0, UINT64_MAX },
	{ NULL, "self", 0, 0 },
	{ "", NULL, -EINVAL, 0 },
	{ "0", NULL, -EINVAL, 0 },
	{ "abc", NULL, -EINVAL, 0 },
	{ "-5", NULL, -EINVAL, 0 },
	{ " 5", NULL, -EINVAL, 0 },
	{ "5s", NULL, -EINVAL, 0 },
	{ "18446744073709551616", NULL, -EINVAL, 0 },
	{ "30000000", "", -EINVAL, 0 },
	{ "30000000", "12x", -EINVAL, 0 },
	{ "30000000", "0", -EINVAL, 0 },
};

START_TEST(test_watchdog)
{
	uint64_t usec = 42;
	char pid[32];

	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (dogs[_i].usec)
		ck_assert_int_eq(setenv("WATCHDOG_USEC", dogs[_i].usec, 1), 0);
	if (dogs[_i].pid) {
		if (!strcmp(dogs[_i].pid, "self"))
			snprintf(pid, sizeof(pid), "%d", (int)getpid());
		else
			snprintf(pid, sizeof(pid), "%s", dogs[_i].pid);
		ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
	}
	ck_assert_int_eq(sd_watchdog_interval(&usec), dogs[_i].want_r);
	ck_assert_uint_eq(usec, dogs[_i].want);
}
END_TEST

Suite *test_sd_notify_suite(void)
{
	Suite *s = suite_create("sd_notify");
	TCase *tc = tcase_create("notify");

	tcase_add_loop_test(tc, test_send, 0, 2 * ARRAY_SIZE(states));
	tcase_add_test(tc, test_unset);
	tcase_add_loop_test(tc, test_bad, 0, ARRAY_SIZE(bad));
	tcase_add_test(tc, test_longest_abstract);
	suite_add_tcase(s, tc);

	tc = tcase_create("watchdog");
	tcase_add_loop_test(tc, test_watchdog, 0, ARRAY_SIZE(dogs));
	suite_add_tcase(s, tc);
	return s;
}
