/* hist.c: the log-linear microsecond histogram (see hist.h for the layout and its precision).
 * Bucket index of v >= 256: with e = floor(log2 v) and shift = e - 7, v >> shift lies in
 * [128, 256) and the index is shift * 128 + (v >> shift); below 256 the index is v itself. */
#include "engine/hist.h"

#include <string.h>

#include "engine/base/base.h"

#define TOP (LC_HIST_BUCKETS - 1)

static unsigned log2_floor(uint64_t v) {
#if defined(__GNUC__)
  return 63u - (unsigned)__builtin_clzll(v);
#else
  unsigned e = 0;
  while (v >>= 1) e++;
  return e;
#endif
}

size_t lc_hist_bucket_index(uint64_t value) {
  if (value > LC_HIST_MAX_VALUE) return TOP;
  if (value < 2 * LC_HIST_SUB_COUNT) return (size_t)value;
  unsigned shift = log2_floor(value) - LC_HIST_SUB_BITS;
  return (size_t)shift * LC_HIST_SUB_COUNT + (size_t)(value >> shift);
}

void lc_hist_bucket_range(size_t idx, uint64_t *lo, uint64_t *hi) {
  if (idx < 2 * LC_HIST_SUB_COUNT) {
    *lo = *hi = idx;
  } else {
    unsigned shift = (unsigned)(idx / LC_HIST_SUB_COUNT) - 1;
    uint64_t sub = idx - (size_t)shift * LC_HIST_SUB_COUNT;
    *lo = sub << shift;
    *hi = *lo + ((UINT64_C(1) << shift) - 1);
  }
  if (idx >= TOP) *hi = UINT64_MAX;
}

void lc_hist_init(struct lc_hist *h) {
  memset(h, 0, sizeof *h);
  h->min = UINT64_MAX;
}

void lc_hist_release(struct lc_hist *h) { (void)h; }

void lc_hist_reset(struct lc_hist *h) {
  if (h->count > 0) {
    size_t a = lc_hist_bucket_index(h->min), b = lc_hist_bucket_index(h->max);
    memset(&h->counts[a], 0, (b - a + 1) * sizeof h->counts[0]);
  }
  h->count = h->sum = h->max = h->clamped = 0;
  h->min = UINT64_MAX;
  h->saturated = 0;
}

void lc_hist_copy(struct lc_hist *dst, const struct lc_hist *src) {
  if (dst != src) *dst = *src;
}

/* counts[i] += n, stopping at UINT32_MAX. */
static void bucket_add(struct lc_hist *h, size_t i, uint64_t n) {
  uint64_t c = h->counts[i] + n;
  if (c < n || c > UINT32_MAX) {
    c = UINT32_MAX;
    h->saturated = 1;
  }
  h->counts[i] = (uint32_t)c;
}

void lc_hist_record(struct lc_hist *h, uint64_t value) {
  size_t i = lc_hist_bucket_index(value);
  if (h->counts[i] != UINT32_MAX)
    h->counts[i]++;
  else
    h->saturated = 1;
  h->count++;
  h->sum += value;
  if (value < h->min) h->min = value;
  if (value > h->max) h->max = value;
  if (value > LC_HIST_MAX_VALUE) h->clamped++;
}

void lc_hist_record_n(struct lc_hist *h, uint64_t value, uint64_t n) {
  if (n == 0) return;
  bucket_add(h, lc_hist_bucket_index(value), n);
  h->count += n;
  h->sum += value * n;
  if (value < h->min) h->min = value;
  if (value > h->max) h->max = value;
  if (value > LC_HIST_MAX_VALUE) h->clamped += n;
}

void lc_hist_merge(struct lc_hist *dst, const struct lc_hist *src) {
  if (src->count == 0) return;
  /* also right when dst == src: each bucket reads its count before adding it */
  size_t a = lc_hist_bucket_index(src->min), b = lc_hist_bucket_index(src->max);
  for (size_t i = a; i <= b; i++)
    if (src->counts[i]) bucket_add(dst, i, src->counts[i]);
  dst->count += src->count;
  dst->sum += src->sum;
  dst->clamped += src->clamped;
  if (src->min < dst->min) dst->min = src->min;
  if (src->max > dst->max) dst->max = src->max;
  if (src->saturated) dst->saturated = 1;
}

uint64_t lc_hist_value_at_rank(const struct lc_hist *h, uint64_t rank) {
  if (h->count == 0) return 0;
  if (rank >= h->count - 1) return h->max;
  if (rank == 0) return h->min;
  size_t i = lc_hist_bucket_index(h->min), end = lc_hist_bucket_index(h->max);
  uint64_t seen = 0;
  for (; i <= end; i++) {
    seen += h->counts[i];
    if (seen > rank) break;
  }
  if (i > end) return h->max; /* only when a bucket saturated */
  uint64_t lo, hi;
  lc_hist_bucket_range(i, &lo, &hi);
  if (lo < h->min) lo = h->min;
  if (hi > h->max) hi = h->max;
  return lo + (hi - lo) / 2;
}

uint64_t lc_hist_percentile(const struct lc_hist *h, double p) {
  if (h->count == 0) return 0;
  if (!(p > 0)) p = 0; /* also NaN */
  if (p > 1) p = 1;
  double x = (double)h->count * p;
  uint64_t rank = x >= (double)h->count ? h->count - 1 : (uint64_t)x;
  return lc_hist_value_at_rank(h, rank);
}

uint64_t lc_hist_median(const struct lc_hist *h) {
  return h->count ? lc_hist_value_at_rank(h, (h->count - 1) / 2) : 0;
}

double lc_hist_mean(const struct lc_hist *h) {
  return h->count ? (double)h->sum / (double)h->count : 0.0;
}

void lc_hist_iter_init(struct lc_hist_iter *it, const struct lc_hist *h) {
  it->h = h;
  if (h->count == 0) {
    it->next = it->end = 0;
  } else {
    it->next = lc_hist_bucket_index(h->min);
    it->end = lc_hist_bucket_index(h->max) + 1;
  }
}

bool lc_hist_iter_next(struct lc_hist_iter *it, struct lc_hist_bucket *out) {
  const uint32_t *counts = it->h->counts;
  while (it->next < it->end && counts[it->next] == 0) it->next++;
  if (it->next >= it->end) return false;
  lc_hist_bucket_range(it->next, &out->lo, &out->hi);
  out->count = counts[it->next];
  it->next++;
  return true;
}

void lc_hist_summarize(const struct lc_hist *h, struct lc_hist_summary *out) {
  out->count = h->count;
  out->sum = h->sum;
  out->min = h->min;
  out->max = h->max;
  out->clamped = h->clamped;
}

/* Whether the stored exact figures agree with the buckets already rebuilt in `h`. */
static bool summary_consistent(const struct lc_hist *h, const struct lc_hist_summary *s,
                               uint64_t total, size_t lowest, size_t highest) {
  if (s->count == 0) return total == 0 && s->sum == 0 && s->clamped == 0;
  if (total != s->count) {
    bool any_full = false;
    for (size_t i = lowest; i <= highest; i++) any_full |= h->counts[i] == UINT32_MAX;
    if (total > s->count || !any_full) return false;
  }
  if (s->min > s->max) return false;
  if (lc_hist_bucket_index(s->min) != lowest || lc_hist_bucket_index(s->max) != highest)
    return false;
  if (s->clamped > s->count || (s->clamped > 0) != (s->max > LC_HIST_MAX_VALUE)) return false;
  if (s->min > LC_HIST_MAX_VALUE && s->clamped != s->count) return false;
  uint64_t avg_floor = s->sum / s->count;
  uint64_t avg_ceil = avg_floor + (s->sum % s->count != 0);
  return avg_floor >= s->min && avg_ceil <= s->max;
}

int lc_hist_restore(struct lc_hist *h, const struct lc_hist_summary *summary,
                    const struct lc_hist_pair *pairs, size_t n) {
  lc_hist_init(h);
  uint64_t total = 0;
  size_t lowest = LC_HIST_BUCKETS, highest = 0;
  for (size_t k = 0; k < n; k++) {
    if (pairs[k].count == 0) continue;
    if (total + pairs[k].count < total) goto fail;
    total += pairs[k].count;
    size_t i = lc_hist_bucket_index(pairs[k].value);
    bucket_add(h, i, pairs[k].count);
    if (i < lowest) lowest = i;
    if (i > highest) highest = i;
  }
  if (!summary_consistent(h, summary, total, lowest, highest)) goto fail;
  if (summary->count == 0) return 0;
  h->count = summary->count;
  h->sum = summary->sum;
  h->min = summary->min;
  h->max = summary->max;
  h->clamped = summary->clamped;
  if (total != summary->count) h->saturated = 1;
  return 0;
fail:
  lc_hist_init(h);
  return LC_EINVAL;
}

/* HdrHistogram's recordValueWithExpectedInterval: besides `value`, the samples a user on a
 * fixed schedule missed while it waited: value - I, value - 2I, ... down to I. They form an
 * arithmetic sequence, recorded bucket by bucket (O(buckets), however long the stall), each
 * bucket's count at one of its own elements, the smallest and largest exactly. */
void lc_hist_record_corrected(struct lc_hist *h, uint64_t value, uint64_t interval) {
  lc_hist_record(h, value);
  if (interval == 0 || value < 2 * interval) return;
  uint64_t top = value - interval;                    /* the largest missed sample */
  uint64_t count = (value - interval) / interval;     /* samples >= interval */
  uint64_t low = value - count * interval;            /* the smallest */
  size_t b = lc_hist_bucket_index(low), last = lc_hist_bucket_index(top);
  for (; b <= last; b++) {
    uint64_t lo, hi;
    lc_hist_bucket_range(b, &lo, &hi);
    if (lo < low) lo = low;
    if (hi > top) hi = top;
    if (lo > hi) continue;
    /* elements value - j*I in [lo, hi]: j from ceil((value-hi)/I) to floor((value-lo)/I) */
    uint64_t jmin = (value - hi + interval - 1) / interval, jmax = (value - lo) / interval;
    if (jmin > jmax) continue;
    uint64_t n = jmax - jmin + 1, smallest = value - jmax * interval, largest = value - jmin * interval;
    if (n == 1) {
      lc_hist_record(h, smallest);
    } else {
      lc_hist_record_n(h, smallest, n - 1);
      lc_hist_record(h, largest);
    }
  }
}
