/* test_report_json.c: unit tests for report/json (the JSON result): write -> load -> write gives
 * the same bytes, histograms and totals come back exactly, the file is written atomically into
 * created directories, and bad documents are rejected with a message naming the problem. The
 * fixture has histograms from the intended start (not for /b), the open model's arrivals and
 * threshold notes; a document without them (written before they existed) still loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/base/base.h"
#include "engine/history.h"
#include "engine/stats.h"
#include "report/json.h"
#include "report/result.h"

struct fixture {
  struct lc_stats *totals, *second;
  struct lc_history *history;
  struct lc_threshold_result thresholds[2];
  struct lc_result_task tasks[2];
  struct lc_result_class classes[1];
  struct lc_result_worker workers[2];
  struct lc_result r;
};

static void rec(struct lc_stats *s, const char *name, const char *method, uint64_t rt, bool failed,
                const char *error, int64_t now) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  lc_stats_record(s, &k, rt, 100 + rt % 7, failed, error, now);
}

static int setup(void **state) {
  struct fixture *f = lc_xcalloc(1, sizeof *f);
  f->totals = lc_stats_new(4, 0);
  f->second = lc_stats_new(4, 0);
  f->history = lc_history_new();
  const int64_t t0 = INT64_C(1790000000000000);
  uint64_t x = 1;
  static const char *const names[] = {"/items/[id]", "/b", "/\xc3\xa9t\xc3\xa9", "/d", "/e", "/f"};
  for (int sec = 0; sec < 14; sec++) {
    for (int i = 0; i < 300; i++) {
      x = x * 6364136223846793005u + 1442695040888963407u;
      uint64_t rt = (sec == 5 ? (x >> 22) % UINT64_C(9000000000) : (x >> 33) % 80000) + 20;
      bool failed = (x >> 20) % 11 == 0;
      const char *name = names[(x >> 40) % (sec < 3 ? 3 : 6)], *method = (x >> 50) % 2 ? "GET" : "POST";
      rec(f->second, name, method, rt, failed,
          (x >> 10) % 2 ? "HTTPError 500 for \"x\"" : "connect: refused", t0 + sec * 1000000 + i);
      if (i % 3 == 0 && strcmp(name, "/b") != 0) {
        struct lc_stats_key k;
        lc_stats_key_init(&k, name, method);
        lc_stats_record_intended(f->second, &k, rt + 5000, i % 2 ? 0 : 20000);
      }
      if (i % 97 == 0) lc_stats_record_user_error(f->second, "user \"error\"\n2", t0 + i);
    }
    lc_stats_merge(f->totals, f->second);
    lc_history_add(f->history, f->second, f->totals, t0 + (sec + 1) * 1000000,
                   (sec + 1) * 1000000, (uint32_t)sec);
    lc_stats_reset(f->second);
  }
  f->thresholds[0] = (struct lc_threshold_result){"p95 < 500ms", "p95", "name=/b", "<", 500,
                                                    123.456, "ms", true, false, false, true,
                                                    "not \"measured\""};
  f->thresholds[1] = (struct lc_threshold_result){"rps > 1e9", "rps", NULL, ">", 1e9, NAN, "",
                                                    false, true, true, false, NULL};
  f->tasks[0] = (struct lc_result_task){"browse", 0.75};
  f->tasks[1] = (struct lc_result_task){"buy", 0.25};
  f->classes[0] = (struct lc_result_class){"Shopper", 3, 0, 1.0, f->tasks, 2};
  f->workers[0] = (struct lc_result_worker){0.95, 1.0 / 3.0, 12345, 99999};
  f->workers[1] = (struct lc_result_worker){0.1, 0.05, 10, 20};
  struct lc_result *r = &f->r;
  r->scenario_file = "shop.yaml";
  r->scenario_name = "shop \"test\"";
  r->host = NULL;
  r->command_line = "loadc run shop.yaml --set NAME=(hidden)";
  r->loadc_version = "0.1.0";
  r->library_versions = "libcurl/7.88.1";
  r->start_wall_us = t0;
  r->end_wall_us = t0 + 14000001;
  r->duration_us = 14000001;
  r->peak_users = 13;
  r->end = LC_END_ABORTED;
  r->totals = f->totals;
  r->history = f->history;
  r->thresholds = f->thresholds;
  r->nthresholds = 2;
  r->thresholds_passed = false;
  r->classes = f->classes;
  r->nclasses = 1;
  r->workers = f->workers;
  r->nworkers = 2;
  r->saturated = lc_result_saturated(f->workers, 2);
  r->open_model = true;
  r->arrivals = (struct lc_result_arrivals){60, 57, 3, 2, 5, 1500, 2999};
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  lc_stats_free(f->totals);
  lc_stats_free(f->second);
  lc_history_free(f->history);
  free(f);
  return 0;
}

static struct lc_report_doc *parse_ok(const char *text) {
  struct lc_report_doc *d = NULL;
  char err[512] = "";
  int rc = lc_report_json_parse(text, strlen(text), &d, err, sizeof err);
  if (rc != 0) fail_msg("unexpected load error: %s", err);
  assert_non_null(d);
  return d;
}

static void round_trip_gives_the_same_bytes(void **state) {
  struct fixture *f = *state;
  assert_true(lc_stats_flags(f->totals) & LC_STATS_ENTRIES_CAPPED);
  char *a = lc_report_json_dumps(&f->r);
  struct lc_report_doc *d = parse_ok(a);
  char *b = lc_report_json_dumps(&d->result);
  assert_string_equal(a, b);
  /* and once more from the reloaded one */
  struct lc_report_doc *d2 = parse_ok(b);
  char *c = lc_report_json_dumps(&d2->result);
  assert_string_equal(b, c);
  free(a);
  free(b);
  free(c);
  lc_report_doc_free(d);
  lc_report_doc_free(d2);
}

static void restores_histograms_and_totals_exactly(void **state) {
  struct fixture *f = *state;
  char *a = lc_report_json_dumps(&f->r);
  struct lc_report_doc *d = parse_ok(a);
  const struct lc_stats *t = d->result.totals;
  assert_int_equal(lc_stats_entry_count(t), lc_stats_entry_count(f->totals));
  for (size_t i = 0; i < lc_stats_entry_count(f->totals); i++) {
    const struct lc_stats_entry *e = lc_stats_entry_at(f->totals, i), *g;
    if (e->overflow) {
      g = NULL;
      for (size_t k = 0; k < lc_stats_entry_count(t); k++)
        if (lc_stats_entry_at(t, k)->overflow) g = lc_stats_entry_at(t, k);
    } else {
      struct lc_stats_key key;
      lc_stats_key_init(&key, e->name, e->method);
      g = lc_stats_find(t, &key);
    }
    assert_non_null(g);
    assert_memory_equal(&g->hist, &e->hist, sizeof e->hist);
    assert_int_equal(g->intended != NULL, e->intended != NULL);
    if (e->intended) assert_memory_equal(g->intended, e->intended, sizeof *e->intended);
    assert_int_equal(g->num_failures, e->num_failures);
    assert_int_equal(g->total_content_length, e->total_content_length);
    assert_int_equal(g->first_request_us, e->first_request_us);
    assert_int_equal(g->last_request_us, e->last_request_us);
  }
  assert_memory_equal(&lc_stats_total(t)->hist, &lc_stats_total(f->totals)->hist,
                      sizeof(struct lc_hist));
  assert_true(lc_stats_total(t)->hist.clamped > 0); /* the samples of second 5 above 2^32 us */
  assert_non_null(lc_stats_total(t)->intended);
  assert_memory_equal(lc_stats_total(t)->intended, lc_stats_total(f->totals)->intended,
                      sizeof(struct lc_hist));
  /* the corrected samples: more than a third of the requests */
  assert_true(lc_stats_total(t)->intended->count > lc_stats_total(t)->num_requests / 3);
  size_t without = 0; /* entries without one stay without (compared above) */
  for (size_t i = 0; i < lc_stats_entry_count(t); i++) without += !lc_stats_entry_at(t, i)->intended;
  assert_true(without > 0);
  assert_int_equal(lc_stats_error_count(t), lc_stats_error_count(f->totals));
  assert_int_equal(lc_stats_user_error_count(t), 1);
  assert_int_equal(lc_stats_user_error_at(t, 0)->occurrences,
                   lc_stats_user_error_at(f->totals, 0)->occurrences);
  assert_int_equal(lc_stats_flags(t), lc_stats_flags(f->totals));
  /* history: the same rows and points, entries named the same */
  const struct lc_history *h = d->result.history;
  assert_int_equal(lc_history_row_count(h), lc_history_row_count(f->history));
  const struct lc_history_row *row = lc_history_row_at(h, 13), *orow = lc_history_row_at(f->history, 13);
  assert_int_equal(row->npoints, orow->npoints);
  assert_int_equal(row->users, 13);
  for (size_t k = 0; k < row->npoints; k++) {
    const struct lc_history_point *p = lc_history_point_at(h, row->first + k);
    const struct lc_history_point *q = lc_history_point_at(f->history, orow->first + k);
    assert_memory_equal(p->pct_us, q->pct_us, sizeof p->pct_us);
    assert_int_equal(p->total_requests, q->total_requests);
    assert_true(p->rps == q->rps || fabs(p->rps - q->rps) < 1e-12 * q->rps);
    const struct lc_stats_entry *pe = p->entry == LC_HISTORY_TOTAL ? lc_stats_total(t)
                                                                   : lc_stats_entry_at(t, p->entry);
    const struct lc_stats_entry *qe = q->entry == LC_HISTORY_TOTAL
                                          ? lc_stats_total(f->totals)
                                          : lc_stats_entry_at(f->totals, q->entry);
    assert_string_equal(pe->name, qe->name);
    assert_string_equal(pe->method, qe->method);
  }
  /* the rest */
  const struct lc_result *r = &d->result;
  assert_null(r->host);
  assert_string_equal(r->scenario_name, "shop \"test\"");
  assert_int_equal(r->end, LC_END_ABORTED);
  assert_int_equal(r->duration_us, 14000001);
  assert_int_equal(r->nthresholds, 2);
  assert_null(r->thresholds[1].filter);
  assert_true(isnan(r->thresholds[1].measured));
  assert_true(r->thresholds[1].aborted_run);
  assert_true(r->thresholds[0].skipped);
  assert_string_equal(r->thresholds[0].note, "not \"measured\"");
  assert_false(r->thresholds[1].skipped);
  assert_null(r->thresholds[1].note);
  assert_true(r->open_model);
  assert_int_equal(r->arrivals.scheduled, 60);
  assert_int_equal(r->arrivals.started, 57);
  assert_int_equal(r->arrivals.dropped, 3);
  assert_int_equal(r->arrivals.late, 2);
  assert_int_equal(r->arrivals.max_users, 5);
  assert_int_equal(r->arrivals.lateness_p99_us, 1500);
  assert_int_equal(r->arrivals.lateness_max_us, 2999);
  assert_int_equal(r->nclasses, 1);
  assert_int_equal(r->classes[0].ntasks, 2);
  assert_string_equal(r->classes[0].tasks[1].name, "buy");
  assert_int_equal(r->workers[0].lag_p99_us, 12345);
  assert_true(r->saturated);
  free(a);
  lc_report_doc_free(d);
}

static void writes_atomically_into_new_directories(void **state) {
  struct fixture *f = *state;
  char dir[] = "/tmp/loadc-json-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *path = lc_xasprintf("%s/a/b/r.json", dir);
  char err[512] = "";
  assert_int_equal(lc_report_check_writable(path, err, sizeof err), 0);
  assert_int_equal(access(path, F_OK), -1); /* the check leaves nothing behind */
  assert_int_equal(lc_report_json_write(path, &f->r, err, sizeof err), 0);
  struct lc_report_doc *d = NULL;
  assert_int_equal(lc_report_json_load(path, &d, err, sizeof err), 0);
  char *a = lc_report_json_dumps(&f->r), *b = lc_report_json_dumps(&d->result);
  assert_string_equal(a, b);
  lc_report_doc_free(d);
  /* a directory in the way: an error with a message, no crash */
  char *bad = lc_xasprintf("%s/a/b/r.json/x.json", dir);
  assert_int_equal(lc_report_check_writable(bad, err, sizeof err), LC_EIO);
  assert_non_null(strstr(err, "r.json"));
  assert_int_equal(lc_report_json_write(bad, &f->r, err, sizeof err), LC_EIO);
  /* a missing file */
  char *missing = lc_xasprintf("%s/none.json", dir);
  assert_int_equal(lc_report_json_load(missing, &d, err, sizeof err), LC_EIO);
  assert_null(d);
  assert_non_null(strstr(err, "none.json"));
  unlink(path);
  char *sub = lc_xasprintf("%s/a/b", dir);
  rmdir(sub);
  free(sub);
  sub = lc_xasprintf("%s/a", dir);
  rmdir(sub);
  rmdir(dir);
  free(sub);
  free(a);
  free(b);
  free(bad);
  free(missing);
  free(path);
}

/* Applies `edit` to the document of the fixture and expects the load to fail with `expect` in
 * the message. */
static void expect_rejected(struct fixture *f, void (*edit)(json_t *), const char *expect) {
  char *a = lc_report_json_dumps(&f->r);
  json_t *doc = json_loads(a, 0, NULL);
  assert_non_null(doc);
  edit(doc);
  char *text = json_dumps(doc, 0);
  struct lc_report_doc *d = NULL;
  char err[512] = "";
  int rc = lc_report_json_parse(text, strlen(text), &d, err, sizeof err);
  if (rc != LC_EINVAL || !strstr(err, expect))
    fail_msg("expected an error with '%s', got rc %d: '%s'", expect, rc, err);
  assert_null(d);
  json_decref(doc);
  free(text);
  free(a);
}

static json_t *entry0(json_t *doc) { return json_array_get(json_object_get(doc, "entries"), 0); }
static void e_format(json_t *d) { json_object_set_new(d, "format", json_string("locust")); }
static void e_version(json_t *d) { json_object_set_new(d, "version", json_integer(2)); }
static void e_no_run(json_t *d) { json_object_del(d, "run"); }
static void e_end(json_t *d) {
  json_object_set_new(json_object_get(d, "run"), "end_reason", json_string("exploded"));
}
static void e_count(json_t *d) {
  json_t *h = json_object_get(entry0(d), "histogram");
  json_object_set_new(h, "count", json_integer(json_integer_value(json_object_get(h, "count")) + 1));
}
static void e_min(json_t *d) {
  json_t *h = json_object_get(entry0(d), "histogram");
  json_object_set_new(h, "min_us", json_integer(0));
}
static void e_bucket(json_t *d) {
  json_t *b = json_object_get(json_object_get(entry0(d), "histogram"), "buckets");
  json_array_set_new(b, 0, json_string("x"));
}
static void e_reqs(json_t *d) { json_object_set_new(entry0(d), "num_requests", json_integer(1)); }
static void e_neg(json_t *d) { json_object_set_new(entry0(d), "num_failures", json_integer(-1)); }
static void e_dup(json_t *d) {
  json_t *a = json_object_get(d, "entries");
  json_array_append(a, json_array_get(a, 0));
}
static void e_point(json_t *d) {
  json_t *row = json_array_get(json_object_get(d, "history"), 3);
  json_t *p = json_array_get(json_object_get(row, "points"), 1);
  json_object_set_new(p, "name", json_string("/nowhere"));
}
static void e_thr(json_t *d) {
  json_object_set_new(json_array_get(json_object_get(d, "thresholds"), 0), "passed",
                      json_string("yes"));
}
static void e_err(json_t *d) {
  json_object_set_new(json_array_get(json_object_get(d, "errors"), 0), "occurrences",
                      json_integer(0));
}
static void e_huge(json_t *d) {
  json_t *row = json_array_get(json_object_get(d, "history"), 0);
  json_object_set_new(json_array_get(json_object_get(row, "points"), 0), "rt_sum_ms", json_real(1e300));
}
static void e_arrivals(json_t *d) { json_object_set_new(d, "arrivals", json_null()); }
static void e_closed(json_t *d) { json_object_set_new(d, "open_model", json_false()); }
static void e_icount(json_t *d) {
  json_t *i = json_object_get(json_object_get(d, "aggregated"), "intended");
  json_object_set_new(i, "count", json_integer(1));
}
/* In the first entry that has an intended histogram (the /b ones have none). */
static void e_ibucket(json_t *d) {
  json_t *a = json_object_get(d, "entries"), *e = NULL;
  for (size_t i = 0; !e && i < json_array_size(a); i++)
    if (json_object_get(json_array_get(a, i), "intended")) e = json_array_get(a, i);
  assert_non_null(e);
  json_t *h = json_object_get(json_object_get(e, "intended"), "histogram");
  json_object_set_new(h, "min_us", json_integer(0));
}
static void e_note(json_t *d) {
  json_object_set_new(json_array_get(json_object_get(d, "thresholds"), 0), "note", json_true());
}
static void e_not_object(json_t *d) { json_array_set_new(json_object_get(d, "entries"), 0, json_integer(3)); }

static void rejects_bad_documents(void **state) {
  struct fixture *f = *state;
  expect_rejected(f, e_format, "not a loadc result");
  expect_rejected(f, e_version, "version 2 is not supported");
  expect_rejected(f, e_no_run, "missing 'run'");
  expect_rejected(f, e_end, "unknown end_reason 'exploded'");
  expect_rejected(f, e_count, "entries[0].histogram: the buckets do not match");
  expect_rejected(f, e_min, "entries[0].histogram: the buckets do not match");
  expect_rejected(f, e_bucket, "entries[0].histogram: buckets[0] must be");
  expect_rejected(f, e_reqs, "entries[0]: num_requests (1) differs");
  expect_rejected(f, e_neg, "entries[0]: 'num_failures' must be an integer >= 0");
  expect_rejected(f, e_dup, "inconsistent entry");
  expect_rejected(f, e_point, "history[3].points[1]: names an entry that is not in 'entries'");
  expect_rejected(f, e_thr, "thresholds[0]: 'passed' must be true or false");
  expect_rejected(f, e_err, "errors[0]: inconsistent error");
  expect_rejected(f, e_not_object, "entries[0]: must be an object");
  expect_rejected(f, e_huge, "history[0].points[0]: 'rt_sum_ms' must be a duration >= 0 in ms");
  expect_rejected(f, e_arrivals, "arrivals: must be an object when open_model is true");
  expect_rejected(f, e_closed, "arrivals: must be null when open_model is false");
  expect_rejected(f, e_icount, "aggregated.intended: count differs");
  expect_rejected(f, e_ibucket, "].intended.histogram: the buckets do not match");
  expect_rejected(f, e_note, "thresholds[0]: 'note' must be a string");

  static const char *const texts[] = {"", "[]", "{\"format\": \"loadc-result\"}", "nul", "{\"a\":1,\"a\":2}",
                                      "{\"format\":\"loadc-result\",\"version\":1}"};
  static const char *const msgs[] = {"not valid JSON", "not a JSON object", "'version' must be",
                                     "not valid JSON", "not valid JSON", "missing 'run'"};
  for (size_t i = 0; i < LC_ARRAY_LEN(texts); i++) {
    struct lc_report_doc *d = NULL;
    char err[512] = "";
    assert_int_equal(lc_report_json_parse(texts[i], strlen(texts[i]), &d, err, sizeof err), LC_EINVAL);
    if (!strstr(err, msgs[i])) fail_msg("text %zu: expected '%s' in '%s'", i, msgs[i], err);
    assert_null(d);
  }
}

/* A document written before the intended histograms, the arrivals and the threshold notes
 * existed (the same format version: the change is additive) loads, as a closed model. */
static void loads_documents_without_the_additions(void **state) {
  struct fixture *f = *state;
  char *a = lc_report_json_dumps(&f->r);
  json_t *doc = json_loads(a, 0, NULL);
  assert_non_null(doc);
  json_object_del(doc, "open_model");
  json_object_del(doc, "arrivals");
  json_t *entries = json_object_get(doc, "entries");
  size_t had = 0;
  for (size_t i = 0; i < json_array_size(entries); i++)
    had += json_object_del(json_array_get(entries, i), "intended") == 0;
  assert_true(had >= 2);
  assert_int_equal(json_object_del(json_object_get(doc, "aggregated"), "intended"), 0);
  json_t *th = json_object_get(doc, "thresholds");
  for (size_t i = 0; i < json_array_size(th); i++) {
    assert_int_equal(json_object_del(json_array_get(th, i), "skipped"), 0);
    assert_int_equal(json_object_del(json_array_get(th, i), "note"), 0);
  }
  char *text = json_dumps(doc, 0);
  struct lc_report_doc *d = parse_ok(text);
  assert_false(d->result.open_model);
  assert_null(lc_stats_total(d->result.totals)->intended);
  assert_null(d->result.thresholds[0].note);
  assert_false(d->result.thresholds[0].skipped);
  char *b = lc_report_json_dumps(&d->result);
  assert_null(strstr(b, "\"intended\""));
  assert_non_null(strstr(b, "\"open_model\": false"));
  assert_non_null(strstr(b, "\"arrivals\": null"));
  lc_report_doc_free(d);
  json_decref(doc);
  free(text);
  free(a);
  free(b);
}

/* Every prefix of a valid document is rejected without a crash (ASan runs catch overreads). */
static void truncated_documents_never_crash(void **state) {
  struct fixture *f = *state;
  char *a = lc_report_json_dumps(&f->r);
  size_t n = strlen(a);
  for (size_t len = 0; len < n; len += 1 + len / 16) {
    struct lc_report_doc *d = NULL;
    char err[256];
    assert_int_equal(lc_report_json_parse(a, len, &d, err, sizeof err), LC_EINVAL);
    assert_null(d);
  }
  free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(round_trip_gives_the_same_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(restores_histograms_and_totals_exactly, setup, teardown),
      cmocka_unit_test_setup_teardown(writes_atomically_into_new_directories, setup, teardown),
      cmocka_unit_test_setup_teardown(rejects_bad_documents, setup, teardown),
      cmocka_unit_test_setup_teardown(truncated_documents_never_crash, setup, teardown),
      cmocka_unit_test_setup_teardown(loads_documents_without_the_additions, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
