/*
 * mem: the one growing-array helper, so each module's lists do not each write
 * the same doubling realloc.
 */
#ifndef OPSDECK_MEM_H
#define OPSDECK_MEM_H

#include <stddef.h>

/*
 * Makes room for item n in arr, an array of *cap items of size bytes (NULL with
 * *cap 0 to start). Returns the array, moved or not, with *cap updated; or NULL
 * when memory runs out or the size would overflow, and then arr and *cap are
 * untouched (the caller still owns and frees arr).
 */
void *mem_grow(void *arr, size_t *cap, size_t n, size_t size);

#endif
