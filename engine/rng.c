/* rng.c: xoshiro256** with splitmix64 seeding (see rng.h). The algorithms follow the public
 * domain reference code at prng.di.unimi.it; the bounded integers use rejection sampling as
 * OpenBSD's arc4random_uniform does (portable C11, no 128-bit multiply). */
#include "engine/rng.h"

#include <assert.h>

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* splitmix64: advances *x by the golden gamma and returns its mix; a bijection of *x. */
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void lc_rng_seed(struct lc_rng *r, uint64_t seed, uint64_t stream) {
  /* key = mix(seed) XOR mix(stream): for a fixed seed the map stream -> key is a bijection, so
   * no two streams of one seed start from the same splitmix64 state. */
  uint64_t a = seed, b = stream ^ UINT64_C(0x6A09E667F3BCC909);
  uint64_t x = splitmix64(&a) ^ splitmix64(&b);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  /* Four consecutive splitmix64 outputs are never all zero (it is a bijection of distinct
   * inputs), so the forbidden all-zero xoshiro state cannot occur. */
}

uint64_t lc_rng_next(struct lc_rng *r) {
  uint64_t *s = r->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double lc_rng_double(struct lc_rng *r) {
  return (double)(lc_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t lc_rng_below(struct lc_rng *r, uint64_t n) {
  if (n == 0) return lc_rng_next(r);
  /* 2^64 mod n, computed in 64 bits: the draws below it are rejected so that what is left is
   * a whole number of copies of [0, n). Fewer than half the draws are rejected, whatever n. */
  uint64_t threshold = (0 - n) % n;
  for (;;) {
    uint64_t x = lc_rng_next(r);
    if (x >= threshold) return x % n;
  }
}

int64_t lc_rng_int(struct lc_rng *r, int64_t a, int64_t b) {
  assert(a <= b);
  if (a > b) return a;
  uint64_t span = (uint64_t)b - (uint64_t)a;        /* b - a, exact modulo 2^64 */
  uint64_t off = lc_rng_below(r, span + 1);          /* span + 1 == 0: the full range */
  /* a + off without signed overflow or an implementation-defined conversion. */
  if (off <= (uint64_t)INT64_MAX) return a + (int64_t)off;
  /* Here span > INT64_MAX, so a < 0: a + INT64_MAX + 1 <= 0, and off - 2^63 < 2^63. */
  return (a + INT64_MAX + 1) + (int64_t)(off - (uint64_t)INT64_MAX - 1);
}
