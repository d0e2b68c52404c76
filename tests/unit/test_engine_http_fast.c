/* test_engine_http_fast.c: the fast client (engine/http_fast.c) on a libuv loop against the
 * real `loadc serve` started as a subprocess ($LOADC, on 127.0.0.1 with an ephemeral port), the
 * same cases as the curl client's test (test_engine_http.c) with the same messages: bodies,
 * statuses, cookies and keep-alive connections per session, methods, headers and auth,
 * redirects (and their method rules), timeouts, transport failures, chunked bodies, body
 * limits, streaming, concurrency, cancellation, what the fast client does not support, a kept
 * connection the server closed being retried once, and a loop that closes cleanly after every
 * test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>
#include <zlib.h>

#include "engine/base/base.h"
#include "engine/http_fast.h"

#define GUARD_MS 20000 /* no test waits longer for its responses */

static const char json_doc[] =
    "{\"name\": \"loadc\", \"version\": 1, \"count\": 3, \"ok\": true, \"nothing\": null,\n"
    " \"items\": [{\"id\": 1, \"name\": \"one\", \"tags\": [\"a\", \"b\"]},\n"
    "           {\"id\": 2, \"name\": \"two\", \"tags\": [\"b\"]},\n"
    "           {\"id\": 3, \"name\": \"three\", \"tags\": []}],\n"
    " \"nested\": {\"level\": 1, \"inner\": {\"level\": 2, \"values\": [1.5, 2.5, 3.5]}}}\n";

/* ---- the server ---- */

struct server {
  pid_t pid;
  FILE *out;
  char url[128];
};

static int group_setup(void **state) {
  const char *loadc = getenv("LOADC");
  if (!loadc) {
    fprintf(stderr, "LOADC (the path of the loadc executable) is not set\n");
    return -1;
  }
  alarm(300); /* a bound on the whole run, should the server never answer */
  int p[2];
  if (pipe(p)) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* the server goes when the test does, even on a crash */
    dup2(p[1], STDOUT_FILENO);
    close(p[0]);
    close(p[1]);
    execl(loadc, loadc, "serve", "--port", "0", "--quiet", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  struct server *srv = lc_xcalloc(1, sizeof *srv);
  srv->pid = pid;
  srv->out = fdopen(p[0], "r");
  if (!srv->out || !fgets(srv->url, sizeof srv->url, srv->out) ||
      strncmp(srv->url, "http://127.0.0.1:", 17) != 0) {
    fprintf(stderr, "loadc serve did not print its URL\n");
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    free(srv);
    return -1;
  }
  srv->url[strcspn(srv->url, "\r\n")] = '\0';
  *state = srv;
  return 0;
}

static int group_teardown(void **state) {
  struct server *srv = *state;
  int st = 0;
  kill(srv->pid, SIGTERM);
  waitpid(srv->pid, &st, 0);
  fclose(srv->out);
  free(srv);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* ---- one loop and client per test ---- */

struct fx {
  uv_loop_t loop;
  uv_timer_t guard;
  bool expired;
  int pending; /* responses waited for */
  struct lc_fast_client *c;
  const struct server *srv;
};

static int setup(void **state) {
  struct fx *f = lc_xcalloc(1, sizeof *f);
  f->srv = *state; /* the group's state: cmocka hands it to every test */
  assert_int_equal(uv_loop_init(&f->loop), 0);
  uv_timer_init(&f->loop, &f->guard);
  f->guard.data = f;
  f->c = lc_fast_client_new(&f->loop);
  assert_non_null(f->c);
  *state = f;
  return 0;
}

static void close_any(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* Freeing the client, then running the loop, leaves nothing open. (A test that failed half-way
 * may have left handles of its own: they are closed so that the next test can run.) */
static int teardown(void **state) {
  struct fx *f = *state;
  lc_fast_client_free(f->c);
  uv_close((uv_handle_t *)&f->guard, NULL);
  for (int i = 0; i < 10; i++) uv_run(&f->loop, UV_RUN_NOWAIT);
  int rc = uv_loop_close(&f->loop);
  if (rc != 0) {
    uv_walk(&f->loop, close_any, NULL);
    for (int i = 0; i < 10; i++) uv_run(&f->loop, UV_RUN_NOWAIT);
    uv_loop_close(&f->loop);
  }
  free(f);
  assert_int_equal(rc, 0);
  return 0;
}

static void on_guard(uv_timer_t *t) {
  struct fx *f = t->data;
  f->expired = true;
  uv_stop(&f->loop);
}

/* One response less to wait for. (Not UV_RUN_ONCE in a loop: a response that completes in
 * the timers phase would leave uv_run blocked in its poll phase.) */
static void response_in(struct fx *f) {
  if (--f->pending == 0) uv_stop(&f->loop);
}

/* Runs the loop until f->pending drops to 0 (or the guard expires: a failure). */
static void wait_all(struct fx *f) {
  f->expired = false;
  uv_timer_start(&f->guard, on_guard, GUARD_MS, 0);
  while (f->pending > 0 && !f->expired) uv_run(&f->loop, UV_RUN_DEFAULT);
  uv_timer_stop(&f->guard);
  assert_false(f->expired);
}

/* Runs the loop for ms milliseconds. */
static void run_for(struct fx *f, uint64_t ms) {
  f->expired = false;
  uv_timer_start(&f->guard, on_guard, ms, 0);
  while (!f->expired) uv_run(&f->loop, UV_RUN_DEFAULT);
}

/* ---- responses, copied out of the callback ---- */

struct result {
  int calls;
  struct fx *f; /* told of the response, unless NULL */
  int status;
  enum lc_http_error error;
  char msg[256];
  bool has_msg;
  int64_t start_us, headers_us, end_us;
  uint64_t body_bytes;
  char *body; /* NULL when the response had none */
  size_t body_len;
  char final_url[256];
  struct lc_buf headers; /* "name: value\n" each */
  size_t nheaders;
};

static void result_init(struct result *r, struct fx *f) {
  memset(r, 0, sizeof *r);
  r->f = f;
  lc_buf_init(&r->headers, 0);
}

static void result_release(struct result *r) {
  free(r->body);
  lc_buf_release(&r->headers);
}

static void on_done(void *ctx, const struct lc_http_response *resp) {
  struct result *r = ctx;
  r->calls++;
  r->status = resp->status;
  r->error = resp->error;
  r->has_msg = resp->error_message != NULL;
  snprintf(r->msg, sizeof r->msg, "%s", resp->error_message ? resp->error_message : "");
  r->start_us = resp->start_us;
  r->headers_us = resp->headers_us;
  r->end_us = resp->end_us;
  r->body_bytes = resp->body_bytes;
  free(r->body);
  r->body = resp->body ? lc_xstrndup(resp->body, resp->body_len) : NULL;
  r->body_len = resp->body_len;
  snprintf(r->final_url, sizeof r->final_url, "%s", resp->final_url ? resp->final_url : "");
  lc_buf_reset(&r->headers);
  for (size_t i = 0; i < resp->nheaders; i++)
    lc_buf_printf(&r->headers, "%s: %s\n", resp->headers[i].name, resp->headers[i].value);
  r->nheaders = resp->nheaders;
  if (r->f) response_in(r->f);
}

/* The value of header `name` (case-insensitive) in r, or NULL. Returns a static copy. */
static const char *result_header(const struct result *r, const char *name) {
  static char value[256];
  const char *p = r->headers.data;
  size_t n = strlen(name);
  for (; p && *p; p = strchr(p, '\n') + 1) {
    if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
      const char *v = p + n + 2;
      snprintf(value, sizeof value, "%.*s", (int)strcspn(v, "\n"), v);
      return value;
    }
  }
  return NULL;
}

static struct lc_http_request get_req(const char *url) {
  struct lc_http_request q;
  memset(&q, 0, sizeof q);
  q.method = "GET";
  q.url = url;
  q.timeout_us = 10 * 1000000;
  q.follow_redirects = true;
  q.verify_tls = true;
  q.http_version = 11;
  q.keep_body = true;
  q.max_body = 10 * 1024 * 1024;
  return q;
}

/* Sends q on s and runs the loop until the response; the callback must not run inside
 * lc_fast_send. */
static void do_req(struct fx *f, struct lc_fast_session *s, const struct lc_http_request *q,
                   struct result *r) {
  f->pending = 1;
  result_init(r, f);
  assert_int_equal(lc_fast_send(s, q, on_done, r), 0);
  assert_int_equal(r->calls, 0);
  wait_all(f);
  assert_int_equal(r->calls, 1);
  r->f = NULL;
}

static void do_get(struct fx *f, struct lc_fast_session *s, const char *path, struct result *r) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", f->srv->url, path);
  struct lc_http_request q = get_req(url);
  do_req(f, s, &q, r);
}

/* /__stats's connections.accepted, fetched on session st. */
static long stats_accepted(struct fx *f, struct lc_fast_session *st, long *total) {
  struct result r;
  do_get(f, st, "/__stats", &r);
  assert_int_equal(r.status, 200);
  const char *a = strstr(r.body, "\"accepted\": ");
  assert_non_null(a);
  long n = strtol(a + 12, NULL, 10);
  if (total) {
    const char *t = strstr(r.body, "\"total\": ");
    assert_non_null(t);
    *total = strtol(t + 9, NULL, 10);
  }
  result_release(&r);
  return n;
}

static void stats_reset(struct fx *f, struct lc_fast_session *st) {
  struct result r;
  do_get(f, st, "/__reset", &r);
  assert_int_equal(r.status, 200);
  result_release(&r);
}

/* ---- tests ---- */

static void get_json(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/json", f->srv->url);
  struct result r;
  do_get(f, s, "/json", &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_false(r.has_msg);
  assert_int_equal(r.status, 200);
  assert_non_null(r.body);
  assert_int_equal(r.body_len, sizeof json_doc - 1);
  assert_string_equal(r.body, json_doc);
  assert_int_equal(r.body_bytes, sizeof json_doc - 1);
  assert_string_equal(result_header(&r, "content-type"), "application/json");
  char len[32];
  snprintf(len, sizeof len, "%zu", sizeof json_doc - 1);
  assert_string_equal(result_header(&r, "Content-Length"), len);
  assert_string_equal(r.final_url, url);
  assert_true(r.start_us > 0);
  assert_true(r.start_us <= r.headers_us);
  assert_true(r.headers_us <= r.end_us);
  /* the same session again: nothing of the last response is left over */
  result_release(&r);
  do_get(f, s, "/status/201", &r);
  assert_int_equal(r.status, 201);
  assert_string_equal(r.body, "{\"status\": 201}");
  assert_null(result_header(&r, "x-none"));
  result_release(&r);
  lc_fast_session_free(s);
}

static void error_statuses(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  static const struct { const char *path; int status; } cases[] = {
      {"/status/404", 404}, {"/status/500", 500}, {"/no/such/path", 404}, {"/status/204", 204}};
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    struct result r;
    do_get(f, s, cases[i].path, &r);
    assert_int_equal(r.status, cases[i].status);
    assert_int_equal(r.error, LC_HTTP_OK);
    assert_false(r.has_msg);
    result_release(&r);
  }
  lc_fast_session_free(s);
}

static void cookies_per_session(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *a = lc_fast_session_new(f->c), *b = lc_fast_session_new(f->c);
  struct result r;
  do_get(f, a, "/cookies/set?flavour=oat&n=1", &r);
  assert_int_equal(r.status, 200);
  result_release(&r);
  do_get(f, a, "/cookies", &r);
  assert_string_equal(r.body, "{\"cookies\": {\"flavour\": \"oat\", \"n\": \"1\"}}");
  result_release(&r);
  do_get(f, b, "/cookies", &r);
  assert_string_equal(r.body, "{\"cookies\": {}}");
  result_release(&r);
  do_get(f, b, "/cookies/set?n=2", &r);
  result_release(&r);
  do_get(f, a, "/cookies/delete?flavour", &r);
  result_release(&r);
  do_get(f, a, "/cookies", &r);
  assert_string_equal(r.body, "{\"cookies\": {\"n\": \"1\"}}");
  result_release(&r);
  do_get(f, b, "/cookies", &r);
  assert_string_equal(r.body, "{\"cookies\": {\"n\": \"2\"}}");
  result_release(&r);
  lc_fast_session_free(a);
  lc_fast_session_free(b);
}

static void keep_alive(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *st = lc_fast_session_new(f->c), *s = lc_fast_session_new(f->c);
  stats_reset(f, st); /* st's connection was accepted before the reset */
  for (int i = 0; i < 20; i++) {
    struct result r;
    do_get(f, s, "/json", &r);
    assert_int_equal(r.status, 200);
    result_release(&r);
  }
  long total;
  assert_int_equal(stats_accepted(f, st, &total), 1);
  assert_int_equal(total, 20);
  lc_fast_session_free(s);
  lc_fast_session_free(st);
}

/* Two users taking turns keep one connection each: neither picks up the other's. */
static void sessions_do_not_share_connections(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *st = lc_fast_session_new(f->c);
  struct lc_fast_session *a = lc_fast_session_new(f->c), *b = lc_fast_session_new(f->c);
  stats_reset(f, st);
  for (int i = 0; i < 6; i++) {
    struct result r;
    do_get(f, i % 2 ? b : a, "/json", &r);
    assert_int_equal(r.status, 200);
    result_release(&r);
  }
  assert_int_equal(stats_accepted(f, st, NULL), 2);
  lc_fast_session_free(a);
  lc_fast_session_free(b);
  lc_fast_session_free(st);
}

/* /__stats's connections.open, fetched on session st (so st's own connection counts). */
static long stats_open(struct fx *f, struct lc_fast_session *st) {
  struct result r;
  do_get(f, st, "/__stats", &r);
  assert_int_equal(r.status, 200);
  const char *a = strstr(r.body, "\"open\": ");
  assert_non_null(a);
  long n = strtol(a + 8, NULL, 10);
  result_release(&r);
  return n;
}

/* A session that ends ends its connection: the server sees it close. */
static void freed_session_closes_its_connection(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *st = lc_fast_session_new(f->c);
  struct lc_fast_session *a = lc_fast_session_new(f->c), *b = lc_fast_session_new(f->c);
  struct result r;
  do_get(f, a, "/json", &r);
  result_release(&r);
  do_get(f, b, "/json", &r);
  result_release(&r);
  assert_int_equal(stats_open(f, st), 3);
  lc_fast_session_free(a);
  run_for(f, 100);
  assert_int_equal(stats_open(f, st), 2);
  do_get(f, b, "/json", &r); /* b still has its own */
  assert_int_equal(r.status, 200);
  result_release(&r);
  lc_fast_session_free(b);
  run_for(f, 100);
  assert_int_equal(stats_open(f, st), 1);
  lc_fast_session_free(st);
}

static void post_echo(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/echo?x=1", f->srv->url);
  static const struct lc_http_header hs[] = {{"X-Test", "one two"}, {"X-Empty", ""}};
  struct lc_http_request q = get_req(url);
  q.method = "POST";
  q.headers = hs;
  q.nheaders = LC_ARRAY_LEN(hs);
  q.body = "hello=world&bin=\x01";
  q.body_len = 13; /* only "hello=world&b" */
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"method\": \"POST\""));
  assert_non_null(strstr(r.body, "\"body\": \"hello=world&b\""));
  assert_non_null(strstr(r.body, "\"x-test\": \"one two\""));
  assert_non_null(strstr(r.body, "\"x-empty\": \"\""));
  assert_non_null(strstr(r.body, "\"content-length\": \"13\""));
  assert_non_null(strstr(r.body, "\"user-agent\": \"loadc/"));
  assert_null(strstr(r.body, "\"expect\"")); /* no 100-continue round trip */
  assert_null(strstr(r.body, "\"content-type\"")); /* no form type of its own */
  result_release(&r);

  /* a larger body (not all taken by the first write) with a content type */
  size_t big = 2 * 1024 * 1024;
  char *body = lc_xmalloc(big);
  memset(body, 'z', big);
  static const struct lc_http_header ct[] = {{"Content-Type", "text/plain"}};
  q.body = body;
  q.body_len = big;
  q.headers = ct;
  q.nheaders = 1;
  q.max_body = 4 * 1024 * 1024;
  do_req(f, s, &q, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"content-type\": \"text/plain\""));
  assert_non_null(strstr(r.body, "\"content-length\": \"2097152\""));
  assert_null(strstr(r.body, "\"expect\""));
  assert_non_null(strstr(r.body, "zzzzzzzz\"}"));
  result_release(&r);
  free(body);

  /* other methods, with and without a body; then a GET on the same handle is a GET again */
  q = get_req(url);
  q.method = "PUT";
  q.body = "{\"a\": 1}";
  q.body_len = 8;
  do_req(f, s, &q, &r);
  assert_non_null(strstr(r.body, "\"method\": \"PUT\""));
  assert_non_null(strstr(r.body, "\"body\": \"{\\\"a\\\": 1}\""));
  result_release(&r);
  q = get_req(url);
  q.method = "DELETE";
  do_req(f, s, &q, &r);
  assert_non_null(strstr(r.body, "\"method\": \"DELETE\""));
  assert_non_null(strstr(r.body, "\"content-length\": \"0\""));
  result_release(&r);
  q = get_req(url);
  do_req(f, s, &q, &r);
  assert_non_null(strstr(r.body, "\"method\": \"GET\""));
  assert_non_null(strstr(r.body, "\"body\": \"\""));
  assert_null(strstr(r.body, "\"content-length\""));
  assert_null(strstr(r.body, "\"x-test\"")); /* the last request's headers are gone */
  result_release(&r);
  lc_fast_session_free(s);
}

/* What the fast client does not do fails with a message saying so, from the loop. */
static void unsupported(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/echo", f->srv->url);
  struct lc_http_part parts[] = {{.name = "field", .value = "v1", .value_len = 2}};
  struct lc_http_request q = get_req(url);
  q.method = "POST";
  q.parts = parts;
  q.nparts = 1;
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_EOTHER);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.msg, "multipart bodies are not supported by the fast client");
  result_release(&r);
  q = get_req(url);
  q.auth_user = "u";
  q.auth_password = "p";
  q.auth_digest = true;
  do_req(f, s, &q, &r);
  assert_string_equal(r.msg, "digest authentication is not supported by the fast client");
  result_release(&r);
  snprintf(url, sizeof url, "https://%s/json", f->srv->url + strlen("http://"));
  q = get_req(url);
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_EOTHER);
  assert_string_equal(r.msg, "https is not supported by the fast client (client: curl)");
  result_release(&r);
  static const char *const bad[] = {"ftp://127.0.0.1/", "http://user:pw@127.0.0.1/", "nothing",
                                    "http:///x", "http://127.0.0.1:99999/", "http://127.0.0.1:x/"};
  static const char *const msgs[] = {
      "unsupported protocol 'ftp'", "credentials in the URL are not supported by the fast client",
      "malformed URL (no scheme)", "malformed URL", "malformed URL", "malformed URL"};
  for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
    q = get_req(bad[i]);
    do_req(f, s, &q, &r);
    assert_int_equal(r.error, LC_HTTP_EOTHER);
    assert_string_equal(r.msg, msgs[i]);
    result_release(&r);
  }
  do_get(f, s, "/json", &r); /* and the session goes on */
  assert_int_equal(r.status, 200);
  result_release(&r);
  lc_fast_session_free(s);
}

/* The user asks for 100-continue: the interim response is not the one reported. */
static void expect_continue(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/echo", f->srv->url);
  static const struct lc_http_header hs[] = {{"Expect", "100-continue"}};
  struct lc_http_request q = get_req(url);
  q.method = "POST";
  q.headers = hs;
  q.nheaders = 1;
  q.body = "payload";
  q.body_len = 7;
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"body\": \"payload\""));
  assert_non_null(strstr(r.body, "\"expect\": \"100-continue\""));
  assert_string_equal(result_header(&r, "content-type"), "application/json");
  result_release(&r);
  lc_fast_session_free(s);
}

static void basic_auth(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/echo", f->srv->url);
  struct lc_http_request q = get_req(url);
  q.auth_user = "user";
  q.auth_password = "pass";
  struct result r;
  do_req(f, s, &q, &r);
  assert_non_null(strstr(r.body, "\"authorization\": \"Basic dXNlcjpwYXNz\""));
  result_release(&r);
  q.auth_user = q.auth_password = NULL; /* the next request has none */
  do_req(f, s, &q, &r);
  assert_null(strstr(r.body, "\"authorization\""));
  result_release(&r);
  lc_fast_session_free(s);
}

static void head(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/json", f->srv->url);
  struct lc_http_request q = get_req(url);
  q.method = "HEAD";
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_bytes, 0);
  assert_int_equal(r.body_len, 0);
  char len[32];
  snprintf(len, sizeof len, "%zu", sizeof json_doc - 1);
  assert_string_equal(result_header(&r, "content-length"), len);
  result_release(&r);
  q.method = "GET"; /* and the handle does GETs with bodies again */
  do_req(f, s, &q, &r);
  assert_string_equal(r.body, json_doc);
  result_release(&r);
  lc_fast_session_free(s);
}

static void redirects(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/redirect/3", f->srv->url);
  struct lc_http_request q = get_req(url);
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "{\"redirects\": \"done\"}");
  size_t n = strlen(r.final_url);
  assert_true(n > 11 && strcmp(r.final_url + n - 11, "/redirect/0") == 0);
  assert_null(result_header(&r, "location")); /* the final response's headers only */
  assert_int_equal(r.nheaders, 4);             /* Server, Date, Content-Type, Content-Length */
  result_release(&r);

  q.follow_redirects = false;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.status, 302);
  assert_string_equal(result_header(&r, "location"), "/redirect/2");
  assert_string_equal(r.final_url, url);
  result_release(&r);

  snprintf(url, sizeof url, "%s/redirect/31", f->srv->url);
  q.follow_redirects = true;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_ETOOMANYREDIRECTS);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.msg, "too many redirects (more than 30)");
  result_release(&r);
  lc_fast_session_free(s);
}

static void timeout(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/delay/2000", f->srv->url);
  struct lc_http_request q = get_req(url);
  q.timeout_us = 200 * 1000;
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_ETIMEDOUT);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.msg, "timeout after 200ms");
  assert_null(r.body);
  assert_int_equal(r.headers_us, 0);
  assert_true(r.end_us >= r.start_us);
  result_release(&r);
  q.timeout_us = 1000000; /* and in seconds */
  do_req(f, s, &q, &r);
  assert_string_equal(r.msg, "timeout after 1s");
  result_release(&r);
  do_get(f, s, "/json", &r); /* the session goes on */
  assert_int_equal(r.status, 200);
  result_release(&r);
  lc_fast_session_free(s);
}

static void connection_refused(void **state) {
  struct fx *f = *state;
  /* a port bound but not listening refuses connections, and nobody else can take it */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/json", ntohs(a.sin_port));
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  struct lc_http_request q = get_req(url);
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_ECONNREFUSED);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.msg, "connection refused");
  assert_int_equal(r.headers_us, 0);
  result_release(&r);
  close(fd);
  lc_fast_session_free(s);
}

static void dropped(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  struct result r;
  do_get(f, s, "/drop", &r);
  assert_int_equal(r.error, LC_HTTP_ECONNRESET);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.msg, "connection closed without a response");
  result_release(&r);
  lc_fast_session_free(s);
}

static void garbage(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  struct result r;
  do_get(f, s, "/garbage", &r);
  assert_int_equal(r.error, LC_HTTP_EPROTOCOL);
  assert_int_equal(r.status, 0);
  assert_int_equal(strncmp(r.msg, "malformed response: ", 20), 0);
  result_release(&r);
  do_get(f, s, "/json", &r); /* a new connection for the next request */
  assert_int_equal(r.status, 200);
  result_release(&r);
  lc_fast_session_free(s);
}

static void body_too_big(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/bytes/20000000", f->srv->url);
  struct lc_http_request q = get_req(url);
  q.max_body = 1024 * 1024;
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_ETOOBIG);
  assert_string_equal(r.msg, "response body larger than max_body (1 MiB)");
  assert_int_equal(r.status, 200); /* not a transport failure: the status was read */
  assert_null(r.body);
  result_release(&r);
  /* exactly max_body is not too big */
  snprintf(url, sizeof url, "%s/bytes/1048576", f->srv->url);
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.body_len, 1024 * 1024);
  assert_int_equal(r.body[0], 'a');
  assert_int_equal(r.body[1024 * 1024 - 1], 'a' + (1024 * 1024 - 1) % 26);
  result_release(&r);
  q.max_body = 1000;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_ETOOBIG);
  assert_string_equal(r.msg, "response body larger than max_body (1000 bytes)");
  result_release(&r);
  lc_fast_session_free(s);
}

static void big_body_not_kept(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/bytes/20000000", f->srv->url);
  struct lc_http_request q = get_req(url);
  q.keep_body = false;
  q.max_body = 1024 * 1024;
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_bytes, 20000000);
  assert_null(r.body);
  assert_int_equal(r.body_len, 0);
  result_release(&r);
  lc_fast_session_free(s);
}

static void stream(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/slow-body/300", f->srv->url);
  struct lc_http_request q = get_req(url);
  q.stream = true;
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.status, 200);
  assert_true(r.headers_us > 0);
  assert_true(r.start_us <= r.headers_us);
  assert_true(r.headers_us < r.end_us);
  assert_null(r.body); /* drained, not kept, though keep_body was asked */
  assert_int_equal(r.body_bytes, strlen("{\"slow_body_ms\": 300}"));
  result_release(&r);
  lc_fast_session_free(s);
}

/* Through the name "localhost", resolved once by the client. */
static void host_name(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "http://localhost:%s/json", strrchr(f->srv->url, ':') + 1);
  struct lc_http_request q = get_req(url);
  for (int i = 0; i < 3; i++) {
    struct result r;
    do_req(f, s, &q, &r);
    assert_int_equal(r.error, LC_HTTP_OK);
    assert_string_equal(r.body, json_doc);
    result_release(&r);
  }
  q.http_version = 2; /* plain http: HTTP/2 only over TLS, so 1.1 here */
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.status, 200);
  result_release(&r);
  lc_fast_session_free(s);
}

/* A failure inside lc_fast_send still comes through the callback, later, from the loop. */
static void deferred_failure(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/json", f->srv->url);
  size_t n = 1100 * 1024;
  char *big = lc_xmalloc(n + 1);
  memset(big, 'v', n);
  big[n] = '\0';
  struct lc_http_header h = {"X-Big", big};
  struct lc_http_request q = get_req(url);
  q.headers = &h;
  q.nheaders = 1;
  struct result r;
  do_req(f, s, &q, &r); /* checks the callback did not run inside lc_fast_send */
  assert_int_equal(r.error, LC_HTTP_EOTHER);
  assert_string_equal(r.msg, "cannot start the request: request headers larger than 1048576 bytes");
  result_release(&r);
  free(big);
  /* one request at a time per session */
  f->pending = 1;
  result_init(&r, f);
  q.headers = NULL;
  q.nheaders = 0;
  assert_int_equal(lc_fast_send(s, &q, on_done, &r), 0);
  struct result r2;
  result_init(&r2, NULL);
  assert_int_equal(lc_fast_send(s, &q, on_done, &r2), LC_EINVAL);
  wait_all(f);
  assert_int_equal(r.status, 200);
  assert_int_equal(r2.calls, 0);
  result_release(&r);
  result_release(&r2);
  lc_fast_session_free(s);
}

struct chain {
  struct lc_fast_session *s;
  const struct lc_http_request *q;
  int left, ok, calls;
  struct fx *f;
};

/* Sends the session's next request from the callback, then reads the response: it stays
 * valid until the callback returns (ASan checks). */
static void on_chain(void *ctx, const struct lc_http_response *resp) {
  struct chain *ch = ctx;
  ch->calls++;
  bool again = --ch->left > 0 && lc_fast_send(ch->s, ch->q, on_chain, ch) == 0;
  if (resp->error == LC_HTTP_OK && resp->status == 200 && resp->body_len == sizeof json_doc - 1 &&
      strcmp(resp->body, json_doc) == 0 && strcmp(resp->final_url, ch->q->url) == 0 &&
      resp->nheaders == 4 && strcmp(resp->headers[0].name, "Server") == 0 &&
      strcmp(resp->headers[0].value, "loadc") == 0)
    ch->ok++;
  if (!again) response_in(ch->f);
}

static void concurrent_sessions(void **state) {
  struct fx *f = *state;
  enum { N = 100, PER = 5 };
  struct lc_fast_session *st = lc_fast_session_new(f->c);
  stats_reset(f, st);
  char url[256];
  snprintf(url, sizeof url, "%s/json", f->srv->url);
  struct lc_http_request q = get_req(url);
  struct chain *ch = lc_xcalloc(N, sizeof *ch);
  f->pending = N;
  for (int i = 0; i < N; i++) {
    ch[i].s = lc_fast_session_new(f->c);
    ch[i].q = &q;
    ch[i].left = PER;
    ch[i].f = f;
    assert_int_equal(lc_fast_send(ch[i].s, &q, on_chain, &ch[i]), 0);
  }
  wait_all(f);
  for (int i = 0; i < N; i++) {
    assert_int_equal(ch[i].calls, PER);
    assert_int_equal(ch[i].ok, PER);
  }
  long total;
  assert_int_equal(stats_accepted(f, st, &total), N);
  assert_int_equal(total, N * PER);
  for (int i = 0; i < N; i++) lc_fast_session_free(ch[i].s);
  free(ch);
  lc_fast_session_free(st);
}

static void on_free_timer(uv_timer_t *t) {
  struct lc_fast_session **s = t->data;
  lc_fast_session_free(*s);
  *s = NULL;
}

static void free_mid_request(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c), *other = lc_fast_session_new(f->c);
  char url[256], url2[256];
  snprintf(url, sizeof url, "%s/delay/400", f->srv->url);
  snprintf(url2, sizeof url2, "%s/slow-body/400", f->srv->url);
  struct lc_http_request q = get_req(url), q2 = get_req(url2);
  struct result r, r2;
  result_init(&r, NULL);
  result_init(&r2, NULL);
  assert_int_equal(lc_fast_send(s, &q, on_done, &r), 0);
  assert_int_equal(lc_fast_send(other, &q2, on_done, &r2), 0);
  uv_timer_t t;
  uv_timer_init(&f->loop, &t);
  struct lc_fast_session *victims[] = {s, other};
  t.data = &victims[0];
  uv_timer_start(&t, on_free_timer, 100, 0); /* s: waiting for the headers */
  uv_timer_t t2;
  uv_timer_init(&f->loop, &t2);
  t2.data = &victims[1];
  uv_timer_start(&t2, on_free_timer, 150, 0); /* other: headers in, waiting for the body */
  run_for(f, 700);
  uv_close((uv_handle_t *)&t, NULL); /* (stack handles: closed before any assertion) */
  uv_close((uv_handle_t *)&t2, NULL);
  run_for(f, 1);
  assert_int_equal(r.calls, 0);
  assert_int_equal(r2.calls, 0);
  assert_null(victims[0]);
  assert_null(victims[1]);
  result_release(&r);
  result_release(&r2);
  /* a request freed before the loop ever ran */
  s = lc_fast_session_new(f->c);
  result_init(&r, NULL);
  assert_int_equal(lc_fast_send(s, &q, on_done, &r), 0);
  lc_fast_session_free(s);
  run_for(f, 50);
  assert_int_equal(r.calls, 0);
  result_release(&r);
}

/* Freeing the client with requests in flight and kept connections: no callback runs, and the
 * loop closes (the teardown checks uv_loop_close). */
static void client_free_in_flight(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *idle = lc_fast_session_new(f->c), *busy = lc_fast_session_new(f->c);
  struct result r;
  do_get(f, idle, "/json", &r);
  result_release(&r);
  char url[256];
  snprintf(url, sizeof url, "%s/delay/300", f->srv->url);
  struct lc_http_request q = get_req(url);
  result_init(&r, NULL);
  assert_int_equal(lc_fast_send(busy, &q, on_done, &r), 0);
  run_for(f, 50);
  lc_fast_client_free(f->c);
  f->c = NULL;
  run_for(f, 400);
  assert_int_equal(r.calls, 0);
  result_release(&r);
}

struct freer {
  struct fx *f;
  struct lc_fast_session *s;
  bool free_client;
  int calls;
};

static void on_done_free(void *ctx, const struct lc_http_response *resp) {
  struct freer *fr = ctx;
  fr->calls++;
  if (resp->status == 200) {
    if (fr->free_client) {
      lc_fast_client_free(fr->f->c); /* frees the sessions too */
      fr->f->c = NULL;
    } else {
      lc_fast_session_free(fr->s);
    }
  }
  response_in(fr->f);
}

/* A callback may free its own session, or the whole client, while other requests are in
 * flight: those never call back, and nothing is used after being freed (ASan). */
static void free_from_callback(void **state) {
  struct fx *f = *state;
  char url[256], slow[256];
  snprintf(url, sizeof url, "%s/json", f->srv->url);
  snprintf(slow, sizeof slow, "%s/delay/300", f->srv->url);
  struct lc_http_request q = get_req(url), qs = get_req(slow);
  struct freer a = {f, lc_fast_session_new(f->c), false, 0};
  f->pending = 1;
  assert_int_equal(lc_fast_send(a.s, &q, on_done_free, &a), 0);
  wait_all(f);
  assert_int_equal(a.calls, 1);
  struct freer b = {f, lc_fast_session_new(f->c), true, 0};
  struct freer other = {f, lc_fast_session_new(f->c), false, 0};
  f->pending = 1;
  assert_int_equal(lc_fast_send(other.s, &qs, on_done_free, &other), 0);
  assert_int_equal(lc_fast_send(b.s, &q, on_done_free, &b), 0);
  wait_all(f);
  assert_null(f->c);
  run_for(f, 400);
  assert_int_equal(b.calls, 1);
  assert_int_equal(other.calls, 0);
}

struct hammer {
  struct fx *f;
  struct lc_fast_session *s;
  const struct lc_http_request *q;
  bool stop;
  long failures;
};

static void on_hammer(void *ctx, const struct lc_http_response *resp) {
  struct hammer *h = ctx;
  if (resp->error != LC_HTTP_OK) h->failures++;
  if (h->stop || lc_fast_send(h->s, h->q, on_hammer, h) != 0) response_in(h->f);
}

static void on_stop_hammer(uv_timer_t *t) { ((struct hammer *)t->data)->stop = true; }

/* A user that sends again from the callback of a request failing at once (refused on
 * loopback, or failing inside lc_fast_send) must not starve the loop: the timer that stops it
 * still fires. (Were new transfers started by a 0 ms uv_timer, libuv 1.44 would run it again
 * and again without ever polling, and this test would hang until its alarm.) */
static void immediate_failures_do_not_starve_the_loop(void **state) {
  struct fx *f = *state;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
  size_t n = 1100 * 1024;
  char *big = lc_xmalloc(n + 1);
  memset(big, 'v', n);
  big[n] = '\0';
  struct lc_http_header h = {"X-Big", big};
  struct lc_http_request refused = get_req(url), unstartable = get_req(url);
  unstartable.headers = &h;
  unstartable.nheaders = 1;
  const struct lc_http_request *qs[] = {&refused, &unstartable};
  for (size_t i = 0; i < LC_ARRAY_LEN(qs); i++) {
    struct hammer hm = {f, lc_fast_session_new(f->c), qs[i], false, 0};
    uv_timer_t t;
    uv_timer_init(&f->loop, &t);
    t.data = &hm;
    uv_timer_start(&t, on_stop_hammer, 100, 0);
    f->pending = 1;
    assert_int_equal(lc_fast_send(hm.s, qs[i], on_hammer, &hm), 0);
    wait_all(f);
    uv_close((uv_handle_t *)&t, NULL);
    run_for(f, 1);
    lc_fast_session_free(hm.s);
    assert_true(hm.stop);
    assert_true(hm.failures > 1);
  }
  free(big);
  close(fd);
}

/* A one-answer server on the test's loop: each connection gets "ok" to its first request and
 * is closed by the server 50 ms later, while the client keeps it as an idle connection (or at
 * once, with close_at_once). */
struct mini {
  uv_tcp_t server;
  int accepted, answered;
  bool close_at_once;
  bool reset; /* resets each connection at its first bytes, without an answer */
  const char *answer; /* the response sent instead of the 2-byte "ok" when set */
  size_t answer_len;
};

struct mini_conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  struct mini *m;
  int handles;
  bool closing;
};

static void mini_conn_closed(uv_handle_t *h) {
  struct mini_conn *mc = h->data;
  if (--mc->handles == 0) free(mc);
}

static void mini_conn_close(struct mini_conn *mc) {
  if (mc->closing) return;
  mc->closing = true;
  uv_close((uv_handle_t *)&mc->tcp, mini_conn_closed);
  uv_close((uv_handle_t *)&mc->timer, mini_conn_closed);
}

static void mini_on_timer(uv_timer_t *t) { mini_conn_close(t->data); }

static void mini_alloc(uv_handle_t *h, size_t n, uv_buf_t *b) {
  static char buf[4096];
  (void)h;
  (void)n;
  *b = uv_buf_init(buf, sizeof buf - 1);
}

static void mini_written(uv_write_t *w, int status) {
  (void)status;
  free(w);
}

static void mini_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
  struct mini_conn *mc = st->data;
  if (n < 0) {
    mini_conn_close(mc);
    return;
  }
  b->base[n] = '\0';
  if (mc->m->reset) {
    uv_os_fd_t fd;
    struct linger lg = {1, 0};
    if (uv_fileno((uv_handle_t *)st, &fd) == 0) setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    mini_conn_close(mc);
    return;
  }
  if (!strstr(b->base, "\r\n\r\n")) return; /* requests are small: one read */
  static char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  uv_buf_t out = uv_buf_init(answer, sizeof answer - 1);
  if (mc->m->answer) out = uv_buf_init((char *)mc->m->answer, (unsigned)mc->m->answer_len);
  mc->m->answered++;
  if (mc->m->close_at_once) {
    uv_try_write(st, &out, 1);
    mini_conn_close(mc);
    return;
  }
  uv_write_t *w = lc_xmalloc(sizeof *w);
  uv_write(w, st, &out, 1, mini_written);
  /* a given answer may be large: the client's close ends the connection first */
  uv_timer_start(&mc->timer, mini_on_timer, mc->m->answer ? 10000 : 50, 0);
}

static void mini_on_connection(uv_stream_t *server, int status) {
  struct mini *m = server->data;
  if (status < 0) return;
  struct mini_conn *mc = lc_xcalloc(1, sizeof *mc);
  mc->m = m;
  uv_tcp_init(server->loop, &mc->tcp);
  uv_timer_init(server->loop, &mc->timer);
  mc->tcp.data = mc->timer.data = mc;
  mc->handles = 2;
  if (uv_accept(server, (uv_stream_t *)&mc->tcp) == 0) {
    m->accepted++;
    uv_read_start((uv_stream_t *)&mc->tcp, mini_alloc, mini_read);
  } else {
    mini_conn_close(mc);
  }
}

static void on_check(uv_check_t *h) { (*(int *)h->data)++; }

/* The server closes a connection the session keeps: the idle connection sees the close (the
 * loop does not spin on it), and the next request takes a new connection. */
static void mini_closed(uv_handle_t *h) { free(h->data); }

static void idle_connection_closed_by_server(void **state) {
  struct fx *f = *state;
  struct mini *m = lc_xcalloc(1, sizeof *m); /* freed when its handle closes */
  uv_tcp_init(&f->loop, &m->server);
  m->server.data = m;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  assert_int_equal(uv_tcp_bind(&m->server, (const struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&m->server, 16, mini_on_connection), 0);
  int len = sizeof a;
  uv_tcp_getsockname(&m->server, (struct sockaddr *)&a, &len);
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  struct lc_http_request q = get_req(url);
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok");
  result_release(&r);
  int iterations = 0;
  uv_check_t check;
  uv_check_init(&f->loop, &check);
  check.data = &iterations;
  uv_check_start(&check, on_check);
  run_for(f, 300);
  uv_close((uv_handle_t *)&check, NULL);
  run_for(f, 1);
  assert_true(iterations < 100); /* a spinning loop makes tens of thousands */
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_string_equal(r.body, "ok");
  assert_int_equal(m->accepted, 2);
  assert_int_equal(m->answered, 2);
  result_release(&r);
  lc_fast_session_free(s);
  uv_close((uv_handle_t *)&m->server, mini_closed);
  run_for(f, 100); /* the second connection's close */
}

/* ---- compressed bodies ---- */

/* data compressed with zlib: window_bits 15 + 16 for gzip, 15 for zlib, -15 for raw deflate.
 * The result is the caller's (free). */
static unsigned char *compress_with(const char *data, size_t n, int window_bits, size_t *out_len) {
  z_stream z;
  memset(&z, 0, sizeof z);
  assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  size_t cap = deflateBound(&z, (uLong)n) + 64;
  unsigned char *out = lc_xmalloc(cap);
  z.next_in = (Bytef *)(uintptr_t)data;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  *out_len = cap - z.avail_out;
  deflateEnd(&z);
  return out;
}

/* A response with `encoding` and body[0..n), framed by Content-Length, or chunked in pieces of
 * 1000 bytes. */
static void make_answer(struct lc_buf *b, const char *encoding, const unsigned char *body, size_t n,
                        bool chunked) {
  lc_buf_reset(b);
  lc_buf_printf(b, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: %s\r\n",
                encoding);
  if (!chunked) {
    lc_buf_printf(b, "Content-Length: %zu\r\n\r\n", n);
    lc_buf_append(b, body, n);
    return;
  }
  lc_buf_puts(b, "Transfer-Encoding: chunked\r\n\r\n");
  for (size_t at = 0; at < n; at += 1000) {
    size_t k = n - at < 1000 ? n - at : 1000;
    lc_buf_printf(b, "%zx\r\n", k);
    lc_buf_append(b, body + at, k);
    lc_buf_puts(b, "\r\n");
  }
  lc_buf_puts(b, "0\r\n\r\n");
}

/* One request to the mini server answering b, on a new session. */
static void mini_request(struct fx *f, struct mini *m, const char *url, const struct lc_buf *b,
                         bool keep, uint64_t max_body, struct result *r) {
  m->answer = b->data;
  m->answer_len = b->len;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  struct lc_http_request q = get_req(url);
  q.keep_body = keep;
  q.max_body = max_body;
  do_req(f, s, &q, r);
  lc_fast_session_free(s);
}

/* A kept body with Content-Encoding gzip, x-gzip or deflate (zlib or raw) is decoded as it
 * arrives: the body and body_bytes are the decoded ones, max_body applies to the decoded size,
 * a corrupt or truncated body fails; a body not kept is drained as it came. */
static void compressed_bodies(void **state) {
  struct fx *f = *state;
  struct mini *m = lc_xcalloc(1, sizeof *m); /* freed when its handle closes */
  uv_tcp_init(&f->loop, &m->server);
  m->server.data = m;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  assert_int_equal(uv_tcp_bind(&m->server, (const struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&m->server, 16, mini_on_connection), 0);
  int len = sizeof a;
  uv_tcp_getsockname(&m->server, (struct sockaddr *)&a, &len);
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
  struct lc_buf b;
  lc_buf_init(&b, 0);
  struct result r;
  size_t jn = strlen(json_doc), zn;

  /* gzip JSON with Content-Length */
  unsigned char *gz = compress_with(json_doc, jn, 15 + 16, &zn);
  assert_true(zn < jn);
  make_answer(&b, "gzip", gz, zn, false);
  mini_request(f, m, url, &b, true, 1024 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, jn);
  assert_string_equal(r.body, json_doc);
  assert_int_equal(r.body_bytes, jn);
  result_release(&r);

  /* max_body applies to the decoded size: the compressed body fits, the decoded one does not */
  mini_request(f, m, url, &b, true, jn - 1, &r);
  assert_int_equal(r.error, LC_HTTP_ETOOBIG);
  assert_int_equal(r.status, 200);
  char expect[128];
  snprintf(expect, sizeof expect, "response body larger than max_body (%zu bytes)", jn - 1);
  assert_string_equal(r.msg, expect);
  assert_null(r.body);
  result_release(&r);
  mini_request(f, m, url, &b, true, jn, &r); /* exactly max_body is not too big */
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.body_len, jn);
  result_release(&r);

  /* not kept: drained undecoded */
  mini_request(f, m, url, &b, false, 1024 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.body_bytes, zn);
  assert_null(r.body);
  result_release(&r);

  /* corrupt: the gzip header, then garbage */
  unsigned char bad[64];
  memcpy(bad, gz, 10);
  memset(bad + 10, 0xff, sizeof bad - 10);
  make_answer(&b, "gzip", bad, sizeof bad, false);
  mini_request(f, m, url, &b, true, 1024 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_EPROTOCOL);
  assert_int_equal(strncmp(r.msg, "malformed response: bad gzip body (", 35), 0);
  assert_null(r.body);
  result_release(&r);
  /* not kept, the same corrupt body is not looked at */
  mini_request(f, m, url, &b, false, 1024 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.body_bytes, sizeof bad);
  result_release(&r);

  /* truncated: the stream never ends */
  make_answer(&b, "gzip", gz, zn - 8, false);
  mini_request(f, m, url, &b, true, 1024 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_EPROTOCOL);
  assert_string_equal(r.msg, "malformed response: bad gzip body (truncated)");
  result_release(&r);
  free(gz);

  /* a large body (many reads, decoded output larger than one inflate buffer), chunked, x-gzip */
  struct lc_buf big;
  lc_buf_init(&big, 0);
  for (int i = 0; i < 40000; i++) lc_buf_printf(&big, "line %d of the body %d\n", i, i * 7919 % 1000);
  gz = compress_with(big.data, big.len, 15 + 16, &zn);
  assert_true(zn > 3 * 16 * 1024);
  make_answer(&b, "X-Gzip", gz, zn, true);
  mini_request(f, m, url, &b, true, 10 * 1024 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.body_len, big.len);
  assert_int_equal(r.body_bytes, big.len);
  assert_memory_equal(r.body, big.data, big.len);
  result_release(&r);
  mini_request(f, m, url, &b, true, 100 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_ETOOBIG);
  assert_string_equal(r.msg, "response body larger than max_body (100 KiB)");
  result_release(&r);
  free(gz);

  /* deflate: zlib-wrapped, and raw */
  gz = compress_with(json_doc, jn, 15, &zn);
  make_answer(&b, "deflate", gz, zn, false);
  mini_request(f, m, url, &b, true, 1024 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_string_equal(r.body, json_doc);
  assert_int_equal(r.body_bytes, jn);
  result_release(&r);
  free(gz);
  gz = compress_with(json_doc, jn, -15, &zn);
  make_answer(&b, "deflate", gz, zn, false);
  mini_request(f, m, url, &b, true, 1024 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_string_equal(r.body, json_doc);
  result_release(&r);
  free(gz);

  /* another coding is kept as it came */
  make_answer(&b, "br", (const unsigned char *)"abc", 3, false);
  mini_request(f, m, url, &b, true, 1024 * 1024, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_string_equal(r.body, "abc");
  result_release(&r);

  lc_buf_release(&big);
  lc_buf_release(&b);
  uv_close((uv_handle_t *)&m->server, mini_closed);
  run_for(f, 100);
}

/* The server's count of requests "METHOD /path" since its last reset (fetched on st). */
static long stats_count(struct fx *f, struct lc_fast_session *st, const char *key) {
  struct result r;
  do_get(f, st, "/__stats", &r);
  assert_int_equal(r.status, 200);
  char pat[256];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *a = strstr(r.body, pat);
  long n = a ? strtol(a + strlen(pat), NULL, 10) : 0;
  result_release(&r);
  return n;
}

/* body[i] is 'a' + i % 26, as /bytes and /chunked send */
static bool is_pattern(const char *body, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (body[i] != (char)('a' + i % 26)) return false;
  return true;
}

static void chunked(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *st = lc_fast_session_new(f->c), *s = lc_fast_session_new(f->c);
  stats_reset(f, st);
  static const struct { const char *path; size_t n; } cases[] = {
      {"/chunked/100000?chunk=1000", 100000}, {"/chunked/70000?chunk=1", 70000},
      {"/chunked/0", 0}, {"/chunked/5", 5}};
  for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
    struct result r;
    do_get(f, s, cases[i].path, &r);
    assert_int_equal(r.error, LC_HTTP_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(result_header(&r, "transfer-encoding"), "chunked");
    assert_int_equal(r.body_len, cases[i].n);
    assert_int_equal(r.body_bytes, cases[i].n);
    assert_true(is_pattern(r.body, r.body_len));
    result_release(&r);
  }
  assert_int_equal(stats_accepted(f, st, NULL), 1); /* all on one connection */
  lc_fast_session_free(s);
  lc_fast_session_free(st);
}

static void bytes_kept(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *st = lc_fast_session_new(f->c), *s = lc_fast_session_new(f->c);
  stats_reset(f, st);
  char url[256];
  snprintf(url, sizeof url, "%s/bytes/300000", f->srv->url);
  struct lc_http_request q = get_req(url);
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 300000);
  assert_int_equal(r.body_bytes, 300000);
  assert_true(is_pattern(r.body, r.body_len));
  result_release(&r);
  q.keep_body = false;
  do_req(f, s, &q, &r);
  assert_int_equal(r.status, 200);
  assert_null(r.body);
  assert_int_equal(r.body_len, 0);
  assert_int_equal(r.body_bytes, 300000);
  result_release(&r);
  q.keep_body = true; /* kept again: nothing of the last body left over */
  snprintf(url, sizeof url, "%s/bytes/3", f->srv->url);
  do_req(f, s, &q, &r);
  assert_string_equal(r.body, "abc");
  result_release(&r);
  assert_int_equal(stats_accepted(f, st, NULL), 1);
  lc_fast_session_free(s);
  lc_fast_session_free(st);
}

/* 301/302/303 turn a POST into a GET without its body; 302 and 303 any method but HEAD, as
 * requests does; HEAD stays HEAD. */
static void redirect_methods(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *st = lc_fast_session_new(f->c), *s = lc_fast_session_new(f->c);
  stats_reset(f, st);
  char url[256];
  snprintf(url, sizeof url, "%s/redirect/2", f->srv->url);
  static const struct lc_http_header ct[] = {{"Content-Type", "text/plain"}};
  struct lc_http_request q = get_req(url);
  q.method = "POST";
  q.body = "data";
  q.body_len = 4;
  q.headers = ct;
  q.nheaders = 1;
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "{\"redirects\": \"done\"}");
  result_release(&r);
  q.method = "HEAD";
  do_req(f, s, &q, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_bytes, 0);
  result_release(&r);
  q.method = "PUT";
  do_req(f, s, &q, &r);
  assert_int_equal(r.status, 200);
  result_release(&r);
  assert_int_equal(stats_count(f, st, "POST /redirect/2"), 1);
  assert_int_equal(stats_count(f, st, "PUT /redirect/2"), 1);
  assert_int_equal(stats_count(f, st, "HEAD /redirect/2"), 1);
  assert_int_equal(stats_count(f, st, "HEAD /redirect/1"), 1);
  assert_int_equal(stats_count(f, st, "HEAD /redirect/0"), 1);
  assert_int_equal(stats_count(f, st, "GET /redirect/1"), 2);
  assert_int_equal(stats_count(f, st, "GET /redirect/0"), 2);
  assert_int_equal(stats_count(f, st, "POST /redirect/1"), 0);
  /* /redirect/30 is followed to the end (30 redirects) */
  snprintf(url, sizeof url, "%s/redirect/30", f->srv->url);
  q = get_req(url);
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_OK);
  assert_int_equal(r.status, 200);
  result_release(&r);
  assert_int_equal(stats_accepted(f, st, NULL), 1); /* s: one connection for every hop */
  lc_fast_session_free(s);
  lc_fast_session_free(st);
}

/* The timeout covers the body too: the headers came, the body did not in time. */
static void timeout_in_body(void **state) {
  struct fx *f = *state;
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "%s/slow-body/2000", f->srv->url);
  struct lc_http_request q = get_req(url);
  q.timeout_us = 300 * 1000;
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_ETIMEDOUT);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.msg, "timeout after 300ms");
  assert_true(r.headers_us > 0);
  result_release(&r);
  do_get(f, s, "/json", &r);
  assert_int_equal(r.status, 200);
  result_release(&r);
  lc_fast_session_free(s);
}

struct again {
  struct lc_fast_session *s;
  const struct lc_http_request *q;
  struct result *second;
  int status, rc;
};

/* Sends the next request at once, on the connection the server is closing. */
static void on_first(void *ctx, const struct lc_http_response *resp) {
  struct again *a = ctx;
  a->status = resp->status;
  a->rc = lc_fast_send(a->s, a->q, on_done, a->second);
}

static void mini_start(struct fx *f, struct mini *m, char *url, size_t cap) {
  uv_tcp_init(&f->loop, &m->server);
  m->server.data = m;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  assert_int_equal(uv_tcp_bind(&m->server, (const struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&m->server, 16, mini_on_connection), 0);
  int len = sizeof a;
  uv_tcp_getsockname(&m->server, (struct sockaddr *)&a, &len);
  snprintf(url, cap, "http://127.0.0.1:%d/", ntohs(a.sin_port));
}

/* A request sent on a kept connection the server has just closed gets nothing back: it is sent
 * again, once, on a new connection, and succeeds. A fresh connection closed without a response
 * is not retried (the server's /drop: see dropped). */
static void closed_connection_retried_once(void **state) {
  struct fx *f = *state;
  struct mini *m = lc_xcalloc(1, sizeof *m); /* freed when its handle closes */
  m->close_at_once = true;
  char url[256];
  mini_start(f, m, url, sizeof url);
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  struct lc_http_request q = get_req(url);
  struct result first, second;
  result_init(&first, NULL);
  result_init(&second, f);
  struct again a = {s, &q, &second, 0, -1};
  f->pending = 1;
  assert_int_equal(lc_fast_send(s, &q, on_first, &a), 0);
  wait_all(f);
  assert_int_equal(a.status, 200);
  assert_int_equal(a.rc, 0);
  assert_int_equal(second.calls, 1);
  assert_int_equal(second.error, LC_HTTP_OK);
  assert_string_equal(second.body, "ok");
  assert_int_equal(m->accepted, 2);
  assert_int_equal(m->answered, 2);
  result_release(&first);
  result_release(&second);
  lc_fast_session_free(s);
  uv_close((uv_handle_t *)&m->server, mini_closed);
  run_for(f, 100);
}

/* The server resets the connection while a large body is being sent: the write fails (EPIPE or
 * ECONNRESET, never a SIGPIPE that would end the process) or the read does, and the request
 * fails as a reset. */
static void reset_while_sending(void **state) {
  struct fx *f = *state;
  struct mini *m = lc_xcalloc(1, sizeof *m);
  m->reset = true;
  char url[256];
  mini_start(f, m, url, sizeof url);
  struct lc_fast_session *s = lc_fast_session_new(f->c);
  size_t big = 8 * 1024 * 1024;
  char *body = lc_xmalloc(big);
  memset(body, 'z', big);
  struct lc_http_request q = get_req(url);
  q.method = "POST";
  q.body = body;
  q.body_len = big;
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_ECONNRESET);
  assert_int_equal(r.status, 0);
  assert_true(strcmp(r.msg, "connection reset by peer") == 0 ||
              strcmp(r.msg, "connection closed by peer (broken pipe)") == 0);
  result_release(&r);
  free(body);
  lc_fast_session_free(s);
  uv_close((uv_handle_t *)&m->server, mini_closed);
  run_for(f, 100);
}

/* A waiting session holds no buffer: the session and its connection only. */
static void idle_session_is_small(void **state) {
  (void)state;
  assert_true(lc_fast_session_idle_bytes() <= 768);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(get_json, setup, teardown),
      cmocka_unit_test_setup_teardown(error_statuses, setup, teardown),
      cmocka_unit_test_setup_teardown(cookies_per_session, setup, teardown),
      cmocka_unit_test_setup_teardown(keep_alive, setup, teardown),
      cmocka_unit_test_setup_teardown(sessions_do_not_share_connections, setup, teardown),
      cmocka_unit_test_setup_teardown(freed_session_closes_its_connection, setup, teardown),
      cmocka_unit_test_setup_teardown(post_echo, setup, teardown),
      cmocka_unit_test_setup_teardown(unsupported, setup, teardown),
      cmocka_unit_test_setup_teardown(expect_continue, setup, teardown),
      cmocka_unit_test_setup_teardown(basic_auth, setup, teardown),
      cmocka_unit_test_setup_teardown(head, setup, teardown),
      cmocka_unit_test_setup_teardown(redirects, setup, teardown),
      cmocka_unit_test_setup_teardown(timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(connection_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(dropped, setup, teardown),
      cmocka_unit_test_setup_teardown(garbage, setup, teardown),
      cmocka_unit_test_setup_teardown(chunked, setup, teardown),
      cmocka_unit_test_setup_teardown(bytes_kept, setup, teardown),
      cmocka_unit_test_setup_teardown(redirect_methods, setup, teardown),
      cmocka_unit_test_setup_teardown(timeout_in_body, setup, teardown),
      cmocka_unit_test_setup_teardown(body_too_big, setup, teardown),
      cmocka_unit_test_setup_teardown(big_body_not_kept, setup, teardown),
      cmocka_unit_test_setup_teardown(stream, setup, teardown),
      cmocka_unit_test_setup_teardown(host_name, setup, teardown),
      cmocka_unit_test_setup_teardown(deferred_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(concurrent_sessions, setup, teardown),
      cmocka_unit_test_setup_teardown(free_mid_request, setup, teardown),
      cmocka_unit_test_setup_teardown(client_free_in_flight, setup, teardown),
      cmocka_unit_test_setup_teardown(free_from_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(idle_connection_closed_by_server, setup, teardown),
      cmocka_unit_test_setup_teardown(closed_connection_retried_once, setup, teardown),
      cmocka_unit_test_setup_teardown(compressed_bodies, setup, teardown),
      cmocka_unit_test_setup_teardown(reset_while_sending, setup, teardown),
      cmocka_unit_test(idle_session_is_small),
      cmocka_unit_test_setup_teardown(immediate_failures_do_not_starve_the_loop, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
