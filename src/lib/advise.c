// SPDX-License-Identifier: MIT
/*
 * contig_advise(3): one HINT request to contigd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "contig.h"
#include "lib.h"
#include "proto.h"

#define TIMEOUT_ENV "CONTIG_TIMEOUT_MS"
/* 0: the daemon's wait_timeout_ms, which it enforces itself. */
#define TIMEOUT_DEFAULT_MS 0u
/* How long we wait then: the largest wait_timeout_ms the daemon takes. */
#define DAEMON_WAIT_MAX_MS 86400000u
/* A queued hint is answered at once; a daemon this slow is not there. */
#define QUEUE_REPLY_MS 10000
/* The daemon answers ETIMEDOUT itself at the deadline; allow for that. */
#define REPLY_SLACK_MS 2000

static uint32_t timeout_ms(void)
{
	const char *s = secure_getenv(TIMEOUT_ENV);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return TIMEOUT_DEFAULT_MS;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v || v > 86400000ul || *s == '-')
		return TIMEOUT_DEFAULT_MS;
	return (uint32_t)v;
}

static uint32_t mode_of(int flags)
{
	switch (flags) {
	case CONTIG_WANT:
		return CONTIG_HINT_WANT;
	case CONTIG_NOW:
		return CONTIG_HINT_NOW | CONTIG_REQ_WAIT;
	case CONTIG_NEVER:
		return CONTIG_HINT_NEVER;
	default:
		return 0;
	}
}

CONTIG_EXPORT int contig_advise(void *addr, size_t len, int flags)
{
	struct contig_req_range rq;
	struct contig_rep_result rep;
	uint32_t mode = mode_of(flags), wait;
	uint64_t start, end;
	int n, saved = errno;

	if (!mode || lib_range(addr, len, &start, &end)) {
		errno = EINVAL;
		return -1;
	}
	if (start == end)
		return 0;
	memset(&rq, 0, sizeof(rq));
	proto_hdr_init(&rq.h, CONTIG_MSG_HINT, sizeof(rq), 0);
	rq.flags = mode;
	rq.start = start;
	rq.end = end;
	wait = flags == CONTIG_NOW ? timeout_ms() : 0;
	rq.timeout_ms = wait;
	n = lib_call(&rq, sizeof(rq), &rep, sizeof(rep),
		     flags == CONTIG_NOW ?
			     (int)((wait ? wait : DAEMON_WAIT_MAX_MS) +
				   REPLY_SLACK_MS) :
			     QUEUE_REPLY_MS);
	if (n < 0) {
		errno = -n;
		return -1;
	}
	if ((size_t)n < sizeof(rep.r) || rep.r.error) {
		errno = (size_t)n < sizeof(rep.r) ? EBADMSG : rep.r.error;
		return -1;
	}
	if (flags == CONTIG_NOW && !(rep.r.flags & CONTIG_REP_REACHED)) {
		errno = EIO;
		return -1;
	}
	errno = saved;
	return 0;
}
