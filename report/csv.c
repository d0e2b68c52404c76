/* csv.c: Locust's four CSV files and loadc's fifth, _stats_intended.csv (see csv.h for the columns and number formats). Every file
 * but the live history is written whole to a temporary name beside it and renamed; the live
 * history is appended to, a row at a time, and rewritten whole once at the end. */
#include "report/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine/base/base.h"
#include "report/file.h"

static const char stats_header[] =
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n";
static const char history_header[] =
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
    "Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size\r\n";
static const char failures_header[] =
    "Method,Name,Error,Occurrences,First Seen,Last Seen\r\n";
static const char exceptions_header[] = "Count,Message,Traceback,Nodes\r\n";
static const char intended_header[] =
    "Type,Name,Request Count,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n";

static const char *const suffixes[] = {"_stats.csv", "_stats_history.csv", "_failures.csv",
                                       "_exceptions.csv", "_stats_intended.csv"};
/* F_INTENDED is written only when an entry has response times from the intended start. */
enum { F_STATS, F_HISTORY, F_FAILURES, F_EXCEPTIONS, F_INTENDED, F_COUNT };
#define LOCUST_FILES (1u << F_STATS | 1u << F_HISTORY | 1u << F_FAILURES | 1u << F_EXCEPTIONS)

struct lc_report_csv {
  char *prefix;
  bool full_history;
  FILE *history;        /* the history file, open for appending until finish */
  size_t rows_written;  /* history rows already appended */
};

/* What one snapshot is written from. */
struct snap {
  const struct lc_stats *totals;
  const struct lc_history *history;  /* NULL: the history file gets its header only */
  double duration_s;
  bool full_history;
};

/* ---- fields ---- */

/* Python's csv QUOTE_MINIMAL: quoted only when it holds the delimiter, a quote or a newline. */
static void put_str(FILE *f, const char *s) {
  if (!s) s = "";
  if (strpbrk(s, ",\"\r\n") == NULL) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* Microseconds as milliseconds: up to 3 decimals, no trailing zeros (exact). */
static void put_ms(FILE *f, uint64_t us) {
  uint64_t whole = us / 1000, frac = us % 1000;
  if (frac == 0) {
    fprintf(f, "%" PRIu64, whole);
    return;
  }
  int digits = 3;
  while (frac % 10 == 0) {
    frac /= 10;
    digits--;
  }
  fprintf(f, "%" PRIu64 ".%0*" PRIu64, whole, digits, frac);
}

/* A non-negative double rounded to `decimals`; trailing zeros dropped when `trim`. */
static void put_num(FILE *f, double v, int decimals, bool trim) {
  char b[64];
  if (!(v >= 0)) v = 0;
  snprintf(b, sizeof b, "%.*f", decimals, v);
  if (trim && strchr(b, '.')) {
    size_t n = strlen(b);
    while (b[n - 1] == '0') b[--n] = '\0';
    if (b[n - 1] == '.') b[--n] = '\0';
  }
  fputs(b, f);
}

/* An average in microseconds, rounded to the microsecond, as milliseconds. */
static void put_avg_ms(FILE *f, double us) { put_ms(f, us > 0 ? (uint64_t)(us + 0.5) : 0); }

static void put_u64(FILE *f, uint64_t v) { fprintf(f, "%" PRIu64, v); }

static void sep(FILE *f) { fputc(',', f); }

/* ---- the files ---- */

static void stats_row(FILE *f, const char *type, const char *name, const struct lc_stats_entry *e,
                      double secs) {
  uint64_t n = e->num_requests;
  put_str(f, type), sep(f), put_str(f, name), sep(f);
  put_u64(f, n), sep(f), put_u64(f, e->num_failures), sep(f);
  put_ms(f, n ? lc_hist_median(&e->hist) : 0), sep(f);
  put_avg_ms(f, n ? lc_hist_mean(&e->hist) : 0), sep(f);
  put_ms(f, n ? e->hist.min : 0), sep(f), put_ms(f, n ? e->hist.max : 0), sep(f);
  put_num(f, n ? (double)e->total_content_length / (double)n : 0, 3, true), sep(f);
  put_num(f, secs > 0 ? (double)n / secs : 0, 6, false), sep(f);
  put_num(f, secs > 0 ? (double)e->num_failures / secs : 0, 6, false);
  for (size_t k = 0; k < LC_PCT_COUNT; k++) {
    sep(f);
    if (n) put_ms(f, lc_hist_percentile(&e->hist, lc_pct_values[k]));
    else fputs("N/A", f);
  }
  fputs("\r\n", f);
}

static void write_stats(FILE *f, const struct snap *s) {
  fputs(stats_header, f);
  size_t n = 0;
  const struct lc_stats_entry **rows = lc_stats_sorted(s->totals, &n);
  for (size_t i = 0; i < n; i++) stats_row(f, rows[i]->method, rows[i]->name, rows[i], s->duration_s);
  free(rows);
  stats_row(f, "", LC_STATS_TOTAL_NAME, lc_stats_total(s->totals), s->duration_s);
}

static bool has_intended(const struct lc_stats_entry *e) {
  return e->intended && e->intended->count;
}

/* Whether any entry (or the Aggregated one) has response times from the intended start. */
static bool any_intended(const struct lc_stats *totals) {
  if (has_intended(lc_stats_total(totals))) return true;
  for (size_t i = 0; i < lc_stats_entry_count(totals); i++)
    if (has_intended(lc_stats_entry_at(totals, i))) return true;
  return false;
}

static void intended_row(FILE *f, const char *type, const char *name, const struct lc_hist *h) {
  put_str(f, type), sep(f), put_str(f, name), sep(f), put_u64(f, h->count);
  for (size_t k = 0; k < LC_PCT_COUNT; k++) sep(f), put_ms(f, lc_hist_percentile(h, lc_pct_values[k]));
  fputs("\r\n", f);
}

/* The entries that have response times from the intended start, in _stats.csv's order, then
 * Aggregated. */
static void write_intended(FILE *f, const struct snap *s) {
  fputs(intended_header, f);
  size_t n = 0;
  const struct lc_stats_entry **rows = lc_stats_sorted(s->totals, &n);
  for (size_t i = 0; i < n; i++)
    if (has_intended(rows[i])) intended_row(f, rows[i]->method, rows[i]->name, rows[i]->intended);
  free(rows);
  const struct lc_stats_entry *tot = lc_stats_total(s->totals);
  if (has_intended(tot)) intended_row(f, "", LC_STATS_TOTAL_NAME, tot->intended);
}

static void write_failures(FILE *f, const struct snap *s) {
  fputs(failures_header, f);
  size_t n = lc_stats_error_count(s->totals);
  for (size_t i = 0; i < n; i++) {
    const struct lc_stats_error *e = lc_stats_error_at(s->totals, i);
    put_str(f, e->method), sep(f), put_str(f, e->name), sep(f), put_str(f, e->message), sep(f);
    put_u64(f, e->occurrences), sep(f);
    fprintf(f, "%" PRId64 ",%" PRId64 "\r\n", e->first_seen_us / 1000000,
            e->last_seen_us / 1000000);
  }
}

static void write_exceptions(FILE *f, const struct snap *s) {
  fputs(exceptions_header, f);
  size_t n = lc_stats_user_error_count(s->totals);
  for (size_t i = 0; i < n; i++) {
    const struct lc_stats_error *e = lc_stats_user_error_at(s->totals, i);
    put_u64(f, e->occurrences), sep(f), put_str(f, e->message);
    fputs(",,local\r\n", f);
  }
}

static void history_row(FILE *f, const struct lc_history_row *r, const char *type,
                        const char *name, const struct lc_history_point *p) {
  fprintf(f, "%" PRId64 ",%" PRIu32 ",", r->wall_us / 1000000, r->users);
  put_str(f, type), sep(f), put_str(f, name), sep(f);
  put_num(f, p->rps, 6, false), sep(f), put_num(f, p->fps, 6, false);
  for (size_t k = 0; k < LC_PCT_COUNT; k++) {
    sep(f);
    if (p->total_requests) put_ms(f, p->pct_us[k]);
    else fputs("N/A", f);
  }
  sep(f), put_u64(f, p->total_requests), sep(f), put_u64(f, p->total_failures), sep(f);
  put_ms(f, p->total_median_us), sep(f), put_avg_ms(f, p->total_avg_us), sep(f);
  put_ms(f, p->total_min_us), sep(f), put_ms(f, p->total_max_us), sep(f);
  put_num(f, p->total_requests ? (double)p->total_content_bytes / (double)p->total_requests : 0,
          3, true);
  fputs("\r\n", f);
}

struct ranked {
  size_t rank;
  const struct lc_history_point *p;
};

static int by_rank(const void *a, const void *b) {
  size_t x = ((const struct ranked *)a)->rank, y = ((const struct ranked *)b)->rank;
  return x < y ? -1 : x > y;
}

/* History rows [from, to): with full history, each row's entry points in (name, method) order
 * first, then its Aggregated point. */
static void history_rows(FILE *f, const struct lc_history *h, size_t from, size_t to,
                         const struct lc_stats *totals, bool full) {
  size_t nent = lc_stats_entry_count(totals), nsorted = 0;
  size_t *rank = NULL;
  struct ranked *pts = NULL;
  size_t cap = 0;
  if (full) {
    const struct lc_stats_entry **sorted = lc_stats_sorted(totals, &nsorted);
    rank = lc_xmalloc((nent ? nent : 1) * sizeof *rank);
    for (size_t i = 0; i < nsorted; i++)
      if (sorted[i]->index < nent) rank[sorted[i]->index] = i;
    free(sorted);
  }
  for (size_t i = from; i < to; i++) {
    const struct lc_history_row *r = lc_history_row_at(h, i);
    const struct lc_history_point *total = NULL;
    size_t np = 0;
    if (full && r->npoints > cap) {
      cap = r->npoints;
      free(pts);
      pts = lc_xmalloc(cap * sizeof *pts);
    }
    for (size_t j = 0; j < r->npoints; j++) {
      const struct lc_history_point *p = lc_history_point_at(h, r->first + j);
      if (p->entry == LC_HISTORY_TOTAL) total = p;
      else if (full && p->entry < nent) pts[np++] = (struct ranked){rank[p->entry], p};
    }
    if (np) qsort(pts, np, sizeof *pts, by_rank);
    for (size_t j = 0; j < np; j++) {
      const struct lc_stats_entry *e = lc_stats_entry_at(totals, pts[j].p->entry);
      history_row(f, r, e->method, e->name, pts[j].p);
    }
    if (total) history_row(f, r, "", LC_STATS_TOTAL_NAME, total);
  }
  free(pts);
  free(rank);
}

static void write_history(FILE *f, const struct snap *s) {
  fputs(history_header, f);
  if (s->history)
    history_rows(f, s->history, 0, lc_history_row_count(s->history), s->totals, s->full_history);
}

/* ---- paths and atomic writes ---- */

static int fail(char *err, size_t errlen, const char *what, const char *path, int e) {
  if (errlen) snprintf(err, errlen, "cannot %s '%s': %s", what, path, strerror(e));
  return LC_EIO;
}

static char *path_of(const char *prefix, int which) {
  size_t a = strlen(prefix), b = strlen(suffixes[which]);
  char *p = lc_xmalloc(a + b + 1);
  memcpy(p, prefix, a);
  memcpy(p + a, suffixes[which], b + 1);
  return p;
}

typedef void (*writer_fn)(FILE *, const struct snap *);
static const writer_fn writers[F_COUNT] = {write_stats, write_history, write_failures,
                                           write_exceptions, write_intended};

/* Writes the files of `prefix` whose bit is set in `mask`. */
static int write_files(const char *prefix, unsigned mask, const struct snap *s, char *err,
                       size_t errlen) {
  int rc = lc_report_mkdirs(prefix, err, errlen);
  for (int i = 0; rc == 0 && i < F_COUNT; i++) {
    if (!(mask & (1u << i))) continue;
    char *path = path_of(prefix, i), *tmp;
    FILE *f = lc_report_tmp_open(path, &tmp, err, errlen);
    if (!f) {
      rc = LC_EIO;
    } else {
      writers[i](f, s);
      rc = lc_report_tmp_commit(f, tmp, path, true, err, errlen);
    }
    free(path);
  }
  return rc;
}

/* ---- public ---- */

/* The intended file with `totals`, or when no entry has one, no such file: one left by an
 * earlier run with the same prefix is removed so that it is not taken for this run's. */
static int write_or_remove_intended(const char *prefix, const struct snap *s, char *err,
                                    size_t errlen) {
  if (any_intended(s->totals)) return write_files(prefix, 1u << F_INTENDED, s, err, errlen);
  char *path = path_of(prefix, F_INTENDED);
  int rc = 0;
  if (unlink(path) != 0 && errno != ENOENT) rc = fail(err, errlen, "remove", path, errno);
  free(path);
  return rc;
}

int lc_report_csv_write(const char *prefix, const struct lc_result *res, bool full_history,
                        char *err, size_t errlen) {
  struct snap s = {res->totals, res->history, (double)res->duration_us / 1e6, full_history};
  int rc = write_files(prefix, LOCUST_FILES, &s, err, errlen);
  return rc != 0 ? rc : write_or_remove_intended(prefix, &s, err, errlen);
}

int lc_report_csv_open(struct lc_report_csv **out, const char *prefix, bool full_history,
                       char *err, size_t errlen) {
  *out = NULL;
  struct lc_stats *empty = lc_stats_new(1, 1);
  struct snap s = {empty, NULL, 0, full_history};
  int rc = write_files(prefix, LOCUST_FILES, &s, err, errlen);
  if (rc == 0) rc = write_or_remove_intended(prefix, &s, err, errlen);
  lc_stats_free(empty);
  if (rc != 0) return rc;
  char *hpath = path_of(prefix, F_HISTORY);
  FILE *h = fopen(hpath, "a");
  if (!h) rc = fail(err, errlen, "write", hpath, errno);
  free(hpath);
  if (rc != 0) return rc;
  struct lc_report_csv *c = lc_xmalloc(sizeof *c);
  c->prefix = lc_xstrdup(prefix);
  c->full_history = full_history;
  c->history = h;
  c->rows_written = 0;
  *out = c;
  return 0;
}

int lc_report_csv_update(struct lc_report_csv *c, const struct lc_stats *totals,
                         const struct lc_history *history, int64_t elapsed_us, char *err,
                         size_t errlen) {
  struct snap s = {totals, NULL, (double)elapsed_us / 1e6, c->full_history};
  int rc = write_files(c->prefix, 1u << F_STATS | 1u << F_FAILURES | 1u << F_EXCEPTIONS, &s, err,
                       errlen);
  if (rc == 0 && any_intended(totals)) rc = write_files(c->prefix, 1u << F_INTENDED, &s, err, errlen);
  if (rc != 0 || !c->history) return rc;
  size_t n = lc_history_row_count(history);
  if (n < c->rows_written) c->rows_written = 0;  /* the history was reset */
  if (n > c->rows_written) {
    history_rows(c->history, history, c->rows_written, n, totals, c->full_history);
    c->rows_written = n;
    if (fflush(c->history) != 0 || ferror(c->history)) {
      char *hpath = path_of(c->prefix, F_HISTORY);
      rc = fail(err, errlen, "write", hpath, errno ? errno : EIO);
      free(hpath);
    }
  }
  return rc;
}

int lc_report_csv_finish(struct lc_report_csv *c, const struct lc_result *res, char *err,
                         size_t errlen) {
  if (c->history) {
    fclose(c->history);  /* its content is replaced whole below */
    c->history = NULL;
  }
  return lc_report_csv_write(c->prefix, res, c->full_history, err, errlen);
}

void lc_report_csv_free(struct lc_report_csv *c) {
  if (!c) return;
  if (c->history) fclose(c->history);
  free(c->prefix);
  free(c);
}
