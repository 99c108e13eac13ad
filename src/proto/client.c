// SPDX-License-Identifier: MIT
/*
 * Control-socket client (client.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "proto.h"

int contig_client_connect(const char *runtime_dir, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *dir = runtime_dir;
	int s, err;

	/* A set-uid caller does not take the socket path from its caller. */
	if (!dir || !*dir)
		dir = secure_getenv(CONTIG_RUNTIME_DIR_ENV);
	if (!dir || !*dir)
		dir = CONTIG_RUNTIME_DIR;
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir,
		     CONTIG_SOCKET_NAME) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		close(s);
		if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR)
			return -ENOTCONN;
		return -err;
	}
	*fd = s;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The pid a request names (0: not a process request), from its payload:
 * HINT/DEFRAG and SHOW carry it first after the header.
 */
static int request_pid(const void *req, size_t len, int32_t *pid)
{
	struct contig_msg_hdr h;

	memcpy(&h, req, sizeof(h));
	if (h.type != CONTIG_MSG_HINT && h.type != CONTIG_MSG_DEFRAG &&
	    h.type != CONTIG_MSG_SHOW)
		return 0;
	if (len < sizeof(h) + sizeof(*pid))
		return 0;
	memcpy(pid, (const char *)req + sizeof(h), sizeof(*pid));
	return 1;
}

/*
 * Send the request with, for one naming a process, a descriptor of its
 * /proc/PID/pagemap (self for pid 0): the kernel checks at open that we
 * may read that process's memory map, and the daemon acts only on the
 * process and address space it designates. When the kernel refuses the
 * open, the request goes without one and the daemon says why.
 */
static ssize_t send_request(int fd, const void *req, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)req, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char path[64];
	int32_t pid;
	int proof = -1, err;
	ssize_t n;

	if (request_pid(req, len, &pid)) {
		if (pid)
			snprintf(path, sizeof(path), "/proc/%d/pagemap",
				 (int)pid);
		else
			snprintf(path, sizeof(path), "/proc/self/pagemap");
		proof = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (proof >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &proof, sizeof(proof));
	}
	n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	err = errno;
	if (proof >= 0)
		close(proof);
	errno = err;
	return n;
}

/* The daemon's refusal of the connection itself (all slots busy)? */
static int refused(const void *buf, size_t n)
{
	struct contig_reply_hdr r;

	if (n != sizeof(r))
		return 0;
	memcpy(&r, buf, sizeof(r));
	return r.h.magic == CONTIG_PROTO_MAGIC &&
	       r.h.type == CONTIG_MSG_ERROR && r.h.seq == 0 &&
	       r.error == EBUSY;
}

/*
 * The daemon closed the connection: -EBUSY when it said why first (the
 * reset is reported before the packets still queued), else -ENOTCONN.
 */
static int closed_on_us(int fd, void *reply, size_t cap)
{
	ssize_t n = recv(fd, reply, cap, MSG_DONTWAIT);

	return n > 0 && refused(reply, (size_t)n) ? -EBUSY : -ENOTCONN;
}

int contig_client_call(int fd, const void *req, size_t len, void *reply,
		       size_t cap, int timeout_ms,
		       int (*on_progress)(const struct contig_rep_progress *p,
					  void *arg),
		       void *arg)
{
	struct contig_msg_hdr h;
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	ssize_t n;

	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, req, sizeof(h));
	n = send_request(fd, req, len);
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
		return closed_on_us(fd, reply, cap);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EMSGSIZE;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait = -1, progress, err;

		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			wait = left > 0x7fffffff ? 0x7fffffff : (int)left;
		}
		err = poll(&pfd, 1, wait);
		if (err < 0 && errno == EINTR)
			continue;
		if (err < 0)
			return -errno;
		if (!err)
			return -ETIMEDOUT;
		n = recv(fd, reply, cap, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			return closed_on_us(fd, reply, cap);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOTCONN;
		if ((size_t)n > cap)
			return -EMSGSIZE;
		if (refused(reply, (size_t)n))
			return -EBUSY;
		err = proto_check_reply(reply, (size_t)n, h.type, h.seq,
					&progress);
		if (err)
			return err;
		if (!progress)
			return (int)n;
		if (on_progress) {
			err = on_progress(reply, arg);
			if (err)
				return err;
		}
	}
}
