/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the bpf backend's files: the loader and poller
 * (observer_bpf.c) and the handling of exited processes
 * (observer_bpf_exit.c).
 */
#ifndef CONTIG_OBSERVER_BPF_INT_H
#define CONTIG_OBSERVER_BPF_INT_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stddef.h>

#include "observer_int.h"

struct obs_bpf {
	struct observer_bpf *skel;
	struct bpf_link *links[16];
	size_t nlinks;
	int heat_fd, watched_fd, mm_fd, last_fd, counters_fd;
	struct ring_buffer *rb;
	bool have_iter;
	bool batch_ok;
	struct obs_heat_key *keys;
	__u64 *vals;
	size_t kv_cap;
	struct observer *owner;
	__u64 seen_lost;
	__u64 faults; /* sum of the counters' growth */
};
/* Read every heat counter into b->keys/vals; the count, or -errno. */
long obs_bpf_read_heat(struct obs_bpf *b);

/* Drop every map entry of the n tgids (sorts tgids). */
void obs_bpf_forget_tgids(struct obs_bpf *b, __u32 *tgids, size_t n);

/*
 * The exit events queued so far: forget those processes in the front
 * and in the maps. 0 or -ENOMEM.
 */
int obs_bpf_forget_exited(struct observer *o);

#endif
