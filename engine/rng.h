/* rng.h: the random numbers of a run. xoshiro256** (Blackman and Vigna), seeded through
 * splitmix64, small and fast; one generator per user (and one for the coordinator), each an
 * independent stream of one --seed, so that a run is reproducible for a given seed and thread
 * count and no generator is shared between threads. No global state: callers own generators. */
#ifndef LC_ENGINE_RNG_H
#define LC_ENGINE_RNG_H

#include <stdint.h>

/* A generator. Plain data: embed it, copy it to fork an identical sequence. Its state is not
 * meant to be read; seed it with lc_rng_seed before use. */
struct lc_rng {
  uint64_t s[4];
};

/* Seeds r for stream `stream` of `seed` (for example seed = --seed, stream = the user's index).
 * The 256-bit state comes from splitmix64 started at a 64-bit key mixed from both; for one seed,
 * distinct streams always get distinct keys (the key is a bijection of the stream), and the
 * resulting sequences do not overlap in any practical run length (period 2^256 - 1). */
void lc_rng_seed(struct lc_rng *r, uint64_t seed, uint64_t stream);

/* The next 64 uniformly distributed bits. */
uint64_t lc_rng_next(struct lc_rng *r);

/* Uniform double in [0, 1) with 53 random bits (Python's random.random(): every multiple of
 * 2^-53 in [0, 1) equally likely). Never returns 1.0. */
double lc_rng_double(struct lc_rng *r);

/* Uniform integer in [0, n), without modulo bias (rejection of the 2^64 mod n lowest draws).
 * n == 0 means the whole 64-bit range, i.e. lc_rng_next. */
uint64_t lc_rng_below(struct lc_rng *r, uint64_t n);

/* Uniform integer in [a, b], both ends included, without modulo bias (Python's
 * random.randint(a, b)). Requires a <= b; any range is allowed, INT64_MIN..INT64_MAX included. */
int64_t lc_rng_int(struct lc_rng *r, int64_t a, int64_t b);

#endif
