// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducible choices for the seeded scenarios (random, vmhost,
 * sparse-copy): xorshift64* streams seeded through splitmix64, so one
 * --seed gives every thread its own fixed sequence.
 */
#define _GNU_SOURCE
#include "workload.h"

uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = splitmix64(seed);
	if (!r->s)
		r->s = 0x9e3779b97f4a7c15ULL;	/* xorshift must not start at 0 */
}

/* xorshift64* */
uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

unsigned long rng_below(struct rng *r, unsigned long n)
{
	return (unsigned long)((rng_next(r) >> 32) % n);
}

/*
 * One chunk's layout into w[0..PMD_PAGES) (1 = data): full, every 16th page
 * a hole, every 8th page a hole, or each page a hole with probability 1/8.
 */
void rng_chunk_layout(struct rng *r, unsigned char *w)
{
	unsigned long pat = rng_below(r, 4), p;

	for (p = 0; p < PMD_PAGES; p++)
		w[p] = pat == 0 ? 1 :
		       pat == 1 ? p % 16 != 15 :
		       pat == 2 ? p % 8 != 7 :
		       rng_below(r, 8) != 0;
}

