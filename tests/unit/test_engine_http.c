/* test_engine_http.c: the curl client (engine/http_curl.c) on a libuv loop against the real
 * `loadc serve` started as a subprocess ($LOADC, on 127.0.0.1 with an ephemeral port): bodies,
 * statuses, cookies and keep-alive connections per session, methods, headers and auth,
 * redirects, timeouts, transport failures with their messages, body limits, streaming,
 * concurrency, cancellation, and a loop that closes cleanly after every test. */
#include <dirent.h>
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

#include "engine/base/base.h"
#include "engine/http.h"

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
  struct lc_http_client *c;
  const struct server *srv;
};

static int setup(void **state) {
  struct fx *f = lc_xcalloc(1, sizeof *f);
  f->srv = *state; /* the group's state: cmocka hands it to every test */
  assert_int_equal(uv_loop_init(&f->loop), 0);
  uv_timer_init(&f->loop, &f->guard);
  f->guard.data = f;
  f->c = lc_http_client_new(&f->loop);
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
  lc_http_client_free(f->c);
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
 * lc_http_send. */
static void do_req(struct fx *f, struct lc_http_session *s, const struct lc_http_request *q,
                   struct result *r) {
  f->pending = 1;
  result_init(r, f);
  assert_int_equal(lc_http_send(s, q, on_done, r), 0);
  assert_int_equal(r->calls, 0);
  wait_all(f);
  assert_int_equal(r->calls, 1);
  r->f = NULL;
}

static void do_get(struct fx *f, struct lc_http_session *s, const char *path, struct result *r) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", f->srv->url, path);
  struct lc_http_request q = get_req(url);
  do_req(f, s, &q, r);
}

/* /__stats's connections.accepted, fetched on session st. */
static long stats_accepted(struct fx *f, struct lc_http_session *st, long *total) {
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

static void stats_reset(struct fx *f, struct lc_http_session *st) {
  struct result r;
  do_get(f, st, "/__reset", &r);
  assert_int_equal(r.status, 200);
  result_release(&r);
}

/* ---- tests ---- */

static void get_json(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

static void error_statuses(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

static void cookies_per_session(void **state) {
  struct fx *f = *state;
  struct lc_http_session *a = lc_http_session_new(f->c), *b = lc_http_session_new(f->c);
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
  lc_http_session_free(a);
  lc_http_session_free(b);
}

static void keep_alive(void **state) {
  struct fx *f = *state;
  struct lc_http_session *st = lc_http_session_new(f->c), *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
  lc_http_session_free(st);
}

/* Two users taking turns keep one connection each: neither picks up the other's. */
static void sessions_do_not_share_connections(void **state) {
  struct fx *f = *state;
  struct lc_http_session *st = lc_http_session_new(f->c);
  struct lc_http_session *a = lc_http_session_new(f->c), *b = lc_http_session_new(f->c);
  stats_reset(f, st);
  for (int i = 0; i < 6; i++) {
    struct result r;
    do_get(f, i % 2 ? b : a, "/json", &r);
    assert_int_equal(r.status, 200);
    result_release(&r);
  }
  assert_int_equal(stats_accepted(f, st, NULL), 2);
  lc_http_session_free(a);
  lc_http_session_free(b);
  lc_http_session_free(st);
}

/* /__stats's connections.open, fetched on session st (so st's own connection counts). */
static long stats_open(struct fx *f, struct lc_http_session *st) {
  struct result r;
  do_get(f, st, "/__stats", &r);
  assert_int_equal(r.status, 200);
  const char *a = strstr(r.body, "\"open\": ");
  assert_non_null(a);
  long n = strtol(a + 8, NULL, 10);
  result_release(&r);
  return n;
}

/* A session that ends ends its connection: the server sees it close (curl would otherwise keep
 * it in the multi handle's cache for the rest of the run). */
static void freed_session_closes_its_connection(void **state) {
  struct fx *f = *state;
  struct lc_http_session *st = lc_http_session_new(f->c);
  struct lc_http_session *a = lc_http_session_new(f->c), *b = lc_http_session_new(f->c);
  struct result r;
  do_get(f, a, "/json", &r);
  result_release(&r);
  do_get(f, b, "/json", &r);
  result_release(&r);
  assert_int_equal(stats_open(f, st), 3);
  lc_http_session_free(a);
  run_for(f, 100);
  assert_int_equal(stats_open(f, st), 2);
  do_get(f, b, "/json", &r); /* b still has its own */
  assert_int_equal(r.status, 200);
  result_release(&r);
  lc_http_session_free(b);
  run_for(f, 100);
  assert_int_equal(stats_open(f, st), 1);
  lc_http_session_free(st);
}

static int open_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

/* Once every session is gone, their descriptors are closed too (curl would keep the shut-down
 * connections in its cache until transfers run again on this client). */
static void no_descriptor_outlives_the_sessions(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s[4];
  struct result r;
  /* warm up: the first transfer opens what stays for the client's life (resolver, caches) */
  s[0] = lc_http_session_new(f->c);
  do_get(f, s[0], "/json", &r);
  result_release(&r);
  lc_http_session_free(s[0]);
  run_for(f, 100);
  int before = open_fds();
  for (int i = 0; i < 4; i++) {
    s[i] = lc_http_session_new(f->c);
    do_get(f, s[i], "/json", &r);
    assert_int_equal(r.status, 200);
    result_release(&r);
  }
  assert_true(open_fds() >= before + 4);
  for (int i = 0; i < 4; i++) lc_http_session_free(s[i]);
  run_for(f, 100);
  assert_int_equal(open_fds(), before);
  s[0] = lc_http_session_new(f->c); /* the client still works afterwards */
  do_get(f, s[0], "/json", &r);
  assert_int_equal(r.status, 200);
  result_release(&r);
  lc_http_session_free(s[0]);
}

static void post_echo(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  assert_null(strstr(r.body, "\"content-type\"")); /* curl adds no form type of its own */
  result_release(&r);

  /* a larger body (curl would ask for 100-continue above 1 MiB) with a content type */
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
  lc_http_session_free(s);
}

static void multipart(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
  char path[] = "/tmp/test_engine_http_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "file-bytes", 10), 10);
  close(fd);
  char url[256];
  snprintf(url, sizeof url, "%s/echo", f->srv->url);
  struct lc_http_part parts[] = {
      {.name = "field", .value = "v1x", .value_len = 2},
      {.name = "upload", .path = path, .content_type = "text/plain", .filename = "a.txt"},
  };
  struct lc_http_request q = get_req(url);
  q.method = "POST";
  q.parts = parts;
  q.nparts = LC_ARRAY_LEN(parts);
  struct result r;
  do_req(f, s, &q, &r);
  unlink(path);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"method\": \"POST\""));
  assert_non_null(strstr(r.body, "\"content-type\": \"multipart/form-data; boundary="));
  assert_non_null(strstr(r.body, "form-data; name=\\\"field\\\"\\r\\n\\r\\nv1\\r\\n"));
  assert_non_null(strstr(r.body, "form-data; name=\\\"upload\\\"; filename=\\\"a.txt\\\"\\r\\n"
                                 "Content-Type: text/plain\\r\\n\\r\\nfile-bytes\\r\\n"));
  result_release(&r);
  q = get_req(url); /* and the next request has no body */
  do_req(f, s, &q, &r);
  assert_non_null(strstr(r.body, "\"method\": \"GET\""));
  assert_non_null(strstr(r.body, "\"body\": \"\""));
  result_release(&r);
  lc_http_session_free(s);
}

/* The user asks for 100-continue: the interim response is not the one reported. */
static void expect_continue(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

static void basic_auth(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

static void head(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

static void redirects(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

static void timeout(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
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
  struct lc_http_session *s = lc_http_session_new(f->c);
  struct lc_http_request q = get_req(url);
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_ECONNREFUSED);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.msg, "connection refused");
  assert_int_equal(r.headers_us, 0);
  result_release(&r);
  close(fd);
  lc_http_session_free(s);
}

static void dropped(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
  struct result r;
  do_get(f, s, "/drop", &r);
  assert_int_equal(r.error, LC_HTTP_ECONNRESET);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.msg, "connection closed without a response");
  result_release(&r);
  lc_http_session_free(s);
}

static void garbage(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
  struct result r;
  do_get(f, s, "/garbage", &r);
  assert_int_equal(r.error, LC_HTTP_EPROTOCOL);
  assert_int_equal(r.status, 0);
  assert_int_equal(strncmp(r.msg, "malformed response: ", 20), 0);
  result_release(&r);
  do_get(f, s, "/json", &r); /* a new connection for the next request */
  assert_int_equal(r.status, 200);
  result_release(&r);
  lc_http_session_free(s);
}

/* https to a plain HTTP port: the handshake fails. */
static void tls_failure(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
  char url[256];
  snprintf(url, sizeof url, "https://%s/json", f->srv->url + strlen("http://"));
  struct lc_http_request q = get_req(url);
  struct result r;
  do_req(f, s, &q, &r);
  assert_int_equal(r.error, LC_HTTP_ETLS);
  assert_int_equal(r.status, 0);
  assert_int_equal(strncmp(r.msg, "TLS: ", 5), 0);
  result_release(&r);
  lc_http_session_free(s);
}

static void body_too_big(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

static void big_body_not_kept(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

static void stream(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

/* Through the name "localhost", resolved once by the client. */
static void host_name(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
}

/* A failure inside lc_http_send still comes through the callback, later, from the loop. */
static void deferred_failure(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  do_req(f, s, &q, &r); /* checks the callback did not run inside lc_http_send */
  assert_int_equal(r.error, LC_HTTP_EOTHER);
  assert_string_equal(r.msg, "cannot start the request: request headers larger than 1048576 bytes");
  result_release(&r);
  free(big);
  /* one request at a time per session */
  f->pending = 1;
  result_init(&r, f);
  q.headers = NULL;
  q.nheaders = 0;
  assert_int_equal(lc_http_send(s, &q, on_done, &r), 0);
  struct result r2;
  result_init(&r2, NULL);
  assert_int_equal(lc_http_send(s, &q, on_done, &r2), LC_EINVAL);
  wait_all(f);
  assert_int_equal(r.status, 200);
  assert_int_equal(r2.calls, 0);
  result_release(&r);
  result_release(&r2);
  lc_http_session_free(s);
}

struct chain {
  struct lc_http_session *s;
  const struct lc_http_request *q;
  int left, ok, calls;
  struct fx *f;
};

/* Sends the session's next request from the callback, then reads the response: it stays
 * valid until the callback returns (ASan checks). */
static void on_chain(void *ctx, const struct lc_http_response *resp) {
  struct chain *ch = ctx;
  ch->calls++;
  bool again = --ch->left > 0 && lc_http_send(ch->s, ch->q, on_chain, ch) == 0;
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
  struct lc_http_session *st = lc_http_session_new(f->c);
  stats_reset(f, st);
  char url[256];
  snprintf(url, sizeof url, "%s/json", f->srv->url);
  struct lc_http_request q = get_req(url);
  struct chain *ch = lc_xcalloc(N, sizeof *ch);
  f->pending = N;
  for (int i = 0; i < N; i++) {
    ch[i].s = lc_http_session_new(f->c);
    ch[i].q = &q;
    ch[i].left = PER;
    ch[i].f = f;
    assert_int_equal(lc_http_send(ch[i].s, &q, on_chain, &ch[i]), 0);
  }
  wait_all(f);
  for (int i = 0; i < N; i++) {
    assert_int_equal(ch[i].calls, PER);
    assert_int_equal(ch[i].ok, PER);
  }
  long total;
  assert_int_equal(stats_accepted(f, st, &total), N);
  assert_int_equal(total, N * PER);
  for (int i = 0; i < N; i++) lc_http_session_free(ch[i].s);
  free(ch);
  lc_http_session_free(st);
}

static void on_free_timer(uv_timer_t *t) {
  struct lc_http_session **s = t->data;
  lc_http_session_free(*s);
  *s = NULL;
}

static void free_mid_request(void **state) {
  struct fx *f = *state;
  struct lc_http_session *s = lc_http_session_new(f->c), *other = lc_http_session_new(f->c);
  char url[256], url2[256];
  snprintf(url, sizeof url, "%s/delay/400", f->srv->url);
  snprintf(url2, sizeof url2, "%s/slow-body/400", f->srv->url);
  struct lc_http_request q = get_req(url), q2 = get_req(url2);
  struct result r, r2;
  result_init(&r, NULL);
  result_init(&r2, NULL);
  assert_int_equal(lc_http_send(s, &q, on_done, &r), 0);
  assert_int_equal(lc_http_send(other, &q2, on_done, &r2), 0);
  uv_timer_t t;
  uv_timer_init(&f->loop, &t);
  struct lc_http_session *victims[] = {s, other};
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
  s = lc_http_session_new(f->c);
  result_init(&r, NULL);
  assert_int_equal(lc_http_send(s, &q, on_done, &r), 0);
  lc_http_session_free(s);
  run_for(f, 50);
  assert_int_equal(r.calls, 0);
  result_release(&r);
}

/* Freeing the client with requests in flight and kept connections: no callback runs, and the
 * loop closes (the teardown checks uv_loop_close). */
static void client_free_in_flight(void **state) {
  struct fx *f = *state;
  struct lc_http_session *idle = lc_http_session_new(f->c), *busy = lc_http_session_new(f->c);
  struct result r;
  do_get(f, idle, "/json", &r);
  result_release(&r);
  char url[256];
  snprintf(url, sizeof url, "%s/delay/300", f->srv->url);
  struct lc_http_request q = get_req(url);
  result_init(&r, NULL);
  assert_int_equal(lc_http_send(busy, &q, on_done, &r), 0);
  run_for(f, 50);
  lc_http_client_free(f->c);
  f->c = NULL;
  run_for(f, 400);
  assert_int_equal(r.calls, 0);
  result_release(&r);
}

struct freer {
  struct fx *f;
  struct lc_http_session *s;
  bool free_client;
  int calls;
};

static void on_done_free(void *ctx, const struct lc_http_response *resp) {
  struct freer *fr = ctx;
  fr->calls++;
  if (resp->status == 200) {
    if (fr->free_client) {
      lc_http_client_free(fr->f->c); /* frees the sessions too */
      fr->f->c = NULL;
    } else {
      lc_http_session_free(fr->s);
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
  struct freer a = {f, lc_http_session_new(f->c), false, 0};
  f->pending = 1;
  assert_int_equal(lc_http_send(a.s, &q, on_done_free, &a), 0);
  wait_all(f);
  assert_int_equal(a.calls, 1);
  struct freer b = {f, lc_http_session_new(f->c), true, 0};
  struct freer other = {f, lc_http_session_new(f->c), false, 0};
  f->pending = 1;
  assert_int_equal(lc_http_send(other.s, &qs, on_done_free, &other), 0);
  assert_int_equal(lc_http_send(b.s, &q, on_done_free, &b), 0);
  wait_all(f);
  assert_null(f->c);
  run_for(f, 400);
  assert_int_equal(b.calls, 1);
  assert_int_equal(other.calls, 0);
}

struct hammer {
  struct fx *f;
  struct lc_http_session *s;
  const struct lc_http_request *q;
  bool stop;
  long failures;
};

static void on_hammer(void *ctx, const struct lc_http_response *resp) {
  struct hammer *h = ctx;
  if (resp->error != LC_HTTP_OK) h->failures++;
  if (h->stop || lc_http_send(h->s, h->q, on_hammer, h) != 0) response_in(h->f);
}

static void on_stop_hammer(uv_timer_t *t) { ((struct hammer *)t->data)->stop = true; }

/* A user that sends again from the callback of a request failing at once (refused on
 * loopback, or failing inside lc_http_send) must not starve the loop: the timer that stops it
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
    struct hammer hm = {f, lc_http_session_new(f->c), qs[i], false, 0};
    uv_timer_t t;
    uv_timer_init(&f->loop, &t);
    t.data = &hm;
    uv_timer_start(&t, on_stop_hammer, 100, 0);
    f->pending = 1;
    assert_int_equal(lc_http_send(hm.s, qs[i], on_hammer, &hm), 0);
    wait_all(f);
    uv_close((uv_handle_t *)&t, NULL);
    run_for(f, 1);
    lc_http_session_free(hm.s);
    assert_true(hm.stop);
    assert_true(hm.failures > 1);
  }
  free(big);
  close(fd);
}

/* A one-answer server on the test's loop: each connection gets "ok" to its first request and
 * is closed by the server 50 ms later, while the client keeps it as an idle connection. */
struct mini {
  uv_tcp_t server;
  int accepted, answered;
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
  if (!strstr(b->base, "\r\n\r\n")) return; /* requests are small: one read */
  static char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  uv_buf_t out = uv_buf_init(answer, sizeof answer - 1);
  uv_write_t *w = lc_xmalloc(sizeof *w);
  uv_write(w, st, &out, 1, mini_written);
  mc->m->answered++;
  uv_timer_start(&mc->timer, mini_on_timer, 50, 0);
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

/* The server closes a connection the session keeps: the idle socket's poll stops at the close
 * (the loop does not spin on it), and the next request takes a new connection. */
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
  struct lc_http_session *s = lc_http_session_new(f->c);
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
  lc_http_session_free(s);
  uv_close((uv_handle_t *)&m->server, mini_closed);
  run_for(f, 100); /* the second connection's close */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(get_json, setup, teardown),
      cmocka_unit_test_setup_teardown(error_statuses, setup, teardown),
      cmocka_unit_test_setup_teardown(cookies_per_session, setup, teardown),
      cmocka_unit_test_setup_teardown(keep_alive, setup, teardown),
      cmocka_unit_test_setup_teardown(sessions_do_not_share_connections, setup, teardown),
      cmocka_unit_test_setup_teardown(freed_session_closes_its_connection, setup, teardown),
      cmocka_unit_test_setup_teardown(no_descriptor_outlives_the_sessions, setup, teardown),
      cmocka_unit_test_setup_teardown(post_echo, setup, teardown),
      cmocka_unit_test_setup_teardown(multipart, setup, teardown),
      cmocka_unit_test_setup_teardown(expect_continue, setup, teardown),
      cmocka_unit_test_setup_teardown(basic_auth, setup, teardown),
      cmocka_unit_test_setup_teardown(head, setup, teardown),
      cmocka_unit_test_setup_teardown(redirects, setup, teardown),
      cmocka_unit_test_setup_teardown(timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(connection_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(dropped, setup, teardown),
      cmocka_unit_test_setup_teardown(garbage, setup, teardown),
      cmocka_unit_test_setup_teardown(tls_failure, setup, teardown),
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
      cmocka_unit_test_setup_teardown(immediate_failures_do_not_starve_the_loop, setup, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
