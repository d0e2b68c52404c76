/* test_engine_stats.c: unit tests for engine/stats (statistics shards): recording, lookup,
 * caps, the errors tables, delta + merge against direct recording, sorted iteration, reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base/base.h"
#include "engine/stats.h"

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static const struct lc_stats_entry *find(const struct lc_stats *s, const char *name,
                                         const char *method) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  return lc_stats_find(s, &k);
}

static void record(struct lc_stats *s, const char *name, const char *method, uint64_t rt,
                   uint64_t len, bool failed, const char *error, int64_t now) {
  struct lc_stats_key k;
  lc_stats_key_init(&k, name, method);
  lc_stats_record(s, &k, rt, len, failed, error, now);
}

static const struct lc_stats_error *find_error(const struct lc_stats *s, const char *method,
                                               const char *name, const char *message) {
  for (size_t i = 0; i < lc_stats_error_count(s); i++) {
    const struct lc_stats_error *e = lc_stats_error_at(s, i);
    if (!strcmp(e->method, method) && !strcmp(e->name, name) && !strcmp(e->message, message))
      return e;
  }
  return NULL;
}

static void assert_hist_equal(const struct lc_hist *a, const struct lc_hist *b) {
  assert_int_equal(a->count, b->count);
  assert_int_equal(a->sum, b->sum);
  assert_int_equal(a->min, b->min);
  assert_int_equal(a->max, b->max);
  assert_int_equal(a->clamped, b->clamped);
  assert_memory_equal(a->counts, b->counts, sizeof a->counts);
}

static void assert_entry_equal(const struct lc_stats_entry *a, const struct lc_stats_entry *b) {
  assert_string_equal(a->name, b->name);
  assert_string_equal(a->method, b->method);
  assert_int_equal(a->hash, b->hash);
  assert_int_equal(a->num_requests, b->num_requests);
  assert_int_equal(a->num_failures, b->num_failures);
  assert_int_equal(a->total_content_length, b->total_content_length);
  assert_int_equal(a->first_request_us, b->first_request_us);
  assert_int_equal(a->last_request_us, b->last_request_us);
  assert_int_equal(a->overflow, b->overflow);
  assert_hist_equal(&a->hist, &b->hist);
}

/* Both shards hold the same entries (those with requests), total and errors. */
static void assert_stats_equal(const struct lc_stats *a, const struct lc_stats *b) {
  size_t na, nb;
  const struct lc_stats_entry **ea = lc_stats_sorted(a, &na), **eb = lc_stats_sorted(b, &nb);
  size_t i = 0, j = 0;
  for (;;) {
    while (i < na && ea[i]->num_requests == 0) i++;
    while (j < nb && eb[j]->num_requests == 0) j++;
    if (i == na || j == nb) break;
    assert_entry_equal(ea[i++], eb[j++]);
  }
  assert_int_equal(i, na);
  assert_int_equal(j, nb);
  free(ea);
  free(eb);
  assert_entry_equal(lc_stats_total(a), lc_stats_total(b));
  assert_int_equal(lc_stats_error_count(a), lc_stats_error_count(b));
  for (size_t k = 0; k < lc_stats_error_count(a); k++) {
    const struct lc_stats_error *x = lc_stats_error_at(a, k);
    const struct lc_stats_error *y = find_error(b, x->method, x->name, x->message);
    assert_non_null(y);
    assert_int_equal(x->occurrences, y->occurrences);
    assert_int_equal(x->first_seen_us, y->first_seen_us);
    assert_int_equal(x->last_seen_us, y->last_seen_us);
  }
  assert_int_equal(lc_stats_user_error_count(a), lc_stats_user_error_count(b));
  for (size_t k = 0; k < lc_stats_user_error_count(a); k++) {
    const struct lc_stats_error *x = lc_stats_user_error_at(a, k);
    bool found = false;
    for (size_t m = 0; m < lc_stats_user_error_count(b); m++) {
      const struct lc_stats_error *y = lc_stats_user_error_at(b, m);
      if (strcmp(x->message, y->message)) continue;
      assert_int_equal(x->occurrences, y->occurrences);
      assert_int_equal(x->first_seen_us, y->first_seen_us);
      assert_int_equal(x->last_seen_us, y->last_seen_us);
      found = true;
    }
    assert_true(found);
  }
  assert_int_equal(lc_stats_flags(a), lc_stats_flags(b));
}

static void records_requests_and_failures(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(0, 0);
  record(s, "/a", "GET", 100, 10, false, NULL, 1000);
  record(s, "/a", "GET", 300, 30, false, "ignored: not failed", 3000);
  record(s, "/a", "GET", 200, 20, false, NULL, 2000);
  /* a failure is a request too, with its time and size (Locust) */
  record(s, "/a", "GET", 5000, 7, true, "HTTPError 500 for /a", 1500);
  record(s, "/b", "POST", 40, 0, true, NULL, 4000);

  const struct lc_stats_entry *a = find(s, "/a", "GET");
  assert_non_null(a);
  assert_string_equal(a->name, "/a");
  assert_string_equal(a->method, "GET");
  assert_int_equal(a->num_requests, 4);
  assert_int_equal(a->num_failures, 1);
  assert_int_equal(a->total_content_length, 67);
  assert_int_equal(a->hist.count, 4);
  assert_int_equal(a->hist.min, 100);
  assert_int_equal(a->hist.max, 5000);
  assert_int_equal(a->hist.sum, 5600);
  assert_int_equal(a->first_request_us, 1000);
  assert_int_equal(a->last_request_us, 3000);
  assert_false(a->overflow);
  assert_null(find(s, "/a", "POST"));
  assert_null(find(s, "/b", "GET"));

  const struct lc_stats_entry *t = lc_stats_total(s);
  assert_string_equal(t->name, "Aggregated");
  assert_string_equal(t->method, "");
  assert_int_equal(t->num_requests, 5);
  assert_int_equal(t->num_failures, 2);
  assert_int_equal(t->total_content_length, 67);
  assert_int_equal(t->hist.min, 40);
  assert_int_equal(t->hist.max, 5000);
  assert_int_equal(t->hist.sum, 5640);
  assert_int_equal(t->first_request_us, 1000);
  assert_int_equal(t->last_request_us, 4000);

  assert_int_equal(lc_stats_error_count(s), 2);
  const struct lc_stats_error *e = lc_stats_error_at(s, 0);
  assert_string_equal(e->method, "GET");
  assert_string_equal(e->name, "/a");
  assert_string_equal(e->message, "HTTPError 500 for /a");
  assert_int_equal(e->occurrences, 1);
  e = lc_stats_error_at(s, 1);
  assert_string_equal(e->message, LC_STATS_UNKNOWN_ERROR);
  assert_null(lc_stats_error_at(s, 2));
  assert_int_equal(lc_stats_entry_count(s), 2);
  assert_int_equal(lc_stats_flags(s), 0);
  lc_stats_free(s);
  lc_stats_free(NULL);
}

static void keys_copy_names_and_hash_both_parts(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(0, 0);
  char name[16] = "/users/1";
  record(s, name, "GET", 1, 0, false, NULL, 1);
  snprintf(name, sizeof name, "%s", "/changed");
  assert_non_null(find(s, "/users/1", "GET"));
  assert_null(find(s, "/changed", "GET"));
  /* the separator keeps ("ab", "c") and ("a", "bc") apart */
  struct lc_stats_key k1, k2;
  lc_stats_key_init(&k1, "ab", "c");
  lc_stats_key_init(&k2, "a", "bc");
  assert_int_not_equal(k1.hash, k2.hash);
  lc_stats_record(s, &k1, 1, 0, false, NULL, 1);
  lc_stats_record(s, &k2, 2, 0, false, NULL, 1);
  assert_int_equal(find(s, "ab", "c")->hist.max, 1);
  assert_int_equal(find(s, "a", "bc")->hist.max, 2);
  lc_stats_free(s);
}

static void looks_up_many_names(void **state) {
  (void)state;
  static const char *const methods[] = {"GET", "POST"};
  struct lc_stats *s = lc_stats_new(20000, 0);
  char name[32];
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < 5000; i++)
      for (int m = 0; m < 2; m++) {
        snprintf(name, sizeof name, "/item/%d", i);
        record(s, name, methods[m], (uint64_t)(i + round), 1, false, NULL, round);
      }
  assert_int_equal(lc_stats_entry_count(s), 10000);
  for (int i = 0; i < 5000; i++)
    for (int m = 0; m < 2; m++) {
      snprintf(name, sizeof name, "/item/%d", i);
      const struct lc_stats_entry *e = find(s, name, methods[m]);
      assert_non_null(e);
      assert_string_equal(e->name, name);
      assert_int_equal(e->num_requests, 3);
      assert_int_equal(e->hist.min, (uint64_t)i);
      assert_int_equal(e->hist.max, (uint64_t)i + 2);
    }
  assert_null(find(s, "/item/5000", "GET"));
  assert_null(find(s, "/item/1", "PUT"));
  assert_int_equal(lc_stats_total(s)->num_requests, 30000);
  assert_int_equal(lc_stats_flags(s), 0);
  lc_stats_free(s);
}

static void caps_entries_and_errors(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(10, 5);
  char name[32], msg[32];
  for (int i = 0; i < 25; i++) {
    snprintf(name, sizeof name, "/u/%d", i);
    record(s, name, "GET", 100, 1, false, NULL, i);
  }
  assert_int_equal(lc_stats_entry_count(s), 11);
  assert_int_equal(lc_stats_flags(s), LC_STATS_ENTRIES_CAPPED);
  const struct lc_stats_entry *of = lc_stats_entry_at(s, 10);
  assert_true(of->overflow);
  assert_string_equal(of->name, LC_STATS_OVERFLOW_NAME);
  assert_int_equal(of->num_requests, 15);
  assert_int_equal(lc_stats_total(s)->num_requests, 25);
  size_t n;
  const struct lc_stats_entry **sorted = lc_stats_sorted(s, &n);
  assert_int_equal(n, 11);
  assert_ptr_equal(sorted[10], of); /* last, though '(' sorts before '/' */
  free(sorted);
  assert_null(find(s, "/u/12", "GET"));
  /* names that have an entry still go to it */
  record(s, "/u/3", "GET", 100, 1, false, NULL, 99);
  assert_int_equal(find(s, "/u/3", "GET")->num_requests, 2);
  assert_int_equal(of->num_requests, 15);

  for (int i = 0; i < 8; i++) {
    snprintf(msg, sizeof msg, "error %d", i);
    record(s, "/u/0", "GET", 1, 0, true, msg, 1000 + i);
  }
  assert_int_equal(lc_stats_error_count(s), 6);
  const struct lc_stats_error *oe = lc_stats_error_at(s, 5);
  assert_true(oe->overflow);
  assert_string_equal(oe->message, LC_STATS_OVERFLOW_ERROR);
  assert_int_equal(oe->occurrences, 3);
  assert_int_equal(oe->first_seen_us, 1005);
  assert_int_equal(oe->last_seen_us, 1007);
  assert_int_equal(lc_stats_flags(s), LC_STATS_ENTRIES_CAPPED | LC_STATS_ERRORS_CAPPED);
  /* known errors still count under their own key */
  record(s, "/u/0", "GET", 1, 0, true, "error 2", 2000);
  assert_int_equal(find_error(s, "GET", "/u/0", "error 2")->occurrences, 2);

  for (int i = 0; i < 7; i++) {
    snprintf(msg, sizeof msg, "exception %d", i);
    lc_stats_record_user_error(s, msg, i);
  }
  assert_int_equal(lc_stats_user_error_count(s), 6);
  assert_true(lc_stats_user_error_at(s, 5)->overflow);
  assert_int_equal(lc_stats_user_error_at(s, 5)->occurrences, 2);
  lc_stats_free(s);
}

static void errors_table_keys_and_times(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(0, 0);
  record(s, "/a", "GET", 1, 0, true, "timeout after 5s", 50);
  record(s, "/a", "GET", 1, 0, true, "timeout after 5s", 10);
  record(s, "/a", "GET", 1, 0, true, "timeout after 5s", 90);
  record(s, "/a", "POST", 1, 0, true, "timeout after 5s", 20);
  record(s, "/b", "GET", 1, 0, true, "timeout after 5s", 30);
  record(s, "/a", "GET", 1, 0, true, "connection refused", 40);
  assert_int_equal(lc_stats_error_count(s), 4);
  const struct lc_stats_error *e = find_error(s, "GET", "/a", "timeout after 5s");
  assert_ptr_equal(e, lc_stats_error_at(s, 0)); /* first-seen order */
  assert_int_equal(e->occurrences, 3);
  assert_int_equal(e->first_seen_us, 10);
  assert_int_equal(e->last_seen_us, 90);
  assert_int_equal(find_error(s, "POST", "/a", "timeout after 5s")->occurrences, 1);
  assert_int_equal(find_error(s, "GET", "/b", "timeout after 5s")->occurrences, 1);
  assert_int_equal(find_error(s, "GET", "/a", "connection refused")->first_seen_us, 40);
  /* failures and occurrences agree */
  uint64_t occ = 0;
  for (size_t i = 0; i < lc_stats_error_count(s); i++) occ += lc_stats_error_at(s, i)->occurrences;
  assert_int_equal(occ, lc_stats_total(s)->num_failures);

  /* long messages are cut at a character boundary, then keyed */
  size_t n = LC_STATS_MAX_MESSAGE + 100;
  char *longmsg = lc_xmalloc(n + 1);
  memset(longmsg, 'x', n);
  longmsg[n] = '\0';
  memcpy(longmsg + LC_STATS_MAX_MESSAGE - 1, "\xc3\xa9", 2); /* an e-acute across the cut */
  record(s, "/a", "GET", 1, 0, true, longmsg, 100);
  longmsg[n - 1] = 'y'; /* differs only after the cut: the same error */
  record(s, "/a", "GET", 1, 0, true, longmsg, 110);
  const struct lc_stats_error *le = lc_stats_error_at(s, 4);
  assert_int_equal(strlen(le->message), LC_STATS_MAX_MESSAGE - 1);
  assert_memory_equal(le->message, longmsg, LC_STATS_MAX_MESSAGE - 1);
  assert_int_equal(le->occurrences, 2);
  assert_int_equal(lc_stats_error_count(s), 5);
  free(longmsg);

  lc_stats_record_user_error(s, "template error: 'x' is undefined", 7);
  lc_stats_record_user_error(s, "template error: 'x' is undefined", 3);
  lc_stats_record_user_error(s, "capture failed", 5);
  assert_int_equal(lc_stats_user_error_count(s), 2);
  const struct lc_stats_error *u = lc_stats_user_error_at(s, 0);
  assert_string_equal(u->message, "template error: 'x' is undefined");
  assert_string_equal(u->method, "");
  assert_int_equal(u->occurrences, 2);
  assert_int_equal(u->first_seen_us, 3);
  assert_int_equal(u->last_seen_us, 7);
  /* user errors are not request errors */
  assert_int_equal(lc_stats_error_count(s), 5);
  lc_stats_free(s);
}

/* One random request stream recorded directly into `direct`, and spread over two workers whose
 * deltas are taken every 1000 requests, each into one of two alternating shards, and merged
 * into totals, in an order that alternates too (so a later delta may come first). */
static void delta_merge_equals_direct(void **state) {
  (void)state;
  static const char *const methods[] = {"GET", "POST", "DELETE"};
  static const char *const errors[] = {"HTTPError 500 for /x", "connection refused",
                                       "timeout after 5s", NULL, "reset mid-response"};
  struct lc_stats *direct = lc_stats_new(0, 0), *totals = lc_stats_new(0, 0);
  struct lc_stats *worker[2], *delta[2][2];
  for (int w = 0; w < 2; w++) {
    worker[w] = lc_stats_new(0, 0);
    delta[w][0] = lc_stats_new(0, 0);
    delta[w][1] = lc_stats_new(0, 0);
  }
  uint64_t seed = 11;
  char name[32];
  int64_t now = 1700000000000000;
  for (int i = 0; i < 30000; i++) {
    snprintf(name, sizeof name, "/n/%u", (unsigned)(rng_next(&seed) % 50));
    const char *method = methods[rng_next(&seed) % 3];
    uint64_t slow = rng_next(&seed) % 8 == 0;
    uint64_t rt = rng_next(&seed) % (slow ? 3000000 : 30000);
    uint64_t len = rng_next(&seed) % 5000;
    bool failed = rng_next(&seed) % 10 == 0;
    const char *err = errors[rng_next(&seed) % 5];
    struct lc_stats *w = worker[rng_next(&seed) % 2];
    now += (int64_t)(rng_next(&seed) % 200) - 50; /* not monotonic */
    struct lc_stats_key k;
    lc_stats_key_init(&k, name, method);
    lc_stats_record(direct, &k, rt, len, failed, err, now);
    lc_stats_record(w, &k, rt, len, failed, err, now);
    if (i % 97 == 0) {
      lc_stats_record_user_error(direct, err ? err : "other", now);
      lc_stats_record_user_error(w, err ? err : "other", now);
    }
    if (i % 1000 == 999 || i == 29999) {
      int cycle = i / 1000;
      for (int n = 0; n < 2; n++) {
        int wi = (n + cycle) % 2;
        struct lc_stats *d = delta[wi][cycle % 2];
        lc_stats_take(worker[wi], d);
        assert_int_equal(lc_stats_total(worker[wi])->num_requests, 0);
        assert_int_equal(lc_stats_error_count(worker[wi]), 0);
        lc_stats_merge(totals, d);
      }
    }
  }
  assert_stats_equal(direct, totals);

  /* in steady state the shards' entries are reused, not reallocated: the worker and its two
   * delta shards only swap tables, so the worker sees at most three copies of an entry */
  const struct lc_stats_entry *seen[3] = {NULL, NULL, NULL};
  size_t counts = 0;
  for (int round = 0; round < 12; round++) {
    record(worker[0], "/n/7", "GET", 5, 0, false, NULL, now);
    const struct lc_stats_entry *e = find(worker[0], "/n/7", "GET");
    size_t k = 0;
    while (k < 3 && seen[k] && seen[k] != e) k++;
    assert_true(k < 3);
    seen[k] = e;
    lc_stats_take(worker[0], delta[0][round % 2]);
    lc_stats_merge(totals, delta[0][round % 2]);
    size_t c = lc_stats_entry_count(worker[0]) + lc_stats_entry_count(delta[0][0]) +
               lc_stats_entry_count(delta[0][1]);
    if (round >= 3) assert_int_equal(c, counts);
    counts = c;
  }
  assert_int_equal(find(totals, "/n/7", "GET")->num_requests,
                   find(direct, "/n/7", "GET")->num_requests + 12);

  lc_stats_free(direct);
  lc_stats_free(totals);
  for (int w = 0; w < 2; w++) {
    lc_stats_free(worker[w]);
    lc_stats_free(delta[w][0]);
    lc_stats_free(delta[w][1]);
  }
}

static void take_moves_contents(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(0, 0), *out = lc_stats_new(0, 0);
  record(out, "/stale", "GET", 1, 0, true, "old", 1);
  record(s, "/a", "GET", 10, 1, true, "boom", 5);
  lc_stats_take(s, out);
  assert_int_equal(find(out, "/a", "GET")->num_requests, 1);
  /* out was reset, then the two swapped tables: s has out's old entries, zeroed */
  assert_null(find(out, "/stale", "GET"));
  assert_int_equal(find(s, "/stale", "GET")->num_requests, 0);
  assert_int_equal(lc_stats_total(out)->num_requests, 1);
  assert_int_equal(lc_stats_error_count(out), 1);
  assert_string_equal(lc_stats_error_at(out, 0)->message, "boom");
  assert_int_equal(lc_stats_total(s)->num_requests, 0);
  assert_int_equal(lc_stats_error_count(s), 0);
  assert_null(find(s, "/a", "GET"));
  lc_stats_free(s);
  lc_stats_free(out);
}

static void merge_into_capped_totals(void **state) {
  (void)state;
  struct lc_stats *totals = lc_stats_new(3, 2), *d = lc_stats_new(0, 0);
  char name[16];
  for (int i = 0; i < 5; i++) {
    snprintf(name, sizeof name, "/%d", i);
    record(d, name, "GET", (uint64_t)(i + 1) * 10, 0, true, name, i);
  }
  lc_stats_merge(totals, d);
  assert_int_equal(lc_stats_entry_count(totals), 4);
  const struct lc_stats_entry *of = lc_stats_entry_at(totals, 3);
  assert_true(of->overflow);
  assert_int_equal(of->num_requests, 2);
  assert_int_equal(of->hist.min, 40);
  assert_int_equal(of->hist.max, 50);
  assert_int_equal(lc_stats_total(totals)->num_requests, 5);
  assert_int_equal(lc_stats_error_count(totals), 3);
  assert_int_equal(lc_stats_error_at(totals, 2)->occurrences, 3);
  assert_int_equal(lc_stats_flags(totals), LC_STATS_ENTRIES_CAPPED | LC_STATS_ERRORS_CAPPED);
  /* a capped delta's overflow entry and flags reach the totals */
  struct lc_stats *w = lc_stats_new(1, 0), *t2 = lc_stats_new(0, 0);
  record(w, "/x", "GET", 1, 0, false, NULL, 1);
  record(w, "/y", "GET", 2, 0, false, NULL, 2);
  lc_stats_merge(t2, w);
  assert_int_equal(lc_stats_flags(t2), LC_STATS_ENTRIES_CAPPED);
  assert_true(lc_stats_entry_at(t2, 1)->overflow);
  assert_int_equal(lc_stats_entry_at(t2, 1)->num_requests, 1);
  lc_stats_free(totals);
  lc_stats_free(d);
  lc_stats_free(w);
  lc_stats_free(t2);
}

static void iterates_sorted_by_name_then_method(void **state) {
  (void)state;
  static const char *const keys[][2] = {
      {"/b", "POST"}, {"/a", "GET"},  {"/b", "GET"},      {"/\xc3\xa9t\xc3\xa9", "GET"},
      {"/z", "GET"},  {"/A", "GET"},  {"/a", "DELETE"},   {"/a/b", "GET"},
      {"", "GET"},    {"/b", "HEAD"},
  };
  static const char *const want[][2] = {
      {"", "GET"},  {"/A", "GET"},   {"/a", "DELETE"}, {"/a", "GET"}, {"/a/b", "GET"},
      {"/b", "GET"}, {"/b", "HEAD"}, {"/b", "POST"},   {"/z", "GET"}, {"/\xc3\xa9t\xc3\xa9", "GET"},
  };
  struct lc_stats *s = lc_stats_new(0, 0);
  for (size_t i = 0; i < LC_ARRAY_LEN(keys); i++) record(s, keys[i][0], keys[i][1], 1, 0, false, NULL, 1);
  size_t n;
  const struct lc_stats_entry **v = lc_stats_sorted(s, &n);
  assert_int_equal(n, LC_ARRAY_LEN(want));
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(v[i]->name, want[i][0]);
    assert_string_equal(v[i]->method, want[i][1]);
  }
  free(v);
  /* creation order is kept for entry_at */
  assert_string_equal(lc_stats_entry_at(s, 0)->name, "/b");
  assert_null(lc_stats_entry_at(s, LC_ARRAY_LEN(keys)));
  struct lc_stats *empty = lc_stats_new(0, 0);
  assert_null(lc_stats_sorted(empty, &n));
  assert_int_equal(n, 0);
  lc_stats_free(empty);
  lc_stats_free(s);
}

static void reset_keeps_entries_and_clears_the_rest(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(2, 1);
  record(s, "/a", "GET", 10, 5, true, "e1", 1);
  record(s, "/b", "GET", 20, 5, true, "e2", 2);
  record(s, "/c", "GET", 30, 5, false, NULL, 3);
  lc_stats_record_user_error(s, "oops", 4);
  const struct lc_stats_entry *a = find(s, "/a", "GET");
  assert_int_equal(lc_stats_flags(s), LC_STATS_ENTRIES_CAPPED | LC_STATS_ERRORS_CAPPED);
  lc_stats_reset(s);
  assert_ptr_equal(find(s, "/a", "GET"), a);
  assert_int_equal(lc_stats_entry_count(s), 3);
  for (size_t i = 0; i < lc_stats_entry_count(s); i++) {
    const struct lc_stats_entry *e = lc_stats_entry_at(s, i);
    assert_int_equal(e->num_requests, 0);
    assert_int_equal(e->num_failures, 0);
    assert_int_equal(e->total_content_length, 0);
    assert_int_equal(e->first_request_us, 0);
    assert_int_equal(e->hist.count, 0);
  }
  assert_int_equal(lc_stats_total(s)->num_requests, 0);
  assert_int_equal(lc_stats_total(s)->hist.count, 0);
  assert_int_equal(lc_stats_error_count(s), 0);
  assert_int_equal(lc_stats_user_error_count(s), 0);
  assert_int_equal(lc_stats_flags(s), 0);
  record(s, "/a", "GET", 7, 1, true, "e3", 9);
  assert_int_equal(a->num_requests, 1);
  assert_int_equal(a->hist.min, 7);
  assert_int_equal(a->first_request_us, 9);
  assert_int_equal(lc_stats_error_count(s), 1);
  assert_string_equal(lc_stats_error_at(s, 0)->message, "e3");
  lc_stats_free(s);
}

/* Intended-start times: recorded per entry and in Aggregated, carried by take and merge,
 * cleared by reset; entries without any keep no histogram. */
static void intended_histograms(void **state) {
  (void)state;
  struct lc_stats *w = lc_stats_new(0, 0), *d = lc_stats_new(0, 0), *t = lc_stats_new(0, 0);
  struct lc_stats_key k;
  lc_stats_key_init(&k, "/a", "GET");
  lc_stats_record(w, &k, 100, 1, false, NULL, 1);
  lc_stats_record_intended(w, &k, 350, 100); /* 350, then missed 250, 150 */
  record(w, "/b", "GET", 5, 1, false, NULL, 1);
  lc_stats_take(w, d);
  lc_stats_merge(t, d);
  const struct lc_stats_entry *a = find(t, "/a", "GET"), *b = find(t, "/b", "GET");
  assert_non_null(a->intended);
  assert_int_equal(a->intended->count, 3);
  assert_int_equal(a->intended->min, 150);
  assert_int_equal(a->intended->max, 350);
  assert_int_equal(a->hist.count, 1);
  assert_null(b->intended);
  assert_int_equal(lc_stats_total(t)->intended->count, 3);
  lc_stats_reset(t);
  assert_int_equal(find(t, "/a", "GET")->intended->count, 0);
  lc_stats_free(w);
  lc_stats_free(d);
  lc_stats_free(t);
}

/* ---- restoring (report/json.c loads results with these) ---- */

/* Rebuilds a shard from another one's entries, errors and flags as a loader would. */
static struct lc_stats *restore_copy(const struct lc_stats *src) {
  struct lc_stats *d = lc_stats_new(0, 0);
  for (size_t i = 0; i < lc_stats_entry_count(src); i++) {
    const struct lc_stats_entry *e = lc_stats_entry_at(src, i);
    assert_int_equal(lc_stats_restore_entry(d, e->name, e->method, e->overflow, e->num_failures,
                                            e->total_content_length, e->first_request_us,
                                            e->last_request_us, &e->hist),
                     0);
  }
  const struct lc_stats_entry *t = lc_stats_total(src);
  assert_int_equal(lc_stats_restore_total(d, t->num_failures, t->total_content_length,
                                          t->first_request_us, t->last_request_us, &t->hist),
                   0);
  for (size_t i = 0; i < lc_stats_entry_count(src); i++) {
    const struct lc_stats_entry *e = lc_stats_entry_at(src, i);
    if (e->intended)
      assert_int_equal(lc_stats_restore_intended(d, false, e->name, e->method, e->overflow,
                                                 e->intended),
                       0);
  }
  if (t->intended)
    assert_int_equal(lc_stats_restore_intended(d, true, NULL, NULL, false, t->intended), 0);
  for (size_t i = 0; i < lc_stats_error_count(src); i++) {
    const struct lc_stats_error *e = lc_stats_error_at(src, i);
    assert_int_equal(lc_stats_restore_error(d, e->method, e->name, e->message, e->overflow,
                                            e->occurrences, e->first_seen_us, e->last_seen_us),
                     0);
  }
  for (size_t i = 0; i < lc_stats_user_error_count(src); i++) {
    const struct lc_stats_error *e = lc_stats_user_error_at(src, i);
    assert_int_equal(lc_stats_restore_user_error(d, e->message, e->overflow, e->occurrences,
                                                 e->first_seen_us, e->last_seen_us),
                     0);
  }
  lc_stats_restore_flags(d, lc_stats_flags(src));
  return d;
}

static void assert_entries_equal(const struct lc_stats_entry *a, const struct lc_stats_entry *b) {
  assert_string_equal(a->name, b->name);
  assert_string_equal(a->method, b->method);
  assert_int_equal(a->overflow, b->overflow);
  assert_int_equal(a->num_requests, b->num_requests);
  assert_int_equal(a->num_failures, b->num_failures);
  assert_int_equal(a->total_content_length, b->total_content_length);
  assert_int_equal(a->first_request_us, b->first_request_us);
  assert_int_equal(a->last_request_us, b->last_request_us);
  assert_memory_equal(&a->hist, &b->hist, sizeof a->hist);
  assert_int_equal(a->intended != NULL, b->intended != NULL);
  if (a->intended) assert_memory_equal(a->intended, b->intended, sizeof *a->intended);
}

static void restore_rebuilds_an_equal_shard(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(3, 2);
  uint64_t seed = 7;
  const char *names[] = {"/a", "/b", "/c", "/d", "/e"};
  for (int i = 0; i < 2000; i++) {
    uint64_t r = rng_next(&seed);
    bool failed = r % 7 == 0;
    record(s, names[r % 5], r % 2 ? "GET" : "POST", r % 100000, r % 900, failed,
           failed ? (r % 3 ? "boom" : r % 5 ? "bang" : "crash") : NULL, 1000 + i);
    if (r % 4 == 0) { /* some from the intended start, /b never: it keeps none */
      struct lc_stats_key k;
      lc_stats_key_init(&k, names[r % 5], r % 2 ? "GET" : "POST");
      if (r % 5 != 1) lc_stats_record_intended(s, &k, r % 100000 + 500, r % 8 ? 0 : 20000);
    }
    if (r % 50 == 0) lc_stats_record_user_error(s, r % 3 ? "oops" : "argh", 1000 + i);
  }
  lc_stats_record_user_error(s, "third", 5000);
  assert_true(lc_stats_flags(s) & LC_STATS_ENTRIES_CAPPED);
  assert_true(lc_stats_flags(s) & LC_STATS_ERRORS_CAPPED);
  struct lc_stats *d = restore_copy(s);
  assert_int_equal(lc_stats_entry_count(d), lc_stats_entry_count(s));
  for (size_t i = 0; i < lc_stats_entry_count(s); i++)
    assert_entries_equal(lc_stats_entry_at(d, i), lc_stats_entry_at(s, i));
  assert_entries_equal(lc_stats_total(d), lc_stats_total(s));
  assert_int_equal(lc_stats_error_count(d), lc_stats_error_count(s));
  for (size_t i = 0; i < lc_stats_error_count(s); i++) {
    const struct lc_stats_error *a = lc_stats_error_at(d, i), *b = lc_stats_error_at(s, i);
    assert_string_equal(a->message, b->message);
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->overflow, b->overflow);
    assert_int_equal(a->occurrences, b->occurrences);
    assert_int_equal(a->first_seen_us, b->first_seen_us);
    assert_int_equal(a->last_seen_us, b->last_seen_us);
  }
  assert_int_equal(lc_stats_user_error_count(d), lc_stats_user_error_count(s));
  assert_int_equal(lc_stats_flags(d), lc_stats_flags(s));
  /* a restored shard keeps working: recording an existing key finds its entry */
  const struct lc_stats_entry *e0 = lc_stats_entry_at(s, 0);
  const struct lc_stats_error *r0 = lc_stats_error_at(s, 0);
  assert_false(e0->overflow || r0->overflow);
  record(d, e0->name, e0->method, 5, 1, false, NULL, 9000);
  assert_int_equal(find(d, e0->name, e0->method)->num_requests, e0->num_requests + 1);
  record(d, r0->name, r0->method, 5, 1, true, r0->message, 9000);
  assert_int_equal(find_error(d, r0->method, r0->name, r0->message)->occurrences,
                   r0->occurrences + 1);
  lc_stats_free(d);
  lc_stats_free(s);
}

static void restore_rejects_inconsistent_input(void **state) {
  (void)state;
  struct lc_stats *s = lc_stats_new(0, 0);
  struct lc_hist h;
  lc_hist_init(&h);
  lc_hist_record(&h, 100);
  lc_hist_record(&h, 200);
  assert_int_equal(lc_stats_restore_entry(s, "/x", "GET", false, 3, 0, 1, 2, &h), LC_EINVAL);
  assert_int_equal(lc_stats_restore_entry(s, "/x", "GET", false, 1, 0, 5, 2, &h), LC_EINVAL);
  assert_null(find(s, "/x", "GET"));
  assert_int_equal(lc_stats_restore_entry(s, "/x", "GET", false, 1, 10, 1, 2, &h), 0);
  assert_int_equal(lc_stats_restore_entry(s, "/x", "GET", false, 0, 0, 1, 2, &h), LC_EINVAL);
  assert_int_equal(find(s, "/x", "GET")->num_requests, 2);
  assert_int_equal(lc_stats_total(s)->num_requests, 0); /* the Aggregated entry is separate */
  struct lc_hist empty;
  lc_hist_init(&empty);
  assert_int_equal(lc_stats_restore_total(s, 0, 0, 3, 4, &empty), LC_EINVAL);
  assert_int_equal(lc_stats_restore_entry(s, "/idle", "GET", false, 0, 0, 0, 0, &empty), 0);
  assert_int_equal(lc_stats_restore_error(s, "GET", "/x", "e", false, 0, 1, 1), LC_EINVAL);
  assert_int_equal(lc_stats_restore_error(s, "GET", "/x", "e", false, 2, 1, 1), 0);
  assert_int_equal(lc_stats_restore_error(s, "GET", "/x", "e", false, 2, 1, 1), LC_EINVAL);
  assert_int_equal(find_error(s, "GET", "/x", "e")->occurrences, 2);
  assert_int_equal(lc_stats_restore_user_error(s, "u", false, 1, 9, 8), LC_EINVAL);
  assert_int_equal(lc_stats_restore_user_error(s, "u", false, 1, 8, 9), 0);
  assert_int_equal(lc_stats_user_error_count(s), 1);
  /* intended histograms: only for entries that exist */
  assert_int_equal(lc_stats_restore_intended(s, false, "/nope", "GET", false, &h), LC_EINVAL);
  assert_int_equal(lc_stats_restore_intended(s, false, NULL, NULL, true, &h), LC_EINVAL);
  assert_null(find(s, "/x", "GET")->intended);
  assert_int_equal(lc_stats_restore_intended(s, false, "/x", "GET", false, &h), 0);
  assert_int_equal(find(s, "/x", "GET")->intended->count, 2);
  assert_int_equal(lc_stats_restore_intended(s, false, "/x", "GET", false, &empty), 0);
  assert_int_equal(find(s, "/x", "GET")->intended->count, 0); /* replaced, not added */
  assert_null(lc_stats_total(s)->intended);
  assert_int_equal(lc_stats_restore_intended(s, true, NULL, NULL, false, &h), 0);
  assert_int_equal(lc_stats_total(s)->intended->max, 200);
  lc_stats_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(records_requests_and_failures),
      cmocka_unit_test(keys_copy_names_and_hash_both_parts),
      cmocka_unit_test(looks_up_many_names),
      cmocka_unit_test(caps_entries_and_errors),
      cmocka_unit_test(errors_table_keys_and_times),
      cmocka_unit_test(delta_merge_equals_direct),
      cmocka_unit_test(take_moves_contents),
      cmocka_unit_test(merge_into_capped_totals),
      cmocka_unit_test(iterates_sorted_by_name_then_method),
      cmocka_unit_test(reset_keeps_entries_and_clears_the_rest),
      cmocka_unit_test(intended_histograms),
      cmocka_unit_test(restore_rebuilds_an_equal_shard),
      cmocka_unit_test(restore_rejects_inconsistent_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
