/* test_report_csv.c: unit tests for report/csv: the exact files (headers and rows, CRLF, quoting,
 * N/A, number formats) for a hand-built lc_stats and lc_history, percentiles equal to
 * lc_hist_percentile, --csv-full-history rows, directories created, no temporary file left,
 * errors for an unwritable prefix, and the live writer (headers at open, history appended and
 * never rewritten, a complete final snapshot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/base.h"
#include "engine/history.h"
#include "report/csv.h"

#define T0 INT64_C(1700000001000000)

static const char STATS_H[] =
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n";
static const char HISTORY_H[] =
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,"
    "99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size\r\n";
static const char FAILURES_H[] = "Method,Name,Error,Occurrences,First Seen,Last Seen\r\n";
static const char EXCEPTIONS_H[] = "Count,Message,Traceback,Nodes\r\n";

static const char STATS_ROWS[] =
    "POST,/a,1,0,0.2,0.2,0.2,0.2,10,0.500000,0.000000,"
    "0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2\r\n"
    "GET,/b,2,1,0.1,6.223,0.1,12.345,200,1.000000,0.500000,"
    "12.345,12.345,12.345,12.345,12.345,12.345,12.345,12.345,12.345,12.345,12.345\r\n"
    "GET,/zero,0,0,0,0,0,0,0,0.000000,0.000000,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\r\n"
    ",Aggregated,3,1,0.2,4.215,0.1,12.345,136.667,1.500000,0.500000,"
    "0.2,0.2,12.345,12.345,12.345,12.345,12.345,12.345,12.345,12.345,12.345\r\n";

/* row 1 (entries /b then /a pushed, written /a then /b) and row 2 (Aggregated only) */
static const char HIST_A1[] =
    "1700000002,3,POST,/a,0.500000,0.000000,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,"
    "1,0,0.2,0.2,0.2,0.2,10\r\n";
static const char HIST_B1[] =
    "1700000002,3,GET,/b,1.000000,0.500000,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,12.345,"
    "2,1,0.1,6.223,0.1,12.345,200\r\n";
static const char HIST_T1[] =
    "1700000002,3,,Aggregated,1.500000,0.500000,0.1,0.2,0.2,0.2,12.345,12.345,12.345,12.345,"
    "12.345,12.345,12.345,3,1,0.2,4.215,0.1,12.345,136.667\r\n";
static const char HIST_T2[] =
    "1700000003,0,,Aggregated,0.333333,0.000000,0,0,0,0,0,0,0,0,0,0,0,"
    "3,1,0.2,4.215,0.1,12.345,136.667\r\n";

struct fx {
  char dir[64];
  struct lc_stats *s;
  struct lc_history *h;
  struct lc_result res;
};

static void rec(struct lc_stats *s, const char *method, const char *name, uint64_t us,
                uint64_t len, const char *error) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  lc_stats_record(s, &k, us, len, error != NULL, error, T0);
}

static uint32_t index_of(const struct lc_stats *s, const char *method, const char *name) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  const struct lc_stats_entry *e = lc_stats_find(s, &k);
  assert_non_null(e);
  return e->index;
}

static void point(struct lc_history *h, uint32_t entry, double rps, double fps,
                  const uint64_t pct[LC_PCT_COUNT], uint64_t n, uint64_t fails, uint64_t med,
                  double avg, uint64_t mn, uint64_t mx, uint64_t bytes) {
  struct lc_history_point p;
  memset(&p, 0, sizeof p);
  p.entry = entry;
  p.rps = rps;
  p.fps = fps;
  if (pct) memcpy(p.pct_us, pct, sizeof p.pct_us);
  p.total_requests = n;
  p.total_failures = fails;
  p.total_median_us = med;
  p.total_avg_us = avg;
  p.total_min_us = mn;
  p.total_max_us = mx;
  p.total_content_bytes = bytes;
  lc_history_push_point(h, &p);
}

static int setup(void **state) {
  struct fx *f = lc_xcalloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/lc-test-csv-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  f->s = lc_stats_new(0, 0);
  rec(f->s, "GET", "/zero", 5, 0, NULL);
  lc_stats_reset(f->s);  /* /zero stays, without requests */
  rec(f->s, "GET", "/b", 100, 100, NULL);
  rec(f->s, "GET", "/b", 12345, 300, "boom, \"x\"");
  rec(f->s, "POST", "/a", 200, 10, NULL);
  lc_stats_record_user_error(f->s, "oops\nline 2", T0);
  lc_stats_record_user_error(f->s, "oops\nline 2", T0 + 3000000);

  f->h = lc_history_new();
  const uint64_t pb[LC_PCT_COUNT] = {100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 12345};
  const uint64_t pa[LC_PCT_COUNT] = {200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200};
  const uint64_t pt[LC_PCT_COUNT] = {100, 200, 200, 200, 12345, 12345, 12345, 12345, 12345,
                                     12345, 12345};
  lc_history_push_row(f->h, T0 + 1500000, 1000000, 3);
  point(f->h, LC_HISTORY_TOTAL, 1.5, 0.5, pt, 3, 1, 200, 4215.0, 100, 12345, 410);
  point(f->h, index_of(f->s, "GET", "/b"), 1.0, 0.5, pb, 2, 1, 100, 6222.5, 100, 12345, 400);
  point(f->h, index_of(f->s, "POST", "/a"), 0.5, 0, pa, 1, 0, 200, 200.0, 200, 200, 10);
  lc_history_push_row(f->h, T0 + 2999999, 2000000, 0);
  point(f->h, LC_HISTORY_TOTAL, 1.0 / 3, 0, NULL, 3, 1, 200, 4215.0, 100, 12345, 410);

  f->res.totals = f->s;
  f->res.history = f->h;
  f->res.duration_us = 2000000;
  *state = f;
  return 0;
}

static void rm_tree(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    unlink(path);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    char p[512];
    snprintf(p, sizeof p, "%s/%s", path, de->d_name);
    rm_tree(p);
  }
  closedir(d);
  rmdir(path);
}

static int teardown(void **state) {
  struct fx *f = *state;
  rm_tree(f->dir);
  lc_stats_free(f->s);
  lc_history_free(f->h);
  free(f);
  return 0;
}

/* The whole file, NUL-terminated (the caller frees), or NULL when it does not exist. */
static char *slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  char *b = lc_xmalloc(1 << 16);
  size_t n = fread(b, 1, (1 << 16) - 1, fp);
  b[n] = '\0';
  fclose(fp);
  return b;
}

static void assert_file(const struct fx *f, const char *rel, const char *want) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", f->dir, rel);
  char *got = slurp(p);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
}

static char *cat(const char *a, const char *b, const char *c, const char *d, const char *e) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + strlen(e) + 1;
  char *s = lc_xmalloc(n);
  snprintf(s, n, "%s%s%s%s%s", a, b, c, d, e);
  return s;
}

static size_t count_files(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (de->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void test_write_golden(void **state) {
  struct fx *f = *state;
  char prefix[128], err[256];
  snprintf(prefix, sizeof prefix, "%s/new/deeper/run", f->dir);
  assert_int_equal(lc_report_csv_write(prefix, &f->res, false, err, sizeof err), 0);

  char *stats = cat(STATS_H, STATS_ROWS, "", "", "");
  assert_file(f, "new/deeper/run_stats.csv", stats);
  free(stats);
  char *hist = cat(HISTORY_H, HIST_T1, HIST_T2, "", "");
  assert_file(f, "new/deeper/run_stats_history.csv", hist);
  free(hist);
  char *fails = cat(FAILURES_H, "GET,/b,\"boom, \"\"x\"\"\",1,1700000001,1700000001\r\n", "", "",
                    "");
  assert_file(f, "new/deeper/run_failures.csv", fails);
  free(fails);
  char *exc = cat(EXCEPTIONS_H, "2,\"oops\nline 2\",,local\r\n", "", "", "");
  assert_file(f, "new/deeper/run_exceptions.csv", exc);
  free(exc);
  /* the four files and no temporary one */
  char dir[128];
  snprintf(dir, sizeof dir, "%s/new/deeper", f->dir);
  assert_int_equal(count_files(dir), 4);
}

static void test_full_history(void **state) {
  struct fx *f = *state;
  char prefix[128], err[256];
  snprintf(prefix, sizeof prefix, "%s/full", f->dir);
  assert_int_equal(lc_report_csv_write(prefix, &f->res, true, err, sizeof err), 0);
  char *hist = cat(HISTORY_H, HIST_A1, HIST_B1, HIST_T1, HIST_T2);
  assert_file(f, "full_stats_history.csv", hist);
  free(hist);
}

/* The percentile columns of the Aggregated row are lc_hist_percentile's, in ms. */
static void test_percentiles_match_hist(void **state) {
  struct fx *f = *state;
  char prefix[128], err[256], path[160];
  snprintf(prefix, sizeof prefix, "%s/p", f->dir);
  assert_int_equal(lc_report_csv_write(prefix, &f->res, false, err, sizeof err), 0);
  snprintf(path, sizeof path, "%s_stats.csv", prefix);
  char *got = slurp(path);
  char *row = strstr(got, ",Aggregated,");
  assert_non_null(row);
  const struct lc_hist *h = &lc_stats_total(f->s)->hist;
  char *field = row + 1;
  for (int i = 0; i < 10; i++) field = strchr(field, ',') + 1;  /* past Failures/s */
  for (size_t k = 0; k < LC_PCT_COUNT; k++) {
    double ms = strtod(field, &field);
    assert_true(*field == ',' || *field == '\r');
    field++;
    double want = (double)lc_hist_percentile(h, lc_pct_values[k]) / 1000.0;
    assert_true(ms > want - 1e-9 && ms < want + 1e-9);
  }
  free(got);
}

static void test_unwritable(void **state) {
  struct fx *f = *state;
  char file[128], prefix[160], err[256] = "";
  snprintf(file, sizeof file, "%s/plain", f->dir);
  FILE *fp = fopen(file, "w");
  assert_non_null(fp);
  fclose(fp);
  snprintf(prefix, sizeof prefix, "%s/sub/x", file);
  assert_int_equal(lc_report_csv_write(prefix, &f->res, false, err, sizeof err), LC_EIO);
  assert_non_null(strstr(err, "Not a directory"));
  struct lc_report_csv *c = (struct lc_report_csv *)1;
  err[0] = '\0';
  assert_int_equal(lc_report_csv_open(&c, prefix, false, err, sizeof err), LC_EIO);
  assert_null(c);
  assert_non_null(strstr(err, "plain"));
  /* a directory where a file should go */
  snprintf(prefix, sizeof prefix, "%s/d", f->dir);
  snprintf(file, sizeof file, "%s/d_stats.csv", f->dir);
  assert_int_equal(mkdir(file, 0777), 0);
  assert_int_equal(lc_report_csv_write(prefix, &f->res, false, err, sizeof err), LC_EIO);
  assert_non_null(strstr(err, "d_stats.csv"));
}

static void test_live(void **state) {
  struct fx *f = *state;
  char prefix[128], err[256], path[160];
  snprintf(prefix, sizeof prefix, "%s/live/run", f->dir);
  struct lc_report_csv *c = NULL;
  assert_int_equal(lc_report_csv_open(&c, prefix, true, err, sizeof err), 0);
  /* at open: every file with its header (stats with an empty Aggregated row) */
  assert_file(f, "live/run_stats_history.csv", HISTORY_H);
  assert_file(f, "live/run_failures.csv", FAILURES_H);
  assert_file(f, "live/run_exceptions.csv", EXCEPTIONS_H);
  char *empty = cat(STATS_H, ",Aggregated,0,0,0,0,0,0,0,0.000000,0.000000,"
                    "N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\r\n", "", "", "");
  assert_file(f, "live/run_stats.csv", empty);
  free(empty);

  /* a history with its first row only */
  struct lc_history *h1 = lc_history_new();
  const struct lc_history_row *r = lc_history_row_at(f->h, 0);
  lc_history_push_row(h1, r->wall_us, r->elapsed_us, r->users);
  for (size_t j = 0; j < r->npoints; j++) lc_history_push_point(h1, lc_history_point_at(f->h, r->first + j));
  assert_int_equal(lc_report_csv_update(c, f->s, h1, 2000000, err, sizeof err), 0);
  char *stats = cat(STATS_H, STATS_ROWS, "", "", "");
  assert_file(f, "live/run_stats.csv", stats);
  char *hist = cat(HISTORY_H, HIST_A1, HIST_B1, HIST_T1, "");
  assert_file(f, "live/run_stats_history.csv", hist);
  free(hist);

  /* appended, never rewritten: a line added by someone else stays */
  snprintf(path, sizeof path, "%s_stats_history.csv", prefix);
  FILE *fp = fopen(path, "a");
  assert_non_null(fp);
  fputs("MARK\r\n", fp);
  fclose(fp);
  assert_int_equal(lc_report_csv_update(c, f->s, f->h, 2000000, err, sizeof err), 0);
  assert_int_equal(lc_report_csv_update(c, f->s, f->h, 2000000, err, sizeof err), 0);
  char *head = cat(HISTORY_H, HIST_A1, HIST_B1, HIST_T1, "MARK\r\n");
  hist = cat(head, HIST_T2, "", "", "");
  assert_file(f, "live/run_stats_history.csv", hist);
  free(hist);
  free(head);

  /* the final snapshot is complete and replaces the appended file */
  assert_int_equal(lc_report_csv_finish(c, &f->res, err, sizeof err), 0);
  hist = cat(HISTORY_H, HIST_A1, HIST_B1, HIST_T1, HIST_T2);
  assert_file(f, "live/run_stats_history.csv", hist);
  assert_file(f, "live/run_stats.csv", stats);
  free(hist);
  free(stats);
  lc_report_csv_free(c);
  lc_history_free(h1);
  char dir[128];
  snprintf(dir, sizeof dir, "%s/live", f->dir);
  assert_int_equal(count_files(dir), 4);
}

/* _stats_intended.csv: only the entries with response times from the intended start, in
 * _stats.csv's order, then Aggregated; /b's 200 us paced every 80 us adds a 120 us sample.
 * A later write without them removes the file. */
static void test_intended(void **state) {
  struct fx *f = *state;
  char prefix[128], err[256], path[160];
  struct lc_stats *s = lc_stats_new(0, 0);
  lc_stats_merge(s, f->s);
  struct lc_stats_key k;
  lc_stats_key_init(&k, "/b", "GET");
  lc_stats_record(s, &k, 150, 10, false, NULL, T0);
  lc_stats_record_intended(s, &k, 200, 80);
  lc_stats_key_init(&k, "/a", "POST");
  lc_stats_record(s, &k, 20, 10, false, NULL, T0);
  lc_stats_record_intended(s, &k, 30, 0);
  struct lc_result res = f->res;
  res.totals = s;
  snprintf(prefix, sizeof prefix, "%s/i/run", f->dir);
  assert_int_equal(lc_report_csv_write(prefix, &res, false, err, sizeof err), 0);
  assert_file(f, "i/run_stats_intended.csv",
              "Type,Name,Request Count,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n"
              "POST,/a,1,0.03,0.03,0.03,0.03,0.03,0.03,0.03,0.03,0.03,0.03,0.03\r\n"
              "GET,/b,2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2\r\n"
              ",Aggregated,3,0.12,0.12,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2\r\n");
  char dir[128];
  snprintf(dir, sizeof dir, "%s/i", f->dir);
  assert_int_equal(count_files(dir), 5);
  /* the same prefix without intended figures: the stale file goes */
  assert_int_equal(lc_report_csv_write(prefix, &f->res, false, err, sizeof err), 0);
  snprintf(path, sizeof path, "%s_stats_intended.csv", prefix);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(count_files(dir), 4);
  /* live: written by the update that first has them */
  struct lc_report_csv *c = NULL;
  assert_int_equal(lc_report_csv_open(&c, prefix, false, err, sizeof err), 0);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(lc_report_csv_update(c, f->s, f->h, 1000000, err, sizeof err), 0);
  assert_int_equal(access(path, F_OK), -1);
  assert_int_equal(lc_report_csv_update(c, s, f->h, 1000000, err, sizeof err), 0);
  assert_int_equal(access(path, F_OK), 0);
  assert_int_equal(lc_report_csv_finish(c, &res, err, sizeof err), 0);
  lc_report_csv_free(c);
  assert_int_equal(count_files(dir), 5);
  lc_stats_free(s);
}

/* A history row before any request: N/A percentiles, zero totals. */
static void test_history_without_requests(void **state) {
  struct fx *f = *state;
  char prefix[128], err[256];
  struct lc_history *h = lc_history_new();
  lc_history_push_row(h, T0, 1000000, 1);
  point(h, LC_HISTORY_TOTAL, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0);
  struct lc_stats *empty = lc_stats_new(0, 0);
  struct lc_result res = {.totals = empty, .history = h, .duration_us = 1000000};
  snprintf(prefix, sizeof prefix, "%s/e", f->dir);
  assert_int_equal(lc_report_csv_write(prefix, &res, true, err, sizeof err), 0);
  char *want = cat(HISTORY_H, "1700000001,1,,Aggregated,0.000000,0.000000,"
                   "N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0,0,0,0\r\n", "", "", "");
  assert_file(f, "e_stats_history.csv", want);
  free(want);
  lc_stats_free(empty);
  lc_history_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_write_golden, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full_history, setup, teardown),
      cmocka_unit_test_setup_teardown(test_percentiles_match_hist, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
      cmocka_unit_test_setup_teardown(test_live, setup, teardown),
      cmocka_unit_test_setup_teardown(test_history_without_requests, setup, teardown),
      cmocka_unit_test_setup_teardown(test_intended, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
