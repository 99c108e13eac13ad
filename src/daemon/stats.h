/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The stats file: Prometheus text exposition format (version 0.0.4), as
 * node_exporter's textfile collector reads it. Metric names start with
 * contigd_, counters end in _total, every label takes values from a
 * fixed set (bounded cardinality). Written atomically: a temporary file
 * in the same directory, then rename().
 */
#ifndef CONTIG_DAEMON_STATS_H
#define CONTIG_DAEMON_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "backend.h"
#include "cost.h"

/* Why an op failed for good (label "reason"). */
enum stats_reason {
	STATS_REASON_BUSY = 0, /* -EBUSY, retried, then given up */
	STATS_REASON_AGAIN, /* -EAGAIN, retried, then given up */
	STATS_REASON_REFUSED, /* region refuses huge pages (MADV_NOHUGEPAGE) */
	STATS_REASON_NOMEM, /* -ENOMEM: no huge page or memory to copy into */
	STATS_REASON_INVALID, /* -EINVAL: not eligible (file, special, ...) */
	STATS_REASON_UNSUPPORTED, /* -EOPNOTSUPP: huge page, KSM, swap cache */
	STATS_REASON_NOT_PRESENT, /* -EFAULT: nothing mapped there */
	STATS_REASON_PERM, /* -EPERM/-EACCES */
	STATS_REASON_UNVERIFIED, /* reported done, pagemap disagrees */
	STATS_REASON_OTHER,
	STATS_REASON_COUNT,
};

/* Why the kernel refused to promote a block in place (label "reason"). */
enum stats_promote_reason {
	STATS_PROMOTE_PINNED = 0, /* -EBUSY: a page pinned or referenced */
	STATS_PROMOTE_KSM, /* -EOPNOTSUPP: KSM or swap-cache page, ... */
	STATS_PROMOTE_MLOCKED, /* -ENOLCK: mlocked */
	STATS_PROMOTE_NOT_PRESENT, /* -EFAULT: a page not present */
	STATS_PROMOTE_SHARED, /* -EMLINK: mapped twice, or a large folio */
	STATS_PROMOTE_ANON_VMA, /* -EXDEV: another anon_vma or memcg */
	STATS_PROMOTE_NOT_CONTIGUOUS, /* -ERANGE: frames out of order */
	STATS_PROMOTE_THP_DISABLED, /* -EACCES: MADV_NOHUGEPAGE, prctl */
	STATS_PROMOTE_BUSY, /* -EAGAIN: still transient after retries */
	STATS_PROMOTE_OTHER,
	STATS_PROMOTE_COUNT,
};

enum stats_result {
	STATS_PASS_REACHED = 0, /* the target contiguity was reached */
	STATS_PASS_PARTIAL, /* ran, target not reached */
	STATS_PASS_ERROR, /* could not run (process gone, no access) */
	STATS_PASS_COUNT,
};

/* Where a pass's time goes (label "phase"); the rest is reading frames. */
enum stats_phase {
	STATS_PHASE_PLAN = 0, /* frame map, anchor and plan */
	STATS_PHASE_APPLY, /* batches in the backend */
	STATS_PHASE_VERIFY, /* re-reading the frames a batch touched */
	STATS_PHASE_COUNT,
};

enum stats_observer {
	STATS_OBSERVER_NONE = 0,
	STATS_OBSERVER_PROC,
	STATS_OBSERVER_BPF,
	STATS_OBSERVER_COUNT,
};

/* Control-socket requests (label "type"). */
enum stats_request {
	STATS_REQ_HINT = 0,
	STATS_REQ_DEFRAG,
	STATS_REQ_STATUS,
	STATS_REQ_SHOW,
	STATS_REQ_MALFORMED, /* could not be read: wrong size, version ... */
	STATS_REQ_COUNT,
};

/* Requests answered with an error (label "error"). */
enum stats_req_error {
	STATS_RERR_MALFORMED = 0, /* EBADMSG, EPROTO, EMSGSIZE */
	STATS_RERR_PERM, /* EPERM */
	STATS_RERR_NOPROC, /* ESRCH */
	STATS_RERR_INVALID, /* EINVAL */
	STATS_RERR_BUSY, /* EAGAIN: queue full, shutting down */
	STATS_RERR_TIMEOUT, /* ETIMEDOUT */
	STATS_RERR_OTHER,
	STATS_RERR_COUNT,
};

/* Upper bounds (seconds) of the pass duration buckets; +Inf follows. */
#define STATS_NR_BUCKETS 10
extern const double stats_buckets[STATS_NR_BUCKETS];

struct stats {
	enum backend_kind backend;
	unsigned int backend_abi; /* kmod: ABI version; else 0 */
	enum stats_observer observer;
	uint64_t start_time_s; /* when the daemon started, Unix time */
	uint64_t pages_moved; /* MOVE ops the backend reported done */
	uint64_t pages_exchanged; /* EXCHANGE ops reported done */
	uint64_t blocks_collapsed; /* 2 MiB blocks verified aligned */
	uint64_t folios_split; /* large folios split to place a page */
	uint64_t promotions; /* 2 MiB blocks promoted to huge pages in place */
	uint64_t promotion_failures[STATS_PROMOTE_COUNT];
	uint64_t folios_whole; /* large folios moved whole (not split) */
	uint64_t pages_verified; /* pages seen at their target after a batch */
	uint64_t bytes_contiguous; /* bytes newly in contiguous place */
	uint64_t ops_failed[STATS_REASON_COUNT];
	uint64_t retries;
	uint64_t passes[STATS_PASS_COUNT];
	uint64_t queue_length;
	uint64_t watched; /* processes the observer watches */
	uint64_t claims; /* physical windows claimed */
	uint64_t clients; /* control connections open */
	uint64_t requests[STATS_REQ_COUNT];
	uint64_t request_errors[STATS_RERR_COUNT];
	uint64_t clients_refused; /* connections over max_clients */
	uint64_t decays; /* done VMAs whose pages moved again */
	uint64_t duration_bucket[STATS_NR_BUCKETS + 1]; /* not cumulative */
	double duration_sum;
	uint64_t duration_count;
	double phase_seconds[STATS_PHASE_COUNT];
	/* Op times in use (cost.h), once a pass had a cost model. */
	int op_cost_set;
	double op_cost_ns[COST_KINDS];
	uint64_t cost_batches; /* batches they were fitted to (0: the prior) */
};

const char *stats_reason_name(enum stats_reason r);
/* The reason for a negative errno that ended an op. */
enum stats_reason stats_reason_of(int err);
/* The reason for a negative errno that refused a promotion. */
enum stats_promote_reason stats_promote_reason_of(int err);

void stats_init(struct stats *s, enum backend_kind backend, unsigned int abi,
		enum stats_observer observer);
void stats_pass(struct stats *s, enum stats_result res, double seconds);
/*
 * Add src's pass counters (pages, ops, passes, durations, phases) to dst;
 * src's op times, if it has them, replace dst's.
 */
void stats_add(struct stats *dst, const struct stats *src);
/* The error class of a positive errno sent in a reply. */
enum stats_req_error stats_req_error_of(int error);

/* The whole exposition text into f. 0 or -EIO. */
int stats_format(const struct stats *s, FILE *f);

/*
 * Write the file at path atomically (path.XXXXXX in the same directory,
 * mode 0644, fsync, rename). 0 or -errno; nothing is left behind on error.
 */
int stats_write(const struct stats *s, const char *path);

#endif
