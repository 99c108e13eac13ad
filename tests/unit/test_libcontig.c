// SPDX-License-Identifier: GPL-2.0-only
/*
 * libcontig without a real daemon: bad arguments, no daemon, and fake
 * daemons (a thread serving the socket) that answer right, refuse, die
 * mid-request, restart, send garbage, never answer or refuse the
 * connection (EBUSY). The host program must get an errno, never a signal.
 * Every request carries the caller's /proc/self/pagemap descriptor.
 * contig_query against the process's own pagemap.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "contig.h"
#include "proto.h"

enum fake_mode {
	FAKE_OK, /* replies as contigd would: queued, or reached */
	FAKE_REFUSE, /* EPERM with a message */
	FAKE_CLOSE, /* reads the request, closes the connection */
	FAKE_GARBAGE, /* replies with bytes that are no reply */
	FAKE_SILENT, /* never replies */
	FAKE_ONE_SHOT, /* replies, then closes: a daemon that restarted */
	FAKE_BUSY, /* refuses every connection: EBUSY packet, seq 0 */
};

struct fake {
	char dir[64];
	int lfd;
	enum fake_mode mode;
	pthread_t t;
	volatile int stop;
	int served;
	int proofs; /* requests that came with our /proc/self/pagemap */
};

static struct fake fk;

static void answer(int fd, const unsigned char *buf, size_t n)
{
	struct contig_rep_result rep;
	struct contig_msg_hdr h;

	memcpy(&h, buf, n < sizeof(h) ? n : sizeof(h));
	memset(&rep, 0, sizeof(rep));
	if (fk.mode == FAKE_GARBAGE) {
		static const char junk[] = "this is not a reply at all";

		send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		return;
	}
	if (fk.mode == FAKE_REFUSE) {
		proto_reply_init(&rep.r, h.type, h.seq, sizeof(rep), 0, EPERM,
				 "Permission denied: pid 1 belongs to uid 0");
	} else {
		proto_reply_init(&rep.r, h.type, h.seq, sizeof(rep), 0, 0,
				 NULL);
		rep.r.flags = CONTIG_REP_QUEUED | CONTIG_REP_REACHED;
	}
	send(fd, &rep, sizeof(rep), MSG_NOSIGNAL);
}

/* Is fd this process's /proc/self/pagemap (same inode)? */
static int is_our_pagemap(int fd)
{
	struct stat a, b;
	int own = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int same;

	same = own >= 0 && !fstat(fd, &a) && !fstat(own, &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	if (own >= 0)
		close(own);
	return same;
}

/* One packet; the descriptor passed with it is checked and closed. */
static ssize_t recv_request(int fd, unsigned char *buf, size_t cap)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { buf, cap };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	int proof;

	if (n <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(&proof, CMSG_DATA(cm), sizeof(proof));
		fk.proofs += is_our_pagemap(proof);
		close(proof);
	}
	return n;
}

static void refuse_busy(int fd)
{
	struct contig_reply_hdr r;

	memset(&r, 0, sizeof(r));
	proto_reply_init(&r, 0, 0, sizeof(r), 0, EBUSY, "all 1 slots busy");
	send(fd, &r, sizeof(r), MSG_NOSIGNAL);
	close(fd);
}

static void *serve(void *arg)
{
	struct pollfd p[64];
	int n = 1, i;

	(void)arg;
	p[0].fd = fk.lfd;
	p[0].events = POLLIN;
	while (!fk.stop) {
		if (poll(p, (nfds_t)n, 50) <= 0)
			continue;
		if ((p[0].revents & POLLIN) && n < 64) {
			p[n].fd = accept(fk.lfd, NULL, NULL);
			if (p[n].fd >= 0 && fk.mode == FAKE_BUSY) {
				refuse_busy(p[n].fd);
				continue;
			}
			p[n].events = POLLIN;
			p[n].revents = 0;
			n += p[n].fd >= 0;
		}
		for (i = 1; i < n; i++) {
			unsigned char buf[512];
			ssize_t got;

			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			got = recv_request(p[i].fd, buf, sizeof(buf));
			if (got > 0)
				fk.served++;
			if (got > 0 && fk.mode != FAKE_CLOSE &&
			    fk.mode != FAKE_SILENT)
				answer(p[i].fd, buf, (size_t)got);
			if (got <= 0 || fk.mode == FAKE_CLOSE ||
			    fk.mode == FAKE_ONE_SHOT) {
				close(p[i].fd);
				p[i--] = p[--n];
			}
		}
	}
	for (i = 1; i < n; i++)
		close(p[i].fd);
	return NULL;
}

static void fake_start(enum fake_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(fk.dir, sizeof(fk.dir), "/tmp/test_libcontig.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fk.dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/contigd.sock", fk.dir);
	fk.lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ck_assert_int_ge(fk.lfd, 0);
	ck_assert_int_eq(bind(fk.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fk.lfd, 16), 0);
	fk.mode = mode;
	fk.stop = 0;
	fk.served = 0;
	fk.proofs = 0;
	ck_assert_int_eq(setenv("CONTIGD_RUNTIME_DIR", fk.dir, 1), 0);
	ck_assert_int_eq(pthread_create(&fk.t, NULL, serve, NULL), 0);
}

static void fake_stop(void)
{
	char path[128];

	fk.stop = 1;
	pthread_join(fk.t, NULL);
	close(fk.lfd);
	snprintf(path, sizeof(path), "%s/contigd.sock", fk.dir);
	unlink(path);
	rmdir(fk.dir);
}

static char *buffer(size_t pages)
{
	char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	ck_assert_ptr_ne(p, MAP_FAILED);
	for (i = 0; i < pages; i++)
		p[i * 4096] = 1;
	return p;
}

static int advise_errno(void *addr, size_t len, int flags)
{
	errno = 0;
	if (contig_advise(addr, len, flags) == 0)
		return 0;
	return errno;
}

START_TEST(test_lib_bad_arguments)
{
	static const int bad_flags[] = { 0, 3, 5, 6, 7, 8, -1 };
	char *p = buffer(4);
	struct contig_report r;
	size_t i;

	/* checked before any daemon is asked: no socket needed */
	setenv("CONTIGD_RUNTIME_DIR", "/nonexistent", 1);
	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
		ck_assert_int_eq(advise_errno(p, 4096, bad_flags[i]), EINVAL);
	ck_assert_int_eq(advise_errno(p + 1, 4096, CONTIG_WANT), EINVAL);
	ck_assert_int_eq(advise_errno((void *)(uintptr_t)-4096, 8192,
				      CONTIG_WANT),
			 EINVAL);
	/* like madvise: nothing to do */
	ck_assert_int_eq(advise_errno(p, 0, CONTIG_NOW), 0);
	ck_assert_int_eq(contig_query(p, 4096, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(contig_query(p, 0, &r), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(contig_query(p + 8, 4096, &r), -1);
	ck_assert_int_eq(errno, EINVAL);
	munmap(p, 4 * 4096);
}
END_TEST

START_TEST(test_lib_no_daemon)
{
	char dir[] = "/tmp/test_libcontig.XXXXXX";
	char *p = buffer(4);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("CONTIGD_RUNTIME_DIR", dir, 1);
	ck_assert_int_eq(advise_errno(p, 4 * 4096, CONTIG_WANT), ENOTCONN);
	ck_assert_int_eq(advise_errno(p, 4 * 4096, CONTIG_NOW), ENOTCONN);
	ck_assert_int_eq(advise_errno(p, 4 * 4096, CONTIG_NEVER), ENOTCONN);
	rmdir(dir);
	munmap(p, 4 * 4096);
}
END_TEST

static const struct {
	enum fake_mode mode;
	int flags;
	int err;
} fake_cases[] = {
	{ FAKE_OK, CONTIG_WANT, 0 },
	{ FAKE_OK, CONTIG_NOW, 0 },
	{ FAKE_OK, CONTIG_NEVER, 0 },
	{ FAKE_REFUSE, CONTIG_WANT, EPERM },
	{ FAKE_CLOSE, CONTIG_NOW, ENOTCONN },
	{ FAKE_GARBAGE, CONTIG_WANT, EBADMSG },
	{ FAKE_SILENT, CONTIG_NOW, ETIMEDOUT },
	{ FAKE_BUSY, CONTIG_WANT, EBUSY },
};

START_TEST(test_lib_fake_daemon)
{
	char *p = buffer(8);

	/* the default action: a SIGPIPE would end this test */
	signal(SIGPIPE, SIG_DFL);
	setenv("CONTIG_TIMEOUT_MS", "100", 1);
	fake_start(fake_cases[_i].mode);
	ck_assert_int_eq(advise_errno(p, 8 * 4096, fake_cases[_i].flags),
			 fake_cases[_i].err);
	/* and again: a broken connection is not reused */
	ck_assert_int_eq(advise_errno(p, 8 * 4096, fake_cases[_i].flags),
			 fake_cases[_i].err);
	/* each request went with the proof of access */
	ck_assert_int_eq(fk.proofs, fk.served);
	fake_stop();
	unsetenv("CONTIG_TIMEOUT_MS");
	munmap(p, 8 * 4096);
}
END_TEST

/* The daemon closed the kept connection (it restarted): one reconnect. */
START_TEST(test_lib_daemon_restarted)
{
	char *p = buffer(2);
	int i;

	signal(SIGPIPE, SIG_DFL);
	fake_start(FAKE_ONE_SHOT);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(advise_errno(p, 2 * 4096, CONTIG_WANT), 0);
	ck_assert_int_eq(fk.served, 5);
	fake_stop();
	munmap(p, 2 * 4096);
}
END_TEST

static void *hint_many(void *arg)
{
	char *p = arg;
	long ok = 0;
	int i;

	for (i = 0; i < 50; i++)
		ok += contig_advise(p, 4096, CONTIG_WANT) == 0;
	return (void *)ok;
}

/* Threads share one idle connection or open their own: all served. */
START_TEST(test_lib_threads)
{
	pthread_t t[8];
	char *p = buffer(1);
	long total = 0;
	void *ok;
	int i;

	fake_start(FAKE_OK);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hint_many, p), 0);
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], &ok);
		total += (long)ok;
	}
	ck_assert_int_eq(total, 400);
	ck_assert_int_eq(fk.served, 400);
	fake_stop();
	munmap(p, 4096);
}
END_TEST

/* The caller's own figures: root sees frames, others get EPERM. */
START_TEST(test_lib_query)
{
	char *p = buffer(64);
	struct contig_report r;
	int ret = contig_query(p, 64 * 4096, &r);

	if (geteuid() != 0) {
		ck_assert_int_eq(ret, -1);
		ck_assert_int_eq(errno, EPERM);
		munmap(p, 64 * 4096);
		return;
	}
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(r.pages, 64);
	ck_assert_uint_eq(r.present, 64);
	ck_assert_uint_ge(r.runs, 1);
	ck_assert_uint_le(r.runs, 64);
	ck_assert_uint_le(r.largest_run, 64);
	ck_assert_uint_ge(r.largest_run * r.runs, 64);
	/* half unmapped: those pages are not present */
	ck_assert_int_eq(madvise(p, 32 * 4096, MADV_DONTNEED), 0);
	ck_assert_int_eq(contig_query(p, 64 * 4096, &r), 0);
	ck_assert_uint_eq(r.present, 32);
	munmap(p, 64 * 4096);
}
END_TEST

Suite *test_libcontig_suite(void)
{
	Suite *s = suite_create("libcontig");
	TCase *tc = tcase_create("libcontig");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_lib_bad_arguments);
	tcase_add_test(tc, test_lib_no_daemon);
	tcase_add_loop_test(tc, test_lib_fake_daemon, 0,
			    sizeof(fake_cases) / sizeof(fake_cases[0]));
	tcase_add_test(tc, test_lib_daemon_restarted);
	tcase_add_test(tc, test_lib_threads);
	tcase_add_test(tc, test_lib_query);
	suite_add_tcase(s, tc);
	return s;
}
