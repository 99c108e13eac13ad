/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the daemon knows of each process it works for: the ranges the
 * application excluded (CONTIG_HINT_NEVER) and one state per range it
 * defragmented (its claim key, anchor, last verified contiguity).
 *
 * Shared by the main thread and the worker under one mutex: take it with
 * procs_lock() around every call that returns or takes a pointer into
 * the table, and drop it before doing anything slow.
 */
#ifndef CONTIG_DAEMON_PROCS_H
#define CONTIG_DAEMON_PROCS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "maps.h"

struct range_state {
	uint64_t start, end; /* the piece of a VMA worked on */
	uint64_t owner; /* key of its claim in the range tree */
	uint32_t flags; /* CONTIG_VMA_* of contig_proto.h */
	uint32_t failures; /* ops given up, all passes */
	uint64_t anchor_pfn; /* frame of the first page; ~0: none */
	uint64_t last_runs; /* runs at the last pass; 0: never */
	time_t last_pass;
};

struct addr_range {
	uint64_t start, end;
};

struct proc {
	pid_t pid;
	int pidfd; /* main thread: exit watch; -1 none */
	bool dead; /* exited: its claims are to be released */
	bool maps_changed; /* unmapped or remapped: prune its states */
	struct addr_range *never; /* sorted, disjoint, not touching */
	size_t nr_never, cap_never;
	struct range_state *r;
	size_t nr, cap;
};

struct procs {
	pthread_mutex_t lock;
	struct proc **p;
	size_t nr, cap;
	uint64_t next_owner;
};

void procs_init(struct procs *ps);
void procs_destroy(struct procs *ps);
void procs_lock(struct procs *ps);
void procs_unlock(struct procs *ps);

/* The entry of pid, or NULL; with create, a new one (NULL: no memory). */
struct proc *procs_get(struct procs *ps, pid_t pid, bool create);

/* Entries with an exit watch (pidfd >= 0); takes the lock. */
size_t procs_watched(struct procs *ps);

/* Excluded ranges a process may have (after merging). */
#define PROCS_NEVER_MAX 64

/*
 * Exclude [start, end) of p from observer-driven work. The ranges are
 * kept sorted and disjoint (touching or overlapping ones merge). 0,
 * -ENOSPC (PROCS_NEVER_MAX ranges already), -ENOMEM.
 */
int procs_never_add(struct proc *p, uint64_t start, uint64_t end);
/* Does [start, end) overlap an excluded range of p? O(log n). */
bool procs_is_never(const struct proc *p, uint64_t start, uint64_t end);

/* The state of exactly [start, end), created with a fresh owner key. */
struct range_state *procs_range(struct procs *ps, struct proc *p,
				uint64_t start, uint64_t end, bool create);
/* States of p overlapping [start, end) lose CONTIG_VMA_DONE; how many. */
size_t procs_decay(struct proc *p, uint64_t start, uint64_t end);

/*
 * Forget the states of p that no longer lie inside one of the eligible
 * VMAs in maps (unmapped, remapped, protection changed), appending their
 * owner keys to *owners (a malloc'd array, *nr entries) so that the
 * caller releases their claims. 0 or -ENOMEM.
 */
int procs_prune(struct proc *p, const struct vma_list *maps,
		bool (*eligible)(const struct vma_info *v), uint64_t **owners,
		size_t *nr);

/*
 * Remove every dead process whose exit watch is closed (pidfd < 0: the
 * main thread closes it), appending the owner keys of its states to
 * *owners. 0 or -ENOMEM.
 */
int procs_reap(struct procs *ps, uint64_t **owners, size_t *nr);

#endif
