/* hist.h: a log-linear histogram of microsecond values (HdrHistogram's layout, written for
 * loadc because Debian 12 ships no C HdrHistogram). Every statistics entry holds one; workers
 * record into it, the coordinator merges them, reports read percentiles from it and store it.
 *
 * Layout: values 0..255 have a bucket each; above that every power of two [2^k, 2^(k+1)) is cut
 * into 128 equal sub-buckets, up to LC_HIST_MAX_VALUE = 2^32-1 us (71.6 minutes). A bucket's
 * width is at most 1/128 of its lower bound, and the value reported for it (the midpoint, see
 * lc_hist_value_at_rank) is within 1/256 (0.39 %) of every value it holds. Larger values go into
 * the top bucket and are counted in `clamped`; min, max and sum stay exact for all values.
 *
 * Memory: the counts are a fixed array inside the struct, LC_HIST_BUCKETS (3,328) uint32_t, so
 * sizeof(struct lc_hist) is 13,360 bytes and a histogram never allocates. A bucket holds up to
 * 2^32-1 samples (workers hand over deltas every second, so only run totals could get there:
 * over 4 billion samples within one 0.8 %-wide band); past that the bucket saturates and sets
 * `saturated`: count/min/max/sum stay exact, percentiles stay within [min, max] but may shift.
 *
 * Recording, merging and reset touch only the buckets between min's and max's, so they cost
 * O(1) and O(range). A histogram is plain data: copying it with `=` or lc_hist_copy is fine;
 * lc_hist_release exists for symmetry and frees nothing. Not thread-safe: one thread at a time. */
#ifndef LC_ENGINE_HIST_H
#define LC_ENGINE_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LC_HIST_SUB_BITS 7                            /* 128 sub-buckets per power of two */
#define LC_HIST_SUB_COUNT (1u << LC_HIST_SUB_BITS)
#define LC_HIST_VALUE_BITS 32                         /* values below 2^32 get their own bucket */
#define LC_HIST_MAX_VALUE ((UINT64_C(1) << LC_HIST_VALUE_BITS) - 1)
/* 256 one-value buckets, then 128 per power of two from 2^8 to 2^31: 3,328 */
#define LC_HIST_BUCKETS ((LC_HIST_VALUE_BITS - LC_HIST_SUB_BITS + 1) * LC_HIST_SUB_COUNT)

struct lc_hist {
  uint64_t count;    /* samples recorded (exact) */
  uint64_t sum;      /* sum of the exact values, us (wraps only after 584,000 years) */
  uint64_t min;      /* exact; UINT64_MAX while empty */
  uint64_t max;      /* exact; 0 while empty */
  uint64_t clamped;  /* samples above LC_HIST_MAX_VALUE, counted in the top bucket */
  uint32_t saturated; /* nonzero once a bucket reached UINT32_MAX and dropped samples */
  uint32_t counts[LC_HIST_BUCKETS];
};

/* One non-empty bucket: it holds `count` samples with values in [lo, hi]. The top bucket's hi
 * is UINT64_MAX since it also holds the clamped values. */
struct lc_hist_bucket {
  uint64_t lo;
  uint64_t hi;
  uint64_t count;
};

/* What lc_hist_restore rebuilds a histogram from: (value, count) pairs, where `value` is any
 * value inside the bucket (a stored bucket's lo), plus the exact figures kept beside. */
struct lc_hist_pair {
  uint64_t value;
  uint64_t count;
};
struct lc_hist_summary {
  uint64_t count;
  uint64_t sum;
  uint64_t min;
  uint64_t max;
  uint64_t clamped;
};

/* Makes `h` empty. lc_hist_release frees nothing (the counts are inside the struct). */
void lc_hist_init(struct lc_hist *h);
void lc_hist_release(struct lc_hist *h);
/* Empties `h`; costs O(buckets between min and max). */
void lc_hist_reset(struct lc_hist *h);
/* dst = src (struct assignment would do; this names the intent). */
void lc_hist_copy(struct lc_hist *dst, const struct lc_hist *src);

/* Records one sample / n samples of `value` us. O(1), never allocates. */
void lc_hist_record(struct lc_hist *h, uint64_t value);
void lc_hist_record_n(struct lc_hist *h, uint64_t value, uint64_t n);
/* Records `value` and, for interval > 0, value - interval, value - 2*interval, ... while they
 * are >= interval (HdrHistogram's recordValueWithExpectedInterval), in O(buckets). */
void lc_hist_record_corrected(struct lc_hist *h, uint64_t value, uint64_t interval);
/* Adds every sample of `src` to `dst` (the result equals recording both streams into one). */
void lc_hist_merge(struct lc_hist *dst, const struct lc_hist *src);

/* Locust's percentile: the sample of rank min(floor(N*p), N-1) in the sorted samples (p in
 * [0, 1], clamped; NaN counts as 0). Returns the representative value of the bucket holding that
 * rank: the midpoint of the bucket's range intersected with [min, max], so the result always
 * lies in [min, max]; rank 0 returns min and rank N-1 returns max exactly (p = 1 is the max).
 * An empty histogram returns 0. */
uint64_t lc_hist_percentile(const struct lc_hist *h, double p);
/* Locust's median: the lower median, rank floor((N-1)/2). */
uint64_t lc_hist_median(const struct lc_hist *h);
/* The representative value of the sample of 0-based rank `rank` (>= N is taken as N-1). */
uint64_t lc_hist_value_at_rank(const struct lc_hist *h, uint64_t rank);
/* sum / count, or 0 when empty. */
double lc_hist_mean(const struct lc_hist *h);

/* The bucket index of a value (values above LC_HIST_MAX_VALUE give the top bucket), and the
 * inclusive value range of bucket `idx` (< LC_HIST_BUCKETS; the top bucket's hi is UINT64_MAX). */
size_t lc_hist_bucket_index(uint64_t value);
void lc_hist_bucket_range(size_t idx, uint64_t *lo, uint64_t *hi);

/* Iterates the non-empty buckets in increasing value order:
 *   struct lc_hist_iter it; struct lc_hist_bucket b;
 *   lc_hist_iter_init(&it, h); while (lc_hist_iter_next(&it, &b)) ...
 * `h` must not change during the iteration. */
struct lc_hist_iter {
  const struct lc_hist *h;
  size_t next;
  size_t end;
};
void lc_hist_iter_init(struct lc_hist_iter *it, const struct lc_hist *h);
bool lc_hist_iter_next(struct lc_hist_iter *it, struct lc_hist_bucket *out);

/* The exact figures of `h`, to be stored beside its buckets. */
void lc_hist_summarize(const struct lc_hist *h, struct lc_hist_summary *out);
/* Rebuilds `h` from stored pairs (from lc_hist_iter_next: value = lo) and summary, for loading a
 * JSON result: iterating, storing and restoring gives back an identical histogram. Pairs may
 * come in any order, several may name the same bucket, and counts of 0 are skipped. Returns 0,
 * or LC_EINVAL when the input is inconsistent (the pair counts do not add up to summary.count,
 * min or max is not in the lowest or highest non-empty bucket, min > max, the sum is not
 * between count*min and count*max, clamped does not match max); `h` is then left empty.
 * Reads `pairs` and `summary` only (the caller keeps them). */
int lc_hist_restore(struct lc_hist *h, const struct lc_hist_summary *summary,
                    const struct lc_hist_pair *pairs, size_t n);

#endif
