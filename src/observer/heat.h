/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Heat per (pid, VMA start) with exponential decay. Pure logic: no
 * syscalls, no clock; the caller passes the time in nanoseconds.
 *
 * heat(t) = heat(t0) * 2^(-(t - t0) / half_life) + events added since.
 * Sources give either deltas (heat_add) or a monotonic counter
 * (heat_set_count: the delta is the growth since the previous value; a
 * counter that went backwards was recreated and counts from zero).
 */
#ifndef CONTIG_OBSERVER_HEAT_H
#define CONTIG_OBSERVER_HEAT_H

#include <stddef.h>
#include <stdint.h>

struct heat_entry {
	int32_t pid;
	uint64_t start;   /* VMA start */
	double heat;      /* as of stamp_ns */
	uint64_t stamp_ns;
	uint64_t count;   /* last counter value (heat_set_count) */
	uint64_t total;   /* all events ever added */
};

struct heat_table {
	struct heat_entry *e; /* sorted by (pid, start) */
	size_t nr;
	size_t cap;
	double half_life_ns;
};

/* half_life_s <= 0 means no decay. */
void heat_init(struct heat_table *t, double half_life_s);
void heat_free(struct heat_table *t);

/* Add delta events at now_ns. 0 or -ENOMEM. */
int heat_add(struct heat_table *t, int32_t pid, uint64_t start,
	     uint64_t delta, uint64_t now_ns);

/* Feed a monotonic counter's current value. 0 or -ENOMEM. */
int heat_set_count(struct heat_table *t, int32_t pid, uint64_t start,
		   uint64_t count, uint64_t now_ns);

/* The entry, or NULL. */
const struct heat_entry *heat_find(const struct heat_table *t, int32_t pid,
				   uint64_t start);

/* Heat of an entry decayed to now_ns (0 for an unknown key). */
double heat_value(const struct heat_table *t, const struct heat_entry *e,
		  uint64_t now_ns);
double heat_get(const struct heat_table *t, int32_t pid, uint64_t start,
		uint64_t now_ns);

/* Forget a process; returns how many entries went. */
size_t heat_drop_pid(struct heat_table *t, int32_t pid);

/* Forget a process's entries whose start lies in [lo, hi). */
size_t heat_drop_range(struct heat_table *t, int32_t pid, uint64_t lo,
		       uint64_t hi);

/*
 * Drop entries whose decayed heat fell below min_heat, calling
 * gone(ctx, entry) for each first (to forget the matching counter).
 */
size_t heat_prune(struct heat_table *t, uint64_t now_ns, double min_heat,
		  void (*gone)(void *ctx, const struct heat_entry *e),
		  void *ctx);

/*
 * All entries, hottest first (ties: pid, then start), heat decayed to
 * now_ns. *out is malloc'd (NULL when empty). 0 or -ENOMEM.
 */
int heat_ranked(const struct heat_table *t, uint64_t now_ns,
		struct heat_entry **out, size_t *nr);

#endif
