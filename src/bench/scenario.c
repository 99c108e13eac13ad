// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fragmentation generators. Each is deterministic for a given seed.
 */
#include <errno.h>

#include "rng.h"
#include "scenario.h"

#define GIB_PAGES (1ull << 18)
#define MIB_PAGES 256ull
#define PAGEBLOCK 512ull

int machine_init(struct sim *s, uint64_t gib)
{
	/* RAM below 3 GiB, hole up to 4 GiB, the rest above 4 GiB */
	uint64_t low = gib < 3 ? gib * GIB_PAGES : 3 * GIB_PAGES;
	uint64_t frames = gib <= 3 ? low : (gib + 1) * GIB_PAGES, f;
	int err = sim_init(s, frames);

	if (err)
		return err;
	if ((err = frame_map_add_zone(&s->fm, 0, 4096, "DMA", 0)) ||
	    (err = frame_map_add_zone(&s->fm, 4096,
				      frames < 4 * GIB_PAGES ? frames :
							       4 * GIB_PAGES,
				      "DMA32", 0)))
		return err;
	if (frames > 4 * GIB_PAGES &&
	    (err = frame_map_add_zone(&s->fm, 4 * GIB_PAGES, frames, "Normal",
				      0)))
		return err;
	for (f = 0; f < 256; f++) /* BIOS, real-mode area */
		sim_set_state(s, f, FRAME_HOLE);
	for (f = low; f < frames && f < 4 * GIB_PAGES; f++)
		sim_set_state(s, f, FRAME_HOLE);
	for (f = 4096; f < 4096 + 64 * MIB_PAGES;
	     f++) /* kernel image, memmap */
		sim_set_state(s, f, FRAME_UNMOVABLE);
	return 0;
}

uint64_t machine_normal_start(const struct sim *s)
{
	return s->fm.nr_zones > 2 ? s->fm.zones[2].start_pfn :
				    s->fm.zones[s->fm.nr_zones - 1].start_pfn;
}

/* A free frame at random in [lo, hi), linear probing; UINT64_MAX if none. */
static uint64_t random_free(struct sim *s, uint64_t *seed, uint64_t lo,
			    uint64_t hi)
{
	uint64_t n = hi - lo, f = lo + rnd(seed, n), k;

	for (k = 0; k < n; k++) {
		if (s->fm.state[f] == FRAME_FREE)
			return f;
		if (++f == hi)
			f = lo;
	}
	return UINT64_MAX;
}

static int add_vmas(struct sim *s, uint64_t *seed, int *ids, int n,
		    uint64_t pages_lo, uint64_t pages_hi)
{
	int i;

	for (i = 0; i < n; i++) {
		/* VMAs at random, non-2M-aligned virtual addresses */
		uint64_t vpn = 0x7f0000000ull + (uint64_t)i * 0x1000000ull +
			       rnd(seed, 4096);

		ids[i] = sim_vma_add(
			s, vpn, pages_lo + rnd(seed, pages_hi - pages_lo + 1));
		if (ids[i] < 0)
			return ids[i];
	}
	return n;
}

/*
 * Fresh boot: free memory is one long stretch; eight processes fault
 * their 512 MiB VMAs concurrently, each refill of a per-CPU list or a
 * high-order split handing one of them a run of 64..4096 frames.
 */
static int build_fresh_boot(struct sim *s, uint64_t gib, uint64_t seed,
			    int *ids, int max_ids)
{
	uint64_t cursor = machine_normal_start(s), next[8] = { 0 };
	int n = 8, done = 0, err;

	(void)gib;
	if (max_ids < n)
		return -EINVAL;
	err = add_vmas(s, &seed, ids, n, 128 * 1024, 128 * 1024);
	if (err < 0)
		return err;
	while (done < n) {
		int v = (int)rnd(&seed, n);
		const struct vma_pages *vp = sim_vma_pages(s, ids[v]);
		uint64_t len = 64 + rnd(&seed, 4096 - 64 + 1), k;

		if (next[v] == vp->nr)
			continue;
		cursor += rnd(&seed, 8) ? 0 : rnd(&seed, 2048); /* others */
		for (k = 0; k < len && next[v] < vp->nr; k++) {
			if ((err = sim_fault(s, ids[v], next[v]++, cursor++)))
				return err;
		}
		done += next[v] == vp->nr;
	}
	return n;
}

/*
 * Two processes fault 1 GiB each, page by page, alternating; the page
 * allocator hands out a split block from its top, so each gets every
 * other frame in descending order.
 */
static int build_interleaved(struct sim *s, uint64_t gib, uint64_t seed,
			     int *ids, int max_ids)
{
	uint64_t top = s->fm.nr_frames - rnd(&seed, 1024) - 1, i;
	int err;

	(void)gib;
	if (max_ids < 2)
		return -EINVAL;
	err = add_vmas(s, &seed, ids, 2, GIB_PAGES, GIB_PAGES);
	if (err < 0)
		return err;
	for (i = 0; i < GIB_PAGES; i++) {
		if ((err = sim_fault(s, ids[0], i, top - 2 * i)) ||
		    (err = sim_fault(s, ids[1], i, top - 2 * i - 1)))
			return err;
	}
	return 2;
}

/*
 * Long-running churn: 0.5 % of frames unmovable, clustered as the
 * kernel's pageblock grouping leaves them (64 per polluted block); 40 %
 * of the Normal zone used by other processes at random; 24 VMAs of
 * 32..128 MiB faulted in short runs (1..16) at random places.
 */
static int build_churn(struct sim *s, uint64_t gib, uint64_t seed, int *ids,
		       int max_ids)
{
	uint64_t lo = machine_normal_start(s), hi = s->fm.nr_frames;
	uint64_t blocks = (hi - lo) / PAGEBLOCK, unmovable, i;
	int n = 24, v, err;

	(void)gib;
	if (max_ids < n)
		return -EINVAL;
	unmovable = (hi - lo) / 200;
	while (unmovable >= 64) {
		uint64_t b = lo + rnd(&seed, blocks) * PAGEBLOCK, k;

		for (k = 0; k < 64; k++) {
			uint64_t f = b + rnd(&seed, PAGEBLOCK);

			if (s->fm.state[f] == FRAME_FREE) {
				sim_set_state(s, f, FRAME_UNMOVABLE);
				unmovable--;
			}
		}
	}
	for (i = (hi - lo) * 2 / 5; i > 0; i--) {
		uint64_t f = random_free(s, &seed, lo, hi);

		if (f == UINT64_MAX)
			return -ENOSPC;
		s->fm.state[f] = FRAME_MOVABLE; /* someone else's page */
	}
	err = add_vmas(s, &seed, ids, n, 32 * MIB_PAGES, 128 * MIB_PAGES);
	if (err < 0)
		return err;
	for (v = 0; v < n; v++) {
		const struct vma_pages *vp = sim_vma_pages(s, ids[v]);

		for (i = 0; i < vp->nr;) {
			uint64_t f = random_free(s, &seed, lo, hi);
			uint64_t len = 1 + rnd(&seed, 16), k;

			for (k = 0; k < len && i < vp->nr; k++, f++, i++) {
				if (f >= hi || s->fm.state[f] != FRAME_FREE)
					f = random_free(s, &seed, lo, hi);
				if (f == UINT64_MAX)
					return -ENOSPC;
				if ((err = sim_fault(s, ids[v], i, f)))
					return err;
			}
		}
	}
	return n;
}

/*
 * Partly contiguous already: eight 256 MiB VMAs, each 60..90 % one run
 * at an arbitrary (unaligned) place, the rest scattered, others' pages
 * around them.
 */
static int build_partial(struct sim *s, uint64_t gib, uint64_t seed, int *ids,
			 int max_ids)
{
	uint64_t lo = machine_normal_start(s), hi = s->fm.nr_frames, i;
	int n = 8, v, err;

	(void)gib;
	if (max_ids < n)
		return -EINVAL;
	err = add_vmas(s, &seed, ids, n, 64 * 1024, 64 * 1024);
	if (err < 0)
		return err;
	/* the runs first, while free memory is still in long stretches */
	for (v = 0; v < n; v++) {
		const struct vma_pages *vp = sim_vma_pages(s, ids[v]);
		uint64_t run = vp->nr * (60 + 10 * (v % 4)) / 100;
		uint64_t start = rnd(&seed, vp->nr - run + 1), base, k;
		unsigned int tries = 0;

		do {
			if (++tries > 1000)
				return -ENOSPC;
			base = lo + rnd(&seed, hi - lo - run);
			for (k = 0; k < run; k++)
				if (s->fm.state[base + k] != FRAME_FREE)
					break;
		} while (k < run);
		for (k = 0; k < run; k++)
			if ((err = sim_fault(s, ids[v], start + k, base + k)))
				return err;
	}
	for (v = 0; v < n; v++) {
		const struct vma_pages *vp = sim_vma_pages(s, ids[v]);

		for (i = 0; i < vp->nr; i++) {
			uint64_t f;

			if (vp->pfn[i] != CONTIG_PFN_NONE)
				continue;
			f = random_free(s, &seed, lo, hi);
			if (f == UINT64_MAX)
				return -ENOSPC;
			if ((err = sim_fault(s, ids[v], i, f)))
				return err;
		}
	}
	/* others' pages: 20 % of the zone */
	for (i = (hi - lo) / 5; i > 0; i--) {
		uint64_t f = random_free(s, &seed, lo, hi);

		if (f == UINT64_MAX)
			return -ENOSPC;
		s->fm.state[f] = FRAME_MOVABLE;
	}
	return n;
}

int scenario_scattered_vma(struct sim *s, uint64_t pages, uint64_t seed)
{
	uint64_t lo = machine_normal_start(s), hi = s->fm.nr_frames, i;
	int id = sim_vma_add(s, 0x7f0000000ull + 123, pages), err;

	if (id < 0)
		return id;
	for (i = 0; i < pages; i++) {
		uint64_t f = random_free(s, &seed, lo, hi);

		if (f == UINT64_MAX)
			return -ENOSPC;
		if ((err = sim_fault(s, id, i, f)))
			return err;
	}
	return id;
}

const struct scenario scenarios[] = {
	{ "fresh_boot", "8 x 512 MiB, runs of 64..4096 frames",
	  build_fresh_boot },
	{ "interleaved", "2 x 1 GiB faulted alternately, stride-2 descending",
	  build_interleaved },
	{ "churn", "24 x 32..128 MiB, 0.5% unmovable, 40% others",
	  build_churn },
	{ "partial", "8 x 256 MiB, 60..90% already one run", build_partial },
};
const unsigned int nr_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);
