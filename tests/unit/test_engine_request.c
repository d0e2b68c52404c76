/* test_engine_request.c: unit tests for judging a response (engine/request.c,
 * lc_request_finish): the default rule, each kind of check with a passing and a failing
 * response and its exact message, a body over max_body, and each kind of capture with pick
 * first / random / all, defaults and the message of a capture that finds nothing. Requests
 * are compiled from YAML with the real compiler; responses are built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/compile.h"
#include "engine/request.h"

struct fx {
  struct lc_diags *d;
  struct lc_doc *doc;
  struct lc_plan *plan;
  const struct lc_request *req;
  struct lc_vars vars;
  struct lc_rng rng;
  struct lc_eval_ctx ctx;
  struct lc_http_response resp;
  struct lc_http_header headers[8];
  struct lc_request_result res;
};

#define HEAD "users:\n  U:\n    tasks:\n      - get: /x\n"

/* Compiles the one-request scenario yaml (no diagnostic allowed) into f. */
static void load(struct fx *f, const char *yaml) {
  memset(f, 0, sizeof *f);
  f->d = lc_diags_new(0);
  f->doc = lc_doc_load_string("t.yaml", yaml, strlen(yaml), NULL, f->d);
  f->plan = f->doc ? lc_compile(f->doc, NULL, f->d) : NULL;
  if (!f->plan || lc_diags_count(f->d)) {
    const struct lc_diag *g = lc_diags_count(f->d) ? lc_diags_get(f->d, 0) : NULL;
    fail_msg("%s: %u:%u: %s", yaml, g ? (unsigned)g->line : 0, g ? (unsigned)g->column : 0,
             g ? g->message : "no plan");
  }
  const struct lc_task *t = &f->plan->classes[0].root.tasks[0];
  assert_int_equal(t->steps.items[0].kind, LC_STEP_REQUEST);
  f->req = t->steps.items[0].u.request;
  lc_vars_init(&f->vars);
  lc_rng_seed(&f->rng, 7, 1);
  lc_eval_ctx_init(&f->ctx, f->plan, &f->vars, &f->rng, 1, 0);
  f->resp.status = 200;
  f->resp.start_us = 1000;
  f->resp.end_us = 1000 + 20000; /* 20 ms */
  f->resp.final_url = "http://127.0.0.1/x";
}

static void set_body(struct fx *f, const char *body) {
  f->resp.body = body;
  f->resp.body_len = body ? strlen(body) : 0;
  f->resp.body_bytes = f->resp.body_len;
}

static void add_header(struct fx *f, const char *name, const char *value) {
  f->headers[f->resp.nheaders] = (struct lc_http_header){name, value};
  f->resp.headers = f->headers;
  f->resp.nheaders++;
}

/* Judges the response; returns the failure message or NULL (valid until the next call). */
static const char *judge(struct fx *f) {
  lc_request_result_release(&f->res);
  lc_request_finish(f->req, NULL, &f->resp, &f->ctx, &f->vars, &f->res);
  return f->res.failure;
}

static void unload(struct fx *f) {
  lc_request_result_release(&f->res);
  lc_vars_release(&f->vars);
  lc_plan_free(f->plan);
  lc_doc_free(f->doc);
  lc_diags_free(f->d);
}

#define assert_ok(f) assert_null(judge(f))
#define assert_fails(f, want)                                                                      \
  do {                                                                                             \
    const char *got_ = judge(f);                                                                   \
    assert_non_null(got_);                                                                         \
    assert_string_equal(got_, want);                                                               \
  } while (0)

/* A string variable's text. */
static const char *var_text(struct fx *f, const char *name, char *buf, size_t n) {
  const struct lc_val *v = lc_vars_get(&f->vars, name);
  if (!v) return NULL;
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_val_to_text(v, &b);
  snprintf(buf, n, "%.*s", (int)b.len, b.data ? b.data : "");
  lc_buf_release(&b);
  return buf;
}

/* ---- the default rule and status ---- */

static void test_default_rule(void **state) {
  (void)state;
  struct fx f;
  load(&f, HEAD);
  f.resp.status = 399;
  assert_ok(&f);
  f.resp.status = 404;
  assert_fails(&f, "HTTPError 404 for /x");
  f.resp.status = 599;
  assert_fails(&f, "HTTPError 599 for /x");
  f.resp.status = 0;
  f.resp.error = LC_HTTP_ECONNREFUSED;
  f.resp.error_message = "connection refused";
  assert_fails(&f, "connection refused");
  unload(&f);
}

static void test_check_status(void **state) {
  (void)state;
  struct fx f;
  load(&f, HEAD "        check: {status: 404}\n");
  f.resp.status = 404;
  assert_ok(&f); /* replaces the default rule */
  f.resp.status = 200;
  assert_fails(&f, "check status: got 200, want 404");
  unload(&f);

  load(&f, HEAD "        check: {status: [200, 201, 3xx]}\n");
  f.resp.status = 201;
  assert_ok(&f);
  f.resp.status = 302;
  assert_ok(&f);
  f.resp.status = 500;
  assert_fails(&f, "check status: got 500, want 200 or 201 or 3xx");
  unload(&f);

  load(&f, HEAD "        check: {status: 2xx}\n");
  f.resp.status = 204;
  assert_ok(&f);
  f.resp.status = 404;
  assert_fails(&f, "check status: got 404, want 2xx");
  unload(&f);
}

/* ---- body checks ---- */

static void test_check_body(void **state) {
  (void)state;
  struct fx f;
  load(&f, HEAD "        check:\n"
                "          body_contains: [items, count]\n"
                "          body_not_contains: [error, exception]\n"
                "          body_matches: '\"count\":\\s*[1-9]'\n");
  set_body(&f, "{\"items\": [], \"count\": 3}");
  assert_ok(&f);
  set_body(&f, "{\"items\": [], \"total\": 3}");
  assert_fails(&f, "check body_contains: 'count' not found");
  set_body(&f, "{\"items\": [], \"count\": 3, \"exception\": 1}");
  assert_fails(&f, "check body_not_contains: 'exception' found");
  set_body(&f, "{\"items\": [], \"count\": 0}");
  assert_fails(&f, "check body_matches: no match for '\"count\":\\s*[1-9]'");
  set_body(&f, NULL);
  assert_fails(&f, "check body_contains: 'items' not found");
  unload(&f);
}

/* ---- json checks: every operator, held and not ---- */

static void test_check_json_operators(void **state) {
  (void)state;
  static const struct {
    const char *cond;
    const char *pass, *fail; /* bodies */
    const char *msg;
  } cases[] = {
      {"\"$.a\": 3", "{\"a\": 3}", "{\"a\": 4}", "check json $.a: got 4, want eq 3"},
      {"\"$.a\": {eq: ok}", "{\"a\": \"ok\"}", "{\"a\": \"ko\"}", "check json $.a: got ko, want eq ok"},
      {"\"$.a\": {ne: 0}", "{\"a\": 1}", "{\"a\": 0}", "check json $.a: got 0, want ne 0"},
      {"\"$.a\": {gt: 0}", "{\"a\": 1}", "{\"a\": 0}", "check json $.a: got 0, want gt 0"},
      {"\"$.a\": {ge: 1}", "{\"a\": 1}", "{\"a\": 0.5}", "check json $.a: got 0.5, want ge 1"},
      {"\"$.a\": {lt: 10}", "{\"a\": 9}", "{\"a\": 10}", "check json $.a: got 10, want lt 10"},
      {"\"$.a\": {le: 10}", "{\"a\": 10}", "{\"a\": 11}", "check json $.a: got 11, want le 10"},
      {"\"$.a\": {exists: true}", "{\"a\": null}", "{\"b\": 1}", "check json $.a: not found"},
      {"\"$.a\": {exists: false}", "{\"b\": 1}", "{\"a\": 1}", "check json $.a: exists, want absent"},
      {"\"$.a\": {matches: '^u[0-9]+$'}", "{\"a\": \"u12\"}", "{\"a\": \"x12\"}",
       "check json $.a: got x12, want matches ^u[0-9]+$"},
      {"\"$.a\": {contains: ell}", "{\"a\": \"hello\"}", "{\"a\": \"help\"}",
       "check json $.a: got help, want contains ell"},
      {"\"$.a\": {contains: 2}", "{\"a\": [1, 2]}", "{\"a\": [1, 3]}",
       "check json $.a: got [1,3], want contains 2"},
      {"\"$.a\": {len: 2}", "{\"a\": [1, 2]}", "{\"a\": [1]}", "check json $.a: got length 1, want len 2"},
      {"\"$.a\": {len: {ge: 2}}", "{\"a\": \"ab\"}", "{\"a\": \"a\"}",
       "check json $.a: got length 1, want len ge 2"},
      {"\"$.a.b[0]\": 1", "{\"a\": {\"b\": [1]}}", "{\"a\": {\"b\": [2]}}", "check json $.a.b[0]: got 2, want eq 1"},
      {"\"$.a[*].id\": {gt: 0}", "{\"a\": [{\"id\": 1}, {\"id\": 2}]}", "{\"a\": [{\"id\": 1}, {\"id\": 0}]}",
       "check json $.a[*].id: got 0, want gt 0"},
      {"\"$..id\": {lt: 5}", "{\"x\": {\"id\": 1}, \"y\": [{\"id\": 4}]}", "{\"x\": {\"y\": {\"id\": 7}}}",
       "check json $..id: got 7, want lt 5"},
      {"\"$.a\": {gt: 0}", "{\"a\": 1}", "{\"b\": 1}", "check json $.a: not found, want gt 0"},
      {"\"$.a\": {gt: 0}", "{\"a\": 1}", "not json", NULL /* prefix checked below */},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char yaml[512];
    snprintf(yaml, sizeof yaml, HEAD "        check:\n          json:\n            %s\n", cases[i].cond);
    struct fx f;
    load(&f, yaml);
    set_body(&f, cases[i].pass);
    const char *got = judge(&f);
    if (got) fail_msg("case %zu (%s) should pass: %s", i, cases[i].cond, got);
    set_body(&f, cases[i].fail);
    got = judge(&f);
    if (!got) fail_msg("case %zu (%s) should fail", i, cases[i].cond);
    if (cases[i].msg)
      assert_string_equal(got, cases[i].msg);
    else
      assert_true(strncmp(got, "check json $.a: the body is not JSON (", 38) == 0);
    unload(&f);
  }
}

/* ---- headers, url, is_json, max_time, size, message ---- */

static void test_check_headers_url_time_size(void **state) {
  (void)state;
  struct fx f;
  load(&f, HEAD "        check:\n"
                "          headers:\n"
                "            content-type: {matches: json}\n"
                "            x-id: abc\n"
                "          url: {contains: /x}\n");
  add_header(&f, "Content-Type", "application/json");
  add_header(&f, "X-Id", "abc");
  assert_ok(&f);
  f.headers[1].value = "abd";
  assert_fails(&f, "check header x-id: got 'abd', want equals abc");
  f.headers[1].value = "abc";
  f.headers[0].value = "text/html";
  assert_fails(&f, "check header content-type: got 'text/html', want matches json");
  f.headers[0].name = "Other";
  assert_fails(&f, "check header content-type: missing, want matches json");
  f.headers[0].name = "Content-Type";
  f.headers[0].value = "application/json";
  f.resp.final_url = "http://127.0.0.1/login";
  assert_fails(&f, "check url: got 'http://127.0.0.1/login', want contains /x");
  unload(&f);

  load(&f, HEAD "        check: {is_json: true, max_time: 50ms, size: {min: 2, max: 10}}\n");
  set_body(&f, "[1, 2]");
  assert_ok(&f);
  set_body(&f, "[1, 2");
  const char *got = judge(&f);
  assert_non_null(got);
  assert_true(strncmp(got, "check is_json: the body is not JSON (", 37) == 0);
  set_body(&f, "[1]");
  f.resp.end_us = f.resp.start_us + 51000;
  assert_fails(&f, "check max_time: took 51 ms, want at most 50 ms");
  f.resp.end_us = f.resp.start_us + 50000;
  assert_ok(&f);
  set_body(&f, "1");
  assert_fails(&f, "check size: 1 bytes, want at least 2");
  set_body(&f, "[1,2,3,4,5]");
  assert_fails(&f, "check size: 11 bytes, want at most 10");
  unload(&f);

  load(&f, HEAD "        check: {status: 200, message: 'cart did not load'}\n");
  f.resp.status = 500;
  assert_fails(&f, "cart did not load");
  unload(&f);
}

/* The first failing check gives the message; the request fails once. */
static void test_first_failing_check_wins(void **state) {
  (void)state;
  struct fx f;
  load(&f, HEAD "        check: {status: 200, body_contains: ok}\n");
  f.resp.status = 500;
  set_body(&f, "nope");
  assert_fails(&f, "check status: got 500, want 200");
  unload(&f);
}

/* A body past max_body fails the request with the client's message, and captures that needed
 * it count as missing. */
static void test_body_too_big(void **state) {
  (void)state;
  struct fx f;
  load(&f, HEAD "        check: {body_contains: x}\n        capture: {t: {json: $.t}}\n");
  f.resp.error = LC_HTTP_ETOOBIG;
  f.resp.error_message = "response body larger than max_body (10 MiB)";
  f.resp.body_bytes = 11 << 20;
  assert_fails(&f, "response body larger than max_body (10 MiB)");
  assert_true(f.res.capture_missing);
  assert_null(lc_vars_get(&f.vars, "t"));
  unload(&f);
}

/* ---- captures ---- */

static void test_capture_kinds(void **state) {
  (void)state;
  struct fx f;
  char buf[256];
  load(&f, HEAD "        capture:\n"
                "          token: {json: $.token}\n"
                "          obj: {json: $.user}\n"
                "          csrf: {regex: 'csrf=(\\w+)'}\n"
                "          whole: {regex: 'id=\\d+'}\n"
                "          named: {regex: 'user=(?<name>\\w+)', group: name}\n"
                "          next: {header: Location}\n"
                "          sid: {cookie: session}\n");
  set_body(&f, "{\"token\": \"T0k\", \"user\": {\"id\": 5}, "
               "\"html\": \"csrf=c5rf id=42 user=bob\"}");
  add_header(&f, "Location", "/next");
  add_header(&f, "Set-Cookie", "other=1; Path=/");
  add_header(&f, "Set-Cookie", "session=s3ss; HttpOnly");
  assert_ok(&f);
  assert_string_equal(var_text(&f, "token", buf, sizeof buf), "T0k");
  assert_string_equal(var_text(&f, "obj", buf, sizeof buf), "{\"id\":5}");
  assert_string_equal(var_text(&f, "csrf", buf, sizeof buf), "c5rf");
  assert_string_equal(var_text(&f, "whole", buf, sizeof buf), "id=42");
  assert_string_equal(var_text(&f, "named", buf, sizeof buf), "bob");
  assert_string_equal(var_text(&f, "next", buf, sizeof buf), "/next");
  assert_string_equal(var_text(&f, "sid", buf, sizeof buf), "s3ss");
  unload(&f);
}

static void test_capture_xpath(void **state) {
  (void)state;
  struct fx f;
  char buf[256];
  load(&f, HEAD "        capture:\n"
                "          first: {xpath: \"//a[@class='in']/@href\"}\n"
                "          all: {xpath: \"//a[@class='in']/@href\", pick: all}\n"
                "          title: {xpath: 'string(//title)'}\n");
  set_body(&f, "<html><head><title>Shop</title></head><body><a class='in' href='/a'>a</a>"
               "<a class='out' href='/o'>o</a><a class='in' href='/b'>b</a></body></html>");
  assert_ok(&f);
  assert_string_equal(var_text(&f, "first", buf, sizeof buf), "/a");
  const struct lc_val *all = lc_vars_get(&f.vars, "all");
  assert_non_null(all);
  assert_int_equal(all->kind, LC_VAL_LIST);
  assert_int_equal(all->u.list.n, 2);
  assert_string_equal(var_text(&f, "title", buf, sizeof buf), "Shop");
  unload(&f);
}

static void test_capture_default_and_missing(void **state) {
  (void)state;
  struct fx f;
  char buf[64];
  load(&f, HEAD "        capture:\n"
                "          y: {json: $.missing, default: dflt}\n"
                "          x: {json: $.missing}\n"
                "          z: {header: X-None}\n");
  set_body(&f, "{\"a\": 1}");
  assert_fails(&f, "capture 'x': json $.missing found nothing");
  assert_true(f.res.capture_missing);
  assert_string_equal(var_text(&f, "y", buf, sizeof buf), "dflt");
  assert_null(lc_vars_get(&f.vars, "x"));
  unload(&f);

  /* a failed check keeps its own message; the capture still counts as missing */
  load(&f, HEAD "        check: {status: 201}\n        capture: {x: {regex: 'nothing(here)'}}\n");
  set_body(&f, "abc");
  assert_fails(&f, "check status: got 200, want 201");
  assert_true(f.res.capture_missing);
  unload(&f);
}

/* pick: all makes a list of every match, in order, JSON values included past 64 of them; a
 * capture considers the first 1024 matches. */
static void test_capture_pick_all(void **state) {
  (void)state;
  struct fx f;
  load(&f, HEAD "        capture:\n"
                "          ids: {json: \"$.items[*].id\", pick: all}\n"
                "          ns: {regex: 'n(\\d+)', pick: all}\n"
                "          one: {json: $.one, pick: all}\n");
  struct lc_buf body;
  lc_buf_init(&body, 0);
  lc_buf_puts(&body, "{\"one\": \"x\", \"items\": [");
  for (int i = 0; i < 100; i++) lc_buf_printf(&body, "%s{\"id\": %d}", i ? "," : "", i);
  lc_buf_puts(&body, "], \"t\": \"");
  for (int i = 0; i < 1500; i++) lc_buf_printf(&body, "n%d ", i);
  lc_buf_puts(&body, "\"}");
  set_body(&f, body.data);
  assert_ok(&f);
  const struct lc_val *ids = lc_vars_get(&f.vars, "ids");
  assert_int_equal(ids->kind, LC_VAL_LIST);
  assert_int_equal(ids->u.list.n, 100);
  for (size_t i = 0; i < 100; i++) {
    double d;
    assert_true(lc_val_number(&ids->u.list.items[i], &d));
    assert_true(d == (double)i);
  }
  const struct lc_val *ns = lc_vars_get(&f.vars, "ns");
  assert_int_equal(ns->u.list.n, 1024);
  assert_int_equal(ns->u.list.items[1023].u.str.len, 4);
  assert_memory_equal(ns->u.list.items[1023].u.str.s, "1023", 4);
  const struct lc_val *one = lc_vars_get(&f.vars, "one");
  assert_int_equal(one->kind, LC_VAL_LIST);
  assert_int_equal(one->u.list.n, 1);
  /* a second response replaces the list */
  set_body(&f, "{\"one\": 1, \"items\": [{\"id\": 7}], \"t\": \"n1 n2\"}");
  assert_ok(&f);
  assert_int_equal(lc_vars_get(&f.vars, "ids")->u.list.n, 1);
  assert_int_equal(lc_vars_get(&f.vars, "ns")->u.list.n, 2);
  lc_buf_release(&body);
  unload(&f);
}

/* pick: random chooses each of the matches with the same probability: 4000 draws over 4
 * values, each count within 6 standard deviations (sd = sqrt(4000 * 1/4 * 3/4) = 27.4) of
 * 1000, and the same for a regex over 3 values and for headers. */
static void test_capture_pick_random_is_uniform(void **state) {
  (void)state;
  struct fx f;
  load(&f, HEAD "        capture:\n"
                "          id: {json: \"$.items[*].id\", pick: random}\n"
                "          w: {regex: 'w=(\\w)', pick: random}\n"
                "          h: {header: X-H, pick: random}\n");
  set_body(&f, "{\"items\": [{\"id\": 0}, {\"id\": 1}, {\"id\": 2}, {\"id\": 3}], \"s\": \"w=a w=b w=c\"}");
  add_header(&f, "X-H", "p");
  add_header(&f, "X-H", "q");
  int ids[4] = {0}, ws[3] = {0}, hs[2] = {0};
  enum { DRAWS = 4000 };
  for (int i = 0; i < DRAWS; i++) {
    assert_ok(&f);
    double d;
    assert_true(lc_val_number(lc_vars_get(&f.vars, "id"), &d));
    assert_true(d >= 0 && d <= 3);
    ids[(int)d]++;
    const struct lc_val *w = lc_vars_get(&f.vars, "w");
    assert_int_equal(w->u.str.len, 1);
    assert_true(w->u.str.s[0] >= 'a' && w->u.str.s[0] <= 'c');
    ws[w->u.str.s[0] - 'a']++;
    const struct lc_val *h = lc_vars_get(&f.vars, "h");
    hs[h->u.str.s[0] == 'q']++;
  }
  for (int i = 0; i < 4; i++) assert_in_range(ids[i], 1000 - 165, 1000 + 165);
  /* 3 values: sd = sqrt(4000 * 1/3 * 2/3) = 29.8; 2 values: sd = 31.6 */
  for (int i = 0; i < 3; i++) assert_in_range(ws[i], 1333 - 180, 1333 + 180);
  for (int i = 0; i < 2; i++) assert_in_range(hs[i], 2000 - 190, 2000 + 190);
  unload(&f);
}

/* Without a generator pick: random takes the first match; with one match it is that one. */
static void test_capture_pick_random_edges(void **state) {
  (void)state;
  struct fx f;
  char buf[64];
  load(&f, HEAD "        capture: {id: {json: \"$.items[*]\", pick: random}}\n");
  set_body(&f, "{\"items\": [\"only\"]}");
  assert_ok(&f);
  assert_string_equal(var_text(&f, "id", buf, sizeof buf), "only");
  f.ctx.rng = NULL;
  set_body(&f, "{\"items\": [\"a\", \"b\", \"c\"]}");
  for (int i = 0; i < 20; i++) {
    assert_ok(&f);
    assert_string_equal(var_text(&f, "id", buf, sizeof buf), "a");
  }
  set_body(&f, "{\"items\": []}");
  assert_fails(&f, "capture 'id': json $.items[*] found nothing");
  unload(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_rule),
      cmocka_unit_test(test_check_status),
      cmocka_unit_test(test_check_body),
      cmocka_unit_test(test_check_json_operators),
      cmocka_unit_test(test_check_headers_url_time_size),
      cmocka_unit_test(test_first_failing_check_wins),
      cmocka_unit_test(test_body_too_big),
      cmocka_unit_test(test_capture_kinds),
      cmocka_unit_test(test_capture_xpath),
      cmocka_unit_test(test_capture_default_and_missing),
      cmocka_unit_test(test_capture_pick_all),
      cmocka_unit_test(test_capture_pick_random_is_uniform),
      cmocka_unit_test(test_capture_pick_random_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
