/* test_config_threshold.c: unit tests for config/compile_threshold.c: every metric, the
 * _intended forms, filters, operators and units parse to the exact struct lc_threshold; every
 * error comes with its exact message, hint and line:column; no input crashes the parser.
 * Scenarios are loaded with lc_doc_load_string; most tests give each `thresholds:` item to
 * cc_threshold with a compile context built here (to see its return value and every field),
 * and the last ones go through lc_compile to check the plan it builds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/compile.h"
#include "config/compile_int.h"

#define MAX_T 8

struct fx {
  struct lc_diags *d;
  struct lc_doc *doc;
  struct lc_plan_owned own;
  struct lc_plan plan;
  struct cc c;
  size_t n;                   /* thresholds in the document */
  int rc[MAX_T];
  struct lc_threshold t[MAX_T];
};

static const char *const prefix = "users: {U: {tasks: [{get: /}]}}\nthresholds:\n";

/* Loads prefix + `items` (the lines of the thresholds list) and compiles every item. */
static void run(struct fx *f, const char *items) {
  memset(f, 0, sizeof *f);
  size_t pl = strlen(prefix), il = strlen(items);
  char *text = lc_xmalloc(pl + il + 1);
  memcpy(text, prefix, pl);
  memcpy(text + pl, items, il + 1);
  f->d = lc_diags_new(0);
  f->doc = lc_doc_load_string("t.yaml", text, pl + il, NULL, f->d);
  free(text);
  assert_non_null(f->doc);
  assert_int_equal(lc_diags_count(f->d), 0);
  lc_arena_init(&f->own.arena);
  f->plan.owned = &f->own;
  f->plan.file = "t.yaml";
  f->c.d = f->d;
  f->c.doc = f->doc;
  f->c.plan = &f->plan;
  f->c.own = &f->own;
  const struct lc_node *list = lc_node_get(lc_doc_root(f->doc), "thresholds", NULL);
  assert_int_equal(lc_node_kind(list), LC_NODE_SEQUENCE);
  f->n = lc_node_count(list);
  assert_true(f->n <= MAX_T);
  for (size_t i = 0; i < f->n; i++) {
    memset(&f->t[i], 0xA5, sizeof f->t[i]); /* cc_threshold must set every field */
    f->rc[i] = cc_threshold(&f->c, lc_node_item(list, i), &f->t[i]);
  }
}

static void done(struct fx *f) {
  lc_arena_release(&f->own.arena);
  lc_doc_free(f->doc);
  lc_diags_free(f->d);
}

/* "line:col: severity: message (did you mean 'x'?)\n" for every diagnostic. */
static char *diags_text(const struct fx *f) {
  struct lc_buf b;
  lc_buf_init(&b, 0);
  static const char *const sev[] = {"error", "warning", "note"};
  for (size_t i = 0; i < lc_diags_count(f->d); i++) {
    const struct lc_diag *g = lc_diags_get(f->d, i);
    lc_buf_printf(&b, "%u:%u: %s: %s", (unsigned)g->line, (unsigned)g->column,
                  sev[g->severity], g->message);
    if (g->hint) lc_buf_printf(&b, " (did you mean '%s'?)", g->hint);
    lc_buf_puts(&b, "\n");
  }
  return lc_buf_steal(&b);
}

static void assert_diags(const struct fx *f, const char *want) {
  char *got = diags_text(f);
  assert_string_equal(got, want);
  free(got);
}

/* Compiles the one threshold `item` (written after "  - " on line 3) and returns it; it must
 * compile without any diagnostic. */
static const struct lc_threshold *good(struct fx *f, const char *item) {
  char line[256];
  snprintf(line, sizeof line, "  - %s\n", item);
  run(f, line);
  assert_diags(f, "");
  assert_int_equal(f->n, 1);
  assert_int_equal(f->rc[0], 0);
  return &f->t[0];
}

/* Compiles `items` and checks the diagnostics exactly and that every item failed. */
static void bad_items(const char *items, const char *want) {
  struct fx f;
  run(&f, items);
  assert_diags(&f, want);
  for (size_t i = 0; i < f.n; i++) assert_int_equal(f.rc[i], -1);
  done(&f);
}

/* The same for the one threshold `item` after "  - " on line 3 (its text starts at column 5). */
static void bad(const char *item, const char *want) {
  char line[256];
  snprintf(line, sizeof line, "  - %s\n", item);
  bad_items(line, want);
}

static void assert_no_filters(const struct lc_threshold *t) {
  assert_null(t->filter_name);
  assert_null(t->filter_method);
  assert_null(t->filter_tag);
}

/* ---- good thresholds ---- */

static void percentile_with_duration(void **state) {
  (void)state;
  struct fx f;
  const struct lc_threshold *t = good(&f, "p95 < 500ms");
  assert_string_equal(t->source, "p95 < 500ms");
  assert_int_equal(t->metric, LC_METRIC_PERCENTILE);
  assert_true(t->percentile == 0.95);
  assert_false(t->intended);
  assert_int_equal(t->op, LC_CMP_LT);
  assert_true(t->value == 500000);
  assert_int_equal(t->unit, LC_UNIT_US);
  assert_no_filters(t);
  assert_false(t->abort_on_fail);
  assert_true(t->delay_us == 0);
  assert_string_equal(t->mark.file, "t.yaml");
  assert_int_equal(t->mark.line, 3);
  assert_int_equal(t->mark.column, 5);
  done(&f);
}

static void percentiles_as_ratios(void **state) {
  (void)state;
  static const struct {
    const char *in;
    double ratio;
  } cases[] = {{"p99.9 < 1s", 0.999}, {"p50 < 1s", 0.5},     {"p100 < 1s", 1.0},
               {"p0.1 < 1s", 0.001},  {"p99.99 < 1s", 0.9999}, {"p05 < 1s", 0.05},
               {"p1 < 1s", 0.01}};
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    struct fx f;
    const struct lc_threshold *t = good(&f, cases[i].in);
    assert_int_equal(t->metric, LC_METRIC_PERCENTILE);
    if (t->percentile != cases[i].ratio) fail_msg("%s: %.17g", cases[i].in, t->percentile);
    assert_true(t->value == 1000000);
    done(&f);
  }
}

static void latency_metrics(void **state) {
  (void)state;
  static const struct {
    const char *in;
    enum lc_metric metric;
    double us;
  } cases[] = {{"avg < 200ms", LC_METRIC_AVG, 200000},
               {"min >= 1ms", LC_METRIC_MIN, 1000},
               {"max <= 1.5s", LC_METRIC_MAX, 1500000},
               {"median < 250us", LC_METRIC_MEDIAN, 250},
               {"max < 1m30s", LC_METRIC_MAX, 90000000}};
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    struct fx f;
    const struct lc_threshold *t = good(&f, cases[i].in);
    assert_int_equal(t->metric, cases[i].metric);
    assert_true(t->value == cases[i].us);
    assert_int_equal(t->unit, LC_UNIT_US);
    assert_false(t->intended);
    done(&f);
  }
  struct fx f;
  assert_true(good(&f, "median < 1s")->percentile == 0.5);
  done(&f);
}

static void intended_latency(void **state) {
  (void)state;
  static const struct {
    const char *in;
    enum lc_metric metric;
    double percentile;
  } cases[] = {{"p99_intended < 800ms", LC_METRIC_PERCENTILE, 0.99},
               {"p99.9_intended < 800ms", LC_METRIC_PERCENTILE, 0.999},
               {"avg_intended < 800ms", LC_METRIC_AVG, 0},
               {"min_intended < 800ms", LC_METRIC_MIN, 0},
               {"max_intended < 800ms", LC_METRIC_MAX, 0},
               {"median_intended < 800ms", LC_METRIC_MEDIAN, 0.5}};
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    struct fx f;
    const struct lc_threshold *t = good(&f, cases[i].in);
    assert_int_equal(t->metric, cases[i].metric);
    assert_true(t->intended);
    assert_true(t->percentile == cases[i].percentile);
    assert_true(t->value == 800000);
    assert_string_equal(t->source, cases[i].in);
    done(&f);
  }
}

static void rates_and_counts(void **state) {
  (void)state;
  static const struct {
    const char *in;
    enum lc_metric metric;
    double value;
    enum lc_unit unit;
  } cases[] = {{"rps > 50", LC_METRIC_RPS, 50, LC_UNIT_NONE},
               {"rps > 3000/m", LC_METRIC_RPS, 50, LC_UNIT_NONE},
               {"rps >= 12.5/s", LC_METRIC_RPS, 12.5, LC_UNIT_NONE},
               {"requests >= 1000", LC_METRIC_REQUESTS, 1000, LC_UNIT_NONE},
               {"failures == 0", LC_METRIC_FAILURES, 0, LC_UNIT_NONE},
               {"failures < 2.5", LC_METRIC_FAILURES, 2.5, LC_UNIT_NONE},
               {"error_rate < 1%", LC_METRIC_ERROR_RATE, 0.01, LC_UNIT_RATIO},
               {"error_rate <= 0.5%", LC_METRIC_ERROR_RATE, 0.005, LC_UNIT_RATIO},
               {"check_rate >= 99.5%", LC_METRIC_CHECK_RATE, 0.995, LC_UNIT_RATIO},
               {"check_rate == 100%", LC_METRIC_CHECK_RATE, 1, LC_UNIT_RATIO}};
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    struct fx f;
    const struct lc_threshold *t = good(&f, cases[i].in);
    assert_int_equal(t->metric, cases[i].metric);
    if (t->value != cases[i].value) fail_msg("%s: %.17g", cases[i].in, t->value);
    assert_int_equal(t->unit, cases[i].unit);
    assert_false(t->intended);
    assert_no_filters(t);
    done(&f);
  }
}

static void every_operator(void **state) {
  (void)state;
  static const struct {
    const char *in;
    enum lc_cmp_op op;
  } cases[] = {{"rps < 1", LC_CMP_LT},  {"rps <= 1", LC_CMP_LE}, {"rps > 1", LC_CMP_GT},
               {"rps >= 1", LC_CMP_GE}, {"rps == 1", LC_CMP_EQ}, {"rps != 1", LC_CMP_NE},
               {"rps<=1", LC_CMP_LE},   {"rps!=1", LC_CMP_NE}};
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    struct fx f;
    assert_int_equal(good(&f, cases[i].in)->op, cases[i].op);
    done(&f);
  }
}

static void filters(void **state) {
  (void)state;
  struct fx f;
  const struct lc_threshold *t = good(&f, "p99{name=\"/items/[id]\"} < 800ms");
  assert_string_equal(t->filter_name, "/items/[id]");
  assert_null(t->filter_method);
  assert_null(t->filter_tag);
  assert_true(t->percentile == 0.99);
  assert_string_equal(t->source, "p99{name=\"/items/[id]\"} < 800ms");
  done(&f);

  t = good(&f, "p99.9{method=GET, tag=checkout} <= 2s");
  assert_null(t->filter_name);
  assert_string_equal(t->filter_method, "GET");
  assert_string_equal(t->filter_tag, "checkout");
  assert_int_equal(t->op, LC_CMP_LE);
  assert_true(t->value == 2000000);
  done(&f);

  t = good(&f, "error_rate{name='say \"hi\"',method=post,} < 1%");
  assert_string_equal(t->filter_name, "say \"hi\"");
  assert_string_equal(t->filter_method, "POST");
  assert_true(t->value == 0.01);
  done(&f);

  t = good(&f, "rps{name=/items?page=[n]} > 5");
  assert_string_equal(t->filter_name, "/items?page=[n]");
  done(&f);

  t = good(&f, "avg_intended{tag=browse} < 1s");
  assert_true(t->intended);
  assert_string_equal(t->filter_tag, "browse");
  done(&f);
}

static void whitespace_everywhere(void **state) {
  (void)state;
  struct fx f;
  const struct lc_threshold *t = good(&f, "'  p95 { name = \"a b\" ,  method = get }  <=   1s  '");
  assert_string_equal(t->source, "p95 { name = \"a b\" ,  method = get }  <=   1s");
  assert_string_equal(t->filter_name, "a b");
  assert_string_equal(t->filter_method, "GET");
  assert_int_equal(t->op, LC_CMP_LE);
  assert_true(t->value == 1000000);
  done(&f);

  t = good(&f, "p95<500ms");
  assert_true(t->value == 500000);
  done(&f);
}

static void mapping_form(void **state) {
  (void)state;
  struct fx f;
  const struct lc_threshold *t =
      good(&f, "{expr: \"rps > 50\", abort_on_fail: true, delay: 30s}");
  assert_string_equal(t->source, "rps > 50");
  assert_int_equal(t->metric, LC_METRIC_RPS);
  assert_int_equal(t->op, LC_CMP_GT);
  assert_true(t->value == 50);
  assert_true(t->abort_on_fail);
  assert_true(t->delay_us == 30000000);
  assert_int_equal(t->mark.line, 3);
  assert_int_equal(t->mark.column, 5);
  done(&f);

  run(&f, "  - expr: p95 < 500ms\n    abort_on_fail: false\n");
  assert_diags(&f, "");
  assert_int_equal(f.rc[0], 0);
  assert_false(f.t[0].abort_on_fail);
  assert_true(f.t[0].value == 500000);
  done(&f);
}

static void several_in_one_list(void **state) {
  (void)state;
  struct fx f;
  run(&f, "  - p95 < 500ms\n  - error_rate < 1%\n  - rps > 50\n");
  assert_diags(&f, "");
  assert_int_equal(f.n, 3);
  for (size_t i = 0; i < 3; i++) assert_int_equal(f.rc[i], 0);
  assert_int_equal(f.t[1].metric, LC_METRIC_ERROR_RATE);
  assert_int_equal(f.t[2].mark.line, 5);
  done(&f);
}

static void block_scalar_is_trimmed(void **state) {
  (void)state;
  struct fx f;
  run(&f, "  - |\n    p95 < 500ms\n");
  assert_diags(&f, "");
  assert_int_equal(f.rc[0], 0);
  assert_string_equal(f.t[0].source, "p95 < 500ms");
  done(&f);
}

/* ---- errors ---- */

static void unknown_metrics(void **state) {
  (void)state;
  bad("p95x < 500ms", "3:5: error: unknown metric 'p95x'\n");
  bad("avarage < 500ms", "3:5: error: unknown metric 'avarage' (did you mean 'avg'?)\n");
  bad("average < 500ms", "3:5: error: unknown metric 'average' (did you mean 'avg'?)\n");
  bad("P95 < 500ms", "3:5: error: unknown metric 'P95' (did you mean 'p95'?)\n");
  bad("error-rate < 1%", "3:5: error: unknown metric 'error-rate' (did you mean 'error_rate'?)\n");
  bad("http_req_failed < 1%",
      "3:5: error: unknown metric 'http_req_failed' (did you mean 'error_rate'?)\n");
  bad("latency < 1s", "3:5: error: unknown metric 'latency'\n");
  bad("p < 1s", "3:5: error: unknown metric 'p'\n");
  bad("p9.9.9 < 1s", "3:5: error: unknown metric 'p9.9.9'\n");
  bad("p99. < 1s", "3:5: error: unknown metric 'p99.'\n");
}

static void intended_errors(void **state) {
  (void)state;
  bad("p99_intnded < 1s",
      "3:5: error: unknown metric 'p99_intnded' (did you mean 'p99_intended'?)\n");
  bad("avrage_intended < 1s",
      "3:5: error: unknown metric 'avrage_intended' (did you mean 'avg_intended'?)\n");
  bad("rps_intended > 5",
      "3:5: error: unknown metric 'rps_intended': only latency metrics (pNN, avg, min, max, "
      "median) have an '_intended' form\n");
  bad("error_rate_intended < 1%",
      "3:5: error: unknown metric 'error_rate_intended': only latency metrics (pNN, avg, min, "
      "max, median) have an '_intended' form\n");
}

static void percentile_range(void **state) {
  (void)state;
  bad("p0 < 1s", "3:5: error: percentile must be above 0 and at most 100, got 'p0'\n");
  bad("p0.0 < 1s", "3:5: error: percentile must be above 0 and at most 100, got 'p0.0'\n");
  bad("p100.1 < 1s", "3:5: error: percentile must be above 0 and at most 100, got 'p100.1'\n");
  bad("p999 < 1s", "3:5: error: percentile must be above 0 and at most 100, got 'p999'\n");
  bad("p0_intended < 1s",
      "3:5: error: percentile must be above 0 and at most 100, got 'p0_intended'\n");
}

static void filter_errors(void **state) {
  (void)state;
  bad("p95{nmae=x} < 1s", "3:9: error: unknown filter 'nmae' (did you mean 'name'?)\n");
  bad("p95{status=500} < 1s", "3:9: error: unknown filter 'status'\n");
  bad("p95{name=a, name=b} < 1s", "3:17: error: duplicate filter 'name'\n");
  bad("p95{name=x", "3:8: error: unterminated filter: '{' without '}'\n");
  bad("p95{name=x,", "3:8: error: unterminated filter: '{' without '}'\n");
  bad("p95{name=\"x} < 1s", "3:14: error: unterminated string: '\"' without a closing '\"'\n");
  bad("p95{name='x} < 1s", "3:14: error: unterminated string: ''' without a closing '''\n");
  bad("p95{name=} < 1s", "3:14: error: missing value for filter 'name'\n");
  bad("p95{name=\"\"} < 1s", "3:14: error: empty value for filter 'name'\n");
  bad("p95{} < 1s", "3:8: error: empty filter: expected name=, method= or tag= inside '{}'\n");
  bad("p95{name x} < 1s", "3:14: error: expected '=' after filter 'name', got 'x'\n");
  bad("p95{name=a b} < 1s",
      "3:16: error: expected ',' or '}' after the value of filter 'name', got 'b'\n");
  bad("p95{=a} < 1s", "3:9: error: expected a filter (name, method or tag), got '='\n");
}

static void operator_errors(void **state) {
  (void)state;
  bad("p95 500ms",
      "3:9: error: expected an operator (<, <=, >, >=, ==, !=) after 'p95'\n");
  bad("p95", "3:8: error: expected an operator (<, <=, >, >=, ==, !=) after 'p95'\n");
  bad("p95 = 500ms",
      "3:9: error: expected an operator (<, <=, >, >=, ==, !=) after 'p95' (did you mean "
      "'=='?)\n");
  bad("p95 => 500ms",
      "3:9: error: expected an operator (<, <=, >, >=, ==, !=) after 'p95' (did you mean "
      "'>='?)\n");
  bad("rps <> 5",
      "3:9: error: expected an operator (<, <=, >, >=, ==, !=) after 'rps' (did you mean "
      "'!='?)\n");
  bad("p99{name=x} ~ 1s",
      "3:17: error: expected an operator (<, <=, >, >=, ==, !=) after 'p99{name=x}'\n");
}

static void value_errors(void **state) {
  (void)state;
  bad("p95 <", "3:10: error: missing value after '<'\n");
  bad("p95 <=   ", "3:11: error: missing value after '<='\n");
  bad("p95 < <1s", "3:11: error: expected a value after '<', got '<1s'\n");
  bad("p95 < 500ms x", "3:17: error: unexpected 'x' after the value\n");
  bad("p95 < 500ms)", "3:16: error: unexpected ')' after the value\n");
  bad("p95 < 500 ms", "3:14: error: unexpected space between '500' and 'ms'\n");
  bad("error_rate < 1 %", "3:19: error: unexpected space between '1' and '%'\n");
  bad("rps > 50 /s", "3:13: error: unexpected space between '50' and '/s'\n");
  bad("p95 < 500", "3:11: error: '500' needs a unit, like 500ms or 0.5s\n");
  bad("avg < 2", "3:11: error: '2' needs a unit, like 2ms or 0.002s\n");
  bad("p95 < 5x", "3:12: error: invalid duration '5x': unknown unit 'x' (use h, m, s, ms or us)\n");
  bad("p95 < -5ms", "3:11: error: invalid duration '-5ms': durations cannot be negative\n");
  bad("error_rate < 0.01",
      "3:18: error: '0.01' needs a '%': 1% for a ratio of 0.01, or 0.01%\n");
  bad("error_rate < 5", "3:18: error: '5' needs a '%', like 5%\n");
  bad("check_rate > 101%", "3:18: error: invalid percentage '101%': more than 100%\n");
  bad("error_rate < 1ms",
      "3:19: error: invalid percentage '1ms': unexpected 'ms' after the number\n");
  bad("rps > -5", "3:11: error: invalid rate '-5': rates cannot be negative\n");
  bad("rps > 5x", "3:12: error: invalid rate '5x': unknown unit 'x' (use /s, /m or /h)\n");
  bad("requests > abc", "3:16: error: expected a number, got 'abc'\n");
  bad("failures < -1", "3:16: error: invalid number '-1': counts cannot be negative\n");
  bad("failures < 1%", "3:16: error: expected a number, got '1%'\n");
}

static void columns_inside_quotes_and_utf8(void **state) {
  (void)state;
  /* In a double-quoted scalar, the text starts one column after the quote. */
  bad("\"p95 < 500\"", "3:12: error: '500' needs a unit, like 500ms or 0.5s\n");
  /* Columns count characters: 'é' is two bytes and one column. */
  bad("p95{name=\"é\"} < 5x",
      "3:22: error: invalid duration '5x': unknown unit 'x' (use h, m, s, ms or us)\n");
  bad_items("  - expr: p95 < 500\n",
            "3:17: error: '500' needs a unit, like 500ms or 0.5s\n");
}

static void several_problems_at_once(void **state) {
  (void)state;
  bad("avarage{nmae=x} < 500",
      "3:5: error: unknown metric 'avarage' (did you mean 'avg'?)\n"
      "3:13: error: unknown filter 'nmae' (did you mean 'name'?)\n");
  bad("p95{tag=a, tag=b} < 500 x",
      "3:16: error: duplicate filter 'tag'\n"
      "3:29: error: unexpected 'x' after the value\n"
      "3:25: error: '500' needs a unit, like 500ms or 0.5s\n");
  struct fx f;
  run(&f, "  - p95x < 1s\n  - p95 < 1\n  - p95 < 1s\n");
  assert_diags(&f, "3:5: error: unknown metric 'p95x'\n"
                   "4:11: error: '1' needs a unit, like 1ms or 0.001s\n");
  assert_int_equal(f.rc[0], -1);
  assert_int_equal(f.rc[1], -1);
  assert_int_equal(f.rc[2], 0);
  done(&f);
}

static void node_errors(void **state) {
  (void)state;
  bad("[p95 < 1s]",
      "3:5: error: expected a threshold (a string like 'p95 < 500ms' or a mapping with "
      "'expr'), got a sequence\n");
  bad_items("  -\n", "3:4: error: expected a threshold like 'p95 < 500ms', got an empty value\n");
  bad("''", "3:5: error: expected a threshold like 'p95 < 500ms', got ''\n");
  bad("< 500ms", "3:5: error: expected a metric, like p95 or error_rate, got '<'\n");
  bad("{abort_on_fail: true}", "3:5: error: missing key 'expr'\n");
  bad("{expr: {p95: 1s}}",
      "3:12: error: expected a threshold like 'p95 < 500ms', got a mapping\n");
  bad("{expr: p95 < 1s, abort_on_fail: yes}",
      "3:37: error: expected true or false, got 'yes' (yes/no/on/off are not booleans in "
      "loadc)\n");
  bad("{expr: p95 < 1s, abort_on_fial: true}",
      "3:22: error: unknown key 'abort_on_fial' (did you mean 'abort_on_fail'?)\n");
  bad("{expr: p95 < 1s, abort_on_fail: true, delay: 5x}",
      "3:51: error: invalid duration '5x': unknown unit 'x' (use h, m, s, ms or us)\n");
}

static void delay_without_abort_warns(void **state) {
  (void)state;
  struct fx f;
  run(&f, "  - {expr: p95 < 1s, delay: 10s}\n  - {expr: p95 < 1s, abort_on_fail: false, "
          "delay: 10s}\n");
  assert_diags(&f, "3:22: warning: 'delay' has no effect without 'abort_on_fail: true'\n"
                   "4:44: warning: 'delay' has no effect without 'abort_on_fail: true'\n");
  assert_int_equal(f.rc[0], 0);
  assert_int_equal(f.rc[1], 0);
  assert_true(f.t[0].delay_us == 10000000);
  assert_false(f.t[0].abort_on_fail);
  done(&f);
}

/* Every prefix of some thresholds and every one-byte change of them: no crash (ASan, UBSan),
 * and the result agrees with the diagnostics. */
static void never_crashes(void **state) {
  (void)state;
  static const char *const seeds[] = {
      "p99.9_intended{name=\"/a b\", method=get, tag='x'} <= 1h30m",
      "error_rate{tag=checkout} != 0.5%",
      "rps >= 3000/m",
  };
  static const char bytes[] = "p{}=,\"' <>!%._-0123456789amsx\\\t\x01\xc3";
  for (size_t s = 0; s < LC_ARRAY_LEN(seeds); s++) {
    size_t n = strlen(seeds[s]);
    for (size_t cut = 0; cut <= n; cut++) {
      for (size_t pos = 0; pos <= cut; pos++) {
        for (size_t b = 0; b < sizeof bytes - 1; b++) {
          if (pos == cut && b > 0) break; /* the prefix itself, once */
          if (pos < cut && cut < n) break;  /* changes only to the whole seed */
          char text[128];
          memcpy(text, seeds[s], cut);
          if (pos < cut) text[pos] = bytes[b];
          text[cut] = '\0';
          /* As a literal block, so that any byte reaches the parser as it is. */
          char items[192];
          snprintf(items, sizeof items, "  - |-\n    %s\n", text);
          struct fx f;
          memset(&f, 0, sizeof f);
          f.d = lc_diags_new(0);
          f.doc = lc_doc_load_string("t.yaml", items, strlen(items), NULL, f.d);
          if (f.doc && lc_diags_errors(f.d) == 0) {
            lc_arena_init(&f.own.arena);
            f.c.d = f.d;
            f.c.plan = &f.plan;
            f.c.own = &f.own;
            const struct lc_node *item = lc_node_item(lc_doc_root(f.doc), 0);
            struct lc_threshold t;
            int rc = cc_threshold(&f.c, item, &t);
            assert_true(rc == 0 || rc == -1);
            if ((rc == 0) != (lc_diags_errors(f.d) == 0)) fail_msg("'%s': rc %d", text, rc);
            lc_arena_release(&f.own.arena);
          }
          lc_doc_free(f.doc);
          lc_diags_free(f.d);
        }
      }
    }
  }
}

/* ---- through lc_compile ---- */

static struct lc_plan *compile(struct lc_diags *d, const char *items) {
  char text[512];
  snprintf(text, sizeof text, "%s%s", prefix, items);
  struct lc_doc *doc = lc_doc_load_string("s.yaml", text, strlen(text), NULL, d);
  assert_non_null(doc);
  struct lc_plan *plan = lc_compile(doc, NULL, d);
  lc_doc_free(doc); /* the plan must not point into the document */
  return plan;
}

static void plan_holds_thresholds(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(0);
  struct lc_plan *plan = compile(d, "  - p95 < 500ms\n"
                                    "  - p99_intended{name=\"/items/[id]\"} < 800ms\n"
                                    "  - {expr: \"rps > 50\", abort_on_fail: true, delay: 30s}\n");
  assert_int_equal(lc_diags_count(d), 0);
  assert_non_null(plan);
  assert_int_equal(plan->nthresholds, 3);
  const struct lc_threshold *t = plan->thresholds;
  assert_string_equal(t[0].source, "p95 < 500ms");
  assert_true(t[0].value == 500000);
  assert_true(t[1].intended);
  assert_string_equal(t[1].filter_name, "/items/[id]");
  assert_true(t[1].percentile == 0.99);
  assert_int_equal(t[2].metric, LC_METRIC_RPS);
  assert_true(t[2].abort_on_fail);
  assert_true(t[2].delay_us == 30000000);
  assert_string_equal(t[2].mark.file, "s.yaml"); /* readable after lc_doc_free */
  assert_int_equal(t[2].mark.line, 5);
  assert_int_equal(t[2].mark.column, 5);
  lc_plan_free(plan);
  lc_diags_free(d);
}

static void plan_refused_with_every_error(void **state) {
  (void)state;
  struct lc_diags *d = lc_diags_new(0);
  struct lc_plan *plan = compile(d, "  - p95 < 500ms\n"
                                    "  - avarage < 1s\n"
                                    "  - error_rate < 0.01\n"
                                    "  - {expr: rps > 5, delay: 1s}\n");
  assert_null(plan);
  struct fx f; /* only for assert_diags */
  memset(&f, 0, sizeof f);
  f.d = d;
  assert_diags(&f, "4:5: error: unknown metric 'avarage' (did you mean 'avg'?)\n"
                   "5:18: error: '0.01' needs a '%': 1% for a ratio of 0.01, or 0.01%\n"
                   "6:21: warning: 'delay' has no effect without 'abort_on_fail: true'\n");
  lc_diags_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(percentile_with_duration),
      cmocka_unit_test(percentiles_as_ratios),
      cmocka_unit_test(latency_metrics),
      cmocka_unit_test(intended_latency),
      cmocka_unit_test(rates_and_counts),
      cmocka_unit_test(every_operator),
      cmocka_unit_test(filters),
      cmocka_unit_test(whitespace_everywhere),
      cmocka_unit_test(mapping_form),
      cmocka_unit_test(several_in_one_list),
      cmocka_unit_test(block_scalar_is_trimmed),
      cmocka_unit_test(unknown_metrics),
      cmocka_unit_test(intended_errors),
      cmocka_unit_test(percentile_range),
      cmocka_unit_test(filter_errors),
      cmocka_unit_test(operator_errors),
      cmocka_unit_test(value_errors),
      cmocka_unit_test(columns_inside_quotes_and_utf8),
      cmocka_unit_test(several_problems_at_once),
      cmocka_unit_test(node_errors),
      cmocka_unit_test(delay_without_abort_warns),
      cmocka_unit_test(never_crashes),
      cmocka_unit_test(plan_holds_thresholds),
      cmocka_unit_test(plan_refused_with_every_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
