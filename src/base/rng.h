/*
 * rng.h -- a small seeded PRNG (splitmix64 seeding, xoshiro256**) for the
 * engine and agent.  State lives in the struct the caller owns, so runs are
 * reproducible from their seed and independent of each other.  (The
 * Z-machine has its own frotz-compatible generator in src/zvm/.)
 */
#ifndef JR_RNG_H
#define JR_RNG_H

#include <stdint.h>

typedef struct jr_rng { uint64_t s[4]; } jr_rng;

void jr_rng_seed(jr_rng *r, uint64_t seed);
uint64_t jr_rng_next(jr_rng *r);
double jr_rng_uniform(jr_rng *r);              /* in [0, 1) */
uint64_t jr_rng_below(jr_rng *r, uint64_t n);  /* in [0, n), n > 0 */

#endif
