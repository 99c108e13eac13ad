/* SPDX-License-Identifier: MIT */
/*
 * contig.h - ask contigd to make a buffer physically contiguous
 *
 * libcontig (link with -lcontig, pkg-config contig). See contig_advise(3)
 * and contig_query(3).
 *
 *	buf = mmap(NULL, len, ...);
 *	... fill it ...
 *	if (contig_advise(buf, len, CONTIG_NOW))
 *		perror("contig_advise");	(ENOTCONN: no contigd)
 *
 * Thread-safe. The library keeps at most one idle connection to the
 * daemon, opened on first use and reopened after a fork or when the
 * daemon restarted; it never raises SIGPIPE and never aborts the program.
 */
#ifndef CONTIG_H
#define CONTIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* contig_advise() flags: exactly one. */
#define CONTIG_WANT 1 /* queue the range; return at once */
#define CONTIG_NOW 2 /* do it first; return when done, failed or timed out */
#define CONTIG_NEVER 4 /* never touch it on contigd's own initiative */

/*
 * Advise contigd about [addr, addr + len) of the calling process. addr
 * must be page-aligned; len is rounded up to whole pages; len 0 does
 * nothing. CONTIG_NOW waits at most $CONTIG_TIMEOUT_MS milliseconds
 * (default 60000). Returns 0, or -1 with errno:
 *   ENOTCONN   no daemon answers (or it went away during the call)
 *   EINVAL     bad flags, addr not page-aligned, range wraps around, or
 *              no private writable anonymous memory in the range
 *   EPERM      the daemon refused (e.g. it cannot read our frames)
 *   ETIMEDOUT  CONTIG_NOW: not done in time (the work goes on)
 *   EAGAIN     the daemon's queue is full, or it is shutting down
 *   EIO        the work ran and failed; ENOMEM, EPROTO, EBADMSG
 * CONTIG_NOW returns 0 only when the range reached its target.
 */
int contig_advise(void *addr, size_t len, int flags);

/* Contiguity of a range; "runs" are maximal stretches in which both the
 * virtual and the physical page number advance by one. */
struct contig_report {
	uint64_t pages; /* pages in the range */
	uint64_t present; /* pages with a physical frame */
	uint64_t runs;
	uint64_t largest_run; /* pages in the largest run */
	uint64_t runs_99; /* fewest runs covering 99 % of the present pages */
	uint64_t aligned_2m; /* 2 MiB blocks backed by an aligned 2 MiB frame */
};

/*
 * The current figures of [addr, addr + len) of the calling process, read
 * from /proc/self/pagemap: no daemon needed. Returns 0, or -1 with errno:
 *   EINVAL  addr not page-aligned, len 0, range wraps, out is NULL
 *   EPERM   physical frame numbers are hidden (they need CAP_SYS_ADMIN)
 *   ENOMEM, or an errno of opening or reading pagemap
 */
int contig_query(void *addr, size_t len, struct contig_report *out);

#ifdef __cplusplus
}
#endif

#endif
