/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * splitmix64: a small deterministic generator for simulations and tests
 * (state is the caller's: no globals).
 */
#ifndef CONTIG_CORE_RNG_H
#define CONTIG_CORE_RNG_H

#include <stdint.h>

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform-enough in [0, n); 0 when n is 0. */
static inline uint64_t rnd(uint64_t *x, uint64_t n)
{
	return n ? splitmix64(x) % n : 0;
}

#endif
