/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contigctl's requests to contigd: connect, send, wait, and turn every
 * failure into one line on stderr and an exit code.
 */
#ifndef CONTIG_CTL_DAEMON_CALL_H
#define CONTIG_CTL_DAEMON_CALL_H

#include <stddef.h>

#include "contig_proto.h"
#include "contigctl.h"

/*
 * Send req (its header filled in by the caller but for magic, version,
 * len and seq) to the daemon under o->runtime_dir; the reply lands in
 * reply[0, cap). what names the command in messages. on_progress as for
 * contig_client_call. 0 (the reply is there and says no error), or the
 * exit code after an error line.
 */
int ctl_daemon_call(const struct ctl_opts *o, const char *what, void *req,
		    size_t len, void *reply, size_t cap, int timeout_ms,
		    int (*on_progress)(const struct contig_rep_progress *p,
				       void *arg),
		    void *arg);

#endif
