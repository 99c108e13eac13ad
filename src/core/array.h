/* SPDX-License-Identifier: MIT */
/*
 * Growable arrays: the one doubling realloc everything else uses.
 */
#ifndef CONTIG_CORE_ARRAY_H
#define CONTIG_CORE_ARRAY_H

#include <stddef.h>

/*
 * Make room for `need` elements of `size` bytes in arr, whose capacity
 * is *cap elements, doubling from at least min_cap. Returns the array
 * (maybe moved; *cap updated) or NULL on overflow or out of memory, in
 * which case arr is still valid and unchanged.
 */
void *array_reserve(void *arr, size_t *cap, size_t need, size_t size,
		    size_t min_cap);

#endif
