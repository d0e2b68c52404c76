/* test_report_html.c: unit tests for report/html: strings from the scenario and the target are
 * escaped, the tables hold the exact figures of the statistics, thresholds show measured value
 * and limit, the charts have one polyline per series (none without history), the page refers
 * to nothing outside itself, the file is written atomically into new directories, and the
 * percentiles from the intended start and the open model's arrivals appear only when present. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/base.h"
#include "engine/history.h"
#include "report/html.h"

#define EVIL "<script>&\"'"
#define EVIL_ESC "&lt;script&gt;&amp;&quot;&#39;"
#define T0 1700000000000000

struct fx {
  struct lc_stats *totals, *second;
  struct lc_history *h;
  struct lc_result r;
  struct lc_threshold_result th[2];
  struct lc_result_task tasks[2];
  struct lc_result_class cls;
  int64_t t;
};

static void rec(struct fx *f, const char *name, const char *method, uint64_t rt, uint64_t len,
                const char *error) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  lc_stats_record(f->second, &k, rt, len, error != NULL, error, f->t);
}

static void tick(struct fx *f, uint32_t users) {
  lc_stats_merge(f->totals, f->second);
  f->t += 1000000;
  lc_history_add(f->h, f->second, f->totals, f->t, f->t - T0, users);
  lc_stats_reset(f->second);
}

static int setup(void **state) {
  struct fx *f = lc_xcalloc(1, sizeof *f);
  f->totals = lc_stats_new(0, 0);
  f->second = lc_stats_new(0, 0);
  f->h = lc_history_new();
  f->t = T0;
  /* second 1: the evil name, 1, 2 and 3 ms, 100/200/300 bytes, one failure */
  rec(f, EVIL, "GET", 1000, 100, NULL);
  rec(f, EVIL, "GET", 2000, 200, NULL);
  rec(f, EVIL, "GET", 3000, 300, "HTTPError 500 <b>" EVIL "</b>");
  tick(f, 2);
  /* second 2 and 3: /json */
  rec(f, "/json", "POST", 500, 10, NULL);
  tick(f, 4);
  rec(f, "/json", "POST", 700, 10, NULL);
  tick(f, 4);
  lc_stats_record_user_error(f->totals, "user " EVIL, f->t);

  struct lc_result *r = &f->r;
  r->scenario_file = "dir/" EVIL ".yaml";
  r->scenario_name = "shop " EVIL;
  r->host = "http://127.0.0.1:1/" EVIL;
  r->command_line = "loadc run " EVIL;
  r->loadc_version = "0.1.0";
  r->library_versions = "libcurl/7.88.1";
  r->start_wall_us = T0;
  r->end_wall_us = T0 + 2000000;
  r->duration_us = 2000000;
  r->peak_users = 4;
  r->end = LC_END_INTERRUPTED;
  r->totals = f->totals;
  r->history = f->h;
  f->th[0] = (struct lc_threshold_result){"p95 < 500ms " EVIL, "p95", NULL, "<", 500, 2.94, "ms",
                                          true, false, false, false, NULL};
  f->th[1] = (struct lc_threshold_result){"error_rate < 1%", "error_rate", "name=" EVIL, "<", 1,
                                          20, "%", false, false, false, false, NULL};
  r->thresholds = f->th;
  r->nthresholds = 2;
  r->thresholds_passed = false;
  f->tasks[0] = (struct lc_result_task){"task " EVIL, 0.75};
  f->tasks[1] = (struct lc_result_task){"other", 0.25};
  f->cls = (struct lc_result_class){"Class " EVIL, 3, 0, 1.0, f->tasks, 2};
  r->classes = &f->cls;
  r->nclasses = 1;
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

static char *render(const struct lc_result *r) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  assert_non_null(m);
  assert_int_equal(lc_report_html_fwrite(m, r), 0);
  fclose(m);
  return buf;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

static void assert_contains(const char *hay, const char *needle) {
  if (!strstr(hay, needle)) fail_msg("missing: %s", needle);
}

static void test_escapes_every_string(void **state) {
  struct fx *f = *state;
  char *html = render(&f->r);
  assert_null(strstr(html, EVIL));
  assert_null(strstr(html, "<b>"));
  assert_int_equal(count(html, "<script"), 1);  /* our own, at the end */
  assert_contains(html, "<title>loadc report: shop " EVIL_ESC "</title>");
  assert_contains(html, "<td>GET</td><td>" EVIL_ESC "</td>");
  assert_contains(html, "HTTPError 500 &lt;b&gt;" EVIL_ESC "&lt;/b&gt;");
  assert_contains(html, "user " EVIL_ESC);
  assert_contains(html, "task " EVIL_ESC);
  assert_contains(html, "Class " EVIL_ESC);
  assert_contains(html, "name=" EVIL_ESC);
  assert_contains(html, "http://127.0.0.1:1/" EVIL_ESC);
  assert_contains(html, "dir/" EVIL_ESC ".yaml");
  free(html);
}

static void test_tables_hold_exact_figures(void **state) {
  struct fx *f = *state;
  char *html = render(&f->r);
  /* 3 requests, 1 failure, avg 2.0 ms, min 1.0, max 3.0, 200 bytes, over 2 s: 1.50 and 0.50/s */
  assert_contains(html, "<tr><td>GET</td><td>" EVIL_ESC "</td><td class=\"n\">3</td>"
                        "<td class=\"n\">1</td><td class=\"n\">2.0</td><td class=\"n\">1.0</td>"
                        "<td class=\"n\">3.0</td><td class=\"n\">200</td><td class=\"n\">1.50</td>"
                        "<td class=\"n\">0.50</td></tr>");
  assert_contains(html, "<tr class=\"total\"><td></td><td>Aggregated</td><td class=\"n\">5</td>"
                        "<td class=\"n\">1</td><td class=\"n\">1.4</td><td class=\"n\">0.5</td>"
                        "<td class=\"n\">3.0</td><td class=\"n\">124</td><td class=\"n\">2.50</td>"
                        "<td class=\"n\">0.50</td></tr>");
  /* the 11 percentiles, from the histogram */
  const struct lc_stats_entry *e = lc_stats_entry_at(f->totals, 0);
  assert_string_equal(e->name, EVIL);
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_buf_puts(&b, "<tr><td>GET</td><td>" EVIL_ESC "</td>");
  for (size_t k = 0; k < LC_PCT_COUNT; k++)
    lc_buf_printf(&b, "<td class=\"n\">%.1f</td>",
                  (double)lc_hist_percentile(&e->hist, lc_pct_values[k]) / 1000.0);
  lc_buf_puts(&b, "</tr>");
  assert_contains(html, b.data);
  assert_contains(html, "<td class=\"n\">1.0</td><td class=\"n\">2.0</td>");  /* p50 p66 */
  lc_buf_release(&b);
  for (size_t k = 0; k < LC_PCT_COUNT; k++) {
    char th[32];
    snprintf(th, sizeof th, "<th>%sile (ms)</th>", lc_pct_labels[k]);
    assert_contains(html, th);
  }
  /* failures and errors inside users */
  assert_contains(html, "<tr><td>GET</td><td>" EVIL_ESC "</td><td>HTTPError 500 &lt;b&gt;"
                        EVIL_ESC "&lt;/b&gt;</td><td class=\"n\">1</td></tr>");
  assert_contains(html, "<tr><td class=\"n\">1</td><td>user " EVIL_ESC "</td></tr>");
  /* thresholds: measured next to the limit, and the verdicts */
  assert_contains(html, "<td class=\"n\">2.9 ms</td><td class=\"n\">&lt; 500.0 ms</td>"
                        "<td class=\"pass\">pass</td>");
  assert_contains(html, "<td class=\"n\">20.00 %</td><td class=\"n\">&lt; 1.00 %</td>"
                        "<td class=\"fail\">fail</td>");
  assert_contains(html, "<th>Thresholds</th><td class=\"fail\">failed</td>");
  /* summary and classes */
  assert_contains(html, "<td>2023-11-14 22:13:20 UTC</td>");
  assert_contains(html, "<td>2023-11-14 22:13:22 UTC</td>");
  assert_contains(html, "<th>Peak users</th><td>4</td>");
  assert_contains(html, "<th>End reason</th><td>interrupted");
  assert_contains(html, "task " EVIL_ESC "</td><td class=\"n\">75.0 %</td>");
  assert_contains(html, "other</td><td class=\"n\">25.0 %</td>");
  assert_null(strstr(html, "id=\"saturated\""));
  free(html);
  f->r.saturated = true;
  html = render(&f->r);
  assert_contains(html, "<div class=\"warning\" id=\"saturated\">");
  free(html);
}

/* The points="..." of the series `id`, as a count of points; -1 when it is not there. */
static int series_points(const char *html, const char *id) {
  char needle[64];
  snprintf(needle, sizeof needle, "data-series=\"%s\"", id);
  const char *p = strstr(html, needle);
  if (!p || strstr(p + 1, needle)) return -1;
  p = strstr(p, "points=\"");
  if (!p) return -1;
  p += 8;
  int n = 1;
  for (; *p && *p != '"'; p++)
    if (*p == ' ') n++;
  return n;
}

/* The y coordinates of the series `id` (at most max); returns how many. */
static size_t series_ys(const char *html, const char *id, double *ys, size_t max) {
  char needle[64];
  snprintf(needle, sizeof needle, "data-series=\"%s\"", id);
  const char *p = strstr(html, needle);
  assert_non_null(p);
  p = strstr(p, "points=\"") + 8;
  size_t n = 0;
  while (*p != '"' && n < max) {
    char *end;
    strtod(p, &end);
    assert_true(*end == ',');
    ys[n++] = strtod(end + 1, &end);
    p = *end == ' ' ? end + 1 : end;
  }
  return n;
}

static void test_charts_have_one_polyline_per_series(void **state) {
  struct fx *f = *state;
  char *html = render(&f->r);
  assert_int_equal(count(html, "<svg "), 3);
  assert_int_equal(count(html, "<polyline class=\"series\""), 5);
  static const char *const ids[] = {"rps", "fps", "p50", "p95", "users"};
  for (size_t i = 0; i < 5; i++) assert_int_equal(series_points(html, ids[i]), 3);
  /* SVG y grows downwards: users 2, 4, 4; the window's requests/s 3, 2, 1.67; failures/s
   * 1, 0.5, 0.33; p50 from 2 ms to 1 ms */
  double y[4];
  assert_int_equal(series_ys(html, "users", y, 4), 3);
  assert_true(y[0] > y[1] && y[1] == y[2]);
  assert_int_equal(series_ys(html, "rps", y, 4), 3);
  assert_true(y[0] < y[1] && y[1] < y[2]);
  assert_int_equal(series_ys(html, "fps", y, 4), 3);
  assert_true(y[0] < y[1] && y[1] < y[2]);
  assert_int_equal(series_ys(html, "p50", y, 4), 3);
  assert_true(y[0] < y[2]);
  assert_int_equal(series_ys(html, "p95", y, 4), 3);
  assert_true(y[0] == y[2] && y[0] < 200);  /* 3 ms throughout: the window holds every sample */
  assert_contains(html, "time since start");
  assert_null(strstr(html, "no data: the run"));
  free(html);
}

static void test_no_external_reference(void **state) {
  struct fx *f = *state;
  char *html = render(&f->r);
  /* the only URL is the host, shown as text */
  assert_int_equal(count(html, "http://"), 1);
  assert_contains(html, "<th>Host</th><td>http://127.0.0.1:1/");
  assert_null(strstr(html, "https://"));
  assert_null(strstr(html, "src="));
  assert_null(strstr(html, "href="));
  assert_null(strstr(html, "url("));
  assert_null(strstr(html, "@import"));
  assert_null(strstr(html, "<link"));
  assert_null(strstr(html, "<iframe"));
  free(html);
}

static void test_empty_history_and_idle_entries(void **state) {
  struct fx *f = *state;
  /* entries that exist but have no request (after a reset), no history, no duration */
  lc_stats_reset(f->totals);
  lc_history_reset(f->h);
  f->r.duration_us = 0;
  f->r.nthresholds = 0;
  f->r.thresholds_passed = true;
  f->r.host = NULL;
  char *html = render(&f->r);
  assert_int_equal(count(html, "<svg "), 3);
  assert_int_equal(count(html, "<polyline"), 0);
  assert_int_equal(count(html, "no data: the run was shorter than a second"), 3);
  assert_contains(html, "<td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n\">0.0</td>");
  assert_contains(html, "<td>" EVIL_ESC "</td><td class=\"n\">N/A</td>");
  assert_contains(html, "No failed request.");
  assert_contains(html, "<th>Thresholds</th><td class=\"muted\">none</td>");
  assert_null(strstr(html, ">nan"));
  assert_null(strstr(html, ">-nan"));
  assert_null(strstr(html, ">inf"));
  free(html);
  /* a result with nothing at all */
  struct lc_result empty;
  memset(&empty, 0, sizeof empty);
  html = render(&empty);
  assert_contains(html, "</html>");
  free(html);
}

static char *read_all(const char *path) {
  FILE *in = fopen(path, "rb");
  if (!in) return NULL;
  struct lc_buf b;
  lc_buf_init(&b, 0);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) lc_buf_append(&b, chunk, n);
  fclose(in);
  return lc_buf_steal(&b);
}

static void test_writes_file_in_new_directories(void **state) {
  struct fx *f = *state;
  char dir[] = "/tmp/loadc-html-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *path = lc_xasprintf("%s/a/b/report.html", dir);
  char err[256] = "";
  assert_int_equal(lc_report_html_check(path, err, sizeof err), 0);
  assert_int_equal(access(path, F_OK), -1);  /* the check leaves no file */
  assert_int_equal(lc_report_html_write(path, &f->r, err, sizeof err), 0);
  char *got = read_all(path), *want = render(&f->r);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
  free(want);
  /* no temporary file left beside it: the report is the directory's only entry */
  char *tmp = lc_xasprintf("%s/a/b", dir);
  DIR *dh = opendir(tmp);
  assert_non_null(dh);
  int entries = 0;
  for (struct dirent *de; (de = readdir(dh));)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) entries++;
  closedir(dh);
  assert_int_equal(entries, 1);
  /* a path that is a directory, and one under a regular file, cannot be written */
  char *sub = lc_xasprintf("%s/a", dir);
  assert_int_equal(lc_report_html_check(sub, err, sizeof err), LC_EIO);
  assert_non_null(strstr(err, "Is a directory"));
  char *under = lc_xasprintf("%s/a/b/report.html/x.html", dir);
  assert_int_equal(lc_report_html_write(under, &f->r, err, sizeof err), LC_EIO);
  assert_non_null(strstr(err, "cannot create directory"));
  unlink(path);
  char *b = lc_xasprintf("%s/a/b", dir);
  rmdir(b);
  rmdir(sub);
  rmdir(dir);
  free(b);
  free(under);
  free(sub);
  free(tmp);
  free(path);
}

static void test_intended_and_arrivals(void **state) {
  struct fx *f = *state;
  char *html = render(&f->r);
  assert_null(strstr(html, "id=\"intended\""));
  assert_null(strstr(html, "id=\"arrivals\""));
  free(html);
  /* from the intended start: /json 2 and 5 ms, the evil name 1 ms */
  struct lc_stats_key k;
  lc_stats_key_init(&k, "/json", "POST");
  lc_stats_record_intended(f->totals, &k, 2000, 0);
  lc_stats_record_intended(f->totals, &k, 5000, 0);
  lc_stats_key_init(&k, EVIL, "GET");
  lc_stats_record_intended(f->totals, &k, 1000, 0);
  f->r.open_model = true;
  f->r.arrivals = (struct lc_result_arrivals){60, 58, 2, 3, 2, 1500, 2500};
  f->th[1].note = "no " EVIL;
  html = render(&f->r);
  assert_contains(html, "<h2 id=\"intended\">Response time percentiles from the intended "
                        "start</h2>");
  assert_contains(html, "<th>100%ile (ms)</th><th># Samples</th></tr>\n"
                        "<tr><td>POST</td><td>/json</td><td class=\"n\">5.0</td>");
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_buf_puts(&b, "<tr><td>POST</td><td>/json</td>");
  for (size_t i = 0; i < LC_PCT_COUNT; i++) lc_buf_puts(&b, "<td class=\"n\">5.0</td>");
  lc_buf_puts(&b, "<td class=\"n\">2</td></tr>\n<tr><td>GET</td><td>" EVIL_ESC "</td>");
  for (size_t i = 0; i < LC_PCT_COUNT; i++) lc_buf_puts(&b, "<td class=\"n\">1.0</td>");
  /* Aggregated {1, 2, 5} ms: ranks 1, 1, then 2 */
  lc_buf_puts(&b, "<td class=\"n\">1</td></tr>\n<tr class=\"total\"><td></td><td>Aggregated</td>"
                  "<td class=\"n\">2.0</td><td class=\"n\">2.0</td>");
  for (size_t i = 2; i < LC_PCT_COUNT; i++) lc_buf_puts(&b, "<td class=\"n\">5.0</td>");
  lc_buf_puts(&b, "<td class=\"n\">3</td></tr>\n</table>");
  assert_contains(html, b.data);
  lc_buf_release(&b);
  assert_contains(html, "<h2 id=\"arrivals\">Arrivals</h2>");
  assert_contains(html, "<tr><th>Scheduled</th><td class=\"n\">60</td></tr>\n"
                        "<tr><th>Started</th><td class=\"n\">58</td></tr>\n"
                        "<tr><th>Dropped</th><td class=\"n fail\">2</td></tr>\n"
                        "<tr><th>Max users</th><td class=\"n\">2</td></tr>\n"
                        "<tr><th>Late (over 1 ms)</th><td class=\"n\">3</td></tr>\n"
                        "<tr><th>Lateness p99</th><td class=\"n\">1.5 ms</td></tr>\n"
                        "<tr><th>Lateness max</th><td class=\"n\">2.5 ms</td></tr>");
  assert_contains(html, "<td class=\"fail\">fail <span class=\"muted\">(no " EVIL_ESC ")</span></td>");
  assert_null(strstr(html, EVIL));
  free(html);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_escapes_every_string, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tables_hold_exact_figures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_charts_have_one_polyline_per_series, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_external_reference, setup, teardown),
      cmocka_unit_test_setup_teardown(test_empty_history_and_idle_entries, setup, teardown),
      cmocka_unit_test_setup_teardown(test_writes_file_in_new_directories, setup, teardown),
      cmocka_unit_test_setup_teardown(test_intended_and_arrivals, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
