/* test_config_request.c: unit tests for config/compile_request.c through lc_compile: methods
 * and URLs, headers merged from defaults, class and request, bodies (a JSON document with
 * templates inside its strings), query/form/multipart, auth and transport options, checks,
 * captures, and the exact message and line:column of each error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/compile.h"
#include "config/compile_int.h"

/* A scratch directory holding the scenario's files: data/a.png, c.pem, k.pem, adir/. */
static char dir[64];
static char file[128];

static void write_file(const char *rel, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/lc_req_XXXXXX");
  if (!mkdtemp(dir)) return -1;
  snprintf(file, sizeof file, "%s/s.yaml", dir);
  char path[256];
  snprintf(path, sizeof path, "%s/data", dir);
  if (mkdir(path, 0700) != 0) return -1;
  snprintf(path, sizeof path, "%s/adir", dir);
  if (mkdir(path, 0700) != 0) return -1;
  write_file("data/a.png", "PNG");
  write_file("c.pem", "cert");
  write_file("k.pem", "key");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  static const char *const files[] = {"data/a.png", "c.pem", "k.pem"};
  static const char *const dirs[] = {"data", "adir", ""};
  char path[256];
  for (size_t i = 0; i < LC_ARRAY_LEN(files); i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    unlink(path);
  }
  for (size_t i = 0; i < LC_ARRAY_LEN(dirs); i++) {
    snprintf(path, sizeof path, "%s/%s", dir, dirs[i]);
    rmdir(path);
  }
  return 0;
}

struct run {
  struct lc_diags *d;
  struct lc_doc *doc;
  struct lc_plan *plan;
};

static struct lc_plan *compile(struct run *r, const char *yaml) {
  r->d = lc_diags_new(0);
  r->doc = lc_doc_load_string(file, yaml, strlen(yaml), NULL, r->d);
  r->plan = r->doc ? lc_compile(r->doc, NULL, r->d) : NULL;
  return r->plan;
}

static void done(struct run *r) {
  lc_plan_free(r->plan);
  lc_doc_free(r->doc);
  lc_diags_free(r->d);
}

/* "line:col: severity: message (did you mean 'x'?)" for each diagnostic, one a line. */
static char *diags_text(struct lc_diags *d) {
  struct lc_buf b;
  lc_buf_init(&b, 0);
  lc_diags_sort(d);
  for (size_t i = 0; i < lc_diags_count(d); i++) {
    const struct lc_diag *g = lc_diags_get(d, i);
    static const char *const sev[] = {"error", "warning", "note"};
    lc_buf_printf(&b, "%s%u:%u: %s: %s", i ? "\n" : "", (unsigned)g->line, (unsigned)g->column,
                  sev[g->severity], g->message);
    if (g->hint) lc_buf_printf(&b, " (did you mean '%s'?)", g->hint);
  }
  return lc_buf_steal(&b);
}

/* Compiles yaml, which must succeed without any diagnostic. */
static struct lc_plan *compile_ok(struct run *r, const char *yaml) {
  struct lc_plan *p = compile(r, yaml);
  char *text = diags_text(r->d);
  char shown[2048];
  snprintf(shown, sizeof shown, "%s", text);
  free(text);
  if (!p || lc_diags_count(r->d)) fail_msg("unexpected diagnostics:\n%s", shown);
  return p;
}

/* The request of task i of the first class. */
static const struct lc_request *req(const struct lc_plan *p, size_t i) {
  assert_true(p->nclasses >= 1);
  assert_true(i < p->classes[0].root.n);
  const struct lc_task *t = &p->classes[0].root.tasks[i];
  assert_int_equal(t->kind, LC_TASK_STEPS);
  assert_int_equal(t->steps.n, 1);
  assert_int_equal(t->steps.items[0].kind, LC_STEP_REQUEST);
  assert_non_null(t->steps.items[0].u.request);
  return t->steps.items[0].u.request;
}

static void assert_text(const struct lc_tpl *t, const char *want) {
  assert_non_null(t);
  assert_int_equal(t->n, 1);
  assert_int_equal(t->segs[0].kind, LC_TPL_TEXT);
  assert_string_equal(t->segs[0].text, want);
}

/* s is the variable `path` (dotted names), to be escaped with esc. */
static void assert_var_seg(const struct lc_tpl_seg *s, const char *path, enum lc_tpl_escape esc) {
  assert_int_equal(s->kind, LC_TPL_EXPR);
  assert_int_equal(s->escape, esc);
  assert_int_equal(s->expr->kind, LC_EXPR_VAR);
  char got[128] = "";
  size_t len = 0;
  for (size_t i = 0; i < s->expr->u.var.n && len < sizeof got; i++)
    len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", i ? "." : "",
                            s->expr->u.var.parts[i].name ? s->expr->u.var.parts[i].name : "[]");
  assert_string_equal(got, path);
}

#define HEAD "users:\n  U:\n    tasks:\n"

static void tables_and_method_keys(void **state) {
  (void)state;
  assert_string_equal(cc_method_key("get"), "GET");
  assert_string_equal(cc_method_key("options"), "OPTIONS");
  assert_string_equal(cc_method_key("delete"), "DELETE");
  assert_null(cc_method_key("request"));
  assert_null(cc_method_key("GET"));
  assert_null(cc_method_key("fetch"));
  size_t n = 0;
  bool has_max_body = false;
  for (; cc_request_keys[n]; n++) has_max_body |= strcmp(cc_request_keys[n], "max_body") == 0;
  assert_int_equal(n, 18);
  assert_true(has_max_body);
}

static void methods_urls_and_defaults(void **state) {
  (void)state;
  struct run r;
  const struct lc_plan *p = compile_ok(&r,
      "variables: {base: 'http://h'}\n"
      HEAD
      "      - get: /\n"
      "      - post: http://example.com/a\n"
      "      - put: HTTPS://example.com/b\n"
      "      - patch: /p\n"
      "      - delete: /d\n"
      "      - head: /h\n"
      "      - options: /o\n"
      "      - request: {method: purge, url: /cache}\n"
      "      - get: \"{{ vars.base }}/x?a=1\"\n"
      "        name: /x/[id]\n");
  static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                                        "OPTIONS", "PURGE", "GET"};
  static const char *const urls[] = {"/", "http://example.com/a", "HTTPS://example.com/b", "/p",
                                     "/d", "/h", "/o", "/cache", "{{ vars.base }}/x?a=1"};
  for (size_t i = 0; i < LC_ARRAY_LEN(methods); i++) {
    const struct lc_request *q = req(p, i);
    assert_string_equal(q->method, methods[i]);
    assert_string_equal(q->url_source, urls[i]);
    assert_int_equal(q->mark.line, 5 + i);
    assert_int_equal(q->mark.column, 9);
    if (i < 8) {
      assert_text(q->url, urls[i]);
      assert_null(q->name);
    }
    /* the defaults' defaults */
    assert_true(q->timeout_us == 60000000);
    assert_true(q->follow_redirects);
    assert_true(q->verify_tls);
    assert_int_equal(q->http_version, 11);
    assert_true(q->max_body == 10u << 20);
    assert_int_equal(q->on_failure, LC_ON_FAILURE_CONTINUE);
    assert_int_equal(q->auth_kind, LC_AUTH_NONE);
    assert_int_equal(q->body_kind, LC_BODY_NONE);
    assert_int_equal(q->headers.n, 0);
    assert_int_equal(q->nchecks, 0);
    assert_false(q->has_status_check);
    assert_false(q->needs_body);
    assert_false(q->stream);
  }
  const struct lc_request *q = req(p, 8);
  assert_int_equal(q->url->n, 2);
  assert_var_seg(&q->url->segs[0], "vars.base", LC_ESC_NONE);
  assert_string_equal(q->url->segs[1].text, "/x?a=1");
  assert_text(q->name, "/x/[id]");
  done(&r);
}

static void headers_merge_in_order(void **state) {
  (void)state;
  struct run r;
  const struct lc_plan *p = compile_ok(&r,
      "defaults:\n"
      "  headers: {Accept: text/plain, X-A: d, X-Drop: gone}\n"
      "users:\n"
      "  U:\n"
      "    headers: {X-B: c, accept: application/json}\n"
      "    tasks:\n"
      "      - get: /\n"
      "        headers: {X-C: r, x-b: \"{{ user_id() }}\", X-Drop: null}\n"
      "      - get: /2\n");
  const struct lc_request *q = req(p, 0);
  assert_int_equal(q->headers.n, 4);
  /* a later header replaces an earlier one of the same name where it stood */
  assert_string_equal(q->headers.items[0].name, "accept");
  assert_text(q->headers.items[0].value, "application/json");
  assert_int_equal(q->headers.items[0].mark.line, 5);
  assert_string_equal(q->headers.items[1].name, "X-A");
  assert_text(q->headers.items[1].value, "d");
  assert_string_equal(q->headers.items[2].name, "x-b");
  assert_int_equal(q->headers.items[2].value->n, 1);
  assert_int_equal(q->headers.items[2].value->segs[0].kind, LC_TPL_EXPR);
  assert_int_equal(q->headers.items[2].value->segs[0].expr->kind, LC_EXPR_CALL);
  assert_string_equal(q->headers.items[3].name, "X-C");
  assert_text(q->headers.items[3].value, "r");
  /* without own headers: defaults then class, X-Drop kept */
  q = req(p, 1);
  assert_int_equal(q->headers.n, 4);
  static const char *const names[] = {"accept", "X-A", "X-Drop", "X-B"};
  for (size_t i = 0; i < 4; i++) assert_string_equal(q->headers.items[i].name, names[i]);
  done(&r);
}

/* Renders a template with each expression replaced by `with` (JSON-escaped or not). */
static char *render(const struct lc_tpl *t, const char *with) {
  struct lc_buf b;
  lc_buf_init(&b, 0);
  for (size_t i = 0; i < t->n; i++) {
    if (t->segs[i].kind == LC_TPL_TEXT) lc_buf_append(&b, t->segs[i].text, t->segs[i].len);
    else lc_buf_puts(&b, with);
  }
  return lc_buf_steal(&b);
}

static void json_body_is_one_template(void **state) {
  (void)state;
  struct run r;
  const struct lc_plan *p = compile_ok(&r,
      "variables: {user: bob}\n"
      HEAD
      "      - post: /u\n"
      "        json:\n"
      "          id: 5\n"
      "          name: \"hi {{ vars.user }}\\\"\"\n"
      "          tags: [a, \"1\", 2.50, +1, .5, 1e3, -0.0, 007]\n"
      "          ok: true\n"
      "          none: null\n"
      "          empty:\n"
      "          q: 'null'\n"
      "          t: !!str 7\n"
      "          nested: {\"k\\\"ey\": [{}, []], tab: \"a\\tb\"}\n"
      "      - post: /raw\n"
      "        body: \"a={{ vars.user }}&b=2\"\n"
      "      - post: /scalar\n"
      "        json: \"{{ vars.user }}\"\n");
  const struct lc_request *q = req(p, 0);
  assert_int_equal(q->body_kind, LC_BODY_JSON);
  const struct lc_tpl *t = q->body;
  assert_int_equal(t->n, 3);
  assert_string_equal(t->segs[0].text, "{\"id\":5,\"name\":\"hi ");
  assert_var_seg(&t->segs[1], "vars.user", LC_ESC_JSON);
  assert_int_equal(t->segs[1].expr->mark.line, 8);
  assert_int_equal(t->segs[1].expr->mark.column, 24);
  assert_string_equal(t->segs[2].text,
                      "\\\"\",\"tags\":[\"a\",\"1\",2.50,1,0.5,1e3,-0.0,7],\"ok\":true,"
                      "\"none\":null,\"empty\":null,\"q\":\"null\",\"t\":\"7\","
                      "\"nested\":{\"k\\\"ey\":[{},[]],\"tab\":\"a\\tb\"}}");
  char *text = render(t, "X");
  json_error_t err;
  json_t *doc = json_loads(text, 0, &err);
  if (!doc) fail_msg("not JSON: %s: %s", text, err.text);
  assert_string_equal(json_string_value(json_object_get(doc, "name")), "hi X\"");
  json_decref(doc);
  free(text);

  q = req(p, 1);
  assert_int_equal(q->body_kind, LC_BODY_RAW);
  assert_int_equal(q->body->n, 3);
  assert_string_equal(q->body->segs[0].text, "a=");
  assert_var_seg(&q->body->segs[1], "vars.user", LC_ESC_NONE);

  q = req(p, 2);
  assert_int_equal(q->body->n, 3);
  assert_string_equal(q->body->segs[0].text, "\"");
  assert_var_seg(&q->body->segs[1], "vars.user", LC_ESC_JSON);
  assert_string_equal(q->body->segs[2].text, "\"");
  done(&r);
}

static void query_form_multipart(void **state) {
  (void)state;
  struct run r;
  const struct lc_plan *p = compile_ok(&r,
      "variables: {user: bob}\n"
      HEAD
      "      - get: /s\n"
      "        query: {q: \"{{ vars.user }}\", page: 2, id: [1, 2]}\n"
      "      - post: /f\n"
      "        form: {a: \"x{{ vars.user }}\", b: x}\n"
      "      - post: /m\n"
      "        multipart:\n"
      "          note: hi {{ vars.user }}\n"
      "          file: {path: data/a.png, content_type: image/png}\n"
      "          f2: {path: data/a.png, filename: b.png}\n");
  const struct lc_request *q = req(p, 0);
  assert_int_equal(q->query.n, 4);
  static const char *const names[] = {"q", "page", "id", "id"};
  for (size_t i = 0; i < 4; i++) assert_string_equal(q->query.items[i].name, names[i]);
  assert_var_seg(&q->query.items[0].value->segs[0], "vars.user", LC_ESC_URL);
  assert_text(q->query.items[1].value, "2");
  assert_text(q->query.items[2].value, "1");
  assert_text(q->query.items[3].value, "2");

  q = req(p, 1);
  assert_int_equal(q->body_kind, LC_BODY_FORM);
  assert_int_equal(q->form.n, 2);
  assert_string_equal(q->form.items[0].value->segs[0].text, "x");
  assert_var_seg(&q->form.items[0].value->segs[1], "vars.user", LC_ESC_URL);

  q = req(p, 2);
  assert_int_equal(q->body_kind, LC_BODY_MULTIPART);
  assert_int_equal(q->nparts, 3);
  assert_string_equal(q->parts[0].name, "note");
  assert_var_seg(&q->parts[0].value->segs[1], "vars.user", LC_ESC_NONE);
  assert_null(q->parts[0].path);
  char want[256];
  snprintf(want, sizeof want, "%s/data/a.png", dir);
  assert_string_equal(q->parts[1].name, "file");
  assert_null(q->parts[1].value);
  assert_string_equal(q->parts[1].path, want);
  assert_string_equal(q->parts[1].content_type, "image/png");
  assert_null(q->parts[1].filename);
  assert_string_equal(q->parts[2].filename, "b.png");
  assert_null(q->parts[2].content_type);
  done(&r);
}

static void auth_and_transport(void **state) {
  (void)state;
  struct run r;
  const struct lc_plan *p = compile_ok(&r,
      "variables: {pw: secret}\n"
      "defaults:\n"
      "  timeout: 5s\n"
      "  verify_tls: false\n"
      "  auth: {basic: [me, \"{{ vars.pw }}\"]}\n"
      "  http_version: 2\n"
      "  max_body: 1MB\n"
      "  client_cert: c.pem\n"
      "users:\n"
      "  U:\n"
      "    on_failure: end_task\n"
      "    tasks:\n"
      "      - get: /a\n"
      "      - get: /b\n"
      "        auth: {bearer: tok}\n"
      "        timeout: 250ms\n"
      "        follow_redirects: false\n"
      "        http_version: \"1.1\"\n"
      "        stream: true\n"
      "        on_failure: stop_user\n"
      "        client_cert: {cert: c.pem, key: k.pem}\n"
      "        max_body: 0\n"
      "      - get: /c\n"
      "        auth: {digest: [u, p]}\n"
      "        http_version: 1.1\n");
  char cert[256], key[256];
  snprintf(cert, sizeof cert, "%s/c.pem", dir);
  snprintf(key, sizeof key, "%s/k.pem", dir);
  const struct lc_request *q = req(p, 0);
  assert_true(q->timeout_us == 5000000);
  assert_false(q->verify_tls);
  assert_true(q->follow_redirects);
  assert_int_equal(q->http_version, 2);
  assert_true(q->max_body == 1u << 20);
  assert_int_equal(q->auth_kind, LC_AUTH_BASIC);
  assert_text(q->auth_user, "me");
  assert_var_seg(&q->auth_password->segs[0], "vars.pw", LC_ESC_NONE);
  assert_null(q->auth_token);
  assert_string_equal(q->client_cert, cert);
  assert_null(q->client_key);
  assert_int_equal(q->on_failure, LC_ON_FAILURE_END_TASK);

  q = req(p, 1);
  assert_int_equal(q->auth_kind, LC_AUTH_BEARER);
  assert_text(q->auth_token, "tok");
  assert_null(q->auth_user);
  assert_null(q->auth_password);
  assert_true(q->timeout_us == 250000);
  assert_false(q->follow_redirects);
  assert_false(q->verify_tls);
  assert_int_equal(q->http_version, 11);
  assert_true(q->stream);
  assert_true(q->max_body == 0);
  assert_int_equal(q->on_failure, LC_ON_FAILURE_STOP_USER);
  assert_string_equal(q->client_cert, cert);
  assert_string_equal(q->client_key, key);

  q = req(p, 2);
  assert_int_equal(q->auth_kind, LC_AUTH_DIGEST);
  assert_text(q->auth_user, "u");
  assert_text(q->auth_password, "p");
  assert_int_equal(q->http_version, 11);
  done(&r);
}

static void checks_compile(void **state) {
  (void)state;
  struct run r;
  const struct lc_plan *p = compile_ok(&r,
      HEAD
      "      - get: /c\n"
      "        check:\n"
      "          status: [200, \"2xx\", 404, 200]\n"
      "          body_contains: [items, count]\n"
      "          body_not_contains: error\n"
      "          body_matches: '\"count\":\\s*[1-9]'\n"
      "          json:\n"
      "            \"$.count\": {gt: 0, le: 100}\n"
      "            $.status: ok\n"
      "            $.items: {len: {gt: 0}, exists: true}\n"
      "            $.name: {matches: ^a, contains: b, ne: null}\n"
      "            $.n: {len: 3, eq: \"3\"}\n"
      "          headers:\n"
      "            Content-Type: {matches: json}\n"
      "            X-Id: abc\n"
      "            X-Gone: {exists: false}\n"
      "          url: {contains: /welcome}\n"
      "          is_json: true\n"
      "          max_time: 500ms\n"
      "          size: {min: 1, max: 1MB}\n"
      "          message: \"bad: {{ response.status }}\"\n");
  const struct lc_request *q = req(p, 0);
  assert_true(q->has_status_check);
  assert_true(q->needs_body);
  assert_non_null(q->message);
  assert_int_equal(q->nchecks, 21);
  const struct lc_check *c = q->checks;
  assert_int_equal(c[0].kind, LC_CHECK_STATUS);
  assert_int_equal(c[0].status.ncodes, 2);
  assert_int_equal(c[0].status.codes[0], 200);
  assert_int_equal(c[0].status.codes[1], 404);
  assert_int_equal(c[0].status.nclasses, 1);
  assert_int_equal(c[0].status.classes[0], 2);
  assert_int_equal(c[0].mark.line, 6);
  assert_int_equal(c[0].mark.column, 19);
  assert_int_equal(c[1].kind, LC_CHECK_BODY_CONTAINS);
  assert_int_equal(c[1].strs.n, 2);
  assert_string_equal(c[1].strs.items[1], "count");
  assert_int_equal(c[2].kind, LC_CHECK_BODY_NOT_CONTAINS);
  assert_string_equal(c[2].strs.items[0], "error");
  assert_int_equal(c[3].kind, LC_CHECK_BODY_MATCHES);
  assert_non_null(c[3].regex);
  assert_string_equal(c[3].pattern, "\"count\":\\s*[1-9]");

  static const struct {
    const char *path;
    enum lc_cmp_op op, len_op;
    const char *source;
    unsigned line, column;
  } json[] = {
      {"$.count", LC_CMP_GT, 0, "gt 0", 11, 25},
      {"$.count", LC_CMP_LE, 0, "le 100", 11, 32},
      {"$.status", LC_CMP_EQ, 0, "eq ok", 12, 23},
      {"$.items", LC_CMP_LEN, LC_CMP_GT, "len gt 0", 13, 29},
      {"$.items", LC_CMP_EXISTS, 0, "exists true", 13, 37},
      {"$.name", LC_CMP_MATCHES, 0, "matches ^a", 14, 22},
      {"$.name", LC_CMP_CONTAINS, 0, "contains b", 14, 35},
      {"$.name", LC_CMP_NE, 0, "ne null", 14, 48},
      {"$.n", LC_CMP_LEN, LC_CMP_EQ, "len 3", 15, 19},
      {"$.n", LC_CMP_EQ, 0, "eq 3", 15, 27},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(json); i++) {
    const struct lc_check *k = &c[4 + i];
    assert_int_equal(k->kind, LC_CHECK_JSON);
    assert_non_null(k->path);
    assert_string_equal(k->pattern, json[i].path);
    assert_int_equal(k->cond.op, json[i].op);
    if (k->cond.op == LC_CMP_LEN) assert_int_equal(k->cond.len_op, json[i].len_op);
    assert_string_equal(k->cond.source, json[i].source);
    assert_int_equal(k->mark.line, json[i].line);
    assert_int_equal(k->mark.column, json[i].column);
  }
  assert_int_equal(c[4].cond.value.kind, LC_VALUE_NUMBER);
  assert_true(c[5].cond.value.number == 100);
  assert_int_equal(c[6].cond.value.kind, LC_VALUE_STRING);
  assert_string_equal(c[6].cond.value.str, "ok");
  assert_true(c[7].cond.value.number == 0);
  assert_true(c[8].cond.value.boolean);
  assert_non_null(c[9].cond.regex);
  assert_int_equal(c[11].cond.value.kind, LC_VALUE_NULL);
  assert_true(c[12].cond.value.number == 3);
  assert_int_equal(c[13].cond.value.kind, LC_VALUE_STRING); /* quoted "3" is a string */

  assert_int_equal(c[14].kind, LC_CHECK_HEADER);
  assert_string_equal(c[14].header, "content-type");
  assert_int_equal(c[14].cond.op, LC_CMP_MATCHES);
  assert_non_null(c[14].cond.regex);
  assert_string_equal(c[15].header, "x-id");
  assert_int_equal(c[15].cond.op, LC_CMP_EQ);
  assert_string_equal(c[15].cond.value.str, "abc");
  assert_string_equal(c[15].cond.source, "equals abc");
  assert_string_equal(c[16].header, "x-gone");
  assert_int_equal(c[16].cond.op, LC_CMP_EXISTS);
  assert_false(c[16].cond.value.boolean);
  assert_int_equal(c[17].kind, LC_CHECK_URL);
  assert_int_equal(c[17].cond.op, LC_CMP_CONTAINS);
  assert_string_equal(c[17].cond.value.str, "/welcome");
  assert_int_equal(c[18].kind, LC_CHECK_IS_JSON);
  assert_int_equal(c[19].kind, LC_CHECK_MAX_TIME);
  assert_true(c[19].us == 500000);
  assert_int_equal(c[20].kind, LC_CHECK_SIZE);
  assert_true(c[20].size_min == 1);
  assert_true(c[20].size_max == 1 << 20);
  done(&r);
}

static void needs_body_only_when_read(void **state) {
  (void)state;
  struct run r;
  const struct lc_plan *p = compile_ok(&r,
      HEAD
      "      - get: /a\n"
      "        check: {status: 201, headers: {Location: /x}, max_time: 1s, size: 10KB}\n"
      "        capture: {loc: {header: Location}, sid: {cookie: session}}\n"
      "        stream: true\n"
      "      - get: /b\n"
      "        check: {message: \"{{ response.body }}\", is_json: false}\n"
      "      - get: /c\n"
      "        capture: {x: {regex: a}}\n");
  const struct lc_request *q = req(p, 0);
  assert_false(q->needs_body);
  assert_int_equal(q->nchecks, 4);
  assert_true(q->checks[3].size_min == -1);
  assert_true(q->checks[3].size_max == 10 * 1024);
  assert_true(req(p, 1)->needs_body);
  assert_int_equal(req(p, 1)->nchecks, 0);
  assert_false(req(p, 1)->has_status_check);
  assert_true(req(p, 2)->needs_body);
  done(&r);
}

static void captures_compile(void **state) {
  (void)state;
  struct run r;
  const struct lc_plan *p = compile_ok(&r,
      HEAD
      "      - get: /c\n"
      "        capture:\n"
      "          token: {json: $.token}\n"
      "          csrf: {regex: 'name=\"csrf\" value=\"([^\"]+)\"'}\n"
      "          whole: {regex: 'id=\\d+'}\n"
      "          named: {regex: '(?<a>x)(?<b>y)', group: b}\n"
      "          second: {regex: '(a)(b)', group: 2}\n"
      "          zero: {regex: '(a)', group: 0}\n"
      "          next: {header: Location}\n"
      "          sid: {cookie: session}\n"
      "          ids: {json: \"$.items[*].id\", pick: all}\n"
      "          link: {xpath: \"//a[@class='internal']/@href\", pick: random, default: none}\n"
      "          n: {json: $.n, default: 0}\n");
  const struct lc_request *q = req(p, 0);
  assert_true(q->needs_body);
  assert_int_equal(q->ncaptures, 11);
  static const struct {
    const char *var;
    enum lc_capture_kind kind;
    const char *source;
    int group;
    enum lc_pick pick;
  } want[] = {
      {"token", LC_CAPTURE_JSON, "$.token", 0, LC_PICK_FIRST},
      {"csrf", LC_CAPTURE_REGEX, "name=\"csrf\" value=\"([^\"]+)\"", 1, LC_PICK_FIRST},
      {"whole", LC_CAPTURE_REGEX, "id=\\d+", 0, LC_PICK_FIRST},
      {"named", LC_CAPTURE_REGEX, "(?<a>x)(?<b>y)", 2, LC_PICK_FIRST},
      {"second", LC_CAPTURE_REGEX, "(a)(b)", 2, LC_PICK_FIRST},
      {"zero", LC_CAPTURE_REGEX, "(a)", 0, LC_PICK_FIRST},
      {"next", LC_CAPTURE_HEADER, "Location", 0, LC_PICK_FIRST},
      {"sid", LC_CAPTURE_COOKIE, "session", 0, LC_PICK_FIRST},
      {"ids", LC_CAPTURE_JSON, "$.items[*].id", 0, LC_PICK_ALL},
      {"link", LC_CAPTURE_XPATH, "//a[@class='internal']/@href", 0, LC_PICK_RANDOM},
      {"n", LC_CAPTURE_JSON, "$.n", 0, LC_PICK_FIRST},
  };
  for (size_t i = 0; i < LC_ARRAY_LEN(want); i++) {
    const struct lc_capture *k = &q->captures[i];
    assert_string_equal(k->var, want[i].var);
    assert_int_equal(k->kind, want[i].kind);
    assert_string_equal(k->source, want[i].source);
    assert_int_equal(k->pick, want[i].pick);
    assert_int_equal(k->mark.line, 6 + i);
    assert_int_equal(k->mark.column, 11);
    if (k->kind == LC_CAPTURE_REGEX) {
      assert_non_null(k->regex);
      assert_int_equal(k->group, want[i].group);
    }
    if (k->kind == LC_CAPTURE_JSON) assert_non_null(k->path);
  }
  assert_string_equal(q->captures[3].group_name, "b");
  assert_null(q->captures[4].group_name);
  assert_false(q->captures[0].has_default);
  assert_true(q->captures[9].has_default);
  assert_int_equal(q->captures[9].default_value.kind, LC_VALUE_STRING);
  assert_string_equal(q->captures[9].default_value.str, "none");
  assert_int_equal(q->captures[10].default_value.kind, LC_VALUE_NUMBER);
  done(&r);
}

/* ---- errors: each scenario with every diagnostic it gives, exactly ---- */

static const struct {
  const char *yaml;
  const char *want;
} errors[] = {
    {HEAD "      - get: items\n",
     "4:14: error: a URL must start with '/' or http:// or https://, got 'items'"},
    {HEAD "      - get: ftp://x/{{ user_id() }}\n",
     "4:14: error: a URL must start with '/' or http:// or https://, got "
     "'ftp://x/{{ user_id() }}'"},
    {HEAD "      - get: \"\"\n",
     "4:14: error: a URL must start with '/' or http:// or https://, got ''"},
    {HEAD "      - post: /x\n        body: a\n        json: {a: 1}\n        form: {b: 2}\n",
     "6:9: error: 'json' cannot be used with 'body': a request has one body\n"
     "7:9: error: 'form' cannot be used with 'body': a request has one body"},
    {HEAD "      - post: /x\n        multipart: {f: {path: data/missing.png}}\n",
     "5:31: error: cannot read file 'data/missing.png': no such file or directory"},
    {HEAD "      - post: /x\n        multipart: {f: {path: adir}, g: {content_type: a/b}}\n",
     "5:31: error: cannot read file 'adir': is a directory\n"
     "5:41: error: missing key 'path': a multipart file is {path, content_type, filename}"},
    {HEAD "      - get: /\n        check: {json: {$.n: {gte: 1}}}\n",
     "5:30: error: unknown condition 'gte' (expected one of: eq, ne, gt, ge, lt, le, exists, "
     "matches, contains, len) (did you mean 'ge'?)"},
    {HEAD "      - get: /\n        check: {json: {$.n: {gt: abc, lt: [1]}}}\n",
     "5:34: error: 'gt' compares numbers, got 'abc'\n"
     "5:43: error: 'lt' compares numbers, got a sequence"},
    {HEAD "      - get: /\n        check:\n          json:\n            \"$.a[\": 1\n",
     "7:17: error: invalid JSONPath '$.a[': expected an index, '*' or a quoted name inside '[ ]'"},
    {HEAD "      - get: /\n        check: {json: {$.n: {len: {gt: x}}, $.m: {len: -1}}}\n",
     "5:40: error: 'gt' compares numbers, got 'x'\n"
     "5:56: error: expected an integer of at least 0, got '-1'"},
    {HEAD "      - get: /\n        check: {json: {$.n: {exists: maybe, matches: \"(\"}}}\n",
     "5:38: error: expected true or false, got 'maybe'\n"
     "5:56: error: invalid regex: missing closing parenthesis"},
    {HEAD "      - get: /\n        check: {stauts: 200}\n",
     "5:17: error: unknown key 'stauts' (did you mean 'status'?)"},
    {HEAD "      - get: /\n        check: {status: 600}\n"
          "      - get: /\n        check: {status: [abc, 20x]}\n"
          "      - get: /\n        check: {status: []}\n",
     "5:25: error: status 600 is out of range: codes go from 100 to 599\n"
     "7:26: error: invalid status 'abc': expected a code from 100 to 599 or a class like '2xx'\n"
     "7:31: error: invalid status '20x': expected a code from 100 to 599 or a class like '2xx'\n"
     "9:25: error: 'status' is an empty list: give at least one code or class"},
    {HEAD "      - get: /\n        check: {headers: {Content-Type: {eq: json}}, url: {regex: x}}\n",
     "5:42: error: unknown condition 'eq' (expected one of: equals, contains, matches, exists) "
     "(did you mean 'equals'?)\n"
     "5:60: error: unknown condition 'regex' (expected one of: equals, contains, matches) "
     "(did you mean 'matches'?)"},
    {HEAD "      - get: /\n        check: {size: {min: 2KB, max: 1KB}, max_time: 0s}\n",
     "5:29: error: 'size': min 2048 is larger than max 1024\n"
     "5:55: error: 'max_time' must be greater than 0"},
    {HEAD "      - get: /\n        check: {body_contains: \"{{ x }}\"}\n",
     "5:32: warning: 'body_contains' is matched as written: checks do not render '{{ }}' "
     "templates"},
    {HEAD "      - get: /\n        capture: {t: {regex: 'a(b)', group: 2}}\n",
     "5:45: error: regex has no group 2"},
    {HEAD "      - get: /\n        capture: {t: {regex: '(?<user>a)', group: usr}}\n",
     "5:51: error: regex has no group named 'usr' (did you mean 'user'?)"},
    {HEAD "      - get: /\n        capture: {t: {json: $.a, regex: a, header: b}}\n",
     "5:34: error: 'regex' cannot be used with 'json': a capture has one source\n"
     "5:44: error: 'header' cannot be used with 'json': a capture has one source"},
    {HEAD "      - get: /\n        capture: {t: {pick: all}, u: {jsn: $.a}}\n",
     "5:22: error: capture 't' needs a source: one of json, regex, header, cookie, xpath\n"
     "5:39: error: unknown key 'jsn' (did you mean 'json'?)"},
    {HEAD "      - get: /\n        capture: {1x: {json: $.a}, response: {json: $.b}}\n",
     "5:19: error: invalid variable name '1x': use letters, digits and '_', not starting with a "
     "digit\n"
     "5:36: error: 'response' is a reserved name and cannot be a variable"},
    {HEAD "      - get: /\n        capture: {t: {xpath: \"//a[\"}}\n",
     "5:35: error: invalid XPath '//a[': invalid expression"},
    {HEAD "      - get: /\n        capture: {t: {json: $.a, pick: rnadom, group: 1}}\n",
     "5:40: error: unknown value 'rnadom' (expected one of: first, random, all) (did you mean "
     "'random'?)\n"
     "5:48: error: 'group' is only for 'regex' captures"},
    {HEAD "      - get: /\n        capture: {tok: $.token}\n",
     "5:24: error: capture 'tok' takes a mapping like {json: $.token}, got '$.token'"},
    {HEAD "      - get: /\n        on_failure: end-task\n",
     "5:21: error: unknown value 'end-task' (expected one of: continue, end_task, stop_user) "
     "(did you mean 'end_task'?)"},
    {HEAD "      - get: /\n        auth: {basic: [a, b], bearer: t}\n"
          "      - get: /\n        auth: {digest: [a, b, c]}\n"
          "      - get: /\n        auth: {}\n"
          "      - get: /\n        auth: {bearr: t}\n",
     "5:31: error: 'bearer' cannot be used with 'basic': a request has one kind of auth\n"
     "7:24: error: 'digest' takes [user, password], got 3 items\n"
     "9:15: error: 'auth' needs one of: basic, bearer, digest\n"
     "11:16: error: unknown key 'bearr' (did you mean 'bearer'?)"},
    {HEAD "      - get: /\n        http_version: 3\n"
          "      - get: /\n        http_version: \"2.0\"\n",
     "5:23: error: unknown http_version '3' (expected one of: 1.1, 2)\n"
     "7:23: error: unknown http_version '2.0' (expected one of: 1.1, 2) (did you mean '2'?)"},
    {HEAD "      - get: /\n        headers: {X Trace: a, X-B: \"a\\r\\nEvil: 1\"}\n",
     "5:20: error: invalid character ' ' in header name 'X Trace'\n"
     "5:38: error: the value of header 'X-B' contains a line break"},
    {"variables: {user: bob}\n" HEAD
     "      - post: /\n        json: {a: [1, \"{{ user + }}\"]}\n",
     "6:32: error: unexpected '+' after the expression"},
    {HEAD "      - post: /\n        body: {a: 1}\n",
     "5:15: error: 'body' is text, got a mapping: use 'json:' to send a JSON document or "
     "'form:' for form fields"},
    {HEAD "      - post: /\n        json: {a: {{ vars.user }}}\n",
     "5:19: error: a value that starts with '{{' must be quoted, like \"{{ token }}\": YAML "
     "reads an unquoted '{' as a mapping"},
    {HEAD "      - get: /\n        check: {body_matches: 'a[b'}\n",
     "5:35: error: invalid regex: missing terminating ] for character class"},
    {HEAD "      - get: /\n        timeout: 0\n        max_body: 1XB\n",
     "5:18: error: 'timeout' must be greater than 0\n"
     "6:20: error: invalid size '1XB': unknown unit 'XB' (use B, KB, MB, GB or TB, where "
     "1 KB = 1 KiB = 1024 bytes)"},
    {HEAD "      - get: /\n        check: {body_contains: x}\n        stream: true\n",
     "6:17: error: 'stream: true' keeps no body, but a check or capture of this request reads it"},
    {HEAD "      - request: {method: \"GE T\", url: /}\n"
          "      - request: {url: /}\n"
          "      - request: {method: GET, url: /, name: x}\n",
     "4:30: error: invalid character ' ' in method 'GE T'\n"
     "5:18: error: missing key 'method' in 'request'\n"
     "6:40: error: unknown key 'name'"},
    {HEAD "      - get: /\n        client_cert: {cert: nope.pem, kye: k.pem}\n",
     "5:29: error: cannot read file 'nope.pem': no such file or directory\n"
     "5:39: error: unknown key 'kye' (did you mean 'key'?)"},
    {HEAD "      - get: /\n        client_cert: /dev/null\n",
     "5:22: error: cannot read file '/dev/null': not a regular file"},
    /* a request inherited by two classes is compiled twice, and reported once */
    {"users:\n  B: {abstract: true, tasks: [{get: items}]}\n  C: {extends: B}\n"
     "  D: {extends: B, tasks: [{get: /}]}\n",
     "2:37: error: a URL must start with '/' or http:// or https://, got 'items'"},
    {"defaults: {timout: 1s, headers: {A: b}}\n" HEAD "      - get: /\n",
     "1:12: error: unknown key 'timout' (did you mean 'timeout'?)"},
    {HEAD "      - get: /\n        check: {json: {$.a: [1, 2], $.b: {}}}\n",
     "5:29: error: a JSON check takes a value or conditions like {gt: 0}, got a sequence\n"
     "5:42: error: no condition for '$.b': use a value or one of eq, ne, gt, ge, lt, le, "
     "exists, matches, contains, len"},
};

static void errors_are_exact(void **state) {
  (void)state;
  size_t failed = 0;
  for (size_t i = 0; i < LC_ARRAY_LEN(errors); i++) {
    struct run r;
    struct lc_plan *p = compile(&r, errors[i].yaml);
    char *got = diags_text(r.d);
    if (strcmp(got, errors[i].want) != 0) {
      print_error("case %zu:\n%s\nwant:\n%s\ngot:\n%s\n\n", i, errors[i].yaml,
                  errors[i].want, got);
      failed++;
    }
    /* an error fails the compile; a warning alone does not */
    if ((lc_diags_errors(r.d) != 0) != (p == NULL)) {
      print_error("case %zu: plan %p with %zu errors\n", i, (void *)p, lc_diags_errors(r.d));
      failed++;
    }
    free(got);
    done(&r);
  }
  assert_int_equal(failed, 0);
}

/* Odd values anywhere in a request are reported, never a crash (run under ASan/UBSan). */
static void odd_values_do_not_crash(void **state) {
  (void)state;
  static const char *const values[] = {"", "null", "[]", "{}", "[[1]]", "{a: {b: [c]}}", "'{{'",
                                       "\"\\0\"", "{{ x }}", "-1", "1e999", "!!str 5"};
  static const char *const keys[] = {"headers", "query",   "body",      "json",     "form",
                                     "multipart", "auth",   "timeout",   "follow_redirects",
                                     "verify_tls", "client_cert", "http_version", "stream",
                                     "check",   "capture", "on_failure", "max_body", "name"};
  for (size_t k = 0; k < LC_ARRAY_LEN(keys); k++) {
    for (size_t v = 0; v < LC_ARRAY_LEN(values); v++) {
      char yaml[512];
      snprintf(yaml, sizeof yaml,
               HEAD "      - post: /\n        %s: %s\n"
                    "      - get: /\n        check: {%s: %s}\n"
                    "      - get: /\n        capture: {x: {json: $.a, %s: %s}}\n",
               keys[k], values[v], keys[k], values[v], keys[k], values[v]);
      struct run r;
      compile(&r, yaml);
      done(&r);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(tables_and_method_keys),
      cmocka_unit_test(methods_urls_and_defaults),
      cmocka_unit_test(headers_merge_in_order),
      cmocka_unit_test(json_body_is_one_template),
      cmocka_unit_test(query_form_multipart),
      cmocka_unit_test(auth_and_transport),
      cmocka_unit_test(checks_compile),
      cmocka_unit_test(needs_body_only_when_read),
      cmocka_unit_test(captures_compile),
      cmocka_unit_test(errors_are_exact),
      cmocka_unit_test(odd_values_do_not_crash),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
