// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigctl defrag PID [--range START-END] [--wait [--timeout MS]] [--json]
 *
 * Asks contigd to defragment the process (or the range). Without --wait
 * it returns once the request is queued. With --wait it shows progress
 * (a bar on a terminal, a line a second otherwise, on stderr) and ends
 * with the figures before and after: exit 0 when the target was reached,
 * 5 when not, 11 when the wait ran out first (src/common/exit_codes.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon_call.h"
#include "exit_codes.h"
#include "json.h"
#include "proc_file.h"
#include "text.h"

/* The daemon answers ETIMEDOUT itself; wait a little longer for it. */
#define SLACK_MS 5000
/*
 * Without --timeout the daemon's wait_timeout_ms applies (the request
 * says 0); the daemon answers ETIMEDOUT itself then, so we wait as long
 * as the largest wait_timeout_ms it accepts.
 */
#define DAEMON_WAIT_MAX_MS 86400000u
#define QUEUE_MS 10000
#define BAR_WIDTH 40

struct progress {
	bool tty;
	time_t last_line;
	bool drawn;
};

static int on_progress(const struct contig_rep_progress *p, void *arg)
{
	struct progress *pr = arg;
	uint64_t done = p->ops_done, total = p->ops_total;
	unsigned int pct = total ? (unsigned int)(done * 100 / total) : 0;
	time_t now = time(NULL);
	int fill, i;

	if (pr->tty) {
		fill = (int)(pct * BAR_WIDTH / 100);
		fputs("\r[", stderr);
		for (i = 0; i < BAR_WIDTH; i++)
			fputc(i < fill ? '#' : ' ', stderr);
		fprintf(stderr,
			"] %3u%% %" PRIu64 "/%" PRIu64 " ops, piece %u/%u", pct,
			done, total,
			p->pieces_done + 1 > p->pieces_total ?
				p->pieces_total :
				p->pieces_done + 1,
			p->pieces_total);
		pr->drawn = true;
	} else if (now != pr->last_line) {
		fprintf(stderr,
			"progress: %" PRIu64 " of %" PRIu64
			" ops, piece %u of %u\n",
			done, total, p->pieces_done, p->pieces_total);
		pr->last_line = now;
	}
	return 0;
}

static void figures_json(struct json_writer *w, const char *key,
			 const struct contig_figures *f)
{
	json_key(w, key);
	json_obj_begin(w);
	json_kv_u64(w, "pages", f->pages);
	json_kv_u64(w, "present", f->present);
	json_kv_u64(w, "runs", f->runs);
	json_kv_u64(w, "largest_run", f->largest_run);
	json_kv_u64(w, "runs_99", f->runs_99);
	json_kv_u64(w, "aligned_2m", f->aligned_2m);
	json_obj_end(w);
}

/* One row of the before/after table (80 columns up to 9-digit counts). */
static void figures_text(const char *what, const struct contig_figures *f)
{
	printf("%-6s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
	       " %11" PRIu64 " %10" PRIu64 "\n",
	       what, (uint64_t)f->pages, (uint64_t)f->present,
	       (uint64_t)f->runs, (uint64_t)f->runs_99,
	       (uint64_t)f->largest_run, (uint64_t)f->aligned_2m);
}

static void print_result(const struct ctl_opts *o, int pid,
			 const struct contig_rep_result *r)
{
	bool queued = r->r.flags & CONTIG_REP_QUEUED;
	bool reached = r->r.flags & CONTIG_REP_REACHED;
	struct json_writer w;

	if (o->json) {
		json_init(&w, stdout);
		json_obj_begin(&w);
		json_kv_u64(&w, "version", CTL_JSON_VERSION);
		json_kv_u64(&w, "pid", (uint64_t)pid);
		json_key(&w, "queued");
		json_bool(&w, queued);
		if (!queued) {
			json_key(&w, "reached");
			json_bool(&w, reached);
			figures_json(&w, "before", &r->before);
			figures_json(&w, "after", &r->after);
			json_kv_u64(&w, "ops", r->ops);
			json_kv_u64(&w, "done", r->done);
			json_kv_u64(&w, "failed", r->failed);
			json_kv_u64(&w, "pages_verified", r->pages_verified);
			json_kv_u64(&w, "pieces", r->pieces);
			json_kv_u64(&w, "duration_us", r->duration_us);
		}
		json_obj_end(&w);
		fputc('\n', stdout);
		return;
	}
	if (queued) {
		printf("queued: contigd will defragment pid %d\n", pid);
		return;
	}
	printf("%-6s %10s %10s %10s %10s %11s %10s\n", "", "pages", "present",
	       "runs", "runs_99", "largest_run", "aligned_2m");
	figures_text("before", &r->before);
	figures_text("after", &r->after);
	text_wrapf(stdout, "", 4,
		   "ops %" PRIu64 " done %" PRIu64 " failed %" PRIu64
		   " verified %" PRIu64 " in %.3f s: target %s",
		   (uint64_t)r->ops, (uint64_t)r->done, (uint64_t)r->failed,
		   (uint64_t)r->pages_verified, (double)r->duration_us / 1e6,
		   reached ? "reached" : "not reached");
}

int ctl_defrag(const struct ctl_opts *o, int argc, char **argv)
{
	struct progress pr = { .tty = o->wait && isatty(STDERR_FILENO) };
	struct contig_req_range rq;
	struct contig_rep_result rep;
	uint64_t start = 0, end = 0;
	int pid, ret, wait_ms;

	if (argc != 1 || ctl_parse_pid(argv[0], &pid)) {
		ctl_err("defrag: '%s' is not a process id",
			argc ? argv[0] : "");
		return CTL_EXIT_USAGE;
	}
	if (o->range && probe_parse_range(o->range, &start, &end)) {
		ctl_err("defrag: --range '%s' is not START-END, page-aligned, with START < END",
			o->range);
		return CTL_EXIT_USAGE;
	}
	memset(&rq, 0, sizeof(rq));
	memset(&rep, 0, sizeof(rep));
	rq.h.type = CONTIG_MSG_DEFRAG;
	rq.pid = pid;
	rq.start = start;
	rq.end = end;
	if (o->wait) {
		rq.flags = CONTIG_REQ_WAIT | CONTIG_REQ_PROGRESS;
		rq.timeout_ms = o->timeout_ms;
		wait_ms = (int)(o->timeout_ms ? o->timeout_ms :
						DAEMON_WAIT_MAX_MS) +
			  SLACK_MS;
	} else {
		wait_ms = QUEUE_MS;
	}
	ret = ctl_daemon_call(o, "defrag", &rq, sizeof(rq), &rep, sizeof(rep),
			      wait_ms, on_progress, &pr);
	if (pr.drawn)
		fputc('\n', stderr);
	if (ret)
		return ret;
	print_result(o, pid, &rep);
	if (fflush(stdout) || ferror(stdout))
		return CTL_EXIT_FAIL;
	if (!(rep.r.flags & (CONTIG_REP_QUEUED | CONTIG_REP_REACHED)))
		return CTL_EXIT_NOT_REACHED;
	return CTL_EXIT_OK;
}
