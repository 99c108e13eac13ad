// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdlib.h>

#include "array.h"

void *array_reserve(void *arr, size_t *cap, size_t need, size_t size,
		    size_t min_cap)
{
	size_t c = *cap ? *cap : (min_cap ? min_cap : 1);
	void *p;

	if (need <= *cap)
		return arr;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return NULL;
		c *= 2;
	}
	if (c > SIZE_MAX / size)
		return NULL;
	p = realloc(arr, c * size);
	if (p)
		*cap = c;
	return p;
}
