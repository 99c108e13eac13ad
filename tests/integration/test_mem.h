/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the test programs that hold memory of a known layout.
 */
#ifndef CONTIG_TESTS_TEST_MEM_H
#define CONTIG_TESTS_TEST_MEM_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE 4096UL
#define HUGE (2UL << 20)

/*
 * An anonymous read-write mapping of len bytes whose start is aligned to
 * align, fenced by PROT_NONE on both sides so that it stays one VMA.
 * NULL (errno set) on failure.
 */
static inline char *fenced_map(size_t len, size_t align)
{
	size_t total = len + align + 2 * PAGE;
	char *raw, *p;

	raw = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)raw + PAGE + align - 1) & ~(align - 1));
	if (mprotect(p, len, PROT_READ | PROT_WRITE))
		return NULL;
	return p;
}

/* The value the 8-byte word at p holds: derived from its address. */
static inline uint64_t pattern_word(const uint64_t *p)
{
	return ((uintptr_t)p * 0x9e3779b97f4a7c15ULL) ^ 0x5a5a5a5a5a5a5a5aULL;
}

/* Fill page number page of region with the pattern. */
static inline void pattern_fill(char *region, size_t page)
{
	uint64_t *w = (uint64_t *)(region + page * PAGE);
	size_t i;

	for (i = 0; i < PAGE / 8; i++)
		w[i] = pattern_word(&w[i]);
}

/* Index of the first word of region that lost the pattern, or -1. */
static inline long pattern_check(const char *region, size_t len)
{
	const uint64_t *w = (const uint64_t *)region;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != pattern_word(&w[i]))
			return (long)i;
	return -1;
}

/* xorshift64*: deterministic, good enough for permutations and patterns. */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/*
 * Fault the pages pages of region in a random order (from *seed), each
 * through touch(region, page), and after each, at random one time in two,
 * the next page of other (as big as region): the page allocator then hands
 * region no two consecutive frames in order.  0, or -1 with errno ENOMEM.
 */
static inline int scatter_fault(char *region, char *other, size_t pages,
				uint64_t *seed,
				void (*touch)(char *region, size_t page))
{
	size_t *perm = malloc(pages * sizeof(*perm));
	size_t i;

	if (!perm)
		return -1;
	for (i = 0; i < pages; i++)
		perm[i] = i;
	for (i = pages - 1; i > 0; i--) {
		size_t j = rnd(seed) % (i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < pages; i++) {
		touch(region, perm[i]);
		if (rnd(seed) & 1)
			other[i * PAGE] = 1;
	}
	free(perm);
	return 0;
}

#endif
