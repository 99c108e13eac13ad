// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prometheus text writer for the daemon's counters (see stats.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

const double stats_buckets[STATS_NR_BUCKETS] = {
	0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60,
};

#ifndef CONTIG_VERSION
#define CONTIG_VERSION "unknown"
#endif

static const char *const reason_names[STATS_REASON_COUNT] = {
	[STATS_REASON_BUSY] = "busy",
	[STATS_REASON_AGAIN] = "again",
	[STATS_REASON_REFUSED] = "refused",
	[STATS_REASON_NOMEM] = "nomem",
	[STATS_REASON_INVALID] = "invalid",
	[STATS_REASON_UNSUPPORTED] = "unsupported",
	[STATS_REASON_NOT_PRESENT] = "not_present",
	[STATS_REASON_PERM] = "perm",
	[STATS_REASON_UNVERIFIED] = "unverified",
	[STATS_REASON_OTHER] = "other",
};

static const char *const promote_names[STATS_PROMOTE_COUNT] = {
	[STATS_PROMOTE_PINNED] = "pinned",
	[STATS_PROMOTE_KSM] = "ksm",
	[STATS_PROMOTE_MLOCKED] = "mlocked",
	[STATS_PROMOTE_NOT_PRESENT] = "not_present",
	[STATS_PROMOTE_SHARED] = "shared",
	[STATS_PROMOTE_ANON_VMA] = "anon_vma",
	[STATS_PROMOTE_NOT_CONTIGUOUS] = "not_contiguous",
	[STATS_PROMOTE_THP_DISABLED] = "thp_disabled",
	[STATS_PROMOTE_BUSY] = "busy",
	[STATS_PROMOTE_OTHER] = "other",
};

static const char *const result_names[STATS_PASS_COUNT] = {
	[STATS_PASS_REACHED] = "reached",
	[STATS_PASS_PARTIAL] = "partial",
	[STATS_PASS_ERROR] = "error",
};

static const char *const request_names[STATS_REQ_COUNT] = {
	[STATS_REQ_HINT] = "hint",	     [STATS_REQ_DEFRAG] = "defrag",
	[STATS_REQ_STATUS] = "status",	     [STATS_REQ_SHOW] = "show",
	[STATS_REQ_MALFORMED] = "malformed",
};

static const char *const rerr_names[STATS_RERR_COUNT] = {
	[STATS_RERR_MALFORMED] = "malformed", [STATS_RERR_PERM] = "permission",
	[STATS_RERR_NOPROC] = "no_process",   [STATS_RERR_INVALID] = "invalid",
	[STATS_RERR_BUSY] = "busy",	      [STATS_RERR_TIMEOUT] = "timeout",
	[STATS_RERR_OTHER] = "other",
};

static const char *const phase_names[STATS_PHASE_COUNT] = {
	[STATS_PHASE_PLAN] = "plan",
	[STATS_PHASE_APPLY] = "apply",
	[STATS_PHASE_VERIFY] = "verify",
};

static const char *const observer_names[STATS_OBSERVER_COUNT] = {
	[STATS_OBSERVER_NONE] = "off", /* the configuration's word */
	[STATS_OBSERVER_PROC] = "proc",
	[STATS_OBSERVER_BPF] = "bpf",
};

const char *stats_reason_name(enum stats_reason r)
{
	return (unsigned int)r < STATS_REASON_COUNT ? reason_names[r] : "other";
}

enum stats_reason stats_reason_of(int err)
{
	switch (err) {
	case -EBUSY:
		return STATS_REASON_BUSY;
	case -EAGAIN:
		return STATS_REASON_AGAIN;
	case -ENOMEM:
		return STATS_REASON_NOMEM;
	case -EINVAL:
		return STATS_REASON_INVALID;
	case -EOPNOTSUPP:
		return STATS_REASON_UNSUPPORTED;
	case -EFAULT:
		return STATS_REASON_NOT_PRESENT;
	case -EPERM:
	case -EACCES:
		return STATS_REASON_PERM;
	default:
		return STATS_REASON_OTHER;
	}
}

enum stats_promote_reason stats_promote_reason_of(int err)
{
	switch (err) {
	case -EBUSY:
		return STATS_PROMOTE_PINNED;
	case -EOPNOTSUPP:
		return STATS_PROMOTE_KSM;
	case -ENOLCK:
		return STATS_PROMOTE_MLOCKED;
	case -EFAULT:
		return STATS_PROMOTE_NOT_PRESENT;
	case -EMLINK:
		return STATS_PROMOTE_SHARED;
	case -EXDEV:
		return STATS_PROMOTE_ANON_VMA;
	case -ERANGE:
		return STATS_PROMOTE_NOT_CONTIGUOUS;
	case -EACCES:
		return STATS_PROMOTE_THP_DISABLED;
	case -EAGAIN:
		return STATS_PROMOTE_BUSY;
	default:
		return STATS_PROMOTE_OTHER;
	}
}

void stats_init(struct stats *s, enum backend_kind backend, unsigned int abi,
		enum stats_observer observer)
{
	memset(s, 0, sizeof(*s));
	s->start_time_s = (uint64_t)time(NULL);
	s->backend = backend;
	s->backend_abi = abi;
	s->observer = observer;
}

void stats_pass(struct stats *s, enum stats_result res, double seconds)
{
	unsigned int i;

	if ((unsigned int)res < STATS_PASS_COUNT)
		s->passes[res]++;
	for (i = 0; i < STATS_NR_BUCKETS && seconds > stats_buckets[i]; i++)
		;
	s->duration_bucket[i]++;
	s->duration_sum += seconds;
	s->duration_count++;
}

void stats_add(struct stats *dst, const struct stats *src)
{
	unsigned int i;

	dst->pages_moved += src->pages_moved;
	dst->pages_exchanged += src->pages_exchanged;
	dst->blocks_collapsed += src->blocks_collapsed;
	dst->folios_split += src->folios_split;
	dst->promotions += src->promotions;
	for (i = 0; i < STATS_PROMOTE_COUNT; i++)
		dst->promotion_failures[i] += src->promotion_failures[i];
	dst->folios_whole += src->folios_whole;
	dst->pages_verified += src->pages_verified;
	dst->bytes_contiguous += src->bytes_contiguous;
	dst->retries += src->retries;
	for (i = 0; i < STATS_REASON_COUNT; i++)
		dst->ops_failed[i] += src->ops_failed[i];
	for (i = 0; i < STATS_PASS_COUNT; i++)
		dst->passes[i] += src->passes[i];
	for (i = 0; i <= STATS_NR_BUCKETS; i++)
		dst->duration_bucket[i] += src->duration_bucket[i];
	dst->duration_sum += src->duration_sum;
	dst->duration_count += src->duration_count;
	for (i = 0; i < STATS_PHASE_COUNT; i++)
		dst->phase_seconds[i] += src->phase_seconds[i];
	if (src->op_cost_set) {
		dst->op_cost_set = 1;
		for (i = 0; i < COST_KINDS; i++)
			dst->op_cost_ns[i] = src->op_cost_ns[i];
		dst->cost_batches = src->cost_batches;
	}
}

enum stats_req_error stats_req_error_of(int error)
{
	switch (error) {
	case EBADMSG:
	case EPROTO:
	case EMSGSIZE:
		return STATS_RERR_MALFORMED;
	case EPERM:
		return STATS_RERR_PERM;
	case ESRCH:
		return STATS_RERR_NOPROC;
	case EINVAL:
		return STATS_RERR_INVALID;
	case EAGAIN:
		return STATS_RERR_BUSY;
	case ETIMEDOUT:
		return STATS_RERR_TIMEOUT;
	default:
		return STATS_RERR_OTHER;
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP contigd_%s %s\n# TYPE contigd_%s %s\n", name, help,
		name, type);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	head(f, name, "counter", help);
	fprintf(f, "contigd_%s %" PRIu64 "\n", name, v);
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t v)
{
	head(f, name, "gauge", help);
	fprintf(f, "contigd_%s %" PRIu64 "\n", name, v);
}

int stats_format(const struct stats *s, FILE *f)
{
	struct cost_model prior;
	const double *prior_ns = prior.prior_ns;
	uint64_t cum = 0;
	unsigned int i;

	cost_init(&prior);
	head(f, "build_info", "gauge", "The version of contigd (always 1).");
	fprintf(f, "contigd_build_info{version=\"%s\"} 1\n", CONTIG_VERSION);
	gauge(f, "start_time_seconds",
	      "When contigd started, in seconds since the Unix epoch.",
	      s->start_time_s);
	head(f, "backend_info", "gauge",
	     "The backend in use and the kernel helper ABI (0 without it); always 1.");
	fprintf(f, "contigd_backend_info{backend=\"%s\",abi=\"%u\"} 1\n",
		backend_kind_name(s->backend), s->backend_abi);
	head(f, "observer_mode", "gauge",
	     "How VMA activity is observed (1 for the active mode).");
	for (i = 0; i < STATS_OBSERVER_COUNT; i++)
		fprintf(f, "contigd_observer_mode{mode=\"%s\"} %d\n",
			observer_names[i], i == s->observer);
	head(f, "queue_length", "gauge", "Defragmentation requests waiting.");
	fprintf(f, "contigd_queue_length %" PRIu64 "\n", s->queue_length);
	gauge(f, "watched_processes", "Processes the observer watches.",
	      s->watched);
	gauge(f, "claimed_windows",
	      "Physical windows claimed as anchors of VMAs.", s->claims);
	gauge(f, "clients", "Control-socket connections open.", s->clients);
	head(f, "requests_total", "counter",
	     "Control-socket requests received, by type.");
	for (i = 0; i < STATS_REQ_COUNT; i++)
		fprintf(f, "contigd_requests_total{type=\"%s\"} %" PRIu64 "\n",
			request_names[i], s->requests[i]);
	head(f, "request_errors_total", "counter",
	     "Control-socket requests answered with an error, by class.");
	for (i = 0; i < STATS_RERR_COUNT; i++)
		fprintf(f,
			"contigd_request_errors_total{error=\"%s\"} %" PRIu64
			"\n",
			rerr_names[i], s->request_errors[i]);
	counter(f, "clients_refused_total",
		"Connections closed at once: too many clients.",
		s->clients_refused);
	counter(f, "contiguity_decays_total",
		"Defragmented VMAs whose pages the kernel moved again.",
		s->decays);
	counter(f, "pages_moved_total",
		"Pages moved into a free frame (backend reported done).",
		s->pages_moved);
	counter(f, "pages_exchanged_total",
		"Pages exchanged with the frame's occupant (backend reported done).",
		s->pages_exchanged);
	counter(f, "blocks_collapsed_total",
		"2 MiB blocks verified backed by one aligned 2 MiB frame block.",
		s->blocks_collapsed);
	counter(f, "folios_split_total",
		"Large folios (THPs) split into base pages to place a page.",
		s->folios_split);
	counter(f, "promotions_total",
		"2 MiB blocks of contiguous pages made huge pages in place.",
		s->promotions);
	head(f, "promotion_failures_total", "counter",
	     "2 MiB blocks of contiguous pages the kernel refused to promote, by reason.");
	for (i = 0; i < STATS_PROMOTE_COUNT; i++)
		fprintf(f,
			"contigd_promotion_failures_total{reason=\"%s\"} %" PRIu64
			"\n",
			promote_names[i], s->promotion_failures[i]);
	counter(f, "folios_moved_whole_total",
		"Large folios (THPs, mTHPs) moved whole into a free aligned window.",
		s->folios_whole);
	counter(f, "pages_verified_total",
		"Pages seen in their target place by re-reading pagemap.",
		s->pages_verified);
	counter(f, "contiguous_bytes_total",
		"Bytes newly made physically contiguous (verified).",
		s->bytes_contiguous);
	head(f, "ops_failed_total", "counter",
	     "Operations given up, by reason.");
	for (i = 0; i < STATS_REASON_COUNT; i++)
		fprintf(f,
			"contigd_ops_failed_total{reason=\"%s\"} %" PRIu64 "\n",
			reason_names[i], s->ops_failed[i]);
	counter(f, "op_retries_total",
		"Operations tried again after -EBUSY or -EAGAIN.", s->retries);
	head(f, "passes_total", "counter",
	     "Defragmentation passes, by outcome.");
	for (i = 0; i < STATS_PASS_COUNT; i++)
		fprintf(f, "contigd_passes_total{result=\"%s\"} %" PRIu64 "\n",
			result_names[i], s->passes[i]);
	head(f, "pass_duration_seconds", "histogram",
	     "Wall-clock duration of defragmentation passes.");
	for (i = 0; i < STATS_NR_BUCKETS; i++) {
		cum += s->duration_bucket[i];
		fprintf(f,
			"contigd_pass_duration_seconds_bucket{le=\"%g\"} %" PRIu64
			"\n",
			stats_buckets[i], cum);
	}
	cum += s->duration_bucket[STATS_NR_BUCKETS];
	fprintf(f,
		"contigd_pass_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64
		"\n",
		cum);
	fprintf(f, "contigd_pass_duration_seconds_sum %.6f\n", s->duration_sum);
	fprintf(f, "contigd_pass_duration_seconds_count %" PRIu64 "\n",
		s->duration_count);
	head(f, "pass_phase_seconds_total", "counter",
	     "Time of passes by phase; the rest of a pass reads frames.");
	for (i = 0; i < STATS_PHASE_COUNT; i++)
		fprintf(f, "contigd_pass_phase_seconds_total{phase=\"%s\"} %.6f\n",
			phase_names[i], s->phase_seconds[i]);
	/* Before any timed pass (or with the collapse backend): the prior. */
	head(f, "op_cost_seconds", "gauge",
	     "Expected time of one op by kind, as the planner weighs it.");
	for (i = 0; i < COST_KINDS; i++)
		fprintf(f, "contigd_op_cost_seconds{kind=\"%s\"} %.9f\n",
			cost_kind_name(i),
			(s->op_cost_set ? s->op_cost_ns[i] : prior_ns[i]) / 1e9);
	gauge(f, "op_cost_batches",
	      "Batches the op times are fitted to (0: the prior).",
	      s->op_cost_set ? s->cost_batches : 0);
	return ferror(f) ? -EIO : 0;
}

int stats_write(const struct stats *s, const char *path)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + sizeof(".XXXXXX"));
	FILE *f = NULL;
	int fd = -1, err = 0;

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".XXXXXX", sizeof(".XXXXXX"));
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (fchmod(fd, 0644)) {
		err = -errno;
		goto out_unlink;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		goto out_unlink;
	}
	fd = -1;
	err = stats_format(s, f);
	if (!err && fflush(f))
		err = -errno;
	if (!err && fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	f = NULL;
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err)
		goto out;
out_unlink:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	return err;
}
