// SPDX-License-Identifier: GPL-2.0-only
/*
 * sim backend: MOVE/EXCHANGE on the core's simulated frame map.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "backend_sim.h"

struct sim_inject {
	uint64_t vpn;
	int err;
	uint32_t times;
};

struct backend_sim {
	struct backend b;
	struct sim *s;
	struct sim_inject *inj;
	size_t nr_inj;
	uint64_t attempts;
	uint64_t pages_read;
};

static struct backend_sim *to_sim(struct backend *b)
{
	return (struct backend_sim *)b;
}

static int sim_find(const struct sim *s, uint64_t vpn, uint32_t *id,
		    uint64_t *idx)
{
	size_t i;

	for (i = 0; i < s->nr_vmas; i++) {
		const struct vma_pages *v = &s->vmas[i].pages;

		if (!s->vmas[i].live || vpn < v->start_vpn ||
		    vpn - v->start_vpn >= v->nr)
			continue;
		*id = (uint32_t)i;
		*idx = vpn - v->start_vpn;
		return 0;
	}
	return -EFAULT;
}

static int sim_info(struct backend *b, struct backend_info *out)
{
	(void)b;
	memset(out, 0, sizeof(*out));
	out->kind = BACKEND_SIM;
	out->caps = BACKEND_CAP_PLACE;
	out->max_batch = 1024;
	return 0;
}

static int injected(struct backend_sim *bs, uint64_t vpn)
{
	size_t i;

	for (i = 0; i < bs->nr_inj; i++) {
		struct sim_inject *j = &bs->inj[i];

		if (j->vpn != vpn || !j->times)
			continue;
		if (j->times != UINT32_MAX)
			j->times--;
		return j->err;
	}
	return 0;
}

static int sim_one(struct backend_sim *bs, const struct backend_op *op)
{
	uint64_t vpn = op->vaddr >> CONTIG_PAGE_SHIFT, idx;
	uint32_t id;
	int err;

	err = sim_find(bs->s, vpn, &id, &idx);
	if (err)
		return err;
	if (bs->s->vmas[id].pages.pfn[idx] == CONTIG_PFN_NONE)
		return -EFAULT;
	err = injected(bs, vpn);
	if (err)
		return err;
	switch (op->kind) {
	case BACKEND_OP_MOVE:
	case BACKEND_OP_EXCHANGE:
		/* like the kernel helper: a free target makes it a MOVE */
		return sim_exchange(bs->s, id, idx, op->pfn);
	default:
		return -EOPNOTSUPP;
	}
}

static int sim_apply_batch(struct backend *b, pid_t pid, struct backend_op *ops,
			   size_t nr)
{
	struct backend_sim *bs = to_sim(b);
	size_t i;

	(void)pid;
	for (i = 0; i < nr; i++) {
		bs->attempts++;
		ops[i].result = sim_one(bs, &ops[i]);
	}
	return 0;
}

static int sim_read_pfns(struct backend *b, pid_t pid, uint64_t start_vpn,
			 uint64_t nr, uint64_t *pfn)
{
	struct backend_sim *bs = to_sim(b);
	uint64_t i, idx;
	uint32_t id;

	(void)pid;
	bs->pages_read += nr;
	for (i = 0; i < nr; i++) {
		if (sim_find(bs->s, start_vpn + i, &id, &idx))
			pfn[i] = CONTIG_PFN_NONE;
		else
			pfn[i] = bs->s->vmas[id].pages.pfn[idx];
	}
	return 0;
}

static int sim_frame_map(struct backend *b, const struct frame_map **out)
{
	struct backend_sim *bs = to_sim(b);
	int err = frame_map_index(&bs->s->fm);

	if (err)
		return err;
	*out = &bs->s->fm;
	return 0;
}

static void sim_destroy(struct backend *b)
{
	struct backend_sim *bs = to_sim(b);

	free(bs->inj);
	free(bs);
}

static const struct backend_ops sim_ops = {
	.info = sim_info,
	.apply = sim_apply_batch,
	.read_pfns = sim_read_pfns,
	.frame_map = sim_frame_map,
	.destroy = sim_destroy,
};

int backend_sim_create(struct sim *s, struct backend **out)
{
	struct backend_sim *bs = calloc(1, sizeof(*bs));

	if (!bs)
		return -ENOMEM;
	bs->b.ops = &sim_ops;
	bs->b.kind = BACKEND_SIM;
	snprintf(bs->b.reason, sizeof(bs->b.reason),
		 "simulated frame map (%llu frames)",
		 (unsigned long long)s->fm.nr_frames);
	bs->s = s;
	*out = &bs->b;
	return 0;
}

int backend_sim_inject(struct backend *b, uint64_t vpn, int err, uint32_t times)
{
	struct backend_sim *bs = to_sim(b);
	struct sim_inject *n;

	if (b->kind != BACKEND_SIM || err >= 0)
		return -EINVAL;
	n = realloc(bs->inj, (bs->nr_inj + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	bs->inj = n;
	n[bs->nr_inj++] = (struct sim_inject){ vpn, err, times };
	return 0;
}

uint64_t backend_sim_attempts(const struct backend *b)
{
	return ((const struct backend_sim *)b)->attempts;
}

uint64_t backend_sim_pages_read(const struct backend *b)
{
	return ((const struct backend_sim *)b)->pages_read;
}
