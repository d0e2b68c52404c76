/* test_report_junit.c: unit tests for report/junit.c: the suites and test cases written for a
 * hand-built result (thresholds passed, failed, skipped, aborting; errors grouped by check and
 * the default rule), escaping of markup, control characters and broken UTF-8 (the file must
 * parse with libxml2), parent directories created, atomic replacement, and the errors for
 * paths that cannot be written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/base.h"
#include "report/junit.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/lc_junit_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  fclose(f);
  return s;
}

static void err(struct lc_stats *s, const char *method, const char *name, const char *msg, int n) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  for (int i = 0; i < n; i++) lc_stats_record(s, &k, 100, 0, true, msg, 1000);
}

/* How many nodes the XPath expression selects in the document at path (-1: not XML). */
static int count(const char *path, const char *xpath) {
  xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
  if (!doc) return -1;
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
  int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;
  xmlXPathFreeObject(o);
  xmlXPathFreeContext(ctx);
  xmlFreeDoc(doc);
  return n;
}

static void a_full_report(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(0, 0);
  err(s, "GET", "/a", "check status: got 500, want 2xx", 3);
  err(s, "GET", "/b", "check status: got 404, want 2xx", 2);
  err(s, "GET", "/a", "check json $.n: got 1, want gt 2", 1);
  err(s, "GET", "/c", "HTTPError 500 for /c", 4);
  err(s, "POST", "/d<&>", "connection refused \x01 \xff end", 1);
  struct lc_stats_key ok;
  lc_stats_key_init(&ok, "/ok", "GET");
  lc_stats_record(s, &ok, 100, 0, false, NULL, 1000);

  struct lc_threshold_result th[] = {
      {.source = "p95 < 500ms", .metric = "p95", .op = "<", .limit = 500, .measured = 12.5,
       .unit = "ms", .passed = true},
      {.source = "error_rate < 1%", .metric = "error_rate", .op = "<", .limit = 1,
       .measured = 91.6667, .unit = "%", .passed = false, .abort_on_fail = true,
       .aborted_run = true},
      {.source = "max{method=\"PUT\"} < 1s", .metric = "max", .op = "<", .limit = 1000,
       .measured = NAN, .unit = "ms", .passed = false, .note = "no request matched"},
      {.source = "p99_intended < 1s", .metric = "p99_intended", .op = "<", .limit = 1000,
       .measured = NAN, .unit = "ms", .passed = true, .skipped = true, .note = "not measured"},
  };
  struct lc_result r;
  memset(&r, 0, sizeof r);
  r.scenario_name = "shop & co";
  r.scenario_file = "shop.yaml";
  r.start_wall_us = INT64_C(1700000000) * 1000000;
  r.duration_us = 2500000;
  r.end = LC_END_ABORTED;
  r.totals = s;
  r.thresholds = th;
  r.nthresholds = LC_ARRAY_LEN(th);

  char path[256], e[256];
  snprintf(path, sizeof path, "%s/x/y/report.xml", dir);
  assert_int_equal(lc_report_junit_write(path, &r, e, sizeof e), 0);
  char *text = slurp(path);
  assert_non_null(text);
  print_message("%s", text);

  assert_int_equal(count(path, "/testsuites[@tests='7' and @failures='5' and @skipped='1']"), 1);
  assert_int_equal(count(path, "/testsuites[@name='shop & co']"), 1);
  assert_int_equal(count(path, "//testsuite[@name='loadc thresholds']/testcase"), 4);
  assert_int_equal(count(path, "//testsuite[@name='loadc thresholds' and @tests='4' and "
                               "@failures='2' and @skipped='1' and "
                               "@timestamp='2023-11-14T22:13:20']"), 1);
  assert_int_equal(count(path, "//testcase[@name='p95 < 500ms' and not(failure)]"), 1);
  assert_int_equal(count(path, "//testcase[@name='error_rate < 1%']/failure"
                               "[@message='measured 91.6667 %, want < 1 %']"), 1);
  assert_int_equal(count(path, "//testcase[@name='max{method=\"PUT\"} < 1s']/failure"
                               "[@message='measured n/a, want < 1000 ms (no request matched)']"), 1);
  assert_int_equal(count(path, "//testcase[@name='p99_intended < 1s']/skipped"), 1);
  assert_int_equal(count(path, "//property[@name='end' and @value='aborted']"), 1);
  /* checks: one case per check, in first-seen order, then the default rule */
  assert_int_equal(count(path, "//testsuite[@name='loadc checks' and @tests='3' and "
                               "@failures='3']/testcase"), 3);
  assert_int_equal(count(path, "//testsuite[@name='loadc checks']/testcase[1]"
                               "[@name='check status']/failure[@message='5 failed requests']"), 1);
  assert_int_equal(count(path, "//testsuite[@name='loadc checks']/testcase[2]"
                               "[@name='check json $.n']/failure[@message='1 failed request']"), 1);
  assert_int_equal(count(path, "//testsuite[@name='loadc checks']/testcase[3]"
                               "[@name='default rule']/failure[@message='5 failed requests']"), 1);
  assert_non_null(strstr(text, "3 GET /a: check status: got 500, want 2xx\n"
                               "2 GET /b: check status: got 404, want 2xx\n"));
  assert_non_null(strstr(text, "1 POST /d&lt;&amp;&gt;: connection refused \xEF\xBF\xBD "
                               "\xEF\xBF\xBD end\n"));
  assert_non_null(strstr(text, "stopped the run"));
  free(text);

  /* written again over the old file, with nothing left beside it */
  r.nthresholds = 1;
  assert_int_equal(lc_report_junit_write(path, &r, e, sizeof e), 0);
  assert_int_equal(count(path, "//testsuite[@name='loadc thresholds']/testcase"), 1);
  char ydir[256];
  snprintf(ydir, sizeof ydir, "%s/x/y", dir);
  DIR *d = opendir(ydir);
  assert_non_null(d);
  int files = 0;
  for (struct dirent *de; (de = readdir(d));)
    if (de->d_name[0] != '.') files++;
  closedir(d);
  assert_int_equal(files, 1);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  lc_stats_free(s);
}

static void no_threshold_no_error(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(0, 0);
  struct lc_result r;
  memset(&r, 0, sizeof r);
  r.totals = s;
  char path[256], e[256];
  snprintf(path, sizeof path, "%s/empty.xml", dir);
  assert_int_equal(lc_report_junit_write(path, &r, e, sizeof e), 0);
  assert_int_equal(count(path, "/testsuites[@tests='0' and @failures='0']/testsuite"), 2);
  assert_int_equal(count(path, "//testcase"), 0);
  lc_stats_free(s);
}

static void unwritable_paths(void **state) {
  (void)state;
  char path[256], e[256] = "";
  struct lc_result r;
  memset(&r, 0, sizeof r);
  /* a parent that is a file */
  snprintf(path, sizeof path, "%s/file", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fclose(f);
  snprintf(path, sizeof path, "%s/file/r.xml", dir);
  assert_int_equal(lc_report_junit_prepare(path, e, sizeof e), -1);
  assert_non_null(strstr(e, "Not a directory")); /* strerror(ENOTDIR), as every report says */
  assert_int_equal(lc_report_junit_write(path, &r, e, sizeof e), -1);
  /* the path is a directory */
  assert_int_equal(lc_report_junit_prepare(dir, e, sizeof e), -1);
  assert_non_null(strstr(e, "Is a directory")); /* strerror(EISDIR) */
  /* prepare creates the directories and leaves no file */
  snprintf(path, sizeof path, "%s/p/q/r.xml", dir);
  assert_int_equal(lc_report_junit_prepare(path, e, sizeof e), 0);
  struct stat st;
  snprintf(path, sizeof path, "%s/p/q", dir);
  assert_int_equal(stat(path, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(rmdir(path), 0); /* empty: the probe file is gone */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_full_report),
      cmocka_unit_test(no_threshold_no_error),
      cmocka_unit_test(unwritable_paths),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
