/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The info line of every pass the worker makes: who (pid and command
 * name), what (the piece), runs before -> after, pages moved, time, and
 * why the range was chosen. A user's requests cost that user's log
 * lines: at most RATELIMIT_BURST per RATELIMIT_WINDOW_NS per uid
 * (w->pass_rl), what was held back counted in the next line let through.
 */
#ifndef CONTIG_DAEMON_WORKER_LOG_H
#define CONTIG_DAEMON_WORKER_LOG_H

#include <stdint.h>

#include "executor.h"
#include "pieces.h"
#include "queue.h"
#include "worker.h"

void worker_log_pass(struct worker *w, const struct job *j,
		     const struct piece *pc, const struct exec_result *r,
		     uint64_t moved, double seconds);

#endif
