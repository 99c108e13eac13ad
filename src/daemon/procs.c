// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-process table of the daemon (procs.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "contig_proto.h"
#include "procs.h"

/* array_reserve in place: true when *arr has room for need elements. */
static bool grow(void **arr, size_t *cap, size_t need, size_t size)
{
	void *p = array_reserve(*arr, cap, need, size, 8);

	if (!p)
		return false;
	*arr = p;
	return true;
}

void procs_init(struct procs *ps)
{
	memset(ps, 0, sizeof(*ps));
	pthread_mutex_init(&ps->lock, NULL);
	ps->next_owner = 1;
}

static void proc_free(struct proc *p)
{
	free(p->never);
	free(p->r);
	free(p);
}

void procs_destroy(struct procs *ps)
{
	size_t i;

	for (i = 0; i < ps->nr; i++)
		proc_free(ps->p[i]);
	free(ps->p);
	pthread_mutex_destroy(&ps->lock);
	memset(ps, 0, sizeof(*ps));
}

void procs_lock(struct procs *ps)
{
	pthread_mutex_lock(&ps->lock);
}

void procs_unlock(struct procs *ps)
{
	pthread_mutex_unlock(&ps->lock);
}

struct proc *procs_get(struct procs *ps, pid_t pid, bool create)
{
	struct proc *p;
	size_t i;

	for (i = 0; i < ps->nr; i++)
		if (ps->p[i]->pid == pid && !ps->p[i]->dead)
			return ps->p[i];
	if (!create)
		return NULL;
	if (!grow((void **)&ps->p, &ps->cap, ps->nr + 1, sizeof(*ps->p)))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->pidfd = -1;
	ps->p[ps->nr++] = p;
	return p;
}

size_t procs_watched(struct procs *ps)
{
	size_t i, n = 0;

	procs_lock(ps);
	for (i = 0; i < ps->nr; i++)
		n += ps->p[i]->pidfd >= 0;
	procs_unlock(ps);
	return n;
}

/* The first excluded range of p that ends after addr (binary search). */
static size_t never_after(const struct proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nr_never;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->never[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int procs_never_add(struct proc *p, uint64_t start, uint64_t end)
{
	size_t i = never_after(p, start ? start - 1 : 0), k = i;

	/* [i, k): the ranges that overlap or touch [start, end) */
	while (k < p->nr_never && p->never[k].start <= end) {
		if (p->never[k].start < start)
			start = p->never[k].start;
		if (p->never[k].end > end)
			end = p->never[k].end;
		k++;
	}
	if (k == i) {
		if (p->nr_never >= PROCS_NEVER_MAX)
			return -ENOSPC;
		if (!grow((void **)&p->never, &p->cap_never, p->nr_never + 1,
			  sizeof(*p->never)))
			return -ENOMEM;
		memmove(&p->never[i + 1], &p->never[i],
			(p->nr_never - i) * sizeof(*p->never));
		p->nr_never++;
		k = i + 1;
	}
	p->never[i].start = start;
	p->never[i].end = end;
	memmove(&p->never[i + 1], &p->never[k],
		(p->nr_never - k) * sizeof(*p->never));
	p->nr_never -= k - i - 1;
	return 0;
}

bool procs_is_never(const struct proc *p, uint64_t start, uint64_t end)
{
	size_t i = never_after(p, start);

	return i < p->nr_never && p->never[i].start < end;
}

struct range_state *procs_range(struct procs *ps, struct proc *p,
				uint64_t start, uint64_t end, bool create)
{
	struct range_state *r;
	size_t i;

	for (i = 0; i < p->nr; i++)
		if (p->r[i].start == start && p->r[i].end == end)
			return &p->r[i];
	if (!create || !grow((void **)&p->r, &p->cap, p->nr + 1, sizeof(*p->r)))
		return NULL;
	r = &p->r[p->nr++];
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->end = end;
	r->owner = ps->next_owner++;
	r->anchor_pfn = CONTIG_PFN_UNKNOWN;
	return r;
}

size_t procs_decay(struct proc *p, uint64_t start, uint64_t end)
{
	size_t i, n = 0;

	for (i = 0; i < p->nr; i++) {
		struct range_state *r = &p->r[i];

		if (r->start < end && start < r->end &&
		    (r->flags & CONTIG_VMA_DONE)) {
			r->flags &= ~CONTIG_VMA_DONE;
			n++;
		}
	}
	return n;
}

static int push_owner(uint64_t **owners, size_t *nr, size_t *cap,
		      uint64_t owner)
{
	if (!grow((void **)owners, cap, *nr + 1, sizeof(**owners)))
		return -ENOMEM;
	(*owners)[(*nr)++] = owner;
	return 0;
}

static bool inside_eligible(const struct range_state *r,
			    const struct vma_list *maps,
			    bool (*eligible)(const struct vma_info *v))
{
	size_t i;

	for (i = 0; i < maps->nr; i++)
		if (maps->v[i].start <= r->start && r->end <= maps->v[i].end)
			return eligible(&maps->v[i]);
	return false;
}

int procs_prune(struct proc *p, const struct vma_list *maps,
		bool (*eligible)(const struct vma_info *v), uint64_t **owners,
		size_t *nr)
{
	size_t i = 0, cap = *nr;

	while (i < p->nr) {
		if (inside_eligible(&p->r[i], maps, eligible)) {
			i++;
			continue;
		}
		if (push_owner(owners, nr, &cap, p->r[i].owner))
			return -ENOMEM;
		p->r[i] = p->r[--p->nr];
	}
	p->maps_changed = false;
	return 0;
}

int procs_reap(struct procs *ps, uint64_t **owners, size_t *nr)
{
	size_t i = 0, k, cap = *nr;

	while (i < ps->nr) {
		struct proc *p = ps->p[i];

		if (!p->dead || p->pidfd >= 0) {
			i++;
			continue;
		}
		for (k = 0; k < p->nr; k++)
			if (push_owner(owners, nr, &cap, p->r[k].owner))
				return -ENOMEM;
		proc_free(p);
		ps->p[i] = ps->p[--ps->nr];
	}
	return 0;
}
