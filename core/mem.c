/* mem: see include/mem.h. */
#include <stdlib.h>

#include "mem.h"

void *mem_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap : 8;
	void *p = NULL;

	if (n < *cap)
		return arr;
	while (ncap <= n) {
		if (ncap > ((size_t)-1) / 2)
			return NULL;
		ncap *= 2;
	}
	p = reallocarray(arr, ncap, size);
	if (!p)
		return NULL;
	*cap = ncap;
	return p;
}
