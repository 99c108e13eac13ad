// SPDX-License-Identifier: MIT
/*
 * Control-socket client (client.h).
 */
#include <errno.h>
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

	if (!dir || !*dir)
		dir = getenv(CONTIG_RUNTIME_DIR_ENV);
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
	n = send(fd, req, len, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EPIPE || errno == ECONNRESET ? -ENOTCONN :
							       -errno;
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
		if (n < 0)
			return errno == ECONNRESET ? -ENOTCONN : -errno;
		if (n == 0)
			return -ENOTCONN;
		if ((size_t)n > cap)
			return -EMSGSIZE;
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
