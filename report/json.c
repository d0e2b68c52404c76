/* json.c: the JSON result (see json.h and docs/result-format.md). Writing builds a jansson tree
 * and dumps it with keys in insertion order; loading walks the tree with getters that record the
 * first problem with its path and return harmless defaults after it, so a bad document ends in
 * one message, never in a crash. Times in ms are microseconds / 1000 and are read back rounded
 * to whole microseconds, which gives the same doubles on the next write. Reals are written with
 * 15 significant digits (DBL_DIG): exact for every ms value, and a number read back is written
 * again as the same digits, so write -> load -> write gives the same bytes. */
#include "report/json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/hist.h"
#include "engine/history.h"
#include "engine/stats.h"

/* ---- writing ---- */

static json_t *jint(uint64_t v) { return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v); }
static json_t *jms(uint64_t us) { return json_real((double)us / 1000.0); }
static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }
static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* ISO-8601 UTC with microseconds: 2026-11-26T13:20:43.123456Z. */
static json_t *jiso(int64_t us) {
  time_t secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
  long frac = (long)(us - (int64_t)secs * 1000000);
  struct tm tm;
  char buf[64];
  if (!gmtime_r(&secs, &tm)) return json_null();
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%06ldZ", frac);
  return json_string(buf);
}

static void set(json_t *o, const char *k, json_t *v) { json_object_set_new(o, k, v); }

static json_t *pct_object(const struct lc_hist *h) {
  json_t *o = json_object();
  for (size_t k = 0; k < LC_PCT_COUNT; k++)
    set(o, lc_pct_labels[k], h->count ? jms(lc_hist_percentile(h, lc_pct_values[k])) : json_null());
  return o;
}

static json_t *hist_json(const struct lc_hist *h) {
  struct lc_hist_summary s;
  lc_hist_summarize(h, &s);
  json_t *o = json_object();
  set(o, "count", jint(s.count));
  set(o, "sum_us", jint(s.sum));
  set(o, "min_us", jint(s.count ? s.min : 0));
  set(o, "max_us", jint(s.count ? s.max : 0));
  set(o, "clamped", jint(s.clamped));
  json_t *b = json_array();
  struct lc_hist_iter it;
  struct lc_hist_bucket bk;
  lc_hist_iter_init(&it, h);
  while (lc_hist_iter_next(&it, &bk)) json_array_append_new(b, json_pack("[oo]", jint(bk.lo), jint(bk.count)));
  set(o, "buckets", b);
  return o;
}

/* Response times from the intended start: the same figures and histogram as the entry's own. */
static json_t *intended_json(const struct lc_hist *h) {
  json_t *o = json_object();
  set(o, "count", jint(h->count));
  set(o, "min_ms", jms(h->min));
  set(o, "max_ms", jms(h->max));
  set(o, "avg_ms", json_real(lc_hist_mean(h) / 1000.0));
  set(o, "median_ms", jms(lc_hist_median(h)));
  set(o, "percentiles_ms", pct_object(h));
  set(o, "histogram", hist_json(h));
  return o;
}

static json_t *entry_json(const struct lc_stats_entry *e, double duration_s) {
  json_t *o = json_object();
  bool any = e->num_requests > 0;
  const struct lc_hist *h = &e->hist;
  set(o, "name", json_string(e->name));
  set(o, "method", json_string(e->method));
  set(o, "overflow", json_boolean(e->overflow));
  set(o, "num_requests", jint(e->num_requests));
  set(o, "num_failures", jint(e->num_failures));
  set(o, "total_content_length", jint(e->total_content_length));
  set(o, "first_request", any ? jiso(e->first_request_us) : json_null());
  set(o, "first_request_us", json_integer(e->first_request_us));
  set(o, "last_request", any ? jiso(e->last_request_us) : json_null());
  set(o, "last_request_us", json_integer(e->last_request_us));
  set(o, "min_ms", any ? jms(h->min) : json_null());
  set(o, "max_ms", any ? jms(h->max) : json_null());
  set(o, "avg_ms", any ? json_real(lc_hist_mean(h) / 1000.0) : json_null());
  set(o, "median_ms", any ? jms(lc_hist_median(h)) : json_null());
  set(o, "percentiles_ms", pct_object(h));
  set(o, "rps", json_real(duration_s > 0 ? (double)e->num_requests / duration_s : 0.0));
  set(o, "fps", json_real(duration_s > 0 ? (double)e->num_failures / duration_s : 0.0));
  set(o, "histogram", hist_json(h));
  if (e->intended && e->intended->count) set(o, "intended", intended_json(e->intended));
  return o;
}

static json_t *error_json(const struct lc_stats_error *e, bool user) {
  json_t *o = json_object();
  if (!user) {
    set(o, "method", json_string(e->method));
    set(o, "name", json_string(e->name));
  }
  set(o, "message", json_string(e->message));
  set(o, "overflow", json_boolean(e->overflow));
  set(o, "occurrences", jint(e->occurrences));
  set(o, "first_seen", jiso(e->first_seen_us));
  set(o, "first_seen_us", json_integer(e->first_seen_us));
  set(o, "last_seen", jiso(e->last_seen_us));
  set(o, "last_seen_us", json_integer(e->last_seen_us));
  return o;
}

static json_t *point_json(const struct lc_stats *totals, const struct lc_history_point *p) {
  json_t *o = json_object();
  const struct lc_stats_entry *e =
      p->entry == LC_HISTORY_TOTAL ? lc_stats_total(totals) : lc_stats_entry_at(totals, p->entry);
  set(o, "name", json_string(e ? e->name : "?"));
  set(o, "method", json_string(e ? e->method : ""));
  set(o, "requests", jint(p->requests));
  set(o, "failures", jint(p->failures));
  set(o, "content_bytes", jint(p->content_bytes));
  set(o, "rt_sum_ms", jms(p->rt_sum_us));
  set(o, "rt_min_ms", jms(p->rt_min_us));
  set(o, "rt_max_ms", jms(p->rt_max_us));
  set(o, "rps", json_real(p->rps));
  set(o, "fps", json_real(p->fps));
  json_t *pc = json_object();
  for (size_t k = 0; k < LC_PCT_COUNT; k++) set(pc, lc_pct_labels[k], jms(p->pct_us[k]));
  set(o, "percentiles_ms", pc);
  set(o, "total_requests", jint(p->total_requests));
  set(o, "total_failures", jint(p->total_failures));
  set(o, "total_content_bytes", jint(p->total_content_bytes));
  set(o, "total_min_ms", jms(p->total_min_us));
  set(o, "total_max_ms", jms(p->total_max_us));
  set(o, "total_median_ms", jms(p->total_median_us));
  /* whole microseconds, so that reading and writing again gives the same number */
  set(o, "total_avg_ms", jms(p->total_avg_us > 0 ? (uint64_t)llround(p->total_avg_us) : 0));
  return o;
}

static json_t *history_json(const struct lc_result *r) {
  json_t *rows = json_array();
  size_t n = r->history ? lc_history_row_count(r->history) : 0;
  for (size_t i = 0; i < n; i++) {
    const struct lc_history_row *row = lc_history_row_at(r->history, i);
    json_t *o = json_object();
    set(o, "time", jiso(row->wall_us));
    set(o, "time_us", json_integer(row->wall_us));
    set(o, "elapsed_us", json_integer(row->elapsed_us));
    set(o, "users", jint(row->users));
    json_t *pts = json_array();
    for (size_t k = 0; k < row->npoints; k++)
      json_array_append_new(pts, point_json(r->totals, lc_history_point_at(r->history, row->first + k)));
    set(o, "points", pts);
    json_array_append_new(rows, o);
  }
  return rows;
}

static json_t *thresholds_json(const struct lc_result *r) {
  json_t *a = json_array();
  for (size_t i = 0; i < r->nthresholds; i++) {
    const struct lc_threshold_result *t = &r->thresholds[i];
    json_t *o = json_object();
    set(o, "source", jstr(t->source));
    set(o, "metric", jstr(t->metric));
    set(o, "filter", jstr(t->filter));
    set(o, "op", jstr(t->op));
    set(o, "limit", jnum(t->limit));
    set(o, "measured", jnum(t->measured));
    set(o, "unit", jstr(t->unit ? t->unit : ""));
    set(o, "passed", json_boolean(t->passed));
    set(o, "abort_on_fail", json_boolean(t->abort_on_fail));
    set(o, "aborted_run", json_boolean(t->aborted_run));
    set(o, "skipped", json_boolean(t->skipped));
    set(o, "note", jstr(t->note));
    json_array_append_new(a, o);
  }
  return a;
}

static json_t *classes_json(const struct lc_result *r) {
  json_t *a = json_array();
  for (size_t i = 0; i < r->nclasses; i++) {
    const struct lc_result_class *c = &r->classes[i];
    json_t *o = json_object(), *tasks = json_array();
    set(o, "name", jstr(c->name));
    set(o, "weight", jint(c->weight));
    set(o, "fixed_count", jint(c->fixed_count));
    set(o, "share", jnum(c->share));
    for (size_t k = 0; k < c->ntasks; k++)
      json_array_append_new(tasks, json_pack("{s:o,s:o}", "name", jstr(c->tasks[k].name), "share",
                                             jnum(c->tasks[k].share)));
    set(o, "tasks", tasks);
    json_array_append_new(a, o);
  }
  return a;
}

static json_t *workers_json(const struct lc_result *r) {
  json_t *a = json_array();
  for (size_t i = 0; i < r->nworkers; i++) {
    const struct lc_result_worker *w = &r->workers[i];
    json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:o}", "cpu_max", jnum(w->cpu_max),
                                       "cpu_mean", jnum(w->cpu_mean), "lag_p99_ms",
                                       jms(w->lag_p99_us), "lag_max_ms", jms(w->lag_max_us)));
  }
  return a;
}

static json_t *result_json(const struct lc_result *r) {
  double dur = (double)r->duration_us / 1e6;
  json_t *doc = json_object(), *run = json_object();
  set(doc, "format", json_string(LC_RESULT_FORMAT_NAME));
  set(doc, "version", json_integer(LC_RESULT_FORMAT_VERSION));
  set(run, "scenario_file", jstr(r->scenario_file));
  set(run, "scenario_name", jstr(r->scenario_name));
  set(run, "host", jstr(r->host));
  set(run, "command_line", jstr(r->command_line));
  set(run, "start", jiso(r->start_wall_us));
  set(run, "start_us", json_integer(r->start_wall_us));
  set(run, "end", jiso(r->end_wall_us));
  set(run, "end_us", json_integer(r->end_wall_us));
  set(run, "duration_us", json_integer(r->duration_us));
  set(run, "peak_users", jint(r->peak_users));
  set(run, "end_reason", json_string(lc_result_end_name(r->end)));
  set(run, "loadc_version", jstr(r->loadc_version));
  set(run, "library_versions", jstr(r->library_versions));
  set(doc, "run", run);

  json_t *entries = json_array();
  size_t n = 0;
  const struct lc_stats_entry **sorted = lc_stats_sorted(r->totals, &n);
  for (size_t i = 0; i < n; i++) json_array_append_new(entries, entry_json(sorted[i], dur));
  free(sorted);
  set(doc, "entries", entries);
  set(doc, "aggregated", entry_json(lc_stats_total(r->totals), dur));
  unsigned flags = lc_stats_flags(r->totals);
  set(doc, "entries_capped", json_boolean(flags & LC_STATS_ENTRIES_CAPPED));
  set(doc, "errors_capped", json_boolean(flags & LC_STATS_ERRORS_CAPPED));
  json_t *errs = json_array(), *uerrs = json_array();
  for (size_t i = 0; i < lc_stats_error_count(r->totals); i++)
    json_array_append_new(errs, error_json(lc_stats_error_at(r->totals, i), false));
  for (size_t i = 0; i < lc_stats_user_error_count(r->totals); i++)
    json_array_append_new(uerrs, error_json(lc_stats_user_error_at(r->totals, i), true));
  set(doc, "errors", errs);
  set(doc, "user_errors", uerrs);
  set(doc, "history", history_json(r));
  set(doc, "thresholds_passed", json_boolean(r->thresholds_passed));
  set(doc, "thresholds", thresholds_json(r));
  set(doc, "classes", classes_json(r));
  set(doc, "workers", workers_json(r));
  set(doc, "saturated", json_boolean(r->saturated));
  set(doc, "open_model", json_boolean(r->open_model));
  if (r->open_model) {
    const struct lc_result_arrivals *a = &r->arrivals;
    set(doc, "arrivals",
        json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "scheduled", jint(a->scheduled), "started",
                  jint(a->started), "dropped", jint(a->dropped), "late", jint(a->late),
                  "max_users", jint(a->max_users), "lateness_p99_ms", jms(a->lateness_p99_us),
                  "lateness_max_ms", jms(a->lateness_max_us)));
  } else {
    set(doc, "arrivals", json_null());
  }
  return doc;
}

#define DUMP_FLAGS (JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

char *lc_report_json_dumps(const struct lc_result *r) {
  json_t *doc = result_json(r);
  char *s = json_dumps(doc, DUMP_FLAGS);
  json_decref(doc);
  if (!s) {
    lc_log(LC_LOG_ERROR, "out of memory writing the JSON result");
    abort();
  }
  /* jansson allocates with malloc (we never change its allocator), so free() is right */
  return s;
}

static void errf(char *err, size_t errlen, const char *fmt, ...) LC_PRINTF(3, 4);
static void errf(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

int lc_report_json_write(const char *path, const struct lc_result *r, char *err, size_t errlen) {
  char *tmp;
  FILE *f = lc_report_tmp_open(path, &tmp, err, errlen);
  if (!f) return LC_EIO;
  json_t *doc = result_json(r);
  int bad = json_dumpf(doc, f, DUMP_FLAGS) != 0;
  json_decref(doc);
  bad |= fputc('\n', f) == EOF;
  if (bad) errf(err, errlen, "cannot write '%s': %s", path, strerror(errno ? errno : EIO));
  return lc_report_tmp_commit(f, tmp, path, !bad, err, errlen);
}

/* ---- loading ---- */

struct rd {
  char *err;
  size_t errlen;
  bool failed;
  struct lc_arena *arena;
};

static void fail(struct rd *r, const char *where, const char *fmt, ...) LC_PRINTF(3, 4);
static void fail(struct rd *r, const char *where, const char *fmt, ...) {
  if (r->failed) return;
  r->failed = true;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  errf(r->err, r->errlen, "%s: %s", where, msg);
}

/* The member `key` of `o` (an object), or NULL after recording "WHERE.KEY: missing". */
static json_t *member(struct rd *r, json_t *o, const char *where, const char *key) {
  if (r->failed) return NULL;
  json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
  if (!v) fail(r, where, "missing '%s'", key);
  return v;
}

static uint64_t get_u64(struct rd *r, json_t *o, const char *where, const char *key) {
  json_t *v = member(r, o, where, key);
  if (!v) return 0;
  if (!json_is_integer(v) || json_integer_value(v) < 0) {
    fail(r, where, "'%s' must be an integer >= 0", key);
    return 0;
  }
  return (uint64_t)json_integer_value(v);
}

static uint32_t get_u32(struct rd *r, json_t *o, const char *where, const char *key) {
  uint64_t v = get_u64(r, o, where, key);
  if (v > UINT32_MAX) {
    fail(r, where, "'%s' is too large", key);
    return 0;
  }
  return (uint32_t)v;
}

static int64_t get_i64(struct rd *r, json_t *o, const char *where, const char *key) {
  json_t *v = member(r, o, where, key);
  if (!v) return 0;
  if (!json_is_integer(v)) {
    fail(r, where, "'%s' must be an integer", key);
    return 0;
  }
  return (int64_t)json_integer_value(v);
}

/* A number; null gives NaN when `nullable`. */
static double get_num(struct rd *r, json_t *o, const char *where, const char *key, bool nullable) {
  json_t *v = member(r, o, where, key);
  if (!v) return 0;
  if (nullable && json_is_null(v)) return NAN;
  if (!json_is_number(v)) {
    fail(r, where, "'%s' must be a number", key);
    return 0;
  }
  return json_number_value(v);
}

/* A duration in ms, back to whole microseconds. */
static uint64_t get_ms(struct rd *r, json_t *o, const char *where, const char *key) {
  double ms = get_num(r, o, where, key, false);
  if (r->failed) return 0;
  if (!(ms >= 0) || ms * 1000.0 >= 9.0e18) { /* llround must not overflow */
    fail(r, where, "'%s' must be a duration >= 0 in ms", key);
    return 0;
  }
  return (uint64_t)llround(ms * 1000.0);
}

static bool get_bool(struct rd *r, json_t *o, const char *where, const char *key) {
  json_t *v = member(r, o, where, key);
  if (!v) return false;
  if (!json_is_boolean(v)) {
    fail(r, where, "'%s' must be true or false", key);
    return false;
  }
  return json_is_true(v);
}

/* A string copied into the arena; NULL for null when `nullable`. */
static const char *get_str(struct rd *r, json_t *o, const char *where, const char *key,
                           bool nullable) {
  json_t *v = member(r, o, where, key);
  if (!v) return nullable ? NULL : "";
  if (nullable && json_is_null(v)) return NULL;
  if (!json_is_string(v)) {
    fail(r, where, "'%s' must be a string", key);
    return "";
  }
  size_t n = json_string_length(v);
  const char *s = json_string_value(v);
  if (memchr(s, '\0', n)) {
    fail(r, where, "'%s' holds a NUL character", key);
    return "";
  }
  return lc_arena_strndup(r->arena, s, n);
}

/* The array `key` of `o` (its size in *n), or NULL with *n = 0. */
static json_t *get_array(struct rd *r, json_t *o, const char *where, const char *key, size_t *n) {
  json_t *v = member(r, o, where, key);
  *n = 0;
  if (!v) return NULL;
  if (!json_is_array(v)) {
    fail(r, where, "'%s' must be an array", key);
    return NULL;
  }
  *n = json_array_size(v);
  return v;
}

static bool load_hist(struct rd *r, json_t *o, const char *where, struct lc_hist *h) {
  char w[256];
  snprintf(w, sizeof w, "%s.histogram", where);
  json_t *ho = member(r, o, where, "histogram");
  struct lc_hist_summary s;
  s.count = get_u64(r, ho, w, "count");
  s.sum = get_u64(r, ho, w, "sum_us");
  s.min = get_u64(r, ho, w, "min_us");
  s.max = get_u64(r, ho, w, "max_us");
  s.clamped = get_u64(r, ho, w, "clamped");
  size_t n;
  json_t *b = get_array(r, ho, w, "buckets", &n);
  if (r->failed) return false;
  struct lc_hist_pair *pairs = lc_xcalloc(n ? n : 1, sizeof *pairs);
  for (size_t i = 0; i < n && !r->failed; i++) {
    json_t *p = json_array_get(b, i);
    json_t *lo = json_array_get(p, 0), *cnt = json_array_get(p, 1);
    if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_integer(lo) ||
        !json_is_integer(cnt) || json_integer_value(lo) < 0 || json_integer_value(cnt) < 0) {
      fail(r, w, "buckets[%zu] must be [lower bound, count], two integers >= 0", i);
      break;
    }
    pairs[i].value = (uint64_t)json_integer_value(lo);
    pairs[i].count = (uint64_t)json_integer_value(cnt);
  }
  if (!r->failed && lc_hist_restore(h, &s, pairs, n) != 0)
    fail(r, w, "the buckets do not match count, min_us, max_us, sum_us or clamped");
  free(pairs);
  return !r->failed;
}

/* One entry ("entries[i]" or "aggregated") into the shard. */
static void load_entry(struct rd *r, struct lc_stats *st, json_t *o, const char *where,
                       bool total, struct lc_hist *h) {
  if (!json_is_object(o)) {
    fail(r, where, "must be an object");
    return;
  }
  const char *name = get_str(r, o, where, "name", false);
  const char *method = get_str(r, o, where, "method", false);
  bool overflow = get_bool(r, o, where, "overflow");
  uint64_t reqs = get_u64(r, o, where, "num_requests");
  uint64_t fails = get_u64(r, o, where, "num_failures");
  uint64_t bytes = get_u64(r, o, where, "total_content_length");
  int64_t first = get_i64(r, o, where, "first_request_us");
  int64_t last = get_i64(r, o, where, "last_request_us");
  if (!load_hist(r, o, where, h)) return;
  if (reqs != h->count) {
    fail(r, where, "num_requests (%" PRIu64 ") differs from the histogram's count (%" PRIu64 ")",
         reqs, h->count);
    return;
  }
  int rc = total ? lc_stats_restore_total(st, fails, bytes, first, last, h)
                 : lc_stats_restore_entry(st, name, method, overflow, fails, bytes, first, last, h);
  if (rc != 0) {
    fail(r, where, "inconsistent entry (a duplicate, more failures than requests, or bad times)");
    return;
  }
  /* optional (format 1 files written before it existed have none) */
  json_t *io = json_object_get(o, "intended");
  if (!io) return;
  char w[128];
  snprintf(w, sizeof w, "%s.intended", where);
  if (!json_is_object(io)) {
    fail(r, w, "must be an object");
    return;
  }
  if (!load_hist(r, io, w, h)) return;
  if (get_u64(r, io, w, "count") != h->count) {
    fail(r, w, "count differs from the histogram's count (%" PRIu64 ")", h->count);
    return;
  }
  if (lc_stats_restore_intended(st, total, name, method, overflow, h) != 0)
    fail(r, w, "names no entry");
}

static void load_errors(struct rd *r, struct lc_stats *st, json_t *doc, bool user) {
  const char *key = user ? "user_errors" : "errors";
  size_t n;
  json_t *a = get_array(r, doc, "result", key, &n);
  for (size_t i = 0; i < n && !r->failed; i++) {
    char w[64];
    snprintf(w, sizeof w, "%s[%zu]", key, i);
    json_t *o = json_array_get(a, i);
    if (!json_is_object(o)) {
      fail(r, w, "must be an object");
      break;
    }
    const char *method = user ? "" : get_str(r, o, w, "method", false);
    const char *name = user ? "" : get_str(r, o, w, "name", false);
    const char *msg = get_str(r, o, w, "message", false);
    bool overflow = get_bool(r, o, w, "overflow");
    uint64_t occ = get_u64(r, o, w, "occurrences");
    int64_t first = get_i64(r, o, w, "first_seen_us"), last = get_i64(r, o, w, "last_seen_us");
    if (r->failed) break;
    int rc = user ? lc_stats_restore_user_error(st, msg, overflow, occ, first, last)
                  : lc_stats_restore_error(st, method, name, msg, overflow, occ, first, last);
    if (rc != 0) fail(r, w, "inconsistent error (a duplicate, no occurrences, or bad times)");
  }
}

/* The index of the entry a history point names. */
static uint32_t point_entry(struct rd *r, const struct lc_stats *st, const char *name,
                            const char *method, const char *where) {
  if (!*method && strcmp(name, LC_STATS_TOTAL_NAME) == 0) return LC_HISTORY_TOTAL;
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  const struct lc_stats_entry *e = lc_stats_find(st, &k);
  if (e) return e->index;
  for (size_t i = 0; !*method && i < lc_stats_entry_count(st); i++) {
    e = lc_stats_entry_at(st, i);
    if (e->overflow && strcmp(e->name, name) == 0) return e->index;
  }
  fail(r, where, "names an entry that is not in 'entries'");
  return 0;
}

static void load_history(struct rd *r, struct lc_history *hist, const struct lc_stats *st,
                         json_t *doc) {
  size_t nrows;
  json_t *rows = get_array(r, doc, "result", "history", &nrows);
  for (size_t i = 0; i < nrows && !r->failed; i++) {
    char w[64];
    snprintf(w, sizeof w, "history[%zu]", i);
    json_t *row = json_array_get(rows, i);
    int64_t wall = get_i64(r, row, w, "time_us"), el = get_i64(r, row, w, "elapsed_us");
    uint32_t users = get_u32(r, row, w, "users");
    size_t np;
    json_t *pts = get_array(r, row, w, "points", &np);
    if (r->failed) break;
    lc_history_push_row(hist, wall, el, users);
    for (size_t k = 0; k < np && !r->failed; k++) {
      char pw[96];
      snprintf(pw, sizeof pw, "history[%zu].points[%zu]", i, k);
      json_t *o = json_array_get(pts, k);
      struct lc_history_point p;
      memset(&p, 0, sizeof p);
      const char *name = get_str(r, o, pw, "name", false);
      const char *method = get_str(r, o, pw, "method", false);
      if (r->failed) break;
      p.entry = point_entry(r, st, name, method, pw);
      p.requests = get_u64(r, o, pw, "requests");
      p.failures = get_u64(r, o, pw, "failures");
      p.content_bytes = get_u64(r, o, pw, "content_bytes");
      p.rt_sum_us = get_ms(r, o, pw, "rt_sum_ms");
      p.rt_min_us = get_ms(r, o, pw, "rt_min_ms");
      p.rt_max_us = get_ms(r, o, pw, "rt_max_ms");
      p.rps = get_num(r, o, pw, "rps", false);
      p.fps = get_num(r, o, pw, "fps", false);
      json_t *pc = member(r, o, pw, "percentiles_ms");
      for (size_t j = 0; j < LC_PCT_COUNT; j++) p.pct_us[j] = get_ms(r, pc, pw, lc_pct_labels[j]);
      p.total_requests = get_u64(r, o, pw, "total_requests");
      p.total_failures = get_u64(r, o, pw, "total_failures");
      p.total_content_bytes = get_u64(r, o, pw, "total_content_bytes");
      p.total_min_us = get_ms(r, o, pw, "total_min_ms");
      p.total_max_us = get_ms(r, o, pw, "total_max_ms");
      p.total_median_us = get_ms(r, o, pw, "total_median_ms");
      p.total_avg_us = (double)get_ms(r, o, pw, "total_avg_ms");
      if (!r->failed) lc_history_push_point(hist, &p);
    }
  }
}

static void load_run(struct rd *r, struct lc_result *res, json_t *doc) {
  json_t *run = member(r, doc, "result", "run");
  const char *w = "run";
  if (!r->failed && !json_is_object(run)) fail(r, w, "must be an object");
  res->scenario_file = get_str(r, run, w, "scenario_file", true);
  res->scenario_name = get_str(r, run, w, "scenario_name", true);
  res->host = get_str(r, run, w, "host", true);
  res->command_line = get_str(r, run, w, "command_line", true);
  res->loadc_version = get_str(r, run, w, "loadc_version", true);
  res->library_versions = get_str(r, run, w, "library_versions", true);
  res->start_wall_us = get_i64(r, run, w, "start_us");
  res->end_wall_us = get_i64(r, run, w, "end_us");
  res->duration_us = get_i64(r, run, w, "duration_us");
  res->peak_users = get_u32(r, run, w, "peak_users");
  const char *end = get_str(r, run, w, "end_reason", false);
  int e = lc_result_end_parse(end);
  if (!r->failed && e < 0) fail(r, w, "unknown end_reason '%s'", end);
  res->end = e < 0 ? LC_END_COMPLETED : (enum lc_result_end)e;
}

static void load_thresholds(struct rd *r, struct lc_result *res, json_t *doc) {
  res->thresholds_passed = get_bool(r, doc, "result", "thresholds_passed");
  size_t n;
  json_t *a = get_array(r, doc, "result", "thresholds", &n);
  res->thresholds = lc_arena_alloc(r->arena, (n ? n : 1) * sizeof *res->thresholds);
  for (size_t i = 0; i < n && !r->failed; i++) {
    char w[64];
    snprintf(w, sizeof w, "thresholds[%zu]", i);
    json_t *o = json_array_get(a, i);
    struct lc_threshold_result *t = &res->thresholds[i];
    t->source = get_str(r, o, w, "source", false);
    t->metric = get_str(r, o, w, "metric", false);
    t->filter = get_str(r, o, w, "filter", true);
    t->op = get_str(r, o, w, "op", false);
    t->limit = get_num(r, o, w, "limit", true);
    t->measured = get_num(r, o, w, "measured", true);
    t->unit = get_str(r, o, w, "unit", false);
    t->passed = get_bool(r, o, w, "passed");
    t->abort_on_fail = get_bool(r, o, w, "abort_on_fail");
    t->aborted_run = get_bool(r, o, w, "aborted_run");
    /* optional: added to format 1 later */
    t->skipped = json_object_get(o, "skipped") && get_bool(r, o, w, "skipped");
    t->note = json_object_get(o, "note") ? get_str(r, o, w, "note", true) : NULL;
    res->nthresholds = i + 1;
  }
}

static void load_classes(struct rd *r, struct lc_result *res, json_t *doc) {
  size_t n;
  json_t *a = get_array(r, doc, "result", "classes", &n);
  res->classes = lc_arena_alloc(r->arena, (n ? n : 1) * sizeof *res->classes);
  for (size_t i = 0; i < n && !r->failed; i++) {
    char w[64];
    snprintf(w, sizeof w, "classes[%zu]", i);
    json_t *o = json_array_get(a, i);
    struct lc_result_class *c = &res->classes[i];
    c->name = get_str(r, o, w, "name", false);
    c->weight = get_u32(r, o, w, "weight");
    c->fixed_count = get_u32(r, o, w, "fixed_count");
    c->share = get_num(r, o, w, "share", false);
    size_t nt;
    json_t *ta = get_array(r, o, w, "tasks", &nt);
    c->tasks = lc_arena_alloc(r->arena, (nt ? nt : 1) * sizeof *c->tasks);
    for (size_t k = 0; k < nt && !r->failed; k++) {
      char tw[96];
      snprintf(tw, sizeof tw, "classes[%zu].tasks[%zu]", i, k);
      json_t *t = json_array_get(ta, k);
      c->tasks[k].name = get_str(r, t, tw, "name", false);
      c->tasks[k].share = get_num(r, t, tw, "share", false);
      c->ntasks = k + 1;
    }
    res->nclasses = i + 1;
  }
}

static void load_workers(struct rd *r, struct lc_result *res, json_t *doc) {
  size_t n;
  json_t *a = get_array(r, doc, "result", "workers", &n);
  res->workers = lc_arena_alloc(r->arena, (n ? n : 1) * sizeof *res->workers);
  for (size_t i = 0; i < n && !r->failed; i++) {
    char w[64];
    snprintf(w, sizeof w, "workers[%zu]", i);
    json_t *o = json_array_get(a, i);
    struct lc_result_worker *wk = &res->workers[i];
    wk->cpu_max = get_num(r, o, w, "cpu_max", false);
    wk->cpu_mean = get_num(r, o, w, "cpu_mean", false);
    wk->lag_p99_us = get_ms(r, o, w, "lag_p99_ms");
    wk->lag_max_us = get_ms(r, o, w, "lag_max_ms");
    res->nworkers = i + 1;
  }
  res->saturated = get_bool(r, doc, "result", "saturated");
}

/* The open model's figures: optional (added to format 1 later; absent means a closed model). */
static void load_arrivals(struct rd *r, struct lc_result *res, json_t *doc) {
  res->open_model = json_object_get(doc, "open_model") && get_bool(r, doc, "result", "open_model");
  json_t *a = json_object_get(doc, "arrivals");
  if (!res->open_model) {
    if (a && !json_is_null(a)) fail(r, "arrivals", "must be null when open_model is false");
    return;
  }
  const char *w = "arrivals";
  if (!json_is_object(a)) {
    fail(r, w, "must be an object when open_model is true");
    return;
  }
  struct lc_result_arrivals *v = &res->arrivals;
  v->scheduled = get_u64(r, a, w, "scheduled");
  v->started = get_u64(r, a, w, "started");
  v->dropped = get_u64(r, a, w, "dropped");
  v->late = get_u64(r, a, w, "late");
  v->max_users = get_u32(r, a, w, "max_users");
  v->lateness_p99_us = get_ms(r, a, w, "lateness_p99_ms");
  v->lateness_max_us = get_ms(r, a, w, "lateness_max_ms");
}

static void load_stats(struct rd *r, struct lc_report_doc *d, json_t *doc) {
  size_t n, ne, nu;
  json_t *entries = get_array(r, doc, "result", "entries", &n);
  get_array(r, doc, "result", "errors", &ne);
  get_array(r, doc, "result", "user_errors", &nu);
  if (r->failed) return;
  size_t max_err = ne > nu ? ne : nu;
  d->totals = lc_stats_new(n > LC_STATS_DEFAULT_MAX_ENTRIES ? n : 0,
                           max_err > LC_STATS_DEFAULT_MAX_ERRORS ? max_err : 0);
  struct lc_hist *h = lc_xmalloc(sizeof *h);
  for (size_t i = 0; i < n && !r->failed; i++) {
    char w[64];
    snprintf(w, sizeof w, "entries[%zu]", i);
    load_entry(r, d->totals, json_array_get(entries, i), w, false, h);
  }
  json_t *agg = member(r, doc, "result", "aggregated");
  if (!r->failed) load_entry(r, d->totals, agg, "aggregated", true, h);
  free(h);
  load_errors(r, d->totals, doc, false);
  load_errors(r, d->totals, doc, true);
  unsigned flags = 0;
  if (get_bool(r, doc, "result", "entries_capped")) flags |= LC_STATS_ENTRIES_CAPPED;
  if (get_bool(r, doc, "result", "errors_capped")) flags |= LC_STATS_ERRORS_CAPPED;
  lc_stats_restore_flags(d->totals, flags);
}

static int load_doc(json_t *doc, struct lc_report_doc **out, char *err, size_t errlen) {
  struct lc_report_doc *d = lc_xcalloc(1, sizeof *d);
  lc_arena_init(&d->arena);
  struct rd r = {err, errlen, false, &d->arena};
  if (!json_is_object(doc)) {
    fail(&r, "result", "not a JSON object");
  } else {
    json_t *f = json_object_get(doc, "format"), *v = json_object_get(doc, "version");
    if (!json_is_string(f) || strcmp(json_string_value(f), LC_RESULT_FORMAT_NAME) != 0)
      fail(&r, "result", "not a loadc result ('format' is not \"" LC_RESULT_FORMAT_NAME "\")");
    else if (!json_is_integer(v))
      fail(&r, "result", "'version' must be an integer");
    else if (json_integer_value(v) != LC_RESULT_FORMAT_VERSION)
      fail(&r, "result", "version %" JSON_INTEGER_FORMAT " is not supported (this loadc reads %d)",
           json_integer_value(v), LC_RESULT_FORMAT_VERSION);
  }
  struct lc_result *res = &d->result;
  load_run(&r, res, doc);
  load_stats(&r, d, doc);
  if (!r.failed) {
    d->history = lc_history_new();
    load_history(&r, d->history, d->totals, doc);
  }
  load_thresholds(&r, res, doc);
  load_classes(&r, res, doc);
  load_workers(&r, res, doc);
  load_arrivals(&r, res, doc);
  if (r.failed) {
    lc_report_doc_free(d);
    return LC_EINVAL;
  }
  res->totals = d->totals;
  res->history = d->history;
  *out = d;
  return 0;
}

int lc_report_json_parse(const char *text, size_t len, struct lc_report_doc **out, char *err,
                         size_t errlen) {
  *out = NULL;
  json_error_t je;
  json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!doc) {
    errf(err, errlen, "line %d, column %d: not valid JSON: %s", je.line, je.column, je.text);
    return LC_EINVAL;
  }
  int rc = load_doc(doc, out, err, errlen);
  json_decref(doc);
  return rc;
}

int lc_report_json_load(const char *path, struct lc_report_doc **out, char *err,
                        size_t errlen) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    errf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
    return LC_EIO;
  }
  json_error_t je;
  json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
  int rd_err = ferror(f);
  fclose(f);
  if (!doc) {
    if (rd_err) {
      errf(err, errlen, "cannot read '%s'", path);
      return LC_EIO;
    }
    errf(err, errlen, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column, je.text);
    return LC_EINVAL;
  }
  char msg[600];
  int rc = load_doc(doc, out, msg, sizeof msg);
  json_decref(doc);
  if (rc != 0) errf(err, errlen, "%s: %s", path, msg);
  return rc;
}

void lc_report_doc_free(struct lc_report_doc *doc) {
  if (!doc) return;
  lc_stats_free(doc->totals);
  lc_history_free(doc->history);
  lc_arena_release(&doc->arena);
  free(doc);
}
