/* history.c: see history.h. */
#include "engine/history.h"

#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"

const double lc_pct_values[LC_PCT_COUNT] = {0.50, 0.66, 0.75, 0.80, 0.90, 0.95,
                                            0.98, 0.99, 0.999, 0.9999, 1.0};
const char *const lc_pct_labels[LC_PCT_COUNT] = {"50%", "66%", "75%", "80%", "90%", "95%",
                                                 "98%", "99%", "99.9%", "99.99%", "100%"};

/* One second of one entry inside the window: its non-empty buckets. */
struct slot {
  uint64_t row;                /* the row (1-based since the last reset) it holds; 0: none */
  uint64_t requests, failures;
  uint64_t min, max;           /* exact */
  struct lc_hist_pair *pairs;
  size_t npairs, cap;
};

struct win {
  struct slot slots[LC_HISTORY_WINDOW];
  uint64_t last_row;           /* the last row with requests; 0: none */
  const struct lc_stats_entry *cur;  /* its entry in the second being added, when it has one */
};

struct lc_history {
  struct lc_history_row *rows;
  size_t nrows, caprows;
  struct lc_history_point *points;
  size_t npoints, cappoints;
  struct win **wins;           /* by totals entry index; NULL: never active */
  size_t nwins;
  struct win total;
  uint64_t seq;                /* rows added since the last reset */
  struct lc_hist scratch;
};

struct lc_history *lc_history_new(void) {
  struct lc_history *h = lc_xcalloc(1, sizeof *h);
  lc_hist_init(&h->scratch);
  return h;
}

static void win_release(struct win *w) {
  for (size_t i = 0; i < LC_HISTORY_WINDOW; i++) free(w->slots[i].pairs);
  memset(w, 0, sizeof *w);
}

static void wins_clear(struct lc_history *h) {
  for (size_t i = 0; i < h->nwins; i++) {
    if (!h->wins[i]) continue;
    win_release(h->wins[i]);
    free(h->wins[i]);
    h->wins[i] = NULL;
  }
  win_release(&h->total);
}

void lc_history_free(struct lc_history *h) {
  if (!h) return;
  wins_clear(h);
  free(h->wins);
  free(h->rows);
  free(h->points);
  free(h);
}

void lc_history_reset(struct lc_history *h) {
  wins_clear(h);
  h->nrows = h->npoints = 0;
  h->seq = 0;
}

void lc_history_push_row(struct lc_history *h, int64_t wall_us, int64_t elapsed_us,
                         uint32_t users) {
  if (h->nrows == h->caprows) {
    h->caprows = h->caprows ? h->caprows * 2 : 64;
    h->rows = lc_xrealloc(h->rows, h->caprows * sizeof *h->rows);
  }
  h->rows[h->nrows++] = (struct lc_history_row){wall_us, elapsed_us, users, h->npoints, 0};
}

void lc_history_push_point(struct lc_history *h, const struct lc_history_point *p) {
  if (!h->nrows) return;
  if (h->npoints == h->cappoints) {
    h->cappoints = h->cappoints ? h->cappoints * 2 : 256;
    h->points = lc_xrealloc(h->points, h->cappoints * sizeof *h->points);
  }
  h->points[h->npoints++] = *p;
  h->rows[h->nrows - 1].npoints++;
}

size_t lc_history_row_count(const struct lc_history *h) { return h->nrows; }

const struct lc_history_row *lc_history_row_at(const struct lc_history *h, size_t i) {
  return i < h->nrows ? &h->rows[i] : NULL;
}

const struct lc_history_point *lc_history_point_at(const struct lc_history *h, size_t i) {
  return i < h->npoints ? &h->points[i] : NULL;
}

/* Stores entry e's second (row r) in its window slot. */
static void slot_fill(struct win *w, uint64_t r, const struct lc_stats_entry *e) {
  struct slot *s = &w->slots[r % LC_HISTORY_WINDOW];
  s->row = r;
  s->requests = e->num_requests;
  s->failures = e->num_failures;
  s->min = e->hist.min;
  s->max = e->hist.max;
  s->npairs = 0;
  struct lc_hist_iter it;
  struct lc_hist_bucket b;
  lc_hist_iter_init(&it, &e->hist);
  while (lc_hist_iter_next(&it, &b)) {
    if (s->npairs == s->cap) {
      s->cap = s->cap ? s->cap * 2 : 32;
      s->pairs = lc_xrealloc(s->pairs, s->cap * sizeof *s->pairs);
    }
    s->pairs[s->npairs++] = (struct lc_hist_pair){b.lo, b.count};
  }
  w->last_row = r;
}

/* The point of one entry (win, its totals entry `t`) for row r. */
static void point_fill(struct lc_history *h, struct lc_history_point *p, uint32_t index,
                       const struct win *w, uint64_t r, const struct lc_stats_entry *t) {
  memset(p, 0, sizeof *p);
  p->entry = index;
  if (w->cur) {
    const struct lc_stats_entry *e = w->cur;
    p->requests = e->num_requests;
    p->failures = e->num_failures;
    p->content_bytes = e->total_content_length;
    p->rt_sum_us = e->hist.sum;
    if (e->num_requests) {
      p->rt_min_us = e->hist.min;
      p->rt_max_us = e->hist.max;
    }
  }
  uint64_t reqs = 0, fails = 0, min = UINT64_MAX, max = 0;
  struct lc_hist *sc = &h->scratch;
  lc_hist_reset(sc);
  for (size_t i = 0; i < LC_HISTORY_WINDOW; i++) {
    const struct slot *s = &w->slots[i];
    if (!s->row || s->row + LC_HISTORY_WINDOW <= r || s->row > r) continue;
    reqs += s->requests;
    fails += s->failures;
    if (!s->requests) continue;
    for (size_t j = 0; j < s->npairs; j++) lc_hist_record_n(sc, s->pairs[j].value, s->pairs[j].count);
    if (s->min < min) min = s->min;
    if (s->max > max) max = s->max;
  }
  uint64_t secs = r < LC_HISTORY_WINDOW ? r : LC_HISTORY_WINDOW;
  p->rps = (double)reqs / (double)secs;
  p->fps = (double)fails / (double)secs;
  if (sc->count) {
    /* the exact extremes (the buckets were recorded at their lower bounds) */
    sc->min = min;
    sc->max = max;
    for (size_t k = 0; k < LC_PCT_COUNT; k++) p->pct_us[k] = lc_hist_percentile(sc, lc_pct_values[k]);
  }
  p->total_requests = t->num_requests;
  p->total_failures = t->num_failures;
  p->total_content_bytes = t->total_content_length;
  if (t->num_requests) {
    p->total_min_us = t->hist.min;
    p->total_max_us = t->hist.max;
    p->total_median_us = lc_hist_median(&t->hist);
    p->total_avg_us = lc_hist_mean(&t->hist);
  }
}

/* The totals entry (and its index) that second's entry e was merged into. */
static const struct lc_stats_entry *totals_entry(const struct lc_stats *totals,
                                                 const struct lc_stats_entry *e) {
  const struct lc_stats_entry *t = NULL;
  if (!e->overflow) {
    struct lc_stats_key k = {e->name, e->method, e->hash, e->name_len, e->method_len};
    t = lc_stats_find(totals, &k);
  }
  if (!t) /* beyond the totals' cap: its overflow entry */
    for (size_t i = lc_stats_entry_count(totals); i-- > 0 && !t;)
      if (lc_stats_entry_at(totals, i)->overflow) t = lc_stats_entry_at(totals, i);
  return t;
}

void lc_history_add(struct lc_history *h, const struct lc_stats *second,
                    const struct lc_stats *totals, int64_t wall_us, int64_t elapsed_us,
                    uint32_t users) {
  uint64_t r = ++h->seq;
  for (size_t i = 0; i < h->nwins; i++)
    if (h->wins[i]) h->wins[i]->cur = NULL;
  /* this second into the windows */
  const struct lc_stats_entry *tot = lc_stats_total(second);
  h->total.cur = tot;
  slot_fill(&h->total, r, tot);
  size_t n = lc_stats_entry_count(second);
  for (size_t i = 0; i < n; i++) {
    const struct lc_stats_entry *e = lc_stats_entry_at(second, i);
    if (!e->num_requests) continue;
    const struct lc_stats_entry *t = totals_entry(totals, e);
    if (!t) continue;
    if (t->index >= h->nwins) {
      size_t m = h->nwins ? h->nwins : 16;
      while (m <= t->index) m *= 2;
      h->wins = lc_xrealloc(h->wins, m * sizeof *h->wins);
      memset(h->wins + h->nwins, 0, (m - h->nwins) * sizeof *h->wins);
      h->nwins = m;
    }
    if (!h->wins[t->index]) h->wins[t->index] = lc_xcalloc(1, sizeof **h->wins);
    struct win *w = h->wins[t->index];
    if (w->cur) { /* two entries of second merged into one of totals (its overflow entry) */
      struct slot *s = &w->slots[r % LC_HISTORY_WINDOW];
      s->requests += e->num_requests;
      s->failures += e->num_failures;
      continue;
    }
    w->cur = e;
    slot_fill(w, r, e);
  }
  /* the row: Aggregated, then every entry active in the window */
  lc_history_push_row(h, wall_us, elapsed_us, users);
  struct lc_history_point p;
  point_fill(h, &p, LC_HISTORY_TOTAL, &h->total, r, lc_stats_total(totals));
  lc_history_push_point(h, &p);
  for (size_t i = 0; i < h->nwins; i++) {
    struct win *w = h->wins[i];
    if (!w) continue;
    if (w->last_row + LC_HISTORY_WINDOW <= r) { /* idle for a whole window: let it go */
      win_release(w);
      free(w);
      h->wins[i] = NULL;
      continue;
    }
    const struct lc_stats_entry *t = lc_stats_entry_at(totals, i);
    if (!t) continue;
    point_fill(h, &p, (uint32_t)i, w, r, t);
    lc_history_push_point(h, &p);
  }
}
