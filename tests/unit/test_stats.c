// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stats file: exact exposition text for a known state, and the
 * atomic replace (temp file + rename, nothing left behind).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stats.h"

static const char expected[] =
	"# HELP contigd_build_info The version of contigd (always 1).\n"
	"# TYPE contigd_build_info gauge\n"
	"contigd_build_info{version=\"" CONTIG_VERSION "\"} 1\n"
	"# HELP contigd_start_time_seconds When contigd started, in seconds since the Unix epoch.\n"
	"# TYPE contigd_start_time_seconds gauge\n"
	"contigd_start_time_seconds 1764320000\n"
	"# HELP contigd_backend_info The backend in use and the kernel helper ABI (0 without it); always 1.\n"
	"# TYPE contigd_backend_info gauge\n"
	"contigd_backend_info{backend=\"collapse\",abi=\"0\"} 1\n"
	"# HELP contigd_observer_mode How VMA activity is observed (1 for the active mode).\n"
	"# TYPE contigd_observer_mode gauge\n"
	"contigd_observer_mode{mode=\"off\"} 0\n"
	"contigd_observer_mode{mode=\"proc\"} 1\n"
	"contigd_observer_mode{mode=\"bpf\"} 0\n"
	"# HELP contigd_queue_length Defragmentation requests waiting.\n"
	"# TYPE contigd_queue_length gauge\n"
	"contigd_queue_length 2\n"
	"# HELP contigd_watched_processes Processes the observer watches.\n"
	"# TYPE contigd_watched_processes gauge\n"
	"contigd_watched_processes 5\n"
	"# HELP contigd_claimed_windows Physical windows claimed as anchors of VMAs.\n"
	"# TYPE contigd_claimed_windows gauge\n"
	"contigd_claimed_windows 7\n"
	"# HELP contigd_clients Control-socket connections open.\n"
	"# TYPE contigd_clients gauge\n"
	"contigd_clients 1\n"
	"# HELP contigd_requests_total Control-socket requests received, by type.\n"
	"# TYPE contigd_requests_total counter\n"
	"contigd_requests_total{type=\"hint\"} 8\n"
	"contigd_requests_total{type=\"defrag\"} 2\n"
	"contigd_requests_total{type=\"status\"} 0\n"
	"contigd_requests_total{type=\"show\"} 0\n"
	"contigd_requests_total{type=\"malformed\"} 3\n"
	"# HELP contigd_request_errors_total Control-socket requests answered with an error, by class.\n"
	"# TYPE contigd_request_errors_total counter\n"
	"contigd_request_errors_total{error=\"malformed\"} 3\n"
	"contigd_request_errors_total{error=\"permission\"} 1\n"
	"contigd_request_errors_total{error=\"no_process\"} 0\n"
	"contigd_request_errors_total{error=\"invalid\"} 0\n"
	"contigd_request_errors_total{error=\"busy\"} 0\n"
	"contigd_request_errors_total{error=\"timeout\"} 0\n"
	"contigd_request_errors_total{error=\"other\"} 0\n"
	"# HELP contigd_clients_refused_total Connections closed at once: too many clients.\n"
	"# TYPE contigd_clients_refused_total counter\n"
	"contigd_clients_refused_total 9\n"
	"# HELP contigd_contiguity_decays_total Defragmented VMAs whose pages the kernel moved again.\n"
	"# TYPE contigd_contiguity_decays_total counter\n"
	"contigd_contiguity_decays_total 10\n"
	"# HELP contigd_pages_moved_total Pages moved into a free frame (backend reported done).\n"
	"# TYPE contigd_pages_moved_total counter\n"
	"contigd_pages_moved_total 3\n"
	"# HELP contigd_pages_exchanged_total Pages exchanged with the frame's occupant (backend reported done).\n"
	"# TYPE contigd_pages_exchanged_total counter\n"
	"contigd_pages_exchanged_total 4\n"
	"# HELP contigd_blocks_collapsed_total 2 MiB blocks verified backed by one aligned 2 MiB frame block.\n"
	"# TYPE contigd_blocks_collapsed_total counter\n"
	"contigd_blocks_collapsed_total 31\n"
	"# HELP contigd_folios_split_total Large folios (THPs) split into base pages to place a page.\n"
	"# TYPE contigd_folios_split_total counter\n"
	"contigd_folios_split_total 5\n"
	"# HELP contigd_promotions_total 2 MiB blocks of contiguous pages made huge pages in place.\n"
	"# TYPE contigd_promotions_total counter\n"
	"contigd_promotions_total 0\n"
	"# HELP contigd_promotion_failures_total 2 MiB blocks of contiguous pages the kernel refused to promote, by reason.\n"
	"# TYPE contigd_promotion_failures_total counter\n"
	"contigd_promotion_failures_total{reason=\"pinned\"} 0\n"
	"contigd_promotion_failures_total{reason=\"ksm\"} 0\n"
	"contigd_promotion_failures_total{reason=\"mlocked\"} 0\n"
	"contigd_promotion_failures_total{reason=\"not_present\"} 0\n"
	"contigd_promotion_failures_total{reason=\"shared\"} 0\n"
	"contigd_promotion_failures_total{reason=\"anon_vma\"} 0\n"
	"contigd_promotion_failures_total{reason=\"not_contiguous\"} 0\n"
	"contigd_promotion_failures_total{reason=\"thp_disabled\"} 0\n"
	"contigd_promotion_failures_total{reason=\"busy\"} 0\n"
	"contigd_promotion_failures_total{reason=\"other\"} 0\n"
	"# HELP contigd_folios_moved_whole_total Large folios (THPs, mTHPs) moved whole into a free aligned window.\n"
	"# TYPE contigd_folios_moved_whole_total counter\n"
	"contigd_folios_moved_whole_total 7\n"
	"# HELP contigd_pages_verified_total Pages seen in their target place by re-reading pagemap.\n"
	"# TYPE contigd_pages_verified_total counter\n"
	"contigd_pages_verified_total 15872\n"
	"# HELP contigd_contiguous_bytes_total Bytes newly made physically contiguous (verified).\n"
	"# TYPE contigd_contiguous_bytes_total counter\n"
	"contigd_contiguous_bytes_total 65011712\n"
	"# HELP contigd_ops_failed_total Operations given up, by reason.\n"
	"# TYPE contigd_ops_failed_total counter\n"
	"contigd_ops_failed_total{reason=\"busy\"} 1\n"
	"contigd_ops_failed_total{reason=\"again\"} 0\n"
	"contigd_ops_failed_total{reason=\"refused\"} 4\n"
	"contigd_ops_failed_total{reason=\"nomem\"} 0\n"
	"contigd_ops_failed_total{reason=\"invalid\"} 0\n"
	"contigd_ops_failed_total{reason=\"unsupported\"} 0\n"
	"contigd_ops_failed_total{reason=\"not_present\"} 0\n"
	"contigd_ops_failed_total{reason=\"perm\"} 0\n"
	"contigd_ops_failed_total{reason=\"unverified\"} 0\n"
	"contigd_ops_failed_total{reason=\"other\"} 0\n"
	"# HELP contigd_op_retries_total Operations tried again after -EBUSY or -EAGAIN.\n"
	"# TYPE contigd_op_retries_total counter\n"
	"contigd_op_retries_total 6\n"
	"# HELP contigd_passes_total Defragmentation passes, by outcome.\n"
	"# TYPE contigd_passes_total counter\n"
	"contigd_passes_total{result=\"reached\"} 2\n"
	"contigd_passes_total{result=\"partial\"} 1\n"
	"contigd_passes_total{result=\"error\"} 1\n"
	"# HELP contigd_pass_duration_seconds Wall-clock duration of defragmentation passes.\n"
	"# TYPE contigd_pass_duration_seconds histogram\n"
	"contigd_pass_duration_seconds_bucket{le=\"0.001\"} 1\n"
	"contigd_pass_duration_seconds_bucket{le=\"0.01\"} 1\n"
	"contigd_pass_duration_seconds_bucket{le=\"0.1\"} 1\n"
	"contigd_pass_duration_seconds_bucket{le=\"0.5\"} 2\n"
	"contigd_pass_duration_seconds_bucket{le=\"1\"} 2\n"
	"contigd_pass_duration_seconds_bucket{le=\"2.5\"} 2\n"
	"contigd_pass_duration_seconds_bucket{le=\"5\"} 3\n"
	"contigd_pass_duration_seconds_bucket{le=\"10\"} 3\n"
	"contigd_pass_duration_seconds_bucket{le=\"30\"} 3\n"
	"contigd_pass_duration_seconds_bucket{le=\"60\"} 3\n"
	"contigd_pass_duration_seconds_bucket{le=\"+Inf\"} 4\n"
	"contigd_pass_duration_seconds_sum 123.250500\n"
	"contigd_pass_duration_seconds_count 4\n"
	"# HELP contigd_pass_phase_seconds_total Time of passes by phase; the rest of a pass reads frames.\n"
	"# TYPE contigd_pass_phase_seconds_total counter\n"
	"contigd_pass_phase_seconds_total{phase=\"plan\"} 0.125000\n"
	"contigd_pass_phase_seconds_total{phase=\"apply\"} 100.500000\n"
	"contigd_pass_phase_seconds_total{phase=\"verify\"} 2.000000\n"
	"# HELP contigd_op_cost_seconds Expected time of one op by kind, as the planner weighs it.\n"
	"# TYPE contigd_op_cost_seconds gauge\n"
	"contigd_op_cost_seconds{kind=\"move\"} 0.000030000\n"
	"contigd_op_cost_seconds{kind=\"exchange\"} 0.000010500\n"
	"contigd_op_cost_seconds{kind=\"exchange_migrate\"} 0.000400000\n"
	"# HELP contigd_op_cost_batches Batches the op times are fitted to (0: the prior).\n"
	"# TYPE contigd_op_cost_batches gauge\n"
	"contigd_op_cost_batches 11\n";

static void known_state(struct stats *s)
{
	stats_init(s, BACKEND_COLLAPSE, 0, STATS_OBSERVER_PROC);
	ck_assert_uint_ge(s->start_time_s, 1764320000); /* set by stats_init */
	s->start_time_s = 1764320000;
	s->queue_length = 2;
	s->watched = 5;
	s->claims = 7;
	s->clients = 1;
	s->requests[STATS_REQ_HINT] = 8;
	s->requests[STATS_REQ_DEFRAG] = 2;
	s->requests[STATS_REQ_MALFORMED] = 3;
	s->request_errors[stats_req_error_of(EBADMSG)] = 3;
	s->request_errors[stats_req_error_of(EPERM)] = 1;
	s->clients_refused = 9;
	s->decays = 10;
	s->pages_moved = 3;
	s->pages_exchanged = 4;
	s->blocks_collapsed = 31;
	s->folios_split = 5;
	s->folios_whole = 7;
	s->pages_verified = 15872;
	s->bytes_contiguous = 65011712;
	s->ops_failed[STATS_REASON_BUSY] = 1;
	s->ops_failed[STATS_REASON_REFUSED] = 4;
	s->retries = 6;
	/* 0.0005 s <= 0.001; 0.25 <= 0.5; 3 <= 5; 120: only +Inf */
	stats_pass(s, STATS_PASS_REACHED, 0.25);
	stats_pass(s, STATS_PASS_PARTIAL, 3);
	stats_pass(s, STATS_PASS_ERROR, 0.0005);
	stats_pass(s, STATS_PASS_REACHED, 120);
	s->phase_seconds[STATS_PHASE_PLAN] = 0.125;
	s->phase_seconds[STATS_PHASE_APPLY] = 100.5;
	s->phase_seconds[STATS_PHASE_VERIFY] = 2;
	s->op_cost_set = 1;
	s->op_cost_ns[COST_MOVE] = 30000;
	s->op_cost_ns[COST_EXCHANGE] = 10500;
	s->op_cost_ns[COST_EXCHANGE_MIGRATE] = 400000;
	s->cost_batches = 11;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

START_TEST(test_stats_exact_text)
{
	struct stats s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	known_state(&s);
	ck_assert_int_eq(stats_format(&s, f), 0);
	fclose(f);
	ck_assert_str_eq(buf, expected);
	free(buf);
}
END_TEST

START_TEST(test_stats_reasons)
{
	ck_assert_int_eq(stats_reason_of(-EBUSY), STATS_REASON_BUSY);
	ck_assert_int_eq(stats_reason_of(-EAGAIN), STATS_REASON_AGAIN);
	ck_assert_int_eq(stats_reason_of(-EACCES), STATS_REASON_PERM);
	ck_assert_int_eq(stats_reason_of(-E2BIG), STATS_REASON_OTHER);
	ck_assert_str_eq(stats_reason_name(STATS_REASON_REFUSED), "refused");
	ck_assert_str_eq(stats_reason_name(STATS_REASON_COUNT), "other");
}
END_TEST

/* The worker adds each pass's private counters to the daemon's. */
START_TEST(test_stats_add)
{
	struct stats a, b;
	unsigned int i;

	known_state(&a);
	known_state(&b);
	stats_add(&a, &b);
	ck_assert_uint_eq(a.pages_moved, 6);
	ck_assert_uint_eq(a.pages_exchanged, 8);
	ck_assert_uint_eq(a.blocks_collapsed, 62);
	ck_assert_uint_eq(a.folios_split, 10);
	ck_assert_uint_eq(a.folios_whole, 14);
	ck_assert_uint_eq(a.pages_verified, 2 * 15872);
	ck_assert_uint_eq(a.bytes_contiguous, 2 * 65011712ull);
	ck_assert_uint_eq(a.ops_failed[STATS_REASON_REFUSED], 8);
	ck_assert_uint_eq(a.retries, 12);
	ck_assert_uint_eq(a.passes[STATS_PASS_REACHED], 4);
	ck_assert_uint_eq(a.duration_count, 8);
	for (i = 0; i <= STATS_NR_BUCKETS; i++)
		ck_assert_uint_eq(a.duration_bucket[i],
				  2 * b.duration_bucket[i]);
	ck_assert(a.duration_sum == 2 * b.duration_sum);
	ck_assert(a.phase_seconds[STATS_PHASE_APPLY] == 201);
	/* op times are replaced, not added; none in b: a's stay */
	ck_assert(a.op_cost_ns[COST_MOVE] == 30000 && a.cost_batches == 11);
	b.op_cost_ns[COST_MOVE] = 20000;
	b.cost_batches = 12;
	stats_add(&a, &b);
	ck_assert(a.op_cost_ns[COST_MOVE] == 20000 && a.cost_batches == 12);
	b.op_cost_set = 0;
	b.op_cost_ns[COST_MOVE] = 1;
	stats_add(&a, &b);
	ck_assert(a.op_cost_ns[COST_MOVE] == 20000);
	/* gauges and request counters belong to the main thread: untouched */
	ck_assert_uint_eq(a.queue_length, 2);
	ck_assert_uint_eq(a.requests[STATS_REQ_HINT], 8);
	ck_assert_uint_eq(a.clients_refused, 9);
}
END_TEST

START_TEST(test_stats_atomic_replace)
{
	char dir[] = "/tmp/test_stats.XXXXXX", path[64], *text;
	struct stats s;
	struct stat sb;
	FILE *old;
	char first[32] = "";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	old = fopen(path, "w");
	ck_assert_ptr_nonnull(old);
	fputs("old contents\n", old);
	fclose(old);
	/* a reader that opened the file before keeps the old inode */
	old = fopen(path, "r");
	ck_assert_ptr_nonnull(old);

	known_state(&s);
	ck_assert_int_eq(stats_write(&s, path), 0);
	text = read_all(path);
	ck_assert_str_eq(text, expected);
	free(text);
	ck_assert_ptr_nonnull(fgets(first, sizeof(first), old));
	ck_assert_str_eq(first, "old contents\n");
	fclose(old);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0644);
	/* no temporary file left beside it */
	ck_assert_uint_eq(dir_entries(dir), 1);

	/* a directory that does not exist: error, nothing written */
	snprintf(path, sizeof(path), "%s/none/metrics.prom", dir);
	ck_assert_int_eq(stats_write(&s, path), -ENOENT);
	ck_assert_uint_eq(dir_entries(dir), 1);

	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *test_stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("prometheus");

	tcase_add_test(tc, test_stats_exact_text);
	tcase_add_test(tc, test_stats_reasons);
	tcase_add_test(tc, test_stats_add);
	tcase_add_test(tc, test_stats_atomic_replace);
	suite_add_tcase(s, tc);
	return s;
}
