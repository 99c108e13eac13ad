/* SPDX-License-Identifier: MIT */
/*
 * The client side of the control socket, shared by contigctl and
 * libcontig: connect, one request, its answers. Never raises SIGPIPE.
 */
#ifndef CONTIG_PROTO_CLIENT_H
#define CONTIG_PROTO_CLIENT_H

#include <stddef.h>

#include "contig_proto.h"

/* The socket directory when none is given: this, or CONTIG_RUNTIME_DIR. */
#define CONTIG_RUNTIME_DIR_ENV "CONTIGD_RUNTIME_DIR"

/*
 * Connect to <runtime_dir>/contigd.sock (NULL: $CONTIGD_RUNTIME_DIR, read
 * with secure_getenv, or /run/contigd). 0 and *fd (SOCK_SEQPACKET,
 * close-on-exec), -ENOTCONN when no daemon listens there, -ENAMETOOLONG,
 * -EACCES, -errno.
 */
int contig_client_connect(const char *runtime_dir, int *fd);

/*
 * Send the request req[0, len) and wait up to timeout_ms (< 0: forever)
 * (a request naming a process goes with a descriptor of its
 * /proc/PID/pagemap: the proof of access the daemon requires)
 * for its reply into reply[0, cap), cap >= the reply's size (at most
 * CONTIG_PROTO_MAX_REPLY). PROGRESS packets on the way go to on_progress
 * (when not NULL; a non-zero return stops waiting with that value).
 * Returns the reply's length (an answer with an error in it is still a
 * reply), or -ETIMEDOUT, -ENOTCONN (the daemon closed the connection or
 * went away), -EBUSY (the daemon refused the connection: all its slots
 * busy, or this uid's share of them), -EBADMSG/-EPROTO (not a valid answer), -errno.
 */
int contig_client_call(int fd, const void *req, size_t len, void *reply,
		       size_t cap, int timeout_ms,
		       int (*on_progress)(const struct contig_rep_progress *p,
					  void *arg),
		       void *arg);

#endif
