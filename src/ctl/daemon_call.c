// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigctl's requests to contigd (daemon_call.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "daemon_call.h"
#include "exit_codes.h"
#include "proto.h"

/* The exit code for an errno the daemon answered with. */
static int exit_for(int error)
{
	switch (error) {
	case EPERM:
	case EACCES:
		return CTL_EXIT_PERM;
	case ESRCH:
		return CTL_EXIT_NOPROC;
	case EINVAL:
		return CTL_EXIT_USAGE;
	case ETIMEDOUT:
		return CTL_EXIT_TIMEOUT;
	default:
		return CTL_EXIT_FAIL;
	}
}

int ctl_daemon_call(const struct ctl_opts *o, const char *what, void *req,
		    size_t len, void *reply, size_t cap, int timeout_ms,
		    int (*on_progress)(const struct contig_rep_progress *p,
				       void *arg),
		    void *arg)
{
	struct contig_msg_hdr *h = req;
	struct contig_reply_hdr *r = reply;
	int fd, n;

	proto_hdr_init(h, h->type, (uint32_t)len, 1);
	n = contig_client_connect(o->runtime_dir, &fd);
	if (n == -ENOTCONN) {
		ctl_err("%s: contigd is not running (no socket at %s/%s)", what,
			o->runtime_dir, CONTIG_SOCKET_NAME);
		return CTL_EXIT_DAEMON;
	}
	if (n) {
		ctl_err("%s: connecting to contigd in %s: %s", what,
			o->runtime_dir, strerror(-n));
		return CTL_EXIT_DAEMON;
	}
	n = contig_client_call(fd, req, len, reply, cap, timeout_ms,
			       on_progress, arg);
	close(fd);
	if (n == -EBUSY) {
		ctl_err("%s: contigd refused the connection: all its slots are busy (or this user's share)",
			what);
		return CTL_EXIT_DAEMON;
	}
	if (n == -ENOTCONN) {
		ctl_err("%s: contigd closed the connection", what);
		return CTL_EXIT_DAEMON;
	}
	if (n == -ETIMEDOUT) {
		ctl_err("%s: no answer from contigd in %d ms", what,
			timeout_ms);
		return CTL_EXIT_TIMEOUT;
	}
	if (n < 0) {
		ctl_err("%s: talking to contigd: %s", what, strerror(-n));
		return CTL_EXIT_DAEMON;
	}
	if (r->error) {
		ctl_err("%s", r->message[0] ? r->message : strerror(r->error));
		return exit_for(r->error);
	}
	return 0;
}
