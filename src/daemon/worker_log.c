// SPDX-License-Identifier: GPL-2.0-only
/*
 * The worker's pass lines (worker_log.h).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "proc_file.h"
#include "worker_log.h"

/* pid's command name, or "?" */
static void comm_of(const struct worker *w, pid_t pid, char *buf, size_t size)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;

	snprintf(buf, size, "?");
	if (probe_path(path, sizeof(path), w->proc_root, "/%d/comm",
		       (int)pid) ||
	    probe_read_file(path, &text, &len))
		return;
	while (len && text[len - 1] == '\n')
		text[--len] = '\0';
	snprintf(buf, size, "%s", text);
	free(text);
}

/*
 * The info line of every pass: who, what, runs before -> after, pages
 * moved, time, and why the range was chosen.
 */
void worker_log_pass(struct worker *w, const struct job *j,
		     const struct piece *pc, const struct exec_result *r,
		     uint64_t moved, double seconds)
{
	static const char *const by[JOB_PRIO_COUNT] = {
		[JOB_PRIO_NOW] = "hint (CONTIG_NOW)",
		[JOB_PRIO_DEFRAG] = "request (contigctl defrag)",
		[JOB_PRIO_WANT] = "hint (CONTIG_WANT)",
		[JOB_PRIO_OBSERVER] = "observer",
	};
	char comm[64], why[160] = "", held[64] = "";
	uint64_t suppressed = 0;
	struct timespec now;

	/* A user's requests cost that user's log lines, within limits. */
	if (j->uid != QUEUE_NO_UID) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!ratelimit_pass(NULL, &w->pass_rl, j->uid,
				    (uint64_t)now.tv_sec * 1000000000u +
					    (uint64_t)now.tv_nsec,
				    &suppressed))
			return;
		if (suppressed)
			snprintf(held, sizeof(held),
				 " (%" PRIu64 " earlier lines of uid %u held back)",
				 suppressed, (unsigned int)j->uid);
	}
	comm_of(w, j->pid, comm, sizeof(comm));
	if (j->prio == JOB_PRIO_OBSERVER && w->why)
		w->why(w->why_arg, j->pid, pc->start, pc->end, why,
		       sizeof(why));
	log_info("pass: pid %d (%s) 0x%" PRIx64 "-0x%" PRIx64 ": runs %" PRIu64
		 " -> %" PRIu64 ", pages moved %" PRIu64 ", %.2f s, %s; %s%s",
		 (int)j->pid, comm, pc->start, pc->end, r->before.runs,
		 r->after.runs, moved, seconds,
		 r->reached ? "target reached" : "short of target",
		 *why ? why : by[j->prio], held);
}
