/* test_engine_hist.c: unit tests for engine/hist (the log-linear histogram): percentiles against
 * exact sorted-array percentiles by Locust's rank rule on many distributions, exact summary
 * figures, merge, iterate + restore round trips, reset, the bucket layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"
#include "engine/hist.h"

static const double percentiles[] = {0.50, 0.66, 0.75, 0.80, 0.90, 0.95,
                                     0.98, 0.99, 0.999, 0.9999, 1.0};

/* splitmix64: a small deterministic generator for the test data. */
static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}
static double rng_unit(uint64_t *s) { return (double)(rng_next(s) >> 11) / 9007199254740992.0; }
static uint64_t rng_range(uint64_t *s, uint64_t lo, uint64_t hi) {
  return lo + rng_next(s) % (hi - lo + 1);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Locust: s[min(floor(N*p), N-1)]. */
static size_t locust_rank(size_t n, double p) {
  size_t r = (size_t)((double)n * p);
  return r < n - 1 ? r : n - 1;
}

static struct lc_hist *hist_new(void) {
  struct lc_hist *h = lc_xmalloc(sizeof *h);
  lc_hist_init(h);
  return h;
}

static void assert_hist_equal(const struct lc_hist *a, const struct lc_hist *b) {
  assert_int_equal(a->count, b->count);
  assert_int_equal(a->sum, b->sum);
  assert_int_equal(a->min, b->min);
  assert_int_equal(a->max, b->max);
  assert_int_equal(a->clamped, b->clamped);
  assert_int_equal(a->saturated, b->saturated);
  assert_memory_equal(a->counts, b->counts, sizeof a->counts);
}

/* The value reported for a sample must be within 1/256 of it (the documented precision, which
 * is below the required 1 %), exact below 256 us. */
static void assert_close(uint64_t got, uint64_t exact) {
  uint64_t d = got > exact ? got - exact : exact - got;
  if (d * 256 > exact || d * 100 >= exact + (exact == 0)) {
    fail_msg("got %llu for exact %llu (error %.4f %%)", (unsigned long long)got,
             (unsigned long long)exact, exact ? 100.0 * (double)d / (double)exact : 100.0);
  }
}

/* Records `v`, then checks every Locust percentile, the median, every rank (for small n) and
 * the exact figures against the sorted samples. Values above LC_HIST_MAX_VALUE are only
 * required to land in [top bucket's lo, max]. */
static void check_distribution(const uint64_t *v, size_t n) {
  struct lc_hist *h = hist_new();
  uint64_t *s = lc_xmalloc(n * sizeof *s);
  uint64_t sum = 0, clamped = 0;
  for (size_t i = 0; i < n; i++) {
    lc_hist_record(h, v[i]);
    s[i] = v[i];
    sum += v[i];
    clamped += v[i] > LC_HIST_MAX_VALUE;
  }
  qsort(s, n, sizeof *s, cmp_u64);
  assert_int_equal(h->count, n);
  assert_int_equal(h->min, s[0]);
  assert_int_equal(h->max, s[n - 1]);
  assert_int_equal(h->sum, sum);
  assert_int_equal(h->clamped, clamped);
  assert_int_equal(lc_hist_percentile(h, 1.0), s[n - 1]);
  uint64_t top_lo, top_hi;
  lc_hist_bucket_range(LC_HIST_BUCKETS - 1, &top_lo, &top_hi);
  for (size_t k = 0; k < LC_ARRAY_LEN(percentiles) + 1; k++) {
    size_t r = k < LC_ARRAY_LEN(percentiles) ? locust_rank(n, percentiles[k]) : (n - 1) / 2;
    uint64_t got = k < LC_ARRAY_LEN(percentiles) ? lc_hist_percentile(h, percentiles[k])
                                                  : lc_hist_median(h);
    assert_in_range(got, h->min, h->max);
    if (s[r] <= LC_HIST_MAX_VALUE)
      assert_close(got, s[r]);
    else
      assert_in_range(got, top_lo, h->max);
  }
  if (n <= 20000) {
    for (size_t r = 0; r < n; r++) {
      uint64_t got = lc_hist_value_at_rank(h, r);
      assert_in_range(got, h->min, h->max);
      if (s[r] <= LC_HIST_MAX_VALUE) assert_close(got, s[r]);
    }
  }
  free(s);
  free(h);
}

static void uniform(void **state) {
  (void)state;
  uint64_t seed = 1;
  size_t n = 200000;
  uint64_t *v = lc_xmalloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = rng_range(&seed, 0, 2000000);
  check_distribution(v, n);
  for (size_t i = 0; i < 5000; i++) v[i] = rng_range(&seed, 100, 1000);
  check_distribution(v, 5000);
  free(v);
}

static void exponential(void **state) {
  (void)state;
  uint64_t seed = 2;
  size_t n = 200000;
  uint64_t *v = lc_xmalloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = (uint64_t)(-50000.0 * log(1.0 - rng_unit(&seed)));
  check_distribution(v, n);
  for (size_t i = 0; i < 7777; i++) v[i] = (uint64_t)(-300.0 * log(1.0 - rng_unit(&seed)));
  check_distribution(v, 7777);
  free(v);
}

static void bimodal(void **state) {
  (void)state;
  uint64_t seed = 3;
  size_t n = 100000;
  uint64_t *v = lc_xmalloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = rng_unit(&seed) < 0.7 ? rng_range(&seed, 1500, 2500) : rng_range(&seed, 700000, 900000);
  check_distribution(v, n);
  /* a thin slow tail: 1 % of samples 100x slower, so p99 and above sit on the edge */
  for (size_t i = 0; i < n; i++)
    v[i] = rng_unit(&seed) < 0.99 ? rng_range(&seed, 9000, 11000) : rng_range(&seed, 900000, 1100000);
  check_distribution(v, n);
  free(v);
}

static void log_uniform_full_range(void **state) {
  (void)state;
  uint64_t seed = 4;
  size_t n = 100000;
  uint64_t *v = lc_xmalloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = (uint64_t)exp(rng_unit(&seed) * log(3.6e9));
  check_distribution(v, n);
  free(v);
}

static void constant_and_single(void **state) {
  (void)state;
  uint64_t v[1000];
  for (size_t i = 0; i < 1000; i++) v[i] = 50000;
  check_distribution(v, 1000);
  uint64_t one = 12345;
  check_distribution(&one, 1);
  struct lc_hist *h = hist_new();
  lc_hist_record(h, 12345);
  for (size_t k = 0; k < LC_ARRAY_LEN(percentiles); k++)
    assert_int_equal(lc_hist_percentile(h, percentiles[k]), 12345);
  assert_int_equal(lc_hist_median(h), 12345);
  free(h);
}

static void zero_and_small_values(void **state) {
  (void)state;
  uint64_t v[3000];
  for (size_t i = 0; i < 3000; i++) v[i] = 0;
  check_distribution(v, 3000);
  uint64_t seed = 5;
  for (size_t i = 0; i < 3000; i++) v[i] = rng_range(&seed, 0, 300);
  check_distribution(v, 3000);
  /* below 256 us every value has its own bucket: exact */
  struct lc_hist *h = hist_new();
  for (uint64_t i = 0; i < 256; i++) lc_hist_record(h, i);
  for (uint64_t r = 0; r < 256; r++) assert_int_equal(lc_hist_value_at_rank(h, r), r);
  free(h);
}

static void bucket_edges(void **state) {
  (void)state;
  size_t n = 0;
  uint64_t *v = lc_xmalloc(2 * LC_HIST_BUCKETS * sizeof *v);
  for (size_t i = 0; i < LC_HIST_BUCKETS; i++) {
    uint64_t lo, hi;
    lc_hist_bucket_range(i, &lo, &hi);
    v[n++] = lo;
    v[n++] = i == LC_HIST_BUCKETS - 1 ? LC_HIST_MAX_VALUE : hi;
  }
  check_distribution(v, n);
  /* a pair of samples at the two edges of one wide bucket */
  size_t idx = lc_hist_bucket_index(1000000);
  uint64_t lo, hi;
  lc_hist_bucket_range(idx, &lo, &hi);
  v[0] = lo;
  v[1] = hi;
  check_distribution(v, 2);
  v[0] = hi;
  v[1] = hi + 1;
  v[2] = lo - 1;
  check_distribution(v, 3);
  free(v);
}

static void huge_values(void **state) {
  (void)state;
  uint64_t seed = 6;
  size_t n = 50000;
  uint64_t *v = lc_xmalloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = rng_range(&seed, 1000000000, 3600000000);
  check_distribution(v, n);
  /* beyond the range: clamped into the top bucket, counted, the exact max kept */
  for (size_t i = 0; i < n; i++)
    v[i] = rng_unit(&seed) < 0.98 ? rng_range(&seed, 1000, 5000)
                                   : rng_range(&seed, UINT64_C(5000000000), UINT64_C(1000000000000));
  check_distribution(v, n);
  struct lc_hist *h = hist_new();
  lc_hist_record(h, 100);
  lc_hist_record(h, UINT64_C(1) << 40);
  assert_int_equal(h->clamped, 1);
  assert_int_equal(h->max, UINT64_C(1) << 40);
  assert_int_equal(lc_hist_percentile(h, 1.0), UINT64_C(1) << 40);
  assert_int_equal(lc_hist_percentile(h, 0.5), UINT64_C(1) << 40);
  assert_int_equal(lc_hist_percentile(h, 0.0), 100);
  assert_int_equal(h->counts[LC_HIST_BUCKETS - 1], 1);
  free(h);
  free(v);
}

/* Locust's bug (issues 255, 331, 1563, 2005): its rounding put percentiles above max. Here
 * every percentile stays within [min, max] whatever the data. */
static void percentiles_never_exceed_max(void **state) {
  (void)state;
  uint64_t seed = 7;
  struct lc_hist *h = hist_new();
  for (int round = 0; round < 2000; round++) {
    lc_hist_reset(h);
    size_t n = (size_t)rng_range(&seed, 1, 40);
    uint64_t base = rng_range(&seed, 0, 10000000);
    for (size_t i = 0; i < n; i++) lc_hist_record(h, base + rng_range(&seed, 0, base / 50 + 1));
    for (size_t k = 0; k < LC_ARRAY_LEN(percentiles); k++)
      assert_in_range(lc_hist_percentile(h, percentiles[k]), h->min, h->max);
    assert_int_equal(lc_hist_percentile(h, 1.0), h->max);
  }
  free(h);
}

static void percentile_arguments(void **state) {
  (void)state;
  struct lc_hist *h = hist_new();
  assert_int_equal(lc_hist_percentile(h, 0.5), 0);
  assert_int_equal(lc_hist_median(h), 0);
  assert_true(lc_hist_mean(h) == 0.0);
  for (uint64_t i = 1; i <= 100; i++) lc_hist_record(h, i * 1000);
  assert_int_equal(lc_hist_percentile(h, -1), 1000);
  assert_int_equal(lc_hist_percentile(h, NAN), 1000);
  assert_int_equal(lc_hist_percentile(h, 2), 100000);
  assert_int_equal(lc_hist_value_at_rank(h, 1000), 100000);
  assert_true(lc_hist_mean(h) == 50500.0);
  /* rank floor(100 * 0.5) = 50 -> 51st sample; the lower median is rank 49 -> 50th */
  assert_close(lc_hist_percentile(h, 0.5), 51000);
  assert_close(lc_hist_median(h), 50000);
  free(h);
}

static void bucket_layout(void **state) {
  (void)state;
  uint64_t prev_hi = 0;
  for (size_t i = 0; i < LC_HIST_BUCKETS; i++) {
    uint64_t lo, hi;
    lc_hist_bucket_range(i, &lo, &hi);
    assert_true(lo <= hi);
    if (i > 0) assert_int_equal(lo, prev_hi + 1);
    assert_int_equal(lc_hist_bucket_index(lo), i);
    if (i < LC_HIST_BUCKETS - 1) {
      assert_int_equal(lc_hist_bucket_index(hi), i);
      assert_true((hi - lo + 1) * 128 <= (lo > 0 ? lo : 1) || hi == lo);
    }
    prev_hi = hi;
  }
  assert_int_equal(prev_hi, UINT64_MAX);
  assert_int_equal(lc_hist_bucket_index(LC_HIST_MAX_VALUE), LC_HIST_BUCKETS - 1);
  assert_int_equal(lc_hist_bucket_index(UINT64_MAX), LC_HIST_BUCKETS - 1);
  assert_true(LC_HIST_MAX_VALUE >= UINT64_C(3600000000));
  assert_int_equal(LC_HIST_BUCKETS, 3328);
  /* the memory figure the header states */
  assert_true(sizeof(struct lc_hist) <= 13360);
}

static void merge_equals_single_recording(void **state) {
  (void)state;
  uint64_t seed = 8;
  struct lc_hist *all = hist_new(), *parts[3] = {hist_new(), hist_new(), hist_new()};
  for (int i = 0; i < 100000; i++) {
    uint64_t v = rng_unit(&seed) < 0.001 ? rng_range(&seed, 0, UINT64_C(10000000000))
                                          : (uint64_t)(-20000.0 * log(1.0 - rng_unit(&seed)));
    lc_hist_record(all, v);
    lc_hist_record(parts[rng_next(&seed) % 3], v);
  }
  struct lc_hist *m = hist_new();
  for (int k = 0; k < 3; k++) lc_hist_merge(m, parts[k]);
  assert_hist_equal(m, all);
  /* merging an empty histogram changes nothing; into an empty one copies */
  struct lc_hist *empty = hist_new();
  lc_hist_merge(m, empty);
  assert_hist_equal(m, all);
  lc_hist_merge(empty, all);
  assert_hist_equal(empty, all);
  /* merging with itself doubles every count */
  struct lc_hist *twice = hist_new();
  lc_hist_merge(twice, all);
  lc_hist_merge(twice, all);
  lc_hist_merge(m, m);
  assert_hist_equal(m, twice);
  for (int k = 0; k < 3; k++) free(parts[k]);
  free(all);
  free(m);
  free(empty);
  free(twice);
}

static void record_n_equals_repeated_records(void **state) {
  (void)state;
  struct lc_hist *a = hist_new(), *b = hist_new();
  lc_hist_record_n(a, 777777, 5);
  lc_hist_record_n(a, 3, 2);
  lc_hist_record_n(a, 9, 0);
  for (int i = 0; i < 5; i++) lc_hist_record(b, 777777);
  lc_hist_record(b, 3);
  lc_hist_record(b, 3);
  assert_hist_equal(a, b);
  free(a);
  free(b);
}

/* Stores the buckets as a JSON writer would (lo, count) and rebuilds. */
static void round_trip(const struct lc_hist *h, bool shuffle) {
  struct lc_hist_pair *pairs = lc_xmalloc(LC_HIST_BUCKETS * sizeof *pairs);
  size_t n = 0;
  struct lc_hist_iter it;
  struct lc_hist_bucket b;
  uint64_t total = 0;
  lc_hist_iter_init(&it, h);
  while (lc_hist_iter_next(&it, &b)) {
    assert_true(b.count > 0);
    assert_true(n == 0 || b.lo > pairs[n - 1].value);
    pairs[n].value = b.lo;
    pairs[n].count = b.count;
    total += b.count;
    n++;
  }
  if (h->saturated)
    assert_true(total < h->count); /* the saturated bucket dropped samples */
  else
    assert_int_equal(total, h->count);
  if (shuffle) {
    uint64_t seed = n;
    for (size_t i = n; i > 1; i--) {
      size_t j = (size_t)(rng_next(&seed) % i);
      struct lc_hist_pair t = pairs[i - 1];
      pairs[i - 1] = pairs[j];
      pairs[j] = t;
    }
  }
  struct lc_hist_summary sum;
  lc_hist_summarize(h, &sum);
  struct lc_hist *r = hist_new();
  lc_hist_record(r, 42); /* restore starts from scratch */
  assert_int_equal(lc_hist_restore(r, &sum, pairs, n), 0);
  assert_hist_equal(r, h);
  free(r);
  free(pairs);
}

static void iterate_and_restore_round_trip(void **state) {
  (void)state;
  uint64_t seed = 9;
  struct lc_hist *h = hist_new();
  round_trip(h, false); /* empty */
  lc_hist_record(h, 0);
  round_trip(h, false);
  for (int i = 0; i < 50000; i++) lc_hist_record(h, (uint64_t)exp(rng_unit(&seed) * 21.0));
  round_trip(h, false);
  round_trip(h, true);
  lc_hist_record(h, UINT64_C(99999999999)); /* clamped */
  round_trip(h, true);
  lc_hist_reset(h);
  lc_hist_record(h, UINT64_C(5000000000));
  round_trip(h, false);
  /* the bucket value need not be the lo: any value inside names the bucket */
  lc_hist_reset(h);
  lc_hist_record(h, 1000000);
  lc_hist_record(h, 1000001);
  struct lc_hist_summary s;
  lc_hist_summarize(h, &s);
  struct lc_hist_pair p[] = {{1000001, 1}, {1000000, 0}, {1000002, 1}};
  struct lc_hist *r = hist_new();
  assert_int_equal(lc_hist_restore(r, &s, p, 3), 0);
  assert_hist_equal(r, h);
  free(r);
  free(h);
}

static void restore_rejects_inconsistent_input(void **state) {
  (void)state;
  struct lc_hist *r = hist_new(), *empty = hist_new();
  struct lc_hist_pair p[] = {{1000, 2}, {50000, 1}};
  struct lc_hist_summary good = {3, 1000 + 1003 + 50000, 1000, 50000, 0};
  assert_int_equal(lc_hist_restore(r, &good, p, 2), 0);
  assert_int_equal(r->count, 3);
  assert_int_equal(lc_hist_percentile(r, 1.0), 50000);

  struct lc_hist_summary bad = good;
  bad.count = 4; /* pairs add up to 3 */
  assert_int_equal(lc_hist_restore(r, &bad, p, 2), LC_EINVAL);
  assert_hist_equal(r, empty);
  bad = good;
  bad.min = 2000; /* not in the lowest bucket */
  assert_int_equal(lc_hist_restore(r, &bad, p, 2), LC_EINVAL);
  bad = good;
  bad.max = 70000; /* not in the highest bucket */
  assert_int_equal(lc_hist_restore(r, &bad, p, 2), LC_EINVAL);
  bad = good;
  bad.sum = 1000; /* below count * min */
  assert_int_equal(lc_hist_restore(r, &bad, p, 2), LC_EINVAL);
  bad = good;
  bad.sum = 3 * 50000 + 1; /* above count * max */
  assert_int_equal(lc_hist_restore(r, &bad, p, 2), LC_EINVAL);
  bad = good;
  bad.clamped = 1; /* max is not above the range */
  assert_int_equal(lc_hist_restore(r, &bad, p, 2), LC_EINVAL);
  struct lc_hist_summary zero = {0, 0, UINT64_MAX, 0, 0};
  assert_int_equal(lc_hist_restore(r, &zero, p, 2), LC_EINVAL);
  assert_int_equal(lc_hist_restore(r, &zero, NULL, 0), 0);
  assert_hist_equal(r, empty);
  struct lc_hist_pair overflow[] = {{1, UINT64_MAX}, {1, 2}};
  struct lc_hist_summary s1 = {1, 1, 1, 1, 0};
  assert_int_equal(lc_hist_restore(r, &s1, overflow, 2), LC_EINVAL);
  free(r);
  free(empty);
}

static void reset_and_copy(void **state) {
  (void)state;
  uint64_t seed = 10;
  struct lc_hist *h = hist_new(), *fresh = hist_new(), *again = hist_new();
  for (int i = 0; i < 10000; i++) lc_hist_record(h, rng_range(&seed, 0, UINT64_C(9000000000)));
  struct lc_hist *c = hist_new();
  lc_hist_copy(c, h);
  assert_hist_equal(c, h);
  lc_hist_reset(h);
  assert_hist_equal(h, fresh);
  lc_hist_reset(h); /* resetting an empty one is fine */
  assert_hist_equal(h, fresh);
  lc_hist_record(h, 5);
  lc_hist_record(again, 5);
  assert_hist_equal(h, again);
  lc_hist_release(h);
  free(h);
  free(fresh);
  free(again);
  free(c);
}

static void saturated_bucket_keeps_exact_figures(void **state) {
  (void)state;
  struct lc_hist *h = hist_new();
  lc_hist_record_n(h, 1000, UINT32_MAX);
  assert_int_equal(h->saturated, 0);
  lc_hist_record(h, 1000);
  lc_hist_record(h, 2000);
  assert_int_equal(h->saturated, 1);
  assert_int_equal(h->counts[lc_hist_bucket_index(1000)], UINT32_MAX);
  assert_int_equal(h->count, UINT64_C(4294967297));
  assert_int_equal(h->max, 2000);
  assert_int_equal(lc_hist_percentile(h, 1.0), 2000);
  assert_in_range(lc_hist_percentile(h, 0.9999999999), 1000, 2000);
  /* a saturated histogram round-trips too */
  round_trip(h, false);
  free(h);
}

/* The corrected recording equals recording every missed sample one by one (HdrHistogram's
 * loop), in buckets, count, min and max; and it stays cheap for a stall of an hour. */
static void record_corrected_equals_the_loop(void **state) {
  (void)state;
  static const uint64_t cases[][2] = {{1000, 0}, {1000, 2000}, {1000, 1000}, {1999, 1000},
                                      {2000, 1000}, {1000000, 10000}, {1234567, 777},
                                      {50000, 3}, {300, 7}, {999999, 1}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    uint64_t v = cases[c][0], iv = cases[c][1];
    struct lc_hist a, b;
    lc_hist_init(&a);
    lc_hist_init(&b);
    lc_hist_record_corrected(&a, v, iv);
    lc_hist_record(&b, v);
    if (iv)
      for (uint64_t m = v - (v >= iv ? iv : v); v >= iv && m >= iv; m -= iv) lc_hist_record(&b, m);
    assert_int_equal(a.count, b.count);
    assert_int_equal(a.min, b.min);
    assert_int_equal(a.max, b.max);
    assert_memory_equal(a.counts, b.counts, sizeof a.counts);
  }
  struct lc_hist h;
  lc_hist_init(&h);
  lc_hist_record_corrected(&h, UINT64_C(3600000000), 1); /* an hour at 1 us: 3.6e9 samples */
  assert_int_equal(h.count, UINT64_C(3600000000));
  assert_int_equal(h.min, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(uniform),
      cmocka_unit_test(exponential),
      cmocka_unit_test(bimodal),
      cmocka_unit_test(log_uniform_full_range),
      cmocka_unit_test(constant_and_single),
      cmocka_unit_test(zero_and_small_values),
      cmocka_unit_test(bucket_edges),
      cmocka_unit_test(huge_values),
      cmocka_unit_test(percentiles_never_exceed_max),
      cmocka_unit_test(percentile_arguments),
      cmocka_unit_test(bucket_layout),
      cmocka_unit_test(merge_equals_single_recording),
      cmocka_unit_test(record_n_equals_repeated_records),
      cmocka_unit_test(iterate_and_restore_round_trip),
      cmocka_unit_test(restore_rejects_inconsistent_input),
      cmocka_unit_test(reset_and_copy),
      cmocka_unit_test(saturated_bucket_keeps_exact_figures),
      cmocka_unit_test(record_corrected_equals_the_loop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
