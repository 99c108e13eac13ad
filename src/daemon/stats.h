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

enum stats_result {
	STATS_PASS_REACHED = 0, /* the target contiguity was reached */
	STATS_PASS_PARTIAL, /* ran, target not reached */
	STATS_PASS_ERROR, /* could not run (process gone, no access) */
	STATS_PASS_COUNT,
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
};

const char *stats_reason_name(enum stats_reason r);
/* The reason for a negative errno that ended an op. */
enum stats_reason stats_reason_of(int err);

void stats_init(struct stats *s, enum backend_kind backend, unsigned int abi,
		enum stats_observer observer);
void stats_pass(struct stats *s, enum stats_result res, double seconds);
/* Add src's pass counters (pages, ops, passes, durations) to dst. */
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
