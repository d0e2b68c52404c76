/* test_engine_history.c: unit tests for engine/history: rows and points per second, the current
 * window (rates and percentiles over the last 10 s against exact sorted-array values), the
 * cumulative columns, idle entries dropping out of rows, reset, and rows pushed by a loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"
#include "engine/history.h"

struct fx {
  struct lc_history *h;
  struct lc_stats *totals, *second;
  int64_t t;
};

static int setup(void **state) {
  struct fx *f = lc_xcalloc(1, sizeof *f);
  f->h = lc_history_new();
  f->totals = lc_stats_new(0, 0);
  f->second = lc_stats_new(0, 0);
  f->t = 1700000000000000;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  lc_history_free(f->h);
  lc_stats_free(f->totals);
  lc_stats_free(f->second);
  free(f);
  return 0;
}

static void rec(struct fx *f, const char *name, uint64_t rt, uint64_t len, bool failed) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, "GET");
  lc_stats_record(f->second, &k, rt, len, failed, failed ? "boom" : NULL, f->t);
}

/* Ends a second: merges it into the totals and adds the row. */
static const struct lc_history_row *tick(struct fx *f, uint32_t users) {
  lc_stats_merge(f->totals, f->second);
  f->t += 1000000;
  lc_history_add(f->h, f->second, f->totals, f->t, 0, users);
  lc_stats_reset(f->second);
  return lc_history_row_at(f->h, lc_history_row_count(f->h) - 1);
}

static const struct lc_history_point *point_of(struct fx *f, const struct lc_history_row *row,
                                               const char *name) {
  for (size_t i = 0; i < row->npoints; i++) {
    const struct lc_history_point *p = lc_history_point_at(f->h, row->first + i);
    if (!name && p->entry == LC_HISTORY_TOTAL) return p;
    if (name && p->entry != LC_HISTORY_TOTAL &&
        !strcmp(lc_stats_entry_at(f->totals, p->entry)->name, name))
      return p;
  }
  return NULL;
}

static void one_second(void **state) {
  struct fx *f = *state;
  rec(f, "/a", 10, 100, false);
  rec(f, "/a", 20, 100, true);
  rec(f, "/b", 30, 50, false);
  const struct lc_history_row *row = tick(f, 7);
  assert_int_equal(lc_history_row_count(f->h), 1);
  assert_int_equal(row->users, 7);
  assert_int_equal(row->npoints, 3);
  const struct lc_history_point *agg = lc_history_point_at(f->h, row->first);
  assert_int_equal(agg->entry, LC_HISTORY_TOTAL); /* Aggregated first */
  assert_int_equal(agg->requests, 3);
  assert_int_equal(agg->failures, 1);
  assert_int_equal(agg->content_bytes, 250);
  assert_int_equal(agg->rt_sum_us, 60);
  assert_int_equal(agg->rt_min_us, 10);
  assert_int_equal(agg->rt_max_us, 30);
  assert_true(agg->rps == 3.0 && agg->fps == 1.0);
  assert_int_equal(agg->pct_us[0], 20); /* rank floor(3 * .5) = 1 */
  assert_int_equal(agg->pct_us[LC_PCT_COUNT - 1], 30);
  assert_int_equal(agg->total_requests, 3);
  assert_int_equal(agg->total_median_us, 20);
  const struct lc_history_point *a = point_of(f, row, "/a");
  assert_non_null(a);
  assert_int_equal(a->requests, 2);
  assert_int_equal(a->failures, 1);
  assert_int_equal(a->total_min_us, 10);
  assert_int_equal(a->total_max_us, 20);
  assert_true(a->total_avg_us == 15.0);
}

/* Percentiles and rates of the window equal those of the last 10 seconds' samples, sorted. */
static void window_matches_sorted_samples(void **state) {
  struct fx *f = *state;
  uint64_t all[40][50];
  uint64_t seed = 12345;
  for (int s = 0; s < 40; s++) {
    for (int i = 0; i < 50; i++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      uint64_t v = 1 + (seed >> 33) % 200; /* 1..200 us: one bucket per value, so exact */
      all[s][i] = v;
      rec(f, "/x", v, 1, i % 10 == 0);
    }
    const struct lc_history_row *row = tick(f, 1);
    const struct lc_history_point *p = point_of(f, row, "/x");
    assert_non_null(p);
    int first = s >= LC_HISTORY_WINDOW - 1 ? s - (LC_HISTORY_WINDOW - 1) : 0;
    size_t n = 0;
    uint64_t v[LC_HISTORY_WINDOW * 50];
    for (int k = first; k <= s; k++)
      for (int i = 0; i < 50; i++) v[n++] = all[k][i];
    for (size_t i = 1; i < n; i++) /* insertion sort */
      for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
        uint64_t t = v[j];
        v[j] = v[j - 1];
        v[j - 1] = t;
      }
    for (size_t k = 0; k < LC_PCT_COUNT; k++) {
      size_t rank = (size_t)((double)n * lc_pct_values[k]);
      if (rank > n - 1) rank = n - 1;
      assert_int_equal(p->pct_us[k], v[rank]);
    }
    double secs = (double)(s + 1 < LC_HISTORY_WINDOW ? s + 1 : LC_HISTORY_WINDOW);
    assert_true(p->rps == (double)n / secs);
    assert_true(p->fps == (double)(n / 10) / secs);
    assert_int_equal(p->total_requests, 50 * (s + 1));
  }
}

/* An entry stays in the rows while its window has requests, then drops out. */
static void idle_entry_drops_out(void **state) {
  struct fx *f = *state;
  rec(f, "/once", 100, 1, false);
  rec(f, "/always", 100, 1, false);
  tick(f, 1);
  for (int s = 1; s < LC_HISTORY_WINDOW + 3; s++) {
    rec(f, "/always", 100, 1, false);
    const struct lc_history_row *row = tick(f, 1);
    const struct lc_history_point *p = point_of(f, row, "/once");
    if (s < LC_HISTORY_WINDOW) {
      assert_non_null(p);
      assert_int_equal(p->requests, 0);           /* nothing this second */
      assert_int_equal(p->pct_us[0], 100);        /* but the window still has it */
      assert_int_equal(p->total_requests, 1);
    } else {
      assert_null(p);
    }
    assert_non_null(point_of(f, row, "/always"));
  }
  /* a quiet second: Aggregated only, with zero rates once the window is empty */
  for (int s = 0; s < LC_HISTORY_WINDOW; s++) tick(f, 0);
  const struct lc_history_row *row = tick(f, 0);
  assert_int_equal(row->npoints, 1);
  const struct lc_history_point *agg = lc_history_point_at(f->h, row->first);
  assert_true(agg->rps == 0.0);
  assert_int_equal(agg->pct_us[0], 0);
  assert_int_equal(agg->total_requests, LC_HISTORY_WINDOW + 4);
}

static void reset_and_push(void **state) {
  struct fx *f = *state;
  rec(f, "/a", 10, 1, false);
  tick(f, 1);
  lc_history_reset(f->h);
  lc_stats_reset(f->totals);
  assert_int_equal(lc_history_row_count(f->h), 0);
  rec(f, "/a", 40, 1, false);
  const struct lc_history_row *row = tick(f, 2);
  assert_int_equal(lc_history_row_count(f->h), 1);
  const struct lc_history_point *a = point_of(f, row, "/a");
  assert_true(a->rps == 1.0); /* one second since the reset */
  assert_int_equal(a->pct_us[0], 40);

  struct lc_history *g = lc_history_new();
  lc_history_push_row(g, 5, 6, 7);
  struct lc_history_point p = {.entry = LC_HISTORY_TOTAL, .requests = 9};
  lc_history_push_point(g, &p);
  p.entry = 0;
  lc_history_push_point(g, &p);
  assert_int_equal(lc_history_row_count(g), 1);
  assert_int_equal(lc_history_row_at(g, 0)->npoints, 2);
  assert_int_equal(lc_history_row_at(g, 0)->wall_us, 5);
  assert_int_equal(lc_history_point_at(g, 1)->requests, 9);
  lc_history_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(one_second, setup, teardown),
      cmocka_unit_test_setup_teardown(window_matches_sorted_samples, setup, teardown),
      cmocka_unit_test_setup_teardown(idle_entry_drops_out, setup, teardown),
      cmocka_unit_test_setup_teardown(reset_and_push, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
