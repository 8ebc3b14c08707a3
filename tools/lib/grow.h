/* SPDX-License-Identifier: GPL-2.0 */
/* Arrays that grow by doubling: the one copy of that loop for tools/lib. */
#ifndef KHT_GROW_H
#define KHT_GROW_H

#include <stdlib.h>

/*
 * Room for element n of *a (capacity *cap elements of size bytes; doubled,
 * or `first` when empty): 0, or -1 with *a untouched (no memory).
 */
static inline int kht_grow(void **a, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *p;

	if (n < *cap)
		return 0;
	if (!(p = realloc(*a, c * size)))
		return -1;
	*a = p;
	*cap = c;
	return 0;
}

#endif
