// SPDX-License-Identifier: GPL-2.0-only
/*
 * Simulated physical memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "array.h"

int sim_init(struct sim *s, uint64_t nr_frames)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = frame_map_init(&s->fm, nr_frames);
	if (err)
		return err;
	s->owner = malloc((nr_frames ? nr_frames : 1) * sizeof(*s->owner));
	s->index = malloc((nr_frames ? nr_frames : 1) * sizeof(*s->index));
	if (!s->owner || !s->index) {
		sim_free(s);
		return -ENOMEM;
	}
	memset(s->owner, 0xff, nr_frames * sizeof(*s->owner));
	return 0;
}

void sim_free(struct sim *s)
{
	size_t i;

	for (i = 0; i < s->nr_vmas; i++)
		free(s->vmas[i].pages.pfn);
	free(s->vmas);
	free(s->owner);
	free(s->index);
	frame_map_free(&s->fm);
	memset(s, 0, sizeof(*s));
}

int sim_set_state(struct sim *s, uint64_t pfn, enum frame_state st)
{
	if (pfn >= s->fm.nr_frames || s->owner[pfn] != SIM_NO_OWNER ||
	    st == FRAME_MOVABLE)
		return -EINVAL;
	s->fm.state[pfn] = st;
	return 0;
}

int sim_vma_add(struct sim *s, uint64_t start_vpn, uint64_t nr)
{
	struct sim_vma *v;
	uint64_t i;

	if (!nr || nr > UINT32_MAX || s->nr_vmas >= SIM_NO_OWNER)
		return -EINVAL;
	v = array_reserve(s->vmas, &s->cap_vmas, s->nr_vmas + 1,
			  sizeof(*s->vmas), 8);
	if (!v)
		return -ENOMEM;
	s->vmas = v;
	v = &s->vmas[s->nr_vmas];
	v->pages.pfn = malloc(nr * sizeof(*v->pages.pfn));
	if (!v->pages.pfn)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		v->pages.pfn[i] = CONTIG_PFN_NONE;
	v->pages.start_vpn = start_vpn;
	v->pages.nr = nr;
	v->live = 1;
	return (int)s->nr_vmas++;
}

static struct sim_vma *vma_get(const struct sim *s, uint32_t id)
{
	return id < s->nr_vmas && s->vmas[id].live ? &s->vmas[id] : NULL;
}

const struct vma_pages *sim_vma_pages(const struct sim *s, uint32_t id)
{
	struct sim_vma *v = vma_get(s, id);

	return v ? &v->pages : NULL;
}

int sim_vma_remove(struct sim *s, uint32_t id)
{
	struct sim_vma *v = vma_get(s, id);
	uint64_t i;

	if (!v)
		return -EINVAL;
	for (i = 0; i < v->pages.nr; i++)
		if (v->pages.pfn[i] != CONTIG_PFN_NONE)
			sim_unmap(s, id, i);
	v->live = 0;
	return 0;
}

static void place(struct sim *s, uint32_t id, uint64_t idx, uint64_t pfn)
{
	s->vmas[id].pages.pfn[idx] = pfn;
	s->owner[pfn] = id;
	s->index[pfn] = (uint32_t)idx;
	s->fm.state[pfn] = FRAME_MOVABLE;
}

static void release(struct sim *s, uint64_t pfn)
{
	s->owner[pfn] = SIM_NO_OWNER;
	s->fm.state[pfn] = FRAME_FREE;
}

int sim_fault(struct sim *s, uint32_t id, uint64_t idx, uint64_t pfn)
{
	struct sim_vma *v = vma_get(s, id);

	if (!v || idx >= v->pages.nr || pfn >= s->fm.nr_frames ||
	    v->pages.pfn[idx] != CONTIG_PFN_NONE)
		return -EINVAL;
	if (s->fm.state[pfn] != FRAME_FREE)
		return -EBUSY;
	place(s, id, idx, pfn);
	return 0;
}

int sim_unmap(struct sim *s, uint32_t id, uint64_t idx)
{
	struct sim_vma *v = vma_get(s, id);

	if (!v || idx >= v->pages.nr)
		return -EINVAL;
	if (v->pages.pfn[idx] == CONTIG_PFN_NONE)
		return -EFAULT;
	release(s, v->pages.pfn[idx]);
	v->pages.pfn[idx] = CONTIG_PFN_NONE;
	return 0;
}

static int op_check(const struct sim *s, uint32_t id, uint64_t idx,
		    uint64_t pfn)
{
	struct sim_vma *v = vma_get(s, id);

	if (!v || idx >= v->pages.nr || pfn >= s->fm.nr_frames)
		return -EINVAL;
	if (v->pages.pfn[idx] == CONTIG_PFN_NONE)
		return -EFAULT;
	if (s->fm.state[pfn] == FRAME_UNMOVABLE ||
	    s->fm.state[pfn] == FRAME_HOLE)
		return -EBUSY;
	return 0;
}

int sim_move(struct sim *s, uint32_t id, uint64_t idx, uint64_t pfn)
{
	int err = op_check(s, id, idx, pfn);

	if (err)
		return err;
	if (s->fm.state[pfn] != FRAME_FREE)
		return -EEXIST;
	release(s, s->vmas[id].pages.pfn[idx]);
	place(s, id, idx, pfn);
	s->moves++;
	return 0;
}

/* The highest free frame other than pfn, or CONTIG_PFN_NONE. */
static uint64_t highest_free(const struct sim *s, uint64_t pfn)
{
	uint64_t f;

	for (f = s->fm.nr_frames; f-- > 0;)
		if (f != pfn && s->fm.state[f] == FRAME_FREE)
			return f;
	return CONTIG_PFN_NONE;
}

/* Migration only: the occupant of pfn goes to a free frame, then a in. */
static int evict_and_move(struct sim *s, uint32_t id, uint64_t idx,
			  uint64_t pfn)
{
	uint32_t oid = s->owner[pfn], oidx = s->index[pfn];
	uint64_t to = highest_free(s, pfn);

	if (to == CONTIG_PFN_NONE)
		return -ENOMEM;
	release(s, pfn);
	if (oid == SIM_NO_OWNER)
		s->fm.state[to] = FRAME_MOVABLE;
	else
		place(s, oid, oidx, to);
	s->moves++;
	return sim_move(s, id, idx, pfn);
}

int sim_exchange(struct sim *s, uint32_t id, uint64_t idx, uint64_t pfn)
{
	uint64_t old;
	uint32_t oid, oidx;
	int err = op_check(s, id, idx, pfn);

	if (err)
		return err;
	if (s->fm.state[pfn] == FRAME_FREE)
		return sim_move(s, id, idx, pfn);
	old = s->vmas[id].pages.pfn[idx];
	if (old == pfn)
		return 0;
	if (s->evict_anywhere)
		return evict_and_move(s, id, idx, pfn);
	oid = s->owner[pfn];
	oidx = s->index[pfn];
	if (oid == SIM_NO_OWNER) {
		/* movable page of a process the sim does not model */
		release(s, old);
		s->fm.state[old] = FRAME_MOVABLE;
	} else {
		place(s, oid, oidx, old);
	}
	place(s, id, idx, pfn);
	s->exchanges++;
	return 0;
}

int sim_apply(struct sim *s, uint32_t id, const struct plan *p)
{
	uint64_t i;

	for (i = 0; i < p->nr_ops; i++) {
		const struct plan_op *op = &p->ops[i];
		uint64_t t = plan_target(p, op);
		int err = op->kind == PLAN_MOVE ?
				  sim_move(s, id, op->idx, t) :
				  sim_exchange(s, id, op->idx, t);

		if (err)
			return err;
	}
	return 0;
}

int sim_check(const struct sim *s)
{
	uint64_t f, pages = 0, owned = 0;
	size_t i;

	for (f = 0; f < s->fm.nr_frames; f++) {
		uint32_t id = s->owner[f];

		if (id == SIM_NO_OWNER)
			continue;
		owned++;
		if (id >= s->nr_vmas || !s->vmas[id].live ||
		    s->fm.state[f] != FRAME_MOVABLE ||
		    s->index[f] >= s->vmas[id].pages.nr ||
		    s->vmas[id].pages.pfn[s->index[f]] != f)
			return -EUCLEAN;
	}
	for (i = 0; i < s->nr_vmas; i++) {
		const struct vma_pages *v = &s->vmas[i].pages;
		uint64_t j;

		if (!s->vmas[i].live)
			continue;
		for (j = 0; j < v->nr; j++) {
			if (v->pfn[j] == CONTIG_PFN_NONE)
				continue;
			pages++;
			if (v->pfn[j] >= s->fm.nr_frames ||
			    s->owner[v->pfn[j]] != i)
				return -EUCLEAN;
		}
	}
	return pages == owned ? 0 : -EUCLEAN;
}
