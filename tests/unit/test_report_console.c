/* test_report_console.c: golden tests for report/console: Locust's statistics table with total
 * and with current (history) rates, the percentile table, the error report, the saturation
 * warning and the status line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"
#include "report/console.h"

static void rec(struct lc_stats *s, const char *name, const char *method, uint64_t rt, bool failed,
                const char *err) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  lc_stats_record(s, &k, rt, 10, failed, err, 1700000000000000);
}

/* What f wrote, as a string the caller frees. */
static char *capture_begin(FILE **f, char **buf, size_t *len) {
  *f = open_memstream(buf, len);
  assert_non_null(*f);
  return NULL;
}

static struct lc_stats *sample(void) {
  struct lc_stats *s = lc_stats_new(0, 0);
  rec(s, "/b", "GET", 2000, false, NULL);
  rec(s, "/b", "GET", 4000, true, "HTTPError 500 for /b");
  rec(s, "/a", "POST", 1000, false, NULL);
  rec(s, "/a", "GET", 500, false, NULL);
  return s;
}

static const char *const golden_table =
    "Type     Name                                       # reqs        # fails |      Avg      Min      Max      Med |    req/s failures/s\n"
    "--------|-----------------------------------------|--------|---------------|---------|--------|--------|---------|---------|-----------\n"
    "GET      /a                                              1       0(0.00%) |      0.5      0.5      0.5      0.5 |     0.50       0.00\n"
    "POST     /a                                              1       0(0.00%) |      1.0      1.0      1.0      1.0 |     0.50       0.00\n"
    "GET      /b                                              2      1(50.00%) |      3.0      2.0      4.0      2.0 |     1.00       0.50\n"
    "--------|-----------------------------------------|--------|---------------|---------|--------|--------|---------|---------|-----------\n"
    "         Aggregated                                      4      1(25.00%) |      1.9      0.5      4.0      1.0 |     2.00       0.50\n";

static void table_total_rates(void **state) {
  (void)state;
  struct lc_stats *s = sample();
  FILE *f;
  char *buf = NULL;
  size_t len = 0;
  capture_begin(&f, &buf, &len);
  lc_report_console_table(f, s, NULL, 2.0);
  fclose(f);
  assert_string_equal(buf, golden_table);
  free(buf);
  lc_stats_free(s);
}

/* Live: the rates are the history's last row's (10 s window), entries without a point show 0. */
static void table_current_rates(void **state) {
  (void)state;
  struct lc_stats *s = sample(), *none = lc_stats_new(0, 0);
  struct lc_history *h = lc_history_new();
  struct lc_stats *sec = lc_stats_new(0, 0);
  rec(sec, "/b", "GET", 2000, false, NULL); /* only /b in this second */
  lc_history_add(h, sec, s, 1, 1000000, 3);
  FILE *f;
  char *buf = NULL;
  size_t len = 0;
  capture_begin(&f, &buf, &len);
  lc_report_console_table(f, s, h, 5.0);
  fclose(f);
  assert_non_null(strstr(buf, "GET      /a                                              1       0(0.00%) |      0.5      0.5      0.5      0.5 |     0.00       0.00\n"));
  assert_non_null(strstr(buf, "GET      /b                                              2      1(50.00%) |      3.0      2.0      4.0      2.0 |     1.00       0.00\n"));
  assert_non_null(strstr(buf, "         Aggregated                                      4      1(25.00%) |      1.9      0.5      4.0      1.0 |     1.00       0.00\n"));
  free(buf);
  lc_history_free(h);
  lc_stats_free(sec);
  lc_stats_free(none);
  lc_stats_free(s);
}

static void summary(void **state) {
  (void)state;
  struct lc_stats *s = sample();
  struct lc_result_worker w[2] = {{0.5, 0.4, 800, 900}, {0.97, 0.9, 12000, 30000}};
  struct lc_result r = {0};
  r.totals = s;
  r.duration_us = 2000000;
  r.workers = w;
  r.nworkers = 2;
  r.saturated = lc_result_saturated(w, 2);
  assert_true(r.saturated);
  FILE *f;
  char *buf = NULL;
  size_t len = 0;
  capture_begin(&f, &buf, &len);
  lc_report_console_summary(f, &r);
  fclose(f);
  assert_memory_equal(buf, golden_table, strlen(golden_table));
  const char *pct =
      "\nResponse time percentiles (ms, from a log-linear histogram, 1 % precision)\n"
      "Type     Name                                          50%      66%      75%      80%      90%      95%      98%      99%    99.9%   99.99%     100%   # reqs\n"
      "GET      /a                                            0.5      0.5      0.5      0.5      0.5      0.5      0.5      0.5      0.5      0.5      0.5        1\n";
  assert_non_null(strstr(buf, pct));
  assert_non_null(strstr(buf, "         Aggregated                                    2.0      2.0      4.0      4.0      4.0      4.0      4.0      4.0      4.0      4.0      4.0        4\n"));
  assert_non_null(strstr(buf, "\nError report\n# occurrences  Error\n1              GET /b: HTTPError 500 for /b\n"));
  assert_non_null(strstr(buf, "WARNING: the load generator was saturated (worker 2 of 2: CPU up to 97 % of a core in a second, timer lag p99 12.0 ms, max 30.0 ms)"));
  free(buf);
  /* not saturated: no warning */
  w[1].cpu_max = 0.5;
  w[1].lag_p99_us = 9000;
  r.saturated = lc_result_saturated(w, 2);
  assert_false(r.saturated);
  capture_begin(&f, &buf, &len);
  lc_report_console_summary(f, &r);
  fclose(f);
  assert_null(strstr(buf, "WARNING"));
  free(buf);
  lc_stats_free(s);
}

static void status_line(void **state) {
  (void)state;
  FILE *f;
  char *buf = NULL;
  size_t len = 0;
  capture_begin(&f, &buf, &len);
  struct lc_console_status st = {15000000, 60000000, 50, 1234.56, 0.0125};
  lc_report_console_status(f, &st, false, 80);
  fclose(f);
  assert_string_equal(buf, "\r\033[2K00:15 / 01:00  [#####...............]  25%  users 50  req/s 1234.6  failures 1.25 %");
  free(buf);
  capture_begin(&f, &buf, &len);
  struct lc_console_status open = {3725000000, 0, 7, 0, 0};
  lc_report_console_status(f, &open, true, 80);
  fclose(f);
  assert_string_equal(buf, "\r\033[2K\033[1m1:02:05 / --:--\033[0m  users 7  req/s 0.0  failures 0.00 %");
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(table_total_rates),
      cmocka_unit_test(table_current_rates),
      cmocka_unit_test(summary),
      cmocka_unit_test(status_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
