/* test_report_thresholds.c: unit tests for report/thresholds.c: each metric and filter of a
 * threshold evaluated on a hand-built statistics shard (response times below 256 us, which
 * the histogram holds exactly, so every expected value is exact), the tag and check index
 * built from a compiled plan (tags inherited by nested tasksets and their hooks, templated
 * names matched as globs), thresholds that match nothing, and the `_intended` latencies (from
 * the intended-start histograms, or not measured when the run has none). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/compile.h"
#include "report/thresholds.h"

static const char *const scenario =
    "host: http://127.0.0.1:1\n"
    "users:\n"
    "  U:\n"
    "    tasks:\n"
    "      - get: /a\n"
    "        tags: [api]\n"
    "        check: {status: 200}\n"
    "      - steps:\n"
    "          - post: /b\n"
    "            name: \"/items/{{ random_int(1, 9) }}\"\n"
    "        tags: [api]\n"
    "      - get: /c\n"
    "      - taskset:\n"
    "          on_start:\n"
    "            - get: /hook\n"
    "          tasks:\n"
    "            - get: /forum\n"
    "        tags: [forum]\n"
    "thresholds:\n"
    /* the whole run: 5 7 10 20 30 40 50 100 200 us, 2 failures, over 3 s */
    "  - p50 < 1ms\n"                         /* 0 rank 4: 30 us */
    "  - median <= 30us\n"                    /* 1 30 us */
    "  - p100 > 199us\n"                      /* 2 200 us */
    "  - avg < 51us\n"                        /* 3 462/9 us: fails */
    "  - min == 5us\n"                        /* 4 */
    "  - max != 200us\n"                      /* 5 fails */
    "  - rps >= 3\n"                          /* 6 9 / 3 s */
    "  - requests == 9\n"                     /* 7 */
    "  - failures > 2\n"                      /* 8 2: fails */
    "  - error_rate < 22.3%\n"                /* 9 2/9 */
    "  - check_rate >= 75%\n"                 /* 10 /a only: 3 of 4 */
    "  - p50{name=/a} < 31us\n"               /* 11 {10,20,30,40} rank 2: 30 */
    "  - avg{method=POST} == 150us\n"         /* 12 {100,200} */
    "  - max{tag=api} < 200us\n"              /* 13 /a and /items/3: 200, fails */
    "  - requests{tag=forum} == 2\n"          /* 14 /forum and the set's /hook */
    "  - min{tag=forum} == 5us\n"             /* 15 */
    "  - requests{tag=nope} > 0\n"            /* 16 nothing matched */
    "  - requests{name=\"/items/3\", tag=api} == 2\n"  /* 17 */
    "  - requests{name=/c, tag=api} == 1\n"   /* 18 /c has no tag: nothing matched */
    "  - p99_intended < 1s\n"                 /* 19 no intended: not measured */
    "  - check_rate{name=/c} > 0%\n"          /* 20 /c has no checks: nothing matched */
    "  - error_rate{method=GET} > 28.5%\n"    /* 21 2 of 7 */
    /* from the intended start (intended_latency: /a 110 120 130 140, /forum 250, /c 200 paced
     * every 60 us: 200 140 80; the fixture itself has none, so these are not measured there) */
    "  - p50_intended{name=/a} == 130us\n"    /* 22 rank 2 */
    "  - max_intended{tag=forum} == 250us\n"  /* 23 /forum only: /hook has none */
    "  - avg_intended{method=POST} < 1ms\n"   /* 24 POST has none: not measured */
    "  - min_intended{tag=nope} < 1ms\n"      /* 25 nothing matched */
    "  - min_intended{name=/c} == 80us\n"     /* 26 the corrected samples */
    "  - avg_intended{name=/c} == 140us\n";   /* 27 */

struct fixture {
  struct lc_diags *d;
  struct lc_doc *doc;
  struct lc_plan *plan;
  struct lc_stats *s;
  struct lc_threshold_index *ix;
};

static void rec(struct lc_stats *s, const char *method, const char *name, uint64_t us, bool failed) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  lc_stats_record(s, &k, us, 10, failed, failed ? "boom" : NULL, 1000);
}

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  f->d = lc_diags_new(0);
  f->doc = lc_doc_load_string("t.yaml", scenario, strlen(scenario), NULL, f->d);
  f->plan = f->doc ? lc_compile(f->doc, NULL, f->d) : NULL;
  if (!f->plan) {
    lc_diags_print(f->d, stderr, LC_DIAG_TEXT);
    return -1;
  }
  f->s = lc_stats_new(0, 0);
  rec(f->s, "GET", "/a", 10, false);
  rec(f->s, "GET", "/a", 20, false);
  rec(f->s, "GET", "/a", 30, false);
  rec(f->s, "GET", "/a", 40, true);
  rec(f->s, "POST", "/items/3", 100, false);
  rec(f->s, "POST", "/items/3", 200, false);
  rec(f->s, "GET", "/c", 50, true);
  rec(f->s, "GET", "/forum", 7, false);
  rec(f->s, "GET", "/hook", 5, false);
  f->ix = lc_threshold_index_new(f->plan);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  lc_threshold_index_free(f->ix);
  lc_stats_free(f->s);
  lc_plan_free(f->plan);
  lc_doc_free(f->doc);
  lc_diags_free(f->d);
  free(f);
  return 0;
}

static const struct {
  double measured; /* NaN: not measured */
  bool passed;
  const char *unit;
} want[] = {
    {0.030, true, "ms"},          {0.030, true, "ms"},  {0.200, true, "ms"},
    {462.0 / 9 / 1000, false, "ms"}, {0.005, true, "ms"}, {0.200, false, "ms"},
    {3, true, ""},                {9, true, ""},        {2, false, ""},
    {200.0 / 9, true, "%"},       {75, true, "%"},      {0.030, true, "ms"},
    {0.150, true, "ms"},          {0.200, false, "ms"}, {2, true, ""},
    {0.005, true, "ms"},          {NAN, false, ""},     {2, true, ""},
    {NAN, false, ""},             {NAN, false, "ms"},   {NAN, false, "%"},
    {200.0 / 7, true, "%"},       {NAN, false, "ms"},   {NAN, false, "ms"},
    {NAN, false, "ms"},           {NAN, false, "ms"},   {NAN, false, "ms"},
    {NAN, false, "ms"},
};

#define NO_INTENDED_NOTE                                                                       \
  "no response time from the intended start: the run had no scheduled users (open model, "    \
  "constant_pacing or constant_throughput)"

static void every_metric_and_filter(void **state) {
  struct fixture *f = *state;
  assert_int_equal(f->plan->nthresholds, LC_ARRAY_LEN(want));
  bool all;
  struct lc_threshold_result *r =
      lc_thresholds_eval(f->ix, f->plan->thresholds, f->plan->nthresholds, f->s, 3000000, &all);
  assert_false(all);
  for (size_t i = 0; i < LC_ARRAY_LEN(want); i++) {
    print_message("threshold %zu: %s measured %.17g %s, %s\n", i, r[i].source, r[i].measured,
                  r[i].unit, r[i].passed ? "passed" : "failed");
    if (isnan(want[i].measured))
      assert_true(isnan(r[i].measured));
    else
      assert_float_equal(r[i].measured, want[i].measured, 1e-12);
    assert_int_equal(r[i].passed, want[i].passed);
    assert_string_equal(r[i].unit, want[i].unit);
  }
  /* the texts the reports show */
  assert_string_equal(r[0].metric, "p50");
  assert_string_equal(r[0].op, "<");
  assert_float_equal(r[0].limit, 1.0, 1e-12);
  assert_null(r[0].filter);
  assert_null(r[0].note);
  assert_string_equal(r[9].metric, "error_rate");
  assert_float_equal(r[9].limit, 22.3, 1e-9);
  assert_string_equal(r[17].filter, "name=/items/3,tag=api");
  assert_string_equal(r[12].filter, "method=POST");
  assert_string_equal(r[16].note, "no request matched");
  assert_string_equal(r[20].note, "no request with checks matched");
  assert_false(r[19].skipped);
  assert_string_equal(r[19].metric, "p99_intended");
  assert_string_equal(r[19].note, NO_INTENDED_NOTE);
  assert_string_equal(r[25].note, "no request matched");
  assert_string_equal(r[22].metric, "p50_intended");
  assert_string_equal(r[22].filter, "name=/a");
  assert_false(r[0].skipped);
  lc_threshold_results_free(r, f->plan->nthresholds);
}

static void all_passed_and_rps_without_duration(void **state) {
  struct fixture *f = *state;
  bool all = false;
  /* thresholds 0, 1, 2 pass */
  struct lc_threshold_result *r = lc_thresholds_eval(f->ix, f->plan->thresholds, 3, f->s, 0, &all);
  assert_true(all);
  lc_threshold_results_free(r, 3);
  assert_null(lc_thresholds_eval(f->ix, f->plan->thresholds, 0, f->s, 0, &all));
  assert_true(all);
  struct lc_threshold_result one;
  lc_threshold_eval(f->ix, &f->plan->thresholds[6], f->s, 0, &one);
  assert_true(isnan(one.measured));
  assert_false(one.passed);
  assert_string_equal(one.note, "the run has no duration");
  lc_threshold_result_release(&one);
}

static void empty_stats_measure_nothing(void **state) {
  struct fixture *f = *state;
  struct lc_stats *empty = lc_stats_new(0, 0);
  for (size_t i = 0; i < f->plan->nthresholds; i++) {
    struct lc_threshold_result r;
    lc_threshold_eval(f->ix, &f->plan->thresholds[i], empty, 1000000, &r);
    assert_true(isnan(r.measured));
    assert_int_equal(r.passed, r.skipped);
    lc_threshold_result_release(&r);
  }
  lc_stats_free(empty);
}

static void rec_intended(struct lc_stats *s, const char *method, const char *name, uint64_t us,
                         uint64_t intended_us, uint64_t interval_us) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  lc_stats_record(s, &k, us, 10, false, NULL, 1000);
  lc_stats_record_intended(s, &k, intended_us, interval_us);
}

static void intended_latency(void **state) {
  struct fixture *f = *state;
  struct lc_stats *s = lc_stats_new(0, 0);
  lc_stats_merge(s, f->s);
  rec_intended(s, "GET", "/a", 10, 110, 0);
  rec_intended(s, "GET", "/a", 20, 120, 0);
  rec_intended(s, "GET", "/a", 30, 130, 0);
  rec_intended(s, "GET", "/a", 40, 140, 0);
  rec_intended(s, "GET", "/forum", 7, 250, 0);
  rec_intended(s, "GET", "/c", 50, 200, 60); /* 200, 140, 80 */
  static const struct {
    size_t i;
    double measured;
    bool passed;
  } w[] = {{19, 0.250, true}, {22, 0.130, true}, {23, 0.250, true}, {24, NAN, false},
           {25, NAN, false},  {26, 0.080, true}, {27, 0.140, true}};
  for (size_t k = 0; k < LC_ARRAY_LEN(w); k++) {
    struct lc_threshold_result r;
    lc_threshold_eval(f->ix, &f->plan->thresholds[w[k].i], s, 3000000, &r);
    print_message("threshold %zu: %s measured %.17g\n", w[k].i, r.source, r.measured);
    if (isnan(w[k].measured))
      assert_true(isnan(r.measured));
    else
      assert_float_equal(r.measured, w[k].measured, 1e-12);
    assert_int_equal(r.passed, w[k].passed);
    assert_false(r.skipped);
    assert_string_equal(r.unit, "ms");
    if (w[k].passed) assert_null(r.note);
    lc_threshold_result_release(&r);
  }
  struct lc_threshold_result r;
  lc_threshold_eval(f->ix, &f->plan->thresholds[24], s, 3000000, &r);
  assert_string_equal(r.note, NO_INTENDED_NOTE);
  lc_threshold_result_release(&r);
  /* the plain figures are untouched by the intended ones */
  lc_threshold_eval(f->ix, &f->plan->thresholds[5], s, 3000000, &r);
  assert_float_equal(r.measured, 0.200, 1e-12);
  lc_threshold_result_release(&r);
  lc_stats_free(s);
}

static void index_tags_and_checks(void **state) {
  struct fixture *f = *state;
  assert_true(lc_threshold_index_tagged(f->ix, "api", "/a", "GET"));
  assert_false(lc_threshold_index_tagged(f->ix, "api", "/a", "POST"));
  assert_true(lc_threshold_index_tagged(f->ix, "api", "/items/42", "POST"));
  assert_true(lc_threshold_index_tagged(f->ix, "api", "/items/", "POST"));
  assert_false(lc_threshold_index_tagged(f->ix, "api", "/item/4", "POST"));
  assert_false(lc_threshold_index_tagged(f->ix, "api", "/b", "POST"));
  assert_false(lc_threshold_index_tagged(f->ix, "forum", "/a", "GET"));
  assert_true(lc_threshold_index_tagged(f->ix, "forum", "/forum", "GET"));
  assert_true(lc_threshold_index_tagged(f->ix, "forum", "/hook", "GET"));
  assert_false(lc_threshold_index_tagged(f->ix, "api", "/c", "GET"));
  assert_true(lc_threshold_index_checked(f->ix, "/a", "GET"));
  assert_false(lc_threshold_index_checked(f->ix, "/c", "GET"));
  struct lc_threshold_index *none = lc_threshold_index_new(NULL);
  assert_false(lc_threshold_index_tagged(none, "api", "/a", "GET"));
  assert_false(lc_threshold_index_checked(none, "/a", "GET"));
  lc_threshold_index_free(none);
}

static void formats(void **state) {
  (void)state;
  char b[64];
  assert_string_equal(lc_threshold_format(b, sizeof b, 612.5, "ms"), "612.5 ms");
  assert_string_equal(lc_threshold_format(b, sizeof b, 1.5, "%"), "1.5 %");
  assert_string_equal(lc_threshold_format(b, sizeof b, 42, ""), "42");
  assert_string_equal(lc_threshold_format(b, sizeof b, NAN, "ms"), "n/a");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_metric_and_filter),
      cmocka_unit_test(all_passed_and_rps_without_duration),
      cmocka_unit_test(empty_stats_measure_nothing),
      cmocka_unit_test(intended_latency),
      cmocka_unit_test(index_tags_and_checks),
      cmocka_unit_test(formats),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
