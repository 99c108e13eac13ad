/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Simulated physical memory: a frame map plus, per frame, which page of
 * which simulated VMA it holds. Used by the sim backend, the tests and
 * the benchmarks; it applies plans the way the kernel helper would and
 * checks every step.
 */
#ifndef CONTIG_CORE_SIM_H
#define CONTIG_CORE_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "frame_map.h"
#include "planner.h"
#include "vma_pages.h"

#define SIM_NO_OWNER UINT32_MAX

struct sim_vma {
	struct vma_pages pages; /* pfn[] kept up to date by the sim */
	int live;
};

struct sim {
	struct frame_map fm;
	uint32_t *owner; /* per frame: VMA id or SIM_NO_OWNER */
	uint32_t *index; /* per frame: page index in that VMA */
	struct sim_vma *vmas;
	size_t nr_vmas;
	size_t cap_vmas;
	/*
	 * Non-zero: exchanges behave like the kernel helper without the
	 * in-place exchange (migration only), which moves the occupant of the
	 * target frame to any free frame (here the highest), not into the
	 * page's old frame; that frame is left free.
	 */
	int evict_anywhere;
	/* counters */
	uint64_t moves;
	uint64_t exchanges;
};

int sim_init(struct sim *s, uint64_t nr_frames);
void sim_free(struct sim *s);

/* Mark a frame unmovable or a hole (it must not hold a page). */
int sim_set_state(struct sim *s, uint64_t pfn, enum frame_state st);

/* New VMA of nr pages at start_vpn, nothing present. Returns id or -errno. */
int sim_vma_add(struct sim *s, uint64_t start_vpn, uint64_t nr);
/* Drop a VMA: its frames become free. */
int sim_vma_remove(struct sim *s, uint32_t id);
const struct vma_pages *sim_vma_pages(const struct sim *s, uint32_t id);

/* Back page idx of VMA id with the free frame pfn. */
int sim_fault(struct sim *s, uint32_t id, uint64_t idx, uint64_t pfn);
/* Unmap page idx: its frame becomes free. */
int sim_unmap(struct sim *s, uint32_t id, uint64_t idx);

/*
 * The backend operations, with the kernel helper's result codes:
 * MOVE page idx to free frame pfn; EXCHANGE page idx with whatever page
 * is at pfn (a free frame makes it a move). -EFAULT page not present,
 * -EBUSY frame unmovable/hole, -EINVAL bad id/index/frame, -EEXIST
 * (MOVE) target frame not free.
 */
int sim_move(struct sim *s, uint32_t id, uint64_t idx, uint64_t pfn);
int sim_exchange(struct sim *s, uint32_t id, uint64_t idx, uint64_t pfn);

/* Apply a whole plan to VMA id; stops at the first failing op. */
int sim_apply(struct sim *s, uint32_t id, const struct plan *p);

/* Full consistency check of frames, owners and VMAs: 0 or -EUCLEAN. */
int sim_check(const struct sim *s);

#endif
