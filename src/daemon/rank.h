/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which hot VMA is worth a pass, and what the policy remembers of the
 * VMAs it chose (rank.c).
 *
 * Expected benefit = access rate x fragmentation x size (present pages),
 * where fragmentation is the share of present pages outside the largest
 * run or the aligned 2 MiB blocks, whichever covers more: a VMA that is
 * one run, or collapsed into huge pages, scores 0 and is left alone until
 * its contiguity decays. Under 2 MiB present there is nothing to gain.
 *
 * A VMA churns when its pages were dropped (MADV_DONTNEED) since the
 * policy chose it, or when its decayed fault count (about the faults of
 * the last 1.44 half-lives) reaches twice its size, which memory being
 * populated once does not: its contiguity is thrown away at once, so it gets one pass per cooldown
 * (RANK_CHURN_COOLDOWN_S) at most.
 *
 * The memo is shared by the policy (main thread) and the worker (which
 * asks why a range was chosen for its log line): it has its own lock.
 */
#ifndef CONTIG_DAEMON_RANK_H
#define CONTIG_DAEMON_RANK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "metrics.h"

#define RANK_CHURN_COOLDOWN_S 600
/* Fewer present pages than one 2 MiB block: no benefit. */
#define RANK_MIN_PRESENT 512u
/* Entries remembered at most; the oldest choice goes first. */
#define RANK_MEMO_MAX 4096

/* Share of present pages not yet in contiguous place, 0..1. */
double rank_fragmentation(const struct contig_metrics *m);

/* rate (accesses/s) x fragmentation x present pages; 0 under 2 MiB. */
double rank_benefit(double rate, const struct contig_metrics *m);

/* faults (decayed count) at least twice the pages: refaulting. */
bool rank_fault_churn(double faults, uint64_t pages);

struct rank_choice {
	pid_t pid;
	uint64_t start, end;
	double rate;         /* accesses (or faults) per second when chosen */
	const char *source;  /* observer_source_name(): static */
	double frag;         /* 0..1 */
	double benefit;
	uint64_t chosen_ns;  /* last time it was queued */
	uint64_t dropped_ns; /* last MADV_DONTNEED seen in it; 0: none */
	bool churn;          /* churning when chosen */
};

struct rank_memo {
	pthread_mutex_t lock;
	struct rank_choice *c;
	size_t nr, cap;
};

void rank_memo_init(struct rank_memo *m);
void rank_memo_free(struct rank_memo *m);

/* Remember a choice (replacing the VMA's earlier one). 0 or -ENOMEM. */
int rank_memo_note(struct rank_memo *m, const struct rank_choice *c);

/* The VMA's last choice into *out; false when there is none. */
bool rank_memo_get(struct rank_memo *m, pid_t pid, uint64_t start,
		   struct rank_choice *out);

/* Pages of [lo, hi) of pid were dropped at now_ns. */
void rank_memo_dropped(struct rank_memo *m, pid_t pid, uint64_t lo,
		       uint64_t hi, uint64_t now_ns);

/* Forget a process (pid 0: nothing). */
void rank_memo_drop_pid(struct rank_memo *m, pid_t pid);

/* Forget choices older than max_age_ns; returns how many went. */
size_t rank_memo_expire(struct rank_memo *m, uint64_t now_ns,
			uint64_t max_age_ns);

/*
 * Is another pass of this VMA held back, at now_ns, as churn? Its last
 * choice lies within the cooldown and it churns (dropped since, churning
 * when chosen, or churning now by fault_churn_now).
 */
bool rank_memo_held_back(struct rank_memo *m, pid_t pid, uint64_t start,
			 bool fault_churn_now, uint64_t now_ns);

/*
 * Why [start, end) of pid was chosen, for a pass's log line: "heat
 * 812.0/s (proc), fragmented 98 %". Empty when the memo has no choice.
 */
void rank_memo_why(struct rank_memo *m, pid_t pid, uint64_t start,
		   uint64_t end, char *buf, size_t size);

#endif
